"""``demo``: the whole product on simulated platforms, in about a minute, with no API keys.

``replywatch demo`` makes a fresh demo database, sets up a consultant's three clients with
replywatch's own commands, collects their accounts with the production collectors from
simulated platforms on this machine, computes the metrics, prints what they say, and
serves the dashboard with the demo's logins. ``--no-serve`` stops after the summary (for
scripts and CI).
"""

from __future__ import annotations

import socket
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress as ProgressDisplay
from rich.progress import SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from collectors.run import Progress, RunSummary
from metrics.labels import Verdict, verdict_name
from replywatch import validation
from replywatch.cli import cli
from replywatch.cli.collect import OUTCOME_STYLE, progress_text, summary_line
from replywatch.cli.context import AppContext, BadInput, pass_app
from replywatch.cli.formatting import table
from replywatch.cli.metrics import duration_text, percent_text
from replywatch.demo.progress import CollectionRound, DemoAccount, DemoProgress
from replywatch.validation import InputError

if TYPE_CHECKING:
    from metrics import api
    from replywatch.demo.pipeline import DemoOptions, DemoResult
    from replywatch.demo.setup import Login
    from replywatch.demo.summary import ClientOutcome
    from sandbox.generator import Portfolio

PLATFORM_NAMES = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
}
MAX_WEEKS = 104


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
    "--no-serve",
    is_flag=True,
    help="Stop after the summary instead of serving the dashboard (scripts, CI).",
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
    no_serve: bool,
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
    except InputError as exc:
        raise BadInput(str(exc)) from None
    settings = app.settings
    address: tuple[str, int] | None = None
    if not no_serve:
        address = _dashboard_address(
            (host or settings.get("dashboard.host")).strip(),
            settings.get("dashboard.port") if port is None else port,
            explicit=port is not None,
        )
    # Loaded here, not with the command line: the simulated platforms and the generator
    # are needed only when the demo runs.
    from replywatch.demo.database import default_demo_path
    from replywatch.demo.pipeline import DemoOptions, run_pipeline
    from replywatch.demo.setup import run_command

    console = app.console
    options = DemoOptions(
        database=database_file or default_demo_path(), seed=seed, now=now, weeks=weeks
    )
    _introduce(console, options)
    result = run_pipeline(options, settings, _reporter(console))
    _show_summary(console, result)
    _show_logins(console, result.logins)
    _show_timing(console, result)
    if address is None:
        console.print(
            f"The demo database stays in {options.database}; look around with, e.g.: "
            f"replywatch --db sqlite:///{options.database} metrics",
            markup=False,
        )
        return
    shown = f"http://{address[0]}:{address[1]}/"
    weeks = {outcome.metrics.period.label for outcome in result.outcomes}
    if options.now is not None and len(weeks) == 1:
        # The dashboard's own "last full week" follows the real clock; show the demo's.
        shown += f"?period={weeks.pop()}"
    console.print(
        f"\nOpen {shown} and log in as [bold]mara[/bold] (the consultant: the portfolio "
        "compares the three clients; click a client for its verdict, evidence, weekly trends "
        "and the hour-of-week heatmap) or as one of the owners, who see only their own "
        "business.",
        highlight=False,
    )
    serving = AppContext(
        database_url=result.database_url, console=console, _settings=result.settings
    )
    run_command(serving, ["serve", "--host", address[0], "--port", str(address[1])])


# --- before the pipeline ------------------------------------------------------------------


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
    platforms = ", ".join(PLATFORM_NAMES[p] for p in sorted(portfolio.platforms))
    moment = "now" if options.now is None else f"{options.now:%Y-%m-%d %H:%M} UTC"
    console.print(
        f"[bold]replywatch demo[/bold]: a consultant's {len(portfolio.clients)} clients with "
        f"{len(portfolio.accounts())} accounts on {platforms}; {options.weeks} weeks of "
        f"activity up to {moment} (seed {options.seed}). No API keys: the platforms are "
        "simulated on this machine and replywatch's own collectors read them over HTTP.",
        highlight=False,
    )
    console.print(
        f"Demo database: {options.database} (made fresh; your own database is not touched)",
        markup=False,
        highlight=False,
    )


# --- while the pipeline runs ----------------------------------------------------------------


class _Report(DemoProgress):
    """Steps and collection progress as plain lines (logs, pipes, CI)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def step(self, text: str) -> None:
        self.console.print(f"\n[bold]{escape(text)}[/bold]", highlight=False)

    def set_up(
        self, portfolio: Portfolio, accounts: list[DemoAccount], logins: list[Login]
    ) -> None:
        for spec in portfolio.clients:
            listed = ", ".join(a.label for a in accounts if a.client == spec.name)
            staff = f"; {len(spec.identities)} agency staff identities" if spec.identities else ""
            self.console.print(
                f"  {spec.name} ({spec.time_zone}, {spec.business_hours}, target "
                f"{spec.target_text}): {listed}{staff}",
                markup=False,
                highlight=False,
            )
        users = ", ".join(f"{login.username} ({login.role})" for login in logins)
        self.console.print(f"  users: {users}", markup=False, highlight=False)

    def platforms_started(self, urls: dict[str, str]) -> None:
        shown = ", ".join(f"{PLATFORM_NAMES[p]} {url}" for p, url in sorted(urls.items()))
        self.console.print(f"  simulated platforms: {shown}", markup=False, highlight=False)

    def round_started(self, round: CollectionRound, accounts: list[DemoAccount]) -> None:
        self.console.print(
            f"  as the platforms looked {round.name} ({round.moment:%Y-%m-%d %H:%M} UTC):",
            markup=False,
            highlight=False,
        )

    def collected(self, account: DemoAccount, summary: RunSummary) -> None:
        self.console.print(
            f"    {account.id} {account.label}: {summary_line(summary)}",
            markup=False,
            highlight=False,
        )

    def metrics_refreshed(self, refresh: api.RefreshResult, seconds: float) -> None:
        self.console.print(
            f"  {refresh.items} items, {refresh.account_weeks} account weeks and "
            f"{refresh.client_weeks} client weeks computed in {seconds:.1f} s",
            highlight=False,
        )


class _LiveReport(_Report):
    """The same, with a live line per account while a terminal watches."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self.display: ProgressDisplay | None = None
        self.tasks: dict[int, TaskID] = {}

    def round_started(self, round: CollectionRound, accounts: list[DemoAccount]) -> None:
        super().round_started(round, accounts)
        self.display = ProgressDisplay(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.fields[state]}"),
            TimeElapsedColumn(),
            console=self.console,
        )
        self.display.start()
        self.tasks = {
            account.id: self.display.add_task(
                f"    {account.id} {escape(account.label)}", total=1, state="[dim]waiting[/dim]"
            )
            for account in accounts
        }

    def collecting(self, account: DemoAccount, progress: Progress) -> None:
        if self.display is not None:
            self.display.update(self.tasks[account.id], state=escape(progress_text(progress)))

    def collected(self, account: DemoAccount, summary: RunSummary) -> None:
        if self.display is not None:
            style = OUTCOME_STYLE.get(summary.outcome, "")
            self.display.update(
                self.tasks[account.id],
                completed=1,
                state=f"[{style}]{escape(summary_line(summary))}[/{style}]",
            )

    def round_finished(self, round: CollectionRound) -> None:
        if self.display is not None:
            self.display.stop()
            self.display = None


def _reporter(console: Console) -> _Report:
    return _LiveReport(console) if console.is_terminal else _Report(console)


# --- after the pipeline -------------------------------------------------------------------


def _trend_text(outcome: ClientOutcome) -> str:
    counts = outcome.trend_verdicts()
    ordered = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0].value))
    return ", ".join(f"{verdict_name(verdict)} {count}" for verdict, count in ordered)


def _cells(metrics: api.Metrics, name: str) -> dict[str, str]:
    ratio = percent_text(metrics.response_ratio)
    interval = metrics.response_ratio_interval
    if metrics.response_ratio is not None and interval is not None:
        ratio += f" ({interval.low * 100:.0f}–{interval.high * 100:.0f})"
    widened = metrics.verdict.window_text()
    return {
        "client / account": name,
        "verdict": metrics.verdict.name() + (f" ({widened})" if widened else ""),
        "response ratio": ratio,
        "median": duration_text(metrics.response_time.median),
        "answered": str(metrics.answered),
        "missed": str(metrics.missed),
        "waiting": str(metrics.waiting),
        "dialogue": percent_text(metrics.dialogue_share),
        "uncovered": percent_text(metrics.uncovered_share),
    }


# Column -> the narrowest it may get: words stay whole ("broadcast-only", "uncovered").
_COLUMNS = {"client / account": 16, "verdict": 14, "response ratio": 9, "median": 6,
            "answered": 8, "missed": 6, "waiting": 7, "dialogue": 8, "uncovered": 9}  # fmt: skip
# What a terminal of fewer than FULL_WIDTH columns shows; the story lines add the rest.
_NARROW = ("client / account", "verdict", "response ratio", "median", "missed", "uncovered")
FULL_WIDTH = 135


def _summary_table(outcomes: list[ClientOutcome], width: int) -> Table:
    weeks = sorted({o.metrics.period.label for o in outcomes})
    shown = list(_COLUMNS) if width >= FULL_WIDTH else list(_NARROW)
    out = table(*shown, title=f"The last full week ({', '.join(weeks)}) in replywatch's numbers")
    out.box = box.SIMPLE_HEAD
    for column in out.columns:
        column.min_width = _COLUMNS[str(column.header)]
    out.columns[0].overflow = "fold"  # a long handle breaks rather than losing its end
    for outcome in outcomes:
        cells = _cells(outcome.metrics, outcome.name)
        out.add_row(*(cells[name] for name in shown), style="bold")
        for account in outcome.metrics.accounts:
            cells = _cells(account, f"  {account.subject.label}")
            out.add_row(*(cells[name] for name in shown))
    return out


def _story(outcome: ClientOutcome) -> str:
    """One sentence per client, made from its numbers."""
    m = outcome.metrics
    settled = m.answered + m.missed
    parts = [f"{m.inbound} customer messages, {m.posts} posts, {m.own_replies} own replies"]
    if m.verdict.verdict is Verdict.BROADCAST_ONLY:
        parts.append(f"none of the {settled} settled messages answered")
    elif settled:
        parts.append(
            f"{m.answered} of {settled} settled messages answered, half of them within "
            f"{duration_text(m.response_time.median)} (target "
            f"{duration_text(m.settings.response_target)})"
        )
    if m.uncovered_share and m.answered:
        parts.append(
            f"{percent_text(m.uncovered_share)} of the messages came in hours in which the "
            "account never answers"
        )
    if m.self_likes:
        parts.append(f"{m.self_likes} likes by the own side on its own posts")
    if m.liked_not_answered:
        parts.append(f"{m.liked_not_answered} liked instead of answered")
    if m.waiting:
        parts.append(f"{m.waiting} still inside their answer window")
    text = "; ".join(parts) + f". Last {len(outcome.trend)} weeks: {_trend_text(outcome)}."
    if outcome.removed:
        found = Counter(
            f"{PLATFORM_NAMES[item.platform]} ({item.removed_reason})" for item in outcome.removed
        )
        listed = ", ".join(f"{count} on {where}" for where, count in sorted(found.items()))
        text += f" Customer comments hidden or deleted since the first day: {listed}."
    return text


def _show_summary(console: Console, result: DemoResult) -> None:
    console.print()
    console.print(_summary_table(result.outcomes, console.width))
    for outcome in result.outcomes:
        console.print(
            f"[bold]{escape(outcome.name)}[/bold]: {escape(_story(outcome))}", highlight=False
        )
    failed = [pair for round in result.rounds for pair in round.failed]
    for account, summary in failed:
        console.print(
            f"[red]Collecting {escape(account.label)} failed[/red]: {escape(summary.message)}",
            highlight=False,
        )


def _show_logins(console: Console, logins: list[Login]) -> None:
    out = table("user", "password", "role", "language", "sees", title="\nDashboard logins")
    for login in logins:
        sees = ", ".join(login.clients) if login.clients else "all clients"
        out.add_row(login.username, login.password, login.role, login.language, sees)
    console.print(out)


def _show_timing(console: Console, result: DemoResult) -> None:
    steps = ", ".join(
        f"{step} {seconds:.1f} s" for step, seconds in result.seconds.items() if step != "total"
    )
    console.print(
        f"Pipeline done in {result.seconds['total']:.1f} s ({steps}; "
        f"{result.api_calls} API calls).",
        highlight=False,
    )
