"""The audit report's content: what a consultant brings to the meeting with owner and agency.

``build_audit(session, client_id, period, now)`` reads everything from ``metrics.api`` (the
numbers the dashboard and the weekly email show) and the stored collection runs (the
method section: which platforms, collected when, with which gaps). It formats nothing;
``reports.audit_render`` turns an :class:`Audit` into the printable page in a language.

The default period is the last four full ISO weeks of the client's time zone
(``default_audit_period``; ``audit_period`` for the one a dashboard page shows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from metrics import api
from metrics.periods import AUDIT_WEEKS, Period, audit_period, default_audit_period
from storage.models import Account, Client, CollectionRun

# At least this many weeks in the trend, so that a four-week report shows what came before.
TREND_WEEKS = 8
MAX_TREND_WEEKS = 53
# Evidence entries printed per list; the dashboard's downloads have every one.
EVIDENCE_LIMIT = 200
__all__ = ["AUDIT_WEEKS", "Audit", "audit_period", "build_audit", "default_audit_period"]
COMPLETE_OUTCOMES = frozenset({"ok", "running"})
PARTIAL_OUTCOMES = frozenset({"partial"})  # collected, with payload problems
# Runs that collected nothing or stopped early: the data may miss what they would have seen.
GAP_OUTCOMES = frozenset({"failed", "rate_limited", "credentials", "interrupted"})
# Collected last this long before the period ended (or before now): later messages missing.
LATE_COLLECTION = timedelta(days=1)


@dataclass(frozen=True)
class AccountInfo:
    account_id: int
    platform: str
    handle: str
    display_name: str | None
    active: bool


@dataclass(frozen=True)
class CollectionGap:
    """A run of the period that collected nothing or stopped early."""

    account_id: int
    started_at: datetime
    outcome: str  # failed, rate_limited, credentials, interrupted


@dataclass(frozen=True)
class AccountCollection:
    """How one account was collected: its runs in the period, and the first and last
    complete runs ever (a platform returns the history, so one run covers past days; what
    it cannot return is what was deleted before it ran, or written after the last run)."""

    account_id: int
    runs: int
    complete: int
    partial: int
    gaps: int
    first_run: datetime | None  # in the period
    last_run: datetime | None
    first_collected: datetime | None  # the first complete or partial run ever
    last_collected: datetime | None  # the last one up to now
    # Set when the collection does not cover the period: collected first after the period
    # began, or last collected more than a day before it ended.
    started_late: bool
    stopped_early: bool


@dataclass(frozen=True)
class AnswerQuality:
    """Answer quality (docs/metrics.md "answers that say nothing"), when the metrics have it."""

    redirect_share: float | None
    template_share: float | None
    substantive_ratio: float | None


@dataclass(frozen=True)
class Audit:
    client_id: int
    client_name: str
    time_zone: str
    period: Period
    generated_at: datetime
    metrics: api.Metrics  # the client, with each account in .accounts
    trend: tuple[api.WeekPoint, ...]  # oldest first, ending with the period's last week
    coverage: api.Coverage
    missed: tuple[api.ItemRef, ...]  # oldest first, at most EVIDENCE_LIMIT
    waiting: tuple[api.ItemRef, ...]
    removed: tuple[api.ItemRef, ...]
    accounts: tuple[AccountInfo, ...]
    collection: tuple[AccountCollection, ...]
    gaps: tuple[CollectionGap, ...]  # oldest first
    answer_quality: AnswerQuality | None

    @property
    def settings(self) -> api.SettingsInForce:
        return self.metrics.settings

    @property
    def trend_weeks_in_period(self) -> frozenset[str]:
        return frozenset(
            point.period.label
            for point in self.trend
            if point.period.start < self.period.end and point.period.end > self.period.start
        )


def answer_quality(metrics: api.Metrics) -> AnswerQuality | None:
    """The answer-quality figures (docs/metrics.md "answers that say nothing"); None when
    the period has no answer to judge, and the report leaves the section out."""
    if not metrics.answering_replies:
        return None
    return AnswerQuality(
        redirect_share=metrics.redirect_share,
        template_share=metrics.template_share,
        substantive_ratio=metrics.substantive_ratio,
    )


def _accounts(session: Session, client_id: int) -> tuple[AccountInfo, ...]:
    rows = session.scalars(
        select(Account)
        .where(Account.client_id == client_id)
        .order_by(Account.platform, Account.handle)
    )
    return tuple(AccountInfo(a.id, a.platform, a.handle, a.display_name, a.active) for a in rows)


def _collection(
    session: Session,
    accounts: Sequence[AccountInfo],
    period: Period,
    time_zone: str,
    now: datetime,
) -> tuple[tuple[AccountCollection, ...], tuple[CollectionGap, ...]]:
    first, after = period.bounds(time_zone)
    ids = [account.account_id for account in accounts]
    runs: dict[int, list[CollectionRun]] = {account_id: [] for account_id in ids}
    statement = (
        select(CollectionRun)
        .where(
            CollectionRun.account_id.in_(ids),
            CollectionRun.started_at >= first,
            CollectionRun.started_at < after,
        )
        .order_by(CollectionRun.started_at, CollectionRun.id)
    )
    for run in session.scalars(statement):
        runs[run.account_id].append(run)
    collected = COMPLETE_OUTCOMES | PARTIAL_OUTCOMES
    ever = {
        account_id: (earliest, latest)
        for account_id, earliest, latest in session.execute(
            select(
                CollectionRun.account_id,
                func.min(CollectionRun.started_at),
                func.max(CollectionRun.started_at),
            )
            .where(
                CollectionRun.account_id.in_(ids),
                CollectionRun.outcome.in_(sorted(collected)),
                CollectionRun.started_at <= now,
            )
            .group_by(CollectionRun.account_id)
        )
    }
    covered_until = min(after, now) - LATE_COLLECTION
    collections = []
    gaps = []
    for account in accounts:
        found = runs[account.account_id]
        earliest, latest = (_utc(moment) for moment in ever.get(account.account_id, (None, None)))
        for run in found:
            if run.outcome in GAP_OUTCOMES:
                gaps.append(CollectionGap(account.account_id, run.started_at, run.outcome))
        collections.append(
            AccountCollection(
                account_id=account.account_id,
                runs=len(found),
                complete=sum(run.outcome in COMPLETE_OUTCOMES for run in found),
                partial=sum(run.outcome in PARTIAL_OUTCOMES for run in found),
                gaps=sum(run.outcome in GAP_OUTCOMES for run in found),
                first_run=found[0].started_at if found else None,
                last_run=found[-1].started_at if found else None,
                first_collected=earliest,
                last_collected=latest,
                started_late=earliest is None or earliest > first,
                stopped_early=latest is not None and latest < covered_until,
            )
        )
    gaps.sort(key=lambda gap: (gap.started_at, gap.account_id))
    return tuple(collections), tuple(gaps)


def _utc(moment: datetime | None) -> datetime | None:
    # An aggregate (min, max) bypasses the column type: SQLite gives naive UTC text back.
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def build_audit(session: Session, client_id: int, period: Period, now: datetime) -> Audit:
    """Everything the report shows about ``client_id`` in ``period`` (raises
    ``api.UnknownSubject`` for a client that does not exist)."""
    client = session.get(Client, client_id)
    if client is None:
        raise api.UnknownSubject(f"client {client_id} does not exist")
    metrics = api.client_metrics(session, client_id, period, now=now)
    last_week = api.week_of(period.last_day)
    weeks = min(MAX_TREND_WEEKS, max(TREND_WEEKS, len(period.weeks)))
    trend = api.weekly_series(session, client_id=client_id, weeks=weeks, last=last_week, now=now)
    lists = {"client_id": client_id, "period": period, "now": now, "limit": EVIDENCE_LIMIT}
    accounts = _accounts(session, client_id)
    collection, gaps = _collection(session, accounts, period, client.time_zone, now)
    return Audit(
        client_id=client_id,
        client_name=client.name,
        time_zone=client.time_zone,
        period=period,
        generated_at=now,
        metrics=metrics,
        trend=tuple(trend),
        coverage=api.coverage(session, client_id=client_id, period=period, now=now),
        missed=tuple(api.unanswered_items(session, **lists)),
        waiting=tuple(api.waiting_items(session, **lists)),
        removed=tuple(api.removed_items(session, **lists)),
        accounts=accounts,
        collection=collection,
        gaps=gaps,
        answer_quality=answer_quality(metrics),
    )
