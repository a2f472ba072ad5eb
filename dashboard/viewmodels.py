"""The plain inputs of the dashboard's figures and tables.

The metrics package computes the numbers; whoever wires it to the dashboard fills these
dataclasses and passes them to ``dashboard.figures``. They hold nothing but numbers,
labels and ids, so a figure function can be tested without a database.

Conventions:
- ratios are fractions in [0, 1] (0.87, not 87); ``None`` means "nothing to divide";
- durations are minutes (float);
- weeks are ISO week strings ``YYYY-Www`` and lists are oldest first;
- hour-of-week grids are 7 rows (Monday first) of 24 hours, in the client's local time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from metrics.labels import Verdict

WEEKDAYS = 7
HOURS = 24


def _check_ratio(name: str, value: float | None) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a fraction from 0 to 1, got {value!r}")


@dataclass(frozen=True)
class RatioWeek:
    """One week of a ratio (response ratio, question response ratio, dialogue share)."""

    iso_week: str
    ratio: float | None  # None when nothing was settled (or posted) that week
    low: float | None = None  # 95 % interval (Wilson) when the metric has one
    high: float | None = None
    denominator: int = 0  # what the ratio is out of (settled items, posts + replies)

    def __post_init__(self) -> None:
        for name in ("ratio", "low", "high"):
            _check_ratio(name, getattr(self, name))
        if (self.low is None) != (self.high is None):
            raise ValueError("an interval needs both low and high")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("interval low is above high")


@dataclass(frozen=True)
class DurationWeek:
    """One week of first response times of answered items."""

    iso_week: str
    median_minutes: float | None
    p90_minutes: float | None = None
    answered: int = 0


@dataclass(frozen=True)
class PostsRepliesWeek:
    """Broadcast against dialogue: own posts and own replies written in one week."""

    iso_week: str
    posts: int
    own_replies: int


def _grid(rows: tuple[tuple[int, ...], ...], name: str) -> None:
    if len(rows) != WEEKDAYS or any(len(row) != HOURS for row in rows):
        raise ValueError(f"{name} must be 7 rows (Monday first) of 24 hours")


@dataclass(frozen=True)
class HourOfWeek:
    """Inbound items and own replies by hour of the week, in the client's local time."""

    inbound: tuple[tuple[int, ...], ...]
    own_replies: tuple[tuple[int, ...], ...]
    # (weekday 0=Monday, hour) in which the own side never replies (from metrics "coverage")
    uncovered: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    # (weekday, hour) outside business hours; empty when the client has none (24/7)
    closed: frozenset[tuple[int, int]] = field(default_factory=frozenset)
    # The window the uncovered hours were judged over (the period, widened to 8 weeks),
    # and how many own replies it holds: an empty chart says which emptiness it shows.
    reference_weeks: int = 8
    reference_replies: int = 0

    def __post_init__(self) -> None:
        _grid(self.inbound, "inbound")
        _grid(self.own_replies, "own_replies")
        for weekday, hour in self.uncovered | self.closed:
            if not (0 <= weekday < WEEKDAYS and 0 <= hour < HOURS):
                raise ValueError(f"hour of week ({weekday}, {hour}) is out of range")


@dataclass(frozen=True)
class LeagueRow:
    """One line of the portfolio's league table: a client, or one account of it."""

    client_id: int
    client_name: str
    account_id: int | None  # None: the client as a whole
    account_label: str | None  # "x @baeckereihuber"
    verdict: Verdict | None
    response_ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    response_time_median_minutes: float | None
    dialogue_share: float | None
    waiting: int | None
    # response ratio now minus the previous period's, as a fraction (0.05 = +5 points)
    ratio_change: float | None
    # the verdict's window in weeks: more than 1 when a thin period was widened
    verdict_weeks: int = 1
    # inbound items answered by a reply that says something, of the settled ones; the
    # answers that redirect or repeat a pasted text; "mostly redirects and templates"
    substantive_ratio: float | None = None
    redirect_share: float | None = None
    template_share: float | None = None
    hollow: bool = False

    def __post_init__(self) -> None:
        for name in (
            "response_ratio",
            "ratio_low",
            "ratio_high",
            "dialogue_share",
            "substantive_ratio",
            "redirect_share",
            "template_share",
        ):
            _check_ratio(name, getattr(self, name))
        if self.ratio_change is not None and not -1.0 <= self.ratio_change <= 1.0:
            raise ValueError("ratio_change must be between -1 and 1")


@dataclass(frozen=True)
class CollectionDay:
    """What collection did on one local day of an account (from stored collection runs)."""

    day: date
    runs: int
    failed_runs: int
    items_new: int


@dataclass(frozen=True)
class ListedItem:
    """A customer message (or an own item) as the lists show it."""

    item_id: int
    account_id: int
    account_label: str  # "X @baeckereihuber"
    author_handle: str | None
    text: str
    permalink: str | None
    created_at: datetime  # UTC
    age_minutes: float  # at the moment the list was made
    is_question: bool | None
    liked_by_own: bool
    settles_at: datetime | None = None  # waiting items: when they count as missed
    removed_at: datetime | None = None
    removed_reason: str | None = None
    purge_reason: str | None = None  # text removed for privacy (metrics.labels.shown_text)


@dataclass(frozen=True)
class SelfLikeRow:
    """A like by the own side on an own item."""

    liker_handle: str | None
    liked_at: datetime | None
    item: ListedItem


@dataclass(frozen=True)
class RepeatedReplyView:
    """A text the own side sent again and again: how often, and the latest send."""

    count: int
    latest: ListedItem


@dataclass(frozen=True)
class VerdictView:
    """The verdict in words, with the counts of the window it was judged on."""

    verdict: Verdict
    name: str
    explanation: str
    window_text: str | None  # "over the last 5 weeks" when the period was widened
    evidence: str  # the counts behind it in one sentence (metrics.evidence)
    window_start: date
    window_end: date  # last day, included
    posts: int
    own_replies: int
    inbound: int
    answered: int
    missed: int
    settled: int
    response_ratio: float | None
    business_median_minutes: float | None
    target_minutes: float
    min_settled: int
    interactions_per_post: float | None
    self_likes: int
    unanswered: tuple[ListedItem, ...]  # oldest first, at most a few
    unanswered_total: int
    # the answers' quality over the same window; ``qualifier`` is "mostly redirects and
    # templates" (in the page's language) when it applies, with its evidence
    answering: int = 0
    redirects: int = 0
    templates: int = 0
    qualifier: str | None = None
    repeated: tuple[RepeatedReplyView, ...] = ()
    redirect_examples: tuple[ListedItem, ...] = ()


@dataclass(frozen=True)
class KeyFigures:
    """The period's figures of a client or an account, with the previous period's."""

    posts: int
    own_replies: int
    inbound: int
    questions: int
    answered: int
    missed: int
    waiting: int
    response_ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    question_response_ratio: float | None
    median_minutes: float | None
    p90_minutes: float | None
    business_median_minutes: float | None
    target_minutes: float
    within_target_ratio: float | None
    dialogue_share: float | None
    interactions_per_post: float | None
    engagement_rate: float | None
    followers: int | None
    self_likes: int
    liked_not_answered: int
    removed_inbound: int
    uncovered_share: float | None
    oldest_waiting_minutes: float | None
    business_hours: str | None  # None: around the clock
    # the previous period (same length, just before)
    previous_response_ratio: float | None
    previous_median_minutes: float | None
    previous_dialogue_share: float | None
    ratio_change: float | None  # fraction: 0.05 = +5 points
    dialogue_change: float | None
    # what the answers say (docs/metrics.md, "Answer quality"), and what needs none
    answering_replies: int = 0
    redirect_share: float | None = None
    template_share: float | None = None
    substantive_ratio: float | None = None
    acknowledgments: int = 0
    customer_conversation: int = 0

    def __post_init__(self) -> None:
        for name in (
            "redirect_share",
            "template_share",
            "substantive_ratio",
            "response_ratio",
            "ratio_low",
            "ratio_high",
            "question_response_ratio",
            "within_target_ratio",
            "dialogue_share",
            "uncovered_share",
            "previous_response_ratio",
            "previous_dialogue_share",
        ):
            _check_ratio(name, getattr(self, name))
