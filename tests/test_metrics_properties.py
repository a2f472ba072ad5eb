"""Property tests: the SQL path agrees with the reference implementation, on both databases,
and incremental refreshes after random batches equal a full rebuild.

The agreement covers every figure of ``metrics.results.Metrics`` the product shows, for
each client and each of its accounts, per ISO week with data and one range cutting weeks:
counts, moments and waiting ages, wall-clock and business-hours medians and p90s, all
ratios with their Wilson intervals, followers and engagement rate, uncovered share (and
the hour-of-week matrix behind it), and the verdict with its window, inputs and evidence
list; plus each week's point of the trend charts (``weekly_series``)."""

from __future__ import annotations

import math
import os
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from metrics import api
from metrics.periods import Period, week_of
from metrics.questions import is_question
from metrics.results import Metrics, WeekPoint
from storage.models import AccountWeek, Client, ClientWeek, HourCount, ItemFact, RollupDirty
from storage.upsert import upsert_items, upsert_likes
from tests.support.reference import World, nearest_rank, share, wilson
from tests.support.rollups import client_weeks_from_facts
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


def _bounds(interval):
    return None if interval is None else (interval.low, interval.high)


def _exact(metrics: Metrics) -> dict:
    """Every count, moment and duration the product shows, read from the SQL path."""
    verdict = metrics.verdict
    inputs = verdict.inputs
    return {
        "posts": metrics.posts,
        "own_replies": metrics.own_replies,
        "own_thread": metrics.own_thread,
        "reposts": metrics.reposts,
        "inbound": metrics.inbound,
        "questions": metrics.questions,
        "answered": metrics.answered,
        "missed": metrics.missed,
        "waiting": metrics.waiting,
        "answered_questions": metrics.answered_questions,
        "missed_questions": metrics.missed_questions,
        "oldest_unanswered_at": metrics.oldest_unanswered_at,
        "oldest_waiting_at": metrics.oldest_waiting_at,
        "oldest_waiting_age": _seconds(metrics.oldest_waiting_age),
        "within_target": metrics.within_target,
        "interactions": metrics.interactions,
        "followers": metrics.followers,
        "followers_at": metrics.followers_at,
        "self_likes": metrics.self_likes,
        "liked_not_answered": metrics.liked_not_answered,
        "removed_inbound": metrics.removed_inbound,
        "acknowledgments": metrics.acknowledgments,
        "customer_conversation": metrics.customer_conversation,
        "answering_replies": metrics.answering_replies,
        "redirect_replies": metrics.redirect_replies,
        "template_replies": metrics.template_replies,
        "substantive_answered": metrics.substantive_answered,
        "median": _seconds(metrics.response_time.median),
        "p90": _seconds(metrics.response_time.p90),
        "business_median": _seconds(metrics.business_response_time.median),
        "business_p90": _seconds(metrics.business_response_time.p90),
        "verdict": verdict.verdict,
        "verdict_window": (verdict.window.start, verdict.window.end, verdict.widened),
        "verdict_inputs": (
            inputs.posts,
            inputs.own_replies,
            inputs.inbound,
            inputs.answered,
            inputs.missed,
            _seconds(inputs.business_median),
        ),
        "verdict_self_likes": verdict.self_likes,
        "verdict_unanswered": [
            (
                i.platform_item_id,
                i.created_at,
                _seconds(i.age),
                i.settles_at,
                i.is_question,
                i.liked_by_own,
                i.removed_at is not None,
            )
            for i in verdict.unanswered
        ],
        "verdict_unanswered_total": verdict.unanswered_total,
        "verdict_quality": (
            verdict.quality.answering,
            verdict.quality.redirects,
            verdict.quality.templates,
            verdict.quality.hollow,
            [(r.count, r.latest.platform_item_id) for r in verdict.quality.repeated],
            [i.platform_item_id for i in verdict.quality.redirect_examples],
        ),
    }


def _ratios(metrics: Metrics) -> dict:
    """Every ratio the product shows (floats: compared to a relative 1e-9)."""
    response = _bounds(metrics.response_ratio_interval)
    question = _bounds(metrics.question_response_ratio_interval)
    return {
        "response_ratio": metrics.response_ratio,
        "response_ratio_low": response and response[0],
        "response_ratio_high": response and response[1],
        "question_response_ratio": metrics.question_response_ratio,
        "question_response_ratio_low": question and question[0],
        "question_response_ratio_high": question and question[1],
        "within_target_ratio": metrics.within_target_ratio,
        "dialogue_share": metrics.dialogue_share,
        "interactions_per_post": metrics.interactions_per_post,
        "engagement_rate": metrics.engagement_rate,
        "uncovered_share": metrics.uncovered_share,
        "redirect_share": metrics.redirect_share,
        "template_share": metrics.template_share,
        "substantive_ratio": metrics.substantive_ratio,
        "verdict_response_ratio": metrics.verdict.inputs.response_ratio,
        "verdict_interactions_per_post": metrics.verdict.interactions_per_post,
    }


def _expected(world, accounts, client, period, now) -> tuple[dict, dict, tuple]:
    """What the reference says, in the shapes of ``_exact`` and ``_ratios``, and coverage."""
    rules = world.settings[client]
    tz = ZoneInfo(rules.time_zone)
    first, after = _local(period.start, tz), _local(period.end, tz)
    got = world.outcome(accounts, client, first, after, now)
    judged = world.verdict(accounts, client, period.start, period.end, now)
    window = judged.window
    followers = world.follower_count(accounts, after)
    inbound, own, reference_own = world.coverage(accounts, client, period.start, period.end)
    uncovered = sum(count for hour, count in enumerate(inbound) if not reference_own[hour])
    per_post = share(got.interactions, got.posts)
    response, question = (
        wilson(got.answered, got.settled),
        wilson(got.answered_questions, got.answered_questions + got.missed_questions),
    )
    oldest_waiting = got.oldest_waiting
    exact = {
        "posts": got.posts,
        "own_replies": got.own_replies,
        "own_thread": got.own_thread,
        "reposts": got.reposts,
        "inbound": got.inbound,
        "questions": got.questions,
        "answered": got.answered,
        "missed": got.missed,
        "waiting": got.waiting,
        "answered_questions": got.answered_questions,
        "missed_questions": got.missed_questions,
        "oldest_unanswered_at": got.oldest_unanswered,
        "oldest_waiting_at": oldest_waiting,
        "oldest_waiting_age": (now - oldest_waiting).total_seconds() if oldest_waiting else None,
        "within_target": got.within_target,
        "interactions": got.interactions,
        "followers": followers and followers[0],
        "followers_at": followers and followers[1],
        "self_likes": got.self_likes,
        "liked_not_answered": got.liked_not_answered,
        "removed_inbound": got.removed_inbound,
        "acknowledgments": got.acknowledgments,
        "customer_conversation": got.customer_conversation,
        "answering_replies": got.answering_replies,
        "redirect_replies": got.redirect_replies,
        "template_replies": got.template_replies,
        "substantive_answered": got.substantive_answered,
        "median": nearest_rank(got.response_times, 50),
        "p90": nearest_rank(got.response_times, 90),
        "business_median": nearest_rank(got.business_times, 50),
        "business_p90": nearest_rank(got.business_times, 90),
        "verdict": judged.verdict,
        "verdict_window": (judged.window_start, period.end, judged.extra_weeks > 0),
        "verdict_inputs": (
            window.posts,
            window.own_replies,
            window.inbound,
            window.answered,
            window.missed,
            nearest_rank(window.business_times, 50),
        ),
        "verdict_self_likes": window.self_likes,
        # the first 10, oldest first; the database numbers items in the order _load stores them
        "verdict_unanswered": [
            (
                item.id,
                item.created_at,
                (now - item.created_at).total_seconds(),
                item.created_at + rules.answer_window,
                is_question(item.text),
                world.own_likes(item) > 0,
                item.removed,
            )
            for _, _, item in sorted(window.missed_items, key=lambda m: m[:2])[:10]
        ],
        "verdict_unanswered_total": window.missed,
        "verdict_quality": _expected_quality(world, window),
    }
    ratios = {
        "response_ratio": share(got.answered, got.settled),
        "response_ratio_low": response and response[0],
        "response_ratio_high": response and response[1],
        "question_response_ratio": share(
            got.answered_questions, got.answered_questions + got.missed_questions
        ),
        "question_response_ratio_low": question and question[0],
        "question_response_ratio_high": question and question[1],
        "within_target_ratio": share(got.within_target, got.settled),
        "dialogue_share": share(got.own_replies, got.own_replies + got.posts),
        "interactions_per_post": per_post,
        "engagement_rate": (
            per_post / followers[0] if per_post is not None and followers and followers[0] else None
        ),
        "uncovered_share": share(uncovered, sum(inbound)),
        "redirect_share": share(got.redirect_replies, got.answering_replies),
        "template_share": share(got.template_replies, got.answering_replies),
        "substantive_ratio": share(got.substantive_answered, got.settled),
        "verdict_response_ratio": share(window.answered, window.settled),
        "verdict_interactions_per_post": share(window.interactions, window.posts),
    }
    return exact, ratios, (inbound, own, reference_own)


def _expected_quality(world: World, window) -> tuple:
    """The qualifier and its evidence over the verdict's window, from the reference."""
    hollow = window.answering_replies >= 5 and (
        window.redirect_replies + window.template_replies >= 0.5 * window.answering_replies
    )
    repeated, redirects = [], []
    if hollow:
        position = {id(item): n for n, item in enumerate(world.items)}
        groups: dict[int, list] = {}
        for created, key, item in window.answering:
            if key is not None:
                groups.setdefault(key, []).append((created, position[id(item)], item))
        ranked = sorted(
            (len(replies), max(replies, key=lambda r: r[:2])) for replies in groups.values()
        )
        ranked = [entry for entry in ranked if entry[0] >= 2]
        ranked.sort(key=lambda entry: (entry[0], entry[1][0], entry[1][1]), reverse=True)
        repeated = [(count, latest[2].id) for count, latest in ranked[:3]]
        newest = sorted(
            (
                (created, position[id(item)], item)
                for created, _, item in window.answering
                if world.redirect(item)
            ),
            key=lambda r: r[:2],
            reverse=True,
        )
        redirects = [item.id for _, _, item in newest[:3]]
    return (
        window.answering_replies,
        window.redirect_replies,
        window.template_replies,
        hollow,
        repeated,
        redirects,
    )


def _assert_agrees(metrics: Metrics, expected: tuple[dict, dict, tuple], label: str) -> None:
    exact, ratios, _ = expected
    assert _exact(metrics) == exact, label
    got = _ratios(metrics)
    assert got.keys() == ratios.keys()
    differ = {
        name: (got[name], want) for name, want in ratios.items() if not _close(got[name], want)
    }
    assert not differ, f"{label}: (sql, reference) {differ}"


POINT_EXACT = (
    "posts", "own_replies", "inbound", "questions", "answered", "missed", "waiting",
    "median", "p90", "business_median", "business_p90", "verdict",
)  # fmt: skip
POINT_RATIOS = (
    "response_ratio", "response_ratio_low", "response_ratio_high", "within_target_ratio",
    "dialogue_share",
)  # fmt: skip


def _assert_point_agrees(point: WeekPoint, expected: tuple[dict, dict, tuple], label: str):
    """A week of the trend charts (read from the rollups) against the reference."""
    exact, ratios, _ = expected
    interval = _bounds(point.response_ratio_interval)
    got = {
        "posts": point.posts,
        "own_replies": point.own_replies,
        "inbound": point.inbound,
        "questions": point.questions,
        "answered": point.answered,
        "missed": point.missed,
        "waiting": point.waiting,
        "median": _seconds(point.response_time.median),
        "p90": _seconds(point.response_time.p90),
        "business_median": _seconds(point.business_response_time.median),
        "business_p90": _seconds(point.business_response_time.p90),
        "verdict": point.verdict,
        "weeks": point.verdict_weeks,
    }
    start, end, _ = exact["verdict_window"]
    want = {name: exact[name] for name in POINT_EXACT} | {"weeks": (end - start).days // 7}
    assert got == want, label
    got_ratios = {
        "response_ratio": point.response_ratio,
        "response_ratio_low": interval and interval[0],
        "response_ratio_high": interval and interval[1],
        "within_target_ratio": point.within_target_ratio,
        "dialogue_share": point.dialogue_share,
    }
    differ = {
        name: (got_ratios[name], ratios[name])
        for name in POINT_RATIOS
        if not _close(got_ratios[name], ratios[name])
    }
    assert not differ, f"{label}: (sql, reference) {differ}"


def _close(got: float | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is want
    return math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12)


def _periods(world: World, time_zone: str) -> list[Period]:
    tz = ZoneInfo(time_zone)
    days = sorted({item.created_at.astimezone(tz).date() for item in world.items})
    weeks = sorted({week_of(day) for day in days})
    # every week with data, and one range that cuts weeks in the middle
    return [*weeks, Period(days[0] + timedelta(days=2), days[-1])] if len(days) > 3 else weeks


@pytest.mark.slow  # over 10 s on the 2-core machine
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
    for role in session.scalars(select(ItemFact.role).distinct()):
        event(f"role {role}")
    for quality in session.execute(
        select(ItemFact.redirect, ItemFact.template).where(ItemFact.answering).distinct()
    ):
        event(f"answering reply: redirect {quality[0]}, template {quality[1]}")
    if session.scalar(select(ItemFact.item_id).where(ItemFact.substantive).limit(1)):
        event("substantively answered")
    for client, client_settings in world.settings.items():
        accounts = {
            a
            for a in account_ids
            if any(i.account == a and i.client == client for i in world.items)
        }
        for period in _periods(world, client_settings.time_zone):
            got_client = api.client_metrics(session, client_ids[client], period, now=now)
            expected = _expected(world, accounts, client, period, now)
            _assert_agrees(got_client, expected, f"client {client} {period}")
            # the hour-of-week matrix behind uncovered_share, as the heatmap reads it
            hours = api.coverage(session, client_id=client_ids[client], period=period, now=now)
            assert (
                list(hours.inbound),
                list(hours.own_replies),
                list(hours.reference_own_replies),
            ) == expected[2], f"coverage of client {client} {period}"
            exact = expected[0]
            event(f"verdict {exact['verdict']}{' widened' if exact['verdict_window'][2] else ''}")
            event("some waiting" if exact["waiting"] else "nothing waiting")
            event("mostly redirects and templates" if exact["verdict_quality"][3] else "not hollow")
            event("followers known" if exact["followers"] is not None else "followers unknown")
            event(
                "liked, not answered" if exact["liked_not_answered"] else "none liked, not answered"
            )
            if period.is_iso_week:
                (point,) = api.weekly_series(
                    session, client_id=client_ids[client], weeks=1, last=period, now=now
                )
                _assert_point_agrees(point, expected, f"trend of client {client} {period}")
            by_id = {m.subject.id: m for m in got_client.accounts}
            for account in accounts:
                expected = _expected(world, {account}, client, period, now)
                _assert_agrees(by_id[account_ids[account]], expected, f"account {account} {period}")
                if period.is_iso_week:
                    (point,) = api.weekly_series(
                        session, account_id=account_ids[account], weeks=1, last=period, now=now
                    )
                    _assert_point_agrees(point, expected, f"trend of account {account} {period}")


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


@pytest.mark.slow  # over 10 s on the 2-core machine
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
        refreshed = api.refresh(session)
        session.commit()
        if refreshed.rerated:
            event("a new reply re-rated stored replies in other threads")
    incremental = _snapshot(session)
    assert incremental["client_weeks"] == client_weeks_from_facts(session)
    api.rebuild(session)
    session.commit()
    assert _snapshot(session) == incremental
