"""The demo's pipeline: generated activity → simulated platforms → collectors → metrics.

``run_pipeline(options, settings, progress)``

1. generates the portfolio's activity for the chosen seed and moment (``sandbox.generator``);
2. makes a fresh SQLite database (``demo.database``) and sets the portfolio up through the
   portfolio service behind the operator's commands (``demo.setup``);
3. starts the simulated platforms on free local ports and points the settings at them; the
   accounts' tokens go into the environment the collectors read secrets from, under the
   accounts' credentials names (the database holds only the names);
4. connects one account the way an owner does, through its platform's consent screen
   (``demo.connecting``); that account is collected with the token it granted;
5. collects every account with the production collectors over HTTP twice: as the
   platforms looked a day earlier, and as they look now, so that comments hidden or
   deleted in between show up as removed;
6. refreshes the metrics rollups from what was collected and reads back each client's
   verdicts (``demo.summary``).

Nothing in here writes an item: what the metrics count is what the collectors stored.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from metrics.api import RefreshResult
from replywatch.collecting import collect_account
from replywatch.config import Settings
from replywatch.demo.connecting import DemoConnection, connect_one_account
from replywatch.demo.database import fresh_demo_database
from replywatch.demo.platforms import SimulatedPlatforms, simulated_platforms
from replywatch.demo.progress import CollectionRound, DemoAccount, DemoProgress
from replywatch.demo.setup import Login, set_up_portfolio
from replywatch.demo.summary import ClientOutcome, client_outcomes, refresh_metrics
from sandbox.generator import DEMO_PORTFOLIO, DemoActivity, Portfolio, generate_demo
from sandbox.generator.replicas import replicated
from storage.engine import make_engine, session_scope
from storage.migrate import upgrade
from storage.models import Account, Client

# The generator hides a critical Facebook comment 20 h and deletes an Instagram comment
# 16 h before ``now``, both written three days before ``now``: a first look a day before
# ``now`` still sees them, the second look sees them gone.
FIRST_LOOK_BEFORE = timedelta(hours=24)


@dataclass(frozen=True)
class DemoOptions:
    database: Path
    seed: int = 1
    now: datetime | None = None  # None: the present minute
    weeks: int = 13
    portfolio: Portfolio = DEMO_PORTFOLIO
    copies: int = 1  # the portfolio this many times over (sandbox.generator.replicas)


@dataclass
class DemoResult:
    options: DemoOptions
    now: datetime
    database_url: str
    settings: Settings  # the demo's settings (its database), for serving and emails
    activity: DemoActivity
    logins: list[Login]
    accounts: list[DemoAccount]
    rounds: list[CollectionRound] = field(default_factory=list)
    platforms: dict[str, str] = field(default_factory=dict)  # platform -> simulated URL
    api_calls: int = 0
    refresh: RefreshResult | None = None
    outcomes: list[ClientOutcome] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # step -> wall seconds
    connected: DemoConnection | None = None  # the account connected through its consent

    @property
    def items_generated(self) -> int:
        return sum(len(world.posts) for world in self.activity.worlds.values())


def present_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def demo_settings(settings: Settings, changes: Mapping[str, object], source: str) -> Settings:
    """``settings`` with some values replaced (already in their parsed form)."""
    return dataclasses.replace(
        settings,
        values={**settings.values, **changes},
        sources={**settings.sources, **dict.fromkeys(changes, source)},
    )


def secrets_environment(portfolio: Portfolio, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` plus each account's simulated token under its credentials name."""
    tokens = {account.credentials_ref: account.token for _, account in portfolio.accounts()}
    return {**base, **tokens}


def _accounts(engine: Engine) -> list[DemoAccount]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(Account, Client.name).join(Client).order_by(Client.id, Account.id)
        )
        return [
            DemoAccount(account.id, client, account.platform, account.handle)
            for account, client in rows
        ]


def _collect_round(
    engine: Engine,
    settings: Settings,
    env: Mapping[str, str],
    round: CollectionRound,
    accounts: list[DemoAccount],
    progress: DemoProgress,
) -> CollectionRound:
    progress.round_started(round, accounts)
    summaries = []
    for account in accounts:
        summary = collect_account(
            engine,
            settings,
            account.id,
            now=round.moment,
            env=env,
            progress=lambda report, account=account: progress.collecting(account, report),
        )
        progress.collected(account, summary)
        summaries.append((account, summary))
    done = dataclasses.replace(round, summaries=tuple(summaries))
    progress.round_finished(done)
    return done


def collect_everything(
    engine: Engine,
    settings: Settings,
    activity: DemoActivity,
    platforms: SimulatedPlatforms,
    accounts: list[DemoAccount],
    progress: DemoProgress,
) -> list[CollectionRound]:
    """Both collection rounds against the running simulated platforms."""
    settings = demo_settings(settings, platforms.settings, "replywatch demo")
    env = secrets_environment(activity.portfolio, os.environ)
    now = activity.now
    rounds = []
    for name, moment in (("a day earlier", now - FIRST_LOOK_BEFORE), ("now", now)):
        activity.move_to(moment)
        rounds.append(
            _collect_round(engine, settings, env, CollectionRound(name, moment), accounts, progress)
        )
    return rounds


def run_pipeline(
    options: DemoOptions, settings: Settings, progress: DemoProgress | None = None
) -> DemoResult:
    """Everything up to the dashboard; see the module docstring."""
    progress = progress or DemoProgress()
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    now = options.now or present_minute()

    progress.step("Generating the simulated activity")
    portfolio = replicated(options.portfolio, options.copies)
    activity = generate_demo(portfolio, now=now, seed=options.seed, weeks=options.weeks)
    seconds["generate"] = time.perf_counter() - started

    mark = time.perf_counter()
    url = fresh_demo_database(options.database, settings.database_url)
    # The demo collects all of its generated history, whatever the configuration says.
    demo = demo_settings(
        settings,
        {
            "database.url": url,
            "collect.history_days": max(
                settings.get("collect.history_days"), 7 * options.weeks + 7
            ),
            # The key that seals the connected account's token lives beside the database.
            "connect.key_file": options.database.parent / "connections.key",
        },
        "replywatch demo",
    )
    engine = make_engine(url)
    try:
        progress.step("Setting up the portfolio with replywatch's commands")
        upgrade(engine)  # what `replywatch init` does
        logins = set_up_portfolio(engine, portfolio)
        accounts = _accounts(engine)
        seconds["set up"] = time.perf_counter() - mark
        progress.set_up(portfolio, accounts, logins)

        mark = time.perf_counter()
        with simulated_platforms(activity) as platforms:
            result = DemoResult(
                options=options,
                now=now,
                database_url=url,
                settings=demo,
                activity=activity,
                logins=logins,
                accounts=accounts,
                platforms={platform: server.url for platform, server in platforms.servers.items()},
            )
            progress.platforms_started(result.platforms)
            progress.step("Connecting one account through its platform's consent screen")
            result.connected = connect_one_account(
                engine,
                demo_settings(demo, platforms.settings, "replywatch demo"),
                accounts,
            )
            progress.account_connected(result.connected)
            progress.step("Collecting from the simulated platforms")
            result.rounds = collect_everything(
                engine, demo, activity, platforms, accounts, progress
            )
            result.api_calls = platforms.api_calls()
        seconds["collect"] = time.perf_counter() - mark

        mark = time.perf_counter()
        progress.step("Computing the metrics from what was collected")
        result.refresh = refresh_metrics(engine)
        seconds["metrics"] = time.perf_counter() - mark
        progress.metrics_refreshed(result.refresh, seconds["metrics"])
        result.outcomes = client_outcomes(engine, now, activity.start)
    finally:
        engine.dispose()
    seconds["total"] = time.perf_counter() - started
    result.seconds = seconds
    return result
