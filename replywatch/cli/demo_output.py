"""What ``replywatch demo`` shows: progress while it runs, then the numbers it found.

Plain lines when the output goes to a pipe or a log (CI), a live line per account when a
terminal watches. A bigger portfolio (``--copies``) is shown in full for its first copy,
with one progress line per collection round and a tally of verdicts over all copies.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as ProgressDisplay
from rich.table import Table

from collectors.contract import Progress
from collectors.runner import RunSummary
from metrics import formats
from metrics.labels import Verdict, verdict_name
from replywatch.cli.collect import OUTCOME_STYLE, progress_text, summary_line
from replywatch.cli.formatting import table
from replywatch.demo.progress import CollectionRound, DemoAccount, DemoProgress
from storage.platforms import display_name

if TYPE_CHECKING:
    from metrics import api
    from replywatch.demo.pipeline import DemoResult
    from replywatch.demo.setup import Login
    from replywatch.demo.summary import ClientOutcome
    from sandbox.generator import Portfolio

_COPY_NUMBER = re.compile(r" \d+$")  # "Bäckerei Huber 7": copy 7 of "Bäckerei Huber"


def base_name(client: str) -> str:
    return _COPY_NUMBER.sub("", client)


# --- while the pipeline runs ----------------------------------------------------------------


class Report(DemoProgress):
    """Steps and collection progress as plain lines (logs, pipes, CI).

    ``detail`` clients (the first copy) are listed one by one; with more accounts than
    their own, each round ends in one line of totals instead of a line per account.
    """

    def __init__(self, console: Console, detail: int) -> None:
        self.console = console
        self.detail = detail
        self.per_account = True
        self.round_start = 0.0
        self.done: list[RunSummary] = []

    def line(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def step(self, text: str) -> None:
        self.console.print(f"\n[bold]{escape(text)}[/bold]", highlight=False)

    def set_up(
        self, portfolio: Portfolio, accounts: list[DemoAccount], logins: list[Login]
    ) -> None:
        shown = portfolio.clients[: self.detail]
        for spec in shown:
            listed = ", ".join(a.label for a in accounts if a.client == spec.name)
            staff = f"; {len(spec.identities)} agency staff identities" if spec.identities else ""
            self.line(
                f"  {spec.name} ({spec.time_zone}, {spec.business_hours}, target "
                f"{spec.target_text}): {listed}{staff}"
            )
        more = len(portfolio.clients) - len(shown)
        if more:
            self.line(f"  … and {more} more clients: copies of these under other names")
        users = [f"{login.username} ({login.role})" for login in logins]
        extra = f", … ({len(users)} users)" if len(users) > 6 else ""
        self.line(f"  users: {', '.join(users[:6])}{extra}")
        self.per_account = len(accounts) <= sum(len(spec.accounts) for spec in shown)

    def platforms_started(self, urls: dict[str, str]) -> None:
        shown = ", ".join(f"{display_name(p)} {url}" for p, url in sorted(urls.items()))
        self.line(f"  simulated platforms: {shown}")

    def account_connected(self, connection: Any) -> None:
        if connection is None:
            self.line("  no account in this portfolio connects through a consent screen")
            return
        self.line(
            f"  {connection.account.label} ({connection.account.client}): the owner allowed "
            "read access on the simulated consent page; its token is stored encrypted and "
            "collected with from now on"
        )

    def round_started(self, round: CollectionRound, accounts: list[DemoAccount]) -> None:
        self.line(f"  as the platforms looked {round.name} ({round.moment:%Y-%m-%d %H:%M} UTC):")
        self.round_start = time.perf_counter()
        self.done = []

    def collected(self, account: DemoAccount, summary: RunSummary) -> None:
        self.done.append(summary)
        if self.per_account:
            self.line(f"    {account.id} {account.label}: {summary_line(summary)}")

    def round_finished(self, round: CollectionRound) -> None:
        if not self.per_account:
            self.line(f"    {self.totals()}")

    def totals(self) -> str:
        outcomes = Counter(summary.outcome for summary in self.done)
        return (
            f"{len(self.done)} accounts ("
            + ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
            + f"): {sum(s.api_calls for s in self.done)} calls, "
            f"{sum(s.items_new for s in self.done)} new, "
            f"{sum(s.items_updated for s in self.done)} updated, "
            f"{sum(s.items_removed for s in self.done)} removed in "
            f"{time.perf_counter() - self.round_start:.1f} s"
        )

    def metrics_refreshed(self, refresh: api.RefreshResult, seconds: float) -> None:
        self.line(
            f"  {refresh.items} items, {refresh.account_weeks} account weeks and "
            f"{refresh.client_weeks} client weeks computed in {seconds:.1f} s"
        )


class LiveReport(Report):
    """The same, with a live line per account (or one bar for many) while a terminal
    watches."""

    def __init__(self, console: Console, detail: int) -> None:
        super().__init__(console, detail)
        self.display: ProgressDisplay | None = None
        self.tasks: dict[int, TaskID] = {}
        self.bar: TaskID | None = None

    def round_started(self, round: CollectionRound, accounts: list[DemoAccount]) -> None:
        super().round_started(round, accounts)
        if self.per_account:
            self.display = ProgressDisplay(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TextColumn("{task.fields[state]}"),
                TimeElapsedColumn(),
                console=self.console,
            )
            self.tasks = {
                account.id: self.display.add_task(
                    f"    {account.id} {escape(account.label)}",
                    total=1,
                    state="[dim]waiting[/dim]",
                )
                for account in accounts
            }
        else:
            self.display = ProgressDisplay(
                TextColumn("    accounts"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
            )
            self.bar = self.display.add_task("accounts", total=len(accounts))
        self.display.start()

    def collecting(self, account: DemoAccount, progress: Progress) -> None:
        if self.display is not None and self.per_account:
            self.display.update(self.tasks[account.id], state=escape(progress_text(progress)))

    def collected(self, account: DemoAccount, summary: RunSummary) -> None:
        self.done.append(summary)
        if self.display is None:
            return
        if self.per_account:
            style = OUTCOME_STYLE.get(summary.outcome, "")
            self.display.update(
                self.tasks[account.id],
                completed=1,
                state=f"[{style}]{escape(summary_line(summary))}[/{style}]",
            )
        elif self.bar is not None:
            self.display.advance(self.bar)

    def round_finished(self, round: CollectionRound) -> None:
        if self.display is not None:
            self.display.stop()
            self.display = None
        super().round_finished(round)


def reporter(console: Console, detail: int) -> Report:
    return LiveReport(console, detail) if console.is_terminal else Report(console, detail)


# --- after the pipeline -------------------------------------------------------------------


def _trend_text(outcome: ClientOutcome) -> str:
    counts = outcome.trend_verdicts()
    ordered = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0].value))
    return ", ".join(f"{verdict_name(verdict)} {count}" for verdict, count in ordered)


def _cells(metrics: api.Metrics, name: str) -> dict[str, str]:
    ratio = formats.compact_percent(metrics.response_ratio)
    interval = metrics.response_ratio_interval
    if metrics.response_ratio is not None and interval is not None:
        ratio += f" ({interval.low * 100:.0f}–{interval.high * 100:.0f})"
    widened = metrics.verdict.window_text()
    qualifier = metrics.verdict.quality.qualifier()
    return {
        "client / account": name,
        "verdict": metrics.verdict.name()
        + (f" ({widened})" if widened else "")
        + (f" · {qualifier}" if qualifier else ""),
        "response ratio": ratio,
        "median": formats.compact_duration(metrics.response_time.median),
        "answered": str(metrics.answered),
        "missed": str(metrics.missed),
        "waiting": str(metrics.waiting),
        "dialogue": formats.compact_percent(metrics.dialogue_share),
        "uncovered": formats.compact_percent(metrics.uncovered_share),
    }


# Column -> the narrowest it may get: words stay whole ("broadcast-only", "uncovered").
_COLUMNS = {"client / account": 16, "verdict": 14, "response ratio": 9, "median": 6,
            "answered": 8, "missed": 6, "waiting": 7, "dialogue": 8, "uncovered": 9}  # fmt: skip
# What a terminal of fewer than FULL_WIDTH columns shows; the story lines add the rest.
_NARROW = ("client / account", "verdict", "response ratio", "median", "missed", "uncovered")
FULL_WIDTH = 135


def summary_table(outcomes: list[ClientOutcome], width: int) -> Table:
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


def story(outcome: ClientOutcome) -> str:
    """What a client's numbers say, in a few sentences made from them."""
    m = outcome.metrics
    settled = m.answered + m.missed
    parts = [f"{m.inbound} customer messages, {m.posts} posts, {m.own_replies} own replies"]
    if m.verdict.verdict is Verdict.BROADCAST_ONLY:
        parts.append(f"none of the {settled} settled messages answered")
    elif settled:
        parts.append(
            f"{m.answered} of {settled} settled messages answered, half of them within "
            f"{formats.compact_duration(m.response_time.median)} (target "
            f"{formats.compact_duration(m.settings.response_target)})"
        )
    if m.uncovered_share and m.answered:
        parts.append(
            f"{formats.compact_percent(m.uncovered_share)} of the messages came in hours in "
            "which the account never answers"
        )
    quality = m.verdict.quality
    if quality.hollow:
        parts.append(
            f"{quality.redirects + quality.templates} of {quality.answering} answers sent the "
            "customer elsewhere or repeated a pasted text (mostly redirects and templates); "
            f"{formats.compact_percent(m.substantive_ratio)} of the settled messages got an "
            "answer that says something"
        )
        if quality.repeated:
            top = quality.repeated[0]
            parts.append(f'sent {top.count} times: "{" ".join(top.text.split())}"')
    if m.self_likes:
        parts.append(f"{m.self_likes} likes by the own side on its own posts")
    if m.liked_not_answered:
        parts.append(f"{m.liked_not_answered} liked instead of answered")
    if m.waiting:
        parts.append(f"{m.waiting} still inside their answer window")
    text = "; ".join(parts) + f". Last {len(outcome.trend)} weeks: {_trend_text(outcome)}."
    if outcome.removed:
        found = Counter(
            f"{display_name(item.platform)} ({item.removed_reason})" for item in outcome.removed
        )
        listed = ", ".join(f"{count} on {where}" for where, count in sorted(found.items()))
        text += f" Customer comments hidden or deleted since the first day: {listed}."
    return text


def verdict_tally(outcomes: list[ClientOutcome]) -> str:
    """Verdicts of the last full week per client of the first copy, over all copies."""
    tallies: dict[str, Counter[Verdict]] = {}
    for outcome in outcomes:
        tallies.setdefault(base_name(outcome.name), Counter())[outcome.verdict] += 1
    return "; ".join(
        f"{name}: "
        + ", ".join(f"{verdict_name(v)} {n}" for v, n in sorted(counts.items(), key=_by_count))
        for name, counts in tallies.items()
    )


def _by_count(pair: tuple[Verdict, int]) -> tuple[int, str]:
    return -pair[1], pair[0].value


def show_summary(console: Console, result: DemoResult, detail: int) -> None:
    shown = result.outcomes[:detail]
    console.print()
    console.print(summary_table(shown, console.width))
    for outcome in shown:
        console.print(
            f"[bold]{escape(outcome.name)}[/bold]: {escape(story(outcome))}", highlight=False
        )
    if len(result.outcomes) > len(shown):
        console.print(
            f"[bold]All {len(result.outcomes)} clients[/bold], last full week: "
            f"{escape(verdict_tally(result.outcomes))}.",
            highlight=False,
        )
    failed = [pair for round in result.rounds for pair in round.failed]
    for account, summary in failed:
        console.print(
            f"[red]Collecting {escape(account.label)} failed[/red]: {escape(summary.message)}",
            highlight=False,
        )


def show_logins(console: Console, logins: list[Login], first_copy: set[str]) -> None:
    """The consultant and the first copy's owners in a table; further owners in a line."""
    out = table("user", "password", "role", "language", "sees", title="\nDashboard logins")
    others = [login for login in logins if not set(login.clients) <= first_copy]
    for login in logins:
        if login in others:
            continue
        sees = ", ".join(login.clients) if login.clients else "all clients"
        out.add_row(login.username, login.password, login.role, login.language, sees)
    console.print(out)
    if others:
        console.print(
            f"Owners of the other copies: {others[0].username} … {others[-1].username} "
            f"({len(others)}), with passwords like {others[0].password}",
            markup=False,
            highlight=False,
        )


def show_timing(console: Console, result: DemoResult) -> None:
    steps = ", ".join(
        f"{step} {seconds:.1f} s" for step, seconds in result.seconds.items() if step != "total"
    )
    console.print(
        f"Pipeline done in {result.seconds['total']:.1f} s ({steps}; "
        f"{result.api_calls} API calls).",
        highlight=False,
    )
