"""Run the command line the way users do: the installed console script, or main()."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from replywatch.cli import main


@dataclass
class Outcome:
    code: int
    out: str
    err: str


def console_script() -> str:
    found = Path(sys.executable).parent / "replywatch"
    if found.exists():
        return str(found)
    located = shutil.which("replywatch")
    assert located, "the replywatch console script is not installed (pip install -e .)"
    return located


def run_process(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Outcome:
    """The installed ``replywatch`` executable in a subprocess, with no terminal attached."""
    completed = subprocess.run(
        [console_script(), *args],
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=120,
    )
    return Outcome(completed.returncode, completed.stdout, completed.stderr)


def run_main(capsys, *args: str) -> Outcome:
    """``replywatch.cli.main`` in this process: the function the console script calls."""
    code = main(list(args))
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)
