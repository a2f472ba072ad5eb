"""Who gets which weekly email, and from when: rows in ``email_deliveries``.

Owners get one email per client they are granted (scope ``client:<id>``), on Monday at
``email.send_time`` in that client's time zone, about the ISO week that just ended
there. Consultants get one digest across all clients (scope ``digest``) once that
moment has passed for every client, i.e. at the send time of the westernmost client.

Planning inserts with ON CONFLICT DO NOTHING on (recipient, scope, week): running it
twice, late, or in two processes at once plans each email once. A week is planned only
until ``late`` after its moment (the service was down on Monday); after that the next
week's email is the one worth sending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from metrics.periods import Period, week_of
from storage.models import Client, EmailDelivery, Role, User, UserClient

DIGEST_SCOPE = "digest"


def client_scope(client_id: int) -> str:
    return f"client:{client_id}"


def scope_client_id(scope: str) -> int | None:
    prefix, _, number = scope.partition(":")
    return int(number) if prefix == "client" and number.isdigit() else None


def send_moment(week: Period, time_zone: str, send_time: str) -> datetime:
    """The Monday after ``week``, at ``send_time`` in ``time_zone`` (an aware datetime)."""
    hour, minute = (int(part) for part in send_time.split(":"))
    monday = week.end
    return datetime.combine(monday, time(hour, minute), tzinfo=ZoneInfo(time_zone))


def _candidate_weeks(now: datetime) -> list[Period]:
    # Every time zone's "past week" is one of the three before (UTC date + 1 day).
    latest = week_of(now.date() + timedelta(days=1)).previous()
    return [latest, latest.previous(), latest.previous().previous()]


def due_week(
    now: datetime, time_zones: list[str], send_time: str, late: timedelta
) -> Period | None:
    """The week whose email is due now for these zones (all of them past their moment)."""
    if not time_zones:
        return None
    for week in _candidate_weeks(now):
        moment = max(send_moment(week, zone, send_time) for zone in time_zones)
        if moment <= now <= moment + late:
            return week
    return None


@dataclass(frozen=True)
class PlannedEmail:
    recipient: str
    user_id: int
    scope: str
    client_id: int | None
    week: Period  # an ISO week


def wanted_emails(
    connection: Connection, now: datetime, send_time: str, late: timedelta
) -> list[PlannedEmail]:
    clients = connection.execute(select(Client.id, Client.time_zone).order_by(Client.id)).all()
    wanted: list[PlannedEmail] = []
    owners = connection.execute(
        select(User.id, User.email, UserClient.client_id)
        .join(UserClient, UserClient.user_id == User.id)
        .where(User.role == Role.OWNER, User.email.is_not(None))
        .order_by(User.id, UserClient.client_id)
    ).all()
    zone_of = dict(clients)
    for user_id, email, client_id in owners:
        week = due_week(now, [zone_of[client_id]], send_time, late)
        if week is not None:
            wanted.append(
                PlannedEmail(email.lower(), user_id, client_scope(client_id), client_id, week)
            )
    digest_week = due_week(now, sorted(set(zone_of.values())), send_time, late)
    if digest_week is not None:
        consultants = connection.execute(
            select(User.id, User.email)
            .where(User.role == Role.CONSULTANT, User.email.is_not(None))
            .order_by(User.id)
        ).all()
        for user_id, email in consultants:
            wanted.append(PlannedEmail(email.lower(), user_id, DIGEST_SCOPE, None, digest_week))
    return wanted


def plan_deliveries(
    connection: Connection, now: datetime, send_time: str, late: timedelta
) -> list[PlannedEmail]:
    """Insert the due weekly emails that are not planned yet; returns the new ones."""
    planned: list[PlannedEmail] = []
    for email in wanted_emails(connection, now, send_time, late):
        values = {
            "recipient": email.recipient,
            "user_id": email.user_id,
            "scope": email.scope,
            "client_id": email.client_id,
            "iso_week": str(email.week),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        dialect = connection.dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(EmailDelivery)
        statement = (
            insert.values(**values)
            .on_conflict_do_nothing(index_elements=["recipient", "scope", "iso_week"])
            .returning(EmailDelivery.id)
        )
        if connection.execute(statement).first() is not None:
            planned.append(email)
    return planned
