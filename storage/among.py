"""``column IN (many values)`` that stays cheap on PostgreSQL.

SQLAlchemy expands ``column.in_(ids)`` into one bound parameter per value. On PostgreSQL
each of them is rendered with a type cast, and psycopg parses the resulting long
statement again on every execution (it caches only short ones): a consultant's portfolio
passes every client's and account's id a few times per page, and on 1,000 accounts that
cost about 20 ms of the request's 110–130 ms of CPU (bench/dashboard.py
data). ``= ANY(:ids)`` sends the ids as one array parameter, so the statement is the same
short text whatever their number. SQLite has no arrays; there it is the usual ``IN``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, BigInteger, ColumnElement, TextClause, any_, bindparam, text
from sqlalchemy.orm import Session


def among(session: Session, column: Any, values: Iterable[int]) -> ColumnElement[bool]:
    """``column`` is one of the integer ``values`` (ids), for the session's database."""
    wanted = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, wanted, type_=ARRAY(BigInteger)))
    return column.in_(wanted)  # type: ignore[no-any-return]


def among_text(statement: str, dialect_name: str, *names: str) -> TextClause:
    """``text(statement)`` whose ``IN :name`` id lists are one array parameter on PostgreSQL.

    The statement is then the same text for any number of ids, so psycopg prepares it
    after a few executions and PostgreSQL neither parses nor plans it every time: the
    league table's queries spent about as long in parsing and planning as in running.
    """
    if dialect_name == "postgresql":
        for name in names:
            if f" IN :{name}" not in statement:
                raise ValueError(f"no 'IN :{name}' in the statement")
            statement = statement.replace(f" IN :{name}", f" = ANY(:{name})")
        return text(statement).bindparams(*(bindparam(n, type_=ARRAY(BigInteger)) for n in names))
    return text(statement).bindparams(*(bindparam(n, expanding=True) for n in names))
