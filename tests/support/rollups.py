"""Client weeks as stored and as the facts give them (the rollup adds up account weeks)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from metrics.facts import engine_dialect
from metrics.sql import figures_select
from storage.models import ClientWeek

_FIGURES = [
    c.name
    for c in ClientWeek.__table__.columns
    if c.name not in ("client_id", "week", "computed_at")
]


def stored_client_weeks(session: Session) -> list[tuple[Any, ...]]:
    columns = [ClientWeek.client_id, ClientWeek.week, *(getattr(ClientWeek, n) for n in _FIGURES)]
    rows = session.execute(select(*columns).order_by(ClientWeek.client_id, ClientWeek.week))
    return [tuple(row) for row in rows]


def client_weeks_from_facts(session: Session) -> list[tuple[Any, ...]]:
    """Every client week computed straight from its facts (the definition)."""
    statement = figures_select(engine_dialect(session), ["client_id", "local_week"], "item_facts f")
    columns = ", ".join(["t.client_id", "t.local_week", *(f"t.{n}" for n in _FIGURES)])
    rows = session.execute(
        text(f"SELECT {columns} FROM ({statement}) t ORDER BY t.client_id, t.local_week")
    )
    return [tuple(row) for row in rows]
