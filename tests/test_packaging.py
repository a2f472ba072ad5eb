"""pyproject.toml's package data names files that exist, and the wheel carries them."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _package_data() -> dict[str, list[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return project["tool"]["setuptools"]["package-data"]


def test_every_package_data_pattern_matches_files():
    empty = [
        f"{package}/{pattern}"
        for package, patterns in _package_data().items()
        for pattern in patterns
        if not [p for p in (ROOT / package).glob(pattern) if p.is_file()]
    ]
    assert empty == []


def test_the_files_the_code_reads_at_run_time_are_package_data():
    data = _package_data()

    def covered(path: str) -> bool:
        package, _, rest = path.partition("/")
        return any(Path(rest).match(pattern) for pattern in data.get(package, []))

    needed = [
        "storage/migrations/script.py.mako",
        "storage/migrations/env.py",
        "metrics/data/questions.toml",
        "dashboard/assets/replywatch.css",
        "reports/templates/weekly.html.j2",
        "reports/templates/weekly.txt.j2",
        "metrics/locales/de/LC_MESSAGES/replywatch.mo",
    ]
    for version in (ROOT / "storage" / "migrations" / "versions").glob("*.py"):
        needed.append(version.relative_to(ROOT).as_posix())
    assert [path for path in needed if not covered(path)] == []
    assert all((ROOT / path).is_file() for path in needed)
