"""A small, obviously correct reference implementation of docs/metrics.md.

It works on plain in-memory records with loops and no cleverness, so that it can be read
against the definitions line by line. The SQL path in ``metrics`` must agree with it on
generated threads (tests/test_metrics_properties.py). Speed does not matter here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from metrics.schedule import parse_schedule

MINUTE = timedelta(minutes=1)


def business_seconds(
    start: datetime,
    end: datetime,
    business_hours: str | None,
    time_zone: str,
    holiday_region: str | None = None,
) -> float:
    """Open time inside [start, end], by walking the UTC minutes one by one.

    Schedules, daylight-saving switches and holidays all change on whole minutes, so a
    minute is either open or closed as a whole: it is open when its local wall-clock time
    falls in one of the day's ranges and its local date is not a holiday.
    """
    if end <= start:
        return 0.0
    schedule = parse_schedule(business_hours)
    if schedule.always_open:
        return (end - start).total_seconds()
    import holidays

    calendar = None
    if holiday_region:
        country, _, subdivision = holiday_region.partition("-")
        calendar = holidays.country_holidays(country, subdiv=subdivision or None)
    tz = ZoneInfo(time_zone)
    minute = start.astimezone(UTC).replace(second=0, microsecond=0)
    total = 0.0
    while minute < end:
        local = minute.astimezone(tz)
        of_day = local.hour * 60 + local.minute
        is_open = any(a <= of_day < b for a, b in schedule.days[local.weekday()])
        if is_open and not (calendar is not None and local.date() in calendar):
            overlap = min(minute + MINUTE, end) - max(minute, start)
            total += max(overlap.total_seconds(), 0.0)
        minute += MINUTE
    return total


# --- the metrics, over plain records -------------------------------------------------------

from dataclasses import dataclass, field  # noqa: E402

from metrics.labels import Verdict  # noqa: E402
from metrics.questions import is_question  # noqa: E402

FLAT = ("facebook", "instagram")


@dataclass
class Item:
    platform: str
    id: str
    account: int
    client: int
    author: str | None
    is_own: bool
    kind: str
    created_at: datetime
    parent: str | None = None
    root: str | None = None
    mentions: bool = False
    text: str = ""
    like_count: int = 0
    repost_count: int = 0
    removed: bool = False


@dataclass
class Like:
    platform: str
    item: str
    is_own: bool


@dataclass
class Settings:
    time_zone: str = "UTC"
    business_hours: str | None = None
    holiday_region: str | None = None
    answer_window: timedelta = timedelta(hours=72)
    response_target: timedelta = timedelta(hours=4)
    min_settled: int = 5
    responsive_ratio: float = 0.90
    partly_responsive_ratio: float = 0.65
    no_conversation_min_posts: int = 3
    widen_max_weeks: int = 8


@dataclass
class Outcome:
    """What the reference says about one subject and period."""

    posts: int = 0
    own_replies: int = 0
    own_thread: int = 0
    reposts: int = 0
    inbound: int = 0
    questions: int = 0
    answered: int = 0
    missed: int = 0
    waiting: int = 0
    answered_questions: int = 0
    missed_questions: int = 0
    within_target: int = 0
    interactions: int = 0
    self_likes: int = 0
    liked_not_answered: int = 0
    removed_inbound: int = 0
    response_times: list[float] = field(default_factory=list)  # seconds, answered items
    business_times: list[float] = field(default_factory=list)
    inbound_hours: list[int] = field(default_factory=list)  # local hour of week per item
    reply_hours: list[int] = field(default_factory=list)

    @property
    def settled(self) -> int:
        return self.answered + self.missed


def nearest_rank(values: list[float], percent: int) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    for rank in range(1, len(ordered) + 1):
        if rank * 100 >= percent * len(ordered):  # the smallest rank with rank/n >= p
            return ordered[rank - 1]
    return ordered[-1]


class World:
    """Items and likes of several clients, with their settings, and the rules over them."""

    def __init__(self, items: list[Item], likes: list[Like], settings: dict[int, Settings]):
        self.items = items
        self.likes = likes
        self.settings = settings
        self.by_key = {(i.platform, i.id): i for i in items}

    # structure

    def thread(self, item: Item) -> str:
        return item.root if item.root is not None else item.id

    def parent(self, item: Item) -> Item | None:
        return self.by_key.get((item.platform, item.parent)) if item.parent else None

    def root(self, item: Item) -> Item | None:
        if item.root is None or item.root == item.id:
            return None
        return self.by_key.get((item.platform, item.root))

    def own_for(self, other: Item | None, client: int) -> bool:
        return other is not None and other.is_own and other.client == client

    def top(self, item: Item) -> str | None:
        """The top-level comment an item on a flat platform sits under (itself if it is one)."""
        if item.platform not in FLAT or item.parent is None:
            return None
        return item.id if item.parent == self.thread(item) else item.parent

    def role(self, item: Item) -> str:
        parent_own = self.own_for(self.parent(item), item.client)
        if item.kind == "repost":
            return "own_repost" if item.is_own else "other"
        if item.is_own:
            if item.parent is None:
                return "post"
            return "own_thread" if parent_own else "own_reply"
        if (
            item.mentions
            or item.kind == "visitor_post"
            or parent_own
            or self.own_for(self.root(item), item.client)
        ):
            return "inbound"
        return "other"

    def own_likes(self, item: Item) -> int:
        return sum(
            1
            for like in self.likes
            if like.is_own and (like.platform, like.item) == (item.platform, item.id)
        )

    # answering

    def first_answer(self, x: Item) -> datetime | None:
        window = self.settings[x.client].answer_window
        found = []
        for r in self.items:
            if r.platform != x.platform or self.role(r) not in ("own_reply", "own_thread"):
                continue
            if r.client != x.client or not (x.created_at <= r.created_at <= x.created_at + window):
                continue
            if r.parent == x.id:  # rule 1: a direct reply
                found.append(r.created_at)
                continue
            replied_to = self.parent(r)
            if (  # rule 2: a reply to a later message of the same author in the same thread
                replied_to is not None
                and replied_to is not x
                and x.author is not None
                and replied_to.author == x.author
                and not replied_to.is_own
                and self.thread(replied_to) == self.thread(x)
                and replied_to.created_at >= x.created_at
            ):
                found.append(r.created_at)
                continue
            if (  # rule 3: after x under the same top-level comment of a flat thread
                self.top(x) is not None
                and self.top(r) == self.top(x)
                and self.thread(r) == self.thread(x)
                and r.created_at > x.created_at
            ):
                found.append(r.created_at)
        return min(found) if found else None

    # figures of a period

    def outcome(
        self, accounts: set[int], client: int, first: datetime, after: datetime, now: datetime
    ) -> Outcome:
        settings = self.settings[client]
        tz = ZoneInfo(settings.time_zone)
        result = Outcome()
        for item in self.items:
            if item.account not in accounts or not (first <= item.created_at < after):
                continue
            role = self.role(item)
            local = item.created_at.astimezone(tz)
            hour = local.weekday() * 24 + local.hour
            if role == "post":
                result.posts += 1
                result.interactions += (
                    sum(
                        1
                        for other in self.items
                        if other.platform == item.platform
                        and self.thread(other) == item.id
                        and other.client == item.client
                        and self.role(other) == "inbound"
                    )
                    + max(item.like_count - self.own_likes(item), 0)
                    + item.repost_count
                )
            elif role == "own_reply":
                result.own_replies += 1
                result.reply_hours.append(hour)
            elif role == "own_thread":
                result.own_thread += 1
            elif role == "own_repost":
                result.reposts += 1
            if role in ("post", "own_reply", "own_thread", "own_repost"):
                result.self_likes += self.own_likes(item)
            if role != "inbound":
                continue
            result.inbound += 1
            result.inbound_hours.append(hour)
            question = is_question(item.text)
            result.questions += question
            result.removed_inbound += item.removed
            answer = self.first_answer(item)
            if answer is not None:
                result.answered += 1
                result.answered_questions += question
                result.response_times.append((answer - item.created_at).total_seconds())
                business = business_seconds(
                    item.created_at,
                    answer,
                    settings.business_hours,
                    settings.time_zone,
                    settings.holiday_region,
                )
                result.business_times.append(business)
                result.within_target += business <= settings.response_target.total_seconds()
            elif item.created_at + settings.answer_window > now:
                result.waiting += 1
            else:
                result.missed += 1
                result.missed_questions += question
                liked = any(
                    like.is_own and (like.platform, like.item) == (item.platform, item.id)
                    for like in self.likes
                )
                result.liked_not_answered += liked
        return result

    def verdict(
        self, accounts: set[int], client: int, first_day, after_day, now: datetime
    ) -> tuple[Verdict, int]:
        """The verdict and the number of extra weeks its window was widened by."""
        settings = self.settings[client]
        tz = ZoneInfo(settings.time_zone)

        def bounds(day):
            return datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)

        days = (after_day - first_day).days
        allowed = max(0, (settings.widen_max_weeks * 7 - days) // 7)  # window <= max weeks
        extra = 0
        while True:
            start = first_day - timedelta(weeks=extra)
            outcome = self.outcome(accounts, client, bounds(start), bounds(after_day), now)
            if outcome.settled >= settings.min_settled or extra >= allowed:
                break
            extra += 1
        median = nearest_rank(outcome.business_times, 50)
        if outcome.posts >= settings.no_conversation_min_posts and outcome.inbound == 0:
            return Verdict.NO_CONVERSATION, extra
        if outcome.settled < settings.min_settled:
            return Verdict.INSUFFICIENT_DATA, extra
        if outcome.posts >= 1 and outcome.own_replies == 0 and outcome.missed > 0:
            return Verdict.BROADCAST_ONLY, extra
        ratio = outcome.answered / outcome.settled
        if ratio >= settings.responsive_ratio and (
            median is not None and median <= settings.response_target.total_seconds()
        ):
            return Verdict.RESPONSIVE, extra
        if ratio >= settings.partly_responsive_ratio:
            return Verdict.PARTLY_RESPONSIVE, extra
        return Verdict.UNRESPONSIVE, extra
