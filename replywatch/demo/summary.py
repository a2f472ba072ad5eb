"""What the demo found, in replywatch's own numbers: read back through the metrics API.

Everything here comes from the stored rollups and facts that the metrics engine computed
from the collected items; the demo's story labels are never consulted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from metrics import api
from metrics.labels import Verdict
from metrics.periods import local_today
from storage.engine import session_scope
from storage.models import Client

TREND_WEEKS = 12


@dataclass(frozen=True)
class ClientOutcome:
    """A client's last full week, the week before, and its verdicts over the trend weeks."""

    name: str
    metrics: api.Metrics  # the last full ISO week in the client's zone, with .accounts
    previous: api.Metrics  # the week before
    trend: tuple[api.WeekPoint, ...]  # TREND_WEEKS weeks ending with the last full week
    removed: tuple[api.ItemRef, ...]  # customers' items hidden or deleted, whole history

    @property
    def verdict(self) -> Verdict:
        return self.metrics.verdict.verdict

    @property
    def account_verdicts(self) -> dict[str, Verdict]:
        """``platform handle`` -> verdict of the week."""
        return {m.subject.label: m.verdict.verdict for m in self.metrics.accounts}

    def trend_verdicts(self) -> Counter[Verdict]:
        """How many of the trend weeks had each verdict."""
        return Counter(point.verdict for point in self.trend)


def refresh_metrics(engine: Engine) -> api.RefreshResult:
    """Bring the rollups up to date with everything collected (what the service does)."""
    with session_scope(engine) as session:
        return api.refresh(session)


def client_outcomes(engine: Engine, now: datetime, since: datetime) -> list[ClientOutcome]:
    """Each client's numbers as the dashboard and the weekly email show them at ``now``;
    removals are listed for everything collected from ``since`` on."""
    outcomes = []
    with session_scope(engine) as session:
        for client in session.scalars(select(Client).order_by(Client.id)):
            current = api.client_metrics(session, client.id, now=now)
            previous = api.client_metrics(session, client.id, current.period.previous(), now=now)
            trend = api.weekly_series(
                session, client_id=client.id, weeks=TREND_WEEKS, last=current.period, now=now
            )
            history = api.date_range(
                local_today(client.time_zone, since), local_today(client.time_zone, now)
            )
            removed = api.removed_items(
                session, client_id=client.id, period=history, now=now, limit=None
            )
            outcomes.append(
                ClientOutcome(client.name, current, previous, tuple(trend), tuple(removed))
            )
    return outcomes
