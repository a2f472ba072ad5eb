"""Dashboard login attempts and sessions: the rows behind rate limits and logouts.

The policy (how many failures lock what, for how long) belongs to the dashboard; this
module only counts and records, so that the numbers survive restarts and are shared by
every web worker that uses the same database.

An attempt is decided in two steps, because checking a password takes about half a second
and no transaction may stay open that long: first, in one short transaction,
:func:`count_attempt` and the policy's look at the failures so far, and the attempt is
recorded as ``checking`` (it counts as a failure from then on); then, after the password
check, :func:`settle_login_attempt` writes what the check found.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.models import DashboardSession, LoginAttempt, LoginCounter, User
from storage.upsert import insert_for
from storage.usernames import canonical_username

ADDRESS_KEY_LENGTH = 64


class AttemptOutcome:
    CHECKING = "checking"
    OK = "ok"
    FAILED = "failed"
    REFUSED = "refused"


# An attempt counts as failed while its password is being checked: a crash during the
# check must not leave a free try behind.
COUNTED_AS_FAILED = (AttemptOutcome.FAILED, AttemptOutcome.CHECKING)


def _address_key(address: str) -> str:
    return address[:ADDRESS_KEY_LENGTH]


def count_attempt(session: Session, *, username: str, address: str, at: datetime) -> None:
    """Count an attempt on its user name and its address: the first thing the transaction
    that decides on an attempt does.

    The increments lock both counter rows until that transaction ends, so that a
    simultaneous attempt on the same name or from the same address waits here and then
    sees this one. The name's row is always taken before the address's: two attempts never
    wait for each other crosswise.
    """
    for kind, value in (
        ("username", canonical_username(username)),
        ("address", _address_key(address)),
    ):
        insert = insert_for(session, LoginCounter).values(
            kind=kind, value=value, attempts=1, last_attempt_at=at
        )
        session.execute(
            insert.on_conflict_do_update(
                index_elements=[LoginCounter.kind, LoginCounter.value],
                set_={
                    "attempts": LoginCounter.attempts + 1,
                    "last_attempt_at": insert.excluded.last_attempt_at,
                },
            )
        )


def record_login_attempt(
    session: Session, *, username: str, address: str, outcome: str, at: datetime
) -> int:
    """Record an attempt; returns its id (to settle a ``checking`` attempt later)."""
    attempt = LoginAttempt(
        username=canonical_username(username),
        address=_address_key(address),
        outcome=outcome,
        attempted_at=at,
    )
    session.add(attempt)
    session.flush()
    return attempt.id


def settle_login_attempt(session: Session, attempt_id: int, outcome: str) -> None:
    """What the password check of a ``checking`` attempt found: ok or failed."""
    session.execute(
        update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(outcome=outcome)
    )


@dataclass(frozen=True)
class Failures:
    count: int
    oldest: datetime | None  # the earliest failure counted; the lock lifts a window after it


def username_failures(session: Session, username: str, since: datetime) -> Failures:
    """Failed attempts for a user name since ``since`` and after its last successful login."""
    key = canonical_username(username)
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
    return _failures(session, LoginAttempt.address == _address_key(address), since)


def _failures(session: Session, condition, start: datetime, after: bool = False) -> Failures:
    time_condition = (
        LoginAttempt.attempted_at > start if after else LoginAttempt.attempted_at >= start
    )
    count, oldest = session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).where(
            condition, time_condition, LoginAttempt.outcome.in_(COUNTED_AS_FAILED)
        )
    ).one()
    return Failures(count=int(count), oldest=oldest)


def prune_login_attempts(session: Session, before: datetime) -> int:
    """Forget attempts, and the counters of names and addresses not tried since, before
    ``before``; returns the number of attempts forgotten."""
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < before))
    session.execute(delete(LoginCounter).where(LoginCounter.last_attempt_at < before))
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
