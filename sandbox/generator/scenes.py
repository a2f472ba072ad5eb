"""Planning an account's activity, then writing it into a World in time order.

Stories first *plan* messages (who writes what, when, in reply to which planned message),
because a story decides some things after the fact (which messages of a week stay
unanswered). :meth:`WorldPlan.commit` then creates the posts in the World in creation
order, so that ids are assigned the same way for the same plan, parents always exist
before their replies, and the World's platform ids sort by time as the real ones do.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sandbox.generator.names import PeopleMaker, Person
from sandbox.generator.portfolio import AccountSpec, ClientSpec
from sandbox.generator.texts import TextLabel, TextMaker
from sandbox.world import FLAT_PLATFORMS, Actor, World

# Replies on these platforms start with the @handles of the thread's participants (the one
# answered and whom that one named), as their clients write them: the automatic prefix.
_PREFIX_PLATFORMS = ("x", "mastodon")
MINUTE = timedelta(minutes=1)


@dataclass(eq=False)
class Planned:
    """A message planned for the World; ``id`` is its platform id once committed."""

    seq: int
    account: AccountSpec  # the managed account whose activity this is
    author_id: str
    at: datetime
    text: str
    label: TextLabel
    own: bool
    parent: Planned | None = None
    kind: str | None = None  # None: the World's default (post / reply / comment)
    mentions: tuple[str, ...] = ()
    prefix: int = 0  # characters of the automatic reply prefix at the start of ``text``
    visibility: str = "public"  # "direct": a private message (Mastodon)
    page_id: str | None = None  # Facebook: the Page whose feed a visitor post is on
    reposted: Planned | None = None
    likes: list[tuple[str, datetime]] = field(default_factory=list)
    reposts: int = 0
    hidden_at: datetime | None = None
    deleted_at: datetime | None = None
    id: str | None = None

    @property
    def root(self) -> Planned:
        node = self
        while node.parent is not None:
            node = node.parent
        return node


class WorldPlan:
    """The planned activity of one platform, and the World it is committed into."""

    def __init__(self, platform: str, now: datetime, seed: int, rng: random.Random) -> None:
        self.platform = platform
        self.world = World(platform, now=now, seed=seed)
        self.people = PeopleMaker(platform, rng)
        self.planned: list[Planned] = []
        self._seq = itertools.count()

    def next_seq(self) -> int:
        return next(self._seq)

    def add_actor(self, actor_id: str, handle: str, name: str, followers: int = 0) -> None:
        self.people.reserve(actor_id, handle)
        self.world.add_actor(Actor(actor_id, handle, name=name, followers=followers))

    def commit(self) -> dict[str, Planned]:
        """Write every planned message into the World; returns them by platform id."""
        by_id: dict[str, Planned] = {}
        world = self.world
        for planned in sorted(self.planned, key=lambda p: (p.at, p.seq)):
            fields: dict[str, object] = {}
            if planned.mentions:
                fields["mentions"] = list(planned.mentions)
            if planned.page_id is not None:
                fields["page_id"] = planned.page_id
            if planned.prefix:
                fields["prefix"] = planned.prefix
            if planned.visibility != "public":
                fields["visibility"] = planned.visibility
            if planned.reposted is not None:
                fields["reposted_id"] = planned.reposted.id
            for name in ("reposts", "hidden_at", "deleted_at"):
                if getattr(planned, name):
                    fields[name] = getattr(planned, name)
            post = world.post(
                planned.author_id,
                planned.at,
                planned.text,
                reply_to=planned.parent.id if planned.parent else None,
                kind=planned.kind,
                **fields,
            )
            planned.id = post.id
            by_id[post.id] = planned
        for planned in sorted(self.planned, key=lambda p: p.seq):
            for actor_id, at in sorted(planned.likes, key=lambda like: (like[1], like[0])):
                world.like(planned.id, actor_id, at)  # type: ignore[arg-type]
        return by_id


class Scene:
    """One managed account's planned activity: its customers, posts, conversations."""

    def __init__(
        self,
        plan: WorldPlan,
        client: ClientSpec,
        account: AccountSpec,
        rng: random.Random,
        start: datetime,
        end: datetime,
        customers: int = 60,
    ) -> None:
        self.plan = plan
        self.client = client
        self.account = account
        self.rng = rng
        self.start = start
        self.end = end
        self.calendar = client.calendar
        self.texts = TextMaker(client.business, rng)
        self.platform = account.platform
        self.flat = account.platform in FLAT_PLATFORMS
        self.staff = client.identities_on(account.platform)
        self.own_ids = frozenset({account.actor_id, *(s.actor_id for s in self.staff)})
        plan.add_actor(account.actor_id, account.world_handle, account.name, account.followers)
        plan.world.manage(account.actor_id, account.token, page_id=account.page_id)
        for member in self.staff:
            if member.actor_id not in plan.world.actors:
                plan.add_actor(member.actor_id, member.world_handle, member.name, 150)
        languages = [language for language, _ in client.customer_languages]
        weights = [share for _, share in client.customer_languages]
        self.customers: list[Person] = []
        for _ in range(customers):
            person = plan.people.person(rng.choices(languages, weights)[0])
            plan.world.add_actor(
                Actor(person.actor_id, person.handle, name=person.name, followers=_followers(rng))
            )
            self.customers.append(person)
        self.people = {person.actor_id: person for person in self.customers}
        self.own_posts: list[Planned] = []
        self.messages: list[Planned] = []
        # Customers who already wrote in a conversation (by its root): a new voice in a
        # thread is always somebody else, so that a later message never answers for an
        # earlier one of the same author by accident.
        self.voices: dict[int, list[str]] = {}
        self.inbound_per_week: Counter[tuple[date, str]] = Counter()
        self.category = lambda at: "any"

    # --- people -----------------------------------------------------------------------

    def pick_customer(self, exclude: list[str] | tuple[str, ...] = ()) -> Person:
        """A customer, regulars more often than others (a skewed pick)."""
        for _ in range(20):
            person = self.customers[int(len(self.customers) * self.rng.random() ** 1.7)]
            if person.actor_id not in exclude:
                return person
        return self.rng.choice([c for c in self.customers if c.actor_id not in exclude])

    def handle_of(self, actor_id: str) -> str:
        return self.plan.world.actors[actor_id].handle

    # --- planning messages ------------------------------------------------------------

    def _add(self, planned: Planned) -> Planned:
        self.plan.planned.append(planned)
        self.messages.append(planned)
        return planned

    def own_post(self, at: datetime, text: str, label: TextLabel, **fields: object) -> Planned:
        planned = self._add(
            Planned(
                self.plan.next_seq(),
                self.account,
                self.account.actor_id,
                at,
                text,
                label,
                own=True,
                **fields,  # type: ignore[arg-type]
            )
        )
        if planned.parent is None and planned.kind is None:
            keys = [(p.at, p.seq) for p in self.own_posts]
            self.own_posts.insert(bisect.bisect(keys, (at, planned.seq)), planned)
        return planned

    def say(
        self,
        person: Person,
        at: datetime,
        intent: str,
        parent: Planned | None = None,
        text: str | None = None,
        **fields: object,
    ) -> Planned | None:
        """A customer message (None when it would fall after the end of the horizon).

        ``text`` replaces the template text when a story needs these very words.
        """
        if parent is not None:
            at = max(at, parent.at + MINUTE)
        if at >= self.end:
            return None
        if text is None:
            text, label = self.texts.customer(person.language, intent)
        else:
            label = TextLabel(person.language, intent)
        if parent is not None and (
            parent.author_id != person.actor_id or self.platform in _PREFIX_PLATFORMS
        ):
            fields["prefix"] = self._prefix_length(parent, person.actor_id)
            text, addressed = self.addressing(parent, person.actor_id, text)
            fields["mentions"] = (*addressed, *fields.get("mentions", ()))  # type: ignore[misc]
        elif fields.get("mentions") and fields.get("kind") != "visitor_post":
            text = f"@{self.account.world_handle} {text}"
        planned = self._add(
            Planned(
                self.plan.next_seq(),
                self.account,
                person.actor_id,
                at,
                text,
                label,
                own=False,
                parent=parent,
                **fields,  # type: ignore[arg-type]
            )
        )
        root = planned.root
        self.voices.setdefault(root.seq, []).append(person.actor_id)
        if is_addressed(planned):
            self.inbound_per_week[(self.calendar.week_start(at), self.category(at))] += 1
        return planned

    def reply(
        self,
        responder_id: str,
        at: datetime,
        to: Planned,
        signature: str = "",
        words: tuple[str, TextLabel] | None = None,
        visibility: str = "public",
    ) -> Planned | None:
        """An answer by the own side (the account or a staff identity) to ``to``, in
        ``words`` when given, else the usual answer to its intent."""
        at = max(at, to.at + MINUTE)
        if at >= self.end:
            return None
        if words is None:
            person = self.people.get(to.author_id)
            first_name = person.first_name if person else ""
            language = to.label.language
            words = self.texts.answer(language, to.label.intent, first_name, signature)
        text, label = words
        return self.own_reply(responder_id, at, to, text, label, visibility=visibility)

    def own_reply(
        self, responder_id: str, at: datetime, to: Planned, text: str, label: TextLabel, **fields
    ) -> Planned:
        """An own reply with the given words, addressed as the platform's client does."""
        prefix = self._prefix_length(to, responder_id)
        text, addressed = self.addressing(to, responder_id, text)
        planned = Planned(
            self.plan.next_seq(),
            self.account,
            responder_id,
            at,
            text,
            label,
            own=True,
            parent=to,
            mentions=addressed,
            prefix=prefix,
            **fields,
        )
        return self._add(planned)

    def _participants(self, parent: Planned, speaker: str) -> list[str]:
        """Whom a reply's automatic prefix names: the author answered, then whom that
        message named (X's and Mastodon's clients), never the speaker."""
        names = [parent.author_id, *parent.mentions]
        return [a for a in dict.fromkeys(names) if a != speaker and a in self.plan.world.actors]

    def addressing(self, parent: Planned, speaker: str, text: str) -> tuple[str, tuple[str, ...]]:
        """The text of a reply as the platform's client starts it, and whom it names.

        X and Mastodon put the participants' @handles in front (the automatic prefix);
        Instagram the @handle of the one answered; Facebook tags the one answered by
        name; Bluesky names nobody.
        """
        if self.platform in _PREFIX_PLATFORMS:
            named = self._participants(parent, speaker)
            handles = " ".join(f"@{self.handle_of(actor)}" for actor in named)
            return (f"{handles} {text}" if handles else text), tuple(named)
        if parent.author_id == speaker or self.platform == "bluesky":
            return text, ()
        if self.platform == "instagram":
            return f"@{self.handle_of(parent.author_id)} {text}", (parent.author_id,)
        actor = self.plan.world.actors[parent.author_id]
        return f"{actor.name or actor.handle} {text}", (parent.author_id,)

    def _prefix_length(self, parent: Planned, speaker: str) -> int:
        """How many characters the automatic prefix of a reply to ``parent`` takes."""
        if self.platform not in _PREFIX_PLATFORMS:
            return 0
        named = self._participants(parent, speaker)
        if not named:
            return 0
        return len(" ".join(f"@{self.handle_of(actor)}" for actor in named)) + 1

    def voices_in(self, planned: Planned) -> list[str]:
        return self.voices.get(planned.root.seq, [])

    def latest_own_post(self, before: datetime, within: timedelta) -> Planned | None:
        keys = [p.at for p in self.own_posts]
        index = bisect.bisect_left(keys, before) - 1
        if index >= 0 and before - self.own_posts[index].at <= within:
            return self.own_posts[index]
        return None

    # --- reactions ----------------------------------------------------------------------

    def like(self, planned: Planned, actor_id: str, after: timedelta) -> None:
        at = planned.at + after
        if at < self.end and all(liker != actor_id for liker, _ in planned.likes):
            planned.likes.append((actor_id, at))

    def customer_likes(self, planned: Planned, count: int) -> None:
        for _ in range(count):
            person = self.pick_customer()
            self.like(planned, person.actor_id, self.delay(90, 0.2, 2 * 24 * 60))

    def delay(self, median_minutes: float, low: float, high: float) -> timedelta:
        """A log-normal delay around ``median_minutes``, clipped to [low, high] minutes."""
        minutes = median_minutes * math.exp(self.rng.gauss(0, 0.8))
        return timedelta(minutes=min(high, max(low, minutes)))


def is_addressed(planned: Planned) -> bool:
    """Whether a customer message expects an answer from its account, by METRICS.md's
    "Who is addressed (version 2)": a reply to the own side, a top-level mention or a
    visitor post, the account named in the author's own words (not in the automatic
    prefix of X and Mastodon), or a follow-up to the author's own addressed message.
    Private messages are never counted."""
    if planned.own or planned.visibility != "public":
        return False
    parent = planned.parent
    account = planned.account.actor_id
    if parent is None:
        return planned.kind == "visitor_post" or account in planned.mentions
    if parent.own:
        return True
    if account in planned.mentions and planned.account.platform not in _PREFIX_PLATFORMS:
        return True
    return parent.author_id == planned.author_id and is_addressed(parent)


def _followers(rng: random.Random) -> int:
    return int(20 * math.exp(rng.gauss(2, 1.2)))
