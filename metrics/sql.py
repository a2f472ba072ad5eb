"""The SQL that both databases run, written once, with the few words that differ.

The metrics are computed by plain SQL statements (window functions, ``UPDATE ... FROM``,
``INSERT ... SELECT``) that SQLite >= 3.33, PostgreSQL and DuckDB all understand. Times
inside these statements are integers (microseconds since 1970, UTC), so the arithmetic is
identical everywhere; only turning a stored timestamp into that integer, and integer
division, are spelled per dialect. The benchmark runs the same text on DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from metrics.periods import EPOCH_MONDAY, zone

MICROS = 1_000_000
HOUR_US = 3600 * MICROS
WEEK_US = 7 * 24 * HOUR_US
# Microseconds from 1970-01-01 to Monday 1970-01-05, where week 0 starts.
MONDAY0_US = (EPOCH_MONDAY - datetime(1970, 1, 1).date()).days * 24 * HOUR_US

OWN_ROLES = ("post", "own_reply", "own_thread", "own_repost")
ANSWER_ROLES = ("own_reply", "own_thread")
# What outsiders write (reposts by others aside): addressed and expecting an answer,
# addressed and expecting none, and customers talking among themselves.
OUTSIDER_ROLES = ("inbound", "acknowledgment", "conversation")
# A reply is a template when its text went to two other customers within this span.
TEMPLATE_WINDOW_US = 28 * 24 * 3600 * 1_000_000
# What outsiders write (reposts by others aside): addressed and expecting an answer,
# addressed and expecting none, and customers talking among themselves.
OUTSIDER_ROLES = ("inbound", "acknowledgment", "conversation")
# Templates are found among replies to customers; a continuation of an own item is none.
TEMPLATE_WINDOW_US = 28 * 24 * 3600 * 1_000_000


def sql_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


@dataclass(frozen=True)
class Dialect:
    name: str  # sqlite, postgresql, duckdb

    def epoch_us(self, column: str) -> str:
        """A stored UTC timestamp as integer microseconds since 1970."""
        if self.name == "sqlite":
            # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff". SQLite rounds fractions to
            # milliseconds (".9997" would become the next second), so the whole seconds
            # and the microseconds are read from the text separately.
            return (
                f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER) * {MICROS}"
                f" + CAST(substr({column}, 21, 6) AS INTEGER))"
            )
        if self.name == "postgresql":
            return f"CAST(EXTRACT(EPOCH FROM {column}) * {MICROS} AS BIGINT)"
        return f"epoch_us({column})"

    def idiv(self, numerator: str, denominator: str) -> str:
        """Integer division of non-negative integers."""
        if self.name == "duckdb":
            return f"(({numerator}) // ({denominator}))"
        return f"(({numerator}) / ({denominator}))"

    @property
    def bigint(self) -> str:
        return "INTEGER" if self.name == "sqlite" else "BIGINT"

    @property
    def keep_subquery(self) -> str:
        """Ends a FROM-clause subquery that must not be merged into the query around it
        (its expressions computed once per row, not once per use): an OFFSET does that
        on all three; SQLite only accepts one after a LIMIT."""
        return "LIMIT -1 OFFSET 0" if self.name == "sqlite" else "OFFSET 0"

    def temp_table(self, name: str, columns: str) -> str:
        return f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ({columns})"


def dialect_of(bind_name: str) -> Dialect:
    if bind_name not in ("sqlite", "postgresql", "duckdb"):
        raise RuntimeError(f"metrics run on SQLite, PostgreSQL or DuckDB, not {bind_name!r}")
    return Dialect(bind_name)


# --- local time ------------------------------------------------------------------------


def utc_offsets(time_zone: str, first_us: int, last_us: int) -> list[tuple[int, int]]:
    """``[(from_us, offset_us), ...]``: the zone's UTC offset from each instant on.

    The first entry starts at ``first_us``; later ones at each daylight-saving switch up
    to ``last_us``. Found by sampling every 6 hours and bisecting to the second, which
    finds every switch that real zones have (they are months apart).
    """
    tz = zone(time_zone)
    step = 6 * 3600

    def offset(seconds: int) -> int:
        moment = datetime.fromtimestamp(seconds, UTC).astimezone(tz)
        return int(moment.utcoffset().total_seconds()) * MICROS  # type: ignore[union-attr]

    first, last = first_us // MICROS - 86400, last_us // MICROS + 86400
    result = [(first_us - 86400 * MICROS, offset(first))]
    at = first
    while at < last:
        nxt = min(at + step, last)
        if offset(nxt) != offset(at):
            low, high = at, nxt  # offset(low) differs from offset(high); find the switch
            while high - low > 1:
                middle = (low + high) // 2
                if offset(middle) == offset(low):
                    low = middle
                else:
                    high = middle
            result.append((high * MICROS, offset(high)))
        at = nxt
    return result


def local_offset_sql(column: str, offsets: list[tuple[int, int]]) -> str:
    """SQL for the UTC offset (microseconds) in force at ``column``."""
    if len(offsets) == 1:
        return str(offsets[0][1])
    branches = " ".join(
        f"WHEN {column} >= {start} THEN {value}" for start, value in reversed(offsets[1:])
    )
    return f"(CASE {branches} ELSE {offsets[0][1]} END)"


def local_week_sql(dialect: Dialect, local_us: str) -> str:
    return dialect.idiv(f"{local_us} - {MONDAY0_US}", str(WEEK_US))


def hour_of_week_sql(dialect: Dialect, local_us: str) -> str:
    return dialect.idiv(f"(({local_us} - {MONDAY0_US}) % {WEEK_US})", str(HOUR_US))


def to_us(moment: datetime) -> int:
    return (moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def from_us(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)


# --- the figures of a group of facts (a week of an account, a period of a client) -------
# ``f`` is item_facts, ``s`` the metric_settings row of the fact's client and week.

_INBOUND = "f.role = 'inbound'"
_UNANSWERED = f"{_INBOUND} AND NOT f.answered"


def _count(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


FIGURE_SQL: tuple[tuple[str, str], ...] = (
    ("posts", _count("f.role = 'post'")),
    ("own_replies", _count("f.role = 'own_reply'")),
    ("own_thread", _count("f.role = 'own_thread'")),
    ("reposts", _count("f.role = 'own_repost'")),
    ("inbound", _count(_INBOUND)),
    ("questions", _count(f"{_INBOUND} AND f.is_question")),
    ("answered", _count(f"{_INBOUND} AND f.answered")),
    ("answered_questions", _count(f"{_INBOUND} AND f.answered AND f.is_question")),
    ("unanswered", _count(_UNANSWERED)),
    ("unanswered_questions", _count(f"{_UNANSWERED} AND f.is_question")),
    ("liked_unanswered", _count(f"{_UNANSWERED} AND f.liked_by_own")),
    (
        "within_target",
        _count(
            f"{_INBOUND} AND f.answered AND f.business_us <= "
            f"CAST(s.response_target_seconds AS BIGINT) * {MICROS}"
        ),
    ),
    ("interactions", "SUM(CASE WHEN f.role = 'post' THEN f.interactions ELSE 0 END)"),
    (
        "self_likes",
        f"SUM(CASE WHEN f.role IN ({sql_list(OWN_ROLES)}) THEN f.own_likes ELSE 0 END)",
    ),
    ("removed_inbound", _count(f"{_INBOUND} AND f.removed")),
    ("acknowledgments", _count("f.role = 'acknowledgment'")),
    ("customer_conversation", _count("f.role = 'conversation'")),
    ("answering_replies", _count("f.answering")),
    ("redirect_replies", _count("f.answering AND f.redirect")),
    ("template_replies", _count("f.answering AND f.template AND NOT f.redirect")),
    ("substantive_answered", _count(f"{_INBOUND} AND f.substantive")),
    ("open_until_us", f"MAX(CASE WHEN {_UNANSWERED} THEN f.settles_us END)"),
    ("first_unanswered_us", f"MIN(CASE WHEN {_UNANSWERED} THEN f.created_us END)"),
)
TIME_NAMES = ("open_until_us", "first_unanswered_us")
COUNT_NAMES = tuple(name for name, _ in FIGURE_SQL if name not in TIME_NAMES)
MEDIAN_NAMES = ("response_median_us", "response_p90_us", "business_median_us", "business_p90_us")


def figures_select(
    dialect: Dialect,
    keys: list[str],
    source: str,
    where: str = "TRUE",
    extra: tuple[tuple[str, str], ...] = (),
    tail: str = "",
) -> str:
    """SELECT of every figure per ``keys`` (columns of ``f``) over the facts of ``source``.

    ``source`` is a FROM clause that defines ``f`` (item_facts); the settings ``s`` of each
    fact's client and week are joined here. Output columns: the keys, the ``extra``
    aggregates, FIGURE_SQL's names, then MEDIAN_NAMES, then ``tail`` (a literal list).
    Medians and p90 are nearest-rank: the value at rank ceil(p * n) in order.
    """
    key_list = ", ".join(f"f.{key}" for key in keys)
    aggregates = [*extra, *FIGURE_SQL]
    figures = ",\n  ".join(f"{sql} AS {name}" for name, sql in aggregates)
    base = f"""SELECT {key_list},
  {figures}
  FROM {source}
  JOIN metric_settings s ON s.client_id = f.client_id AND s.week = f.local_week
  WHERE {where}
  GROUP BY {key_list}"""
    return _with_medians(dialect, keys, base, [name for name, _ in aggregates], source, where, tail)


# How the figures of several weeks' rollups (``r``) of one client week add up.
_ROLLED_UP = tuple(
    (name, f"MAX(r.{name})" if name == "open_until_us" else
     f"MIN(r.{name})" if name == "first_unanswered_us" else f"SUM(r.{name})")
    for name, _ in FIGURE_SQL
)  # fmt: skip


def client_figures_select(
    dialect: Dialect, accounts_source: str, facts_source: str, tail: str = ""
) -> str:
    """SELECT of every figure per client and week, the counts added up from the weeks of
    its accounts (``accounts_source`` defines ``r``, rows of account_weeks), the medians
    from the facts (``facts_source`` defines ``f``). Same output as :func:`figures_select`
    keyed by client_id and local_week.

    A fact belongs to its account's client, so a client week's counts are its accounts'
    sums: reading the account weeks instead of every fact again took the client weeks of
    a full rebuild at 10^6 items from 4.1 s to 1.3-2.2 s on SQLite. Medians do not add up.
    """
    figures = ",\n  ".join(f"{sql} AS {name}" for name, sql in _ROLLED_UP)
    base = f"""SELECT r.client_id, r.week AS local_week,
  {figures}
  FROM {accounts_source}
  GROUP BY r.client_id, r.week"""
    names = [name for name, _ in FIGURE_SQL]
    keys = ["client_id", "local_week"]
    return _with_medians(dialect, keys, base, names, facts_source, "TRUE", tail)


def _with_medians(
    dialect: Dialect,
    keys: list[str],
    base: str,
    names: list[str],
    source: str,
    where: str,
    tail: str,
) -> str:
    """``base`` (a SELECT of ``keys`` and ``names``) with the medians and p90 of the
    facts of ``source`` per ``keys``."""
    key_list = ", ".join(f"f.{key}" for key in keys)
    key_names = ", ".join(keys)
    ranked = []
    for label, column in (("wall", "response_us"), ("business", "business_us")):
        ranked.append(
            f"""{label} AS (
  SELECT {key_names},
    MAX(CASE WHEN rn = {dialect.idiv("n + 1", "2")} THEN v END) AS median_us,
    MAX(CASE WHEN rn = {dialect.idiv("9 * n + 9", "10")} THEN v END) AS p90_us
  FROM (
    SELECT {key_list}, f.{column} AS v,
      ROW_NUMBER() OVER (PARTITION BY {key_list} ORDER BY f.{column}) AS rn,
      COUNT(*) OVER (PARTITION BY {key_list}) AS n
    FROM {source}
    WHERE {where} AND f.role = 'inbound' AND f.answered AND f.{column} IS NOT NULL
  ) ranked
  GROUP BY {key_names}
)"""
        )
    columns = ", ".join(f"base.{name}" for name in [*keys, *names])
    wall_join = " AND ".join(f"wall.{key} = base.{key}" for key in keys)
    business_join = " AND ".join(f"business.{key} = base.{key}" for key in keys)
    return f"""WITH base AS (
  {base}
),
{ranked[0]},
{ranked[1]}
SELECT {columns},
  wall.median_us AS response_median_us, wall.p90_us AS response_p90_us,
  business.median_us AS business_median_us, business.p90_us AS business_p90_us{tail}
FROM base
LEFT JOIN wall ON {wall_join}
LEFT JOIN business ON {business_join}"""
