"""From metrics results to the dashboard's view models: the one place that knows both.

Every number the pages show comes from ``metrics.api``. This module only changes units
(durations to minutes), renames, picks fields and pairs a period with the one before it;
it computes no metric. The page modules call ``metrics.api`` and pass its results here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from dashboard.names import account_label
from dashboard.viewmodels import (
    HOURS,
    DurationWeek,
    HourOfWeek,
    KeyFigures,
    LeagueRow,
    ListedItem,
    PostsRepliesWeek,
    RatioWeek,
    RepeatedReplyView,
    SelfLikeRow,
    VerdictView,
)
from metrics.api import (
    Comparison,
    Coverage,
    ItemRef,
    LeagueClient,
    LeagueLine,
    Metrics,
    Period,
    SelfLike,
    WeekPoint,
    week_of,
)
from metrics.evidence import verdict_evidence
from metrics.schedule import ScheduleError, parse_schedule

TREND_WEEKS = 12  # the trend charts show at least this many weeks ...
MAX_TREND_WEEKS = 53  # ... and a long date range up to a year of them


def trend_span(period: Period) -> tuple[Period, int]:
    """The ISO week the trend charts end with, and how many weeks they show."""
    return week_of(period.last_day), min(MAX_TREND_WEEKS, max(TREND_WEEKS, len(period.weeks)))


def minutes(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 60


# --- lists -------------------------------------------------------------------------------


def listed_item(reference: ItemRef, labels: Mapping[int, str]) -> ListedItem:
    """``labels`` names the accounts (id -> "X @handle") the viewer may see."""
    return ListedItem(
        item_id=reference.item_id,
        account_id=reference.account_id,
        account_label=labels.get(reference.account_id, reference.platform),
        author_handle=reference.author_handle,
        text=reference.text,
        permalink=reference.permalink,
        created_at=reference.created_at,
        age_minutes=reference.age.total_seconds() / 60,
        is_question=reference.is_question,
        liked_by_own=reference.liked_by_own,
        settles_at=reference.settles_at,
        removed_at=reference.removed_at,
        removed_reason=reference.removed_reason,
        purge_reason=reference.purge_reason,
    )


def listed_items(references: Sequence[ItemRef], labels: Mapping[int, str]) -> list[ListedItem]:
    return [listed_item(reference, labels) for reference in references]


def self_like_rows(likes: Sequence[SelfLike], labels: Mapping[int, str]) -> list[SelfLikeRow]:
    return [
        SelfLikeRow(like.liker_handle, like.liked_at, listed_item(like.item, labels))
        for like in likes
    ]


# --- verdict and key figures -------------------------------------------------------------


def verdict_view(metrics: Metrics, language: str, labels: Mapping[int, str]) -> VerdictView:
    verdict = metrics.verdict
    inputs = verdict.inputs
    return VerdictView(
        verdict=verdict.verdict,
        name=verdict.name(language),
        explanation=verdict.explanation(language),
        window_text=verdict.window_text(language),
        evidence=verdict_evidence(verdict, metrics.settings, language),
        window_start=verdict.window.start,
        window_end=verdict.window.last_day,
        posts=inputs.posts,
        own_replies=inputs.own_replies,
        inbound=inputs.inbound,
        answered=inputs.answered,
        missed=inputs.missed,
        settled=inputs.settled,
        response_ratio=inputs.response_ratio,
        business_median_minutes=minutes(inputs.business_median),
        target_minutes=metrics.settings.response_target.total_seconds() / 60,
        min_settled=metrics.settings.min_settled,
        interactions_per_post=verdict.interactions_per_post,
        self_likes=verdict.self_likes,
        unanswered=tuple(listed_items(verdict.unanswered, labels)),
        unanswered_total=verdict.unanswered_total,
        answering=verdict.quality.answering,
        redirects=verdict.quality.redirects,
        templates=verdict.quality.templates,
        qualifier=verdict.quality.qualifier(language),
        repeated=tuple(
            RepeatedReplyView(r.count, listed_item(r.latest, labels))
            for r in verdict.quality.repeated
        ),
        redirect_examples=tuple(listed_items(verdict.quality.redirect_examples, labels)),
    )


def key_figures(comparison: Comparison) -> KeyFigures:
    now, before = comparison.current, comparison.previous
    interval = now.response_ratio_interval
    return KeyFigures(
        posts=now.posts,
        own_replies=now.own_replies,
        inbound=now.inbound,
        questions=now.questions,
        answered=now.answered,
        missed=now.missed,
        waiting=now.waiting,
        response_ratio=now.response_ratio,
        ratio_low=interval.low if interval else None,
        ratio_high=interval.high if interval else None,
        question_response_ratio=now.question_response_ratio,
        median_minutes=minutes(now.response_time.median),
        p90_minutes=minutes(now.response_time.p90),
        business_median_minutes=minutes(now.business_response_time.median),
        target_minutes=now.settings.response_target.total_seconds() / 60,
        within_target_ratio=now.within_target_ratio,
        dialogue_share=now.dialogue_share,
        interactions_per_post=now.interactions_per_post,
        engagement_rate=now.engagement_rate,
        followers=now.followers,
        self_likes=now.self_likes,
        liked_not_answered=now.liked_not_answered,
        removed_inbound=now.removed_inbound,
        uncovered_share=now.uncovered_share,
        oldest_waiting_minutes=minutes(now.oldest_waiting_age),
        business_hours=now.settings.business_hours,
        previous_response_ratio=before.response_ratio,
        previous_median_minutes=minutes(before.response_time.median),
        previous_dialogue_share=before.dialogue_share,
        ratio_change=comparison.change("response_ratio"),
        dialogue_change=comparison.change("dialogue_share"),
        answering_replies=now.answering_replies,
        redirect_share=now.redirect_share,
        template_share=now.template_share,
        substantive_ratio=now.substantive_ratio,
        acknowledgments=now.acknowledgments,
        customer_conversation=now.customer_conversation,
    )


# --- trends ------------------------------------------------------------------------------


def _week(point: WeekPoint) -> str:
    return point.period.label  # an ISO week: "2026-W47"


def response_ratio_weeks(points: Sequence[WeekPoint]) -> list[RatioWeek]:
    weeks = []
    for point in points:
        interval = point.response_ratio_interval
        weeks.append(
            RatioWeek(
                _week(point),
                point.response_ratio,
                interval.low if interval else None,
                interval.high if interval else None,
                denominator=point.settled,
            )
        )
    return weeks


def dialogue_share_weeks(points: Sequence[WeekPoint]) -> list[RatioWeek]:
    # The "n" under the share: what it is a share of (own posts and own replies).
    return [
        RatioWeek(_week(p), p.dialogue_share, denominator=p.posts + p.own_replies) for p in points
    ]


def response_time_weeks(points: Sequence[WeekPoint]) -> list[DurationWeek]:
    return [
        DurationWeek(
            _week(point),
            minutes(point.response_time.median),
            minutes(point.response_time.p90),
            point.answered,
        )
        for point in points
    ]


def posts_replies_weeks(points: Sequence[WeekPoint]) -> list[PostsRepliesWeek]:
    return [PostsRepliesWeek(_week(p), p.posts, p.own_replies) for p in points]


# --- hours of the week -------------------------------------------------------------------


def closed_hours(business_hours: str | None) -> frozenset[tuple[int, int]]:
    """(weekday, hour) cells with no open minute; empty for 24/7 or unreadable hours."""
    try:
        return parse_schedule(business_hours).closed_hours()
    except ScheduleError:
        return frozenset()  # validated when stored; never hide the chart over it


def hour_of_week(coverage: Coverage, business_hours: str | None) -> HourOfWeek:
    return HourOfWeek(
        inbound=tuple(tuple(row) for row in Coverage.grid(coverage.inbound)),
        own_replies=tuple(tuple(row) for row in Coverage.grid(coverage.own_replies)),
        uncovered=frozenset((hour // HOURS, hour % HOURS) for hour in coverage.uncovered_hours),
        closed=closed_hours(business_hours),
        reference_weeks=-(-coverage.reference.days // 7),
        reference_replies=sum(coverage.reference_own_replies),
    )


# --- the portfolio -----------------------------------------------------------------------


def _league_row(line: LeagueLine) -> LeagueRow:
    return LeagueRow(
        client_id=line.client_id,
        client_name=line.client_name,
        account_id=line.account_id,
        account_label=(
            account_label(line.platform or "", line.handle or "")
            if line.account_id is not None
            else None
        ),
        verdict=line.verdict,
        response_ratio=line.response_ratio,
        ratio_low=line.ratio_low,
        ratio_high=line.ratio_high,
        response_time_median_minutes=minutes(line.response_time_median),
        dialogue_share=line.dialogue_share,
        waiting=line.waiting,
        ratio_change=line.ratio_change,
        verdict_weeks=line.verdict_weeks,
        substantive_ratio=line.substantive_ratio,
        redirect_share=line.redirect_share,
        template_share=line.template_share,
        hollow=line.hollow,
    )


def league_rows(clients: Sequence[LeagueClient]) -> list[LeagueRow]:
    """Each client followed by its accounts (``metrics.api.league``'s order)."""
    return [_league_row(line) for client in clients for line in (client.client, *client.accounts)]
