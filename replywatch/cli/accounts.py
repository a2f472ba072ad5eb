"""``account add|list|remove``: the managed social accounts."""

from __future__ import annotations

import click
from sqlalchemy import delete, func, select

from collectors.handles import PLATFORMS
from replywatch import validation
from replywatch.cli import cli
from replywatch.cli.context import AppContext, find_account, find_client, pass_app
from replywatch.cli.formatting import minutes_text, table
from replywatch.secrets import check_reference
from replywatch.validation import InputError
from storage.models import Account, Client, Item


@cli.group()
def account() -> None:
    """Managed social accounts."""


@account.command("add")
@click.option("--client", "client_name", required=True, help="The client the account belongs to.")
@click.option("--platform", required=True, type=click.Choice(PLATFORMS, case_sensitive=False))
@click.option(
    "--handle",
    required=True,
    help="@name on X/Instagram, @name@instance, name.bsky.social, Page id.",
)
@click.option("--account-id", help="Platform id, if known; otherwise resolved on first collection.")
@click.option(
    "--credentials",
    "credentials_ref",
    metavar="NAME",
    help="Name of the environment variable or secrets-file key holding the token.",
)
@click.option("--display-name", help="Name to show instead of the handle.")
@click.option(
    "--interval", default="60m", show_default=True, help="How often to collect, e.g. 30m."
)
@pass_app
def account_add(
    app: AppContext,
    client_name: str,
    platform: str,
    handle: str,
    account_id: str | None,
    credentials_ref: str | None,
    display_name: str | None,
    interval: str,
) -> None:
    """Add an account to a client. The token itself is never stored, only its name."""
    platform = platform.lower()
    try:
        canonical = validation.handle(platform, handle)
        if credentials_ref is not None:
            check_reference(credentials_ref)
        minutes = validation.duration_minutes(interval, "collection interval")
        if minutes < 5:
            raise InputError(f"collection interval {interval!r} is shorter than 5 minutes")
        if account_id is not None and not account_id.strip():
            raise InputError("--account-id must not be empty")
    except (InputError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    with app.session() as session:
        owner = find_client(session, client_name)
        taken = session.scalar(
            select(Account).where(Account.platform == platform, Account.handle == canonical)
        )
        if taken is not None:
            raise InputError(f"{platform} account {canonical} exists already (account {taken.id})")
        added = Account(
            client_id=owner.id,
            platform=platform,
            handle=canonical,
            platform_account_id=account_id.strip() if account_id else None,
            credentials_ref=credentials_ref,
            display_name=display_name,
            collect_interval_minutes=round(minutes),
        )
        session.add(added)
        session.flush()
        number, client_shown = added.id, owner.name
    app.console.print(
        f"Added {platform} account {canonical} to {client_shown!r} as account {number}."
    )
    if credentials_ref is None and platform in ("x", "facebook", "instagram"):
        app.console.print(
            f"Note: {platform} needs a token; set one with --credentials NAME when adding it."
        )
    elif credentials_ref is None:
        secret = "an access token" if platform == "mastodon" else "an app password"
        app.console.print(
            f"Note: without credentials only public {platform} data is read; {secret} "
            "(--credentials NAME) adds notifications and the account's own likes."
        )


@account.command("list")
@click.option("--client", "client_name", help="Only this client's accounts.")
@pass_app
def account_list(app: AppContext, client_name: str | None) -> None:
    """List the accounts."""
    with app.session() as session:
        query = select(Account, Client.name).join(Client).order_by(Client.name, Account.id)
        if client_name:
            query = query.where(Account.client_id == find_client(session, client_name).id)
        rows = session.execute(query).all()
        if not rows:
            app.console.print("No accounts yet. Add one: replywatch account add --help")
            return
        out = table(
            "id", "client", "platform", "handle", "platform id", "active", "every", "credentials"
        )
        for found, owner in rows:
            out.add_row(
                str(found.id),
                owner,
                found.platform,
                found.handle,
                found.platform_account_id or "(resolved on first collection)",
                "yes" if found.active else "no",
                minutes_text(found.collect_interval_minutes),
                f"{found.credentials_ref or '-'} ({found.credential_status})",
            )
    app.console.print(out)


@account.command("remove")
@click.argument("reference", metavar="ACCOUNT")
@click.option("--purge", is_flag=True, help="Also delete everything collected for it.")
@click.option("--yes", is_flag=True, help="Confirm --purge without asking.")
@pass_app
def account_remove(app: AppContext, reference: str, purge: bool, yes: bool) -> None:
    """Stop collecting an account (ACCOUNT: number or platform:handle).

    Its history stays and counts in past weeks; --purge deletes it with all its items.
    """
    with app.session() as session:
        found = find_account(session, reference)
        label = f"{found.platform} account {found.handle}"
        if not purge:
            found.active = False
            app.console.print(f"Deactivated {label}; its history is kept. Use --purge to delete.")
            return
        items = session.scalar(select(func.count()).where(Item.account_id == found.id)) or 0
        if not yes and not click.confirm(
            f"Delete {label} and its {items} collected items?", default=False
        ):
            raise click.Abort()
        session.execute(delete(Account).where(Account.id == found.id))
    app.console.print(f"Deleted {label} and its {items} items.")
