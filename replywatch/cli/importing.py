"""``import twcs FILE``: the Kaggle customer-support data set as history, a client per brand."""

from __future__ import annotations

import os
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from metrics import api
from replywatch.cli import cli
from replywatch.cli.context import AppContext, BadInput, find_client, pass_app
from replywatch.importing.twcs import (
    Problem,
    TwcsConflict,
    TwcsFormatError,
    TwcsSeveralBrands,
    import_twcs,
)


@cli.group("import")
def import_group() -> None:
    """Import history from data sets."""


@import_group.command("twcs")
@click.argument("file", metavar="FILE")
@click.option(
    "--client",
    "client_name",
    help="Put the brands under this existing client (a file of one business).",
)
@click.option(
    "--one-client",
    is_flag=True,
    help="With --client: accept a file of several brands under that one client.",
)
@click.option("--no-refresh", is_flag=True, help="Do not update the metrics afterwards.")
@pass_app
def import_twcs_command(
    app: AppContext, file: str, client_name: str | None, one_client: bool, no_refresh: bool
) -> None:
    """Import a "Customer Support on Twitter" CSV (twcs.csv or a sample of it).

    The data set holds many businesses: each brand (inbound = False) becomes a client of
    its own, named after its handle, with an inactive X account: its history is measured,
    nothing is collected for it. Customers' tweets go to the brand they are addressed to.
    --client NAME puts the brands under one existing client instead; a file with several
    brands is then refused unless --one-client is given too (one brand's replies would
    answer another brand's customers). Running it again changes nothing; an interrupted
    import is completed by running it again. Every row that cannot be read is listed
    with its line number, and the exit status is then 1.
    """
    path = Path(file).expanduser()
    if not path.is_file():
        raise BadInput(f"TWCS file {file!r} does not exist or is not a file")
    if not os.access(path, os.R_OK):
        raise BadInput(f"TWCS file {file!r} is not readable")
    if one_client and client_name is None:
        raise BadInput("--one-client goes with --client NAME (the client to put all brands under)")
    app.require_schema()
    client_id = None
    if client_name is not None:
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
            result = import_twcs(
                connection, path, client_id, on_read, on_write, report, one_client=one_client
            )
        except (TwcsFormatError, TwcsConflict, TwcsSeveralBrands) as exc:
            raise BadInput(str(exc)) from None
    owners = (
        f"of {client_name!r}"
        if client_name is not None
        else f"as {len(result.brands)} clients, one per brand"
    )
    app.console.print(
        f"Read {result.rows + result.unreadable} rows of {path.name}: {result.imported} tweets "
        f"imported ({result.new} new, {result.updated} changed, {result.unchanged} unchanged) "
        f"for {len(result.brands)} brands {owners}."
    )
    if result.clients_created:
        app.console.print(
            f"Added {len(result.clients_created)} clients: " + ", ".join(result.clients_created)
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
