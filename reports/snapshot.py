"""What a weekly email shows: a view model, filled from metrics, read by the renderer.

The builder (from the metrics of a client and week) makes these; the renderer turns
them into HTML, plain text and a chart without asking anything further. All counts are
the METRICS.md numbers for the past ISO week in the client's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from metrics.labels import LANGUAGES, Verdict
from metrics.periods import Period

TOP_UNANSWERED = 5  # items listed per client, oldest first


class SnapshotKind(StrEnum):
    OWNER = "owner"  # one client, for an owner granted it
    DIGEST = "digest"  # every client, for a consultant


class VerdictChange(StrEnum):
    NEW = "new"  # no verdict last week
    SAME = "same"
    BETTER = "better"
    WORSE = "worse"
    CHANGED = "changed"  # to or from a verdict that is not better or worse (too little data)


# The verdicts that grade answering, worst first; the other two say there is nothing to grade.
_GRADED = (
    Verdict.BROADCAST_ONLY,
    Verdict.UNRESPONSIVE,
    Verdict.PARTLY_RESPONSIVE,
    Verdict.RESPONSIVE,
)


def verdict_change(current: Verdict, previous: Verdict | None) -> VerdictChange:
    if previous is None:
        return VerdictChange.NEW
    if current == previous:
        return VerdictChange.SAME
    if current in _GRADED and previous in _GRADED:
        better = _GRADED.index(current) > _GRADED.index(previous)
        return VerdictChange.BETTER if better else VerdictChange.WORSE
    return VerdictChange.CHANGED


@dataclass(frozen=True)
class Summary:
    """The plain-language first line: "12 customers wrote, 3 got an answer; …"."""

    inbound: int  # customer messages of the week
    answered: int
    waiting: int  # still inside the answer window
    missed: int  # answer window passed without an answer
    # Age, when the email was made, of the oldest unanswered customer message (None: none).
    oldest_unanswered_age: timedelta | None = None

    def __post_init__(self) -> None:
        if min(self.inbound, self.answered, self.waiting, self.missed) < 0:
            raise ValueError("summary counts cannot be negative")
        if self.answered + self.waiting + self.missed > self.inbound:
            raise ValueError(
                f"answered ({self.answered}) + waiting ({self.waiting}) + missed "
                f"({self.missed}) exceed the customer messages ({self.inbound})"
            )

    @property
    def unanswered(self) -> int:
        return self.waiting + self.missed

    @staticmethod
    def combine(summaries: list[Summary]) -> Summary:
        ages = [s.oldest_unanswered_age for s in summaries if s.oldest_unanswered_age]
        return Summary(
            inbound=sum(s.inbound for s in summaries),
            answered=sum(s.answered for s in summaries),
            waiting=sum(s.waiting for s in summaries),
            missed=sum(s.missed for s in summaries),
            oldest_unanswered_age=max(ages) if ages else None,
        )


@dataclass(frozen=True)
class AccountVerdict:
    platform: str  # storage.models.Platform value
    handle: str
    verdict: Verdict
    previous_verdict: Verdict | None = None
    response_ratio: float | None = None  # 0..1; None when nothing was settled
    previous_response_ratio: float | None = None
    # Weeks the verdict looked back over (more than 1 when a thin week was widened).
    weeks_considered: int = 1
    # What the answers say over the same window (docs/metrics.md, "Answer quality"):
    # answering replies, how many sent the customer elsewhere or repeated a pasted text,
    # "mostly redirects and templates", and the reply sent most often (text, times).
    answers: int = 0
    redirects: int = 0
    templates: int = 0
    hollow: bool = False
    most_repeated: tuple[str, int] | None = None
    substantive_ratio: float | None = None  # of the week's settled customer messages

    @property
    def change(self) -> VerdictChange:
        return verdict_change(self.verdict, self.previous_verdict)


@dataclass(frozen=True)
class UnansweredItem:
    platform: str
    account_handle: str
    author_handle: str | None
    text: str  # as the customer wrote it; the renderer escapes and shortens it
    created_at: datetime
    permalink: str | None
    purge_reason: str | None = None  # text removed for privacy (metrics.labels.shown_text)


@dataclass(frozen=True)
class Renewal:
    """An account whose access must be renewed: ``standing`` is storage.renewal's
    (renew_soon with ``ends`` 14 days ahead, expired, revoked, no_permission,
    needs_renewal); ``reconnect_url`` is the dashboard's Connect page for it."""

    platform: str
    handle: str
    standing: str
    ends: datetime | None = None
    reconnect_url: str | None = None


@dataclass(frozen=True)
class WeekPoint:
    week: Period  # an ISO week
    inbound: int
    answered: int


@dataclass(frozen=True)
class ClientSnapshot:
    client_name: str
    time_zone: str
    summary: Summary
    accounts: tuple[AccountVerdict, ...] = ()
    unanswered: tuple[UnansweredItem, ...] = ()  # oldest first
    series: tuple[WeekPoint, ...] = ()  # oldest week first, ending with the email's week
    dashboard_url: str | None = None
    # How many messages are without an answer in all, when ``unanswered`` lists only the
    # oldest few (None: the list is complete).
    unanswered_total: int | None = None
    renewals: tuple[Renewal, ...] = ()  # accounts whose access must be renewed

    def __post_init__(self) -> None:
        if self.unanswered_total is not None and self.unanswered_total < len(self.unanswered):
            raise ValueError(
                f"unanswered_total ({self.unanswered_total}) is less than the "
                f"{len(self.unanswered)} unanswered items listed"
            )

    def more_unanswered(self, shown: int) -> int:
        """How many unanswered messages are not listed when ``shown`` of them are."""
        total = len(self.unanswered) if self.unanswered_total is None else self.unanswered_total
        return max(total - min(shown, len(self.unanswered)), 0)


@dataclass(frozen=True)
class Snapshot:
    kind: SnapshotKind
    language: str  # "en" or "de"
    recipient_email: str
    week: Period  # an ISO week
    generated_at: datetime
    clients: tuple[ClientSnapshot, ...]
    recipient_name: str | None = None
    dashboard_url: str | None = None

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"language {self.language!r}; expected one of {LANGUAGES}")
        if self.generated_at.tzinfo is None:
            raise ValueError("generated_at must be timezone-aware")
        if self.kind == SnapshotKind.OWNER and len(self.clients) != 1:
            raise ValueError("an owner's snapshot covers exactly one client")

    @property
    def summary(self) -> Summary:
        return Summary.combine([client.summary for client in self.clients])

    @property
    def series(self) -> tuple[WeekPoint, ...]:
        """The weekly series of all clients added up, week by week."""
        totals: dict[Period, tuple[int, int]] = {}
        for client in self.clients:
            for point in client.series:
                inbound, answered = totals.get(point.week, (0, 0))
                totals[point.week] = (inbound + point.inbound, answered + point.answered)
        return tuple(WeekPoint(week, *totals[week]) for week in sorted(totals))
