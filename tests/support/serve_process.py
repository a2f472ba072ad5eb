"""``replywatch serve`` as a subprocess on a free port, stopped with SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.cli import console_script


@dataclass
class ServeProcess:
    url: str
    process: subprocess.Popen[str]
    first_lines: list[str]


@contextmanager
def serve_process(database_url: str, data_home: Path, *args: str) -> Iterator[ServeProcess]:
    env = {
        **os.environ,
        "REPLYWATCH_DATABASE_URL": database_url,
        "XDG_DATA_HOME": str(data_home),
        "XDG_CONFIG_HOME": str(data_home / "config"),
        "REPLYWATCH_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [console_script(), "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    url = None
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        found = re.search(r"on (http://\S+/) ", line)
        if found:
            url = found.group(1).rstrip("/")
            break
    if url is None:
        process.wait(timeout=30)
        raise AssertionError("replywatch serve did not start:\n" + "\n".join(lines))
    try:
        yield ServeProcess(url, process, lines)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
