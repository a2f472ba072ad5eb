"""Item facts: each item's role and, for inbound items, whether and when it was answered.

The facts are computed by SQL inside the database, for a *scope* of threads at a time:
everything an answer rule looks at (parent, root, the author's later messages, the
top-level comment) lies inside the item's thread, so recomputing every thread that a new
or changed item touches is exactly enough. A full rebuild is the same statements without
the scope. Two steps run in Python because SQL cannot express them portably, and both
touch only the facts in scope: question classification of items not classified yet, and
the business-hours response time of answered items of clients with a schedule.

The facts of the scope are built in a temporary table ``rw_facts`` (small in an
incremental run) by one insert that knows each item's role, structure and local time.
The rules then write what they find into narrow work tables keyed by item (the first
answer, template replies, business-hours times, ...) instead of updating ``rw_facts``:
only the few roles that follow-ups and acknowledgments change are updated in place. The
stored facts are ``rw_facts`` joined with those tables, written once into ``item_facts``
(a rebuild) or swapped in for the facts of the scope (a refresh). A row store such as
PostgreSQL writes a whole new row for every update, so the former dozen update passes
over every fact cost more than computing the facts. Work tables are temporary (per
connection), so two processes never share them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter
from typing import Any

from sqlalchemy import Engine, Table, bindparam, text
from sqlalchemy.orm import Session

from metrics.acknowledgments import (
    AcknowledgmentPatterns,
    default_acknowledgments,
    is_acknowledgment_text,
)
from metrics.clock import BusinessClock, microseconds
from metrics.questions import QuestionPatterns, default_patterns, is_question
from metrics.replies import ReplyPatterns, default_replies, is_redirect, reply_key
from metrics.settings import ensure_settings
from metrics.sql import (
    ANSWER_ROLES,
    OUTSIDER_ROLES,
    OWN_ROLES,
    TEMPLATE_WINDOW_US,
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
    "rw_client_accounts": (
        "account_id INTEGER NOT NULL, week INTEGER NOT NULL, PRIMARY KEY (account_id, week)"
    ),
    "rw_first": "item_id {bigint} PRIMARY KEY, first_us {bigint} NOT NULL, rule INTEGER NOT NULL",
    # every (inbound item, own reply covering it) pair: the first one is rw_first's
    "rw_cover": (
        "x_item {bigint} NOT NULL, r_item {bigint} NOT NULL, first_us {bigint} NOT NULL, "
        "rule INTEGER NOT NULL"
    ),
    "rw_values": "item_id {bigint} PRIMARY KEY, value {bigint}",
    "rw_texts": (
        "item_id {bigint} PRIMARY KEY, question INTEGER, ack INTEGER, redirect INTEGER, "
        "reply_key {bigint}"
    ),
    # own replies in scope, which the template rule compares with (besides the stored ones)
    "rw_evidence": (
        "item_id {bigint} PRIMARY KEY, client_id INTEGER NOT NULL, reply_key {bigint} NOT NULL, "
        "created_us {bigint} NOT NULL, customer_key VARCHAR(300) NOT NULL"
    ),
    # own replies whose (text, customer, time) a run added or took away
    "rw_changed": (
        "client_id INTEGER NOT NULL, reply_key {bigint} NOT NULL, created_us {bigint} NOT NULL, "
        "customer_key VARCHAR(300) NOT NULL"
    ),
    # out-of-scope own replies whose template flag a change turned over
    "rw_flipped": "item_id {bigint} PRIMARY KEY",
    # inbound items: the answer window of their client week, and whether it has a schedule
    "rw_windows": "item_id {bigint} PRIMARY KEY, window_us {bigint}, scheduled INTEGER NOT NULL",
    # what the rules found, by item, joined into the facts once when they are stored:
    # template replies, replies that cover an inbound item, substantively answered items
    "rw_template": "item_id {bigint} PRIMARY KEY",
    "rw_answering": "item_id {bigint} PRIMARY KEY",
    "rw_substantive": "item_id {bigint} PRIMARY KEY",
    # facts a refresh computed exactly as stored: left in place
    "rw_same": "item_id {bigint} PRIMARY KEY",
}

# The work tables of one computation of facts, emptied after it (a refresh may compute a
# further round): the pairs the answer rules found and what the facts are joined with.
ROUND_TABLES = (
    "rw_cover", "rw_windows", "rw_first", "rw_values", "rw_template", "rw_answering",
    "rw_substantive",
)  # fmt: skip


def analyze(session: Session, *tables: str, sqlite: bool = True) -> None:
    """Give the planner statistics of freshly filled work tables.

    Without them both databases take a temporary table for large and drive a join from
    the big table (a scan of every fact) instead of following indexes from the few rows
    in the work table. PostgreSQL never auto-analyses temporary tables.
    """
    name = session.get_bind().dialect.name
    if name == "postgresql":
        for table in tables:
            _run(session, analyze_work_table_sql(table))
    elif name == "sqlite" and sqlite:
        for table in tables:
            session.execute(text(f"ANALYZE {table}"))


# PostgreSQL samples 300 rows per unit of statistics target (default 100: 30,000 rows, and
# a histogram of every column): 0.3 s per ANALYZE of a rebuild's rw_facts at 10^5 items,
# three times. The plans over work tables need row counts and rough distributions, which
# a tenth of that sample gives (0.02 s).
_WORK_STATISTICS = 10


def analyze_work_table_sql(table: str) -> list[str]:
    """ANALYZE of a PostgreSQL work table with a small sample (this transaction's setting
    restored afterwards, so the stored tables keep their full statistics)."""
    return [
        f"SET LOCAL default_statistics_target = {_WORK_STATISTICS}",
        f"ANALYZE {table}",
        "SET LOCAL default_statistics_target = DEFAULT",
    ]


def create_work_tables(session: Session, dialect: Dialect) -> None:
    for name, columns in WORK_TABLES.items():
        session.execute(text(dialect.temp_table(name, columns.format(bigint=dialect.bigint))))
        session.execute(text(f"DELETE FROM {name}"))


def drop_work_tables(session: Session) -> None:
    for name in WORK_TABLES:
        session.execute(text(f"DROP TABLE IF EXISTS {name}"))


@dataclass
class Scope:
    """Which items a run recomputes: those listed in ``rw_items``, or everything."""

    everything: bool

    def items(self, alias: str, column: str = "id") -> str:
        if self.everything:
            return "TRUE"
        return f"{alias}.{column} IN (SELECT item_id FROM rw_items)"

    def facts(self, alias: str = "item_facts") -> str:
        if self.everything:
            return "TRUE"
        return f"{alias}.item_id IN (SELECT item_id FROM rw_items)"

    def item_pages(self) -> str:
        """FROM clause over the items in scope, ordered by ``i.id`` from the smaller side."""
        if self.everything:
            return "items i WHERE i.id > :after"
        return "rw_items s JOIN items i ON i.id = s.item_id WHERE s.item_id > :after"


@dataclass
class FactsResult:
    threads: int = 0
    items: int = 0
    classified: int = 0
    answered: int = 0
    business_computed: int = 0
    flipped: int = 0  # stored replies whose template flag turned over (rw_flipped)
    rerated: int = 0  # such replies whose threads a further round computed again
    weeks: set[tuple[int, int]] = field(default_factory=set)
    stages: dict[str, float] = field(default_factory=dict)


# --- scope -------------------------------------------------------------------------------

# The threads of the items of a marked day, the threads their facts were in before (a
# changed root), and the threads of their parents (a reply filed under another root than
# the item it answers).
_THREADS_OF_DAY = """
INSERT INTO rw_threads_raw (platform, thread_key)
SELECT i.platform, COALESCE(i.root_id, i.platform_item_id) FROM items i
WHERE i.account_id = :account_id AND i.created_at >= :first AND i.created_at < :after
UNION ALL
SELECT f.platform, f.thread_key FROM item_facts f JOIN items i ON i.id = f.item_id
WHERE i.account_id = :account_id AND i.created_at >= :first AND i.created_at < :after
UNION ALL
SELECT p.platform, COALESCE(p.root_id, p.platform_item_id)
FROM items i JOIN items p ON p.platform = i.platform AND p.platform_item_id = i.parent_id
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


def next_round(session: Session) -> None:
    """Make the threads of the replies in ``rw_flipped`` the scope (a further round)."""
    for table in ("rw_threads_raw", "rw_threads", "rw_items"):
        session.execute(text(f"DELETE FROM {table}"))
    session.execute(text(FLIPPED_THREADS_SQL))


def close_scope(session: Session) -> int:
    """Deduplicate the threads in scope and list their items; returns the thread count."""
    session.execute(
        text(
            "INSERT INTO rw_threads (platform, thread_key) "
            "SELECT DISTINCT platform, thread_key FROM rw_threads_raw"
        )
    )
    analyze(session, "rw_threads")
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
    analyze(session, "rw_items")
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
    """The weeks recorded so far, deduplicated (again after a further round of facts)."""
    session.execute(
        text(
            "INSERT INTO rw_weeks (account_id, week) "
            "SELECT DISTINCT r.account_id, r.week FROM rw_weeks_raw r WHERE NOT EXISTS "
            "(SELECT 1 FROM rw_weeks w WHERE w.account_id = r.account_id AND w.week = r.week)"
        )
    )
    session.execute(text("DELETE FROM rw_weeks_raw"))
    session.execute(
        text(
            "INSERT INTO rw_client_weeks (client_id, week) "
            "SELECT DISTINCT a.client_id, w.week FROM rw_weeks w "
            "JOIN accounts a ON a.id = w.account_id WHERE NOT EXISTS (SELECT 1 FROM "
            "rw_client_weeks c WHERE c.client_id = a.client_id AND c.week = w.week)"
        )
    )
    analyze(session, "rw_weeks", "rw_client_weeks")
    rows = session.execute(text("SELECT account_id, week FROM rw_weeks"))
    return {(row[0], row[1]) for row in rows}


def add_drifted_client_weeks(session: Session, pairs: Iterable[tuple[int, int]]) -> None:
    """Client weeks to recompute although none of their facts changed (a purged account)."""
    rows = [{"client_id": client_id, "week": week} for client_id, week in pairs]
    if rows:
        session.execute(
            text(
                "INSERT INTO rw_client_weeks (client_id, week) SELECT :client_id, :week "
                "WHERE NOT EXISTS (SELECT 1 FROM rw_client_weeks "
                "WHERE client_id = :client_id AND week = :week)"
            ),
            rows,
        )
        analyze(session, "rw_client_weeks")


# --- questions ---------------------------------------------------------------------------


def _insert_rows(session: Session, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Rows of plain values (in column order) into a work table, past SQLAlchemy: for
    hundreds of thousands of rows its per-row parameter handling is the cost. COPY on
    PostgreSQL, the driver's own executemany on SQLite."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # COPY: one stream instead of a statement per row (executemany runs each row as a
        # statement of its own on the server: 0.1 s per 20,000 rows, plus the round trips).
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    placeholders = ", ".join([marker] * len(rows[0]))
    connection.exec_driver_sql(f"INSERT INTO {table} VALUES ({placeholders})", list(rows))


def _add_values(session: Session, values: list[tuple[int, int | None]]) -> None:
    """Collect computed values in rw_values (in the database, not in Python memory)."""
    _insert_rows(session, "rw_values", values)


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


# One update from the table of classifications (primary-key lookups both ways), once for
# all pages: an UPDATE ... FROM may scan the whole target table on SQLite.
_SET_TEXTS = """
UPDATE items SET
  is_question = (SELECT t.question = 1 FROM rw_texts t WHERE t.item_id = items.id),
  is_ack_text = (SELECT t.ack = 1 FROM rw_texts t WHERE t.item_id = items.id),
  is_redirect = (SELECT t.redirect = 1 FROM rw_texts t WHERE t.item_id = items.id),
  reply_key = (SELECT t.reply_key FROM rw_texts t WHERE t.item_id = items.id)
WHERE items.id IN (SELECT item_id FROM rw_texts)"""


# Classifications that came out as stored: not written again. Reclassifying every text
# (new question patterns) then rewrites only the items whose flags change; on PostgreSQL
# every rewritten row is a dead version left for VACUUM (a million at 10^6 items before).
_UNCHANGED_TEXTS = """
DELETE FROM rw_texts WHERE EXISTS (
  SELECT 1 FROM items i WHERE i.id = rw_texts.item_id
    AND ((rw_texts.question = 1) = i.is_question
         OR (rw_texts.question IS NULL AND i.is_question IS NULL))
    AND ((rw_texts.ack = 1) = i.is_ack_text OR (rw_texts.ack IS NULL AND i.is_ack_text IS NULL))
    AND ((rw_texts.redirect = 1) = i.is_redirect
         OR (rw_texts.redirect IS NULL AND i.is_redirect IS NULL))
    AND (rw_texts.reply_key = i.reply_key
         OR (rw_texts.reply_key IS NULL AND i.reply_key IS NULL)))"""


@dataclass(frozen=True)
class TextPatterns:
    """The word lists that classify texts: questions, acknowledgments, replies."""

    questions: QuestionPatterns
    acknowledgments: AcknowledgmentPatterns
    replies: ReplyPatterns


def default_text_patterns(questions: QuestionPatterns | None = None) -> TextPatterns:
    return TextPatterns(
        questions or default_patterns(), default_acknowledgments(), default_replies()
    )


# Texts repeat (pasted answers, "Danke!", a brand's templates): each distinct text is
# classified once per run, up to this many remembered at a time.
TEXT_CACHE = 50_000


class _Classifier:
    """The classifications of one run, remembered per distinct text."""

    def __init__(self, questions: QuestionPatterns | None) -> None:
        self.questions = questions
        self._patterns: TextPatterns | None = None
        self.seen: dict[tuple[str, bool, bool], tuple[int | None, ...]] = {}

    @property
    def patterns(self) -> TextPatterns:
        # Loaded at the first text: a run with nothing to classify (a rebuild of
        # classified items) does not compile the word lists at all.
        if self._patterns is None:
            self._patterns = default_text_patterns(self.questions)
        return self._patterns

    def __call__(self, row: Any) -> tuple[int | None, ...]:
        """(item id, question, acknowledgment, redirect, text key): a row of rw_texts."""
        item_id, text, own, has_parent = row[0], row[1] or "", bool(row[2]), row[3] is not None
        key = (text, own, has_parent)
        found = self.seen.get(key)
        if found is None:
            if len(self.seen) >= TEXT_CACHE:
                self.seen.clear()
            found = self.seen[key] = self._classify(text, own, has_parent)
        return (item_id, *found)

    def _classify(self, text: str, own: bool, has_parent: bool) -> tuple[int | None, ...]:
        patterns = self.patterns
        if own:
            # Own replies: redirect and text key; own posts need neither (marked "not a
            # redirect" so that they count as classified).
            if not has_parent:
                return None, None, 0, None
            return (
                None,
                None,
                int(is_redirect(text, patterns.replies)),
                reply_key(text, patterns.replies),
            )
        return (
            int(is_question(text, patterns.questions)),
            int(is_acknowledgment_text(text, patterns.acknowledgments)),
            None,
            None,
        )


def classify_texts(
    session: Session,
    scope: Scope,
    patterns: QuestionPatterns | None = None,
    reclassify: bool = False,
) -> int:
    """Classify texts of items not classified yet (all with ``reclassify``): questions and
    acknowledgments of outsiders' items, redirects and text keys of own replies. Returns
    how many items were classified.

    Purged items (storage/privacy.py) are never classified again: their text is gone, and
    the flags stored while it was there are what their weeks were counted with.
    """
    classified = _Classifier(patterns)
    unclassified = (
        ""
        if reclassify
        else "AND ((NOT i.is_own AND (i.is_question IS NULL OR i.is_ack_text IS NULL)) "
        "OR (i.is_own AND i.is_redirect IS NULL))"
    )
    query = f"""
SELECT i.id, i.text, i.is_own, i.parent_id FROM {scope.item_pages()} AND i.purged_at IS NULL
  {unclassified}
ORDER BY i.id LIMIT :limit"""
    done = 0
    for rows in _keyset(session, query, {}):
        _insert_rows(session, "rw_texts", [classified(row) for row in rows])
        done += len(rows)
    if done:
        analyze(session, "rw_texts")
        if reclassify:  # (items not classified yet always change)
            session.execute(text(_UNCHANGED_TEXTS))
        session.execute(text(_SET_TEXTS))
        session.execute(text("DELETE FROM rw_texts"))
    return done


# --- facts, built in rw_facts ------------------------------------------------------------

# Indexes the rules need, created on rw_facts once it is filled.
_FACT_INDEXES = (
    "CREATE UNIQUE INDEX rw_facts_item ON rw_facts (item_id)",
    "CREATE INDEX rw_facts_parent ON rw_facts (parent_item)",
    "CREATE INDEX rw_facts_thread ON rw_facts (platform, thread_key, author_key, created_us)",
    "CREATE INDEX rw_facts_top ON rw_facts (platform, top_key)",
)


def create_facts_table_sql(dialect: Dialect) -> list[str]:
    """``rw_facts``: a temporary table shaped like item_facts, without its indexes.

    Apart from the roles of follow-ups and acknowledgments (a few percent of the facts)
    nothing in it is updated. (With an update pass over every fact
    PostgreSQL needed pages four-fifths empty, and the insert alone took 6.2 s instead of
    3.5 s at 10^6 items.)
    """
    # On PostgreSQL a tenth of each page stays free: the updated roles keep their page
    # (an update without room moves the row and adds it to all five indexes).
    storage = " WITH (fillfactor = 90)" if dialect.name == "postgresql" else ""
    return [
        "DROP TABLE IF EXISTS rw_facts",
        f"CREATE TEMPORARY TABLE rw_facts{storage} AS SELECT * FROM item_facts WHERE 1 = 0",
    ]


def zones_sql(dialect: Dialect, scope: Scope) -> str:
    """The time zone of every client with items in scope and the span of their creation
    times (microseconds): rows for ``local_time_columns``.

    A rebuild takes each account's first and last item from the ends of its
    ``(account_id, created_at)`` index; a wider span than the items in scope only adds
    offsets that no item uses.
    """
    if scope.everything:
        end = "(SELECT {}(i.created_at) FROM items i WHERE i.account_id = a.id)"
        first, last = dialect.epoch_us(end.format("MIN")), dialect.epoch_us(end.format("MAX"))
        return (
            f"SELECT c.time_zone, a.client_id, {first}, {last} "
            "FROM accounts a JOIN clients c ON c.id = a.client_id"
        )
    return f"""
SELECT c.time_zone, a.client_id, {dialect.epoch_us("MIN(i.created_at)")},
  {dialect.epoch_us("MAX(i.created_at)")}
FROM rw_items s JOIN items i ON i.id = s.item_id JOIN accounts a ON a.id = i.account_id
JOIN clients c ON c.id = a.client_id
GROUP BY c.time_zone, a.client_id"""


# Where a reply's leading @handles name the account only because the platform repeats the
# participants of the message answered (Mastodon): the parent is the account's, or the
# parent mentions the account too. A parent not stored cannot show that: own words.
_MENTION_IN_OWN_WORDS = """(
      i.mention_place = 'text'
      OR (i.mention_place IS NULL AND i.mentions_account)
      OR (i.mention_place = 'leading' AND NOT (p.id IS NOT NULL AND (
        (p.is_own AND pa.client_id = a.client_id)
        OR (p.mentions_account AND p.account_id = i.account_id)))))"""


def _role_sql() -> str:
    """The role of an item before follow-ups and acknowledgments (docs/metrics.md).

    Outsiders' items are ``inbound`` when addressed by rules 1-3 of "Who is addressed":
    a reply to an own item, a mention in the author's own words, a top-level mention or
    visitor post. Everything else by outsiders is ``conversation`` for now; rule 4
    (follow-ups) and the acknowledgment rule work on these roles afterwards.
    """
    parent_own = "(p.is_own AND pa.client_id = a.client_id)"
    return f"""CASE
    WHEN i.kind = 'repost' THEN CASE WHEN i.is_own THEN 'own_repost' ELSE 'other' END
    WHEN i.is_own THEN CASE
      WHEN i.parent_id IS NULL THEN 'post'
      WHEN {parent_own} THEN 'own_thread'
      ELSE 'own_reply' END
    WHEN {parent_own} OR i.kind IN ('mention', 'visitor_post') OR {_MENTION_IN_OWN_WORDS}
      THEN 'inbound'
    ELSE 'conversation' END"""


def insert_facts_sql(
    dialect: Dialect, scope: Scope, zones: Iterable[tuple[str, int, int | None, int | None]]
) -> str:
    """Facts of the items in scope into rw_facts: roles, structure and local time.

    ``zones`` are rows of ``zones_sql``. Own likes come from one aggregate joined by item
    rather than two lookups per item (a third of this statement on PostgreSQL). The
    interactions column holds the likes by others and reposts of every item; the stored
    fact keeps them for posts only, with the outsiders' items of the thread added.
    """
    week, hour = local_time_columns(dialect, zones, "q")
    author_key = "COALESCE({0}.author_id, 'handle:' || LOWER(LTRIM({0}.author_handle, '@')))"
    own_reply = "(i.is_own AND i.parent_id IS NOT NULL)"
    own_likes = "COALESCE(own.likes, 0)"
    # The local week and hour are computed from the subquery's created_us: OFFSET keeps
    # the subquery from being merged into this SELECT, which would compute the time of
    # creation from the stored timestamp once per use (a dozen times per row on SQLite).
    return f"""
INSERT INTO rw_facts (item_id, client_id, account_id, platform, parent_item, thread_key,
  top_key, author_key, created_us, role, is_question, ack_text,
  reply_key, customer_key, redirect, template, answering, liked_by_own, own_likes, removed,
  interactions, answered, substantive, local_week, hour_of_week)
SELECT q.*, {week}, {hour} FROM (
SELECT i.id AS item_id, a.client_id AS client_id, i.account_id, i.platform, p.id,
  COALESCE(i.root_id, i.platform_item_id),
  CASE WHEN i.kind = 'comment' AND i.parent_id IS NOT NULL THEN
    CASE WHEN i.parent_id = COALESCE(i.root_id, i.platform_item_id) THEN i.platform_item_id
    ELSE i.parent_id END
  END,
  {author_key.format("i")},
  {dialect.epoch_us("i.created_at")} AS created_us,
  {_role_sql()},
  i.is_question,
  (NOT i.is_own AND COALESCE(i.is_ack_text, FALSE) AND NOT COALESCE(i.is_question, FALSE)),
  CASE WHEN {own_reply} THEN i.reply_key END,
  CASE WHEN {own_reply} THEN COALESCE({author_key.format("p")}, 'item:' || i.parent_id) END,
  ({own_reply} AND COALESCE(i.is_redirect, FALSE)),
  FALSE,
  FALSE,
  own.likes IS NOT NULL,
  {own_likes},
  i.removed_at IS NOT NULL,
  CASE WHEN i.like_count > {own_likes} THEN i.like_count - {own_likes} ELSE 0 END
    + i.repost_count,
  FALSE,
  FALSE
FROM items i
JOIN accounts a ON a.id = i.account_id
LEFT JOIN items p ON p.platform = i.platform AND p.platform_item_id = i.parent_id
LEFT JOIN accounts pa ON pa.id = p.account_id
LEFT JOIN (
  SELECT l.item_id, COUNT(*) AS likes FROM likes l
  WHERE l.is_own AND {scope.items("l", "item_id")} GROUP BY l.item_id
) own ON own.item_id = i.id
WHERE {scope.items("i")}
{dialect.keep_subquery}) q
"""


def index_facts_sql(dialect: Dialect) -> list[str]:
    # Own replies by the customer they answer (follow-ups, acknowledgments look them up).
    only_replies = "" if dialect.name == "duckdb" else " WHERE customer_key IS NOT NULL"
    statements = [
        *_FACT_INDEXES,
        "CREATE INDEX rw_facts_customer ON rw_facts "
        f"(platform, thread_key, customer_key, created_us){only_replies}",
    ]
    if dialect.name == "postgresql":
        # temporary tables are never auto-analysed
        statements += analyze_work_table_sql("rw_facts")
    return statements


def local_time_columns(
    dialect: Dialect, clients: Iterable[tuple[str, int, int | None, int | None]], alias: str
) -> tuple[str, str]:
    """SQL for the local ISO week and hour of week of ``alias.created_us`` in the time zone
    of ``alias.client_id``, from rows of ``zones_sql`` (clients without items skipped).

    Each zone's UTC offsets over its span become a CASE over the creation time, so the
    database needs no time-zone support (SQLite has none); each zone is picked by its
    clients' ids.
    """
    zones: dict[str, tuple[set[int], int, int]] = {}
    for time_zone, client_id, first_us, last_us in clients:
        if first_us is None or last_us is None:
            continue
        ids, first, last = zones.get(time_zone, (set(), first_us, last_us))
        ids.add(int(client_id))
        zones[time_zone] = (ids, min(first, first_us), max(last, last_us))
    if not zones:
        return "0", "0"
    created = f"{alias}.created_us"
    weeks, hours = [], []
    for time_zone in sorted(zones):
        ids, first_us, last_us = zones[time_zone]
        offset = local_offset_sql(created, utc_offsets(time_zone, int(first_us), int(last_us)))
        local = f"({created} + {offset})"
        of_zone = f"{alias}.client_id IN ({', '.join(str(i) for i in sorted(ids))})"
        weeks.append(f"WHEN {of_zone} THEN {local_week_sql(dialect, local)}")
        hours.append(f"WHEN {of_zone} THEN {hour_of_week_sql(dialect, local)}")
    return f"CASE {' '.join(weeks)} ELSE 0 END", f"CASE {' '.join(hours)} ELSE 0 END"


WEEKS_SQL = "SELECT DISTINCT client_id, local_week FROM rw_facts"

# Inbound items with the answer window and schedule of their client week (facts without
# settings, which ensure_settings rules out, would have no window).
WINDOWS_SQL = """
INSERT INTO rw_windows (item_id, window_us, scheduled)
SELECT f.item_id, CAST(s.answer_window_seconds AS BIGINT) * 1000000,
  CASE WHEN s.business_hours IS NULL THEN 0 ELSE 1 END
FROM rw_facts f JOIN metric_settings s ON s.client_id = f.client_id AND s.week = f.local_week
WHERE f.role = 'inbound'"""

_OWN_ANSWER = sql_list(ANSWER_ROLES)
_OUTSIDERS = sql_list(OUTSIDER_ROLES)

# Rule 4 of "Who is addressed": a follow-up. The same author wrote an item addressed by
# rules 1-3 earlier in the thread, and no own reply to that author came in between.
FOLLOW_UPS_SQL = [
    f"""
INSERT INTO rw_values (item_id, value)
SELECT y.item_id, 1 FROM rw_facts y
WHERE y.role = 'conversation' AND y.author_key IS NOT NULL AND EXISTS (
  SELECT 1 FROM rw_facts x
  WHERE x.platform = y.platform AND x.thread_key = y.thread_key
    AND x.author_key = y.author_key AND x.created_us <= y.created_us
    AND x.item_id <> y.item_id AND x.role = 'inbound' AND x.client_id = y.client_id
    AND NOT EXISTS (
      SELECT 1 FROM rw_facts r
      WHERE r.platform = y.platform AND r.thread_key = y.thread_key
        AND r.role IN ({_OWN_ANSWER}) AND r.client_id = y.client_id
        AND r.customer_key = y.author_key
        AND r.created_us >= x.created_us AND r.created_us < y.created_us))""",
    "UPDATE rw_facts SET role = 'inbound' WHERE item_id IN (SELECT item_id FROM rw_values)",
    "DELETE FROM rw_values",
]

# An addressed item that thanks (the text half, ``ack_text``) after an own reply to its
# author in the thread (on a flat thread: under the same top-level comment) expects no
# answer: an acknowledgment, neither answered nor missed.
ACKNOWLEDGMENTS_SQL = f"""
UPDATE rw_facts SET role = 'acknowledgment'
WHERE role = 'inbound' AND ack_text AND (EXISTS (
  SELECT 1 FROM rw_facts r
  WHERE r.platform = rw_facts.platform AND r.thread_key = rw_facts.thread_key
    AND r.customer_key = rw_facts.author_key AND r.created_us < rw_facts.created_us
    AND r.role IN ({_OWN_ANSWER}) AND r.client_id = rw_facts.client_id
) OR (rw_facts.top_key IS NOT NULL AND EXISTS (
  SELECT 1 FROM rw_facts r
  WHERE r.platform = rw_facts.platform AND r.top_key = rw_facts.top_key
    AND r.thread_key = rw_facts.thread_key AND r.created_us < rw_facts.created_us
    AND r.role IN ({_OWN_ANSWER}) AND r.client_id = rw_facts.client_id)))"""


def attribution_sql() -> list[str]:
    """Every own reply covering an inbound item, and the first (docs/metrics.md rules).

    Everything an inbound item's answer depends on lies in its thread, and rw_facts
    holds whole threads. A reply to an acknowledgment covers nothing: the thanks ends a
    conversation, it is no later message of a burst (docs/metrics.md, deviation log).
    The pairs (item, covering reply) by the three rules go into ``rw_cover``; the
    earliest per item into ``rw_first`` (answered, response and settling time when the
    facts are stored); the replies in a pair into ``rw_answering``.
    """
    covers = (
        f"r.role IN ({_OWN_ANSWER}) AND r.client_id = x.client_id "
        "AND r.created_us <= x.created_us + w.window_us"
    )
    window = "JOIN rw_windows w ON w.item_id = x.item_id"
    return [
        f"""
INSERT INTO rw_cover (x_item, r_item, first_us, rule)
SELECT x.item_id, r.item_id, r.created_us, 1
FROM rw_facts x {window} JOIN rw_facts r ON r.parent_item = x.item_id
WHERE x.role = 'inbound' AND {covers} AND r.created_us >= x.created_us
UNION ALL
SELECT x.item_id, r.item_id, r.created_us, 2
FROM rw_facts x {window}
JOIN rw_facts y ON y.platform = x.platform AND y.thread_key = x.thread_key
  AND y.author_key = x.author_key AND y.created_us >= x.created_us
  AND y.item_id <> x.item_id AND y.role IN ('inbound', 'conversation', 'other')
JOIN rw_facts r ON r.parent_item = y.item_id
WHERE x.role = 'inbound' AND {covers} AND r.created_us >= x.created_us
UNION ALL
SELECT x.item_id, r.item_id, r.created_us, 3
FROM rw_facts x {window} JOIN rw_facts r ON r.platform = x.platform AND r.top_key = x.top_key
  AND r.thread_key = x.thread_key
WHERE x.role = 'inbound' AND x.top_key IS NOT NULL AND {covers}
  AND r.created_us > x.created_us""",
        """
INSERT INTO rw_first (item_id, first_us, rule)
SELECT x_item, first_us, rule FROM (
  SELECT x_item, first_us, rule,
    ROW_NUMBER() OVER (PARTITION BY x_item ORDER BY first_us, rule) AS rn
  FROM rw_cover
) ranked
WHERE rn = 1""",
        "INSERT INTO rw_answering (item_id) SELECT DISTINCT r_item FROM rw_cover",
    ]


# --- templates ---------------------------------------------------------------------------
# The one rule that looks beyond a thread: a reply is a template when the own side sent
# its normalised text to two other customers within 28 days before or after it. It is
# decided against ``rw_evidence`` (the replies in scope) and, in a refresh, the stored
# replies out of scope.

_TEXTS_IN_SCOPE = "role = 'own_reply' AND reply_key IS NOT NULL"


# The stored replies the rule compares with in a refresh: those out of its scope (the
# facts of the items in scope are being replaced; their new versions are in rw_evidence).
_STORED_EVIDENCE = (
    "{o}.role = 'own_reply' AND {o}.reply_key IS NOT NULL "
    "AND {o}.item_id NOT IN (SELECT item_id FROM rw_items)"
)


def template_test_sql(reply: str, stored: bool = False) -> str:
    """SQL for "``reply`` (an alias with client_id, reply_key, created_us, customer_key)
    went out with the same text to two other customers within the window".

    The replies compared with are ``rw_evidence`` (the replies in scope) and, with
    ``stored``, the stored ones out of scope, looked up in item_facts by text and time.
    They used to be copied into rw_evidence first: with a much-used text that meant every
    reply of it within two months, most of a refresh at 10^6 items, where the test itself
    stops at the second other customer it finds.
    """
    near = (
        f"{{o}}.client_id = {reply}.client_id AND {{o}}.reply_key = {reply}.reply_key "
        f"AND {{o}}.created_us BETWEEN {reply}.created_us - {TEMPLATE_WINDOW_US} "
        f"AND {reply}.created_us + {TEMPLATE_WINDOW_US} "
        f"AND {{o}}.customer_key <> {reply}.customer_key"
    )
    sources = [("rw_evidence", "TRUE")]
    if stored:
        sources.append(("item_facts", _STORED_EVIDENCE))

    def any_of(alias: str, extra: str) -> str:
        return " OR ".join(
            f"EXISTS (SELECT 1 FROM {table} {alias} WHERE {near.format(o=alias)} "
            f"AND {condition.format(o=alias)}{extra})"
            for table, condition in sources
        )

    second = any_of("o2", " AND o2.customer_key <> o1.customer_key")
    return f"({any_of('o1', f' AND ({second})')})"


def evidence_sql(scope: Scope) -> list[str]:
    """Fill ``rw_evidence`` with the replies in scope (and, for a refresh, ``rw_changed``)."""
    fields = "item_id, client_id, reply_key, created_us, customer_key"
    evidence = (
        f"INSERT INTO rw_evidence ({fields}) SELECT {fields} FROM rw_facts WHERE {_TEXTS_IN_SCOPE}"
    )
    if scope.everything:
        return [evidence]
    columns = "client_id, reply_key, created_us, customer_key"
    before = (
        f"SELECT {columns} FROM item_facts WHERE item_id IN (SELECT item_id FROM rw_items) "
        f"AND {_TEXTS_IN_SCOPE}"
    )
    after = f"SELECT {columns} FROM rw_facts WHERE {_TEXTS_IN_SCOPE}"
    return [
        # Replies a run added or took away (or moved): others near them may turn over.
        f"INSERT INTO rw_changed ({columns}) {before} EXCEPT {after}",
        f"INSERT INTO rw_changed ({columns}) {after} EXCEPT {before}",
        evidence,
    ]


EVIDENCE_INDEX_SQL = (
    "CREATE INDEX rw_evidence_text ON rw_evidence (client_id, reply_key, created_us)"
)


def _templates_sql(stored: bool) -> str:
    """The template replies of rw_facts into rw_template."""
    return f"""
INSERT INTO rw_template (item_id)
SELECT f.item_id FROM rw_facts f
WHERE {_TEXTS_IN_SCOPE} AND {template_test_sql("f", stored)}"""


# A full rebuild: every reply is in scope, rw_evidence holds them all.
TEMPLATES_SQL = _templates_sql(stored=False)
# A refresh: the replies in scope compared with rw_evidence and the stored replies.
REFRESH_TEMPLATES_SQL = _templates_sql(stored=True)

# Stored replies out of scope whose flag the change turns over: the same text, near a
# changed reply, to another customer, and the rule says otherwise now.
FLIPPED_SQL = f"""
INSERT INTO rw_flipped (item_id)
SELECT DISTINCT f.item_id
FROM rw_changed c JOIN item_facts f ON f.client_id = c.client_id AND f.reply_key = c.reply_key
  AND f.created_us BETWEEN c.created_us - {TEMPLATE_WINDOW_US}
  AND c.created_us + {TEMPLATE_WINDOW_US}
WHERE f.reply_key IS NOT NULL AND f.role = 'own_reply' AND f.customer_key <> c.customer_key
  AND f.item_id NOT IN (SELECT item_id FROM rw_items)
  AND f.template <> {template_test_sql("f", stored=True)}"""

# The threads of the replies that turned over: the scope of the next round.
FLIPPED_THREADS_SQL = """
INSERT INTO rw_threads_raw (platform, thread_key)
SELECT DISTINCT f.platform, f.thread_key
FROM rw_flipped x JOIN item_facts f ON f.item_id = x.item_id"""


def set_templates(session: Session, scope: Scope) -> int:
    """Template flags of the own replies in scope; returns how many stored replies out of
    scope turned over (listed in ``rw_flipped``: their threads need computing again)."""
    for table in ("rw_evidence", "rw_changed", "rw_flipped"):
        session.execute(text(f"DELETE FROM {table}"))
    session.execute(text("DROP INDEX IF EXISTS rw_evidence_text"))
    _run(session, evidence_sql(scope))
    session.execute(text(EVIDENCE_INDEX_SQL))
    analyze(session, "rw_evidence")
    if scope.everything:
        session.execute(text(TEMPLATES_SQL))
        return 0
    session.execute(text(REFRESH_TEMPLATES_SQL))
    analyze(session, "rw_changed")
    session.execute(text(FLIPPED_SQL))
    return int(session.execute(text("SELECT COUNT(*) FROM rw_flipped")).scalar_one())


# An inbound item answered by at least one covering reply that is neither a redirect nor
# a template (rw_cover holds inbound items and their covering replies only).
SUBSTANTIVE_SQL = """
INSERT INTO rw_substantive (item_id)
SELECT DISTINCT c.x_item FROM rw_cover c JOIN rw_facts r ON r.item_id = c.r_item
WHERE NOT r.redirect AND NOT EXISTS (SELECT 1 FROM rw_template t WHERE t.item_id = c.r_item)"""


# Answered items of clients with a schedule: their business-hours times are computed in
# Python into rw_values (without a schedule it is the wall-clock time, when stored). The
# page's lower bound on every table: a merge join would otherwise start each page from
# the first row (50 pages at 10^6 items: 1.8 s instead of 0.7 s).
SCHEDULED_PAGE_SQL = """
SELECT w.item_id, f.created_us, a.first_us, s.business_hours, s.time_zone,
  s.holiday_region
FROM rw_windows w JOIN rw_first a ON a.item_id = w.item_id
JOIN rw_facts f ON f.item_id = w.item_id
JOIN metric_settings s ON s.client_id = f.client_id AND s.week = f.local_week
WHERE w.item_id > :after AND a.item_id > :after AND f.item_id > :after AND w.scheduled = 1
ORDER BY w.item_id LIMIT :limit"""


def business_times(rows: Iterable[Any]) -> list[tuple[int, int]]:
    """(item_id, business-hours microseconds) for rows of SCHEDULED_PAGE_SQL."""
    clocks: dict[tuple[str, str, str | None], BusinessClock] = {}
    values = []
    for item_id, created_us, first_us, hours, time_zone, region in rows:
        key = (hours, time_zone, region)
        clock = clocks.get(key)
        if clock is None:
            clock = clocks[key] = BusinessClock.from_settings(hours, time_zone, region)
        values.append(
            (item_id, microseconds(clock.business_time(from_us(created_us), from_us(first_us))))
        )
    return values


def set_business_times(session: Session) -> int:
    """Business-hours response times where a schedule applies, computed in Python into
    ``rw_values`` (joined into the facts when they are stored)."""
    done = 0
    for rows in _keyset(session, SCHEDULED_PAGE_SQL, {}):
        values = business_times(rows)
        _add_values(session, values)
        done += len(values)
    if done:
        analyze(session, "rw_values", sqlite=False)
    return done


def foreign_key_ddl(dialect: Dialect, table: Table) -> tuple[list[str], list[str]]:
    """DROP and ADD statements of a table's foreign keys, for PostgreSQL's full rebuild.

    Foreign keys are checked by a trigger per inserted row: 100,000 facts cost a second
    that way (37,000 hour counts 0.2 s), against a tenth of that for one validating join
    when the key is added back after the load.
    """
    if dialect.name != "postgresql":
        return [], []
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import AddConstraint, DropConstraint

    compiler = postgresql.dialect()
    keys = sorted(table.foreign_key_constraints, key=lambda key: str(key.name))
    drops = [str(DropConstraint(key).compile(dialect=compiler)) for key in keys]
    adds = [str(AddConstraint(key).compile(dialect=compiler)) for key in keys]
    return drops, adds


def fact_index_ddl(dialect: Dialect) -> tuple[list[str], list[str]]:
    """DROP and CREATE statements of item_facts' secondary indexes (from the model)."""
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, DropIndex

    from storage.models import ItemFact

    compiler = sqlite.dialect() if dialect.name == "sqlite" else postgresql.dialect()
    indexes = sorted(ItemFact.__table__.indexes, key=lambda index: str(index.name))
    drops = [str(DropIndex(index).compile(dialect=compiler)) for index in indexes]
    creates = [str(CreateIndex(index).compile(dialect=compiler)) for index in indexes]
    if dialect.name == "duckdb":  # it has no partial indexes: the index covers every row
        creates = [statement.split(" WHERE ")[0] for statement in creates]
    return drops, creates


# The stored fact's columns that the rules' work tables give (all others are rw_facts'),
# over the names of _BY_ITEM: what the work tables hold about the item.
_FOUND = {
    "template": "{template}",
    "answering": "{answering}",
    "interactions": "CASE WHEN f.role = 'post' THEN f.interactions + {outsiders} ELSE 0 END",
    "window_us": "{window_us}",
    "answered": "{first_us} IS NOT NULL",
    "answer_rule": "{rule}",
    "substantive": "{substantive}",
    "first_response_us": "{first_us}",
    "response_us": "{first_us} - f.created_us",
    # scheduled: computed in Python (rw_values); without a schedule the wall-clock time
    "business_us": (
        "CASE WHEN {first_us} IS NULL OR {scheduled} IS NULL THEN NULL "
        "WHEN {scheduled} = 0 THEN {first_us} - f.created_us ELSE {business_us} END"
    ),
    # answered: settled by the answer; the others when their window closes
    "settles_us": (
        "CASE WHEN {first_us} IS NOT NULL THEN {first_us} "
        "WHEN f.role = 'inbound' THEN f.created_us + {window_us} END"
    ),
}

# What the work tables hold about an item, as one row per item: all of them stacked and
# grouped by item, joined once. PostgreSQL joins every fact with each of six tables
# otherwise, carrying the wide fact rows through every join (at 10^6 items 4.7 s for the
# whole statement against 6.6 s).
_BY_ITEM = f"""
LEFT JOIN (
  SELECT item_id, MAX(window_us) AS window_us, MAX(scheduled) AS scheduled,
    MAX(first_us) AS first_us, MAX(rule) AS rule, MAX(business_us) AS business_us,
    MAX(substantive) AS substantive, MAX(template) AS template, MAX(answering) AS answering
  FROM (
    SELECT item_id, window_us, scheduled, CAST(NULL AS BIGINT) AS first_us,
      CAST(NULL AS INTEGER) AS rule, CAST(NULL AS BIGINT) AS business_us,
      0 AS substantive, 0 AS template, 0 AS answering FROM rw_windows
    UNION ALL SELECT item_id, NULL, NULL, first_us, rule, NULL, 0, 0, 0 FROM rw_first
    UNION ALL SELECT item_id, NULL, NULL, NULL, NULL, value, 0, 0, 0 FROM rw_values
    UNION ALL SELECT item_id, NULL, NULL, NULL, NULL, NULL, 1, 0, 0 FROM rw_substantive
    UNION ALL SELECT item_id, NULL, NULL, NULL, NULL, NULL, 0, 1, 0 FROM rw_template
    UNION ALL SELECT item_id, NULL, NULL, NULL, NULL, NULL, 0, 0, 1 FROM rw_answering
  ) u GROUP BY item_id
) x ON x.item_id = f.item_id
LEFT JOIN (
  SELECT platform, thread_key, client_id, COUNT(*) AS n FROM rw_facts
  WHERE role IN ({_OUTSIDERS}) GROUP BY platform, thread_key, client_id
) o ON f.role = 'post' AND o.platform = f.platform AND o.thread_key = f.thread_key
  AND o.client_id = f.client_id"""
_FROM_STACK = {
    "outsiders": "COALESCE(o.n, 0)",
    "window_us": "x.window_us",
    "scheduled": "x.scheduled",
    "first_us": "x.first_us",
    "rule": "x.rule",
    "business_us": "x.business_us",
    "substantive": "COALESCE(x.substantive, 0) = 1",
    "template": "COALESCE(x.template, 0) = 1",
    "answering": "COALESCE(x.answering, 0) = 1",
}

# SQLite looks each table up by its primary key instead, which is cheaper for it than
# sorting the stacked rows (at 10^6 items 4.5 s for the statement against 5.4 s), and
# counts the outsiders' items of a post's thread by the thread index, for posts only
# (0.7 s less than counting every thread and joining the counts at 10^6).
_BY_LOOKUP = """
LEFT JOIN rw_windows w ON w.item_id = f.item_id
LEFT JOIN rw_first a ON a.item_id = f.item_id
LEFT JOIN rw_values v ON v.item_id = f.item_id
LEFT JOIN rw_substantive b ON b.item_id = f.item_id
LEFT JOIN rw_template t ON t.item_id = f.item_id
LEFT JOIN rw_answering n ON n.item_id = f.item_id"""
_FROM_LOOKUP = {
    "outsiders": (
        "(SELECT COUNT(*) FROM rw_facts c WHERE c.platform = f.platform "
        f"AND c.thread_key = f.thread_key AND c.role IN ({_OUTSIDERS}) "
        "AND c.client_id = f.client_id)"
    ),
    "window_us": "w.window_us",
    "scheduled": "w.scheduled",
    "first_us": "a.first_us",
    "rule": "a.rule",
    "business_us": "v.value",
    "substantive": "b.item_id IS NOT NULL",
    "template": "t.item_id IS NOT NULL",
    "answering": "n.item_id IS NOT NULL",
}


def stored_facts_sql(dialect: Dialect, table: str) -> str:
    """INSERT of the facts as stored into ``table`` (item_facts or one shaped like it):
    rw_facts joined with what the rules found. Interactions of an own post: what outsiders
    wrote in its thread (addressed or not: customers talking under a post are interaction
    too), likes by others, reposts."""
    from storage.models import ItemFact

    joins, names = (
        (_BY_LOOKUP, _FROM_LOOKUP) if dialect.name == "sqlite" else (_BY_ITEM, _FROM_STACK)
    )
    columns = [column.name for column in ItemFact.__table__.columns]
    values = ", ".join(
        f"{_FOUND[name].format(**names) if name in _FOUND else f'f.{name}'} AS {name}"
        for name in columns
    )
    return f"""
INSERT INTO {table} ({", ".join(columns)})
SELECT {values}
FROM rw_facts f{joins}"""


def swap_facts_sql(dialect: Dialect, scope: Scope) -> list[str]:
    """Replace the stored facts of the scope by the computed ones.

    A rebuild writes every fact straight into item_facts; its secondary indexes are
    dropped and built again afterwards, which is several times faster than maintaining
    them row by row. A refresh computes its facts into ``rw_final`` and replaces those
    that changed: one delete, one insert.
    """
    if not scope.everything:
        # Most facts of the threads a refresh recomputes come out as they were: those rows
        # stay (rw_same), only the others are replaced. Rewriting them all cost a fifth of
        # a refresh in index upkeep. INTERSECT compares whole rows, NULLs as equal.
        return [
            "DROP TABLE IF EXISTS rw_final",
            "CREATE TEMPORARY TABLE rw_final AS SELECT * FROM item_facts WHERE 1 = 0",
            stored_facts_sql(dialect, "rw_final"),
            "DELETE FROM rw_same",
            "INSERT INTO rw_same (item_id) SELECT item_id FROM ("
            "SELECT * FROM rw_final INTERSECT SELECT * FROM item_facts "
            "WHERE item_id IN (SELECT item_id FROM rw_items)) same",
            # The changed facts listed first, then found by key: with the condition on
            # item_facts itself (NOT IN rw_same) PostgreSQL read all of it to apply it
            # (0.25 s of a refresh at 10^6 facts, 6 ms this way).
            "DELETE FROM item_facts WHERE item_id IN (SELECT s.item_id FROM rw_items s "
            "WHERE NOT EXISTS (SELECT 1 FROM rw_same r WHERE r.item_id = s.item_id))",
            "INSERT INTO item_facts SELECT * FROM rw_final "
            "WHERE item_id NOT IN (SELECT item_id FROM rw_same)",
            "DROP TABLE rw_final",
        ]
    clear = "TRUNCATE item_facts" if dialect.name == "postgresql" else "DELETE FROM item_facts"
    drops, creates = fact_index_ddl(dialect)
    from storage.models import ItemFact

    unlink, link = foreign_key_ddl(dialect, ItemFact.__table__)
    # Indexes first: emptying a table with its indexes in place rewrites each of them.
    return [*drops, *unlink, clear, stored_facts_sql(dialect, "item_facts"), *creates, *link]


class _Stages:
    """Seconds spent per stage, for the benchmark and for ``RefreshResult.stages``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = perf_counter()

    def mark(self, name: str) -> None:
        now = perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._started
        self._started = now


def _run(session: Session, statements: Iterable[str]) -> None:
    for statement in statements:
        session.execute(text(statement))


def compute_facts(
    session: Session,
    dialect: Dialect,
    scope: Scope,
    now: datetime | None = None,
    patterns: QuestionPatterns | None = None,
    reclassify: bool = False,
) -> FactsResult:
    """Recompute the facts in scope (work tables filled by the caller).

    ``result.flipped`` counts stored replies out of scope whose template flag the new
    facts turned over (in ``rw_flipped``); the caller computes their threads next.
    """
    result = FactsResult()
    stages = _Stages()
    result.classified = classify_texts(session, scope, patterns, reclassify)
    stages.mark("texts (Python)")
    record_weeks(session, scope)
    _run(session, create_facts_table_sql(dialect))
    zones = session.execute(text(zones_sql(dialect, scope))).all()
    whole = scope.everything and dialect.name == "postgresql"
    if whole:
        # Every item's parent: PostgreSQL looks 400,000 parents up one by one through the
        # index at 10^6 items (its cost model for data in memory, random_page_cost 1.1,
        # favours that) where one hash of all items is a third faster (9.8 -> 7.1 s).
        session.execute(text("SET LOCAL enable_nestloop = off"))
    result.items = session.execute(text(insert_facts_sql(dialect, scope, zones))).rowcount or 0
    if whole:
        session.execute(text("SET LOCAL enable_nestloop = DEFAULT"))
    _run(session, index_facts_sql(dialect))
    stages.mark("roles")
    _run(session, (*FOLLOW_UPS_SQL, ACKNOWLEDGMENTS_SQL))
    stages.mark("follow-ups, acknowledgments")
    pairs = session.execute(text(WEEKS_SQL))
    ensure_settings(session, {(row[0], row[1]) for row in pairs}, now)
    session.execute(text(WINDOWS_SQL))
    analyze(session, "rw_windows")
    stages.mark("windows")
    cover, *rest = attribution_sql()
    session.execute(text(cover))
    analyze(session, "rw_cover")
    _run(session, rest)
    analyze(session, "rw_first", "rw_answering", sqlite=False)
    result.answered = int(session.execute(text("SELECT COUNT(*) FROM rw_first")).scalar_one())
    stages.mark("answers")
    result.flipped = set_templates(session, scope)
    session.execute(text(SUBSTANTIVE_SQL))
    analyze(session, "rw_template", "rw_substantive", sqlite=False)
    stages.mark("answer quality")
    result.business_computed = set_business_times(session)
    stages.mark("business hours (Python)")
    _run(session, swap_facts_sql(dialect, scope))
    stages.mark("store")
    session.execute(
        text(
            "INSERT INTO rw_weeks_raw (account_id, week) "
            "SELECT DISTINCT account_id, local_week FROM rw_facts"
        )
    )
    session.execute(text("DROP TABLE rw_facts"))
    for table in ROUND_TABLES:
        session.execute(text(f"DELETE FROM {table}"))
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
    "ROUND_TABLES",
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
