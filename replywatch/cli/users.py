"""``user add|list|remove``: dashboard and email users."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable

import click
from sqlalchemy import select

from replywatch import validation
from replywatch.cli import cli
from replywatch.cli.context import AppContext, find_client, find_user, pass_app
from replywatch.cli.formatting import table
from replywatch.validation import InputError
from storage.models import Client, Role, User, UserClient
from storage.passwords import MIN_PASSWORD_LENGTH, hash_password


def read_password(from_stdin: bool) -> str:
    """From a hidden prompt (typed twice) or the first line of standard input; never argv."""
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InputError("no password on standard input; expected one line with the password")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise InputError("the two passwords differ")
    return password


@cli.group()
def user() -> None:
    """People who log in to the dashboard and receive weekly emails."""


@user.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--client", "client_names", multiple=True, help="A client an owner may see (repeat).")
@click.option("--email", help="Where weekly emails go.")
@click.option("--language", default="en", show_default=True, help="en or de.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_app
def user_add(
    app: AppContext,
    username: str,
    role: str,
    client_names: tuple[str, ...],
    email: str | None,
    language: str,
    password_stdin: bool,
) -> None:
    """Add a user. The password is asked for, or read from standard input."""
    add_user(
        app,
        username,
        role=role,
        client_names=client_names,
        email=email,
        language=language,
        password=lambda: read_password(password_stdin),
    )


def add_user(
    app: AppContext,
    username: str,
    *,
    role: str,
    client_names: tuple[str, ...],
    email: str | None,
    language: str,
    password: Callable[[], str],
) -> None:
    """What `user add` does once it knows where the password comes from: check everything,
    ask ``password()`` only for a user that can be added, store the hash. The demo adds its
    users through here with passwords it prints."""
    try:
        username = validation.username(username)
        language = validation.language(language)
        email = validation.email(email) if email else None
        if role == Role.OWNER and not client_names:
            raise InputError("an owner needs at least one --client to see")
        if role == Role.CONSULTANT and client_names:
            raise InputError("a consultant sees every client; drop --client")
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    app.require_schema()
    with app.session() as session:
        clients = [find_client(session, name) for name in client_names]
        if session.scalar(select(User).where(User.username == username)):
            raise InputError(f"user {username!r} exists already")
    chosen = password()
    if len(chosen) < MIN_PASSWORD_LENGTH:
        raise InputError(
            f"the password is too short; expected at least {MIN_PASSWORD_LENGTH} characters"
        )
    with app.session() as session:
        added = User(
            username=username,
            password_hash=hash_password(chosen),
            role=role,
            email=email,
            language=language,
        )
        added.grants = [UserClient(client_id=found.id) for found in clients]
        session.add(added)
    granted = f" for {', '.join(c.name for c in clients)}" if clients else ""
    app.console.print(f"Added {role} {username!r}{granted}.")


@user.command("list")
@pass_app
def user_list(app: AppContext) -> None:
    """List users and what they may see."""
    with app.session() as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        if not users:
            app.console.print("No users yet. Add one: replywatch user add NAME --role consultant")
            return
        names = {row.id: row.name for row in session.execute(select(Client.id, Client.name))}
        out = table("user", "role", "email", "language", "clients")
        for found in users:
            sees = (
                "all"
                if found.role == Role.CONSULTANT
                else ", ".join(sorted(names[g.client_id] for g in found.grants))
            )
            out.add_row(found.username, found.role, found.email or "-", found.language, sees)
    app.console.print(out)


@user.command("remove")
@click.argument("username")
@pass_app
def user_remove(app: AppContext, username: str) -> None:
    """Remove a user."""
    with app.session() as session:
        session.delete(find_user(session, username))
    app.console.print(f"Removed user {username!r}.")
