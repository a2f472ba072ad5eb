"""How many failed logins lock what, and for how long.

- A user name is locked after 5 failed attempts within 15 minutes (counted since its last
  successful login). This caps guessing one password at 20 tries an hour.
- An address (client IP) is locked after 20 failed attempts within 15 minutes, whatever
  the user names; a success does not reset it. This caps guessing across many names.
- While locked, attempts are refused without checking the password and are recorded as
  ``refused``, which does not extend the lock: the lock lifts 15 minutes after the oldest
  failure counted, so an attacker cannot keep the real user out for ever by hammering.
- Attempts are kept for a day, in the database, so the limits survive restarts and hold
  across all web workers.
- An attempt is counted before its password is checked (``admit``), in a transaction that
  attempts on the same name or from the same address pass one at a time: however many
  arrive at once, no more passwords are checked than the limits allow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from storage.logins import (
    AttemptOutcome,
    address_failures,
    count_attempt,
    prune_login_attempts,
    record_login_attempt,
    settle_login_attempt,
    username_failures,
)

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 20
KEEP_ATTEMPTS = timedelta(days=1)


@dataclass(frozen=True)
class Lock:
    until: datetime

    def minutes_left(self, now: datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds() / 60))


@dataclass(frozen=True)
class Admission:
    """An attempt either refused by a lock, or admitted: its password may be checked."""

    lock: Lock | None
    attempt_id: int | None


def admit(session: Session, username: str, address: str, now: datetime) -> Admission:
    """Count the attempt, then decide on it, then record it: as ``refused`` or as
    ``checking``. The caller commits at once (that ends the wait of simultaneous attempts
    on the same name or address), checks the password, and then calls :func:`settle`."""
    count_attempt(session, username=username, address=address, at=now)
    lock = lock_for(session, username, address, now)
    outcome = AttemptOutcome.REFUSED if lock is not None else AttemptOutcome.CHECKING
    attempt_id = record_login_attempt(
        session, username=username, address=address, outcome=outcome, at=now
    )
    return Admission(lock, None if lock is not None else attempt_id)


def settle(session: Session, attempt_id: int, accepted: bool, now: datetime) -> None:
    outcome = AttemptOutcome.OK if accepted else AttemptOutcome.FAILED
    settle_login_attempt(session, attempt_id, outcome)
    forget_old_attempts(session, now)


def lock_for(session: Session, username: str, address: str, now: datetime) -> Lock | None:
    """The lock that applies to an attempt, or None when it may be checked. Only sure
    when the attempt has been counted first in the same transaction (``admit``)."""
    since = now - WINDOW
    locks: list[datetime] = []
    by_name = username_failures(session, username, since)
    if by_name.count >= MAX_FAILURES_PER_USERNAME and by_name.oldest is not None:
        locks.append(by_name.oldest + WINDOW)
    by_address = address_failures(session, address, since)
    if by_address.count >= MAX_FAILURES_PER_ADDRESS and by_address.oldest is not None:
        locks.append(by_address.oldest + WINDOW)
    return Lock(max(locks)) if locks else None


def forget_old_attempts(session: Session, now: datetime) -> None:
    prune_login_attempts(session, now - KEEP_ATTEMPTS)
