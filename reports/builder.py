"""The weekly email's content, taken from the metrics API: ``build_snapshot(session, request)``.

Every number comes from ``metrics.api`` (the same code as the dashboard and ``replywatch
metrics``); this module only chooses which of them an owner reads and puts them into the
view model of reports/snapshot.py:

- the summary: customer messages of the week, how many got an answer, how many are
  missed or still waiting, and how long the oldest unanswered one has waited;
- per account its verdict, the change against the previous week and its response ratio
  (over the widened window when the verdict looked back further);
- the oldest unanswered messages (missed or still waiting) with links;
- customer messages and answers per week for the chart.

An owner's email covers one client, a consultant's digest every client of the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from metrics import api
from reports.delivery import SnapshotRequest
from reports.planning import DIGEST_SCOPE
from reports.snapshot import (
    TOP_UNANSWERED,
    AccountVerdict,
    ClientSnapshot,
    Renewal,
    Snapshot,
    SnapshotKind,
    Summary,
    UnansweredItem,
    WeekPoint,
)
from storage.models import Account
from storage.renewal import credential_states

SERIES_WEEKS = 8  # weeks in the chart, ending with the email's week


def build_snapshot(session: Session, request: SnapshotRequest) -> Snapshot:
    """The snapshot one recipient gets for one week (raises api.UnknownSubject for a
    client that no longer exists)."""
    kind = SnapshotKind.DIGEST if request.scope == DIGEST_SCOPE else SnapshotKind.OWNER
    period = request.week
    clients = client_snapshots(
        session,
        request.client_ids,
        period,
        request.generated_at,
        dashboard_url=request.dashboard_url,
    )
    if kind == SnapshotKind.OWNER:
        client_id = request.client_ids[0] if request.client_ids else None
        link = _dashboard_link(request.dashboard_url, "client", client_id, request.week)
    else:
        link = _dashboard_link(request.dashboard_url, "portfolio", None, request.week)
    return Snapshot(
        kind=kind,
        language=request.language,
        recipient_email=request.recipient,
        recipient_name=request.recipient_name,
        week=request.week,
        generated_at=request.generated_at,
        clients=clients,
        dashboard_url=link,
    )


def client_snapshots(
    session: Session,
    client_ids: Sequence[int],
    period: api.Period,
    now: datetime,
    *,
    dashboard_url: str | None = None,
) -> tuple[ClientSnapshot, ...]:
    """One ClientSnapshot per client, in the order given; ``period`` is an ISO week."""
    if not client_ids:
        return ()
    # Two reads for all clients: the week, and the week before (for the changes).
    current = {
        m.subject.id: m for m in api.portfolio_metrics(session, client_ids, period, now=now).clients
    }
    previous = {
        m.subject.id: m
        for m in api.portfolio_metrics(session, client_ids, period.previous(), now=now).clients
    }
    missing = [client_id for client_id in client_ids if client_id not in current]
    if missing:
        raise api.UnknownSubject(f"client {missing[0]} does not exist")
    account_ids = [a.subject.id for m in current.values() for a in m.accounts]
    active = dict(
        session.execute(select(Account.id, Account.active).where(Account.id.in_(account_ids))).all()
    )
    week = api.week_of(period.start)
    return tuple(
        _client_snapshot(
            session,
            current[client_id],
            previous[client_id],
            active,
            now,
            _dashboard_link(dashboard_url, "client", client_id, week),
        )
        for client_id in client_ids
    )


def _client_snapshot(
    session: Session,
    metrics: api.Metrics,
    previous: api.Metrics,
    active: dict[int, bool],
    now: datetime,
    dashboard_url: str | None,
) -> ClientSnapshot:
    client_id = metrics.subject.id
    before = {m.subject.id: m for m in previous.accounts}
    accounts = tuple(
        account_verdict(account, before.get(account.subject.id))
        for account in metrics.accounts
        if active.get(account.subject.id, False) or _had_activity(account)
    )
    return ClientSnapshot(
        client_name=metrics.subject.client_name,
        time_zone=metrics.subject.time_zone,
        summary=summary(metrics, now),
        accounts=accounts,
        unanswered=oldest_unanswered(session, metrics, now),
        unanswered_total=metrics.missed + metrics.waiting,
        series=series(session, client_id, metrics.period, now),
        dashboard_url=dashboard_url,
        renewals=renewals(session, client_id, now, dashboard_url),
    )


def renewals(
    session: Session, client_id: int, now: datetime, dashboard_url: str | None
) -> tuple[Renewal, ...]:
    """The client's active accounts whose access must be renewed at ``now`` (14 days before
    a connected grant ends, or refused already), with the link to reconnect each."""
    accounts = session.execute(
        select(Account.id, Account.platform, Account.handle)
        .where(Account.client_id == client_id, Account.active.is_(True))
        .order_by(Account.platform, Account.handle)
    ).all()
    states = credential_states(session, [row.id for row in accounts], now)
    root = urlsplit(dashboard_url) if dashboard_url else None
    found = []
    for row in accounts:
        state = states[row.id]
        if not state.needs_renewal:
            continue
        link = None
        if root is not None:
            query = urlencode({"client": client_id, "platform": row.platform})
            link = f"{root.scheme}://{root.netloc}{_mount(root.path)}/connect?{query}"
        found.append(Renewal(row.platform, row.handle, state.standing.value, state.ends, link))
    return tuple(found)


def _mount(path: str) -> str:
    """Where the dashboard is mounted: the path of its client page without ``/client``."""
    return path.rsplit("/", 1)[0] if path.endswith("/client") else path.rstrip("/")


def summary(metrics: api.Metrics, now: datetime) -> Summary:
    oldest = metrics.oldest_unanswered_at
    return Summary(
        inbound=metrics.inbound,
        answered=metrics.answered,
        waiting=metrics.waiting,
        missed=metrics.missed,
        oldest_unanswered_age=(now - oldest) if oldest is not None else None,
    )


def _had_activity(metrics: api.Metrics) -> bool:
    return bool(metrics.posts or metrics.own_replies or metrics.inbound or metrics.reposts)


def _saw_nothing(metrics: api.Metrics) -> bool:
    """Nothing at all in the verdict's window (the week, widened up to 8 weeks back)."""
    inputs = metrics.verdict.inputs
    return inputs.posts == 0 and inputs.own_replies == 0 and inputs.inbound == 0


def account_verdict(metrics: api.Metrics, previous: api.Metrics | None) -> AccountVerdict:
    """An account's verdict with last week's; "first week" when last week's window saw nothing.

    The ratio shown is the one the verdict was judged on: the week's, or the widened
    window's when the week was too thin (the email then says "over the last N weeks").
    Last week's ratio is given for comparison only when both are plain weeks.
    """
    verdict = metrics.verdict
    earlier = None if previous is None or _saw_nothing(previous) else previous
    previous_ratio = None
    if earlier is not None and not verdict.widened and not earlier.verdict.widened:
        previous_ratio = earlier.response_ratio
    assert metrics.subject.platform is not None and metrics.subject.handle is not None
    return AccountVerdict(
        platform=metrics.subject.platform,
        handle=metrics.subject.handle,
        verdict=verdict.verdict,
        previous_verdict=earlier.verdict.verdict if earlier is not None else None,
        response_ratio=verdict.inputs.response_ratio,
        previous_response_ratio=previous_ratio,
        weeks_considered=verdict.weeks if verdict.widened else 1,
        answers=verdict.quality.answering,
        redirects=verdict.quality.redirects,
        templates=verdict.quality.templates,
        hollow=verdict.quality.hollow,
        most_repeated=(
            (verdict.quality.repeated[0].text, verdict.quality.repeated[0].count)
            if verdict.quality.repeated
            else None
        ),
        substantive_ratio=metrics.substantive_ratio,
    )


def oldest_unanswered(
    session: Session, metrics: api.Metrics, now: datetime, limit: int = TOP_UNANSWERED
) -> tuple[UnansweredItem, ...]:
    """The oldest customer messages of the week without an answer: missed or still waiting."""
    if metrics.missed + metrics.waiting == 0:
        return ()
    client_id = metrics.subject.id
    found = [
        *api.unanswered_items(
            session, client_id=client_id, period=metrics.period, now=now, limit=limit
        ),
        *api.waiting_items(
            session, client_id=client_id, period=metrics.period, now=now, limit=limit
        ),
    ]
    found.sort(key=lambda item: (item.created_at, item.item_id))
    handles = {a.subject.id: a.subject.handle or "" for a in metrics.accounts}
    return tuple(
        UnansweredItem(
            platform=item.platform,
            account_handle=handles.get(item.account_id, ""),
            author_handle=item.author_handle,
            text=item.text,
            created_at=item.created_at,
            permalink=item.permalink,
            purge_reason=item.purge_reason,
        )
        for item in found[:limit]
    )


def series(
    session: Session, client_id: int, last: api.Period, now: datetime, weeks: int = SERIES_WEEKS
) -> tuple[WeekPoint, ...]:
    """Customer messages and answers per week, oldest first, ending with ``last``.

    Weeks before the client's first activity are left out, so a new client's chart does
    not start with empty weeks; the email's own week is always there.
    """
    points = api.weekly_series(session, client_id=client_id, weeks=weeks, last=last, now=now)
    while len(points) > 1 and not (points[0].posts or points[0].own_replies or points[0].inbound):
        points = points[1:]
    return tuple(
        WeekPoint(api.week_of(point.period.start), point.inbound, point.answered)
        for point in points
    )


def _dashboard_link(
    base: str | None, page: str, client_id: int | None, week: api.Period
) -> str | None:
    """A link into the dashboard, in its URL scheme (dashboard/state.py): ``/client?client=3
    &period=2026-W47`` or ``/?period=2026-W47`` for every client."""
    if not base:
        return None
    root = base.rstrip("/")
    if page == "client" and client_id is not None:
        return f"{root}/client?{urlencode({'client': client_id, 'period': str(week)})}"
    return f"{root}/?{urlencode({'period': str(week)})}"
