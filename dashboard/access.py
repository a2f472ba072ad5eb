"""Who is looking, and which clients and accounts they may see.

A consultant sees every client; an owner only the clients granted to them (UserClient).
Grants are read from the database on every request, so a revoked grant takes effect at
once. A client or account that does not exist is answered exactly like one the viewer may
not see, so that nobody can probe which ids exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Account, Client, Role, User, UserClient


class AccessDenied(Exception):
    """The viewer may not see what was asked for (or it does not exist)."""


class NotLoggedIn(Exception):
    """The request carries no valid session."""


@dataclass(frozen=True)
class Viewer:
    user_id: int
    username: str
    role: str
    language: str
    granted_client_ids: frozenset[int]

    @property
    def is_consultant(self) -> bool:
        return self.role == Role.CONSULTANT

    def may_see_client(self, client_id: int) -> bool:
        return self.is_consultant or client_id in self.granted_client_ids


def viewer_for(session: Session, user: User) -> Viewer:
    granted = frozenset(
        session.scalars(select(UserClient.client_id).where(UserClient.user_id == user.id))
    )
    language = user.language if user.language in ("en", "de") else "en"
    return Viewer(user.id, user.username, user.role, language, granted)


def visible_clients(session: Session, viewer: Viewer) -> list[Client]:
    query = select(Client).order_by(Client.name)
    if not viewer.is_consultant:
        query = query.where(Client.id.in_(viewer.granted_client_ids))
    return list(session.scalars(query))


def visible_accounts(session: Session, viewer: Viewer, client_id: int) -> list[Account]:
    if not viewer.may_see_client(client_id):
        return []
    return list(
        session.scalars(
            select(Account)
            .where(Account.client_id == client_id)
            .order_by(Account.platform, Account.handle)
        )
    )


def client_for(session: Session, viewer: Viewer, client_id: int) -> Client:
    if not viewer.may_see_client(client_id):
        raise AccessDenied(f"client {client_id}")
    client = session.get(Client, client_id)
    if client is None:
        raise AccessDenied(f"client {client_id}")
    return client


def account_for(session: Session, viewer: Viewer, account_id: int) -> Account:
    account = session.get(Account, account_id)
    if account is None or not viewer.may_see_client(account.client_id):
        raise AccessDenied(f"account {account_id}")
    return account
