"""What the demo pipeline reports while it runs, and the values it reports about.

Kept apart from the pipeline so that the command line can show progress without loading
the simulated platforms and the generator until the demo actually runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from collectors.contract import Progress
from collectors.runner import RunSummary

if TYPE_CHECKING:
    from metrics.api import RefreshResult
    from replywatch.demo.setup import Login
    from sandbox.generator import Portfolio


@dataclass(frozen=True)
class DemoAccount:
    id: int
    client: str
    platform: str
    handle: str

    @property
    def label(self) -> str:
        return f"{self.platform} {self.handle}"


@dataclass(frozen=True)
class CollectionRound:
    """One collection of every account, as the platforms looked at ``moment``."""

    name: str
    moment: datetime
    summaries: tuple[tuple[DemoAccount, RunSummary], ...] = ()

    @property
    def failed(self) -> list[tuple[DemoAccount, RunSummary]]:
        return [(account, summary) for account, summary in self.summaries if summary.failed]


class DemoProgress:
    """What the pipeline reports while it runs; the command line shows it. Does nothing."""

    def step(self, text: str) -> None:
        """A step starts."""

    def set_up(
        self, portfolio: Portfolio, accounts: list[DemoAccount], logins: list[Login]
    ) -> None:
        """The portfolio's clients, accounts, identities and users are in the database."""

    def platforms_started(self, urls: dict[str, str]) -> None:
        """The simulated platforms listen at ``urls`` (platform -> base URL)."""

    def account_connected(self, connection: Any) -> None:
        """An account was connected through its consent screen (a DemoConnection, or None
        when the portfolio has no account to connect that way)."""

    def round_started(self, round: CollectionRound, accounts: list[DemoAccount]) -> None:
        """A collection round starts."""

    def collecting(self, account: DemoAccount, progress: Progress) -> None:
        """A collector reports progress on ``account``."""

    def collected(self, account: DemoAccount, summary: RunSummary) -> None:
        """``account`` is collected for the current round."""

    def round_finished(self, round: CollectionRound) -> None:
        """Every account is collected for the round."""

    def metrics_refreshed(self, refresh: RefreshResult, seconds: float) -> None:
        """The rollups are up to date."""
