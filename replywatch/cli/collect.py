"""``collect``: collect once from the platforms, with progress per account and a summary.

Exit status: 0 when every account was collected (``ok``, ``partial`` with recorded
problems, or ``rate_limited`` — it resumes by itself after the reset), 1 when some account
failed (``failed``, ``credentials``; they are named on standard error, and so are the
accounts skipped because an earlier account's run found their host unreachable), 2 for bad
input.

Each account is collected under its claim (the lease ``collect:account:N``), the same the
service's collect job takes: an account the service (or another ``collect``) is
collecting at this moment is skipped without a call, named on standard error with the
holder, and does not change the exit status.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import click
from rich.markup import escape
from rich.progress import Progress as ProgressDisplay
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from sqlalchemy import select

from collectors.contract import Progress
from collectors.runner import RunSummary
from replywatch.cli import cli
from replywatch.cli.context import AppContext, find_account, find_client, pass_app
from replywatch.cli.formatting import table
from replywatch.collecting import UnreachableHosts, collect_account
from replywatch.validation import InputError
from storage.leases import LeaseKeeper, collection_key, holder, new_owner
from storage.models import Account, Client

OUTCOME_STYLE = {
    "ok": "green",
    "partial": "yellow",
    "rate_limited": "yellow",
    "credentials": "red",
    "failed": "red",
    "skipped": "dim",
}


@dataclass(frozen=True)
class _Target:
    id: int
    client: str
    platform: str
    handle: str

    @property
    def label(self) -> str:
        return f"{self.id} {self.platform} {self.handle}"


@cli.command()
@click.option("--client", "client_name", help="Only this client's accounts.")
@click.option("--account", "account_ref", metavar="ACCOUNT",
              help="Only this account: its number or platform:handle.")  # fmt: skip
@pass_app
def collect(app: AppContext, client_name: str | None, account_ref: str | None) -> None:
    """Collect once from the platforms: every active account, or the ones chosen."""
    targets = _targets(app, client_name, account_ref)
    if not targets:
        app.console.print("No active accounts to collect. Add one: replywatch account add --help")
        return
    summaries = _run(app, targets)
    app.console.print(_summary_table(targets, summaries))
    for target, summary in zip(targets, summaries, strict=True):
        if summary.outcome == "skipped" and summary.error and summary.error.startswith(BUSY):
            # Collected elsewhere at this moment: said, though nothing failed.
            click.echo(
                f"replywatch collect: account {target.label} skipped: {summary.message}", err=True
            )
    # A host-unreachable skip goes with the failure that caused it (which sets the exit code).
    failed = [(t, s) for t, s in zip(targets, summaries, strict=True)
              if s.failed or (s.outcome == "skipped" and s.unreachable)]  # fmt: skip
    if failed:
        for target, summary in failed:
            click.echo(
                f"replywatch collect: account {target.label} {summary.outcome}: {summary.message}",
                err=True,
            )
        raise click.exceptions.Exit(1)


def _targets(app: AppContext, client_name: str | None, account_ref: str | None) -> list[_Target]:
    with app.session() as session:
        query = select(Account, Client.name).join(Client).order_by(Client.name, Account.id)
        if client_name:
            query = query.where(Account.client_id == find_client(session, client_name).id)
        if account_ref:
            chosen = find_account(session, account_ref)
            if client_name and chosen.client_id != find_client(session, client_name).id:
                raise InputError(
                    f"account {account_ref!r} does not belong to client {client_name!r}"
                )
            if not chosen.active:
                raise InputError(
                    f"account {account_ref!r} is inactive (removed); it is not collected"
                )
            query = query.where(Account.id == chosen.id)
        else:
            query = query.where(Account.active.is_(True))
        return [
            _Target(account.id, client, account.platform, account.handle)
            for account, client in session.execute(query)
        ]


BUSY = "being collected by "


@contextmanager
def _claims(app: AppContext) -> Iterator[LeaseKeeper]:
    """The claims of this collect (``collect@host:pid:…``), renewed while it runs and
    given back at the end: the same per-account claim the service's job takes."""
    ttl = timedelta(seconds=int(app.settings.get("service.lease_seconds")))
    keeper = LeaseKeeper(app.engine, ttl, owner=new_owner("collect"))
    keeper.start_renewing()
    try:
        yield keeper
    finally:
        keeper.stop_renewing()
        keeper.release_all()


def _collect_claimed(
    app: AppContext, keeper: LeaseKeeper, account_id: int, **options: Any
) -> RunSummary:
    """Collect one account under its claim; skipped, naming the holder, when it is taken."""
    key = collection_key(account_id)
    if not keeper.try_acquire(key):
        with app.engine.connect() as connection:
            found = holder(connection, key, keeper.clock.now())
        who = found.owner if found is not None else "another process"
        return RunSummary(account_id, "skipped", error=f"{BUSY}{who} right now")
    try:
        return collect_account(app.engine, app.settings, account_id, **options)
    finally:
        keeper.release(key)


def _run(app: AppContext, targets: list[_Target]) -> list[RunSummary]:
    with _claims(app) as keeper:
        return _run_claimed(app, targets, keeper)


def _run_claimed(app: AppContext, targets: list[_Target], keeper: LeaseKeeper) -> list[RunSummary]:
    console = app.console
    summaries: list[RunSummary] = []
    # Hosts found down in this collect: the accounts after on the same host are skipped.
    unreachable = UnreachableHosts()
    if not console.is_terminal:
        # Logs and pipes get one line per account instead of a live display.
        for target in targets:
            summary = _collect_claimed(app, keeper, target.id, unreachable=unreachable)
            summaries.append(summary)
            console.print(f"account {target.label}: {summary_line(summary)}", markup=False)
        return summaries
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.fields[state]}"),
        TimeElapsedColumn(),
    )
    with ProgressDisplay(*columns, console=console) as display:
        tasks = {
            t.id: display.add_task(t.label, total=1, state="[dim]waiting[/dim]", start=False)
            for t in targets
        }
        for target in targets:
            task = tasks[target.id]
            display.start_task(task)

            def show(progress: Progress, task: int = task) -> None:
                display.update(task, state=escape(progress_text(progress)))

            summary = _collect_claimed(
                app, keeper, target.id, progress=show, unreachable=unreachable
            )
            style = OUTCOME_STYLE.get(summary.outcome, "")
            display.update(
                task, completed=1, state=f"[{style}]{escape(summary_line(summary))}[/{style}]"
            )
            summaries.append(summary)
    return summaries


def progress_text(progress: Progress) -> str:
    section = progress.section.split(" > ")[-1]
    return (
        f"{section}: {progress.api_calls} calls, {progress.items_new} new, "
        f"{progress.items_updated} updated"
    )


def private_text(count: int) -> str:
    """ "12 private messages skipped" (never stored: replywatch audits public dialogue)."""
    return f"{count} private message{'s' if count != 1 else ''} skipped"


def summary_line(summary: RunSummary) -> str:
    text = (
        f"{summary.outcome} — {summary.api_calls} calls, {summary.items_new} new, "
        f"{summary.items_updated} updated, {summary.items_removed} removed"
    )
    if summary.private_skipped:
        text = f"{text}, {private_text(summary.private_skipped)}"
    return f"{text}; {summary.message}" if summary.message else text


def _summary_table(targets: list[_Target], summaries: list[RunSummary]) -> Table:
    out = table(
        "account", "client", "platform", "handle", "outcome", "calls", "new", "updated",
        "removed", "private skipped", "problems", "seconds", "note", title="Collection summary",
    )  # fmt: skip
    for target, summary in zip(targets, summaries, strict=True):
        style = OUTCOME_STYLE.get(summary.outcome, "")
        out.add_row(
            str(target.id),
            target.client,
            target.platform,
            target.handle,
            f"[{style}]{summary.outcome}[/{style}]",
            str(summary.api_calls),
            str(summary.items_new),
            str(summary.items_updated),
            str(summary.items_removed),
            str(summary.private_skipped),
            str(len(summary.problems)),
            f"{summary.duration_seconds:.1f}",
            Text(summary.message),
        )
    return out
