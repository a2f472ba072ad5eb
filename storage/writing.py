"""Transactions that write items, in one lock order, retried when they lose a deadlock.

A collection's batch updates items and marks their days dirty; a metrics refresh claims
the marks (deleting them) and then updates the same items (their classifications).
Taken in opposite orders on PostgreSQL, the two deadlocked. So both take one lock first,
before any row: the refresh the advisory lock :data:`METRICS_LOCK_KEY` exclusively (two
refreshes never run at once), every writing transaction the same lock shared (writers
run side by side). A writer then waits for a running refresh, or the refresh for the
writers in progress, before either holds a row the other needs. SQLite has a single
writer and needs neither.

A transaction may still lose a deadlock against other writers (two batches touching the
same items in different orders); :func:`write_transaction` runs it again, a few times,
after a short random pause. The work must be safe to run again from the start (the
transaction it ran in was rolled back).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key: "rw" "mt" (replywatch metrics) as an integer.
METRICS_LOCK_KEY = 0x7277_6D74
ATTEMPTS = 5
# SQLSTATE of a transaction PostgreSQL rolled back to break a deadlock, or because it
# could not be serialised: running it again is the documented remedy.
RETRIED_STATES = frozenset({"40P01", "40001"})
T = TypeVar("T")


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def lock_for_refresh(session: Session) -> None:
    """The metrics refresh's lock: alone, and no writer in progress (transaction-long)."""
    if _postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": METRICS_LOCK_KEY})


def lock_for_writing(session: Session) -> None:
    """A writer's lock: beside other writers, never beside a refresh (transaction-long)."""
    if _postgresql(session):
        session.execute(
            text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": METRICS_LOCK_KEY}
        )


def lost_a_deadlock(exc: BaseException) -> bool:
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, DBAPIError) and state in RETRIED_STATES


def in_transaction(
    sessions: sessionmaker[Session],
    work: Callable[[Session], T],
    *,
    lock: Callable[[Session], None] = lock_for_writing,
    attempts: int = ATTEMPTS,
) -> T:
    """``work(session)`` in one transaction that takes ``lock`` first; run again when
    it loses a deadlock (at most ``attempts`` times in all)."""
    for attempt in range(1, attempts + 1):
        try:
            with sessions.begin() as session:
                lock(session)
                return work(session)
        except DBAPIError as exc:
            if not lost_a_deadlock(exc) or attempt == attempts:
                raise
            log.info("transaction lost a deadlock (attempt %d of %d); running it again",
                     attempt, attempts)  # fmt: skip
            time.sleep(random.uniform(0.02, 0.1) * attempt)
    raise AssertionError("unreachable")  # the loop returns or raises
