"""The layering contract of pyproject.toml (import-linter) holds, and breaks on a violation.

``make lint`` runs ``lint-imports`` on the code base. Here the same contracts run on the
real packages, and on a small tree with the same package names in which one import at a
time goes against the layering: each must be reported as a broken contract.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"
LINT = Path(sys.executable).with_name("lint-imports")

# The modules the contracts name, as empty modules.
SKELETON = (
    "storage/__init__.py",
    "collectors/__init__.py",
    "metrics/__init__.py",
    "dashboard/__init__.py",
    "reports/__init__.py",
    "sandbox/__init__.py",
    "tests/__init__.py",
    "replywatch/__init__.py",
    "replywatch/importing/__init__.py",
    "replywatch/cli/__init__.py",
    "replywatch/demo/__init__.py",
    "replywatch/service.py",
    "replywatch/jobs.py",
)


def lint(where: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(
        [str(LINT), "--no-cache", "--no-logo", str(CONFIG)],
        cwd=where, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def skeleton(where: Path, imports: dict[str, str]) -> Path:
    for module in SKELETON:
        path = where / module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(imports.get(module, ""), encoding="utf-8")
    return where


def test_the_code_base_keeps_its_layering():
    found = lint(ROOT)
    assert found.returncode == 0, found.stdout + found.stderr
    assert "0 broken" in found.stdout


def test_a_skeleton_that_follows_the_layering_passes(tmp_path):
    allowed = {
        "collectors/__init__.py": "import storage\n",
        "metrics/__init__.py": "import storage\n",
        "dashboard/__init__.py": "import metrics\nimport storage\n",
        "reports/__init__.py": "import metrics\n",
        "replywatch/cli/__init__.py": "import replywatch.demo\nimport dashboard\n",
        "replywatch/demo/__init__.py": "import sandbox\nimport collectors\n",
        "replywatch/service.py": "import replywatch.jobs\n",
        "replywatch/importing/__init__.py": "import storage\n",
        "tests/__init__.py": "import replywatch.cli\nimport sandbox\n",
    }
    found = lint(skeleton(tmp_path, allowed))
    assert found.returncode == 0, found.stdout + found.stderr


@pytest.mark.parametrize(
    ("imports", "broken"),
    [
        ({"storage/__init__.py": "import metrics\n"}, "Layers"),
        ({"metrics/__init__.py": "import collectors\n"}, "Layers"),
        ({"collectors/__init__.py": "import metrics\n"}, "Layers"),
        ({"metrics/__init__.py": "import dashboard\n"}, "Layers"),
        ({"dashboard/__init__.py": "import reports\n"}, "Layers"),
        ({"reports/__init__.py": "import replywatch\n"}, "Layers"),
        ({"dashboard/__init__.py": "import collectors\n"}, "never collectors"),
        ({"sandbox/__init__.py": "import storage\n"}, "import nothing of ours"),
        ({"metrics/__init__.py": "import sandbox\n"}, "use the simulated platforms"),
        ({"replywatch/service.py": "import tests\n"}, "never imports tests"),
        ({"replywatch/importing/__init__.py": "import metrics\n"}, "Importers"),
        (
            {"replywatch/cli/__init__.py": "import replywatch.demo\n",
             "replywatch/demo/__init__.py": "import replywatch.cli\n"},
            "No import circles",
        ),
        (
            {"replywatch/service.py": "import replywatch.jobs\n",
             "replywatch/jobs.py": "import replywatch.service\n"},
            "No import circles",
        ),
    ],
)  # fmt: skip
def test_an_import_against_the_layering_breaks_a_contract(tmp_path, imports, broken):
    found = lint(skeleton(tmp_path, imports))
    assert found.returncode == 1, found.stdout + found.stderr
    broken_lines = [line for line in found.stdout.splitlines() if line.endswith(" BROKEN")]
    assert len(broken_lines) == 1 and broken in broken_lines[0], found.stdout
