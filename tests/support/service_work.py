"""Work functions for service tests that need control over timing, in place of the real
collection and metrics refresh (tests/test_service_e2e.py runs the real ones).

They do real database work the way the real ones do: a collection writes its
CollectionRun and marks its day dirty in one transaction; a rollup clears the marks.
``REPLYWATCH_TEST_COLLECT_SECONDS`` makes a collection last that long inside its open
transaction, to test stopping and abandoning.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, delete

from storage.engine import session_scope
from storage.models import CollectionRun, RollupDirty
from storage.upsert import mark_dirty


def record_collection(
    engine: Engine, settings: object, account_id: int, *, now: datetime | None = None
) -> None:
    seconds = float(os.environ.get("REPLYWATCH_TEST_COLLECT_SECONDS", "0"))
    started = datetime.now(UTC)
    with session_scope(engine) as session:
        run = CollectionRun(account_id=account_id, started_at=started, outcome="running")
        session.add(run)
        session.flush()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.02)
        run.finished_at = datetime.now(UTC)
        run.outcome = "ok"
        run.error = f"pid {os.getpid()}"
        mark_dirty(session, [(account_id, started.date())])


def record_rollup(
    engine: Engine, settings: object, account_id: int | None, *, now: datetime | None = None
) -> None:
    with session_scope(engine) as session:
        session.execute(delete(RollupDirty))


def failing_collection(
    engine: Engine, settings: object, account_id: int, *, now: datetime | None = None
) -> None:
    raise ConnectionError(f"platform unreachable for account {account_id}")
