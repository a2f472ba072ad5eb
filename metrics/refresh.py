"""Keeping the facts and rollups up to date: incremental refresh and full rebuild.

Storage marks every (account, UTC day) whose items or likes changed in ``rollup_dirty``,
in the same transaction as the change. ``refresh`` claims those marks (deleting them in
its own transaction), recomputes the facts of every thread with an item on a marked day,
then the rollups of every week those facts fall in. An answer settles items up to the
answer window before it, but always in its own thread, so the thread scope covers it.
A deleted account leaves its client marked in ``rollup_dirty_clients`` (by a trigger):
the client weeks that still count it are computed again too.

Everything happens in the caller's transaction: a crash or an error rolls the claim back
with the rest, and the next refresh does the work again. Two refreshes never run at the
same time (a PostgreSQL advisory lock, which writers take shared before their first row:
storage.writing; SQLite has a single writer anyway).
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from metrics.facts import (
    FactsResult,
    Scope,
    add_client_weeks,
    add_drifted_client_weeks,
    add_marked_days,
    close_scope,
    compute_facts,
    create_work_tables,
    drop_work_tables,
    engine_dialect,
    next_round,
)
from metrics.league import fill_league, forget_all, forget_changed_weeks, forget_clients
from metrics.questions import QuestionPatterns
from metrics.rollups import drifted_client_weeks, rebuild_rollups
from metrics.settings import forget_settings, sync_settings
from storage.models import RollupDirty, RollupDirtyClient
from storage.types import utcnow
from storage.writing import lock_for_refresh

# Rounds of template re-rating after the first: one settles it (see refresh()).
_MAX_ROUNDS = 3


def _combined(first: FactsResult, then: FactsResult) -> FactsResult:
    stages = dict(first.stages)
    for name, seconds in then.stages.items():
        key = f"{name} (re-rated threads)" if name not in ("texts (Python)",) else name
        stages[key] = stages.get(key, 0.0) + seconds
    return FactsResult(
        threads=first.threads + then.threads,
        items=first.items + then.items,
        classified=first.classified + then.classified,
        answered=first.answered + then.answered,
        business_computed=first.business_computed + then.business_computed,
        flipped=then.flipped,
        rerated=first.rerated + first.flipped,
        weeks=first.weeks | then.weeks,
        stages=stages,
    )


@dataclass(frozen=True)
class RefreshResult:
    """What a refresh or rebuild recomputed."""

    rebuilt: bool
    marks: int  # (account, day) marks claimed
    threads: int  # threads whose facts were recomputed (0 on a rebuild: all of them)
    items: int  # facts written
    classified: int  # items newly classified as question or not
    answered: int  # inbound items found answered among them
    business_computed: int  # business-hours times computed in Python
    account_weeks: int  # account-week rollups written
    client_weeks: int  # client-week rollups written
    weeks: frozenset[tuple[int, int]]  # (account_id, week) pairs recomputed
    seconds: float
    stages: tuple[tuple[str, float], ...] = ()  # seconds per stage, in order
    # stored replies in other threads that a new reply made templates (or no longer)
    rerated: int = 0
    # client weeks of the stored league table computed (again): metrics.league
    league_weeks: int = 0

    @property
    def nothing_to_do(self) -> bool:
        return self.items == 0 and self.account_weeks == 0 and not self.weeks


def _lock(session: Session) -> None:
    # Exclusive: no other refresh, and no writer in the middle of a batch (they take it
    # shared, first): one lock order, no deadlock with a collection (storage.writing).
    lock_for_refresh(session)
    if session.get_bind().dialect.name == "postgresql":
        # The correlated subqueries make PostgreSQL's cost estimates large enough to
        # compile statements to machine code, which takes longer than running them at
        # this size (0.4 s of a 1 s statement at 10^5 items); for this transaction only.
        session.execute(text("SET LOCAL jit = off"))
        # The facts and work tables a refresh reads are in memory, where a read by index
        # costs about what a read in sequence does. With the default cost of four times,
        # PostgreSQL read all of item_facts to find a few thousand rows by their key
        # (about 50 ms per statement at 10^5 items, ten times that at 10^6).
        session.execute(text("SET LOCAL random_page_cost = 1.1"))
        # Hashes and sorts over the facts of a rebuild (10^5-10^6 rows) in memory: with the
        # default 4 MB the rollups' aggregates and the answer joins spill to disk in
        # batches. (A refresh's are small; the setting only caps what a plan may use.)
        session.execute(text("SET LOCAL work_mem = '64MB'"))


# Local buffers of the connection for temporary tables (PostgreSQL's default: 8 MB). A
# rebuild's work tables and their indexes take a few hundred MB at 10^6 items (rw_facts
# alone about 200 bytes per item): with 8 MB every pass over them goes through the kernel
# page by page. Allocated as used, up to this much; kept by the connection until it
# closes.
_TEMP_BUFFERS = "1GB"


def _room_for_rebuild(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    # The indexes of item_facts are built again after the load: sorted in memory at 10^6.
    session.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    # Settable only before the connection's first temporary table (an error afterwards,
    # e.g. on a pooled connection that refreshed before): then it keeps what it has.
    savepoint = session.begin_nested()
    try:
        session.execute(text(f"SET temp_buffers = '{_TEMP_BUFFERS}'"))
    except DBAPIError:
        savepoint.rollback()
    else:
        savepoint.commit()


def _claim_marks(session: Session) -> list[tuple[int, date]]:
    return [
        (row.account_id, row.day)
        for row in session.execute(
            delete(RollupDirty).returning(RollupDirty.account_id, RollupDirty.day)
        )
    ]


def _claim_client_marks(session: Session) -> list[int]:
    return list(session.scalars(delete(RollupDirtyClient).returning(RollupDirtyClient.client_id)))


def refresh(
    session: Session, *, now: datetime | None = None, patterns: QuestionPatterns | None = None
) -> RefreshResult:
    """Recompute what changed since the last refresh. Cheap when nothing did.

    Safe to call repeatedly and after a crash; the caller commits (``session_scope``).
    """
    started = clock.perf_counter()
    now = now or utcnow()
    dialect = engine_dialect(session)
    _lock(session)
    marks = _claim_marks(session)
    changes = sync_settings(session, now)
    drifted = drifted_client_weeks(session, _claim_client_marks(session))
    facts_changed = bool(marks or changes.running_weeks or changes.time_zones)
    if not facts_changed and not drifted:
        # Nothing changed, but a week may have ended or an item stopped waiting since.
        league_weeks = fill_league(session, now)
        return RefreshResult(
            False, 0, 0, 0, 0, 0, 0, 0, 0, frozenset(), clock.perf_counter() - started,
            league_weeks=league_weeks,
        )  # fmt: skip
    started_facts = clock.perf_counter()
    create_work_tables(session, dialect)
    add_marked_days(session, marks)
    for client_id, first_week in changes.running_weeks.items():
        if client_id not in changes.time_zones:
            add_client_weeks(session, client_id, first_week)
    for client_id in changes.time_zones:
        add_client_weeks(session, client_id, None)
    threads = close_scope(session)
    scoped = clock.perf_counter()
    facts = FactsResult()
    if facts_changed:
        facts = compute_facts(session, dialect, Scope(everything=False), now, patterns)
        rounds = 0
        # A new reply can make stored replies in other threads templates (or no longer):
        # their threads are computed again, which changes no further template.
        while facts.flipped and rounds < _MAX_ROUNDS:
            rounds += 1
            next_round(session)
            threads += close_scope(session)
            again = compute_facts(session, dialect, Scope(everything=False), now, patterns)
            facts = _combined(facts, again)
    add_drifted_client_weeks(session, drifted)
    rolled = clock.perf_counter()
    account_weeks, client_weeks = rebuild_rollups(session, dialect, everything=False, now=now)
    forget_changed_weeks(session)
    forget_clients(
        session,
        {**changes.running_weeks, **dict.fromkeys(changes.time_zones)},  # type: ignore[dict-item]
    )
    drop_work_tables(session)
    leagued = clock.perf_counter()
    league_weeks = fill_league(session, now)
    stages = (
        ("scope", scoped - started_facts),
        *facts.stages.items(),
        ("rollups", leagued - rolled),
        ("league table", clock.perf_counter() - leagued),
    )
    return RefreshResult(
        rebuilt=False,
        marks=len(marks),
        threads=threads,
        items=facts.items,
        classified=facts.classified,
        answered=facts.answered,
        business_computed=facts.business_computed,
        account_weeks=account_weeks,
        client_weeks=client_weeks,
        weeks=frozenset(facts.weeks),
        seconds=clock.perf_counter() - started,
        stages=stages,
        rerated=facts.rerated,
        league_weeks=league_weeks,
    )


def rebuild(
    session: Session,
    *,
    now: datetime | None = None,
    current_settings: bool = False,
    reclassify: bool = False,
    patterns: QuestionPatterns | None = None,
) -> RefreshResult:
    """Recompute every fact and rollup from the stored items.

    Past weeks keep the settings stored with them unless ``current_settings`` is set;
    ``reclassify`` classifies every item again (after the question patterns changed).
    """
    started = clock.perf_counter()
    now = now or utcnow()
    dialect = engine_dialect(session)
    _lock(session)
    _room_for_rebuild(session)
    marks = _claim_marks(session)
    _claim_client_marks(session)  # every client week is computed again anyway
    if current_settings:
        forget_settings(session)
    else:
        sync_settings(session, now)
    create_work_tables(session, dialect)
    everything = Scope(everything=True)
    facts = compute_facts(session, dialect, everything, now, patterns, reclassify)
    rolled = clock.perf_counter()
    account_weeks, client_weeks = rebuild_rollups(session, dialect, everything=True, now=now)
    drop_work_tables(session)
    if dialect.name == "postgresql":
        # Fresh statistics after replacing every row: the next refresh plans with them.
        for table in ("item_facts", "account_weeks", "client_weeks", "hour_counts"):
            session.execute(text(f"ANALYZE {table}"))
    leagued = clock.perf_counter()
    forget_all(session)
    league_weeks = fill_league(session, now)
    stages = (
        *facts.stages.items(),
        ("rollups", leagued - rolled),
        ("league table", clock.perf_counter() - leagued),
    )
    return RefreshResult(
        rebuilt=True,
        marks=len(marks),
        threads=0,
        items=facts.items,
        classified=facts.classified,
        answered=facts.answered,
        business_computed=facts.business_computed,
        account_weeks=account_weeks,
        client_weeks=client_weeks,
        weeks=frozenset(facts.weeks),
        seconds=clock.perf_counter() - started,
        stages=stages,
        league_weeks=league_weeks,
    )
