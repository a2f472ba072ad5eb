"""The collector contract: what a platform collector implements and what it is handed.

A platform package (``collectors.x``, ``collectors.graph``, ``collectors.mastodon``,
``collectors.bluesky``) implements a :class:`Collector` and a :class:`CollectorFactory`
that builds it from the account's secret and the settings; the registry
(``storage.platforms``) names the factory. The runner (``collectors.runner``) opens the
run, hands the collector a :class:`RunContext` and records how the run ended.

The contract for a platform collector
-------------------------------------
A collector is any object with a ``platform`` attribute and a ``collect(run)`` method.
It talks to its platform and hands everything to ``run``:

``run.call(fetch, endpoint=...)``
    Performs one request: ``fetch`` is a zero-argument callable returning the response or
    raising one of ``collectors.errors``. ``TransientError`` (5xx, timeout, dropped
    connection) is retried here, up to ``RetryPolicy.max_retries`` times with exponential
    backoff, and only while the time the run has lost to such faults (failed attempts and
    pauses together) stays within ``RetryPolicy.budget_seconds``: a platform that keeps
    timing out, or fails every few requests, must not hold up the accounts collected after
    this one. When either runs out the run ends as ``failed`` (what was committed stays;
    the next run starts from the cursors). Every other error passes; a ``RateLimited`` is
    never slept on. When no attempt at the request that ended the run got any answer
    (``TransientError.answered`` False on each: refused, reset, DNS, timeout), the run's
    summary names the host in ``unreachable``.
``run.count_call()``
    Called by the platform's transport for every HTTP request actually sent (retries and
    429s included); it is the run's ``api_calls``.
``run.commit(Batch(...))``
    Writes items, likes, follower counts, removals and cursors in ONE transaction, and the
    run's counters with them. A cursor is only ever given in the batch that commits the
    items it covers: that is what makes killing the process at any point safe. Every
    batch passes the privacy boundary first (``collectors.privacy``): authors on the
    erasure list arrive there without their texts, names and handles.
``run.section(name)``
    Scopes a part of the work (a timeline, one post's comments). A ``MalformedResponse``
    inside is recorded as a problem with the endpoint, the section is abandoned (its cursor
    not advanced, so the next run retries it) and the run goes on.
``run.problem(PayloadProblem)``
    Records one unusable object (missing fields, a deleted author) and goes on.
``run.skip_private(platform_ids)``
    Private messages the platform showed (Mastodon ``visibility: direct``): their records
    are never made (the records module refuses them before reading anything else), the
    run counts them (``private_skipped``), and a copy stored before is deleted.
``run.account``, ``run.own``, ``run.now``, ``run.cursor(endpoint)``, ``run.read()``
    The account as stored, its own side (``storage.own_side``), the run's clock, stored
    cursors, and a read-only session for anything else the collector must know.
``run.set_platform_account_id(value)``
    Stores the id resolved from the handle on the first collection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, case, delete, or_, select, update
from sqlalchemy.orm import Session

from collectors.errors import MalformedResponse, PayloadProblem, TransientError
from collectors.privacy import KeySource, PrivacyBoundary
from collectors.redact import scrub
from storage.engine import session_factory
from storage.models import Account, CollectionCursor, CollectionRun
from storage.own_side import OwnSide, own_side_for
from storage.records import ItemRecord, LikeRecord, without_nul
from storage.upsert import (
    forget_items,
    mark_missing_from_thread,
    mark_removed,
    record_followers,
    set_cursor,
    set_roots,
    upsert_items,
    upsert_likes,
)
from storage.writing import in_transaction

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_PROBLEMS = 200  # per run; a broken endpoint must not grow one row without bound


class Collector(Protocol):
    platform: str

    def collect(self, run: RunContext) -> None: ...


class SettingsReader(Protocol):
    """The settings a factory reads (replywatch.config.Settings is one)."""

    def get(self, key: str) -> Any: ...


@dataclass(frozen=True)
class CollectorFactory:
    """How the platform's collector is built and which hosts it will call.

    ``build(secret, settings)``: the collector for an account whose secret is ``secret``
    (None for an account without credentials on a platform that allows that).
    ``api_urls(handle, signed_in, settings)``: the base URLs its requests would go to for
    this account, with the same settings ``build`` reads (a one-shot collect skips the
    accounts on a host that did not answer).
    """

    build: Callable[[str | None, SettingsReader], Collector]
    api_urls: Callable[[str, bool, SettingsReader], Sequence[str]]


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff for transient faults: base, 2×base, 4×base … ≤ max,
    at most ``max_retries`` times per request and within ``budget_seconds`` per run."""

    max_retries: int = 3
    base_delay: float = 1.0
    max_delay: float = 30.0
    # Time one run may lose to transient faults (failed attempts + pauses) before it gives
    # up: one request timing out 4 times would otherwise cost 4 timeouts plus 7 s.
    budget_seconds: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def delay(self, attempt: int) -> float:
        return min(self.base_delay * (2**attempt), self.max_delay)


@dataclass(frozen=True)
class AccountView:
    """The account as the run found it (a plain value: no session needed to read it)."""

    id: int
    client_id: int
    platform: str
    handle: str
    platform_account_id: str | None
    display_name: str | None


@dataclass(frozen=True)
class ThreadView:
    """A FULL view of a thread: every item under ``root_id`` the platform shows now."""

    root_id: str
    seen_ids: frozenset[str]


@dataclass
class Batch:
    """What one transaction writes. Cursors only together with the items they cover."""

    items: Sequence[ItemRecord] = ()
    likes: Sequence[LikeRecord] = ()
    cursors: Mapping[str, str | None] = field(default_factory=dict)  # None deletes
    removed: Sequence[str] = ()  # platform ids the platform says are gone
    threads: Sequence[ThreadView] = ()
    followers: int | None = None
    # Roots worked out for stored replies that had none (see storage.upsert.set_roots).
    roots: Mapping[str, str] = field(default_factory=dict)
    # Private messages seen: nothing of them is written; stored copies are deleted.
    private: Sequence[str] = ()


@dataclass
class CommitResult:
    new: int = 0
    updated: int = 0
    removed: int = 0
    ids: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Progress:
    """What a progress display shows while an account is collected."""

    account_id: int
    section: str
    api_calls: int
    items_new: int
    items_updated: int
    problems: int
    finished: bool = False
    outcome: str = "running"


class RunContext:
    """What a collector gets for one run; see the module docstring for the contract."""

    def __init__(
        self,
        engine: Engine,
        run_id: int,
        account: AccountView,
        own: OwnSide,
        now: datetime,
        retry: RetryPolicy,
        progress: Callable[[Progress], None] | None,
        privacy_key: KeySource | None = None,
        cursors: dict[str, str] | None = None,
    ) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)
        self.run_id = run_id
        self.account = account
        self.own = own
        self.now = now
        self._started = time.monotonic()
        self.retry = retry
        self._progress = progress
        self.api_calls = 0
        self.items_new = 0
        self.items_updated = 0
        self.items_removed = 0
        self.private_ids: set[str] = set()  # private messages seen (counted once each)
        self.fault_seconds = 0.0  # lost to transient faults so far (see RetryPolicy)
        self.problems: list[dict[str, Any]] = []
        self.abandoned: list[str] = []
        self._sections: list[str] = []
        self._privacy = PrivacyBoundary(account.platform, account.client_id, now, privacy_key)
        # The part of the run an error left (the sections are gone once it reaches the
        # runner): what its message names.
        self.failed_in: str | None = None
        # The account's stored cursors (endpoint -> value) once read; see _stored_cursors.
        self._cursors = cursors

    # --- requests -----------------------------------------------------------------

    def current_time(self) -> datetime:
        """The run's clock now: ``now`` (when the run started) plus the time taken since.

        What a collector compares a platform's reset time with; never the machine's clock,
        so that a run given another ``now`` (a test, a replay) stays consistent."""
        return self.now + timedelta(seconds=time.monotonic() - self._started)

    def count_call(self, calls: int = 1) -> None:
        self.api_calls += calls

    def call(self, fetch: Callable[[], T], *, endpoint: str) -> T:
        """Run one request, retrying transient faults with bounded backoff."""
        attempt = 0
        answered = False  # did any attempt at this request get an answer?
        while True:
            started = self.retry.clock()
            try:
                return fetch()
            except TransientError as exc:
                if exc.endpoint is None:
                    exc.endpoint = endpoint
                # A host that answered 503 once and then timed out is up but struggling,
                # not unreachable: only a request no attempt got an answer to says that.
                answered = answered or exc.answered
                exc.answered = answered
                self.fault_seconds += max(self.retry.clock() - started, 0.0)
                if attempt >= self.retry.max_retries:
                    exc.detail = f"{exc.detail}; gave up after {attempt + 1} attempts"
                    raise
                pause = self.retry.delay(attempt)
                if self.fault_seconds + pause > self.retry.budget_seconds:
                    exc.detail = (
                        f"{exc.detail}; gave up after {attempt + 1} attempts: faults have "
                        f"cost this run {self.fault_seconds:.0f} s, another retry would pass "
                        f"the retry budget of {self.retry.budget_seconds:g} s"
                    )
                    raise
                log.info("%s: %s; retrying in %.1f s", endpoint, scrub(exc.detail), pause)
                self.retry.sleep(pause)
                self.fault_seconds += pause
                attempt += 1

    # --- structure -----------------------------------------------------------------

    @property
    def where(self) -> str:
        return " > ".join(self._sections) if self._sections else "start"

    @property
    def failure_place(self) -> str:
        """Where the error that ends the run happened: the innermost part it left."""
        return self.failed_in or self.where

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        """A part of the run that a malformed response abandons without ending the run."""
        self._sections.append(name)
        self.report_progress()
        try:
            yield
        except MalformedResponse as exc:
            self._record_problem(exc.endpoint, None, f"{exc.detail}; skipped {self.where}")
            self.abandoned.append(self.where)
        except BaseException:
            if self.failed_in is None:
                self.failed_in = self.where
            raise
        finally:
            self._sections.pop()

    def skip_private(self, platform_item_ids: Sequence[str]) -> None:
        """Private messages seen: counted on the run; any copy stored earlier is deleted."""
        self.commit(Batch(private=list(platform_item_ids)))

    def problem(self, problem: PayloadProblem, endpoint: str | None = None) -> None:
        """Record an unusable object and go on."""
        self._record_problem(problem.endpoint or endpoint, problem.item_id, problem.detail)

    def _record_problem(self, endpoint: str | None, item_id: str | None, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"id": item_id, "endpoint": endpoint, "problem": scrub(text)})
        self.report_progress()

    # --- stored state ---------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session
            session.rollback()

    def _stored_cursors(self) -> dict[str, str]:
        """The account's cursors: read once a run, then kept as this run commits them.

        Nothing else writes an account's cursors while it is collected (one collection of
        an account at a time: the service's claims, ``replywatch collect``'s lease)."""
        if self._cursors is None:
            with self.read() as session:
                rows = session.execute(
                    select(CollectionCursor.endpoint, CollectionCursor.value).where(
                        CollectionCursor.account_id == self.account.id
                    )
                ).all()
            self._cursors = {endpoint: value for endpoint, value in rows}
        return self._cursors

    def cursor(self, endpoint: str) -> str | None:
        return self._stored_cursors().get(endpoint)

    def cursors_with_prefix(self, prefix: str) -> dict[str, str]:
        return {name: value for name, value in self._stored_cursors().items()
                if name.startswith(prefix)}  # fmt: skip

    def keep_cursors(self, prefix: str, young: set[str]) -> dict[str, str]:
        """The cursors under ``prefix`` named in ``young``; the others are deleted.

        Per-post cursors (thread re-reads, likers) are only kept while their post is
        young enough to be read again; the rest would pile up forever.
        """
        found = self.cursors_with_prefix(prefix)
        stale = {name: None for name in found if name not in young}
        if stale:
            self.commit(Batch(cursors=stale))
        return {name: value for name, value in found.items() if name in young}

    def set_platform_account_id(self, value: str, display_name: str | None = None) -> None:
        if display_name:
            display_name = without_nul(display_name)  # PostgreSQL refuses NUL in text
        known = self.account.platform_account_id
        if value == known and (self.account.display_name or not display_name):
            return  # the same id again (Graph collectors resolve it every run): nothing new
        values: dict[str, Any] = {"platform_account_id": value}
        if display_name:
            # A name the owner gave (or an earlier run stored) stays.
            empty = or_(Account.display_name.is_(None), Account.display_name == "")
            values["display_name"] = case((empty, display_name), else_=Account.display_name)
        with self._sessions.begin() as session:
            session.execute(update(Account).where(Account.id == self.account.id).values(values))
            if known is not None and known != value:
                # The account's id changed: its old one may no longer be on the own side.
                account = session.get(Account, self.account.id)
                assert account is not None
                self.own = own_side_for(session, account)
        if known is None:
            # What reading the own side again would add: this account's own id.
            self.own = replace(self.own, ids=self.own.ids | {value})
        self.account = replace(
            self.account,
            platform_account_id=value,
            display_name=self.account.display_name or display_name,
        )

    # --- writing --------------------------------------------------------------------

    def commit(self, batch: Batch) -> CommitResult:
        """Write one batch and the run's counters in one transaction (run again from the
        same counters when it loses a deadlock: storage.writing)."""
        saved = (self.items_new, self.items_updated, self.items_removed,
                 len(self.problems), set(self.private_ids))  # fmt: skip

        def write(session: Session) -> CommitResult:
            (self.items_new, self.items_updated, self.items_removed) = saved[:3]
            del self.problems[saved[3] :]
            self.private_ids = set(saved[4])
            return self._write(session, batch)

        result = in_transaction(self._sessions, write)
        if self._cursors is not None:  # committed: what the next cursor() answers
            for endpoint, value in batch.cursors.items():
                if value is None:
                    self._cursors.pop(endpoint, None)
                else:
                    self._cursors[endpoint] = value
        self.report_progress()
        return result

    def _write(self, session: Session, batch: Batch) -> CommitResult:
        result = CommitResult()
        # The erasure list and the pseudonyms given, for every platform (one place).
        batch = self._privacy.apply(session, batch)
        if batch.items:
            upserted = upsert_items(session, self.account.id, batch.items, seen_at=self.now)
            result.new, result.updated, result.ids = (
                upserted.new,
                upserted.updated,
                upserted.ids,
            )
        if batch.likes:
            liked = upsert_likes(session, batch.likes, seen_at=self.now)
            for item_id in sorted(set(liked.unknown_items)):
                self._record_problem(None, item_id, "likes of an item that is not stored")
        platform = self.account.platform
        if batch.removed:
            result.removed += mark_removed(session, platform, batch.removed, at=self.now)
        if batch.roots:
            set_roots(session, platform, dict(batch.roots))
        if batch.private:
            forget_items(session, platform, batch.private)
            self.private_ids.update(batch.private)
        for thread in batch.threads:
            result.removed += mark_missing_from_thread(
                session, platform, thread.root_id, thread.seen_ids, at=self.now
            )
        if batch.followers is not None:
            record_followers(session, self.account.id, batch.followers, taken_at=self.now)
        for endpoint, value in batch.cursors.items():
            if value is None:
                session.execute(
                    delete(CollectionCursor).where(
                        CollectionCursor.account_id == self.account.id,
                        CollectionCursor.endpoint == endpoint,
                    )
                )
            else:
                set_cursor(session, self.account.id, endpoint, value)
        self.items_new += result.new
        self.items_updated += result.updated
        self.items_removed += result.removed
        session.execute(
            update(CollectionRun).where(CollectionRun.id == self.run_id).values(**self.counters())
        )
        return result

    def counters(self) -> dict[str, Any]:
        return {
            "api_calls": self.api_calls,
            "items_new": self.items_new,
            "items_updated": self.items_updated + self.items_removed,
            "problems": list(self.problems),
            "private_skipped": len(self.private_ids),
        }

    def report_progress(self, finished: bool = False, outcome: str = "running") -> None:
        if self._progress is None:
            return
        self._progress(
            Progress(
                account_id=self.account.id,
                section=self.where,
                api_calls=self.api_calls,
                items_new=self.items_new,
                items_updated=self.items_updated + self.items_removed,
                problems=len(self.problems),
                finished=finished,
                outcome=outcome,
            )
        )
