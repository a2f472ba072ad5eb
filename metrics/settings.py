"""The settings in force for a client's week, kept with the numbers they produced.

A client's service-level settings (answer window, response target, business hours,
holidays, verdict thresholds) are copied into ``metric_settings`` for every week that has
data, when the week is first computed. While the week runs they follow the client; once
it has ended they stay as they were, so changing a contract's SLA does not rewrite the
verdicts of past weeks. ``replywatch metrics rebuild --current-settings`` deliberately
applies today's settings to all history.

The time zone is different: it defines which week an item belongs to, so a corrected
time zone applies to all history (the refresh recomputes that client completely).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from metrics.clock import BusinessClock
from metrics.periods import local_week_index
from storage.models import Client, MetricSettings
from storage.types import utcnow


@dataclass(frozen=True)
class SettingsInForce:
    time_zone: str
    business_hours: str | None
    holiday_region: str | None
    answer_window: timedelta
    response_target: timedelta
    min_settled: int
    responsive_ratio: float
    partly_responsive_ratio: float
    no_conversation_min_posts: int
    widen_max_weeks: int

    @classmethod
    def from_client(cls, client: Client) -> SettingsInForce:
        return cls(
            time_zone=client.time_zone,
            business_hours=client.business_hours,
            holiday_region=client.holiday_region,
            answer_window=timedelta(seconds=round(client.answer_window_hours * 3600)),
            response_target=timedelta(minutes=client.response_target_minutes),
            min_settled=client.min_settled,
            responsive_ratio=client.responsive_ratio,
            partly_responsive_ratio=client.partly_responsive_ratio,
            no_conversation_min_posts=client.no_conversation_min_posts,
            widen_max_weeks=client.widen_max_weeks,
        )

    @classmethod
    def from_row(cls, row: MetricSettings) -> SettingsInForce:
        return cls(
            time_zone=row.time_zone,
            business_hours=row.business_hours,
            holiday_region=row.holiday_region,
            answer_window=timedelta(seconds=row.answer_window_seconds),
            response_target=timedelta(seconds=row.response_target_seconds),
            min_settled=row.min_settled,
            responsive_ratio=row.responsive_ratio,
            partly_responsive_ratio=row.partly_responsive_ratio,
            no_conversation_min_posts=row.no_conversation_min_posts,
            widen_max_weeks=row.widen_max_weeks,
        )

    def row_values(self) -> dict[str, Any]:
        return {
            "time_zone": self.time_zone,
            "business_hours": self.business_hours,
            "holiday_region": self.holiday_region,
            "answer_window_seconds": int(self.answer_window.total_seconds()),
            "response_target_seconds": int(self.response_target.total_seconds()),
            "min_settled": self.min_settled,
            "responsive_ratio": self.responsive_ratio,
            "partly_responsive_ratio": self.partly_responsive_ratio,
            "no_conversation_min_posts": self.no_conversation_min_posts,
            "widen_max_weeks": self.widen_max_weeks,
        }

    def as_dict(self) -> dict[str, Any]:
        """Plain values for exports: durations in seconds."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["answer_window"] = self.answer_window.total_seconds()
        values["response_target"] = self.response_target.total_seconds()
        return values

    @cached_property
    def clock(self) -> BusinessClock:
        return BusinessClock.from_settings(self.business_hours, self.time_zone, self.holiday_region)


def _differs(row: MetricSettings, wanted: dict[str, Any]) -> bool:
    return any(getattr(row, key) != value for key, value in wanted.items())


@dataclass
class SettingsChanges:
    """What changed since the stored weeks were computed, so the refresh can follow."""

    # client -> first week whose settings changed (the running week or later)
    running_weeks: dict[int, int]
    # clients whose time zone changed: everything of theirs is recomputed
    time_zones: set[int]


def sync_settings(session: Session, now: datetime | None = None) -> SettingsChanges:
    """Bring the stored settings of running weeks (and all time zones) up to date.

    Reads one row per client and zone, and the rows of running weeks: its cost does not
    grow with the length of the history.
    """
    now = now or utcnow()
    changes = SettingsChanges({}, set())
    clients = {client.id: client for client in session.scalars(select(Client))}
    if not clients:
        return changes
    zones = session.execute(
        select(MetricSettings.client_id, MetricSettings.time_zone).distinct()
    ).all()
    for client_id, time_zone in zones:
        client = clients.get(client_id)
        if client is not None and time_zone != client.time_zone:
            session.execute(
                update(MetricSettings)
                .where(MetricSettings.client_id == client_id)
                .values(time_zone=client.time_zone)
            )
            changes.time_zones.add(client_id)
    running = {cid: local_week_index(now, c.time_zone) for cid, c in clients.items()}
    rows = session.scalars(
        select(MetricSettings)
        .where(MetricSettings.week >= min(running.values()))
        .order_by(MetricSettings.week)
        .execution_options(populate_existing=True)
    ).all()
    for row in rows:
        client = clients.get(row.client_id)
        if client is None or row.week < running[row.client_id]:
            continue
        wanted = SettingsInForce.from_client(client).row_values()
        if _differs(row, wanted):
            for key, value in wanted.items():
                setattr(row, key, value)
            row.recorded_at = now
            changes.running_weeks.setdefault(row.client_id, row.week)
    session.flush()
    return changes


def ensure_settings(
    session: Session, client_weeks: set[tuple[int, int]], now: datetime | None = None
) -> int:
    """Record the client's current settings for weeks that have none yet; returns how many."""
    if not client_weeks:
        return 0
    now = now or utcnow()
    client_ids = {client_id for client_id, _ in client_weeks}
    weeks = {week for _, week in client_weeks}
    known = {
        (row[0], row[1])
        for row in session.execute(
            select(MetricSettings.client_id, MetricSettings.week).where(
                MetricSettings.client_id.in_(client_ids), MetricSettings.week.in_(weeks)
            )
        )
    }
    missing = sorted(client_weeks - known)
    if not missing:
        return 0
    current = {
        client.id: SettingsInForce.from_client(client).row_values()
        for client in session.scalars(select(Client).where(Client.id.in_(client_ids)))
    }
    session.execute(
        MetricSettings.__table__.insert(),
        [
            {"client_id": cid, "week": week, "recorded_at": now, **current[cid]}
            for cid, week in missing
        ],
    )
    return len(missing)


def forget_settings(session: Session, client_ids: set[int] | None = None) -> None:
    """Drop stored settings so that today's apply to all history (rebuild --current-settings)."""
    statement = delete(MetricSettings)
    if client_ids is not None:
        statement = statement.where(MetricSettings.client_id.in_(client_ids))
    session.execute(statement)


def settings_for(
    session: Session, client: Client, week: int | None = None, now: datetime | None = None
) -> SettingsInForce:
    """The settings in force for ``client`` in ``week`` (default: the running week).

    The running week and later follow the client's current settings. A past week takes
    its stored row, or when it has none (no data that week), the row of the closest
    earlier week, or the client's current settings when there is none.
    """
    return settings_map(session, [client], week, now)[client.id]


def settings_map(
    session: Session, clients: list[Client], week: int | None = None, now: datetime | None = None
) -> dict[int, SettingsInForce]:
    """``settings_for`` of many clients with one query."""
    now = now or utcnow()
    result: dict[int, SettingsInForce] = {}
    past: dict[int, Client] = {}
    for client in clients:
        running = local_week_index(now, client.time_zone)
        if week is None or week >= running:
            result[client.id] = SettingsInForce.from_client(client)
        else:
            past[client.id] = client
    if past:
        newest = (
            select(MetricSettings.client_id, func.max(MetricSettings.week).label("week"))
            .where(MetricSettings.client_id.in_(list(past)), MetricSettings.week <= week)
            .group_by(MetricSettings.client_id)
            .subquery()
        )
        rows = session.scalars(
            select(MetricSettings).join(
                newest,
                (newest.c.client_id == MetricSettings.client_id)
                & (newest.c.week == MetricSettings.week),
            )
        )
        for row in rows:
            result[row.client_id] = SettingsInForce.from_row(row)
        for client_id, client in past.items():
            result.setdefault(client_id, SettingsInForce.from_client(client))
    return result
