"""Collection slots: due collections that several processes on one PostgreSQL share.

An account is due when the scheduler opens its slot (``collection_slots.opened_at``).
Any ``replywatch run`` on the database may collect it: it takes the row with
``SELECT … FOR UPDATE SKIP LOCKED`` in a transaction that stays open for the whole
collection, and clears ``opened_at`` in that transaction when the collection is done.
The row lock is the claim, and PostgreSQL keeps it:

- two processes never hold it at once, and ``SKIP LOCKED`` lets the second one go on to
  the next open slot instead of waiting;
- a process that dies (``kill -9``, a crash) loses its connection, PostgreSQL rolls its
  transaction back, and the slot is open and free again at once, for the next process;
- a machine that vanishes is noticed by TCP keepalives, which the claim sets on its own
  connection to fire within the lease time (``tcp_keepalives_*``, for the transaction).

The collection itself writes through other connections and commits as it goes (items,
cursors), so nothing it stored is rolled back with the claim; the next collector resumes
from the stored cursors. ``replywatch collect`` by hand takes the same row lock
(storage.leases.LeaseKeeper) without closing the slot.

SQLite has no row locks; there one ``replywatch run`` collects everything, as before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import (
    Connection,
    Engine,
    RootTransaction,
    create_engine,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from storage.models import Account, CollectionRun, CollectionSlot

log = logging.getLogger(__name__)


def shared(engine: Engine) -> bool:
    """Whether several processes can share the collections on this database."""
    return engine.dialect.name == "postgresql"


def claim_engine(engine: Engine, holders: int = 0) -> Engine:
    """An engine for claims, with a pool of its own for ``holders`` claims at once.

    A claim keeps its connection for a whole collection; taking those from the work's
    pool would starve the collections themselves. (``holders=0``: a fresh connection for
    each claim, for processes that claim now and then, like ``replywatch collect``.)
    """
    if holders <= 0:
        return create_engine(engine.url, poolclass=NullPool)
    return create_engine(engine.url, pool_size=holders, max_overflow=2, pool_pre_ping=True)


@dataclass
class SlotClaim:
    """The lock on one account's slot row, held by an open transaction."""

    account_id: int
    # The open slot being collected (None: the slot was not open, a claim by hand).
    opened_at: datetime | None
    connection: Connection = field(repr=False)
    transaction: RootTransaction = field(repr=False)

    def finish(self, now: datetime, close_slot: bool) -> None:
        """End the claim; ``close_slot``: the slot's collection is done, mark it so."""
        try:
            if close_slot and self.opened_at is not None:
                _close(self.connection, self.account_id, now)
                self.transaction.commit()
            else:
                self.transaction.rollback()
        finally:
            self.connection.close()

    def give_back(self) -> None:
        """End the claim and leave the slot as it was (open slots stay due)."""
        try:
            self.transaction.rollback()
        except SQLAlchemyError as exc:
            log.warning("could not give back the claim on account %d: %s", self.account_id, exc)
        finally:
            self.connection.close()


def _begin_claim(engine: Engine, keepalive_within: timedelta) -> tuple[Connection, RootTransaction]:
    connection = engine.connect()
    try:
        transaction = connection.begin()
        # A vanished machine's claim must end within the lease time: probes start after a
        # third of it, three probes a ninth apart (only on TCP connections; for this
        # transaction only).
        total = max(int(keepalive_within.total_seconds()), 3)
        idle, interval = max(total // 3, 1), max(total // 9, 1)
        connection.execute(
            text(
                "SELECT set_config('tcp_keepalives_idle', :idle, true),"
                " set_config('tcp_keepalives_interval', :interval, true),"
                " set_config('tcp_keepalives_count', '3', true)"
            ),
            {"idle": str(idle), "interval": str(interval)},
        )
    except BaseException:
        connection.close()
        raise
    return connection, transaction


# A run that ended one way or another served its slot; a "running" one whose process
# died did not (it is marked "interrupted" by the next run).
_UNFINISHED = ("running", "interrupted")


def _served(connection: Connection, account_id: int, after_run: int | None) -> bool:
    """Whether a run that started after the slot opened has finished."""
    return (
        connection.scalar(
            select(CollectionRun.id)
            .where(
                CollectionRun.account_id == account_id,
                CollectionRun.id > (after_run or 0),
                CollectionRun.outcome.not_in(_UNFINISHED),
            )
            .limit(1)
        )
        is not None
    )


def claim_next(engine: Engine, keepalive_within: timedelta, now: datetime) -> SlotClaim | None:
    """Take the oldest open slot nobody holds, or None when there is none.

    A slot that a finished run already served (its collector died between finishing and
    closing the slot) is closed here instead of being collected a second time.
    """
    while True:
        connection, transaction = _begin_claim(engine, keepalive_within)
        try:
            row = connection.execute(
                select(
                    CollectionSlot.account_id,
                    CollectionSlot.opened_at,
                    CollectionSlot.opened_after_run,
                )
                .where(CollectionSlot.opened_at.is_not(None))
                .order_by(CollectionSlot.opened_at, CollectionSlot.account_id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is not None and _served(connection, row.account_id, row.opened_after_run):
                _close(connection, row.account_id, now)
                transaction.commit()
                connection.close()
                log.info("the due collection of account %d was done already", row.account_id)
                continue
        except BaseException:
            connection.close()
            raise
        if row is None:
            transaction.rollback()
            connection.close()
            return None
        return SlotClaim(row.account_id, row.opened_at, connection, transaction)


def _close(connection: Connection, account_id: int, now: datetime) -> None:
    connection.execute(
        update(CollectionSlot)
        .where(CollectionSlot.account_id == account_id)
        .values(opened_at=None, closed_at=now)
    )


def _ensure_row(connection: Connection, account_id: int) -> None:
    """The account's slot row, made on first use (nothing when the account is gone)."""
    connection.execute(
        postgresql.insert(CollectionSlot)
        .from_select(["account_id"], select(Account.id).where(Account.id == account_id))
        .on_conflict_do_nothing(index_elements=[CollectionSlot.account_id])
    )


class AccountMissing(LookupError):
    """No such account: there is no row to lock."""


def claim_account(engine: Engine, account_id: int, keepalive_within: timedelta) -> SlotClaim | None:
    """Take one account's row (open slot or not); None while somebody else holds it.

    Raises :class:`AccountMissing` when the account does not exist.
    """
    with engine.begin() as connection:
        _ensure_row(connection, account_id)
    connection, transaction = _begin_claim(engine, keepalive_within)
    try:
        row = connection.execute(
            select(CollectionSlot.account_id, CollectionSlot.opened_at)
            .where(CollectionSlot.account_id == account_id)
            .with_for_update(skip_locked=True)
        ).first()
        exists = (
            row is not None
            or connection.scalar(
                select(CollectionSlot.account_id).where(CollectionSlot.account_id == account_id)
            )
            is not None
        )
    except BaseException:
        connection.close()
        raise
    if row is None:
        transaction.rollback()
        connection.close()
        if not exists:
            raise AccountMissing(f"no account {account_id}")
        return None
    return SlotClaim(account_id, row.opened_at, connection, transaction)


@dataclass(frozen=True)
class Backlog:
    """Open slots: accounts due and not yet collected, and since when the oldest waits."""

    due: int
    oldest: datetime | None


def backlog(connection: Connection) -> Backlog:
    """How many accounts are due now (their slot open), and the oldest one's opening."""
    due, oldest = connection.execute(
        select(func.count(), func.min(CollectionSlot.opened_at)).where(
            CollectionSlot.opened_at.is_not(None)
        )
    ).one()
    return Backlog(due or 0, oldest)


def open_slot(engine: Engine, account_id: int, now: datetime) -> str:
    """Make the account due: ``opened``, ``already open`` or ``being collected``.

    A slot whose row is locked is being collected right now; that collection covers this
    turn (as APScheduler coalesces a job that is still running).
    """
    with engine.begin() as connection:
        _ensure_row(connection, account_id)
        row = connection.execute(
            select(CollectionSlot.opened_at)
            .where(CollectionSlot.account_id == account_id)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return "being collected"
        if row.opened_at is not None:
            return "already open"
        newest_run = (
            select(func.max(CollectionRun.id))
            .where(CollectionRun.account_id == account_id)
            .scalar_subquery()
        )
        connection.execute(
            update(CollectionSlot)
            .where(CollectionSlot.account_id == account_id)
            .values(opened_at=now, opened_after_run=newest_run)
        )
        return "opened"
