"""Benchmark-sized activity as a stream of platform-neutral items and likes.

``stream_activity(StreamSpec(items=1_000_000))`` yields exactly ``items`` items (and the
likes they receive) over ``accounts`` managed accounts, either in time order across all
accounts or account after account, in memory that does not grow with ``items``: each
account generates one conversation (thread) at a time and keeps only the messages of its
threads that are still open; the time-ordered mode merges the accounts' streams.

Shapes follow what small businesses see: most posts get 0-3 comments, a few get dozens
or hundreds; customers write in bursts; accounts answer according to a profile (never,
on weekdays in business hours, around the clock, sporadically and late), sometimes from
agency staff identities; some answers are followed up, making threads several levels
deep (X, Mastodon, Bluesky) or long comment lists under one top-level comment (Facebook,
Instagram); mentions, visitor posts, reposts, self-likes, hidden comments.

Every field a storage row needs is on the records: :class:`StreamItem` carries the names
of replywatch's item record (``platform_item_id``, ``is_own``, ``parent_id`` ...) plus the
account index; :class:`StreamLike` likewise for likes. ``plan_stream`` describes the
accounts and clients (handles, ids, time zones, staff identities) to create first.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sandbox.generator import texts as t
from sandbox.generator.names import FIRST_NAMES, LAST_NAMES, ascii_name
from sandbox.world import FLAT_PLATFORMS

PLATFORM_MIX = (("x", 0.3), ("facebook", 0.25), ("instagram", 0.2), ("mastodon", 0.15))
PLATFORM_MIX += (("bluesky", 0.1),)
# Zones of the made-up businesses; local time uses the standard offset (no DST), which is
# close enough for the shape of a benchmark.
ZONES = (
    ("Europe/Berlin", 1, "de"),
    ("Europe/Vienna", 1, "de"),
    ("Europe/Zurich", 1, "de"),
    ("Europe/London", 0, "en"),
    ("America/New_York", -5, "en"),
    ("Australia/Sydney", 10, "en"),
)
BUSINESS_WORDS = ("baeckerei", "velo", "buchladen", "cafe", "salon", "hofladen", "bistro")
BUSINESS_WORDS += ("werkstatt", "blumen", "optik", "yoga", "pension")


@dataclass(frozen=True)
class Profile:
    """How an account deals with what customers write."""

    name: str
    share: float  # of all accounts
    answer_chance: float
    answer_median_minutes: float
    self_like_chance: float  # the account likes its own post
    staff_like_chance: float  # a staff identity likes the account's post
    office_hours_only: bool = False  # answers weekdays 9-18 local, later otherwise


PROFILES = (
    Profile("broadcast", 0.25, 0.0, 0.0, 0.5, 0.5),
    Profile("weekday", 0.30, 0.95, 40.0, 0.1, 0.1, office_hours_only=True),
    Profile("responsive", 0.25, 0.96, 15.0, 0.05, 0.05),
    Profile("sporadic", 0.20, 0.5, 8 * 60.0, 0.2, 0.1),
)


class StreamItem(NamedTuple):
    """One item, with the field names of replywatch's item record plus its account."""

    account: int  # index into StreamPlan.accounts
    platform: str
    platform_item_id: str
    author_id: str
    author_handle: str
    is_own: bool  # by the account itself or one of its staff identities
    kind: str  # post, reply, comment, mention, visitor_post, repost
    created_at: datetime  # UTC-aware
    text: str
    parent_id: str | None
    root_id: str
    mentions_account: bool
    like_count: int
    reply_count: int  # direct replies
    repost_count: int
    hidden: bool


class StreamLike(NamedTuple):
    """A like of an item, with the field names of replywatch's like record."""

    account: int
    platform: str
    item_platform_id: str
    liker_id: str
    liker_handle: str
    is_own: bool  # the account itself or a staff identity (a self-like)
    liked_at: datetime


@dataclass(frozen=True)
class StreamSpec:
    """What to generate. ``weeks=None`` spreads the items at a realistic weekly rate."""

    items: int
    accounts: int = 1000
    seed: int = 0
    end: datetime = datetime(2026, 11, 30, tzinfo=UTC)
    weeks: float | None = None
    weekly_items_per_account: float = 25.0

    def __post_init__(self) -> None:
        if self.items < 0 or self.accounts < 1:
            raise ValueError("items must be >= 0 and accounts >= 1")
        if self.end.tzinfo is None:
            raise ValueError("end must be time-zone-aware")
        if self.weeks is not None and self.weeks <= 0:
            raise ValueError("weeks must be positive")

    @property
    def span(self) -> timedelta:
        if self.weeks is not None:
            return timedelta(weeks=self.weeks)
        weeks = self.items / (self.accounts * self.weekly_items_per_account)
        return timedelta(weeks=max(1.0, weeks))

    @property
    def start(self) -> datetime:
        return self.end - self.span


@dataclass(frozen=True)
class StaffIdentity:
    actor_id: str
    handle: str  # canonical (as `replywatch identity add` stores it)


@dataclass(frozen=True)
class StreamAccount:
    index: int
    client: int  # index into StreamPlan.clients
    platform: str
    actor_id: str
    handle: str  # canonical (as `replywatch account add` stores it)
    author_handle: str  # as the platform shows the author of its items
    time_zone: str
    utc_offset_hours: int
    language: str
    profile: Profile
    staff: tuple[StaffIdentity, ...]
    followers: int
    budget: int  # items this account yields


@dataclass(frozen=True)
class StreamClient:
    index: int
    name: str
    time_zone: str
    business_hours: str
    accounts: tuple[int, ...]


@dataclass(frozen=True)
class StreamPlan:
    spec: StreamSpec
    clients: tuple[StreamClient, ...]
    accounts: tuple[StreamAccount, ...] = field(repr=False)


def plan_stream(spec: StreamSpec) -> StreamPlan:
    """The clients and accounts of a stream, and how many items each account yields."""
    rng = random.Random(f"{spec.seed}:plan")
    weights = [math.exp(rng.gauss(0, 1.0)) for _ in range(spec.accounts)]
    budgets = _apportion(spec.items, weights)
    clients: list[StreamClient] = []
    accounts: list[StreamAccount] = []
    index = 0
    while index < spec.accounts:
        size = min(rng.randint(1, 3), spec.accounts - index)
        zone, offset, language = rng.choice(ZONES)
        word = rng.choice(BUSINESS_WORDS)
        number = len(clients)
        members = tuple(range(index, index + size))
        clients.append(
            StreamClient(
                number, f"{word.capitalize()} {number:04d}", zone, "mon-fri 09:00-18:00", members
            )
        )
        platforms = rng.sample([p for p, _ in PLATFORM_MIX], size)
        if size == 1:
            platforms = rng.choices([p for p, _ in PLATFORM_MIX], [w for _, w in PLATFORM_MIX])
        for platform in platforms:
            profile = rng.choices(PROFILES, [p.share for p in PROFILES])[0]
            staff_count = rng.choice((0, 0, 1, 2)) if profile.name != "sporadic" else 0
            actor_id, handle, shown = _account_identity(platform, index, f"{word}{index:04d}")
            staff = tuple(
                StaffIdentity(*_staff_identity(platform, index, number))
                for number in range(staff_count)
            )
            accounts.append(
                StreamAccount(
                    index=index,
                    client=number,
                    platform=platform,
                    actor_id=actor_id,
                    handle=handle,
                    author_handle=shown,
                    time_zone=zone,
                    utc_offset_hours=offset,
                    language=language,
                    profile=profile,
                    staff=staff,
                    followers=int(50 * math.exp(rng.gauss(2.5, 1.3))),
                    budget=budgets[index],
                )
            )
            index += 1
    return StreamPlan(spec, tuple(clients), tuple(accounts))


def stream_activity(
    spec: StreamSpec | StreamPlan, order: str = "time"
) -> Iterator[StreamItem | StreamLike]:
    """Items and likes of the plan: ``order="time"`` across all accounts (likes at their
    time, after the item they like), or ``order="account"`` one account after another
    (each in time order)."""
    plan = spec if isinstance(spec, StreamPlan) else plan_stream(spec)
    pools = _TextPools(plan.spec.seed)
    streams = [_AccountStream(plan, account, pools).events() for account in plan.accounts]
    if order == "time":
        for event in heapq.merge(*streams):
            if event[3] is not None:
                yield event[3]
    elif order == "account":
        for events in streams:
            for event in events:
                if event[3] is not None:
                    yield event[3]
    else:
        raise ValueError(f"order must be 'time' or 'account', not {order!r}")


def _apportion(total: int, weights: list[float]) -> list[int]:
    """Whole shares of ``total`` in proportion to ``weights``; every share >= 1 if possible."""
    floor = 1 if total >= len(weights) else 0
    rest = total - floor * len(weights)
    whole = sum(weights)
    exact = [rest * w / whole for w in weights]
    shares = [floor + int(x) for x in exact]
    missing = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda i: (int(exact[i]) - exact[i], i))
    for i in by_remainder[:missing]:
        shares[i] += 1
    return shares


# --- ids and handles ----------------------------------------------------------------------

_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_TID = "234567abcdefghijklmnopqrstuvwxyz"


def _base32(number: int, width: int, alphabet: str = _BASE32) -> str:
    chars = []
    for _ in range(width):
        chars.append(alphabet[number & 31])
        number >>= 5
    return "".join(reversed(chars))


def _did(kind: int, number: int) -> str:
    return "did:plc:" + _base32((kind << 100) | number, 24)


def _account_identity(platform: str, index: int, name: str) -> tuple[str, str, str]:
    """(actor id, canonical handle, handle as shown on items) of managed account ``index``."""
    if platform == "x":
        return str(1_500_000_000_000_000_000 + index), f"@{name}", name
    if platform == "facebook":
        return str(100_000_000_000_000 + index), name, name
    if platform == "instagram":
        return str(17_841_400_000_000_000 + index), f"@{name}", name
    if platform == "mastodon":
        return str(109_000_000_000_000_000 + index), f"@{name}@mastodon.social", name
    handle = f"{name}.bsky.social"
    return _did(1, index), handle, handle


def _staff_identity(platform: str, index: int, number: int) -> tuple[str, str]:
    name = f"staff{index:04d}{'ab'[number]}"
    if platform == "x":
        return str(1_600_000_000_000_000_000 + index * 10 + number), f"@{name}"
    if platform == "facebook":
        return str(3_000_000_000_000_000 + index * 10 + number), f"{name}.agency"
    if platform == "instagram":
        return str(17_841_490_000_000_000 + index * 10 + number), f"@{name}"
    if platform == "mastodon":
        return str(108_000_000_000_000_000 + index * 10 + number), f"@{name}@mastodon.social"
    return _did(2, index * 10 + number), f"{name}.bsky.social"


def _customer_id(platform: str, account: int, number: int) -> str:
    if platform == "x":
        return str(100_000_000_000_000_000 + account * 10_000_000 + number)
    if platform == "facebook":
        return str(1_000_000_000_000_000 + account * 10_000_000 + number)
    if platform == "instagram":
        return str(17_841_500_000_000_000 + account * 10_000_000 + number)
    if platform == "mastodon":
        return str(110_000_000_000_000_000 + account * 10_000_000 + number)
    return _did(3, account * 10_000_000 + number)


_ASCII_FIRST = {language: tuple(map(ascii_name, names)) for language, names in FIRST_NAMES.items()}
_ASCII_LAST = {language: tuple(map(ascii_name, names)) for language, names in LAST_NAMES.items()}


def _customer_handle(platform: str, account: int, number: int, language: str) -> str:
    firsts, lasts = _ASCII_FIRST[language], _ASCII_LAST[language]
    first = firsts[number % len(firsts)]
    last = lasts[(number // len(firsts)) % len(lasts)]
    tag = f"{account % 1000}{number // (len(firsts) * len(lasts)) or ''}"
    if platform == "x":
        return f"{first[:6]}_{last[:4]}{tag}"
    if platform == "bluesky":
        return f"{first}-{last}{tag}.bsky.social"
    if platform == "mastodon":
        return f"{first}_{last}{tag}"
    return f"{first}.{last}{tag}"


def _item_id(platform: str, account: StreamAccount, number: int, author: str, root: str) -> str:
    serial = account.index * 1_000_000_000 + number
    if platform == "x":
        return str(1_700_000_000_000_000_000 + serial)
    if platform == "mastodon":
        return str(111_000_000_000_000_000 + serial)
    if platform == "instagram":
        return str(17_900_000_000_000_000 + serial)
    if platform == "facebook":
        # Page posts are "{page}_{n}", comments "{post n}_{n}", as the Graph API writes them.
        owner = account.actor_id if not root else root.rsplit("_", 1)[-1]
        return f"{owner}_{serial}"
    return f"at://{author}/app.bsky.feed.post/{_base32(serial, 13, _TID)}"


# --- texts -------------------------------------------------------------------------------


class _TextPools:
    """Texts made once from the templates, then picked by index: fast for millions."""

    SIZE = 64

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"{seed}:texts")
        makers = [t.TextMaker(business, rng) for business in t.BUSINESSES]
        self.customer: dict[tuple[str, str], list[str]] = {}
        self.answers: dict[tuple[str, str], list[str]] = {}
        self.posts: dict[str, list[str]] = {}
        for language in t.LANGUAGES:
            for intent in t.CUSTOMER_INTENTS:
                self.customer[(language, intent)] = [
                    rng.choice(makers).customer(language, intent)[0] for _ in range(self.SIZE)
                ]
                # "{first}" stays in: the customer's first name goes in when used.
                self.answers[(language, intent)] = [
                    rng.choice(makers).answer(language, intent, "{first}")[0]
                    for _ in range(self.SIZE // 4)
                ]
            self.posts[language] = [
                maker.own_post(language)[0]
                for maker in makers
                if (maker.business, language) in t.OWN_POSTS
                for _ in range(self.SIZE // 2)
            ]


def _cumulative(
    weighted: tuple[tuple[str, float], ...],
) -> tuple[tuple[str, ...], tuple[float, ...]]:
    total = sum(weight for _, weight in weighted)
    values = tuple(value for value, _ in weighted)
    return values, tuple(itertools.accumulate(weight / total for _, weight in weighted))


_FIRST, _FIRST_CUMULATIVE = _cumulative(t.FIRST_INTENTS)
_FOLLOW_UP, _FOLLOW_UP_CUMULATIVE = _cumulative(t.FOLLOW_UP_INTENTS)
_BURST, _BURST_CUMULATIVE = _cumulative(t.BURST_INTENTS)

# Standard normal deviates drawn once: one uniform draw then picks one (gauss() is slow).
_NORMAL_SIZE = 8192
_NORMAL_RNG = random.Random("normal deviates")
_NORMAL = tuple(_NORMAL_RNG.gauss(0.0, 1.0) for _ in range(_NORMAL_SIZE))
del _NORMAL_RNG

DAY = 86_400.0
HOUR = 3_600.0
MINUTE_S = 60.0


class _AccountStream:
    """One account's items and likes in time order, one thread generated at a time."""

    def __init__(self, plan: StreamPlan, account: StreamAccount, pools: _TextPools) -> None:
        self.plan = plan
        self.account = account
        self.pools = pools
        spec = plan.spec
        self.rng = random.Random(spec.seed * 1_000_003 + account.index)
        self.start = spec.start.timestamp()
        self.end = spec.end.timestamp()
        self.flat = account.platform in FLAT_PLATFORMS
        self.customers = max(20, min(20_000, account.budget // 3))
        self.own_ids = (account.actor_id, *(s.actor_id for s in account.staff))
        staff_shown = tuple(s.handle.lstrip("@").split("@")[0] for s in account.staff)
        self.own_handles = (account.author_handle, *staff_shown)
        self.serial = 0
        self.offset = account.utc_offset_hours * HOUR
        other = "en" if account.language == "de" else "de"
        self.languages = (account.language, other)

    # --- the account's clock --------------------------------------------------------

    def local_hour(self, moment: float) -> float:
        return ((moment + self.offset) % DAY) / HOUR

    def in_office(self, moment: float) -> bool:
        local = moment + self.offset
        weekday = (int(local // DAY) + 3) % 7  # 1970-01-01 was a Thursday
        return weekday < 5 and 9.0 <= (local % DAY) / HOUR < 18.0

    def next_office_opening(self, moment: float) -> float:
        local = moment + self.offset
        day = local // DAY
        for step in range(8):
            candidate = (day + step) * DAY + 9 * HOUR
            weekday = (int(day + step) + 3) % 7
            if weekday < 5 and candidate > local:
                return candidate - self.offset
        return moment + DAY

    # --- generation -----------------------------------------------------------------

    def events(self) -> Iterator[tuple[float, int, int, StreamItem | StreamLike | None]]:
        rng = self.rng
        budget = self.account.budget
        remaining = budget
        start, end = self.start, self.end
        span = end - start
        moment = start - 1.0
        per_comment = 2.0  # items a comment brings along (answers, follow-ups), learnt
        threads = 0
        pending: list[tuple[float, int, int, StreamItem | StreamLike | None]] = []
        counter = itertools.count()
        index = self.account.index
        while remaining > 0:
            # Time moves with the share of the budget used, so the account's items spread
            # evenly over the span and the last thread still starts before the end. A
            # thread sits near the middle of its share (a busy thread's share is large),
            # with some jitter.
            comments = self.comment_count()
            size = min(remaining, 1 + comments * per_comment)
            used = budget - remaining + size * rng.uniform(0.2, 0.8)
            candidate = start + span * used / budget
            if rng.random() < 0.8:
                # Businesses post by day: a root at night moves into the day.
                hour = self.local_hour(candidate)
                if hour < 7.0 and candidate + (7.0 - hour) * HOUR < end:
                    candidate += (7.0 - hour) * HOUR + rng.uniform(0, 10 * HOUR)
            if moment + 1.0 < end:
                moment = max(moment + 1.0, min(candidate, end - 1.0))
            while pending and pending[0][0] <= moment:
                yield heapq.heappop(pending)
            # A wake-up call: in the time-ordered merge this account goes on (and makes its
            # next thread) only when all accounts have reached this moment, so that no
            # thread waits in memory long before its time.
            yield (moment, index, next(counter), None)
            # The root is before the end, so every thread keeps at least one item.
            rows = self.thread(moment, comments)
            kept = self.finish(rows, remaining)
            remaining -= len(kept)
            threads += 1
            if comments and len(kept) == len(rows):
                observed = (len(kept) - 1) / comments
                per_comment += (observed - per_comment) / min(threads, 100)
            for at, event in self.events_of(rows, kept):
                heapq.heappush(pending, (at, index, next(counter), event))
            while pending and pending[0][0] <= moment:
                yield heapq.heappop(pending)
        while pending:
            yield heapq.heappop(pending)

    def delay(self, median_minutes: float, sigma: float, low: float, high: float) -> float:
        """A log-normal delay in seconds, clipped to [low, high] minutes."""
        normal = _NORMAL[int(self.rng.random() * _NORMAL_SIZE)]
        minutes = median_minutes * math.exp(sigma * normal)
        return min(high, max(low, minutes)) * MINUTE_S

    def thread(self, root_at: float, comments: int) -> list[list]:
        """A conversation started at ``root_at`` as rows:
        [at, kind, author (int customer or -1 own / -2.. staff), parent row, text, likes,
        reposts, hidden, mentions_account]."""
        rng = self.rng
        platform = self.account.platform
        language = self.account.language
        roll = rng.random()
        rows: list[list] = []
        if roll < 0.03:
            rows.append([root_at, "repost", -1, None, "", [], 0, False, False])
            return rows
        if roll < 0.11 and not self.flat:
            customer = self.pick_customer()
            intent = _pick(_FIRST, _FIRST_CUMULATIVE, rng.random())
            text = self.customer_text(customer, intent)
            rows.append([root_at, "mention", customer, None, text, [], 0, False, True])
            self.conversation(rows, 0, 0, intent)
            return rows
        if roll < 0.15 and platform == "facebook":
            customer = self.pick_customer()
            intent = _pick(_FIRST, _FIRST_CUMULATIVE, rng.random())
            text = self.customer_text(customer, intent)
            rows.append([root_at, "visitor_post", customer, None, text, [], 0, False, False])
            self.conversation(rows, 0, 0, intent)
            return rows
        posts = self.pools.posts[language]
        text = posts[int(rng.random() * len(posts))]
        post = [root_at, "post", -1, None, text, [], 0, False, False]
        rows.append(post)
        profile = self.account.profile
        if rng.random() < 0.02:
            continuation = "comment" if self.flat else "reply"
            rows.append([root_at + 60.0, continuation, -1, 0, "2/2", [], 0, False, False])
        if rng.random() < profile.self_like_chance:
            post[5].append((root_at + self.delay(3, 0.5, 0.5, 30), -1))
        for number in range(len(self.account.staff)):
            if rng.random() < profile.staff_like_chance:
                post[5].append((root_at + self.delay(10, 0.8, 1, 120), -2 - number))
        normal = _NORMAL[int(rng.random() * _NORMAL_SIZE)]
        for _ in range(int(4 * math.exp(0.9 * normal) * (1 + comments / 4)) - 3):
            post[5].append((root_at + self.delay(120, 1.3, 1, 4 * 1440), self.pick_customer()))
        if platform != "instagram":
            post[6] = int(math.exp(_NORMAL[int(rng.random() * _NORMAL_SIZE)] - 0.5))
        for _ in range(comments):
            at = root_at + self.delay(150, 1.3, 1, 6 * 1440)
            hour = self.local_hour(at)
            if hour < 6.0 and rng.random() < 0.7:
                at += (7.0 - hour) * HOUR
            customer = self.pick_customer()
            intent = _pick(_FIRST, _FIRST_CUMULATIVE, rng.random())
            kind = "comment" if self.flat else "reply"
            hidden = self.flat and intent == t.COMPLAINT and profile.name == "broadcast"
            hidden = hidden and rng.random() < 0.3
            text = self.customer_text(customer, intent)
            rows.append([at, kind, customer, 0, text, [], 0, hidden, False])
            self.conversation(rows, len(rows) - 1, 0, intent)
        return rows

    def comment_count(self) -> int:
        roll = self.rng.random()
        if roll < 0.40:
            return 0
        if roll < 0.85:
            return self.rng.randint(1, 3)
        if roll < 0.97:
            return self.rng.randint(4, 12)
        # A long tail of busy threads (a giveaway, a viral complaint).
        return min(400, int(10 * (1.0 - self.rng.random()) ** (-1 / 1.2)))

    def pick_customer(self) -> int:
        return int(self.customers * self.rng.random() ** 1.6)

    def customer_text(self, customer: int, intent: str) -> str:
        language = self.languages[0 if customer % 10 < 7 else 1]
        pool = self.pools.customer[(language, intent)]
        return pool[int(self.rng.random() * len(pool))]

    def conversation(self, rows: list[list], first: int, depth: int, intent: str) -> None:
        """A burst after row ``first`` (written with ``intent``), the account's answer,
        maybe a follow-up, maybe another customer joining in."""
        rng = self.rng
        reply_kind = "comment" if self.flat else "reply"
        customer = rows[first][2]
        top = first if not self.flat or rows[first][3] in (None, 0) else rows[first][3]
        if rows[first][1] == "visitor_post":
            top = first
        last = first
        if depth == 0 and rng.random() < 0.12:
            for _ in range(rng.randint(1, 3)):
                at = rows[last][0] + self.delay(8, 0.8, 1, 60)
                intent = _pick(_BURST, _BURST_CUMULATIVE, rng.random())
                parent = top if self.flat else last
                text = self.customer_text(customer, intent)
                rows.append([at, reply_kind, customer, parent, text, [], 0, False, False])
                last = len(rows) - 1
        answer_at = self.answer_time(rows[first][0], rows[last][0])
        if answer_at is None:
            if rng.random() < 0.05:
                rows[first][5].append((rows[first][0] + self.delay(60, 1, 1, 1440), -1))
        else:
            responder = -1
            if self.account.staff and rng.random() < 0.3:
                responder = -2 - int(rng.random() * len(self.account.staff))
            language = self.languages[0 if customer % 10 < 7 else 1]
            answers = self.pools.answers[(language, intent)]
            names = FIRST_NAMES[language]
            text = answers[int(rng.random() * len(answers))]
            text = text.replace("{first}", names[customer % len(names)])
            parent = top if self.flat else last
            rows.append([answer_at, reply_kind, responder, parent, text, [], 0, False, False])
            answer = len(rows) - 1
            if rng.random() < 0.2:
                rows[answer][5].append((answer_at + self.delay(30, 1, 1, 1440), customer))
            if depth < 6 and rng.random() < 0.3:
                at = answer_at + self.delay(20, 1, 1, 1440)
                intent = _pick(_FOLLOW_UP, _FOLLOW_UP_CUMULATIVE, rng.random())
                text = self.customer_text(customer, intent)
                parent = top if self.flat else answer
                rows.append([at, reply_kind, customer, parent, text, [], 0, False, False])
                self.conversation(rows, len(rows) - 1, depth + 1, intent)
        if depth == 0 and rows[0][2] == -1 and rng.random() < 0.08:
            at = rows[first][0] + self.delay(60, 1, 1, 1440)
            other = self.pick_customer()
            if other != customer:
                intent = t.REMARK if rng.random() < 0.6 else t.QUESTION
                text = self.customer_text(other, intent)
                parent = top if self.flat else first
                rows.append([at, reply_kind, other, parent, text, [], 0, False, False])
                self.conversation(rows, len(rows) - 1, depth + 1, intent)

    def answer_time(self, first_at: float, last_at: float) -> float | None:
        profile = self.account.profile
        rng = self.rng
        if rng.random() >= profile.answer_chance:
            return None
        if profile.office_hours_only and not self.in_office(first_at):
            if rng.random() < 0.3:
                return None
            base = self.next_office_opening(first_at) + rng.uniform(0, 90 * MINUTE_S)
        else:
            base = first_at + self.delay(profile.answer_median_minutes, 1.0, 1, 10 * 1440)
        return max(base, last_at + rng.uniform(30, 300))

    def finish(self, rows: list[list], remaining: int) -> list[int]:
        """The rows to yield, in time order: those before the end that fit the budget.

        Replies are always later than what they reply to, so a prefix in time order never
        keeps a reply without its parent.
        """
        order = sorted(range(len(rows)), key=lambda i: rows[i][0])
        keep: list[int] = []
        for i in order:
            if rows[i][0] >= self.end or len(keep) == remaining:
                break
            keep.append(i)
        return keep

    def events_of(
        self, rows: list[list], kept: list[int]
    ) -> Iterator[tuple[float, StreamItem | StreamLike]]:
        account = self.account
        platform = account.platform
        index = account.index
        kept_set = set(kept)
        replies = dict.fromkeys(kept, 0)
        for i in kept:
            parent = rows[i][3]
            if parent is not None:
                replies[parent] += 1
        ids: dict[int, str] = {}
        authors: dict[int, tuple[str, str]] = {}
        root_id = ""
        end = self.end
        for i in kept:
            at, kind, who, parent, text, likes, reposts, hidden, mentions = rows[i]
            author_id, handle = self.author(who)
            self.serial += 1
            item_id = _item_id(platform, account, self.serial, author_id, root_id)
            if parent is None:
                root_id = item_id
            ids[i] = item_id
            authors[i] = (author_id, handle)
            liked = []
            likers: set[int] = set()
            for when, liker in sorted(likes):
                if when < end and liker not in likers:
                    likers.add(liker)
                    liked.append((when, liker))
            yield (
                at,
                StreamItem(
                    index,
                    platform,
                    item_id,
                    author_id,
                    handle,
                    who < 0,
                    kind,
                    datetime.fromtimestamp(at, UTC),
                    text,
                    ids[parent] if parent is not None and parent in kept_set else None,
                    root_id,
                    mentions,
                    len(liked),
                    replies[i],
                    reposts,
                    hidden,
                ),
            )
            for when, liker in liked:
                liker_id, liker_handle = self.author(liker)
                yield (
                    when,
                    StreamLike(
                        index,
                        platform,
                        item_id,
                        liker_id,
                        liker_handle,
                        liker < 0,
                        datetime.fromtimestamp(when, UTC),
                    ),
                )

    def author(self, who: int) -> tuple[str, str]:
        account = self.account
        if who == -1:
            return account.actor_id, account.author_handle
        if who < -1:
            return self.own_ids[-1 - who], self.own_handles[-1 - who]
        language = self.languages[0 if who % 10 < 7 else 1]
        platform = account.platform
        return (
            _customer_id(platform, account.index, who),
            _customer_handle(platform, account.index, who, language),
        )


def _pick(values: tuple[str, ...], cumulative: tuple[float, ...], roll: float) -> str:
    return values[min(bisect.bisect(cumulative, roll), len(values) - 1)]
