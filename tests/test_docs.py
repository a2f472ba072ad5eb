"""The manual: README as a short front door, docs/ as an MkDocs site built strictly.

``mkdocs build --strict`` fails on a broken link, a missing anchor, and (through
``validation.nav.omitted_files`` in mkdocs.yml) on a page that is not in the nav; the
tests below build the real manual and show on small sites that each of those fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
import yaml

from replywatch.cli import cli
from replywatch.config import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README_LIMIT = 15 * 1024


def _mkdocs(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _config() -> dict:
    # mkdocs.yml has no custom YAML tags, so the plain loader reads it.
    return yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))


def _nav_pages(nav: list) -> list[str]:
    pages: list[str] = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            pages.extend(_nav_pages(value))
        else:
            pages.append(value)
    return pages


def _text(html_file: Path) -> str:
    page = html_file.read_text(encoding="utf-8")
    article = page[page.index("<article") : page.index("</article>")]
    return unescape(re.sub(r"<[^>]+>", "", article))


def _commands(group, prefix: str = "replywatch") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        paths.append(f"{prefix} {name}")
        if hasattr(command, "commands"):
            paths.extend(_commands(command, f"{prefix} {name}"))
    return paths


def test_every_page_is_in_the_nav_and_every_nav_entry_exists():
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    in_nav = _nav_pages(_config()["nav"])
    assert len(in_nav) == len(set(in_nav)), "a page is in the nav twice"
    assert pages - set(in_nav) == set(), "pages missing from nav: in mkdocs.yml"
    assert set(in_nav) - pages == set(), "nav entries without a page"


def test_readme_is_a_short_front_door_whose_links_lead_somewhere():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode("utf-8")) <= README_LIMIT
    for heading in ("## The two commands", "## First steps with your own accounts",
                    "## Where to go next"):  # fmt: skip
        assert heading in readme
    assert "make demo" in readme and "make test" in readme
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", readme)
    local = [t for t in targets if not re.match(r"^[a-z]+:", t)]
    assert "docs/screenshots/demo-portfolio.png" in local
    assert "docs/screenshots/demo-broadcast-only.png" in local
    missing = [t for t in local if not (ROOT / t).exists()]
    assert missing == []
    # Every section of the manual is reachable from the front door.
    for section in ("owners", "consultants", "operators", "maintainers"):
        assert f"docs/{section}/" in readme


def test_the_configuration_page_takes_its_table_from_the_settings():
    page = (DOCS / "operators" / "configuration.md").read_text(encoding="utf-8")
    assert "<!-- settings-reference -->" in page
    # The page itself lists no setting by hand: the generated table is the only list.
    assert "| `smtp.port` |" not in page


@pytest.mark.slow
def test_the_manual_builds_strictly_with_generated_references(tmp_path):
    site = tmp_path / "site"
    built = _mkdocs("build", "--strict", "--site-dir", str(site), cwd=ROOT)
    assert built.returncode == 0, built.stderr[-3000:]

    # The configuration reference: every setting with its environment variable and default.
    configuration = _text(site / "operators" / "configuration" / "index.html")
    for setting in SETTINGS:
        row = re.search(rf"^{re.escape(setting.key)}\s*\n?\s*{setting.env}\s", configuration, re.M)
        assert row, f"{setting.key} / {setting.env} not in the configuration reference"
        if setting.default is not None and setting.default_text is None:
            assert str(setting.default) in configuration[row.start() : row.start() + 600]

    # The CLI reference: every command and its options, from click itself.
    reference = _text(site / "operators" / "cli" / "index.html")
    for path in _commands(cli):
        assert f"{path}¶" in reference, path
    assert "--credentials NAME" in reference and "--no-credentials" in reference
    assert "UNSET" not in reference

    # Snippets: the unit files shown on the deployment page are the files the tests check.
    deployment = _text(site / "operators" / "deployment" / "index.html")
    unit = (DOCS / "operators" / "files" / "replywatch-run.service").read_text()
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert exec_start in deployment


def _small_site(folder: Path, pages: dict[str, str], nav: list) -> Path:
    """A site with the real mkdocs.yml's theme and checks, but only these pages."""
    config = _config()
    config["nav"] = nav
    config.pop("hooks", None)
    config["markdown_extensions"] = [
        e for e in config["markdown_extensions"] if e != "mkdocs-click"
    ]
    (folder / "docs").mkdir()
    for name, text in pages.items():
        (folder / "docs" / name).write_text(text, encoding="utf-8")
    (folder / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return folder


@pytest.mark.slow
def test_a_page_outside_the_nav_fails_the_strict_build(tmp_path):
    site = _small_site(tmp_path, {"index.md": "# Home\n", "orphan.md": "# Orphan\n"},
                       [{"Home": "index.md"}])  # fmt: skip
    built = _mkdocs("build", "--strict", cwd=site)
    assert built.returncode != 0
    assert "orphan.md" in built.stderr and "nav" in built.stderr


@pytest.mark.slow
def test_a_broken_link_or_anchor_fails_the_strict_build(tmp_path):
    for text, named in (("[x](missing.md)", "missing.md"), ("[x](other.md#nowhere)", "nowhere")):
        folder = tmp_path / named.replace(".", "-")
        folder.mkdir()
        site = _small_site(
            folder, {"index.md": f"# Home\n\n{text}\n", "other.md": "# Other\n"},
            [{"Home": "index.md"}, {"Other": "other.md"}],
        )  # fmt: skip
        built = _mkdocs("build", "--strict", cwd=site)
        assert built.returncode != 0 and named in built.stderr, built.stderr[-2000:]


def test_the_docs_folder_holds_no_stray_files():
    # Everything under docs/ is a page, a screenshot, or a file a page includes.
    allowed = {".md", ".png"}
    stray = [
        p.relative_to(DOCS).as_posix()
        for p in DOCS.rglob("*")
        if p.is_file() and p.suffix not in allowed and "files" not in p.parts
    ]
    assert stray == []
