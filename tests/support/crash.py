"""Kill a real collector process at a chosen moment, for the crash-safety tests.

A sandbox route is made slow (``server.inject(route, kind="slow", ...)``); the collector
subprocess commits the pages before it and then waits for that answer. The helpers start
``replywatch collect --account N`` with a given environment, wait until the database shows
the pages committed, SIGKILL the process while it waits, and run it again to completion.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, func, select

from storage.engine import session_factory
from storage.models import Item
from tests.support.cli import console_script


def collector_env(database_url: str, tmp_path: Path, **values: str) -> dict[str, str]:
    """The environment of a collector process: this database, no user configuration."""
    return {
        **os.environ,
        "REPLYWATCH_DATABASE_URL": database_url,
        "REPLYWATCH_REQUEST_TIMEOUT": "60",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "REPLYWATCH_SECRETS_FILE": str(tmp_path / "secrets.toml"),
        **values,
    }


def count_items(engine: Engine, kind: str | None = None) -> int:
    with session_factory(engine)() as session:
        query = select(func.count()).select_from(Item)
        if kind:
            query = query.where(Item.kind == kind)
        return session.scalar(query) or 0


def distinct_items(engine: Engine) -> int:
    with session_factory(engine)() as session:
        return session.scalar(select(func.count(func.distinct(Item.platform_item_id)))) or 0


def wait_for(condition: Callable[[], bool], seconds: float = 120.0) -> None:
    # Generous: a collector process starting on a busy machine takes its time, and a
    # condition met early returns at once.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the collector did not get there in time")


def kill_collector_when(
    env: dict[str, str], account_id: int, committed: Callable[[], bool]
) -> None:
    """Start the collector, wait until ``committed()``, give the next (slow) request time to
    go out, and SIGKILL the process."""
    collector = subprocess.Popen(
        [console_script(), "collect", "--account", str(account_id)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for(committed)
        time.sleep(0.3)  # the next page is on its way, and slow
        collector.send_signal(signal.SIGKILL)
        collector.wait(timeout=10)
    finally:
        if collector.poll() is None:
            collector.kill()
    assert collector.returncode == -signal.SIGKILL


def collect_to_the_end(env: dict[str, str], account_id: int) -> None:
    again = subprocess.run(
        [console_script(), "collect", "--account", str(account_id)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
