"""``user add|list|remove``: dashboard and email users."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import delete, inspect, select, update
from sqlalchemy.orm import Session

from replywatch import validation
from replywatch.cli import cli
from replywatch.cli.context import AppContext, BadInput, pass_app
from replywatch.cli.formatting import table
from replywatch.portfolio import (
    add_user,
    check_password,
    check_user,
    check_user_is_new,
    username_taken,
)
from replywatch.validation import InputError
from storage.engine import session_scope
from storage.migrate import current_revision, head_revision
from storage.models import Client, Role, User
from storage.usernames import canonical_username


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
    """Remove a user (the name in any case). Works also on a database waiting for
    `db upgrade`."""
    with _users_at_any_revision(app) as (session, _at_head):
        user_id, found = _find_user(session, username)
        session.execute(delete(USERS).where(USERS.c.id == user_id))
    app.console.print(f"Removed user {found!r}.")


@user.command("rename")
@click.argument("username")
@click.argument("new_name")
@pass_app
def user_rename(app: AppContext, username: str, new_name: str) -> None:
    """Give a user a new name (also to change its case). Works also on a database waiting
    for `db upgrade`, whose upgrade may ask for it."""
    try:
        new_name = validation.username(new_name)
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    with _users_at_any_revision(app) as (session, at_head):
        user_id, found = _find_user(session, username)
        for other_id, other in _all_users(session):
            if other_id != user_id and canonical_username(other) == canonical_username(new_name):
                raise InputError(username_taken(new_name, other))
        values = {"username": new_name}
        if at_head:
            values["username_key"] = canonical_username(new_name)
        session.execute(update(USERS).where(USERS.c.id == user_id).values(**values))
    app.console.print(f"Renamed user {found!r} to {new_name!r}; they log in with the new name.")


# Renaming and removing read and write only users.id and users.username (and the key where
# the schema has it), which every revision has: so they can resolve what an upgrade refuses.
USERS = User.__table__


@contextmanager
def _users_at_any_revision(app: AppContext) -> Iterator[tuple[Session, bool]]:
    engine = app.engine
    if not inspect(engine).has_table("alembic_version"):
        app.require_schema()  # says how to initialise it
    try:
        with session_scope(engine) as session:
            yield session, current_revision(engine) == head_revision()
    except InputError as exc:
        raise BadInput(str(exc)) from None


def _all_users(session: Session) -> list[tuple[int, str]]:
    return [(row.id, row.username) for row in session.execute(select(USERS.c.id, USERS.c.username))]


def _find_user(session: Session, username: str) -> tuple[int, str]:
    """The user of that exact name; else the one user whose name differs only in case."""
    users = _all_users(session)
    exact = [row for row in users if row[1] == username]
    if exact:
        return exact[0]
    similar = [row for row in users if canonical_username(row[1]) == canonical_username(username)]
    if len(similar) == 1:
        return similar[0]
    if similar:
        names = " and ".join(repr(name) for _, name in similar)
        raise InputError(f"user {username!r} could be {names}; give the name exactly")
    raise InputError(f"user {username!r} does not exist; `replywatch user list` shows them")
