"""The demo portfolio entered the way an operator enters it: through the portfolio service.

Every client, account, identity and user is checked and stored by the functions behind
``replywatch client add``, ``account add``, ``identity add`` and ``user add``
(:mod:`replywatch.portfolio`), given what an operator would type: the same checks, the
same stored form. Users get a password the demo chooses and prints. Nothing here writes a
table directly, and no item is written at all: items only ever arrive through the
collectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from replywatch import portfolio
from sandbox.generator import AccountSpec, ClientSpec, IdentitySpec, Portfolio, UserSpec
from storage.engine import session_scope


@dataclass(frozen=True)
class Login:
    """A dashboard user of the demo and the password the demo gave it."""

    username: str
    password: str
    role: str
    name: str
    language: str
    clients: tuple[str, ...]  # what an owner sees; empty for a consultant (sees all)


def demo_password(username: str) -> str:
    """The printed demo password: easy to type, long enough for `user add`'s rule."""
    return f"{username}-demo-login"


def new_client(client: ClientSpec) -> portfolio.NewClient:
    return portfolio.check_client(
        client.name,
        portfolio.ClientOptions(
            time_zone=client.time_zone,
            hours=client.business_hours,
            holidays=client.holiday_region or None,
            answer_window=client.answer_window_text,
            target=client.target_text,
        ),
    )


def new_account(account: AccountSpec) -> portfolio.NewAccount:
    # No account id: like an operator who knows only the handle, the demo lets the first
    # collection look the account up on the platform.
    return portfolio.check_account(
        account.platform,
        account.handle,
        credentials_ref=account.credentials_ref,
        display_name=account.name,
    )


def new_identity(identity: IdentitySpec) -> portfolio.NewIdentity:
    # The user id matters on Facebook, where comments show a person's name, not a handle.
    return portfolio.check_identity(
        identity.platform, identity.handle, identity.actor_id, identity.label
    )


def set_up_clients(engine: Engine, clients: Sequence[ClientSpec]) -> None:
    """Each client with its accounts and identities, one transaction per step as typed."""
    for client in clients:
        with session_scope(engine) as session:
            portfolio.add_client(session, new_client(client))
        for account in client.accounts:
            with session_scope(engine) as session:
                portfolio.add_account(session, client.name, new_account(account))
        for identity in client.identities:
            with session_scope(engine) as session:
                portfolio.add_identity(session, client.name, new_identity(identity))


def add_users(engine: Engine, users: Sequence[UserSpec]) -> list[Login]:
    logins = []
    for spec in users:
        password = demo_password(spec.username)
        new = portfolio.check_user(
            spec.username,
            role=spec.role,
            client_names=spec.clients,
            email=spec.email,
            language=spec.language,
        )
        with session_scope(engine) as session:
            portfolio.add_user(session, new, password)
        logins.append(
            Login(spec.username, password, spec.role, spec.name, spec.language, spec.clients)
        )
    return logins


def set_up_portfolio(engine: Engine, portfolio_spec: Portfolio) -> list[Login]:
    """Clients, accounts, identities and users of ``portfolio_spec``; returns the logins."""
    set_up_clients(engine, portfolio_spec.clients)
    return add_users(engine, portfolio_spec.users)
