"""The demo portfolio entered the way an operator enters it: through replywatch's commands.

Every client, account and identity is added by running the command line an operator would
type (``replywatch client add …``, ``account add …``, ``identity add …``), parsed and
checked by the same click commands; users are added by the function behind ``user add``
with a password the demo chooses and prints. Nothing here writes a table directly, and
no item is written at all: items only ever arrive through the collectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from replywatch.cli import cli
from replywatch.cli.context import AppContext
from replywatch.cli.users import add_user
from sandbox.generator import AccountSpec, ClientSpec, IdentitySpec, Portfolio, UserSpec


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


def client_command(client: ClientSpec) -> list[str]:
    command = [
        "client", "add", client.name,
        "--time-zone", client.time_zone,
        "--hours", client.business_hours,
        "--target", client.target_text,
        "--answer-window", client.answer_window_text,
    ]  # fmt: skip
    if client.holiday_region:
        command += ["--holidays", client.holiday_region]
    return command


def account_command(client: ClientSpec, account: AccountSpec) -> list[str]:
    # No --account-id: like an operator who knows only the handle, the demo lets the first
    # collection look the account up on the platform.
    return [
        "account", "add",
        "--client", client.name,
        "--platform", account.platform,
        "--handle", account.handle,
        "--credentials", account.credentials_ref,
        "--display-name", account.name,
    ]  # fmt: skip


def identity_command(client: ClientSpec, identity: IdentitySpec) -> list[str]:
    # The user id matters on Facebook, where comments show a person's name, not a handle.
    return [
        "identity", "add",
        "--client", client.name,
        "--platform", identity.platform,
        "--handle", identity.handle,
        "--user-id", identity.actor_id,
        "--label", identity.label,
    ]  # fmt: skip


def operator_commands(portfolio: Portfolio) -> list[list[str]]:
    """The command lines (without the leading ``replywatch``) that set the portfolio up."""
    commands: list[list[str]] = []
    for client in portfolio.clients:
        commands.append(client_command(client))
        commands += [account_command(client, account) for account in client.accounts]
        commands += [identity_command(client, identity) for identity in client.identities]
    return commands


def run_command(app: AppContext, arguments: Sequence[str]) -> None:
    """Run one ``replywatch`` command line in this process against ``app``'s database.

    Parsing, validation and storing are the command's own; errors propagate (the demo's
    portfolio is fixed, so an error here is a bug, not bad input).
    """
    cli.main(args=list(arguments), prog_name="replywatch", standalone_mode=False, obj=app)


def add_users(app: AppContext, users: Sequence[UserSpec]) -> list[Login]:
    logins = []
    for spec in users:
        password = demo_password(spec.username)
        add_user(
            app,
            spec.username,
            role=spec.role,
            client_names=spec.clients,
            email=spec.email,
            language=spec.language,
            password=lambda password=password: password,
        )
        logins.append(
            Login(spec.username, password, spec.role, spec.name, spec.language, spec.clients)
        )
    return logins


def set_up_portfolio(app: AppContext, portfolio: Portfolio) -> list[Login]:
    """Clients, accounts, identities and users of ``portfolio``; returns the logins."""
    for command in operator_commands(portfolio):
        run_command(app, command)
    return add_users(app, portfolio.users)
