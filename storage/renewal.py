"""Whether an account's credentials work, and when they must be renewed.

One rule for every place that tells people (``replywatch status``, the dashboard, the
owner's weekly email): a connection whose grant ends (``Connection.expires_at``) asks for
renewal :data:`RENEWAL_NOTICE` before that day, not after it; once the day has passed it is
expired even before the platform has refused anything; and what the platform said when it
refused the credentials (expired, revoked, a missing permission) is shown as it said it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.among import among
from storage.models import Account, Connection, CredentialStatus

RENEWAL_NOTICE = timedelta(days=14)


class Standing(StrEnum):
    """What people are told about an account's credentials."""

    UNCHECKED = "unchecked"
    OK = "ok"
    RENEW_SOON = "renew_soon"  # works, ends within RENEWAL_NOTICE: renew by ``ends``
    EXPIRED = "expired"
    REVOKED = "revoked"
    NO_PERMISSION = "no_permission"
    REFUSED = "needs_renewal"  # refused for a reason the platform did not name

    @property
    def needs_renewal(self) -> bool:
        """Somebody has to connect the account again (now or before ``ends``)."""
        return self not in (Standing.UNCHECKED, Standing.OK)


_REFUSALS = {
    CredentialStatus.EXPIRED: Standing.EXPIRED,
    CredentialStatus.REVOKED: Standing.REVOKED,
    CredentialStatus.NO_PERMISSION: Standing.NO_PERMISSION,
    CredentialStatus.NEEDS_RENEWAL: Standing.REFUSED,
}


@dataclass(frozen=True)
class CredentialState:
    standing: Standing
    # When the connection's grant ends (or ended); None for tokens by reference and grants
    # without an end.
    ends: datetime | None
    connected: bool  # the token was connected through the platform, not given by name
    reason: str | None = None  # the platform's words when it refused

    @property
    def needs_renewal(self) -> bool:
        return self.standing.needs_renewal


def credential_state(
    status: str,
    reason: str | None,
    connection: Connection | None,
    now: datetime,
) -> CredentialState:
    ends = connection.expires_at if connection is not None else None
    connected = connection is not None
    try:
        stored = CredentialStatus(status)
    except ValueError:
        stored = CredentialStatus.UNCHECKED
    if stored in _REFUSALS:
        return CredentialState(_REFUSALS[stored], ends, connected, reason)
    if ends is not None and now >= ends:
        return CredentialState(Standing.EXPIRED, ends, connected)
    if ends is not None and now >= ends - RENEWAL_NOTICE:
        return CredentialState(Standing.RENEW_SOON, ends, connected)
    return CredentialState(Standing(stored.value), ends, connected)


def credential_states(
    session: Session, account_ids: Iterable[int], now: datetime
) -> dict[int, CredentialState]:
    """The state of each account in ``account_ids`` (missing ids are left out)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Account.id, Account.credential_status, Account.credential_error, Connection)
        .outerjoin(Connection, Connection.account_id == Account.id)
        .where(among(session, Account.id, ids))
    ).all()
    return {
        account_id: credential_state(status, reason, connection, now)
        for account_id, status, reason, connection in rows
    }
