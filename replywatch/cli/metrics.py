"""``metrics``: the numbers per account; ``metrics rebuild`` / ``metrics refresh``."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import click
from sqlalchemy import select

from metrics import api, formats
from metrics.compute import with_accounts
from metrics.periods import Period, PeriodError, date_range, iso_week, parse_day
from replywatch.cli import cli
from replywatch.cli.context import AppContext, find_account, find_client, pass_app
from replywatch.cli.formatting import table
from replywatch.validation import InputError
from storage.models import Account, Client


def ratio_with_interval(metrics: api.Metrics) -> str:
    interval = metrics.response_ratio_interval
    if metrics.response_ratio is None or interval is None:
        return "-"
    return (
        f"{metrics.response_ratio * 100:.0f} % ({interval.low * 100:.0f}-{interval.high * 100:.0f})"
    )


def verdict_text(metrics: api.Metrics) -> str:
    """The verdict, its window when widened, and the answers' qualifier when it applies."""
    widened = metrics.verdict.window_text()
    qualifier = metrics.verdict.quality.qualifier()
    return (
        metrics.verdict.name()
        + (f" ({widened})" if widened else "")
        + (f" · {qualifier}" if qualifier else "")
    )


def _period(week: str | None, first: str | None, last: str | None) -> Period | None:
    try:
        if week is not None:
            if first is not None or last is not None:
                raise InputError("give either --week or --from/--to, not both")
            return iso_week(week)
        if first is None and last is None:
            return None
        if first is None or last is None:
            raise InputError("--from and --to go together; give both dates")
        return date_range(parse_day(first, "--from"), parse_day(last, "--to"))
    except PeriodError as exc:
        raise InputError(str(exc)) from None


def _table(results: list[api.Metrics], app: AppContext) -> None:
    for client in results:
        periods = sorted({m.period.label for m in client.accounts} | {client.period.label})
        out = table(
            "account",
            "posts",
            "replies",
            "inbound",
            "questions",
            "answered",
            "missed",
            "waiting",
            "ratio (95 % CI)",
            "median",
            "median (business h)",
            "within target",
            "redirects",
            "templates",
            "substantive",
            "verdict",
            title=f"{client.subject.label} - {', '.join(periods)} ({client.subject.time_zone})",
        )
        out.columns[0].no_wrap = True  # the account's name and the verdict in one piece
        out.columns[-1].no_wrap = True
        rows = list(client.accounts) + ([client] if len(client.accounts) > 1 else [])
        for metrics in rows:
            is_total = metrics.subject.kind == "client"
            out.add_row(
                "all accounts" if is_total else metrics.subject.label,
                str(metrics.posts),
                str(metrics.own_replies),
                str(metrics.inbound),
                str(metrics.questions),
                str(metrics.answered),
                str(metrics.missed),
                str(metrics.waiting),
                ratio_with_interval(metrics),
                formats.compact_duration(metrics.response_time.median),
                formats.compact_duration(metrics.business_response_time.median),
                formats.compact_percent(metrics.within_target_ratio),
                formats.compact_percent(metrics.redirect_share),
                formats.compact_percent(metrics.template_share),
                formats.compact_percent(metrics.substantive_ratio),
                verdict_text(metrics),
                style="bold" if is_total else None,
            )
        app.console.print(out)


def _flat(results: list[api.Metrics]) -> list[dict[str, Any]]:
    rows = []
    for client in results:
        rows.extend(account.as_row() for account in client.accounts)
        rows.append(client.as_row())
    return rows


@cli.group("metrics", invoke_without_command=True)
@click.option("--client", "client_name", help="Only this client's accounts.")
@click.option(
    "--account",
    "account_ref",
    metavar="ACCOUNT",
    help="Only this account (number or platform:handle).",
)
@click.option(
    "--week", metavar="YYYY-Www", help="ISO week, e.g. 2026-W47 (default: the last full week)."
)
@click.option("--from", "first", metavar="DATE", help="First day of a date range (YYYY-MM-DD).")
@click.option("--to", "last", metavar="DATE", help="Last day of a date range (YYYY-MM-DD).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--no-refresh", is_flag=True, help="Show the stored numbers without updating them first."
)
@click.pass_context
def metrics_command(
    context: click.Context,
    client_name: str | None,
    account_ref: str | None,
    week: str | None,
    first: str | None,
    last: str | None,
    output: str,
    no_refresh: bool,
) -> None:
    """Response metrics per account, for an ISO week or a date range in each client's zone.

    Every account is shown with the figures of docs/metrics.md and its verdict; a client
    with several accounts gets a total line. The numbers are brought up to date first.
    """
    if context.invoked_subcommand is not None:
        return
    app: AppContext = context.find_object(AppContext)
    try:
        period = _period(week, first, last)
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    with app.session() as session:
        clients = _selected(session, client_name, account_ref)
        if not clients:
            app.console.print("No accounts yet. Add one: replywatch account add --help")
            return
        if not no_refresh:
            api.refresh(session)
            session.commit()
        keep = {client.id: account_ids for client, account_ids in clients}
        portfolio = api.portfolio_metrics(session, list(keep), period)
        results = [
            found
            if keep[found.subject.id] is None
            else with_accounts(
                found, [a for a in found.accounts if a.subject.id in keep[found.subject.id]]
            )
            for found in portfolio.clients
        ]
    if output == "table":
        _table(results, app)
    elif output == "csv":
        rows = _flat(results) if account_ref is None else _flat_accounts(results)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buffer.getvalue(), nl=False)
    else:
        payload = []
        for client in results:
            entries = list(client.accounts) + ([client] if account_ref is None else [])
            for entry in entries:
                row = entry.as_row()
                row["unanswered"] = [item.as_row() for item in entry.verdict.unanswered]
                quality = entry.verdict.quality
                # the evidence beside "mostly redirects and templates" (empty otherwise)
                row["repeated_replies"] = [
                    {"count": r.count, **r.latest.as_row()} for r in quality.repeated
                ]
                row["redirect_examples"] = [i.as_row() for i in quality.redirect_examples]
                payload.append(row)
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def _flat_accounts(results: list[api.Metrics]) -> list[dict[str, Any]]:
    return [account.as_row() for client in results for account in client.accounts]


def _selected(
    session: Any, client_name: str | None, account_ref: str | None
) -> list[tuple[Client, set[int] | None]]:
    """The clients to show, each with the account ids to keep (None: all of them)."""
    if account_ref is not None:
        account = find_account(session, account_ref)
        owner = session.get(Client, account.client_id)
        if client_name is not None and find_client(session, client_name).id != owner.id:
            raise InputError(
                f"account {account_ref!r} belongs to client {owner.name!r}, not {client_name!r}"
            )
        return [(owner, {account.id})]
    if client_name is not None:
        clients = [find_client(session, client_name)]
    else:
        clients = list(session.scalars(select(Client).order_by(Client.name)))
    with_accounts = set(session.scalars(select(Account.client_id)))
    return [(client, None) for client in clients if client.id in with_accounts]


@metrics_command.command("refresh")
@pass_app
def metrics_refresh(app: AppContext) -> None:
    """Update the numbers for what changed since the last refresh (the service does this)."""
    with app.session() as session:
        result = api.refresh(session)
    league = (
        f" League table stored for {result.league_weeks} client-weeks."
        if result.league_weeks
        else ""
    )
    if result.nothing_to_do:
        app.console.print(f"Metrics are up to date.{league}")
        return
    rerated = (
        f"; {result.rerated} earlier replies re-rated as templates (or no longer)"
        if result.rerated
        else ""
    )
    app.console.print(
        f"Refreshed {result.items} items in {result.threads} threads "
        f"({result.account_weeks} account-weeks){rerated} in {result.seconds:.1f} s.{league}"
    )


@metrics_command.command("rebuild")
@click.option(
    "--current-settings",
    is_flag=True,
    help="Apply today's client settings to all past weeks too (normally they keep theirs).",
)
@click.option(
    "--questions",
    is_flag=True,
    help="Classify every text again: questions, acknowledgments, redirects, templates.",
)
@pass_app
def metrics_rebuild(app: AppContext, current_settings: bool, questions: bool) -> None:
    """Recompute every fact and weekly rollup from the stored items."""
    with app.session() as session:
        result = api.rebuild(session, current_settings=current_settings, reclassify=questions)
    app.console.print(
        f"Rebuilt metrics: {result.items} items, {result.answered} answered inbound items, "
        f"{result.account_weeks} account-weeks, {result.client_weeks} client-weeks, "
        f"the league table of {result.league_weeks} client-weeks in {result.seconds:.1f} s."
    )
