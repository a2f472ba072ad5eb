"""Collection runs recorded as ``running``, and whether anybody still works on them.

Whoever collects an account holds its claim (:func:`storage.leases.collection_key`):
the service's job and ``replywatch collect`` alike. A run still ``running`` whose claim
is free, expired, or held by a process of this machine that has ended was left by a
process that died (killed, the machine restarted): ``status`` shows it as interrupted at
once, and a service that takes over the scheduler collects its account at once instead
of a full interval later. The run itself is marked ``interrupted`` by the account's next
run (``collectors.runner``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from storage.leases import LeaseInfo, collection_key, holder, holder_gone
from storage.models import CollectionRun


@dataclass(frozen=True)
class RunningRun:
    run_id: int
    account_id: int
    started_at: datetime
    claim: LeaseInfo | None  # who holds the account's claim now (None: nobody)

    @property
    def orphaned(self) -> bool:
        """Nobody works on it any more: its process is gone."""
        return holder_gone(self.claim)


def running_runs(connection: Connection, now: datetime) -> list[RunningRun]:
    """Every run recorded as ``running``, with the current holder of its account's claim."""
    rows = connection.execute(
        select(CollectionRun.id, CollectionRun.account_id, CollectionRun.started_at)
        .where(CollectionRun.outcome == "running")
        .order_by(CollectionRun.id)
    ).all()
    return [
        RunningRun(
            run_id, account_id, started_at, holder(connection, collection_key(account_id), now)
        )
        for run_id, account_id, started_at in rows
    ]
