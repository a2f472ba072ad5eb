"""Twelve weeks of conversations for the dashboard's fixture world, written the way the
collectors write them (``storage.upsert``) and turned into numbers by
``metrics.api.refresh``, so that every page shows real, computed figures.

Each account follows a profile chosen to give the pages something to say:

- Bäckerei Huber on X answers nearly everyone within its business hours (responsive);
- Bäckerei Huber on Mastodon only posts; customers ask and get no answer (broadcast-only);
- Café Lindner on Instagram answers everyone, but slowly (partly responsive); its answer
  window is ten days, so its latest unanswered messages are still *waiting*;
- Café Lindner on Facebook gets one comment a week, so its verdict is judged over a
  widened window ("over the last 5 weeks");
- Harbour Books on Bluesky posts and likes its own posts; nobody writes (no conversation).

Times are placed relative to Monday 00:00 of the last full week (``week``). Unanswered
messages sit only where their answer window has surely passed by the time the tests run
(missed), or surely not (waiting), and every answer lies before the end of that week, so
the verdicts do not depend on the day of the week the tests run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.orm import Session

from metrics import api
from sandbox.generator.names import FIRST_NAMES
from sandbox.generator.texts import ASKING, NUDGE, PRAISE, QUESTION, REQUEST, TextMaker
from storage.models import Account
from storage.platforms import PLATFORMS
from storage.records import ItemRecord, LikeRecord
from storage.upsert import upsert_items, upsert_likes

WEEKS = 12


@dataclass(frozen=True)
class Profile:
    post_days: tuple[int, ...]  # weekdays of the week's posts (0 = Monday)
    messages_per_post: tuple[int, int]  # customer messages under a post, from .. to
    commented_posts: int  # how many of the week's posts customers write under
    answer_chance: float
    answer_minutes: float  # median delay of an answer
    answer_window_days: float  # the client's answer window
    # (opening hour, closing hour): answers only then, Monday to Saturday; None: any time
    answer_hours: tuple[int, int] | None
    business: str  # the kind of business, for the texts
    language: str
    self_liked_posts: int = 0  # posts per week the account likes itself


PROFILES = {
    "huber_x": Profile((0, 1, 2, 3, 4), (5, 6), 5, 0.98, 35, 3, (8, 18), "bakery", "de"),
    "huber_mastodon": Profile((0, 1, 2), (1, 2), 3, 0.0, 0, 3, None, "bakery", "de"),
    "lindner_instagram": Profile((0, 2, 4, 5), (2, 3), 4, 0.8, 400, 10, None, "bakery", "de"),
    "lindner_facebook": Profile((1, 3), (1, 1), 1, 1.0, 90, 10, None, "bakery", "de"),
    "harbour_bluesky": Profile((0, 1, 3, 4), (0, 0), 0, 0.0, 0, 3, None, "books", "en", 2),
}


def permalink(platform: str, author: str, item_id: str) -> str:
    match platform:
        case "x":
            return f"https://x.com/{author}/status/{item_id}"
        case "mastodon":
            return f"https://mastodon.social/@{author}/{item_id}"
        case "instagram":
            return f"https://www.instagram.com/p/{item_id}/"
        case "facebook":
            return f"https://www.facebook.com/{item_id}"
    return f"https://bsky.app/profile/{author}/post/{item_id}"


@dataclass
class Writer:
    """The records of one account, as a collector would hand them to storage."""

    account: Account
    prefix: str
    items: list[ItemRecord] = field(default_factory=list)
    likes: list[LikeRecord] = field(default_factory=list)
    count: int = 0

    @property
    def own_handle(self) -> str:
        return self.account.handle.lstrip("@").split("@")[0]

    def add(
        self,
        at: datetime,
        text: str,
        *,
        own: bool,
        author: str = "kundin",
        parent: ItemRecord | None = None,
        item_id: str | None = None,
        link: str | None = None,
        hidden: bool = False,
    ) -> ItemRecord:
        if item_id is None:
            self.count += 1
            item_id = f"{self.prefix}{self.count:05d}"
        handle = self.own_handle if own else author
        if parent is None:
            kind = "post" if own else "mention"
        else:
            kind = PLATFORMS[self.account.platform].reply_kind.value
        record = ItemRecord(
            platform=self.account.platform,
            platform_item_id=item_id,
            author_id=self.account.platform_account_id if own else f"id-{handle}",
            author_handle=handle,
            is_own=own,
            kind=kind,
            created_at=at.astimezone(UTC),
            text=text,
            parent_id=None if parent is None else parent.platform_item_id,
            root_id=item_id if parent is None else (parent.root_id or parent.platform_item_id),
            mentions_account=parent is None and not own,
            permalink=link
            if link is not None
            else permalink(self.account.platform, handle, item_id),
            hidden=hidden,
        )
        self.items.append(record)
        return record

    def like(self, item: ItemRecord, liker: str, at: datetime, *, own: bool) -> None:
        self.likes.append(
            LikeRecord(
                platform=self.account.platform,
                item_platform_id=item.platform_item_id,
                liker_id=f"id-{liker}",
                liker_handle=liker,
                is_own=own,
                liked_at=at.astimezone(UTC),
            )
        )


def _in_hours(profile: Profile, at: datetime, spare: timedelta) -> datetime:
    """``at``, or the next opening (plus ``spare``) when the own side keeps hours."""
    if profile.answer_hours is None:
        return at
    opens, closes = profile.answer_hours
    while at.weekday() == 6 or not opens <= at.hour < closes:
        next_day = at.hour >= closes or at.weekday() == 6
        day = at.date() + timedelta(days=1 if next_day else 0)
        at = datetime.combine(day, time(opens), tzinfo=at.tzinfo) + spare
    return at


def write_conversations(
    writer: Writer, profile: Profile, week: datetime, rng: random.Random
) -> None:
    """``WEEKS`` weeks of posts, customer messages and answers, the last one ``week``."""
    texts = TextMaker(profile.business, rng)
    names = FIRST_NAMES[profile.language]
    window = timedelta(days=profile.answer_window_days)
    week_end = week + timedelta(days=7)
    # Missed for sure once the week is over; waiting for sure until the next one is.
    surely_missed = week_end - window
    surely_waiting = week_end + timedelta(days=7) - window

    def safe_to_leave(asked: datetime) -> bool:
        return asked < surely_missed or asked >= surely_waiting

    for offset in range(-(WEEKS - 1), 1):
        monday = week + timedelta(weeks=offset)
        for number, day in enumerate(profile.post_days):
            posted = monday + timedelta(days=day, hours=8 + rng.randint(0, 3), minutes=15)
            post = writer.add(posted, texts.own_post(profile.language)[0], own=True)
            if number < profile.self_liked_posts:
                writer.like(post, writer.own_handle, posted + timedelta(minutes=3), own=True)
            if number >= profile.commented_posts:
                continue
            for _ in range(rng.randint(*profile.messages_per_post)):
                first = rng.choice(names)
                author = f"{first.lower()}_{rng.randint(10, 99)}"
                intent = rng.choice((QUESTION, QUESTION, REQUEST, PRAISE))
                asked = posted + timedelta(minutes=rng.randint(20, 600))
                text = texts.customer(profile.language, intent)[0]
                message = writer.add(asked, text, own=False, author=author, parent=post)
                answered = rng.random() < profile.answer_chance
                if not answered and not safe_to_leave(asked):
                    answered = profile.answer_chance > 0  # this one is answered after all
                if not answered:
                    nudge_at = asked + timedelta(hours=rng.randint(2, 20))
                    if intent in ASKING and rng.random() < 0.5 and safe_to_leave(nudge_at):
                        nudge = texts.customer(profile.language, NUDGE)[0]
                        writer.add(nudge_at, nudge, own=False, author=author, parent=message)
                    continue
                delay = timedelta(minutes=profile.answer_minutes * rng.lognormvariate(0, 0.6))
                reply_at = _in_hours(profile, asked + delay, delay / 4)
                latest = min(asked + window, week_end) - timedelta(minutes=1)
                if reply_at > latest:  # every answer lies in the past of the test run
                    reply_at = asked + (latest - asked) / 2
                answer = texts.answer(profile.language, intent, first)[0]
                writer.add(reply_at, answer, own=True, parent=message)


def activity(accounts: dict[str, Account], week: datetime, seed: int = 47) -> dict[str, Writer]:
    """The records of every account (``accounts`` by profile name)."""
    writers = {}
    for index, (name, account) in enumerate(accounts.items(), start=1):
        writer = Writer(account, prefix=str(index))
        write_conversations(writer, PROFILES[name], week, random.Random(f"{seed}:{name}"))
        writers[name] = writer
    return writers


def store(session: Session, writers: list[Writer], now: datetime) -> None:
    """Through storage.upsert as a collection run would, then the metrics refresh."""
    for writer in writers:
        upsert_items(session, writer.account.id, writer.items, seen_at=now)
    for writer in writers:
        upsert_likes(session, writer.likes, seen_at=now)
    session.commit()
    api.refresh(session, now=now)
    session.commit()
