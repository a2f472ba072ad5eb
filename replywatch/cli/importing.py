"""``import twcs FILE --client NAME``: the Kaggle customer-support data set as history."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from metrics import api
from replywatch.cli import cli
from replywatch.cli.context import AppContext, BadInput, find_client, pass_app
from replywatch.importing.twcs import Problem, TwcsConflict, TwcsFormatError, import_twcs


@cli.group("import")
def import_group() -> None:
    """Import history from data sets."""


@import_group.command("twcs")
@click.argument("file", metavar="FILE")
@click.option("--client", "client_name", required=True, help="The client the brands belong to.")
@click.option("--no-refresh", is_flag=True, help="Do not update the metrics afterwards.")
@pass_app
def import_twcs_command(app: AppContext, file: str, client_name: str, no_refresh: bool) -> None:
    """Import a "Customer Support on Twitter" CSV (twcs.csv or a sample of it).

    Each brand (inbound = False) becomes an inactive X account of the client: its history
    is measured, nothing is collected for it. Customers' tweets go to the brand they are
    addressed to. Running it again changes nothing; an interrupted import is completed by
    running it again. Every row that cannot be read is listed with its line number, and
    the exit status is then 1.
    """
    path = Path(file).expanduser()
    if not path.is_file():
        raise BadInput(f"TWCS file {file!r} does not exist or is not a file")
    if not os.access(path, os.R_OK):
        raise BadInput(f"TWCS file {file!r} is not readable")
    app.require_schema()
    with app.session() as session:
        client_id = find_client(session, client_name).id
    errors = Console(stderr=True, highlight=False, soft_wrap=True)

    def report(problem: Problem) -> None:
        what = "skipped" if problem.skipped else "read with a repair"
        errors.print(f"{path}:{problem.line}: {problem.message} ({what})", markup=False)

    with (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=errors,
            disable=not errors.is_terminal,
        ) as progress,
        app.engine.connect() as connection,
    ):
        reading = progress.add_task("reading", total=path.stat().st_size)
        writing = progress.add_task("storing", total=None, visible=False)

        def on_read(done: int, total: int) -> None:
            progress.update(reading, completed=done, total=total)

        def on_write(done: int, total: int) -> None:
            progress.update(writing, completed=done, total=total, visible=True)

        try:
            result = import_twcs(connection, path, client_id, on_read, on_write, report)
        except (TwcsFormatError, TwcsConflict) as exc:
            raise BadInput(str(exc)) from None
    app.console.print(
        f"Read {result.rows + result.unreadable} rows of {path.name}: {result.imported} tweets "
        f"imported ({result.new} new, {result.updated} changed, {result.unchanged} unchanged) "
        f"for {len(result.brands)} brands of {client_name!r}."
    )
    if result.accounts_created:
        app.console.print(
            f"Added {len(result.accounts_created)} inactive X accounts: "
            + ", ".join(result.accounts_created)
        )
    if result.duplicates:
        app.console.print(f"{result.duplicates} rows repeated a tweet id; the later row was used.")
    if result.missing_parents:
        app.console.print(
            f"{result.missing_parents} tweets reply to tweets that are not in the file; they are "
            "kept and linked as far as the file allows."
        )
    if not no_refresh:
        with app.session() as session:
            refreshed = api.refresh(session)
        app.console.print(f"Metrics updated ({refreshed.account_weeks} account-weeks).")
    if result.skipped:
        app.console.print(
            f"{result.skipped} rows could not be read (listed above with their line numbers)."
        )
        raise click.exceptions.Exit(1)
