"""Item facts: each item's role and, for inbound items, whether and when it was answered.

The facts are computed by SQL inside the database, for a *scope* of threads at a time:
everything an answer rule looks at (parent, root, the author's later messages, the
top-level comment) lies inside the item's thread, so recomputing every thread that a new
or changed item touches is exactly enough. A full rebuild is the same statements without
the scope. Two steps run in Python because SQL cannot express them portably, and both
touch only the facts in scope: question classification of items not classified yet, and
the business-hours response time of answered items of clients with a schedule.

Work tables are temporary (per connection), so two processes never share them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any

from sqlalchemy import Engine, bindparam, text
from sqlalchemy.orm import Session

from metrics.clock import BusinessClock, microseconds
from metrics.questions import QuestionPatterns, default_patterns, is_question
from metrics.settings import ensure_settings
from metrics.sql import (
    ANSWER_ROLES,
    FLAT_PLATFORMS,
    OWN_ROLES,
    Dialect,
    from_us,
    hour_of_week_sql,
    local_offset_sql,
    local_week_sql,
    sql_list,
    utc_offsets,
)
from storage.types import UTCDateTime

BATCH = 5000

WORK_TABLES = {
    "rw_threads_raw": "platform VARCHAR(16) NOT NULL, thread_key VARCHAR(300) NOT NULL",
    "rw_threads": (
        "platform VARCHAR(16) NOT NULL, thread_key VARCHAR(300) NOT NULL, "
        "PRIMARY KEY (platform, thread_key)"
    ),
    "rw_items": "item_id {bigint} PRIMARY KEY",
    "rw_weeks_raw": "account_id INTEGER NOT NULL, week INTEGER NOT NULL",
    "rw_weeks": (
        "account_id INTEGER NOT NULL, week INTEGER NOT NULL, PRIMARY KEY (account_id, week)"
    ),
    "rw_client_weeks": (
        "client_id INTEGER NOT NULL, week INTEGER NOT NULL, PRIMARY KEY (client_id, week)"
    ),
    "rw_first": "item_id {bigint} PRIMARY KEY, first_us {bigint} NOT NULL, rule INTEGER NOT NULL",
    "rw_values": "item_id {bigint} PRIMARY KEY, value {bigint}",
}


def create_work_tables(session: Session, dialect: Dialect) -> None:
    for name, columns in WORK_TABLES.items():
        session.execute(text(dialect.temp_table(name, columns.format(bigint=dialect.bigint))))
        session.execute(text(f"DELETE FROM {name}"))


def drop_work_tables(session: Session) -> None:
    for name in WORK_TABLES:
        session.execute(text(f"DROP TABLE IF EXISTS {name}"))


@dataclass
class Scope:
    """Which facts a run recomputes: the items in ``rw_items``, or everything."""

    everything: bool

    def items(self, alias: str) -> str:
        return "TRUE" if self.everything else f"{alias}.id IN (SELECT item_id FROM rw_items)"

    def facts(self, alias: str = "item_facts") -> str:
        if self.everything:
            return "TRUE"
        return f"{alias}.item_id IN (SELECT item_id FROM rw_items)"


@dataclass
class FactsResult:
    threads: int = 0
    items: int = 0
    classified: int = 0
    answered: int = 0
    business_computed: int = 0
    weeks: set[tuple[int, int]] = field(default_factory=set)
    stages: dict[str, float] = field(default_factory=dict)


# --- scope -------------------------------------------------------------------------------

_THREADS_OF_DAY = """
INSERT INTO rw_threads_raw (platform, thread_key)
SELECT i.platform, COALESCE(i.root_id, i.platform_item_id) FROM items i
WHERE i.account_id = :account_id AND i.created_at >= :first AND i.created_at < :after
UNION ALL
SELECT f.platform, f.thread_key FROM item_facts f JOIN items i ON i.id = f.item_id
WHERE i.account_id = :account_id AND i.created_at >= :first AND i.created_at < :after
"""


def add_marked_days(session: Session, marks: Iterable[tuple[int, date]]) -> None:
    """Put the threads of items created on these (account, UTC day) pairs in scope."""
    rows = [
        {
            "account_id": account_id,
            "first": datetime.combine(day, time(0), tzinfo=UTC),
            "after": datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC),
        }
        for account_id, day in marks
    ]
    if rows:
        statement = text(_THREADS_OF_DAY).bindparams(
            bindparam("first", type_=UTCDateTime()), bindparam("after", type_=UTCDateTime())
        )
        session.execute(statement, rows)


def add_client_weeks(session: Session, client_id: int, first_week: int | None) -> None:
    """Put the threads of a client's facts from ``first_week`` on (all when None) in scope."""
    week_condition = "" if first_week is None else "AND f.local_week >= :first_week"
    session.execute(
        text(
            f"""
INSERT INTO rw_threads_raw (platform, thread_key)
SELECT f.platform, f.thread_key FROM item_facts f
WHERE f.account_id IN (SELECT id FROM accounts WHERE client_id = :client_id) {week_condition}
"""
        ),
        {"client_id": client_id, "first_week": first_week},
    )


def close_scope(session: Session) -> int:
    """Deduplicate the threads in scope and list their items; returns the thread count."""
    session.execute(
        text(
            "INSERT INTO rw_threads (platform, thread_key) "
            "SELECT DISTINCT platform, thread_key FROM rw_threads_raw"
        )
    )
    session.execute(
        text(
            """
INSERT INTO rw_items (item_id)
SELECT i.id FROM rw_threads t JOIN items i ON i.platform = t.platform AND i.root_id = t.thread_key
UNION
SELECT i.id FROM rw_threads t JOIN items i
  ON i.platform = t.platform AND i.platform_item_id = t.thread_key
  AND (i.root_id IS NULL OR i.root_id = i.platform_item_id)
UNION
SELECT f.item_id FROM rw_threads t JOIN item_facts f
  ON f.platform = t.platform AND f.thread_key = t.thread_key
"""
        )
    )
    return int(session.execute(text("SELECT COUNT(*) FROM rw_threads")).scalar_one())


def record_weeks(session: Session, scope: Scope) -> None:
    """Remember the (account, week) pairs of the facts in scope: their rollups change."""
    session.execute(
        text(
            "INSERT INTO rw_weeks_raw (account_id, week) "
            f"SELECT DISTINCT f.account_id, f.local_week FROM item_facts f WHERE {scope.facts('f')}"
        )
    )


def close_weeks(session: Session) -> set[tuple[int, int]]:
    session.execute(
        text(
            "INSERT INTO rw_weeks (account_id, week) "
            "SELECT DISTINCT account_id, week FROM rw_weeks_raw"
        )
    )
    session.execute(
        text(
            "INSERT INTO rw_client_weeks (client_id, week) "
            "SELECT DISTINCT a.client_id, w.week FROM rw_weeks w "
            "JOIN accounts a ON a.id = w.account_id"
        )
    )
    rows = session.execute(text("SELECT account_id, week FROM rw_weeks"))
    return {(row[0], row[1]) for row in rows}


# --- questions ---------------------------------------------------------------------------


def _bulk_values(session: Session, values: list[tuple[int, int | None]]) -> None:
    session.execute(text("DELETE FROM rw_values"))
    if values:
        session.execute(
            text("INSERT INTO rw_values (item_id, value) VALUES (:item_id, :value)"),
            [{"item_id": item_id, "value": value} for item_id, value in values],
        )


def _keyset(session: Session, query: str, params: dict[str, Any]) -> Iterator[list[Any]]:
    """Rows of ``query`` (which must filter ``id > :after`` and order by id) in batches.

    Keyset pages instead of one open cursor: the caller writes between pages, which an
    open SQLite cursor on the same connection does not tolerate.
    """
    after = -1
    while True:
        rows = session.execute(text(query), {**params, "after": after, "limit": BATCH}).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def classify_questions(
    session: Session,
    scope: Scope,
    patterns: QuestionPatterns | None = None,
    reclassify: bool = False,
) -> int:
    """Set ``items.is_question`` on items from outside the own side; returns how many."""
    patterns = patterns or default_patterns()
    unclassified = "" if reclassify else "AND i.is_question IS NULL"
    query = f"""
SELECT i.id, i.text FROM items i
WHERE i.id > :after AND NOT i.is_own {unclassified} AND {scope.items("i")}
ORDER BY i.id LIMIT :limit"""
    done = 0
    for rows in _keyset(session, query, {}):
        _bulk_values(session, [(row[0], int(is_question(row[1], patterns))) for row in rows])
        session.execute(
            text(
                "UPDATE items SET is_question = (v.value = 1) "
                "FROM rw_values v WHERE v.item_id = items.id"
            )
        )
        done += len(rows)
    return done


# --- facts -------------------------------------------------------------------------------


def _role_sql() -> str:
    parent_own = "(p.is_own AND pa.client_id = a.client_id)"
    root_own = "(r.is_own AND ra.client_id = a.client_id)"
    return f"""CASE
    WHEN i.kind = 'repost' THEN CASE WHEN i.is_own THEN 'own_repost' ELSE 'other' END
    WHEN i.is_own THEN CASE
      WHEN i.parent_id IS NULL THEN 'post'
      WHEN {parent_own} THEN 'own_thread'
      ELSE 'own_reply' END
    WHEN i.mentions_account OR i.kind = 'visitor_post' OR {parent_own} OR {root_own}
      THEN 'inbound'
    ELSE 'other' END"""


def insert_facts_sql(dialect: Dialect, scope: Scope) -> str:
    """Facts for the items in scope, without local time, windows and answers yet."""
    flat = sql_list(FLAT_PLATFORMS)
    return f"""
INSERT INTO item_facts (item_id, client_id, account_id, platform, parent_item, thread_key,
  top_key, author_key, created_us, local_week, hour_of_week, role, is_question, liked_by_own,
  own_likes, removed, interactions, answered)
SELECT i.id, a.client_id, i.account_id, i.platform, p.id,
  COALESCE(i.root_id, i.platform_item_id),
  CASE WHEN i.platform IN ({flat}) AND i.parent_id IS NOT NULL THEN
    CASE WHEN i.parent_id = COALESCE(i.root_id, i.platform_item_id) THEN i.platform_item_id
    ELSE i.parent_id END
  END,
  COALESCE(i.author_id, 'handle:' || LOWER(LTRIM(i.author_handle, '@'))),
  {dialect.epoch_us("i.created_at")}, 0, 0,
  {_role_sql()},
  i.is_question,
  EXISTS (SELECT 1 FROM likes l WHERE l.item_id = i.id AND l.is_own),
  (SELECT COUNT(*) FROM likes l WHERE l.item_id = i.id AND l.is_own),
  i.removed_at IS NOT NULL,
  0,
  FALSE
FROM items i
JOIN accounts a ON a.id = i.account_id
LEFT JOIN items p ON p.platform = i.platform AND p.platform_item_id = i.parent_id
LEFT JOIN accounts pa ON pa.id = p.account_id
LEFT JOIN items r ON r.platform = i.platform AND r.platform_item_id = i.root_id AND r.id <> i.id
LEFT JOIN accounts ra ON ra.id = r.account_id
WHERE {scope.items("i")}
"""


def insert_facts(session: Session, dialect: Dialect, scope: Scope) -> int:
    return session.execute(text(insert_facts_sql(dialect, scope))).rowcount or 0


def zones_sql(scope: Scope) -> str:
    """The time zones of the facts in scope, with the span of their creation times."""
    return f"""
SELECT c.time_zone, MIN(f.created_us), MAX(f.created_us)
FROM item_facts f JOIN clients c ON c.id = f.client_id
WHERE {scope.facts("f")}
GROUP BY c.time_zone"""


def local_time_sql(
    dialect: Dialect, scope: Scope, time_zone: str, first_us: int, last_us: int
) -> str:
    """Local ISO week and hour of week of the facts of clients in ``time_zone``.

    The zone's UTC offsets over the span become a CASE over the creation time, so the
    database needs no time-zone support (SQLite has none). Bind ``:time_zone``.
    """
    offset = local_offset_sql("created_us", utc_offsets(time_zone, first_us, last_us))
    local = f"(created_us + {offset})"
    return f"""
UPDATE item_facts SET local_week = {local_week_sql(dialect, local)},
  hour_of_week = {hour_of_week_sql(dialect, local)}
WHERE client_id IN (SELECT id FROM clients WHERE time_zone = :time_zone)
  AND {scope.facts()}"""


def set_local_time(session: Session, dialect: Dialect, scope: Scope) -> None:
    """Local ISO week and hour of week, one statement per time zone in use."""
    for time_zone, first_us, last_us in session.execute(text(zones_sql(scope))).all():
        session.execute(
            text(local_time_sql(dialect, scope, time_zone, first_us, last_us)),
            {"time_zone": time_zone},
        )


def ensure_week_settings(session: Session, scope: Scope, now: datetime | None) -> int:
    pairs = session.execute(
        text(f"SELECT DISTINCT client_id, local_week FROM item_facts f WHERE {scope.facts('f')}")
    )
    return ensure_settings(session, {(row[0], row[1]) for row in pairs}, now)


def windows_sql(scope: Scope) -> str:
    return f"""
UPDATE item_facts SET window_us = CAST(s.answer_window_seconds AS BIGINT) * 1000000
FROM metric_settings s
WHERE s.client_id = item_facts.client_id AND s.week = item_facts.local_week
  AND item_facts.role = 'inbound' AND {scope.facts()}"""


def interactions_sql(scope: Scope) -> str:
    """Interactions of an own post: inbound items in its thread, likes by others, reposts."""
    return f"""
UPDATE item_facts SET interactions =
  (SELECT CASE WHEN i.like_count > item_facts.own_likes
            THEN i.like_count - item_facts.own_likes ELSE 0 END + i.repost_count
   FROM items i WHERE i.id = item_facts.item_id)
  + (SELECT COUNT(*) FROM item_facts c
     WHERE c.platform = item_facts.platform AND c.thread_key = item_facts.thread_key
       AND c.role = 'inbound' AND c.client_id = item_facts.client_id)
WHERE item_facts.role = 'post' AND {scope.facts()}"""


def set_windows_and_interactions(session: Session, scope: Scope) -> None:
    session.execute(text(windows_sql(scope)))
    session.execute(text(interactions_sql(scope)))


def attribution_sql(scope: Scope) -> list[str]:
    """The first covering own reply of each inbound item in scope (docs/metrics.md rules).

    Three statements: find the earliest answer by the three rules into ``rw_first``,
    copy it to the facts, then derive answered, response time and settling time.
    """
    answer = sql_list(ANSWER_ROLES)
    covers = (
        f"r.role IN ({answer}) AND r.client_id = x.client_id "
        "AND r.created_us <= x.created_us + x.window_us"
    )
    inbound = f"x.role = 'inbound' AND {scope.facts('x')}"
    return [
        f"""
INSERT INTO rw_first (item_id, first_us, rule)
SELECT item_id, first_us, rule FROM (
  SELECT item_id, first_us, rule,
    ROW_NUMBER() OVER (PARTITION BY item_id ORDER BY first_us, rule) AS rn
  FROM (
    SELECT x.item_id, r.created_us AS first_us, 1 AS rule
    FROM item_facts x JOIN item_facts r ON r.parent_item = x.item_id
    WHERE {inbound} AND {covers} AND r.created_us >= x.created_us
    UNION ALL
    SELECT x.item_id, r.created_us, 2
    FROM item_facts x
    JOIN item_facts y ON y.platform = x.platform AND y.thread_key = x.thread_key
      AND y.author_key = x.author_key AND y.created_us >= x.created_us
      AND y.item_id <> x.item_id AND y.role IN ('inbound', 'other')
    JOIN item_facts r ON r.parent_item = y.item_id
    WHERE {inbound} AND {covers} AND r.created_us >= x.created_us
    UNION ALL
    SELECT x.item_id, r.created_us, 3
    FROM item_facts x JOIN item_facts r ON r.platform = x.platform AND r.top_key = x.top_key
      AND r.thread_key = x.thread_key
    WHERE {inbound} AND x.top_key IS NOT NULL AND {covers} AND r.created_us > x.created_us
  ) candidates
) ranked
WHERE rn = 1""",
        """
UPDATE item_facts SET first_response_us = a.first_us, answer_rule = a.rule
FROM rw_first a WHERE a.item_id = item_facts.item_id""",
        f"""
UPDATE item_facts SET answered = (first_response_us IS NOT NULL),
  response_us = first_response_us - created_us,
  settles_us = COALESCE(first_response_us, created_us + window_us)
WHERE role = 'inbound' AND {scope.facts()}""",
    ]


def attribute_answers(session: Session, scope: Scope) -> int:
    for statement in attribution_sql(scope):
        session.execute(text(statement))
    return int(session.execute(text("SELECT COUNT(*) FROM rw_first")).scalar_one())


def around_the_clock_sql(scope: Scope) -> str:
    """Without a schedule the business-hours time is the wall-clock time."""
    return f"""
UPDATE item_facts SET business_us = response_us
FROM metric_settings s
WHERE s.client_id = item_facts.client_id AND s.week = item_facts.local_week
  AND s.business_hours IS NULL AND item_facts.answered AND {scope.facts()}"""


def set_business_times(session: Session, scope: Scope) -> int:
    """Business-hours response times; computed in Python where a schedule applies."""
    session.execute(text(around_the_clock_sql(scope)))
    query = f"""
SELECT f.item_id, f.created_us, f.first_response_us, s.business_hours, s.time_zone,
  s.holiday_region
FROM item_facts f
JOIN metric_settings s ON s.client_id = f.client_id AND s.week = f.local_week
WHERE f.item_id > :after AND f.answered AND s.business_hours IS NOT NULL AND {scope.facts("f")}
ORDER BY f.item_id LIMIT :limit"""
    clocks: dict[tuple[str, str, str | None], BusinessClock] = {}
    done = 0
    for rows in _keyset(session, query, {}):
        values = []
        for item_id, created_us, first_us, hours, time_zone, region in rows:
            key = (hours, time_zone, region)
            clock = clocks.get(key)
            if clock is None:
                clock = clocks[key] = BusinessClock.from_settings(hours, time_zone, region)
            values.append(
                (item_id, microseconds(clock.business_time(from_us(created_us), from_us(first_us))))
            )
        _bulk_values(session, values)
        session.execute(
            text(
                "UPDATE item_facts SET business_us = v.value "
                "FROM rw_values v WHERE v.item_id = item_facts.item_id"
            )
        )
        done += len(values)
    return done


class _Stages:
    """Seconds spent per stage, for the benchmark and for ``RefreshResult.stages``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = perf_counter()

    def mark(self, name: str) -> None:
        now = perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._started
        self._started = now


def compute_facts(
    session: Session,
    dialect: Dialect,
    scope: Scope,
    now: datetime | None = None,
    patterns: QuestionPatterns | None = None,
    reclassify: bool = False,
) -> FactsResult:
    """Recompute the facts in scope (work tables filled by the caller)."""
    result = FactsResult()
    stages = _Stages()
    result.classified = classify_questions(session, scope, patterns, reclassify)
    stages.mark("questions (Python)")
    record_weeks(session, scope)
    session.execute(text(f"DELETE FROM item_facts WHERE {scope.facts()}"))
    result.items = insert_facts(session, dialect, scope)
    stages.mark("roles")
    set_local_time(session, dialect, scope)
    stages.mark("local time")
    ensure_week_settings(session, scope, now)
    set_windows_and_interactions(session, scope)
    stages.mark("windows, interactions")
    result.answered = attribute_answers(session, scope)
    stages.mark("answers")
    result.business_computed = set_business_times(session, scope)
    stages.mark("business hours (Python)")
    record_weeks(session, scope)
    result.weeks = close_weeks(session)
    stages.mark("weeks")
    result.stages = stages.seconds
    return result


def engine_dialect(bind: Session | Engine) -> Dialect:
    from metrics.sql import dialect_of

    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return dialect_of(engine.dialect.name)


__all__ = [
    "OWN_ROLES",
    "FactsResult",
    "Scope",
    "add_client_weeks",
    "add_marked_days",
    "close_scope",
    "compute_facts",
    "create_work_tables",
    "drop_work_tables",
    "engine_dialect",
]
