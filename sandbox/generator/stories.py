"""The four stories of the demo, played on one account each.

A :class:`StoryPlayer` fills an account's history week by week:

1. the client's own posts (the same content calendar on all its accounts);
2. a few scripted scenes in the last full week and the last days before ``now`` that make
   each story visible for sure (the hidden critical comment, the unanswered Saturday
   burst, the deep thread answered step by step ...);
3. customer contacts at realistic times of day (comments on recent posts, mentions,
   visitor posts, customers answering each other), each followed by a conversation:
   bursts of messages, the account's answer when its policy gives one, follow-ups that
   make threads deeper.

How many customer messages a week brings is fixed per week (a quota per *category*), so
that every week tells the story, not just the average: the in-house team gets a steady
share of messages outside business hours, the responsive agency misses at most one
message a week.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sandbox.generator import texts as t
from sandbox.generator.answers import SubstantiveAnswers
from sandbox.generator.names import Person
from sandbox.generator.portfolio import ClientSpec, Story
from sandbox.generator.scenes import MINUTE, Planned, Scene
from sandbox.generator.texts import TextMaker

# Relative activity of customers by local hour of day: quiet nights, busy evenings.
HOUR_WEIGHTS = (
    0.15, 0.1, 0.05, 0.05, 0.05, 0.15, 0.4, 0.8, 1.1, 1.4, 1.6, 1.6,
    1.6, 1.5, 1.4, 1.4, 1.4, 1.5, 1.6, 1.7, 1.6, 1.3, 0.9, 0.4,
)  # fmt: skip
HOURS = tuple(range(24))
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class ContentSlot:
    """A post of the client's content calendar: the same text on each of its accounts."""

    day: date
    clock: timedelta  # local time of day
    text: str
    label: t.TextLabel


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([value for value, _ in weighted], [w for _, w in weighted])[0]


class StoryPlayer:
    """Plays a story on one account (subclasses: the three stories)."""

    burst_gap = (2.0, 20.0)  # minutes between the messages of a burst
    follow_up_chance = 0.4
    bystander_chance = 0.12
    mention_chance = 0.15
    visitor_post_chance = 0.08
    max_depth = 4
    customer_likes = (0, 6)
    customer_reposts = (0, 2)

    def __init__(
        self, scene: Scene, calendar: list[ContentSlot], offset: timedelta, now: datetime
    ) -> None:
        self.scene = scene
        self.rng = scene.rng
        self.content = calendar
        self.offset = offset  # this account posts the calendar's slots a little later
        self.now = now
        self.quotas: dict[date, dict[str, int]] = {}
        self.misses: dict[date, int] = {}
        scene.category = self.category
        cal = scene.calendar
        self.recent_week = cal.week_start(now) - WEEK  # the last complete week

    # --- the policy of a story ---------------------------------------------------------

    def category(self, at: datetime) -> str:
        """The kind of moment a message arrives in, for the weekly quotas."""
        return "any"

    def week_quota(self) -> dict[str, int]:
        raise NotImplementedError

    def answer(
        self, first: Planned, last: Planned, scripted: bool = False
    ) -> tuple[datetime, str, str] | None:
        """(time, responder, signature) of the own side's answer to a burst, or None."""
        raise NotImplementedError

    def burst_chance(self, first: Planned) -> float:
        return 0.2

    def answer_words(self, to: Planned, signature: str = "") -> tuple[str, t.TextLabel] | None:
        """The words of the answer to ``to``; None: the usual answer to its intent."""
        return None

    def on_post(self, post: Planned) -> None:
        low, high = self.customer_likes
        self.scene.customer_likes(post, self.rng.randint(low, high))
        if self.scene.platform != "instagram":
            post.reposts = self.rng.randint(*self.customer_reposts)

    def on_unanswered(self, message: Planned) -> None:
        pass

    def scripted(self) -> None:
        pass

    # --- playing ------------------------------------------------------------------------

    def play(self) -> None:
        for slot in self.content:
            at = self.scene.calendar.at(slot.day, slot.clock + self.offset)
            if self.scene.start <= at < self.scene.end:
                self.on_post(self.scene.own_post(at, slot.text, slot.label))
        self.scripted()
        cal = self.scene.calendar
        week = cal.week_start(self.scene.start)
        while cal.at(week, time(0)) < self.scene.end:
            self.fill_week(week)
            week += WEEK

    def week_bounds(self, week: date) -> tuple[datetime, datetime]:
        cal = self.scene.calendar
        low = max(self.scene.start, cal.at(week, time(0)))
        high = min(self.scene.end, cal.at(week + WEEK, time(0)))
        return low, high

    def quota(self, week: date) -> dict[str, int]:
        if week not in self.quotas:
            low, high = self.week_bounds(week)
            fraction = max(0.0, (high - low) / WEEK)
            self.quotas[week] = {
                category: round(count * fraction) for category, count in self.week_quota().items()
            }
        return self.quotas[week]

    def remaining(self, week: date) -> dict[str, int]:
        used = self.scene.inbound_per_week
        return {
            category: count - used[(week, category)] for category, count in self.quota(week).items()
        }

    def has_room(self, at: datetime, same_as: datetime | None = None) -> bool:
        """Whether the quota of ``at``'s week and category takes one more message (and
        ``at`` falls in the same category as ``same_as``, when given)."""
        if same_as is not None and self.category(at) != self.category(same_as):
            return False
        week = self.scene.calendar.week_start(at)
        return self.remaining(week).get(self.category(at), 0) > 0

    def fill_week(self, week: date) -> None:
        low, high = self.week_bounds(week)
        if low >= high:
            return
        for _ in range(120):
            left = {c: n for c, n in self.remaining(week).items() if n > 0}
            if not left:
                return
            category = self.rng.choices(list(left), list(left.values()))[0]
            at = self.sample_time(low, high, category)
            if at is None:
                self.quotas[week][category] -= left[category]
                continue
            self.contact(at)

    def sample_time(self, low: datetime, high: datetime, category: str) -> datetime | None:
        """A moment in [low, high) of ``category``, customers' times of day weighted."""
        cal = self.scene.calendar
        first_day = cal.local(low).date()
        days = (cal.local(high).date() - first_day).days + 1
        for _ in range(200):
            day = first_day + timedelta(days=self.rng.randrange(days))
            hour = self.rng.choices(HOURS, HOUR_WEIGHTS)[0]
            at = cal.at(day, timedelta(hours=hour, minutes=self.rng.randrange(60)))
            if low <= at < high and self.category(at) == category:
                return at
        return None

    def contact(self, at: datetime) -> None:
        """A customer turns to the account at ``at`` and a conversation follows."""
        scene = self.scene
        post = scene.latest_own_post(at - 2 * MINUTE, within=timedelta(days=4))
        intent = _pick(self.rng, t.FIRST_INTENTS)
        roll = self.rng.random()
        message: Planned | None
        if not scene.flat and (post is None or roll < self.mention_chance):
            person = scene.pick_customer()
            message = scene.say(person, at, intent, mentions=(scene.account.actor_id,))
        elif scene.platform == "facebook" and (post is None or roll < self.visitor_post_chance):
            message = self.visitor_post(scene.pick_customer(), at, intent)
        elif post is None:
            return
        else:
            person = scene.pick_customer(exclude=scene.voices_in(post))
            message = scene.say(person, at, intent, parent=post)
        if message is not None:
            self.conversation(message)

    def visitor_post(self, person: Person, at: datetime, intent: str, **fields) -> Planned | None:
        page = self.scene.account.actor_id
        return self.scene.say(
            person, at, intent, kind="visitor_post", page_id=page, mentions=(page,), **fields
        )

    def conversation(self, first: Planned, depth: int = 0, scripted: bool = False) -> None:
        """A burst, the answer if the policy gives one, follow-ups and bystanders."""
        scene, rng = self.scene, self.rng
        person = scene.people[first.author_id]
        last = first
        # Customers who asked something and hear nothing write again (a burst).
        asked = depth == 0 and first.label.question
        if asked and not scripted and rng.random() < self.burst_chance(first):
            for _ in range(rng.randint(1, 2)):
                at = last.at + timedelta(minutes=rng.uniform(*self.burst_gap))
                if not self.has_room(at, same_as=first.at):
                    break
                following = scene.say(person, at, _pick(rng, t.BURST_INTENTS), parent=last)
                if following is None:
                    break
                last = following
        answer = self.answer(first, last, scripted)
        if answer is None:
            self.on_unanswered(first)
        else:
            at, responder, signature = answer
            reply = scene.reply(responder, at, last, signature, self.answer_words(last, signature))
            if reply is not None:
                if rng.random() < 0.25:
                    scene.like(reply, person.actor_id, scene.delay(20, 1, 600))
                if not scripted and depth < self.max_depth and rng.random() < self.follow_up_chance:
                    at = reply.at + scene.delay(12, 2, 90)
                    if self.has_room(at):
                        follow_up = scene.say(
                            person, at, _pick(rng, t.FOLLOW_UP_INTENTS), parent=reply
                        )
                        if follow_up is not None:
                            self.conversation(follow_up, depth + 1)
        # Another customer joins in, under the account's own posts only (elsewhere a
        # reply to a customer is not addressed to the account).
        bystander = depth == 0 and first.root.own and not scripted
        if bystander and rng.random() < self.bystander_chance:
            at = first.at + scene.delay(60, 5, 600)
            if self.has_room(at):
                other = scene.pick_customer(exclude=scene.voices_in(first))
                reply_to = scene.say(other, at, _pick(rng, t.BYSTANDER_INTENTS), parent=first)
                if reply_to is not None:
                    self.conversation(reply_to, depth + 1)

    # --- helpers for scripted scenes ------------------------------------------------------

    def on(self, weekday: int, clock: str, weeks_back: int = 0) -> datetime:
        """A local time in the last complete week (or ``weeks_back`` weeks before it)."""
        day = self.recent_week - weeks_back * WEEK + timedelta(days=weekday)
        return self.scene.calendar.at(day, time.fromisoformat(clock))

    def open_weekday(self, clock: str, skip: int = 0) -> datetime:
        """The ``skip``-th moment at ``clock`` on a recent weekday the business is open."""
        found = 0
        for back in range(0, 70):
            day = self.recent_week + timedelta(days=4) - timedelta(days=back)
            if day.weekday() > 4:
                continue
            at = self.scene.calendar.at(day, time.fromisoformat(clock))
            if self.scene.calendar.is_open(at):
                if found == skip:
                    return at
                found += 1
        raise ValueError("no open weekday in ten weeks")

    def dialogue(
        self,
        person: Person,
        at: datetime,
        intents: tuple[str, ...],
        parent: Planned | None = None,
        responder: str | None = None,
        **fields: object,
    ) -> list[Planned]:
        """A scripted exchange: each customer message answered before the next one."""
        written: list[Planned] = []
        for number, intent in enumerate(intents):
            message = self.scene.say(person, at, intent, parent=parent, **fields)
            if message is None:
                break
            written.append(message)
            fields = {}
            answer = self.answer(message, message, scripted=True)
            if answer is None:
                self.on_unanswered(message)
                break
            answered_at, own, signature = answer
            reply = self.scene.reply(
                responder or own,
                answered_at,
                message,
                signature,
                self.answer_words(message, signature),
            )
            if reply is None:
                break
            written.append(reply)
            parent = reply
            at = reply.at + timedelta(minutes=8 + 3 * number)
        return written


class BroadcastPlayer(StoryPlayer):
    """Posts, likes itself, never answers, hides and deletes criticism."""

    customer_likes = (0, 4)
    customer_reposts = (0, 1)
    follow_up_chance = 0.0
    bystander_chance = 0.2

    def week_quota(self) -> dict[str, int]:
        low, high = {"facebook": (8, 12), "instagram": (6, 10)}.get(self.scene.platform, (4, 7))
        return {"any": self.rng.randint(low, high)}

    def answer(self, first, last, scripted=False):
        return None

    def burst_chance(self, first: Planned) -> float:
        return 0.3

    def on_post(self, post: Planned) -> None:
        super().on_post(post)
        scene = self.scene
        # The classic: the page likes its own post, and so does the agency's employee.
        if self.rng.random() < 0.6:
            scene.like(post, scene.account.actor_id, scene.delay(3, 1, 15))
        for member in scene.staff:
            if self.rng.random() < 0.85:
                scene.like(post, member.actor_id, scene.delay(8, 2, 40))

    def on_unanswered(self, message: Planned) -> None:
        # Liked but not answered: a thumbs-up instead of a reply.
        if message.label.intent in (t.PRAISE, t.REMARK) and self.rng.random() < 0.35:
            self.scene.like(message, self.scene.account.actor_id, self.scene.delay(120, 10, 900))

    def scripted(self) -> None:
        scene, rng = self.scene, self.rng
        platform = scene.platform
        if platform == "facebook":
            # A critical comment hidden weeks ago, and one hidden on the last day.
            for created, hidden in (
                (self.on(1, "19:40", weeks_back=5), timedelta(hours=3)),
                (self.now - timedelta(days=3), None),
            ):
                post = scene.latest_own_post(created, within=timedelta(days=7))
                if post is None:
                    continue
                person = scene.pick_customer(exclude=scene.voices_in(post))
                comment = scene.say(person, created, t.CRITICAL, parent=post)
                if comment is not None:
                    comment.hidden_at = (
                        comment.at + hidden if hidden else self.now - timedelta(hours=20)
                    )
            visitor = scene.pick_customer()
            self.visitor_post(
                visitor,
                self.on(3, "15:20"),
                t.REQUEST,
                text="Bitte um Rückruf wegen der Torte für Samstag.",
            )
            post = scene.latest_own_post(self.on(5, "09:10"), within=timedelta(days=3))
            if post is not None:
                person = scene.pick_customer(exclude=scene.voices_in(post))
                at = self.on(5, "09:10")
                message = post
                for intent, minutes in ((t.QUESTION, 0), (t.NUDGE, 52), (t.GIVE_UP, 140)):
                    said = scene.say(
                        person, at + timedelta(minutes=minutes), intent, parent=message
                    )
                    message = said or message
        elif platform == "instagram":
            post = scene.latest_own_post(self.now - timedelta(days=3), within=timedelta(days=7))
            if post is not None:
                person = scene.pick_customer(exclude=scene.voices_in(post))
                comment = scene.say(person, self.now - timedelta(days=3), t.CRITICAL, parent=post)
                if comment is not None:
                    comment.deleted_at = self.now - timedelta(hours=16)
            at = self.on(2, "18:30")
            post = scene.latest_own_post(at, within=timedelta(days=3))
            if post is not None:
                scene.say(scene.pick_customer(), at, t.UNMARKED, parent=post)
        elif platform == "x":
            language = scene.client.language
            first, second = t.OWN_THREAD[language]
            label = t.TextLabel(language, t.OWN_THREAD)
            opening = scene.own_post(self.on(1, "11:00"), first, label)
            scene.own_post(opening.at + MINUTE, second, label, parent=opening)
            post = scene.latest_own_post(self.on(2, "12:00"), within=timedelta(days=3))
            if post is not None:
                asker = scene.pick_customer(exclude=scene.voices_in(post))
                other = scene.pick_customer(exclude=[asker.actor_id, *scene.voices_in(post)])
                at = self.on(2, "12:00")
                message = post
                for person, intent in (
                    (asker, t.QUESTION),
                    (other, t.REMARK),
                    (asker, t.QUESTION),
                    (other, t.REMARK),
                ):
                    at += timedelta(minutes=rng.randint(10, 40))
                    message = scene.say(person, at, intent, parent=message) or message
            scene.say(
                scene.pick_customer(),
                self.on(4, "17:45"),
                t.QUESTION,
                mentions=(scene.account.actor_id,),
            )


class WeekdayTeamPlayer(StoryPlayer):
    """Answers within minutes when the shop is open; evenings and weekends stay silent."""

    burst_gap = (15.0, 90.0)  # customers write again when nothing happens for a while
    customer_likes = (1, 8)
    customer_reposts = (0, 3)
    follow_up_chance = 0.45
    bystander_chance = 0.1

    def category(self, at: datetime) -> str:
        return "open" if self.scene.calendar.is_open(at) else "closed"

    @property
    def answers(self) -> SubstantiveAnswers:
        return SubstantiveAnswers(self.scene.client.business, self.rng)

    def answer_words(self, to: Planned, signature: str = "") -> tuple[str, t.TextLabel]:
        # A person answering each question: a fact of the shop, not a pasted sentence.
        person = self.scene.people.get(to.author_id)
        first = person.first_name if person else ""
        return self.answers.answer(to.label.language, to.label.intent, first, signature)

    def week_quota(self) -> dict[str, int]:
        if self.scene.platform == "x":
            return {"open": self.rng.randint(13, 15), "closed": 4}
        return {"open": self.rng.randint(10, 12), "closed": 3}

    def burst_chance(self, first: Planned) -> float:
        # Nobody answers in the evening, so customers write again; by day the answer
        # comes before they would.
        return 0.0 if self.scene.calendar.is_open(first.at) else 0.5

    def answer(self, first, last, scripted=False):
        if not self.scene.calendar.is_open(first.at):
            return None
        at = max(first.at + self.scene.delay(15, 4, 50), last.at + self.rng.randint(1, 4) * MINUTE)
        return at, self.scene.account.actor_id, ""

    def scripted(self) -> None:
        scene = self.scene
        account = scene.account.actor_id
        if scene.platform == "x":
            self.dialogue(
                scene.pick_customer(),
                self.open_weekday("10:15"),
                (t.REQUEST,),
                text="Bitte um Rückruf wegen meiner Reparatur 4711.",
                mentions=(account,),
            )
            at = self.on(5, "10:05")
            post = scene.latest_own_post(at, within=timedelta(days=6))
            if post is not None:
                person = scene.pick_customer(exclude=scene.voices_in(post))
                message = post
                for intent, minutes in ((t.QUESTION, 0), (t.NUDGE, 35), (t.GIVE_UP, 85)):
                    said = scene.say(
                        person, at + timedelta(minutes=minutes), intent, parent=message
                    )
                    message = said or message
            at = self.on(2, "20:30")
            post = scene.latest_own_post(at, within=timedelta(days=6))
            if post is not None:
                person = scene.pick_customer(exclude=scene.voices_in(post))
                scene.say(person, at, t.UNMARKED, parent=post)
            self.repost_praise(self.open_weekday("11:00", skip=1))
        elif scene.platform == "mastodon":
            at = self.open_weekday("09:40", skip=1)
            text, label = scene.texts.own_post(scene.client.language)
            post = scene.own_post(at, text, label)
            self.on_post(post)
            self.dialogue(
                scene.pick_customer(exclude=[]),
                at + timedelta(minutes=25),
                (t.QUESTION, t.UNMARKED, t.THANKS),
                parent=post,
            )
            self.repost_praise(self.open_weekday("14:20", skip=2))
            # A Sunday evening question, asked twice; nobody is there.
            person = scene.pick_customer()
            asked = scene.say(person, self.on(6, "19:15"), t.QUESTION, mentions=(account,))
            if asked is not None:
                scene.say(person, asked.at + 40 * MINUTE, t.NUDGE, parent=asked)
            # Two customers write privately (direct messages), and the shop answers there:
            # not the public dialogue replywatch audits, so the collector skips all four.
            for clock in ("11:05", "15:30"):
                private = scene.say(scene.pick_customer(), self.on(1, clock), t.REQUEST,
                                    mentions=(account,), visibility="direct")  # fmt: skip
                if private is not None:
                    scene.reply(account, private.at + 20 * MINUTE, private, visibility="direct")

    def repost_praise(self, at: datetime) -> None:
        """A customer praises the shop in a post of their own; the shop shares it."""
        scene = self.scene
        praise = self.dialogue(
            scene.pick_customer(), at, (t.PRAISE,), mentions=(scene.account.actor_id,)
        )
        if praise:
            original = praise[0]
            text = ""
            if scene.platform == "x":
                text = f"RT @{scene.handle_of(original.author_id)}: {original.text}"
            scene.own_post(
                original.at + 30 * MINUTE,
                text,
                t.TextLabel(scene.client.language, t.REPOST),
                kind="repost",
                reposted=original,
            )


class ResponsivePlayer(StoryPlayer):
    """Answers nearly everything within the hour, often from agency employees' profiles."""

    burst_gap = (1.0, 6.0)
    customer_likes = (3, 20)
    customer_reposts = (0, 4)
    follow_up_chance = 0.35
    bystander_chance = 0.12
    max_depth = 4

    def week_quota(self) -> dict[str, int]:
        low, high = {"bluesky": (12, 16)}.get(self.scene.platform, (14, 18))
        return {"any": self.rng.randint(low, high)}

    @property
    def answers(self) -> SubstantiveAnswers:
        return SubstantiveAnswers(self.scene.client.business, self.rng)

    def answer_words(self, to: Planned, signature: str = "") -> tuple[str, t.TextLabel]:
        # A person answering each question: a fact of the shop, not a pasted sentence.
        person = self.scene.people.get(to.author_id)
        first = person.first_name if person else ""
        return self.answers.answer(to.label.language, to.label.intent, first, signature)

    def answer(self, first, last, scripted=False):
        scene, rng = self.scene, self.rng
        week = scene.calendar.week_start(first.at)
        if week not in self.misses:
            # At most one message a week stays unanswered, and only in a busy week.
            busy = self.quota(week).get("any", 0) >= 14
            self.misses[week] = 1 if busy and rng.random() < 0.7 else 0
        if not scripted and first is last and self.misses[week] and rng.random() < 0.15:
            self.misses[week] -= 1
            return None
        hour = scene.calendar.local(first.at).hour
        # Daytime shifts answer in minutes; at night the on-call person takes longer.
        delay = scene.delay(12, 3, 45) if 7 <= hour < 23 else scene.delay(25, 10, 55)
        at = max(first.at + delay, last.at + rng.randint(1, 4) * MINUTE)
        staff = scene.staff
        if staff and rng.random() < 0.45:
            return at, rng.choice(staff).actor_id, ""
        return at, scene.account.actor_id, " ^TS" if scene.platform != "bluesky" else ""

    def scripted(self) -> None:
        scene = self.scene
        account = scene.account.actor_id
        staff = scene.staff[0].actor_id if scene.staff else None
        if scene.platform == "bluesky":
            at = self.on(1, "10:00")
            text, label = scene.texts.own_post(scene.client.language)
            post = scene.own_post(at, text, label)
            self.on_post(post)
            self.dialogue(
                scene.pick_customer(),
                at + 20 * MINUTE,
                (t.QUESTION, t.QUESTION, t.THANKS),
                parent=post,
                responder=staff,
            )
            at = self.on(3, "21:10")
            post = scene.latest_own_post(at, within=timedelta(days=6))
            if post is not None:
                person = scene.pick_customer(exclude=scene.voices_in(post))
                first = last = scene.say(person, at, t.QUESTION, parent=post)
                for intent, minutes in ((t.NUDGE, 3), (t.UNMARKED, 7)):
                    if last is not None:
                        last = scene.say(person, at + minutes * MINUTE, intent, parent=last)
                if first is not None and last is not None:
                    answered_at, own, signature = self.answer(first, last, scripted=True)
                    scene.reply(
                        own, answered_at, last, signature, self.answer_words(last, signature)
                    )
            praise = self.dialogue(
                scene.pick_customer(), self.on(4, "12:30"), (t.PRAISE,), mentions=(account,)
            )
            if praise:
                scene.own_post(
                    praise[0].at + 40 * MINUTE,
                    "",
                    t.TextLabel(scene.client.language, t.REPOST),
                    kind="repost",
                    reposted=praise[0],
                )
        elif scene.platform == "facebook":
            visitor = scene.pick_customer()
            message = self.visitor_post(visitor, self.on(2, "13:00"), t.QUESTION)
            if message is not None:
                answered_at, _, _ = self.answer(message, message, scripted=True)
                scene.reply(staff or account, answered_at, message, "", self.answer_words(message))
        elif scene.platform == "youtube":
            # A customer asks one thing after the other under a video; the agency answers
            # each within minutes, from Sam's channel: a thread longer than YouTube shows
            # with it, so the replies are paged for.
            at = self.on(2, "18:40")
            post = scene.latest_own_post(at, within=timedelta(days=6))
            if post is not None:
                self.dialogue(
                    scene.pick_customer(exclude=scene.voices_in(post)),
                    at,
                    (t.QUESTION, t.QUESTION, t.UNMARKED, t.THANKS),
                    parent=post,
                    responder=staff,
                )
        elif scene.platform == "instagram":
            at = self.on(4, "16:00")
            post = scene.latest_own_post(at, within=timedelta(days=6))
            if post is not None:
                german = [c for c in scene.customers if c.language == "de"] or scene.customers
                asker = german[0]
                comment = scene.say(
                    asker,
                    at,
                    t.UNMARKED,
                    parent=post,
                    text="Gibt es den neuen Krimi auch als Hörbuch",
                )
                other = scene.pick_customer(exclude=[asker.actor_id, *scene.voices_in(post)])
                if comment is not None:
                    aside = scene.say(other, at + 10 * MINUTE, t.REMARK, parent=comment)
                    answered_at, _, _ = self.answer(comment, aside or comment, scripted=True)
                    target = aside or comment
                    scene.reply(
                        staff or account, answered_at, target, "", self.answer_words(target)
                    )


class HollowPlayer(StoryPlayer):
    """Answers every message within minutes, always with the same two sentences: thanks,
    and "send us a DM". The ratio looks perfect; no customer learns anything."""

    burst_gap = (2.0, 10.0)
    customer_likes = (2, 12)
    customer_reposts = (0, 2)
    follow_up_chance = 0.35
    bystander_chance = 0.1
    max_depth = 3

    def week_quota(self) -> dict[str, int]:
        return {"any": self.rng.randint(12, 16)}

    def answer(self, first, last, scripted=False):
        scene, rng = self.scene, self.rng
        at = max(first.at + scene.delay(6, 1, 25), last.at + rng.randint(1, 3) * MINUTE)
        staff = scene.staff
        if staff and rng.random() < 0.3:
            return at, rng.choice(staff).actor_id, ""
        return at, scene.account.actor_id, ""

    def answer_words(self, to: Planned, signature: str = "") -> tuple[str, t.TextLabel]:
        language = to.label.language
        return t.HOLLOW_ANSWER[language], t.TextLabel(language, t.OWN_ANSWER)

    def scripted(self) -> None:
        scene = self.scene
        # A concrete question, the DM answer, the same question again: the same answer.
        at = self.on(2, "17:40")
        post = scene.latest_own_post(at, within=timedelta(days=6))
        if post is not None:
            person = scene.pick_customer(exclude=scene.voices_in(post))
            self.dialogue(
                person,
                at,
                (t.QUESTION, t.NUDGE),
                parent=post,
                text="Habt ihr das Gravelbike in Größe M noch da?",
            )


PLAYERS: dict[Story, type[StoryPlayer]] = {
    Story.BROADCAST: BroadcastPlayer,
    Story.WEEKDAY_TEAM: WeekdayTeamPlayer,
    Story.RESPONSIVE: ResponsivePlayer,
    Story.HOLLOW: HollowPlayer,
}


def content_calendar(
    client: ClientSpec, rng: random.Random, start: datetime, end: datetime
) -> list[ContentSlot]:
    """The client's posts: when and what, the same on each of its accounts."""
    cal = client.calendar
    story = client.story
    language = client.language
    texts = TextMaker(client.business, rng)
    slots: list[ContentSlot] = []
    day = cal.local(start).date()
    last = cal.local(end).date()
    while day <= last:
        weekday = day.weekday()
        clock: timedelta | None = None
        if story is Story.BROADCAST:
            # A scheduling tool: Monday, Wednesday, Friday at ten, some Saturdays at eight.
            if weekday in (0, 2, 4):
                clock = timedelta(hours=10, minutes=rng.randint(-20, 20))
            elif weekday == 5 and rng.random() < 0.5:
                clock = timedelta(hours=8, minutes=rng.randint(-15, 15))
        elif story is Story.WEEKDAY_TEAM:
            if weekday < 5 and rng.random() < 0.6:
                clock = timedelta(hours=rng.randint(9, 16), minutes=rng.randrange(0, 60, 5))
        elif story is Story.HOLLOW:
            # The agency's content plan: every weekday at noon.
            if weekday < 5:
                clock = timedelta(hours=12, minutes=rng.randint(-10, 10))
        elif weekday in (0, 2, 4, 5) or (weekday == 6 and rng.random() < 0.5):
            clock = timedelta(hours=rng.randint(10, 17), minutes=rng.randrange(0, 60))
        if clock is not None:
            text, label = texts.own_post(language)
            slots.append(ContentSlot(day, clock, text, label))
        day += timedelta(days=1)
    return slots
