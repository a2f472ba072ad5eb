"""``collect``: collect once from the platforms, with progress per account and a summary.

Exit status: 0 when every account was collected (``ok``, ``partial`` with recorded
problems, or ``rate_limited`` — it resumes by itself after the reset), 1 when some account
failed (``failed``, ``credentials``; they are named on standard error, and so are the
accounts skipped because an earlier account's run found their host unreachable), 2 for bad
input.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _run(app: AppContext, targets: list[_Target]) -> list[RunSummary]:
    console = app.console
    summaries: list[RunSummary] = []
    # Hosts found down in this collect: the accounts after on the same host are skipped.
    unreachable = UnreachableHosts()
    if not console.is_terminal:
        # Logs and pipes get one line per account instead of a live display.
        for target in targets:
            summary = collect_account(app.engine, app.settings, target.id, unreachable=unreachable)
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

            summary = collect_account(
                app.engine, app.settings, target.id, progress=show, unreachable=unreachable
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
