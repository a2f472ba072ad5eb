"""What the metrics API returns: plain, typed, immutable values.

Durations are ``timedelta``, moments UTC-aware ``datetime``, ratios floats in [0, 1] or
None when there is nothing to divide (a ratio of nothing is not 0 %). ``as_row()`` gives
flat JSON-ready values for exports and the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from metrics.labels import (
    Verdict,
    quality_qualifier,
    verdict_explanation,
    verdict_name,
    weeks_judged,
)
from metrics.periods import Period
from metrics.settings import SettingsInForce
from metrics.stats import Interval
from metrics.verdict import VerdictInputs

HOURS_PER_WEEK = 168


@dataclass(frozen=True)
class Subject:
    """What the numbers are about: one account, or one client (all its accounts)."""

    kind: str  # "account" or "client"
    id: int
    label: str  # "x @huber" for an account, the name for a client
    client_id: int
    client_name: str
    time_zone: str
    account_ids: tuple[int, ...]
    platform: str | None = None
    handle: str | None = None


@dataclass(frozen=True)
class ResponseTimes:
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True)
class ItemRef:
    """One stored item as lists show it: who, what, when, where to open it."""

    item_id: int
    account_id: int
    platform: str
    platform_item_id: str
    author_handle: str | None
    text: str
    permalink: str | None
    created_at: datetime
    age: timedelta  # at the moment the list was made
    is_question: bool | None
    liked_by_own: bool
    removed_at: datetime | None = None
    removed_reason: str | None = None
    settles_at: datetime | None = None  # end of its answer window
    answered_at: datetime | None = None
    # Its text, handle and link were removed (storage/privacy.py): "retention", "erasure".
    purge_reason: str | None = None

    def as_row(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "account_id": self.account_id,
            "platform": self.platform,
            "platform_item_id": self.platform_item_id,
            "author": self.author_handle,
            "text": self.text,
            "permalink": self.permalink,
            "created_at": self.created_at.isoformat(),
            "age_hours": round(self.age.total_seconds() / 3600, 2),
            "is_question": self.is_question,
            "liked_by_own": self.liked_by_own,
            "removed_at": self.removed_at.isoformat() if self.removed_at else None,
            "removed_reason": self.removed_reason,
            "purge_reason": self.purge_reason,
        }


@dataclass(frozen=True)
class SelfLike:
    """A like on an own item by the own side (the account itself, agency staff)."""

    liker_handle: str | None
    liker_id: str
    liked_at: datetime | None
    item: ItemRef


@dataclass(frozen=True)
class RepeatedReply:
    """One text the own side sent again and again, as evidence of templates."""

    text: str  # the latest of them, as it was sent
    count: int  # answering replies with this normalised text in the window
    latest: ItemRef


@dataclass(frozen=True)
class AnswerQuality:
    """Whether the answers say something, over the verdict's window (docs/metrics.md).

    ``hollow`` is the qualifier "mostly redirects and templates" that stands beside the
    verdict; ``repeated`` and ``redirect_examples`` are its evidence (empty in summaries).
    """

    answering: int  # own replies that answer an inbound item
    redirects: int
    templates: int  # templates that are not redirects
    hollow: bool
    repeated: tuple[RepeatedReply, ...] = ()  # the three most repeated replies
    redirect_examples: tuple[ItemRef, ...] = ()  # the latest redirects, with links

    @property
    def redirect_share(self) -> float | None:
        return self.redirects / self.answering if self.answering else None

    @property
    def template_share(self) -> float | None:
        return self.templates / self.answering if self.answering else None

    @property
    def hollow_share(self) -> float | None:
        """Redirects and templates together, of all answering replies."""
        return (self.redirects + self.templates) / self.answering if self.answering else None

    def qualifier(self, language: str = "en") -> str | None:
        """ "mostly redirects and templates" when it applies, else None."""
        return quality_qualifier(language) if self.hollow else None


@dataclass(frozen=True)
class VerdictResult:
    verdict: Verdict
    window: Period  # where it was evaluated: the period, or widened backwards
    widened: bool
    inputs: VerdictInputs  # the window's counts behind the verdict
    interactions_per_post: float | None
    self_likes: int
    # the window's missed items, oldest first (at most the list limit)
    unanswered: tuple[ItemRef, ...] = ()
    unanswered_total: int = 0
    # the answers' quality over the same window, with the qualifier beside the verdict
    quality: AnswerQuality = AnswerQuality(0, 0, 0, False)

    @property
    def weeks(self) -> int:
        return -(-self.window.days // 7)

    def name(self, language: str = "en") -> str:
        return verdict_name(self.verdict, language)

    def explanation(self, language: str = "en") -> str:
        return verdict_explanation(self.verdict, language)

    def window_text(self, language: str = "en") -> str | None:
        """ "over the last 5 weeks" when the window was widened, else None."""
        if not self.widened:
            return None
        return weeks_judged(self.weeks, language)


@dataclass(frozen=True)
class Coverage:
    """Inbound items and own replies by local hour of week (0 = Monday 00:00-01:00).

    Uncovered hours are those in which the own side never replied during the reference
    window (the period, widened to at least eight weeks): customers writing then wait.
    """

    inbound: tuple[int, ...]
    own_replies: tuple[int, ...]
    reference: Period
    reference_own_replies: tuple[int, ...]

    @property
    def uncovered_hours(self) -> tuple[int, ...]:
        return tuple(hour for hour, count in enumerate(self.reference_own_replies) if not count)

    @property
    def uncovered_inbound(self) -> int:
        return sum(self.inbound[hour] for hour in self.uncovered_hours)

    @property
    def uncovered_share(self) -> float | None:
        total = sum(self.inbound)
        return self.uncovered_inbound / total if total else None

    @staticmethod
    def grid(values: tuple[int, ...]) -> list[list[int]]:
        """7 rows (Monday first) of 24 hours."""
        return [list(values[day * 24 : day * 24 + 24]) for day in range(7)]


@dataclass(frozen=True)
class Metrics:
    """Every metric of docs/metrics.md for one subject and period."""

    subject: Subject
    period: Period
    settings: SettingsInForce
    computed_at: datetime
    posts: int
    own_replies: int
    own_thread: int  # own replies to own items ("1/2 2/2"): neither posts nor replies
    reposts: int
    inbound: int
    questions: int
    answered: int
    missed: int
    waiting: int
    answered_questions: int
    missed_questions: int
    oldest_unanswered_at: datetime | None  # answered neither in time nor yet
    oldest_waiting_at: datetime | None
    response_ratio: float | None
    response_ratio_interval: Interval | None
    question_response_ratio: float | None
    question_response_ratio_interval: Interval | None
    response_time: ResponseTimes
    business_response_time: ResponseTimes
    within_target: int
    within_target_ratio: float | None
    dialogue_share: float | None
    interactions: int
    interactions_per_post: float | None
    followers: int | None
    followers_at: datetime | None
    engagement_rate: float | None
    self_likes: int
    liked_not_answered: int
    removed_inbound: int
    uncovered_share: float | None
    verdict: VerdictResult
    # addressed items that expect no answer ("thanks"), and customers among themselves
    acknowledgments: int = 0
    customer_conversation: int = 0
    # own replies that answer an inbound item, and how many are redirects and templates
    answering_replies: int = 0
    redirect_replies: int = 0
    template_replies: int = 0
    # inbound items answered by at least one reply that is neither
    substantive_answered: int = 0
    accounts: tuple[Metrics, ...] = field(default=())

    @property
    def settled(self) -> int:
        return self.answered + self.missed

    @property
    def redirect_share(self) -> float | None:
        return self.redirect_replies / self.answering_replies if self.answering_replies else None

    @property
    def template_share(self) -> float | None:
        return self.template_replies / self.answering_replies if self.answering_replies else None

    @property
    def substantive_ratio(self) -> float | None:
        """Inbound items answered substantively within their window / settled items."""
        return self.substantive_answered / self.settled if self.settled else None

    @property
    def oldest_waiting_age(self) -> timedelta | None:
        return self.computed_at - self.oldest_waiting_at if self.oldest_waiting_at else None

    def as_row(self) -> dict[str, Any]:
        """Flat values for CSV and JSON: seconds for durations, ISO text for moments."""

        def seconds(value: timedelta | None) -> float | None:
            return None if value is None else value.total_seconds()

        def moment(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        def low(interval: Interval | None) -> float | None:
            return None if interval is None else interval.low

        def high(interval: Interval | None) -> float | None:
            return None if interval is None else interval.high

        return {
            "kind": self.subject.kind,
            "id": self.subject.id,
            "label": self.subject.label,
            "client": self.subject.client_name,
            "platform": self.subject.platform,
            "period": self.period.label,
            "period_start": self.period.start.isoformat(),
            "period_end": self.period.last_day.isoformat(),
            "time_zone": self.subject.time_zone,
            "posts": self.posts,
            "own_replies": self.own_replies,
            "own_thread": self.own_thread,
            "reposts": self.reposts,
            "inbound": self.inbound,
            "questions": self.questions,
            "answered": self.answered,
            "missed": self.missed,
            "waiting": self.waiting,
            "oldest_waiting_at": moment(self.oldest_waiting_at),
            "oldest_unanswered_at": moment(self.oldest_unanswered_at),
            "response_ratio": self.response_ratio,
            "response_ratio_low": low(self.response_ratio_interval),
            "response_ratio_high": high(self.response_ratio_interval),
            "question_response_ratio": self.question_response_ratio,
            "question_response_ratio_low": low(self.question_response_ratio_interval),
            "question_response_ratio_high": high(self.question_response_ratio_interval),
            "response_time_median_s": seconds(self.response_time.median),
            "response_time_p90_s": seconds(self.response_time.p90),
            "business_response_time_median_s": seconds(self.business_response_time.median),
            "business_response_time_p90_s": seconds(self.business_response_time.p90),
            "within_target_ratio": self.within_target_ratio,
            "dialogue_share": self.dialogue_share,
            "interactions_per_post": self.interactions_per_post,
            "followers": self.followers,
            "engagement_rate": self.engagement_rate,
            "self_likes": self.self_likes,
            "liked_not_answered": self.liked_not_answered,
            "removed_inbound": self.removed_inbound,
            "acknowledgments": self.acknowledgments,
            "customer_conversation": self.customer_conversation,
            "answering_replies": self.answering_replies,
            "redirect_replies": self.redirect_replies,
            "template_replies": self.template_replies,
            "redirect_share": self.redirect_share,
            "template_share": self.template_share,
            "substantive_ratio": self.substantive_ratio,
            "uncovered_share": self.uncovered_share,
            "verdict": str(self.verdict.verdict),
            "verdict_qualifier": "mostly_redirects_and_templates"
            if self.verdict.quality.hollow
            else None,
            "verdict_window": self.verdict.window.label,
            "verdict_widened": self.verdict.widened,
            "answer_window_s": self.settings.answer_window.total_seconds(),
            "response_target_s": self.settings.response_target.total_seconds(),
            "business_hours": self.settings.business_hours or "24/7",
        }


@dataclass(frozen=True)
class WeekPoint:
    """One week of a trend, read from the stored rollups."""

    period: Period
    posts: int
    own_replies: int
    inbound: int
    questions: int
    answered: int
    missed: int
    waiting: int
    response_ratio: float | None
    response_ratio_interval: Interval | None
    response_time: ResponseTimes
    business_response_time: ResponseTimes
    within_target_ratio: float | None
    dialogue_share: float | None
    verdict: Verdict
    verdict_weeks: int  # 1, or the widened window's length in weeks

    @property
    def settled(self) -> int:
        return self.answered + self.missed


@dataclass(frozen=True)
class Comparison:
    """A period against the one before (e.g. this week's email against last week)."""

    current: Metrics
    previous: Metrics

    @property
    def verdict_changed(self) -> bool:
        return self.current.verdict.verdict != self.previous.verdict.verdict

    def change(self, name: str) -> float | None:
        """current - previous of a numeric metric; None when either side has no value."""
        now, before = getattr(self.current, name), getattr(self.previous, name)
        if isinstance(now, timedelta) or isinstance(before, timedelta):
            raise TypeError(f"{name} is a duration; compare response_time.median instead")
        if now is None or before is None:
            return None
        return float(now) - float(before)


@dataclass(frozen=True)
class Portfolio:
    """A consultant's clients side by side (a league table), each with its accounts."""

    clients: tuple[Metrics, ...]

    @property
    def inbound(self) -> int:
        return sum(client.inbound for client in self.clients)

    @property
    def answered(self) -> int:
        return sum(client.answered for client in self.clients)

    @property
    def missed(self) -> int:
        return sum(client.missed for client in self.clients)

    @property
    def waiting(self) -> int:
        return sum(client.waiting for client in self.clients)

    @property
    def response_ratio(self) -> float | None:
        settled = self.answered + self.missed
        return self.answered / settled if settled else None
