"""The metrics API: the one entry point for the dashboard, the emails, the service and CLI.

Keeping numbers current (the service calls ``refresh`` after each collection run)::

    with session_scope(engine) as session:
        result = refresh(session)          # incremental, from rollup_dirty
        result = rebuild(session)          # everything (``replywatch metrics rebuild``)

Reading (cheap: stored weekly rollups, indexed facts; nothing is recomputed)::

    week = iso_week("2026-W47")            # or None: the last full ISO week of the client
    account_metrics(session, account_id, week)          -> Metrics
    client_metrics(session, client_id, week)            -> Metrics (with .accounts)
    portfolio_metrics(session, client_ids, week)        -> Portfolio (clients side by side)
    league(session, client_ids, week, now=now)          -> [LeagueClient] (stored by refresh)
    compare_with_previous(session, metrics)             -> Comparison (vs. the week before)
    weekly_series(session, account_id=..., weeks=12)    -> [WeekPoint] for trend charts
    coverage(session, client_id=..., period=week)       -> Coverage (hour-of-week matrix)
    unanswered_items / waiting_items / liked_not_answered_items / removed_items
    self_like_list                                      -> the lists behind the numbers

Periods are local calendar days of the client's time zone (``metrics.periods``). Every
function takes ``now`` for reproducible results; by default the current time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from metrics.compute import compute, coverages, week_points
from metrics.labels import Verdict
from metrics.league import LEAGUE_WEEKS, LeagueClient, LeagueLine, league
from metrics.periods import (
    Period,
    PeriodError,
    current_week,
    date_range,
    iso_week,
    last_full_week,
    week_index,
    week_of,
)
from metrics.queries import Reader
from metrics.refresh import RefreshResult, rebuild, refresh
from metrics.results import (
    Comparison,
    Coverage,
    ItemRef,
    Metrics,
    Portfolio,
    ResponseTimes,
    SelfLike,
    Subject,
    VerdictResult,
    WeekPoint,
)
from metrics.settings import SettingsInForce, settings_map
from metrics.sql import OWN_ROLES, to_us
from metrics.stats import Interval
from metrics.subjects import (
    account_subject_of,
    client_subject_of,
    clients_metrics,
    requests_for,
)
from storage.models import Account, Client, Item, ItemFact, Like
from storage.types import utcnow

__all__ = [
    "LEAGUE_WEEKS",
    "Comparison",
    "Coverage",
    "Interval",
    "ItemRef",
    "LeagueClient",
    "LeagueLine",
    "Metrics",
    "Period",
    "PeriodError",
    "Portfolio",
    "RefreshResult",
    "ResponseTimes",
    "SelfLike",
    "SettingsInForce",
    "Subject",
    "UnknownSubject",
    "Verdict",
    "VerdictResult",
    "WeekPoint",
    "account_metrics",
    "account_subject",
    "accounts_metrics",
    "client_metrics",
    "client_subject",
    "compare_with_previous",
    "coverage",
    "current_week",
    "date_range",
    "default_period",
    "iso_week",
    "last_full_week",
    "league",
    "liked_not_answered_items",
    "portfolio_metrics",
    "rebuild",
    "refresh",
    "removed_items",
    "self_like_list",
    "unanswered_items",
    "waiting_items",
    "week_of",
    "weekly_series",
]


class UnknownSubject(LookupError):
    """No such account or client."""


# --- subjects ----------------------------------------------------------------------------


def account_subject(session: Session, account_id: int) -> Subject:
    row = session.execute(
        select(Account, Client).join(Client).where(Account.id == account_id)
    ).first()
    if row is None:
        raise UnknownSubject(f"account {account_id} does not exist")
    return account_subject_of(row[0], row[1])


def client_subject(session: Session, client_id: int) -> Subject:
    client = session.get(Client, client_id)
    if client is None:
        raise UnknownSubject(f"client {client_id} does not exist")
    ids = session.scalars(select(Account.id).where(Account.client_id == client_id)).all()
    return client_subject_of(client, ids)


def _subject(session: Session, account_id: int | None, client_id: int | None) -> Subject:
    if (account_id is None) == (client_id is None):
        raise TypeError("give exactly one of account_id and client_id")
    if account_id is not None:
        return account_subject(session, account_id)
    assert client_id is not None
    return client_subject(session, client_id)


def default_period(time_zone: str, now: datetime | None = None) -> Period:
    """The last full ISO week in ``time_zone``: what the email and the dashboard show."""
    return last_full_week(time_zone, now)


# --- metrics -----------------------------------------------------------------------------


def accounts_metrics(
    session: Session,
    account_ids: Iterable[int],
    period: Period | None = None,
    *,
    now: datetime | None = None,
) -> list[Metrics]:
    """Metrics of several accounts (each in its client's zone), in the order given."""
    now = now or utcnow()
    ids = list(account_ids)
    rows = {
        account.id: (account, client)
        for account, client in session.execute(
            select(Account, Client).join(Client).where(Account.id.in_(ids))
        )
    }
    missing = [i for i in ids if i not in rows]
    if missing:
        raise UnknownSubject(f"account {missing[0]} does not exist")
    subjects = [account_subject_of(*rows[i]) for i in ids]
    return compute(Reader(session, now), requests_for(session, subjects, period, now))


def account_metrics(
    session: Session, account_id: int, period: Period | None = None, *, now: datetime | None = None
) -> Metrics:
    """Every metric of one account for ``period`` (default: the last full ISO week)."""
    return accounts_metrics(session, [account_id], period, now=now)[0]


def client_metrics(
    session: Session, client_id: int, period: Period | None = None, *, now: datetime | None = None
) -> Metrics:
    """A client's accounts together, with each account's metrics in ``.accounts``."""
    client = session.get(Client, client_id)
    if client is None:
        raise UnknownSubject(f"client {client_id} does not exist")
    return clients_metrics(session, [client], period, now or utcnow())[0]


def portfolio_metrics(
    session: Session,
    client_ids: Iterable[int] | None = None,
    period: Period | None = None,
    *,
    now: datetime | None = None,
    summary: bool = False,
) -> Portfolio:
    """Clients side by side (all when ``client_ids`` is None), ordered by name.

    With ``period`` None each client shows its own last full ISO week in its own zone.
    ``summary=True`` is for league tables of many clients: it leaves out the hour-of-week
    coverage (``uncovered_share`` is None) and the verdicts' lists of unanswered items
    (``verdict.unanswered`` is empty, ``verdict.unanswered_total`` still counts them),
    which are most of the reading for hundreds of accounts; every other figure is the same.
    """
    statement = select(Client).order_by(Client.name)
    if client_ids is not None:
        statement = statement.where(Client.id.in_(list(client_ids)))
    clients = list(session.scalars(statement))
    return Portfolio(
        tuple(clients_metrics(session, clients, period, now or utcnow(), detail=not summary))
    )


def compare_with_previous(
    session: Session, metrics: Metrics, *, now: datetime | None = None
) -> Comparison:
    """``metrics`` against the same subject's previous period (the week before a week)."""
    now = now or metrics.computed_at
    previous_period = metrics.period.previous()
    if metrics.subject.kind == "account":
        previous = account_metrics(session, metrics.subject.id, previous_period, now=now)
    else:
        previous = client_metrics(session, metrics.subject.id, previous_period, now=now)
    return Comparison(metrics, previous)


# --- trends ------------------------------------------------------------------------------


def weekly_series(
    session: Session,
    *,
    account_id: int | None = None,
    client_id: int | None = None,
    weeks: int = 12,
    last: Period | None = None,
    now: datetime | None = None,
) -> list[WeekPoint]:
    """``weeks`` ISO weeks ending with ``last`` (default: the last full week), oldest first.

    Read from the stored rollups; a thin week's verdict is evaluated over its widened
    window like everywhere else, which reads the facts of that window once.
    """
    now = now or utcnow()
    subject = _subject(session, account_id, client_id)
    last = last or default_period(subject.time_zone, now)
    if not last.is_iso_week:
        raise PeriodError(f"weekly series end with an ISO week, not {last.label}")
    last_week = week_index(last.start)
    client = session.get(Client, subject.client_id)
    assert client is not None
    settings = {
        week: settings_map(session, [client], week, now)[client.id]
        for week in range(last_week - weeks + 1, last_week + 1)
    }
    return week_points(Reader(session, now), subject, settings)


# --- hour of week ------------------------------------------------------------------------


def coverage(
    session: Session,
    *,
    account_id: int | None = None,
    client_id: int | None = None,
    period: Period | None = None,
    now: datetime | None = None,
) -> Coverage:
    """Inbound items and own replies by local hour of week, with the uncovered hours."""
    now = now or utcnow()
    subject = _subject(session, account_id, client_id)
    period = period or default_period(subject.time_zone, now)
    return coverages(Reader(session, now), [subject], period, subject.time_zone)[subject.id]


# --- lists -------------------------------------------------------------------------------

_MISSED = "f.role = 'inbound' AND NOT f.answered AND f.settles_us <= :now"
_WAITING = "f.role = 'inbound' AND NOT f.answered AND f.settles_us > :now"


def _list(
    session: Session,
    account_id: int | None,
    client_id: int | None,
    period: Period | None,
    now: datetime | None,
    condition: str,
    limit: int | None,
    newest_first: bool = False,
) -> list[ItemRef]:
    now = now or utcnow()
    subject = _subject(session, account_id, client_id)
    period = period or default_period(subject.time_zone, now)
    found = Reader(session, now).item_list(
        subject.kind, [subject], period, subject.time_zone, condition, limit, newest_first
    )
    return found[subject.id][0]


def unanswered_items(
    session: Session,
    *,
    account_id: int | None = None,
    client_id: int | None = None,
    period: Period | None = None,
    now: datetime | None = None,
    limit: int | None = 50,
) -> list[ItemRef]:
    """Missed inbound items of the period (settled, never answered), oldest first."""
    return _list(session, account_id, client_id, period, now, _MISSED, limit)


def waiting_items(
    session: Session,
    *,
    account_id: int | None = None,
    client_id: int | None = None,
    period: Period | None = None,
    now: datetime | None = None,
    limit: int | None = 50,
) -> list[ItemRef]:
    """Inbound items still inside their answer window and not answered, oldest first.

    ``settles_at`` says when each turns into a missed item.
    """
    return _list(session, account_id, client_id, period, now, _WAITING, limit)


def liked_not_answered_items(
    session: Session,
    *,
    account_id: int | None = None,
    client_id: int | None = None,
    period: Period | None = None,
    now: datetime | None = None,
    limit: int | None = 50,
) -> list[ItemRef]:
    """Missed inbound items that the own side liked instead of answering."""
    return _list(
        session, account_id, client_id, period, now, f"{_MISSED} AND f.liked_by_own", limit
    )


def removed_items(
    session: Session,
    *,
    account_id: int | None = None,
    client_id: int | None = None,
    period: Period | None = None,
    now: datetime | None = None,
    limit: int | None = 50,
) -> list[ItemRef]:
    """Inbound items of the period that were deleted or hidden later (removed_at set)."""
    return _list(
        session, account_id, client_id, period, now, "f.role = 'inbound' AND f.removed", limit
    )


def self_like_list(
    session: Session,
    *,
    account_id: int | None = None,
    client_id: int | None = None,
    period: Period | None = None,
    now: datetime | None = None,
    limit: int | None = 50,
) -> list[SelfLike]:
    """Likes by the own side on own items created in the period, newest items first."""
    now = now or utcnow()
    subject = _subject(session, account_id, client_id)
    period = period or default_period(subject.time_zone, now)
    first, after = (to_us(m) for m in period.bounds(subject.time_zone))
    statement = (
        select(Like, Item, ItemFact)
        .join(Item, Item.id == Like.item_id)
        .join(ItemFact, ItemFact.item_id == Like.item_id)
        .where(
            Like.is_own,
            ItemFact.role.in_(OWN_ROLES),
            ItemFact.account_id.in_(subject.account_ids),
            ItemFact.local_week.between(week_index(period.start), week_index(period.last_day)),
            ItemFact.created_us >= first,
            ItemFact.created_us < after,
        )
        .order_by(ItemFact.created_us.desc(), Like.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
    result = []
    for like, item, fact in session.execute(statement):
        reference = ItemRef(
            item_id=item.id,
            account_id=item.account_id,
            platform=item.platform,
            platform_item_id=item.platform_item_id,
            author_handle=item.author_handle,
            text=item.text,
            permalink=item.permalink,
            created_at=item.created_at,
            age=now - item.created_at,
            is_question=item.is_question,
            liked_by_own=fact.liked_by_own,
            removed_at=item.removed_at,
            removed_reason=item.removed_reason,
            purge_reason=item.purge_reason,
        )
        result.append(SelfLike(like.liker_handle, like.liker_id, like.liked_at, reference))
    return result
