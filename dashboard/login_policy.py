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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from storage.logins import address_failures, prune_login_attempts, username_failures

WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USERNAME = 5
MAX_FAILURES_PER_ADDRESS = 20
KEEP_ATTEMPTS = timedelta(days=1)


@dataclass(frozen=True)
class Lock:
    until: datetime

    def minutes_left(self, now: datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds() / 60))


def lock_for(session: Session, username: str, address: str, now: datetime) -> Lock | None:
    """The lock that applies to this attempt, or None when it may be checked."""
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
