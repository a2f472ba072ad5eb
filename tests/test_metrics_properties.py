"""Property tests: the SQL path agrees with the reference implementation, on both databases,
and incremental refreshes after random batches equal a full rebuild."""

from __future__ import annotations

import os
from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from metrics import api
from metrics.periods import Period, week_of
from storage.models import AccountWeek, Client, ClientWeek, HourCount, ItemFact, RollupDirty
from storage.upsert import upsert_items, upsert_likes
from tests.support.reference import Outcome, World, nearest_rank
from tests.support.threads import like_record, record_of, store_clients, worlds

# More examples for a thorough run: REPLYWATCH_PROPERTY_EXAMPLES=500 pytest tests/test_metrics_properties.py
EXAMPLES = int(os.environ.get("REPLYWATCH_PROPERTY_EXAMPLES", "20"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _clean(session) -> None:
    session.rollback()
    session.execute(delete(Client))
    session.execute(delete(RollupDirty))
    session.commit()


def _load(session, world: World, handles, batches=None):
    client_ids, account_ids = store_clients(session, world, handles)
    records = [record_of(item) for item in world.items]
    for item, record in zip(world.items, records, strict=True):
        upsert_items(session, account_ids[item.account], [record])
    upsert_likes(session, [like_record(like, n) for n, like in enumerate(world.likes)])
    session.commit()
    return client_ids, account_ids


def _seconds(value):
    return None if value is None else value.total_seconds()


def _assert_agrees(metrics, expected: Outcome, verdict, label: str) -> None:
    settled = expected.answered + expected.missed
    got = {
        "posts": metrics.posts,
        "own_replies": metrics.own_replies,
        "own_thread": metrics.own_thread,
        "reposts": metrics.reposts,
        "inbound": metrics.inbound,
        "questions": metrics.questions,
        "answered": metrics.answered,
        "missed": metrics.missed,
        "waiting": metrics.waiting,
        "missed_questions": metrics.missed_questions,
        "within_target": metrics.within_target,
        "interactions": metrics.interactions,
        "self_likes": metrics.self_likes,
        "liked_not_answered": metrics.liked_not_answered,
        "removed_inbound": metrics.removed_inbound,
        "median": _seconds(metrics.response_time.median),
        "p90": _seconds(metrics.response_time.p90),
        "business_median": _seconds(metrics.business_response_time.median),
        "business_p90": _seconds(metrics.business_response_time.p90),
        "response_ratio": metrics.response_ratio,
        "verdict": (metrics.verdict.verdict, metrics.verdict.weeks - -(-metrics.period.days // 7)),
    }
    want = {
        "posts": expected.posts,
        "own_replies": expected.own_replies,
        "own_thread": expected.own_thread,
        "reposts": expected.reposts,
        "inbound": expected.inbound,
        "questions": expected.questions,
        "answered": expected.answered,
        "missed": expected.missed,
        "waiting": expected.waiting,
        "missed_questions": expected.missed_questions,
        "within_target": expected.within_target,
        "interactions": expected.interactions,
        "self_likes": expected.self_likes,
        "liked_not_answered": expected.liked_not_answered,
        "removed_inbound": expected.removed_inbound,
        "median": nearest_rank(expected.response_times, 50),
        "p90": nearest_rank(expected.response_times, 90),
        "business_median": nearest_rank(expected.business_times, 50),
        "business_p90": nearest_rank(expected.business_times, 90),
        "response_ratio": expected.answered / settled if settled else None,
        "verdict": verdict,
    }
    assert got == want, label


def _periods(world: World, time_zone: str) -> list[Period]:
    tz = ZoneInfo(time_zone)
    days = sorted({item.created_at.astimezone(tz).date() for item in world.items})
    weeks = sorted({week_of(day) for day in days})
    # every week with data, and one range that cuts weeks in the middle
    return [*weeks, Period(days[0] + timedelta(days=2), days[-1])] if len(days) > 3 else weeks


@PROPERTY
@given(data=worlds(), later=st.sampled_from([0, 5, 30, 60 * 30, 60 * 60 * 24 * 4]))
def test_sql_agrees_with_the_reference(session, data, later):
    world, handles = data
    _clean(session)
    client_ids, account_ids = _load(session, world, handles)
    api.refresh(session)
    session.commit()
    now = max(item.created_at for item in world.items) + timedelta(minutes=later)
    # what the generated data exercised (pytest --hypothesis-show-statistics)
    for rule in session.scalars(select(ItemFact.answer_rule).distinct()):
        event(f"answer rule {rule}")
    for client, client_settings in world.settings.items():
        accounts = {
            a
            for a in account_ids
            if any(i.account == a and i.client == client for i in world.items)
        }
        tz = ZoneInfo(client_settings.time_zone)
        for period in _periods(world, client_settings.time_zone):
            first = _local(period.start, tz)
            after = _local(period.end, tz)
            got_client = api.client_metrics(session, client_ids[client], period, now=now)
            expected = world.outcome(accounts, client, first, after, now)
            verdict = world.verdict(accounts, client, period.start, period.end, now)
            _assert_agrees(got_client, expected, verdict, f"client {client} {period}")
            event(f"verdict {verdict[0]}{' widened' if verdict[1] else ''}")
            event("some waiting" if expected.waiting else "nothing waiting")
            by_id = {m.subject.id: m for m in got_client.accounts}
            for account in accounts:
                expected = world.outcome({account}, client, first, after, now)
                verdict = world.verdict({account}, client, period.start, period.end, now)
                _assert_agrees(
                    by_id[account_ids[account]], expected, verdict, f"account {account} {period}"
                )


def _local(day, tz):
    from datetime import UTC, datetime

    return datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)


def _snapshot(session):
    """Every stored fact and rollup, as comparable plain tuples."""

    def rows(model, order):
        columns = [c for c in model.__table__.columns if c.name != "computed_at"]
        return [tuple(row) for row in session.execute(select(*columns).order_by(*order))]

    return {
        "facts": rows(ItemFact, [ItemFact.item_id]),
        "account_weeks": rows(AccountWeek, [AccountWeek.account_id, AccountWeek.week]),
        "client_weeks": rows(ClientWeek, [ClientWeek.client_id, ClientWeek.week]),
        "hours": rows(HourCount, [HourCount.account_id, HourCount.week, HourCount.hour]),
    }


@PROPERTY
@given(data=worlds(), seed=st.randoms(use_true_random=False), batches=st.integers(1, 5))
def test_incremental_refreshes_equal_a_full_rebuild(session, data, seed, batches):
    world, handles = data
    _clean(session)
    _, account_ids = store_clients(session, world, handles)
    session.commit()
    # Items arrive in random order and random batches: children before their parents,
    # likes before or after, a thread spread over several collection runs.
    pending = [("item", item) for item in world.items] + [
        ("like", (n, like)) for n, like in enumerate(world.likes)
    ]
    seed.shuffle(pending)
    size = max(1, len(pending) // batches)
    while pending:
        batch, pending = pending[:size], pending[size:]
        for kind, value in batch:
            if kind == "item":
                upsert_items(session, account_ids[value.account], [record_of(value)])
        likes = [value for kind, value in batch if kind == "like"]
        # a like of an item not stored yet is reported back; the next run sends it again
        unknown = set(
            upsert_likes(session, [like_record(like, n) for n, like in likes]).unknown_items
        )
        pending.extend(("like", (n, like)) for n, like in likes if like.item in unknown)
        session.commit()
        api.refresh(session)
        session.commit()
    incremental = _snapshot(session)
    api.rebuild(session)
    session.commit()
    assert _snapshot(session) == incremental
