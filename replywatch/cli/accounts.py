"""``account add|list|edit|remove``: the managed social accounts."""

from __future__ import annotations

import click
from sqlalchemy import delete, func, select

from metrics import formats
from replywatch import validation
from replywatch.cli import cli
from replywatch.cli.context import AppContext, find_account, find_client, pass_app
from replywatch.cli.formatting import table
from replywatch.portfolio import (
    add_account,
    check_account,
    credentials_reference,
    interval_minutes,
)
from replywatch.validation import InputError
from storage.models import Account, Client, Connection, CredentialStatus, Item
from storage.platforms import NAMES, PLATFORMS, REGISTRY
from storage.platforms import platform as platform_spec


@cli.group()
def account() -> None:
    """Managed social accounts."""


@account.command("add")
@click.option("--client", "client_name", required=True, help="The client the account belongs to.")
@click.option("--platform", required=True, type=click.Choice(NAMES, case_sensitive=False))
@click.option(
    "--handle",
    required=True,
    help="The account's handle, e.g. "
    + ", ".join(f"{spec.display_name} {spec.handle.example}" for spec in REGISTRY)
    + ".",
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
    try:
        new = check_account(
            platform,
            handle,
            account_id=account_id,
            credentials_ref=credentials_ref,
            display_name=display_name,
            interval=interval,
        )
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    with app.session() as session:
        added = add_account(session, client_name, new)
        number, client_shown = added.id, added.client.name
    platform, canonical, credentials_ref = new.platform, new.handle, new.credentials_ref
    app.console.print(
        f"Added {platform} account {canonical} to {client_shown!r} as account {number}."
    )
    credentials = platform_spec(platform).credentials
    if credentials_ref is None and credentials.required:
        app.console.print(
            f"Note: {platform} needs {credentials.secret}; set one with --credentials NAME "
            "when adding it."
        )
    elif credentials_ref is None:
        secret = credentials.secret
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
        query = (
            select(Account, Client.name, Connection.method)
            .join(Client)
            .outerjoin(Connection, Connection.account_id == Account.id)
            .order_by(Client.name, Account.id)
        )
        if client_name:
            query = query.where(Account.client_id == find_client(session, client_name).id)
        rows = session.execute(query).all()
        if not rows:
            app.console.print("No accounts yet. Add one: replywatch account add --help")
            return
        out = table(
            "id", "client", "platform", "handle", "platform id", "active", "every", "credentials"
        )
        for found, owner, connected in rows:
            # A connected token wins over a reference (replywatch.collecting).
            held = f"connected: {connected}" if connected else found.credentials_ref or "-"
            out.add_row(
                str(found.id),
                owner,
                found.platform,
                found.handle,
                found.platform_account_id or "(resolved on first collection)",
                "yes" if found.active else "no",
                formats.setting_duration(found.collect_interval_minutes),
                f"{held} ({found.credential_status})",
            )
    app.console.print(out)


@account.command("edit")
@click.argument("reference", metavar="ACCOUNT")
@click.option("--interval", help="How often to collect, e.g. 30m, 2h (at least 5 minutes).")
@click.option(
    "--credentials",
    "credentials_ref",
    metavar="NAME",
    help="Name of the environment variable or secrets-file key holding the token; "
    "the credential status starts again as unchecked.",
)
@click.option(
    "--no-credentials",
    is_flag=True,
    help="Forget the credentials reference ("
    + " and ".join(spec.display_name for spec in REGISTRY if not spec.credentials.required)
    + " then read public data).",
)
@click.option(
    "--active/--inactive",
    default=None,
    help="Collect the account again (also one `account remove` stopped) / stop collecting it.",
)
@click.option("--display-name", help='Name to show instead of the handle; "" shows the handle.')
@pass_app
def account_edit(
    app: AppContext,
    reference: str,
    interval: str | None,
    credentials_ref: str | None,
    no_credentials: bool,
    active: bool | None,
    display_name: str | None,
) -> None:
    """Change an account (ACCOUNT: number or platform:handle).

    Its collected history stays whatever changes. A running `replywatch run` picks up a
    new interval and (de)activation within service.reconcile_seconds.
    """
    try:
        minutes = interval_minutes(interval) if interval is not None else None
        if credentials_ref is not None and no_credentials:
            raise InputError("give either --credentials NAME or --no-credentials, not both")
        if credentials_ref is not None:
            credentials_ref = credentials_reference(credentials_ref)
        shown_name = validation.display_name(display_name) if display_name is not None else None
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    asked = (minutes, credentials_ref, active, display_name)
    if asked == (None, None, None, None) and not no_credentials:
        raise click.UsageError("nothing to change; give at least one option (see --help)")

    changes: list[str] = []
    kept: list[str] = []
    with app.session() as session:
        found = find_account(session, reference)
        label = f"{found.platform} account {found.handle} (account {found.id})"
        if minutes is not None:
            if minutes == found.collect_interval_minutes:
                kept.append(f"collection interval {formats.setting_duration(minutes)}")
            else:
                before = formats.setting_duration(found.collect_interval_minutes)
                changes.append(
                    f"collection interval {before} → {formats.setting_duration(minutes)}"
                )
                found.collect_interval_minutes = minutes
        if credentials_ref is not None or no_credentials:
            changes.extend(_change_credentials(found, credentials_ref, kept))
        if active is not None:
            if active == found.active:
                kept.append("active" if active else "inactive")
            else:
                changes.append("collected again" if active else "no longer collected")
                found.active = active
        if display_name is not None:
            if shown_name == found.display_name:
                kept.append(f"display name {_name_text(shown_name)}")
            else:
                changes.append(
                    f"display name {_name_text(found.display_name)} → {_name_text(shown_name)}"
                )
                found.display_name = shown_name
        still_inactive = not found.active
        platform, has_credentials = found.platform, found.credentials_ref is not None

    if changes:
        app.console.print(f"Updated {label}: " + "; ".join(changes) + ".")
    else:
        app.console.print(f"Nothing to change for {label}.")
    if kept:
        app.console.print("Already so: " + "; ".join(kept) + ".")
    if minutes is not None and still_inactive:
        app.console.print("Note: the account is inactive; --active collects it again.")
    spec = PLATFORMS.get(platform)
    if active and not has_credentials and spec is not None and spec.credentials.required:
        secret = spec.credentials.secret
        app.console.print(f"Note: {platform} needs {secret}; set one with --credentials NAME.")
    if changes and (minutes is not None or active is not None):
        seconds = app.settings.get("service.reconcile_seconds")
        app.console.print(
            f"A running `replywatch run` picks this up within {seconds} s "
            "(service.reconcile_seconds)."
        )


def _name_text(name: str | None) -> str:
    return repr(name) if name else "none (the handle is shown)"


def _change_credentials(found: Account, reference: str | None, kept: list[str]) -> list[str]:
    """Set or forget the reference. Any new reference starts unchecked: the token behind
    it is unknown until the next collection signs in with it (also for the same name,
    whose value the operator has presumably just renewed)."""
    before = found.credentials_ref
    status_before = found.credential_status
    found.credentials_ref = reference
    found.credential_status = CredentialStatus.UNCHECKED
    found.credential_error = None
    changes: list[str] = []
    if before != reference:
        changes.append(f"credentials {before or '-'} → {reference or '-'}")
    else:
        kept.append(f"credentials {reference or '-'}")
    if status_before != CredentialStatus.UNCHECKED:
        changes.append(f"credential status {status_before} → {CredentialStatus.UNCHECKED}")
    return changes


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
        if not purge and not found.active:
            app.console.print(
                f"{label} is inactive already; its history is kept. Use --purge to delete."
            )
            return
        if not purge:
            found.active = False
            app.console.print(
                f"Deactivated {label}; its history is kept. Use --purge to delete; "
                f"`replywatch account edit {found.id} --active` collects it again."
            )
            return
        items = session.scalar(select(func.count()).where(Item.account_id == found.id)) or 0
        if not yes and not click.confirm(
            f"Delete {label} and its {items} collected items?", default=False
        ):
            raise click.Abort()
        session.execute(delete(Account).where(Account.id == found.id))
    app.console.print(f"Deleted {label} and its {items} items.")
