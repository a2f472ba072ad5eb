"""The demo's connect step: one account is connected the way an owner connects it, through
its platform's consent screen, and is collected with that token from then on.

The platform is the first in the portfolio whose flow needs no app registered beforehand
by the operator (replywatch registers itself on a Mastodon instance); the owner at the
simulated consent page is played by ``sandbox.person``. The flow is the production one:
the app registration (``POST /api/v1/apps``), the ``state`` checked and used up, the code
exchanged, the token sealed with the key file next to the demo database.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import requests
from sqlalchemy import Engine, select

from replywatch.config import Settings
from replywatch.connect.service import Connector, Finished
from replywatch.demo.progress import DemoAccount
from sandbox.person import callback_params, consent, read_consent
from storage.engine import session_factory
from storage.models import Account
from storage.platforms import PLATFORMS


@dataclass(frozen=True)
class DemoConnection:
    account: DemoAccount
    consent_url: str  # where the owner was sent (no secret in it: state and client id)


def connectable(accounts: list[DemoAccount]) -> DemoAccount | None:
    """The first account whose platform's consent flow works without an operator's app."""
    for account in accounts:
        facts = PLATFORMS[account.platform].connect
        if facts is not None and facts.method == "oauth" and not facts.settings:
            return account
    return None


def connect_one_account(
    engine: Engine, settings: Settings, accounts: list[DemoAccount]
) -> DemoConnection | None:
    account = connectable(accounts)
    if account is None:
        return None
    with session_factory(engine)() as session:
        client_id = session.scalars(select(Account.client_id).where(Account.id == account.id)).one()
    connector = Connector(engine, settings)
    holder = secrets.token_urlsafe(32)  # the demo's "browser session"
    started = connector.start(
        client_id=client_id,
        platform=account.platform,
        holder=holder,
        redirect_uri=str(settings.get("connect.cli_redirect_uri")),
        hint=account.handle,
    )
    # The owner signs in as the account (the option naming its handle) and allows access.
    options = read_consent(requests.Session(), started.url).who
    who = next((label for _, label in options if account.handle.startswith(label)), None)
    location = consent(started.url, who=who)
    finished = connector.callback(callback_params(location), holder=holder, who="replywatch demo")
    if not isinstance(finished, Finished) or not finished.accounts:
        raise RuntimeError(f"connecting {account.label} offered a choice: {finished}")
    return DemoConnection(account, started.url)
