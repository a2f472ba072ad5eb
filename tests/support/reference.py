"""A small, obviously correct reference implementation of docs/metrics.md.

It works on plain in-memory records with loops and no cleverness, so that it can be read
against the definitions line by line. The SQL path in ``metrics`` must agree with it on
generated threads (tests/test_metrics_properties.py). Speed does not matter here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
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
    falls in one of the day's ranges and its local date is not a holiday. In the hour the
    autumn switch repeats, a shop opens and closes once, at the first time its clock shows
    the opening and the closing: a minute of the second pass is open when it lies between
    those two instants (open 01:30-03:30 stays open through the repeated hour; open
    00:00-01:30 does not open again when the clock shows 01:00 once more).
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
        ranges = schedule.days[local.weekday()]
        if local.fold:
            is_open = any(
                _first(local.date(), a, tz) <= minute < _first(local.date(), b, tz)
                for a, b in ranges
            )
        else:
            is_open = any(a <= of_day < b for a, b in ranges)
        if is_open and not (calendar is not None and local.date() in calendar):
            overlap = min(minute + MINUTE, end) - max(minute, start)
            total += max(overlap.total_seconds(), 0.0)
        minute += MINUTE
    return total


def _first(day: date, minute_of_day: int, tz: ZoneInfo) -> datetime:
    """The first instant the local clock shows ``minute_of_day`` on ``day`` (1440: the
    next midnight), in UTC."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
    if minute_of_day >= 1440:
        following = day + timedelta(days=1)
        return datetime(following.year, following.month, following.day, tzinfo=tz).astimezone(UTC)
    hour, minute = divmod(minute_of_day, 60)
    return midnight.replace(hour=hour, minute=minute, fold=0).astimezone(UTC)


# --- the metrics, over plain records -------------------------------------------------------

import math  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from statistics import NormalDist  # noqa: E402

from metrics.acknowledgments import is_acknowledgment_text  # noqa: E402
from metrics.labels import Verdict  # noqa: E402
from metrics.questions import is_question  # noqa: E402
from metrics.replies import is_redirect, reply_key  # noqa: E402

TEMPLATE_WINDOW = timedelta(days=28)
OWN_ANSWERS = ("own_reply", "own_thread")


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
    # where the account is mentioned: "text", "prefix", "leading", or None (see
    # storage.models.Item.mention_place)
    mention_place: str | None = None
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
class Followers:
    """A follower count of one account, taken at one moment."""

    account: int
    taken_at: datetime
    count: int


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
    acknowledgments: int = 0
    customer_conversation: int = 0
    answering_replies: int = 0
    redirect_replies: int = 0
    template_replies: int = 0  # templates that are not redirects
    substantive_answered: int = 0
    # answering replies of the period: (created_at, normalised text key, item)
    answering: list[tuple[datetime, int | None, Item]] = field(default_factory=list)
    response_times: list[float] = field(default_factory=list)  # seconds, answered items
    business_times: list[float] = field(default_factory=list)
    # missed items as (created_at, position in World.items, item); sorting puts the oldest first
    missed_items: list[tuple[datetime, int, Item]] = field(default_factory=list)
    waiting_since: list[datetime] = field(default_factory=list)  # created_at of waiting items

    @property
    def settled(self) -> int:
        return self.answered + self.missed

    @property
    def oldest_waiting(self) -> datetime | None:
        return min(self.waiting_since, default=None)

    @property
    def oldest_unanswered(self) -> datetime | None:
        """Created first among the items answered neither in time nor yet."""
        return min([*self.waiting_since, *(m[0] for m in self.missed_items)], default=None)


@dataclass
class Judgement:
    """The reference verdict with the window it was evaluated on."""

    verdict: Verdict
    extra_weeks: int  # how many weeks the window was widened backwards
    window_start: date  # the window's first local day
    window: Outcome  # the figures of the window


def share(part: float, whole: float) -> float | None:
    """part / whole; None when there is nothing to divide."""
    return part / whole if whole else None


Z_95 = NormalDist().inv_cdf(0.975)  # two-sided 95 %


def wilson(successes: int, trials: int) -> tuple[float, float] | None:
    """The Wilson score interval, solved from its definition.

    It holds every proportion q for which the observed share p lies within z standard
    errors of q: (p - q)^2 <= z^2 q (1 - q) / n. That is the quadratic inequality
    (1 + z^2/n) q^2 - (2p + z^2/n) q + p^2 <= 0; its two roots are the bounds.
    """
    if trials == 0:
        return None
    p = successes / trials
    k = Z_95 * Z_95 / trials
    a, b, c = 1 + k, -(2 * p + k), p * p
    root = math.sqrt(b * b - 4 * a * c)
    return ((-b - root) / (2 * a), (-b + root) / (2 * a))


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

    def __init__(
        self,
        items: list[Item],
        likes: list[Like],
        settings: dict[int, Settings],
        followers: list[Followers] | None = None,
    ):
        self.items = items
        self.likes = likes
        self.settings = settings
        self.followers = followers or []
        self.by_key = {(i.platform, i.id): i for i in items}
        self._roles: dict[tuple[str, str], str] = {}

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
        """The top-level comment a comment on a flat thread sits under (itself if it is one).

        Flat threads are told by the stored kind: comments (Facebook, Instagram) are the
        items of flat threads, replies those of reply trees."""
        if item.kind != "comment" or item.parent is None:
            return None
        return item.id if item.parent == self.thread(item) else item.parent

    def author_key(self, item: Item) -> str | None:
        return item.author

    def customer(self, reply: Item) -> str | None:
        """Whom an own reply answers: its parent's author (the parent's id if unknown)."""
        parent = self.parent(reply)
        if parent is None:
            return f"item:{reply.parent}"
        return parent.author if parent.author is not None else f"item:{reply.parent}"

    def in_own_words(self, item: Item) -> bool:
        """Rule 2 of "Who is addressed": the account's handle in the author's own words."""
        if item.mention_place == "text":
            return True
        if item.mention_place is None:
            return item.mentions  # stored before the place was known: as version 1
        if item.mention_place == "leading":
            # Leading @handles repeat the participants of the message answered: the
            # account's own message, or one that mentioned the account too.
            parent = self.parent(item)
            if parent is None:
                return True
            repeated = self.own_for(parent, item.client) or (
                parent.mentions and parent.account == item.account
            )
            return not repeated
        return False  # only in the reply prefix the platform marks

    def addressed_directly(self, item: Item) -> bool:
        """Rules 1-3: a reply to an own item, own words, a top-level mention or visitor post."""
        return (
            self.own_for(self.parent(item), item.client)
            or item.kind in ("mention", "visitor_post")
            or self.in_own_words(item)
        )

    def structural_role(self, item: Item) -> str | None:
        """The role of own items and reposts; None for outsiders' items."""
        if item.kind == "repost":
            return "own_repost" if item.is_own else "other"
        if item.is_own:
            if item.parent is None:
                return "post"
            return "own_thread" if self.own_for(self.parent(item), item.client) else "own_reply"
        return None

    def own_answers_in_thread(self, item: Item) -> list[Item]:
        return [
            r
            for r in self.items
            if r.platform == item.platform
            and self.thread(r) == self.thread(item)
            and r.client == item.client
            and self.structural_role(r) in OWN_ANSWERS
        ]

    def follow_up(self, y: Item) -> bool:
        """Rule 4: the author wrote a directly addressed item earlier in the thread, and no
        own reply to the author came in between."""
        if y.author is None:
            return False
        for x in self.items:
            if (
                x is y
                or x.platform != y.platform
                or self.thread(x) != self.thread(y)
                or x.author != y.author
                or x.client != y.client
                or x.created_at > y.created_at
                or self.structural_role(x) is not None
                or not self.addressed_directly(x)
            ):
                continue
            answered_between = any(
                self.customer(r) == y.author and x.created_at <= r.created_at < y.created_at
                for r in self.own_answers_in_thread(y)
            )
            if not answered_between:
                return True
        return False

    def acknowledges(self, y: Item) -> bool:
        """Thanks-like text, no question, after an own reply to its author (on a flat
        thread: under the same top-level comment)."""
        if not is_acknowledgment_text(y.text) or is_question(y.text):
            return False
        return any(
            r.created_at < y.created_at
            and (
                self.customer(r) == y.author
                or (self.top(y) is not None and self.top(r) == self.top(y))
            )
            for r in self.own_answers_in_thread(y)
        )

    def role(self, item: Item) -> str:
        key = (item.platform, item.id)
        if key not in self._roles:
            self._roles[key] = self._role(item)
        return self._roles[key]

    def _role(self, item: Item) -> str:
        structural = self.structural_role(item)
        if structural is not None:
            return structural
        if not (self.addressed_directly(item) or self.follow_up(item)):
            return "conversation"
        return "acknowledgment" if self.acknowledges(item) else "inbound"

    def own_likes(self, item: Item) -> int:
        return sum(
            1
            for like in self.likes
            if like.is_own and (like.platform, like.item) == (item.platform, item.id)
        )

    # answering

    def covering(self, x: Item) -> list[Item]:
        """Every own reply that covers the inbound item ``x`` within its answer window."""
        window = self.settings[x.client].answer_window
        found = []
        for r in self.items:
            if r.platform != x.platform or self.role(r) not in OWN_ANSWERS:
                continue
            if r.client != x.client or not (x.created_at <= r.created_at <= x.created_at + window):
                continue
            if r.parent == x.id:  # rule 1: a direct reply
                found.append(r)
                continue
            replied_to = self.parent(r)
            if (  # rule 2: a reply to a later message of the same author in the same thread
                replied_to is not None
                and replied_to is not x
                and x.author is not None
                and replied_to.author == x.author
                and not replied_to.is_own
                # a reply to a thanks answers nothing (docs/metrics.md, deviation log)
                and self.role(replied_to) != "acknowledgment"
                and self.thread(replied_to) == self.thread(x)
                and replied_to.created_at >= x.created_at
            ):
                found.append(r)
                continue
            if (  # rule 3: after x under the same top-level comment of a flat thread
                self.top(x) is not None
                and self.top(r) == self.top(x)
                and self.thread(r) == self.thread(x)
                and r.created_at > x.created_at
            ):
                found.append(r)
        return found

    def first_answer(self, x: Item) -> datetime | None:
        found = [r.created_at for r in self.covering(x)]
        return min(found) if found else None

    # answer quality

    def answering(self, r: Item) -> bool:
        """An own reply that covers at least one inbound item."""
        if self.role(r) not in OWN_ANSWERS:
            return False
        return any(
            self.role(x) == "inbound" and r in self.covering(x)
            for x in self.items
            if x.platform == r.platform and self.thread(x) == self.thread(r)
        )

    def redirect(self, r: Item) -> bool:
        return is_redirect(r.text)

    def template(self, r: Item) -> bool:
        """The same normalised text to at least two other customers within 28 days."""
        key = reply_key(r.text)
        if self.role(r) != "own_reply" or key is None:
            return False
        customers = {
            self.customer(o)
            for o in self.items
            if self.role(o) == "own_reply"
            and o.client == r.client
            and reply_key(o.text) == key
            and abs(o.created_at - r.created_at) <= TEMPLATE_WINDOW
            and self.customer(o) != self.customer(r)
        }
        return len(customers) >= 2

    def substantive(self, x: Item) -> bool:
        """Covered by at least one reply that is neither a redirect nor a template."""
        return any(not self.redirect(r) and not self.template(r) for r in self.covering(x))

    # figures of a period

    def outcome(
        self, accounts: set[int], client: int, first: datetime, after: datetime, now: datetime
    ) -> Outcome:
        settings = self.settings[client]
        result = Outcome()
        for position, item in enumerate(self.items):
            if item.account not in accounts or not (first <= item.created_at < after):
                continue
            role = self.role(item)
            if role == "post":
                result.posts += 1
                result.interactions += (
                    sum(
                        1
                        for other in self.items
                        if other.platform == item.platform
                        and self.thread(other) == item.id
                        and other.client == item.client
                        and self.role(other) in ("inbound", "acknowledgment", "conversation")
                    )
                    + max(item.like_count - self.own_likes(item), 0)
                    + item.repost_count
                )
            elif role == "own_reply":
                result.own_replies += 1
            elif role == "own_thread":
                result.own_thread += 1
            elif role == "own_repost":
                result.reposts += 1
            if role in ("post", "own_reply", "own_thread", "own_repost"):
                result.self_likes += self.own_likes(item)
            if role in OWN_ANSWERS and self.answering(item):
                result.answering_replies += 1
                result.answering.append((item.created_at, reply_key(item.text), item))
                if self.redirect(item):
                    result.redirect_replies += 1
                elif self.template(item):
                    result.template_replies += 1
            result.acknowledgments += role == "acknowledgment"
            result.customer_conversation += role == "conversation"
            if role != "inbound":
                continue
            result.inbound += 1
            question = is_question(item.text)
            result.questions += question
            result.removed_inbound += item.removed
            answer = self.first_answer(item)
            if answer is not None:
                result.answered += 1
                result.substantive_answered += self.substantive(item)
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
                result.waiting_since.append(item.created_at)
            else:
                result.missed += 1
                result.missed_items.append((item.created_at, position, item))
                result.missed_questions += question
                liked = any(
                    like.is_own and (like.platform, like.item) == (item.platform, item.id)
                    for like in self.likes
                )
                result.liked_not_answered += liked
        return result

    def verdict(
        self, accounts: set[int], client: int, first_day, after_day, now: datetime
    ) -> Judgement:
        """The verdict, how many weeks its window was widened by, and the window's figures."""
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
        start = first_day - timedelta(weeks=extra)
        return Judgement(self._decide(outcome, settings), extra, start, outcome)

    def _decide(self, outcome: Outcome, settings: Settings) -> Verdict:
        median = nearest_rank(outcome.business_times, 50)
        if outcome.posts >= settings.no_conversation_min_posts and outcome.inbound == 0:
            return Verdict.NO_CONVERSATION
        if outcome.settled < settings.min_settled:
            return Verdict.INSUFFICIENT_DATA
        if outcome.posts >= 1 and outcome.own_replies == 0 and outcome.missed > 0:
            return Verdict.BROADCAST_ONLY
        ratio = outcome.answered / outcome.settled
        if ratio >= settings.responsive_ratio and (
            median is not None and median <= settings.response_target.total_seconds()
        ):
            return Verdict.RESPONSIVE
        if ratio >= settings.partly_responsive_ratio:
            return Verdict.PARTLY_RESPONSIVE
        return Verdict.UNRESPONSIVE

    # followers and hours

    def follower_count(self, accounts: set[int], end: datetime) -> tuple[int, datetime] | None:
        """The summed follower counts and the newest snapshot behind them, or None.

        Per account the snapshot taken last at or before ``end``, else the first after it;
        None unless every account has one.
        """
        chosen = []
        for account in sorted(accounts):
            snapshots = [s for s in self.followers if s.account == account]
            before = [s for s in snapshots if s.taken_at <= end]
            if before:
                chosen.append(max(before, key=lambda s: s.taken_at))
            elif snapshots:
                chosen.append(min(snapshots, key=lambda s: s.taken_at))
            else:
                return None
        return sum(s.count for s in chosen), max(s.taken_at for s in chosen)

    def coverage(
        self, accounts: set[int], client: int, first_day, after_day
    ) -> tuple[list[int], list[int], list[int]]:
        """Inbound items and own replies per local hour of week in the period, and own
        replies per hour over the reference window: the period widened backwards by whole
        weeks until it is at least 8 weeks (56 days) long."""
        tz = ZoneInfo(self.settings[client].time_zone)

        def bounds(day):
            return datetime.combine(day, datetime.min.time(), tzinfo=tz).astimezone(UTC)

        reference_day = first_day
        while (after_day - reference_day).days < 8 * 7:
            reference_day -= timedelta(weeks=1)
        inbound, own, reference_own = [0] * 168, [0] * 168, [0] * 168
        for item in self.items:
            if item.account not in accounts:
                continue
            role = self.role(item)
            local = item.created_at.astimezone(tz)
            hour = local.weekday() * 24 + local.hour
            if bounds(first_day) <= item.created_at < bounds(after_day):
                inbound[hour] += role == "inbound"
                own[hour] += role == "own_reply"
            if bounds(reference_day) <= item.created_at < bounds(after_day):
                reference_own[hour] += role == "own_reply"
        return inbound, own, reference_own
