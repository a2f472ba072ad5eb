"""``client add|list|show|edit``: the businesses and their service-level settings."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import func, select

from metrics import formats
from replywatch import portfolio, validation
from replywatch.cli import cli
from replywatch.cli.context import AppContext, find_client, pass_app
from replywatch.cli.formatting import table
from replywatch.validation import InputError
from storage.models import Account, Client


def _settings_options(command: Any) -> Any:
    """The options shared by ``client add`` and ``client edit``."""
    options = [
        click.option("--time-zone", help="IANA time zone, e.g. Europe/Berlin."),
        click.option(
            "--hours",
            help='Business hours, e.g. "mon-fri 08:00-18:00, sat 09:00-12:00", or "24/7".',
        ),
        click.option("--holidays", help='Public-holiday region, e.g. "DE-BY"; "none" for none.'),
        click.option("--answer-window", help="How long an answer may take to count, e.g. 72h."),
        click.option("--target", help="Response-time target, e.g. 4h or 15m."),
        click.option("--min-settled", type=int, help="Settled items needed for a verdict."),
        click.option("--responsive-ratio", help="Response ratio for 'responsive', e.g. 90%."),
        click.option("--partly-ratio", help="Response ratio for 'partly responsive', e.g. 65%."),
        click.option(
            "--retention",
            type=int,
            metavar="MONTHS",
            help="Months after which outsiders' texts, names and handles are removed (default 13).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _validated_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Turn the typed options into model fields, checking each one."""
    return portfolio.client_fields(portfolio.ClientOptions(**values))


@cli.group()
def client() -> None:
    """Businesses whose accounts are audited."""


@client.command("add")
@click.argument("name")
@_settings_options
@pass_app
def client_add(app: AppContext, name: str, **options: Any) -> None:
    """Add a client (a business). Settings not given take the METRICS.md defaults."""
    try:
        new = portfolio.check_client(name, portfolio.ClientOptions(**options))
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    with app.session() as session:
        added = portfolio.add_client(session, new)
        name, time_zone = added.name, added.time_zone
    app.console.print(f"Added client {name!r} ({time_zone}).")


@client.command("edit")
@click.argument("name")
@click.option("--rename", help="New name.")
@_settings_options
@pass_app
def client_edit(app: AppContext, name: str, rename: str | None, **options: Any) -> None:
    """Change a client's name or settings. Stored weekly snapshots keep their settings."""
    try:
        fields = _validated_settings(options)
        if rename is not None:
            fields["name"] = validation.client_name(rename)
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    if not fields:
        raise click.UsageError("nothing to change; give at least one option (see --help)")
    with app.session() as session:
        found = find_client(session, name)
        responsive = fields.get("responsive_ratio", found.responsive_ratio)
        partly = fields.get("partly_responsive_ratio", found.partly_responsive_ratio)
        if partly > responsive:
            raise InputError("the 'partly responsive' ratio must not be higher than 'responsive'")
        if "name" in fields and fields["name"].lower() != found.name.lower():
            taken = session.scalar(
                select(Client).where(func.lower(Client.name) == fields["name"].lower())
            )
            if taken:
                raise InputError(f"client {fields['name']!r} exists already")
        for key, value in fields.items():
            setattr(found, key, value)
        shown = found.name
    app.console.print(f"Updated client {shown!r}: {', '.join(sorted(fields))}.")


@client.command("list")
@pass_app
def client_list(app: AppContext) -> None:
    """List the clients."""
    with app.session() as session:
        rows = session.execute(
            select(Client, func.count(Account.id))
            .outerjoin(Account, Account.client_id == Client.id)
            .group_by(Client.id)
            .order_by(Client.name)
        ).all()
        if not rows:
            app.console.print("No clients yet. Add one: replywatch client add NAME")
            return
        out = table("client", "time zone", "business hours", "holidays", "accounts")
        for found, accounts in rows:
            out.add_row(
                found.name,
                found.time_zone,
                found.business_hours or "24/7",
                found.holiday_region or "-",
                str(accounts),
            )
    app.console.print(out)


def describe_client(found: Client) -> list[tuple[str, str]]:
    return [
        ("name", found.name),
        ("time zone", found.time_zone),
        ("business hours", found.business_hours or "24/7"),
        ("public holidays", found.holiday_region or "none"),
        ("answer window", formats.setting_duration(found.answer_window_hours * 60)),
        ("response-time target", formats.setting_duration(found.response_target_minutes)),
        ("settled items for a verdict", str(found.min_settled)),
        ("responsive from", f"{found.responsive_ratio:.0%}"),
        ("partly responsive from", f"{found.partly_responsive_ratio:.0%}"),
        ("outsiders' texts kept for", f"{found.retention_months} months"),
    ]


@client.command("show")
@click.argument("name")
@pass_app
def client_show(app: AppContext, name: str) -> None:
    """Show a client's settings, accounts and identities."""
    with app.session() as session:
        found = find_client(session, name)
        settings = table("setting", "value", title=f"Client {found.name}")
        for key, value in describe_client(found):
            settings.add_row(key, value)
        app.console.print(settings)
        accounts = table("id", "platform", "handle", "active", "credentials", title="Accounts")
        for account in sorted(found.accounts, key=lambda a: a.id):
            accounts.add_row(
                str(account.id),
                account.platform,
                account.handle,
                "yes" if account.active else "no",
                account.credential_status,
            )
        app.console.print(accounts if found.accounts else "No accounts yet.")
        if found.identities:
            identities = table("id", "platform", "handle", "label", title="Identities (own side)")
            for identity in found.identities:
                identities.add_row(
                    str(identity.id), identity.platform, identity.handle, identity.label or ""
                )
            app.console.print(identities)
