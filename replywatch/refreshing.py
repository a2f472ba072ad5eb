"""Keeping the metrics current: the work behind the service's rollup jobs.

The metrics engine refreshes globally: storage marks every (account, day) an upsert
touched in ``rollup_dirty``, and one ``metrics.api.refresh`` recomputes everything those
marks reach, whichever account made them. So the job that runs after a collection of
account 7 refreshes every account collected meanwhile too, and two of them never need to
run at once (the service holds one lease, ``metrics:refresh``, around it).

A collection that finishes while a refresh runs marks days the running refresh has
already claimed past; its own rollup job finds the lease taken and skips. Refreshing
again while marks remain (a few rounds at most) catches those, and the service's
periodic sweep catches anything left after that.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine, exists, select

from metrics import api
from replywatch.config import Settings
from storage.engine import session_factory
from storage.models import RollupDirty, RollupDirtyClient
from storage.writing import in_transaction

log = logging.getLogger("replywatch.service")

ROUNDS = 3


def marks_pending(engine: Engine) -> bool:
    """Whether any (account, day) or client that lost an account waits for a refresh."""
    with engine.connect() as connection:
        return any(
            connection.scalar(select(exists().select_from(table)))
            for table in (RollupDirty, RollupDirtyClient)
        )


def refresh_metrics(
    engine: Engine,
    settings: Settings | None = None,
    account_id: int | None = None,
    *,
    now: datetime | None = None,
    rounds: int = ROUNDS,
) -> list[api.RefreshResult]:
    """Refresh every account's marked days, again while new marks arrive (``rounds`` at most).

    ``account_id`` is the account whose collection asked for it (for the log only: the
    refresh is global). Each round is one transaction: a crash rolls it back, marks and
    all, and the next refresh does that work again. Returns the rounds' results.
    """
    results: list[api.RefreshResult] = []
    for _ in range(max(rounds, 1)):
        # The refresh takes its own lock first; a deadlock it loses anyway is run again.
        result = in_transaction(session_factory(engine),
                                lambda session: api.refresh(session, now=now),
                                lock=lambda session: None)  # fmt: skip
        results.append(result)
        if not marks_pending(engine):
            break
    done = [r for r in results if not r.nothing_to_do]
    if done:
        after = f" after the collection of account {account_id}" if account_id else ""
        log.info(
            "metrics refreshed%s: %d items in %d threads, %d account-weeks (%.2f s)",
            after,
            sum(r.items for r in done),
            sum(r.threads for r in done),
            sum(r.account_weeks for r in done),
            sum(r.seconds for r in done),
        )
    return results
