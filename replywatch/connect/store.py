"""Granted accounts into the database: the account (added, or found again for a
reconnect) and its connection with the sealed token, in the caller's transaction.

An account of the same platform and handle (or platform id) that belongs to another client
is refused: connecting never moves an account between clients. A reconnect replaces the
stored token and starts the credential status afresh ("ok": the platform just said yes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from replywatch.connect.grants import ConnectError, Grant, Refusal
from replywatch.connect.vault import Vault
from storage.models import Account, Client, Connection, CredentialStatus
from storage.platforms import platform as platform_spec


@dataclass(frozen=True)
class Connected:
    """An account whose token is now stored."""

    account_id: int
    platform: str
    handle: str
    added: bool  # a new account (False: an existing one connected again)
    expires_at: datetime | None


def store(
    session: Session,
    vault: Vault,
    client_id: int,
    grant: Grant,
    *,
    user_id: int | None,
    now: datetime,
) -> Connected:
    spec = platform_spec(grant.platform)
    if spec.connect is None:
        raise ConnectError(Refusal.PLATFORM, f"{spec.display_name} accounts cannot be connected")
    if grant.missing:
        raise ConnectError(
            Refusal.PERMISSION,
            f"{grant.label or grant.handle}: the permission {', '.join(grant.missing)} was not "
            "granted, and replywatch cannot read the account without it; connect again and "
            "allow it",
        )
    same_account = [Account.handle == grant.handle]
    if grant.platform_account_id:
        same_account.append(Account.platform_account_id == grant.platform_account_id)
    account = session.scalar(
        select(Account).where(Account.platform == grant.platform, or_(*same_account))
    )
    added = account is None
    if account is not None and account.client_id != client_id:
        owner = session.get(Client, client_id)
        raise ConnectError(
            Refusal.OTHER_CLIENT,
            f"{spec.display_name} {grant.handle} is audited for another client, not for "
            f"{owner.name if owner else 'this one'}; nothing was changed",
        )
    if account is None:
        account = Account(
            client_id=client_id,
            platform=grant.platform,
            handle=grant.handle,
            platform_account_id=grant.platform_account_id,
            display_name=grant.display_name,
            created_at=now,
        )
        session.add(account)
        session.flush()
    elif grant.platform_account_id and not account.platform_account_id:
        account.platform_account_id = grant.platform_account_id
    account.credential_status = CredentialStatus.OK
    account.credential_error = None
    sealed = vault.seal(grant.secret)
    values = {
        "method": spec.connect.grant,
        "sealed": sealed,
        "scopes": " ".join(grant.scopes)[:1000],
        "connected_at": now,
        "connected_by": user_id,
        "access_expires_at": grant.access_expires_at,
        "expires_at": grant.expires_at,
        "checked_at": now,
        "refreshed_at": None,
    }
    existing = session.get(Connection, account.id)
    if existing is None:
        session.add(Connection(account_id=account.id, version=1, **values))
    else:
        session.execute(
            update(Connection)
            .where(Connection.account_id == account.id)
            .values(version=Connection.version + 1, **values)
        )
    session.flush()
    return Connected(account.id, account.platform, account.handle, added, grant.expires_at)
