"""Dashboard login attempts and sessions: the rows behind rate limits and logouts.

The policy (how many failures lock what, for how long) belongs to the dashboard; this
module only records and counts, so that the numbers survive restarts and are shared by
every web worker that uses the same database.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models import DashboardSession, LoginAttempt, User

USERNAME_KEY_LENGTH = 64
ADDRESS_KEY_LENGTH = 64


class AttemptOutcome:
    OK = "ok"
    FAILED = "failed"
    REFUSED = "refused"


def username_key(typed: str) -> str:
    """What a typed user name is counted under: case and surrounding spaces do not matter,
    so ``Anna`` and ``anna `` share one limit."""
    return typed.strip().lower()[:USERNAME_KEY_LENGTH]


def record_login_attempt(
    session: Session, *, username: str, address: str, outcome: str, at: datetime
) -> None:
    session.add(
        LoginAttempt(
            username=username_key(username),
            address=address[:ADDRESS_KEY_LENGTH],
            outcome=outcome,
            attempted_at=at,
        )
    )
    session.flush()


@dataclass(frozen=True)
class Failures:
    count: int
    oldest: datetime | None  # the earliest failure counted; the lock lifts a window after it


def username_failures(session: Session, username: str, since: datetime) -> Failures:
    """Failed attempts for a user name since ``since`` and after its last successful login."""
    key = username_key(username)
    last_ok = session.scalar(
        select(func.max(LoginAttempt.attempted_at)).where(
            LoginAttempt.username == key, LoginAttempt.outcome == AttemptOutcome.OK
        )
    )
    start = max(since, last_ok) if last_ok is not None else since
    return _failures(session, LoginAttempt.username == key, start, after=last_ok is not None)


def address_failures(session: Session, address: str, since: datetime) -> Failures:
    """Failed attempts from one address since ``since``. A success from the same address
    does not reset this count: one valid account must not unlock guessing at others."""
    return _failures(session, LoginAttempt.address == address[:ADDRESS_KEY_LENGTH], since)


def _failures(session: Session, condition, start: datetime, after: bool = False) -> Failures:
    time_condition = (
        LoginAttempt.attempted_at > start if after else LoginAttempt.attempted_at >= start
    )
    count, oldest = session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).where(
            condition, time_condition, LoginAttempt.outcome == AttemptOutcome.FAILED
        )
    ).one()
    return Failures(count=int(count), oldest=oldest)


def prune_login_attempts(session: Session, before: datetime) -> int:
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < before))
    return int(result.rowcount or 0)


# --- sessions ------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_dashboard_session(session: Session, user_id: int, now: datetime) -> str:
    """Create a session for a user; returns the token for the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        DashboardSession(
            token_hash=token_hash(token), user_id=user_id, created_at=now, last_seen_at=now
        )
    )
    session.flush()
    return token


def find_dashboard_session(session: Session, token: str) -> tuple[DashboardSession, User] | None:
    row = session.execute(
        select(DashboardSession, User)
        .join(User, User.id == DashboardSession.user_id)
        .where(DashboardSession.token_hash == token_hash(token))
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


def end_dashboard_session(session: Session, token: str) -> None:
    session.execute(
        delete(DashboardSession).where(DashboardSession.token_hash == token_hash(token))
    )


def prune_dashboard_sessions(
    session: Session, idle_before: datetime, created_before: datetime
) -> int:
    result = session.execute(
        delete(DashboardSession).where(
            (DashboardSession.last_seen_at < idle_before)
            | (DashboardSession.created_at < created_before)
        )
    )
    return int(result.rowcount or 0)
