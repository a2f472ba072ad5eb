"""``identity add|list|remove``: further handles that speak for a client."""

from __future__ import annotations

import click
from sqlalchemy import select

from replywatch.cli import cli
from replywatch.cli.context import AppContext, find_client, pass_app
from replywatch.cli.formatting import table
from replywatch.portfolio import add_identity, check_identity
from replywatch.validation import InputError
from storage.models import Client, Identity
from storage.own_side import refresh_own_flags
from storage.platforms import NAMES


@cli.group()
def identity() -> None:
    """Handles that speak for a client (agency staff, a second brand account)."""


@identity.command("add")
@click.option("--client", "client_name", required=True)
@click.option("--platform", required=True, type=click.Choice(NAMES, case_sensitive=False))
@click.option("--handle", required=True)
@click.option("--user-id", help="Platform user id, if known (matches even after a rename).")
@click.option("--label", help='Who this is, e.g. "agency: Jana".')
@pass_app
def identity_add(
    app: AppContext,
    client_name: str,
    platform: str,
    handle: str,
    user_id: str | None,
    label: str | None,
) -> None:
    """Count this handle's replies as the client's answers, also in stored history."""
    try:
        new = check_identity(platform, handle, user_id, label)
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    with app.session() as session:
        owner, changed = add_identity(session, client_name, new)
        shown = owner.name
    app.console.print(
        f"{new.handle} on {new.platform} now speaks for {shown!r}; {changed} stored items "
        "re-counted."
    )


@identity.command("list")
@click.option("--client", "client_name")
@pass_app
def identity_list(app: AppContext, client_name: str | None) -> None:
    """List identities."""
    with app.session() as session:
        query = select(Identity, Client.name).join(Client).order_by(Client.name, Identity.id)
        if client_name:
            query = query.where(Identity.client_id == find_client(session, client_name).id)
        rows = session.execute(query).all()
        if not rows:
            app.console.print("No identities.")
            return
        out = table("id", "client", "platform", "handle", "user id", "label")
        for found, owner in rows:
            out.add_row(
                str(found.id),
                owner,
                found.platform,
                found.handle,
                found.platform_user_id or "",
                found.label or "",
            )
    app.console.print(out)


@identity.command("remove")
@click.argument("number", type=int)
@pass_app
def identity_remove(app: AppContext, number: int) -> None:
    """Remove an identity (by the number `identity list` shows)."""
    with app.session() as session:
        found = session.get(Identity, number)
        if found is None:
            raise InputError(
                f"identity {number} does not exist; `replywatch identity list` shows them"
            )
        client_id, label = found.client_id, f"{found.handle} on {found.platform}"
        session.delete(found)
        session.flush()
        changed = refresh_own_flags(session, client_id)
    app.console.print(f"Removed identity {label}; {changed} stored items re-counted.")
