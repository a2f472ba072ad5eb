"""``demo``: the whole product on simulated platforms, in about a minute, with no API keys.

``replywatch demo`` makes a fresh demo database, sets up a consultant's three clients
through the portfolio service behind replywatch's own commands, collects their accounts
with the production collectors from simulated platforms on this machine, computes the
metrics, prints what they say, and serves the dashboard with the demo's logins.
``--no-serve`` stops after the summary (for scripts and CI); ``--emails DIR`` also writes
the weekly emails of the owners and the consultant into a folder.
"""

from __future__ import annotations

import socket
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape

from replywatch import validation
from replywatch.cli import cli
from replywatch.cli.context import AppContext, BadInput, pass_app
from replywatch.cli.demo_output import reporter, show_logins, show_summary, show_timing
from replywatch.cli.serve import serve_dashboard
from replywatch.validation import InputError
from storage.platforms import display_name

if TYPE_CHECKING:
    from replywatch.demo.pipeline import DemoOptions, DemoResult

MAX_WEEKS = 104
MAX_COPIES = 200


@cli.command()
@click.option(
    "--db",
    "database_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file of the demo (replaced on every run); default: demo.db in the data folder.",
)
@click.option(
    "--seed",
    type=int,
    default=1,
    show_default=True,
    help="Same seed, same accounts, texts and times.",
)
@click.option(
    "--now",
    "now_text",
    metavar="MOMENT",
    help="The demo's present, e.g. 2026-11-18T09:30Z; default: the current time.",
)
@click.option(
    "--weeks", type=int, default=13, show_default=True, help="Weeks of history before now."
)
@click.option(
    "--copies",
    type=int,
    default=1,
    show_default=True,
    help="The portfolio this many times over (3 clients and about 2,500 items each).",
)
@click.option(
    "--no-serve",
    is_flag=True,
    help="Stop after the summary instead of serving the dashboard (scripts, CI).",
)
@click.option(
    "--emails",
    "emails_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the weekly emails (.eml, and .html with the chart for a browser) here.",
)
@click.option("--host", help="Dashboard address; default: dashboard.host (127.0.0.1).")
@click.option(
    "--port",
    type=int,
    help="Dashboard port; default: dashboard.port (8050), or a free one if taken.",
)
@pass_app
def demo(
    app: AppContext,
    database_file: Path | None,
    seed: int,
    now_text: str | None,
    weeks: int,
    copies: int,
    no_serve: bool,
    emails_dir: Path | None,
    host: str | None,
    port: int | None,
) -> None:
    """Run replywatch on a simulated portfolio: collect, compute, show, serve."""
    if app.database_url:
        raise BadInput(
            "the demo makes its own SQLite database and never uses --db URL; give its file "
            "with `replywatch demo --db FILE`"
        )
    try:
        now = validation.moment(now_text, "--now") if now_text else None
        if not 0 <= seed < 2**31:
            raise InputError(f"--seed {seed} is not valid; expected a whole number from 0")
        if not 2 <= weeks <= MAX_WEEKS:
            raise InputError(f"--weeks {weeks} is not valid; expected 2 to {MAX_WEEKS}")
        if not 1 <= copies <= MAX_COPIES:
            raise InputError(f"--copies {copies} is not valid; expected 1 to {MAX_COPIES}")
    except InputError as exc:
        raise BadInput(str(exc)) from None
    settings = app.settings
    if emails_dir is not None:
        _check_chart_browser(settings.get("email.chart_browser"))
    address: tuple[str, int] | None = None
    if not no_serve:
        address = _dashboard_address(
            (host or settings.get("dashboard.host")).strip(),
            settings.get("dashboard.port") if port is None else port,
            explicit=port is not None,
        )
    # Loaded here, not with the command line: the simulated platforms and the generator
    # are needed only when the demo runs.
    from replywatch.demo.database import check_demo_path, default_demo_path
    from replywatch.demo.pipeline import DemoOptions, run_pipeline

    database = database_file or default_demo_path()
    try:
        check_demo_path(database, settings.database_url)
    except InputError as exc:
        raise BadInput(str(exc)) from None
    console = app.console
    options = DemoOptions(
        database=database,
        seed=seed,
        now=now,
        weeks=weeks,
        copies=copies,
    )
    _introduce(console, options)
    detail = len(options.portfolio.clients)  # the first copy is shown in full
    result = run_pipeline(options, settings, reporter(console, detail))
    show_summary(console, result, detail)
    first_copy = {client.name for client in options.portfolio.clients}
    shown_url = _dashboard_url(address, options, result)
    if emails_dir is not None:
        # Links in the emails lead to the dashboard the demo serves (or the configured one).
        base = f"http://{address[0]}:{address[1]}" if address else None
        base = base or result.settings.get("dashboard.public_url")
        _write_emails(console, result, emails_dir, first_copy, base)
    show_logins(console, result.logins, first_copy)
    show_timing(console, result)
    if address is None:
        console.print(
            f"The demo database stays in {options.database}; look around with, e.g.: "
            f"replywatch --db sqlite:///{options.database} metrics",
            markup=False,
        )
        return
    consultant = next(login for login in result.logins if not login.clients)
    console.print(
        f"\nOpen {shown_url} and log in as [bold]{consultant.username}[/bold] (the consultant: the "
        f"portfolio compares the {len(result.outcomes)} clients; click a client for its "
        "verdict, evidence, weekly trends and the hour-of-week heatmap) or as one of the "
        "owners, who see only their own business.",
        highlight=False,
    )
    serving = AppContext(
        database_url=result.database_url, console=console, _settings=result.settings
    )
    serve_dashboard(serving, address[0], address[1])


def _dashboard_url(
    address: tuple[str, int] | None, options: DemoOptions, result: DemoResult
) -> str | None:
    if address is None:
        return None
    url = f"http://{address[0]}:{address[1]}/"
    weeks = {outcome.metrics.period.label for outcome in result.outcomes}
    if options.now is not None and len(weeks) == 1:
        # The dashboard's own "last full week" follows the real clock; show the demo's.
        url += f"?period={weeks.pop()}"
    return url


def _write_emails(
    console: Console, result: DemoResult, folder: Path, first_copy: set[str], url: str | None
) -> None:
    from replywatch.demo.emails import write_email_previews
    from reports.chart import ChartError
    from storage.engine import make_engine

    usernames = {login.username for login in result.logins if set(login.clients) <= first_copy}
    engine = make_engine(result.database_url)
    try:
        previews = write_email_previews(
            engine, result.settings, result.now, folder, usernames=usernames, dashboard_url=url
        )
    except ChartError as exc:
        raise click.ClickException(
            f"the weekly emails were not written: {exc} (set email.chart_browser to a "
            "Chromium, e.g. after: apt-get install chromium)"
        ) from None
    finally:
        engine.dispose()
    console.print(f"\n[bold]Weekly emails[/bold] in {escape(str(folder))}:", highlight=False)
    for preview in previews:
        console.print(
            f"  {preview.eml.name} / {preview.html.name}: {preview.subject}",
            markup=False,
            highlight=False,
        )


# --- before the pipeline ------------------------------------------------------------------


def _check_chart_browser(path: str) -> None:
    """The emails' chart needs a browser: refused now, not after the whole pipeline."""
    from reports.chart import ChartError, check_browser

    try:
        check_browser(path)
    except ChartError as exc:
        raise BadInput(f"--emails: {exc}") from None


def _dashboard_address(host: str, port: int, explicit: bool) -> tuple[str, int]:
    """Where the dashboard will listen: checked before the pipeline, not after a minute."""
    if not 0 <= port <= 65535:
        raise BadInput(f"--port {port} is not a port; expected a whole number from 0 to 65535")
    if port and _can_listen(host, port):
        return host, port
    if port and explicit:
        raise BadInput(f"cannot listen on {host}:{port}: the port is in use; try --port 0")
    free = _free_port(host)
    return host, free


def _can_listen(host: str, port: int) -> bool:
    try:
        with closing(socket.create_server((host, port))):
            return True
    except OSError:
        return False


def _free_port(host: str) -> int:
    try:
        with closing(socket.create_server((host, 0))) as probe:
            return int(probe.getsockname()[1])
    except OSError as exc:
        raise BadInput(f"cannot listen on {host}: {exc.strerror}") from None


def _introduce(console: Console, options: DemoOptions) -> None:
    portfolio = options.portfolio
    platforms = ", ".join(display_name(p) for p in sorted(portfolio.platforms))
    moment = "now" if options.now is None else f"{options.now:%Y-%m-%d %H:%M} UTC"
    clients = len(portfolio.clients) * options.copies
    accounts = len(portfolio.accounts()) * options.copies
    console.print(
        f"[bold]replywatch demo[/bold]: a consultant's {clients} clients with "
        f"{accounts} accounts on {platforms}; {options.weeks} weeks of "
        f"activity up to {moment} (seed {options.seed}). No API keys: the platforms are "
        "simulated on this machine and replywatch's own collectors read them over HTTP.",
        highlight=False,
    )
    console.print(
        f"Demo database: {options.database} (made fresh; your own database is not touched)",
        markup=False,
        highlight=False,
    )
