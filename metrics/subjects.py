"""Subjects (an account, a client with its accounts) and the requests that compute them.

Shared by the metrics API and the stored league table (metrics.league), which computes
the same clients with their accounts that a portfolio shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from metrics.compute import Request, compute, with_accounts
from metrics.periods import Period, last_full_week, week_index
from metrics.queries import Reader
from metrics.results import Metrics, Subject
from metrics.settings import SettingsInForce, settings_map
from storage.among import among
from storage.models import Account, Client


def account_subject_of(account: Account, client: Client) -> Subject:
    return Subject(
        kind="account",
        id=account.id,
        label=f"{account.platform} {account.handle}",
        client_id=client.id,
        client_name=client.name,
        time_zone=client.time_zone,
        account_ids=(account.id,),
        platform=account.platform,
        handle=account.handle,
    )


def client_subject_of(client: Client, account_ids: Sequence[int]) -> Subject:
    return Subject(
        kind="client",
        id=client.id,
        label=client.name,
        client_id=client.id,
        client_name=client.name,
        time_zone=client.time_zone,
        account_ids=tuple(sorted(account_ids)),
    )


def requests_for(
    session: Session,
    subjects: Sequence[Subject],
    period: Period | None,
    now: datetime,
) -> list[Request]:
    wanted = {s.client_id for s in subjects}
    clients = {
        c.id: c for c in session.scalars(select(Client).where(among(session, Client.id, wanted)))
    }
    periods = {s.id: period or last_full_week(s.time_zone, now) for s in subjects}
    settings: dict[tuple[int, int], SettingsInForce] = {}
    by_week: dict[int, list[Client]] = {}
    for subject in subjects:
        week = week_index(periods[subject.id].last_day)
        by_week.setdefault(week, []).append(clients[subject.client_id])
    for week, members in by_week.items():
        for client_id, found in settings_map(session, members, week, now).items():
            settings[(client_id, week)] = found
    return [
        Request(
            s,
            periods[s.id],
            settings[(s.client_id, week_index(periods[s.id].last_day))],
        )
        for s in subjects
    ]


def clients_metrics(
    session: Session,
    clients: Sequence[Client],
    period: Period | None,
    now: datetime,
    detail: bool = True,
) -> list[Metrics]:
    accounts: dict[int, list[Account]] = {c.id: [] for c in clients}
    for account in session.scalars(
        select(Account).where(among(session, Account.client_id, accounts)).order_by(Account.id)
    ):
        accounts[account.client_id].append(account)
    client_subjects = [client_subject_of(c, [a.id for a in accounts[c.id]]) for c in clients]
    account_subjects = [account_subject_of(a, c) for c in clients for a in accounts[c.id]]
    results = compute(
        Reader(session, now),
        requests_for(session, [*client_subjects, *account_subjects], period, now),
        detail=detail,
    )
    per_client = results[: len(client_subjects)]
    by_client: dict[int, list[Metrics]] = {m.subject.id: [] for m in per_client}
    for account_metrics_ in results[len(client_subjects) :]:
        by_client[account_metrics_.subject.client_id].append(account_metrics_)
    return [with_accounts(m, by_client[m.subject.id]) for m in per_client]
