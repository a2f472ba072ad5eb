"""Leases: cross-process exclusion that works the same on SQLite and PostgreSQL.

A lease is one row of ``leases``: a key (``collect:account:7``), the owner that holds it
and when the claim runs out. Taking it is one atomic ``INSERT … ON CONFLICT DO UPDATE …
WHERE expires_at <= now``: the row is written only when nobody holds the key or the
holder's time is up, so of two processes racing for a key exactly one gets a row back.
A holder renews while it works; a holder that is killed stops renewing and its lease
expires, so crashed work is picked up again after at most one lease duration.

On PostgreSQL the claim on collecting an account is more than its lease row: whoever
collects holds the account's row in ``collection_slots`` locked (storage.collection_slots),
and only the holder of that lock writes the ``collect:account:N`` lease, which is then a
record of who collects (``status``, interrupted runs) rather than the exclusion itself. A
killed holder's lock goes with its connection, so the next process takes the account at
once and overwrites the stale record.

Times come from the caller's clock. Processes on several machines sharing one
PostgreSQL must keep their clocks in sync (NTP); leases last minutes, so a skew of
seconds is harmless. Advisory locks would free a crashed holder sooner on PostgreSQL but
have no SQLite counterpart and cannot be renewed, inspected or shown in ``status``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from storage import collection_slots
from storage.clock import SYSTEM_CLOCK, Clock
from storage.collection_slots import SlotClaim
from storage.models import Lease

log = logging.getLogger(__name__)


COLLECTION_PREFIX = "collect:account:"


def collection_key(account_id: int) -> str:
    """The claim on collecting one account: held by whoever collects it (the service's job
    or ``replywatch collect``), so that an account is never collected twice at once."""
    return f"{COLLECTION_PREFIX}{account_id}"


def new_owner(label: str = "") -> str:
    """A name for one holder: host, process and a random part (pids are reused)."""
    prefix = f"{label}@" if label else ""
    return f"{prefix}{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_alive(owner: str) -> bool | None:
    """Whether the process of a :func:`new_owner` name still runs: True or False when it
    ran on this machine, None when that cannot be told here (another machine, another
    kind of name). A killed holder's lease stays until it expires; this tells at once."""
    host, _, tail = owner.rpartition("@")[2].partition(":")
    pid_text, _, _ = tail.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return None
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def holder_gone(info: LeaseInfo | None) -> bool:
    """True when nobody works under a lease: free, expired, or its process has ended."""
    return info is None or owner_alive(info.owner) is False


@dataclass(frozen=True)
class LeaseInfo:
    key: str
    owner: str
    acquired_at: datetime
    expires_at: datetime


def _insert(connection: Connection):  # type: ignore[no-untyped-def]
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(Lease)
    if dialect == "sqlite":
        return sqlite.insert(Lease)
    raise NotImplementedError(f"leases need SQLite or PostgreSQL, not {dialect}")


def try_acquire(
    connection: Connection, key: str, owner: str, ttl: timedelta, now: datetime
) -> bool:
    """Take ``key`` for ``owner`` until ``now + ttl`` if it is free or expired.

    Runs inside the caller's transaction, so a caller can take a lease and change other
    rows atomically. Not re-entrant: a key held by the same owner is not taken again.
    """
    insert = _insert(connection).values(key=key, owner=owner, acquired_at=now, expires_at=now + ttl)
    statement = insert.on_conflict_do_update(
        index_elements=[Lease.key],
        set_={
            "owner": insert.excluded.owner,
            "acquired_at": insert.excluded.acquired_at,
            "expires_at": insert.excluded.expires_at,
        },
        where=Lease.expires_at <= now,
    ).returning(Lease.owner)
    return connection.execute(statement).first() is not None


def write_lease(
    connection: Connection, key: str, owner: str, ttl: timedelta, now: datetime
) -> None:
    """Write ``key`` for ``owner`` whoever held it: only for a caller that holds the
    work's real claim (a row lock), which proves that any other holder has ended."""
    insert = _insert(connection).values(key=key, owner=owner, acquired_at=now, expires_at=now + ttl)
    connection.execute(
        insert.on_conflict_do_update(
            index_elements=[Lease.key],
            set_={
                "owner": insert.excluded.owner,
                "acquired_at": insert.excluded.acquired_at,
                "expires_at": insert.excluded.expires_at,
            },
        )
    )


def collection_account(key: str) -> int | None:
    """The account of a :func:`collection_key`, None for any other key."""
    tail = key.removeprefix(COLLECTION_PREFIX)
    return int(tail) if tail != key and tail.isdigit() else None


def take_from_ended(
    connection: Connection, key: str, ended: str, owner: str, ttl: timedelta, now: datetime
) -> bool:
    """Take ``key`` from ``ended``, a holder whose process has ended (``owner_alive`` is
    False), before its lease expires; only while ``ended`` still holds it."""
    taken = connection.execute(
        update(Lease)
        .where(Lease.key == key, Lease.owner == ended)
        .values(owner=owner, acquired_at=now, expires_at=now + ttl)
    )
    return taken.rowcount == 1


def renew(
    connection: Connection, owner: str, ttl: timedelta, now: datetime, keys: set[str] | None = None
) -> set[str]:
    """Extend the leases ``owner`` still holds (all, or only ``keys``); returns those keys.

    A lease that expired may already belong to somebody else; the owner check keeps it
    theirs, and the caller learns it lost the key because it is missing from the result.
    An expired lease nobody took in the meantime is still the owner's: nobody else can
    have worked on it without writing their name into the row.
    """
    statement = (
        update(Lease).where(Lease.owner == owner).values(expires_at=now + ttl).returning(Lease.key)
    )
    if keys is not None:
        if not keys:
            return set()
        statement = statement.where(Lease.key.in_(keys))
    return set(connection.execute(statement).scalars())


def release(connection: Connection, key: str, owner: str) -> bool:
    result = connection.execute(delete(Lease).where(Lease.key == key, Lease.owner == owner))
    return result.rowcount == 1


def release_all(connection: Connection, owner: str) -> int:
    return connection.execute(delete(Lease).where(Lease.owner == owner)).rowcount


_COLUMNS = select(Lease.key, Lease.owner, Lease.acquired_at, Lease.expires_at)


def holder(connection: Connection, key: str, now: datetime) -> LeaseInfo | None:
    """Who holds ``key`` right now (None when free or expired)."""
    row = connection.execute(_COLUMNS.where(Lease.key == key, Lease.expires_at > now)).first()
    return LeaseInfo(*row) if row is not None else None


def active_leases(connection: Connection, now: datetime, prefix: str = "") -> list[LeaseInfo]:
    rows = connection.execute(
        _COLUMNS.where(
            Lease.expires_at > now, Lease.key.startswith(prefix, autoescape=True)
        ).order_by(Lease.key)
    )
    return [LeaseInfo(*row) for row in rows]


class LeaseKeeper:
    """The leases of one process: take, hold while renewing in the background, give back.

    One owner name per keeper; a heartbeat thread renews everything it holds every
    ``ttl / 3``. When a renewal finds a key gone (the process stalled longer than the
    ttl, or the database was unreachable that long) the key is reported through
    ``on_lost`` and ``is_held`` turns false, so the work can stop at its next check.
    """

    def __init__(
        self,
        engine: Engine,
        ttl: timedelta = timedelta(minutes=2),
        *,
        owner: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
        on_lost: Callable[[str], None] | None = None,
    ) -> None:
        self.engine = engine
        self.ttl = ttl
        self.owner = owner or new_owner()
        self.clock = clock
        self.on_lost = on_lost
        self._held: set[str] = set()
        # Row locks behind collection leases (PostgreSQL), by key.
        self._claims: dict[str, SlotClaim] = {}
        self._claim_engine: Engine | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- taking and giving back -------------------------------------------------------

    def _row_locking(self, key: str) -> int | None:
        """The account whose row lock backs ``key`` on this database, if any."""
        if not collection_slots.shared(self.engine):
            return None
        return collection_account(key)

    def claims_engine(self, holders: int = 0) -> Engine:
        """The engine this keeper's collection claims use (made on first use; ``holders``:
        how many claims it holds at once, for its pool)."""
        if self._claim_engine is None:
            self._claim_engine = collection_slots.claim_engine(self.engine, holders)
        return self._claim_engine

    def try_acquire(self, key: str) -> bool:
        account_id = self._row_locking(key)
        if account_id is not None:
            with self._lock:
                if key in self._held:
                    return False
            try:
                claim = collection_slots.claim_account(self.claims_engine(), account_id, self.ttl)
            except collection_slots.AccountMissing:
                claim = None  # no row to lock: the lease alone, as on SQLite
            else:
                if claim is None:
                    return False  # somebody collects it: their row lock
                self.adopt(key, claim)
                return True
        with self._lock:
            if key in self._held:
                return False  # another thread of this process has it
            with self.engine.begin() as connection:
                now = self.clock.now()
                taken = try_acquire(connection, key, self.owner, self.ttl, now)
                if not taken and key.startswith(COLLECTION_PREFIX):
                    # A collector killed on this machine collects no more: its claim is
                    # taken at once, not a lease time later (the run resumes from its
                    # cursors). Leadership still waits for expiry.
                    found = holder(connection, key, now)
                    if found is not None and owner_alive(found.owner) is False:
                        taken = take_from_ended(
                            connection, key, found.owner, self.owner, self.ttl, now
                        )
            if taken:
                self._held.add(key)
            return taken

    def adopt(self, key: str, claim: SlotClaim) -> None:
        """Hold ``key`` on the strength of ``claim`` (its row lock): the lease row is
        written whoever it named (a killed holder's record), and the claim ends with
        :meth:`release`. On failure the claim is given back."""
        try:
            with self.engine.begin() as connection:
                write_lease(connection, key, self.owner, self.ttl, self.clock.now())
        except BaseException:
            claim.give_back()
            raise
        with self._lock:
            self._held.add(key)
            self._claims[key] = claim

    def release(self, key: str, *, close_slot: bool = False) -> None:
        """Give ``key`` back; for a collection claim, ``close_slot`` says its open slot was
        collected (the service's collections; a collection by hand leaves it due)."""
        with self._lock:
            self._held.discard(key)
            claim = self._claims.pop(key, None)
        if claim is not None:
            try:
                claim.finish(self.clock.now(), close_slot)
            except SQLAlchemyError as exc:
                # Rolled back with the connection: the slot stays due, nothing is lost.
                log.warning("could not close the slot of %s (it stays due): %s", key, exc)
        try:
            with self.engine.begin() as connection:
                release(connection, key, self.owner)
        except SQLAlchemyError as exc:
            # It expires by itself; the next holder only waits a little longer.
            log.warning("could not release lease %s (it will expire): %s", key, exc)

    def release_all(self, *, give_back_claims: bool = True) -> None:
        """Give back everything. ``give_back_claims=False`` leaves the row locks to the
        end of the process (abandoned work that may still write must keep its claim)."""
        with self._lock:
            self._held.clear()
            claims = list(self._claims.values()) if give_back_claims else []
            if give_back_claims:
                self._claims.clear()
        for claim in claims:
            claim.give_back()
        try:
            with self.engine.begin() as connection:
                release_all(connection, self.owner)
        except SQLAlchemyError as exc:
            log.warning("could not release leases of %s (they will expire): %s", self.owner, exc)

    def is_held(self, key: str) -> bool:
        with self._lock:
            return key in self._held

    @contextmanager
    def hold(self, key: str) -> Iterator[bool]:
        """``with keeper.hold(key) as taken:``; released on leaving when taken."""
        taken = self.try_acquire(key)
        try:
            yield taken
        finally:
            if taken:
                self.release(key)

    # -- renewing ---------------------------------------------------------------------

    def renew_now(self) -> set[str]:
        """Renew every held lease once; returns the keys that were lost."""
        with self._lock:
            held = set(self._held)
            if not held:
                return set()
            with self.engine.begin() as connection:
                kept = renew(connection, self.owner, self.ttl, self.clock.now(), held)
            lost = held - kept
            self._held -= lost
        for key in sorted(lost):
            log.error("lease %s was lost (not renewed in time); its work must stop", key)
            if self.on_lost:
                self.on_lost(key)
        return lost

    def start_renewing(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._renew_loop, name="lease-renewal", daemon=True)
        self._thread.start()

    def stop_renewing(self, timeout: float | None = None) -> None:
        """Stop the heartbeat; waits for a renewal in progress (at most ``timeout``)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _renew_loop(self) -> None:
        interval = max(self.ttl.total_seconds() / 3, 0.05)
        while not self._stop.wait(interval):
            try:
                self.renew_now()
            except SQLAlchemyError as exc:
                # Keep trying: the database may come back before the leases run out.
                log.warning("renewing leases failed, retrying in %.0f s: %s", interval, exc)
