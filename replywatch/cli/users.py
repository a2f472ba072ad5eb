"""``user add|list|remove``: dashboard and email users."""

from __future__ import annotations

import getpass
import sys

import click
from sqlalchemy import select

from replywatch.cli import cli
from replywatch.cli.context import AppContext, find_user, pass_app
from replywatch.cli.formatting import table
from replywatch.portfolio import add_user, check_password, check_user, check_user_is_new
from replywatch.validation import InputError
from storage.models import Client, Role, User


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
    try:
        new = check_user(
            username, role=role, client_names=client_names, email=email, language=language
        )
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    app.require_schema()
    with app.session() as session:
        check_user_is_new(session, new)
    password = check_password(read_password(password_stdin))
    with app.session() as session:
        _, clients = add_user(session, new, password)
        granted = f" for {', '.join(c.name for c in clients)}" if clients else ""
    app.console.print(f"Added {role} {new.username!r}{granted}.")


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
