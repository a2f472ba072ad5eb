"""Weekly rollups: the stored figures of each account-week and client-week.

Pages and emails read these rows instead of the facts: a portfolio of a thousand
accounts is one indexed read per week. They are recomputed by SQL from the facts for
exactly the (account, week) pairs whose facts changed (``rw_weeks``), or all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from metrics.facts import analyze, analyze_work_table_sql, foreign_key_ddl
from metrics.sql import (
    COUNT_NAMES,
    FIGURE_SQL,
    MEDIAN_NAMES,
    Dialect,
    client_figures_select,
    figures_select,
)
from storage.among import among_text
from storage.types import UTCDateTime, utcnow

_FIGURE_COLUMNS = ", ".join([*(name for name, _ in FIGURE_SQL), *MEDIAN_NAMES])


def rollup_sql(dialect: Dialect, everything: bool) -> list[str]:
    """The statements recomputing the rollups of ``rw_weeks`` / ``rw_client_weeks`` (or all).

    Bind ``:computed_at``.
    """
    link: list[str] = []
    if everything:
        deletes = [
            f"DELETE FROM {table}" for table in ("account_weeks", "client_weeks", "hour_counts")
        ]
        if dialect.name == "postgresql":
            # Fresh files instead of rows deleted one by one (whose dead index entries
            # every insert then checks: 0.4 of 0.6 s for the hour counts at 10^5 items),
            # and the foreign keys checked once at the end instead of per row.
            from storage.models import AccountWeek, ClientWeek, HourCount

            tables = [model.__table__ for model in (AccountWeek, ClientWeek, HourCount)]
            unlink = [ddl for table in tables for ddl in foreign_key_ddl(dialect, table)[0]]
            link = [ddl for table in tables for ddl in foreign_key_ddl(dialect, table)[1]]
            deletes = [*unlink, "TRUNCATE account_weeks, client_weeks, hour_counts"]
        accounts_source = "item_facts f"
        clients_source = "item_facts f"
        client_accounts = "account_weeks r"
    else:
        # The first two conditions let SQLite use the primary key; the last is exact.
        deletes = [
            f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {work}) "
            f"AND week IN (SELECT week FROM {work}) "
            f"AND ({key}, week) IN (SELECT {key}, week FROM {work})"
            for table, key, work in (
                ("account_weeks", "account_id", "rw_weeks"),
                ("hour_counts", "account_id", "rw_weeks"),
                ("client_weeks", "client_id", "rw_client_weeks"),
            )
        ]
        # rw_client_accounts: the client weeks spelled out per account, so that facts are
        # reached by the (account, week) index, not by a scan of the client's history.
        facts = "item_facts"
        if dialect.name == "postgresql":
            # There the seven reads below each became a whole scan of item_facts, a cost
            # that grows with the history: the facts in scope are read once into rw_roll
            # instead (on SQLite that costs more than it saves: it uses the index).
            facts = "rw_roll"
            deletes += [
                "DROP TABLE IF EXISTS rw_roll",
                "CREATE TEMPORARY TABLE rw_roll AS SELECT f.* FROM rw_client_accounts w "
                "JOIN item_facts f ON f.account_id = w.account_id AND f.local_week = w.week",
                "CREATE INDEX rw_roll_week ON rw_roll (account_id, local_week)",
                # Temporary tables are never auto-analysed; a small sample as for the
                # other work tables (the full one took 57 ms of a refresh at 10^6 items).
                *analyze_work_table_sql("rw_roll"),
            ]
        accounts_source = (
            f"rw_weeks w JOIN {facts} f ON f.account_id = w.account_id AND f.local_week = w.week"
        )
        clients_source = (
            f"rw_client_accounts w JOIN {facts} f "
            "ON f.account_id = w.account_id AND f.local_week = w.week"
        )
        client_accounts = (
            "rw_client_accounts w JOIN account_weeks r "
            "ON r.account_id = w.account_id AND r.week = w.week"
        )
    accounts = (
        f"INSERT INTO account_weeks (account_id, week, client_id, {_FIGURE_COLUMNS}, "
        "computed_at)\n"
        + figures_select(
            dialect,
            ["account_id", "local_week"],
            accounts_source,
            extra=(("client_id", "MIN(f.client_id)"),),
            tail=", :computed_at",
        )
    )
    # After the account weeks: a client week's counts are the sums of its accounts' weeks.
    clients = f"INSERT INTO client_weeks (client_id, week, {_FIGURE_COLUMNS}, computed_at)\n" + (
        client_figures_select(dialect, client_accounts, clients_source, tail=", :computed_at")
    )
    hours = f"""
INSERT INTO hour_counts (account_id, week, hour, inbound, own_replies)
SELECT f.account_id, f.local_week, f.hour_of_week,
  SUM(CASE WHEN f.role = 'inbound' THEN 1 ELSE 0 END),
  SUM(CASE WHEN f.role = 'own_reply' THEN 1 ELSE 0 END)
FROM {accounts_source}
WHERE f.role IN ('inbound', 'own_reply')
GROUP BY f.account_id, f.local_week, f.hour_of_week"""
    return [*deletes, accounts, clients, hours, *link]


def rebuild_rollups(
    session: Session, dialect: Dialect, everything: bool, now: datetime | None = None
) -> tuple[int, int]:
    """Recompute the rollups; returns how many account-weeks and client-weeks were written."""
    if not everything:
        session.execute(
            text(
                "INSERT INTO rw_client_accounts (account_id, week) SELECT a.id, w.week "
                "FROM rw_client_weeks w JOIN accounts a ON a.client_id = w.client_id"
            )
        )
        analyze(session, "rw_client_accounts")
    stamp = bindparam("computed_at", value=now or utcnow(), type_=UTCDateTime())
    written = []
    for statement in rollup_sql(dialect, everything):
        if ":computed_at" in statement:  # account weeks, then client weeks
            written.append(session.execute(text(statement).bindparams(stamp)).rowcount)
        else:
            session.execute(text(statement))
    written_accounts, written_clients = written
    session.execute(text("DROP TABLE IF EXISTS rw_roll"))
    return written_accounts or 0, written_clients or 0


# Client weeks that no longer match their accounts' weeks: an account was deleted with
# its items (``account remove --purge``, a trigger marks its client in
# rollup_dirty_clients). Reads only the rollups of the marked clients, never the items.
_DRIFTED_CLIENT_WEEKS_SQL = """
SELECT cw.client_id, cw.week FROM client_weeks cw
LEFT JOIN (
  SELECT a.client_id, aw.week, SUM(aw.posts) AS posts, SUM(aw.own_replies) AS own_replies,
    SUM(aw.inbound) AS inbound, SUM(aw.answered) AS answered, SUM(aw.unanswered) AS unanswered,
    SUM(aw.self_likes) AS self_likes
  FROM account_weeks aw JOIN accounts a ON a.id = aw.account_id
  WHERE a.client_id IN :client_ids
  GROUP BY a.client_id, aw.week
) t ON t.client_id = cw.client_id AND t.week = cw.week
WHERE cw.client_id IN :client_ids AND (t.client_id IS NULL OR t.posts <> cw.posts
  OR t.own_replies <> cw.own_replies OR t.inbound <> cw.inbound OR t.answered <> cw.answered
  OR t.unanswered <> cw.unanswered OR t.self_likes <> cw.self_likes)"""


def drifted_client_weeks(session: Session, client_ids: Iterable[int]) -> list[tuple[int, int]]:
    """The (client, week) pairs of these clients whose rollups count an account no longer
    there."""
    ids = sorted(set(client_ids))
    if not ids:
        return []
    dialect = session.get_bind().dialect.name
    statement = among_text(_DRIFTED_CLIENT_WEEKS_SQL, dialect, "client_ids")
    return [(row[0], row[1]) for row in session.execute(statement, {"client_ids": ids})]


__all__ = ["COUNT_NAMES", "drifted_client_weeks", "rebuild_rollups", "rollup_sql"]
