"""Reads from storage for the pages: clients, accounts, collection runs, latest items.

Every function takes ids that the access guard has already checked; none of them decides
who may see what. Metrics (ratios, times, verdicts) are not computed here: they come from
the ``metrics`` package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from storage.among import among
from storage.models import Account, Client, CollectionRun, CredentialStatus, Item
from storage.renewal import CredentialState, credential_states

HEALTHY_OUTCOMES = frozenset({"ok", "running"})


@dataclass(frozen=True)
class RunRow:
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    api_calls: int
    items_new: int
    items_updated: int
    problems: int
    error: str | None


@dataclass(frozen=True)
class AccountSummary:
    account_id: int
    platform: str
    handle: str
    display_name: str | None
    active: bool
    credential_status: str
    credential_error: str | None
    collect_interval_minutes: int
    last_run: RunRow | None
    # What people are told about the credentials (storage.renewal): a connected grant that
    # ends within 14 days needs renewal already, with the date.
    renewal: CredentialState | None = None

    @property
    def needs_renewal(self) -> bool:
        return _needs_renewal(self.renewal, self.credential_status)

    @property
    def failing(self) -> bool:
        return _failing(self.last_run.outcome if self.last_run is not None else None)


def _needs_renewal(renewal: CredentialState | None, credential_status: str) -> bool:
    if renewal is not None:
        return renewal.needs_renewal
    return CredentialStatus(credential_status).refused


def _failing(last_outcome: str | None) -> bool:
    return last_outcome is not None and last_outcome not in HEALTHY_OUTCOMES


@dataclass(frozen=True)
class ClientSummary:
    client_id: int
    name: str
    time_zone: str
    accounts: int
    platforms: tuple[str, ...]
    last_collection: datetime | None
    credentials_to_renew: int
    failing_accounts: int


@dataclass(frozen=True)
class ItemRow:
    created_at: datetime
    author_handle: str | None
    kind: str
    is_own: bool
    text: str
    permalink: str | None
    removed: bool
    purge_reason: str | None = None  # text removed for privacy (metrics.labels.shown_text)


def _run_row(run: CollectionRun) -> RunRow:
    return RunRow(
        started_at=run.started_at,
        finished_at=run.finished_at,
        outcome=run.outcome,
        api_calls=run.api_calls,
        items_new=run.items_new,
        items_updated=run.items_updated,
        problems=len(run.problems or []),
        error=run.error,
    )


def _latest_runs(session: Session, account_ids: list[int]) -> dict[int, RunRow]:
    if not account_ids:
        return {}
    latest = (
        select(CollectionRun.account_id, func.max(CollectionRun.id).label("run_id"))
        .where(among(session, CollectionRun.account_id, account_ids))
        .group_by(CollectionRun.account_id)
        .subquery()
    )
    runs = session.scalars(select(CollectionRun).join(latest, latest.c.run_id == CollectionRun.id))
    return {run.account_id: _run_row(run) for run in runs}


def account_summaries(
    session: Session, accounts: list[Account], now: datetime | None = None
) -> list[AccountSummary]:
    """``now``: the instant the credentials' renewal is judged at (the app's clock)."""
    latest = _latest_runs(session, [account.id for account in accounts])
    states = (
        credential_states(session, [account.id for account in accounts], now)
        if now is not None
        else {}
    )
    return [
        AccountSummary(
            account_id=account.id,
            platform=account.platform,
            handle=account.handle,
            display_name=account.display_name,
            active=account.active,
            credential_status=account.credential_status,
            credential_error=account.credential_error,
            collect_interval_minutes=account.collect_interval_minutes,
            last_run=latest.get(account.id),
            renewal=states.get(account.id),
        )
        for account in accounts
    ]


def _latest_outcomes(
    session: Session, account_ids: list[int]
) -> dict[int, tuple[datetime | None, str]]:
    """Per account: when its latest run finished, and how."""
    if not account_ids:
        return {}
    latest = (
        select(func.max(CollectionRun.id).label("run_id"))
        .where(among(session, CollectionRun.account_id, account_ids))
        .group_by(CollectionRun.account_id)
        .subquery()
    )
    rows = session.execute(
        select(CollectionRun.account_id, CollectionRun.finished_at, CollectionRun.outcome).join(
            latest, latest.c.run_id == CollectionRun.id
        )
    )
    return {account_id: (finished, outcome) for account_id, finished, outcome in rows}


def client_summaries(
    session: Session, clients: list[Client], now: datetime | None = None
) -> list[ClientSummary]:
    # Plain columns, not account and run objects: a consultant's portfolio summarises
    # every client on each page load (a thousand accounts: 30 ms as objects, 10 as rows).
    ids = [client.id for client in clients]
    accounts = (
        session.execute(
            select(Account.id, Account.client_id, Account.platform, Account.credential_status)
            .where(among(session, Account.client_id, ids))
            .order_by(Account.id)
        ).all()
        if ids
        else []
    )
    account_ids = [account.id for account in accounts]
    latest = _latest_outcomes(session, account_ids)
    states = credential_states(session, account_ids, now) if now is not None else {}
    by_client: dict[int, list[Row[Any]]] = {client_id: [] for client_id in ids}
    for account in accounts:
        by_client[account.client_id].append(account)
    result = []
    for client in clients:
        own = by_client[client.id]
        finished = [latest[a.id][0] for a in own if a.id in latest and latest[a.id][0] is not None]
        result.append(
            ClientSummary(
                client_id=client.id,
                name=client.name,
                time_zone=client.time_zone,
                accounts=len(own),
                platforms=tuple(sorted({a.platform for a in own})),
                last_collection=max(finished) if finished else None,  # type: ignore[type-var]
                credentials_to_renew=sum(
                    1 for a in own if _needs_renewal(states.get(a.id), a.credential_status)
                ),
                failing_accounts=sum(
                    1 for a in own if _failing(latest[a.id][1] if a.id in latest else None)
                ),
            )
        )
    return result


def runs_between(session: Session, account_id: int, start: datetime, end: datetime) -> list[RunRow]:
    """Collection runs started in [start, end), newest first."""
    runs = session.scalars(
        select(CollectionRun)
        .where(
            CollectionRun.account_id == account_id,
            CollectionRun.started_at >= start,
            CollectionRun.started_at < end,
        )
        .order_by(CollectionRun.started_at.desc(), CollectionRun.id.desc())
    )
    return [_run_row(run) for run in runs]


def latest_items(
    session: Session, account_id: int, start: datetime, end: datetime, limit: int = 20
) -> list[ItemRow]:
    """The newest items written in [start, end), newest first."""
    items = session.scalars(
        select(Item)
        .where(Item.account_id == account_id, Item.created_at >= start, Item.created_at < end)
        .order_by(Item.created_at.desc(), Item.id.desc())
        .limit(limit)
    )
    return [
        ItemRow(
            created_at=item.created_at,
            author_handle=item.author_handle,
            kind=item.kind,
            is_own=item.is_own,
            text=item.text,
            permalink=item.permalink,
            removed=item.removed_at is not None,
            purge_reason=item.purge_reason,
        )
        for item in items
    ]
