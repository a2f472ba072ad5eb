"""The activity generator: deterministic, telling the demo's stories, streaming at scale.

The stories are checked on the worlds themselves, with the answer rules of METRICS.md in
their simplest form (`_answers` below): a reply of the own side to the message, to a later
message of the same author in the same thread, or, on Facebook and Instagram, under the
same top-level comment; within the answer window.
"""

from __future__ import annotations

import itertools
import os
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.fill import fill, stream_plan
from metrics.schedule import parse_schedule
from replywatch import validation
from sandbox.generator import DEMO_PORTFOLIO, Story, generate_demo
from sandbox.generator import texts as t
from sandbox.generator.loading import bench_token, load_worlds
from sandbox.generator.stream import (
    PROFILES,
    StreamItem,
    StreamLike,
    StreamSpec,
    plan_stream,
    stream_activity,
)
from sandbox.world import Post, World
from storage.models import Item, Like
from storage.platforms import PLATFORMS, ThreadShape, canonical_handle

NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)  # a Wednesday morning
ROOT = Path(__file__).resolve().parents[1]
WINDOW = timedelta(hours=72)


# A Wednesday in November; and a Thursday just after Easter and the switch to summer time.
STORY_MOMENTS = [(NOW, 7), (datetime(2027, 4, 1, 6, 0, tzinfo=UTC), 3)]


@pytest.fixture(scope="module", params=STORY_MOMENTS, ids=["november", "easter"])
def demo(request):
    now, seed = request.param
    return generate_demo(now=now, seed=seed)


# --- the answer rules, computed on a world --------------------------------------------------


def _top_level(world: World, post: Post) -> str:
    node = post
    while node.parent_id is not None and world.posts[node.parent_id].parent_id is not None:
        node = world.posts[node.parent_id]
    return node.id


def _answers(demo, client, account) -> list[tuple[Post, Post | None]]:
    """Every inbound message of the account with its earliest covering own answer."""
    world = demo.worlds[account.platform]
    own = {account.actor_id, *(i.actor_id for i in client.identities_on(account.platform))}
    posts = [p for p in demo.activity_of(account) if p.created_at <= demo.now]
    flat = PLATFORMS[account.platform].thread_shape is ThreadShape.FLAT

    def inbound(post: Post) -> bool:
        if post.author_id in own or post.kind == "repost":
            return False
        parent = world.posts[post.parent_id] if post.parent_id else None
        return (
            world.posts[post.root_id].author_id in own
            or (parent is not None and parent.author_id in own)
            or account.actor_id in post.mentions
        )

    answers = [
        p
        for p in posts
        if p.author_id in own and p.parent_id and world.posts[p.parent_id].author_id not in own
    ]
    result = []
    for message in filter(inbound, posts):
        covering = []
        for answer in answers:
            if answer.root_id != message.root_id:
                continue
            if not message.created_at < answer.created_at <= message.created_at + WINDOW:
                continue
            parent = world.posts[answer.parent_id]
            covers = parent.id == message.id or (
                parent.author_id == message.author_id and parent.created_at >= message.created_at
            )
            if flat and message.parent_id is not None:
                covers = covers or _top_level(world, answer) == _top_level(world, message)
            if covers:
                covering.append(answer)
        result.append((message, min(covering, key=lambda a: a.created_at, default=None)))
    return result


def _own_side(client, account) -> set[str]:
    return {account.actor_id, *(i.actor_id for i in client.identities_on(account.platform))}


def _settled_weeks(demo, client, account):
    """Inbound messages with their answers per complete local week before the demo's now."""
    calendar = client.calendar
    first = calendar.week_start(demo.start) + timedelta(days=7)
    last = calendar.week_start(demo.now - WINDOW)
    weeks = defaultdict(list)
    for message, answer in _answers(demo, client, account):
        week = calendar.week_start(message.created_at)
        if first <= week < last:
            weeks[week].append((message, answer))
    return weeks


# --- the portfolio as data -----------------------------------------------------------------


def test_portfolio_is_what_replywatch_accepts():
    portfolio = DEMO_PORTFOLIO
    assert set(portfolio.platforms) == {"x", "facebook", "instagram", "mastodon", "bluesky",
                                        "youtube"}  # fmt: skip
    assert {client.story for client in portfolio.clients} == set(Story)
    for client in portfolio.clients:
        assert 1 <= len(client.accounts) <= 4
        assert validation.time_zone(client.time_zone) == client.time_zone
        assert validation.holiday_region(client.holiday_region) == client.holiday_region
        assert parse_schedule(client.business_hours).canonical() == client.business_hours
        assert client.response_target <= timedelta(hours=4)
        target = validation.duration_minutes(client.target_text, "target")
        assert timedelta(minutes=target) == client.response_target
        window = validation.duration_minutes(client.answer_window_text, "answer window")
        assert timedelta(minutes=window) == client.answer_window
        for account in client.accounts:
            assert canonical_handle(account.platform, account.handle) == account.handle
            assert account.token and account.credentials_ref.isupper()
        for identity in client.identities:
            assert canonical_handle(identity.platform, identity.handle) == identity.handle
    assert DEMO_PORTFOLIO.client("Velo Lindner").business_hours == "mon-fri 09:00-18:00"
    roles = Counter(user.role for user in portfolio.users)
    assert roles == {"consultant": 1, "owner": 4}
    owned = [name for user in portfolio.users for name in user.clients]
    assert sorted(owned) == sorted(client.name for client in portfolio.clients)
    for user in portfolio.users:
        assert validation.username(user.username) == user.username
        assert validation.email(user.email) == user.email
        assert validation.language(user.language) == user.language
    assert {user.language for user in portfolio.users} == {"de", "en"}
    # The agency clients have staff identities on the platforms where they act.
    assert DEMO_PORTFOLIO.by_story(Story.BROADCAST).identities_on("facebook")
    assert DEMO_PORTFOLIO.by_story(Story.RESPONSIVE).identities_on("bluesky")


def test_worlds_hold_the_accounts_with_their_tokens(demo):
    for client, account in DEMO_PORTFOLIO.accounts():
        world = demo.worlds[account.platform]
        assert world.now == demo.now
        assert world.actors[account.actor_id].handle == account.world_handle
        assert world.actors[account.actor_id].followers == account.followers
        managed = world.managed[account.actor_id]
        assert (managed.token, managed.page_id) == (account.token, account.page_id)
        for identity in client.identities_on(account.platform):
            assert world.actors[identity.actor_id].handle == identity.world_handle


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_same_worlds_other_seed_other_worlds():
    import random

    random.seed(1)
    first = generate_demo(now=NOW, seed=7, weeks=3)
    random.seed(2)
    state = random.getstate()
    again = generate_demo(now=NOW, seed=7, weeks=3)
    assert random.getstate() == state  # the global generator is neither used nor moved
    assert first.digest() == again.digest()
    for platform, world in first.worlds.items():
        assert list(world.posts) == list(again.worlds[platform].posts)
    assert generate_demo(now=NOW, seed=8, weeks=3).digest() != first.digest()
    assert generate_demo(now=NOW + timedelta(days=1), seed=7, weeks=3).digest() != first.digest()


_DIGESTS = """
import hashlib
from datetime import UTC, datetime
from sandbox.generator import generate_demo
from sandbox.generator.stream import StreamSpec, stream_activity
print(generate_demo(now=datetime(2026, 11, 18, 9, 30, tzinfo=UTC), seed=7).digest())
stream = hashlib.sha256()
for event in stream_activity(StreamSpec(items=3000, accounts=50, seed=3)):
    stream.update(repr(tuple(event)).encode())
print(stream.hexdigest())
"""


@pytest.mark.slow  # starts processes or a browser; keeps the quick subset quick
def test_independent_of_hash_randomisation():
    outputs = []
    for hash_seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", _DIGESTS], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout.split())
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == generate_demo(now=NOW, seed=7).digest()


# --- the stories ---------------------------------------------------------------------------


def test_at_least_twelve_weeks_of_history(demo):
    for _, account in DEMO_PORTFOLIO.accounts():
        posts = demo.activity_of(account)
        assert posts[0].created_at <= demo.now - timedelta(weeks=12)
        assert max(p.created_at for p in posts) <= demo.now
        weeks = {p.created_at.isocalendar()[:2] for p in posts}
        assert len(weeks) >= 13


def test_broadcast_agency_never_answers_likes_itself_and_hides_criticism(demo):
    client = DEMO_PORTFOLIO.by_story(Story.BROADCAST)
    for account in client.accounts:
        world = demo.worlds[account.platform]
        own = _own_side(client, account)
        posts = demo.activity_of(account)
        for post in posts:
            if post.author_id in own and post.parent_id is not None:
                assert world.posts[post.parent_id].author_id in own, post.text  # not to a customer
        answered = [m for m, answer in _answers(demo, client, account) if answer is not None]
        assert answered == []
        own_posts = [p for p in posts if p.author_id == account.actor_id and p.parent_id is None]
        self_liked = [p for p in own_posts if any(like.actor_id in own for like in p.likes)]
        staff_liked = [
            p
            for p in own_posts
            if any(like.actor_id in own - {account.actor_id} for like in p.likes)
        ]
        assert len(self_liked) > len(own_posts) / 2 and staff_liked
        # Some posts have no likes but the agency's own.
        assert any(p.likes and all(like.actor_id in own for like in p.likes) for p in own_posts)
        # Every complete week has posts and customer messages: a broadcast, not a silence.
        for week, messages in _settled_weeks(demo, client, account).items():
            assert len(messages) >= 3, week
        liked_unanswered = [
            m
            for m, _ in _answers(demo, client, account)
            if any(like.actor_id in own for like in m.likes)
        ]
        assert liked_unanswered, account.platform
    facebook = demo.worlds["facebook"]
    page = next(a for a in client.accounts if a.platform == "facebook")
    hidden = [p for p in demo.activity_of(page) if p.hidden_at is not None]
    assert len(hidden) == 2
    for comment in hidden:
        assert comment.author_id not in _own_side(client, page)
        assert demo.label("facebook", comment.id).intent == t.CRITICAL
        assert comment.created_at < comment.hidden_at <= demo.now
        assert facebook.is_hidden(comment) and facebook.get(comment.id) is comment
    instagram = next(a for a in client.accounts if a.platform == "instagram")
    deleted = [p for p in demo.activity_of(instagram) if p.deleted_at is not None]
    assert len(deleted) == 1 and deleted[0].deleted_at <= demo.now
    demo.move_to(deleted[0].deleted_at - timedelta(hours=1))
    try:
        assert demo.worlds["instagram"].get(deleted[0].id) is deleted[0]  # seen before
    finally:
        demo.move_to(demo.now)
    assert demo.worlds["instagram"].get(deleted[0].id) is None  # and gone now


def test_in_house_team_answers_in_business_hours_only(demo):
    client = DEMO_PORTFOLIO.by_story(Story.WEEKDAY_TEAM)
    calendar = client.calendar
    for account in client.accounts:
        open_hours, closed = [], []
        for message, answer in _answers(demo, client, account):
            if message.created_at > demo.now - timedelta(hours=2):
                continue  # an answer may still come
            (open_hours if calendar.is_open(message.created_at) else closed).append(
                (message, answer)
            )
        assert len(open_hours) > 100 and len(closed) > 30
        for message, answer in open_hours:
            assert answer is not None, message.text
            assert answer.created_at - message.created_at <= client.response_target
            assert answer.author_id == account.actor_id
        assert all(answer is None for _, answer in closed)
        local = [calendar.local(m.created_at) for m, _ in closed]
        assert any(moment.weekday() >= 5 for moment in local)  # weekends
        assert any(moment.weekday() < 5 and moment.hour >= 18 for moment in local)  # evenings
        # Each week tells the same story: partly responsive, never responsive.
        for week, messages in _settled_weeks(demo, client, account).items():
            ratio = sum(answer is not None for _, answer in messages) / len(messages)
            assert 0.68 <= ratio <= 0.88, (account.platform, week, ratio)


def test_responsive_agency_meets_its_sla(demo):
    client = DEMO_PORTFOLIO.by_story(Story.RESPONSIVE)
    for account in client.accounts:
        own = _own_side(client, account)
        answers = [
            (m, a) for m, a in _answers(demo, client, account) if m.created_at < demo.now - WINDOW
        ]
        within = [
            m
            for m, a in answers
            if a is not None and a.created_at - m.created_at <= client.response_target
        ]
        assert len(within) / len(answers) >= 0.92
        times = [(a.created_at - m.created_at) for m, a in answers if a is not None]
        assert statistics.median(times) <= client.response_target / 2
        by_staff = [
            a for _, a in answers if a is not None and a.author_id in own - {account.actor_id}
        ]
        assert len(by_staff) >= len(answers) / 5
        for week, messages in _settled_weeks(demo, client, account).items():
            answered = [
                m
                for m, a in messages
                if a is not None and a.created_at - m.created_at <= client.response_target
            ]
            assert len(answered) / len(messages) >= 0.9, (account.platform, week)


def test_german_and_english_questions_and_statements(demo):
    labels = [
        (label, demo.worlds[platform].posts[post_id].text)
        for platform, by_id in demo.labels.items()
        for post_id, label in by_id.items()
        if label.intent in t.CUSTOMER_INTENTS
    ]
    for language in ("de", "en"):
        mine = [(label, text) for label, text in labels if label.language == language]
        assert sum(label.question for label, _ in mine) >= 30
        assert sum(not label.question for label, _ in mine) >= 30
        unmarked = [text for label, text in mine if label.question and "?" not in text]
        assert len(unmarked) >= 5, language
    texts = [text for _, text in labels]
    assert any("Bitte um Rückruf" in text for text in texts)
    assert any("please" in text.lower() and "?" not in text for text in texts)
    # Each business posts in its own language; answers follow the customer's language.
    for client in DEMO_PORTFOLIO.clients:
        for account in client.accounts:
            posts = demo.activity_of(account)
            own_posts = [p for p in posts if p.author_id == account.actor_id and p.kind == "post"]
            assert {demo.label(account.platform, p.id).language for p in own_posts} == {
                client.language
            }


# Words that make a text ask something wherever they stand, and words that do when they
# open it (after a greeting): the shape of METRICS.md's question heuristic.
_ASKING_WORDS = {
    "de": ("wie", "wann", "wo", "warum", "was", "wer", "welche", "bitte", "hilfe"),
    "en": ("how", "when", "where", "why", "what", "who", "which", "please", "help", "kindly"),
}
_OPENERS = {
    "de": ("kann", "können", "könnt", "gibt", "habt", "hast", "ist", "sind", "weiß", "liefert"),
    "en": ("can", "could", "would", "is", "are", "do", "does", "any", "anyone", "wondering"),
}
_GREETINGS = ("hallo", "hi", "hello")


def _asks(template: str, language: str) -> bool:
    words = re.findall(r"\w+", template.lower())
    if words and words[0] in _GREETINGS:
        words = words[1:]
    return (
        "?" in template
        or bool(set(words) & set(_ASKING_WORDS[language]))
        or (bool(words) and words[0] in _OPENERS[language])
    )


def test_template_labels_agree_with_the_question_heuristic():
    """Asking templates carry "?", an interrogative or request word, or open with a verb of
    asking; the other templates do none of that."""
    checked = 0
    for business in t.BUSINESSES:
        for language in t.LANGUAGES:
            for intent in t.CUSTOMER_INTENTS:
                for template in t.customer_templates(business, language, intent):
                    assert _asks(template, language) == (intent in t.ASKING), template
                    checked += 1
    assert checked > 300
    assert {intent for intent in t.CUSTOMER_INTENTS if t.TextLabel("de", intent).question} == set(
        t.ASKING
    )


def _threads(world: World, posts: list[Post]) -> dict[str, list[Post]]:
    threads = defaultdict(list)
    for post in posts:
        threads[post.root_id].append(post)
    return threads


def _depth(world: World, post: Post) -> int:
    depth = 0
    while post.parent_id is not None:
        depth, post = depth + 1, world.posts[post.parent_id]
    return depth


def _longest_bursts(world: World, posts: list[Post], own: set[str]) -> list[int]:
    """Per thread: the most messages one customer wrote in a row before an own answer."""
    longest = []
    for thread in _threads(world, posts).values():
        best, author, run = 0, None, 0
        for post in sorted(thread, key=lambda p: p.created_at):
            if post.author_id in own:
                author, run = None, 0
            elif post.author_id == author:
                run += 1
            else:
                author, run = post.author_id, 1
            best = max(best, run)
        longest.append(best)
    return longest


def test_bursts_deep_threads_and_flat_comment_threads(demo):
    longest_per_story = Counter()
    for client, account in DEMO_PORTFOLIO.accounts():
        world = demo.worlds[account.platform]
        own = _own_side(client, account)
        posts = demo.activity_of(account)
        bursts = _longest_bursts(world, posts, own)
        assert max(bursts) >= 2, (client.name, account.platform)
        longest_per_story[client.story] = max(longest_per_story[client.story], *bursts)
        deepest = max(_depth(world, post) for post in posts)
        if account.platform in ("x", "mastodon", "bluesky"):
            assert deepest >= 4, (client.name, account.platform)
        else:
            replies_to_comments = [
                p for p in posts if p.parent_id and world.posts[p.parent_id].parent_id is not None
            ]
            assert replies_to_comments and all(p.kind == "comment" for p in replies_to_comments)
            if client.story is not Story.BROADCAST:
                assert any(p.author_id in own for p in replies_to_comments)
    assert all(longest_per_story[story] >= 3 for story in Story), longest_per_story


def test_mentions_visitor_posts_reposts_and_customer_likes(demo):
    for client, account in DEMO_PORTFOLIO.accounts():
        world = demo.worlds[account.platform]
        own = _own_side(client, account)
        posts = demo.activity_of(account)
        top_level_by_customers = [
            p for p in posts if p.parent_id is None and p.author_id not in own
        ]
        if account.platform in ("x", "mastodon", "bluesky"):
            mentions = [p for p in top_level_by_customers if account.actor_id in p.mentions]
            assert mentions and all(p.kind == "post" for p in mentions)
            assert all(p.text.startswith("@" + account.world_handle) for p in mentions)
            assert {p.id for p in world.mentioning(account.actor_id)} >= {p.id for p in mentions}
        if account.platform == "facebook":
            visitor = [p for p in top_level_by_customers if p.kind == "visitor_post"]
            assert visitor and all(p.id.startswith(account.actor_id + "_") for p in visitor)
            assert all(p in world.mentioning(account.actor_id) for p in visitor)
        own_posts = [p for p in posts if p.author_id == account.actor_id and p.kind == "post"]
        customer_likes = [like for p in own_posts for like in p.likes if like.actor_id not in own]
        assert len(customer_likes) >= len(own_posts)
        if account.platform != "instagram":
            assert any(p.reposts for p in own_posts)
    reposts = [
        (platform, post)
        for platform, world in demo.worlds.items()
        for post in world.posts.values()
        if post.kind == "repost"
    ]
    assert {platform for platform, _ in reposts} == {"x", "mastodon", "bluesky"}
    for platform, post in reposts:
        original = demo.worlds[platform].posts[post.reposted_id]
        assert original.created_at < post.created_at and original.author_id != post.author_id


def test_platform_ids_sort_by_time_where_the_platform_does(demo):
    for platform in ("x", "mastodon"):
        posts = sorted(demo.worlds[platform].posts.values(), key=lambda p: int(p.id))
        times = [p.created_at for p in posts]
        assert times == sorted(times)
    for post in demo.worlds["bluesky"].posts.values():
        assert post.id.startswith(f"at://{post.author_id}/app.bsky.feed.post/")


def test_future_activity_appears_when_the_clock_moves():
    later = generate_demo(now=NOW, seed=7, future=timedelta(days=2))
    world = later.worlds["x"]
    upcoming = [p for p in world.posts.values() if p.created_at > NOW]
    assert upcoming and all(world.get(p.id) is None for p in upcoming)
    later.move_to(NOW + timedelta(days=2))
    assert all(world.get(p.id) is p for p in upcoming if p.deleted_at is None)
    with pytest.raises(ValueError, match="aware"):
        generate_demo(now=NOW.replace(tzinfo=None))


# --- the stream for benchmarks -------------------------------------------------------------

SPEC = StreamSpec(items=10_000, accounts=1000, seed=11)


@pytest.fixture(scope="module")
def stream_events():
    return list(stream_activity(SPEC))


def test_stream_counts_and_per_account_distribution(stream_events):
    plan = plan_stream(SPEC)
    items = [e for e in stream_events if isinstance(e, StreamItem)]
    assert len(items) == SPEC.items
    per_account = Counter(item.account for item in items)
    assert per_account == Counter({a.index: a.budget for a in plan.accounts if a.budget})
    assert len(per_account) == SPEC.accounts  # every account has activity
    counts = sorted(per_account.values())
    assert counts[-1] >= 5 * statistics.median(counts)  # a few busy accounts
    assert len({a.client for a in plan.accounts}) < SPEC.accounts  # clients with several
    assert {a.profile.name for a in plan.accounts} == {p.name for p in PROFILES}
    for account in plan.accounts[:100]:
        assert canonical_handle(account.platform, account.handle) == account.handle
        for staff in account.staff:
            assert canonical_handle(account.platform, staff.handle) == staff.handle
    assert len({(i.platform, i.platform_item_id) for i in items}) == len(items)


def test_stream_is_in_time_order_and_shaped_like_threads(stream_events):
    plan = plan_stream(SPEC)
    moments = [e.created_at if isinstance(e, StreamItem) else e.liked_at for e in stream_events]
    assert moments == sorted(moments)
    assert all(m.tzinfo is UTC and SPEC.start <= m < SPEC.end for m in moments)
    seen: dict[tuple[str, str], StreamItem] = {}
    children: Counter = Counter()
    likes: Counter = Counter()
    likers = set()
    kinds: Counter = Counter()
    for event in stream_events:
        if isinstance(event, StreamLike):
            item = seen[(event.platform, event.item_platform_id)]  # liked after it exists
            assert event.account == item.account and event.liked_at > item.created_at
            account = plan.accounts[event.account]
            own = {account.actor_id, *(s.actor_id for s in account.staff)}
            assert event.is_own == (event.liker_id in own)
            assert (event.item_platform_id, event.liker_id) not in likers
            likers.add((event.item_platform_id, event.liker_id))
            likes[(event.platform, event.item_platform_id)] += 1
            continue
        account = plan.accounts[event.account]
        assert event.platform == account.platform
        own = {account.actor_id, *(s.actor_id for s in account.staff)}
        assert event.is_own == (event.author_id in own)
        kinds[event.kind] += 1
        if event.parent_id is None:
            assert event.root_id == event.platform_item_id
            assert event.kind in ("post", "mention", "visitor_post", "repost")
        else:
            parent = seen[(event.platform, event.parent_id)]
            assert parent.created_at < event.created_at and parent.root_id == event.root_id
            children[(event.platform, event.parent_id)] += 1
            # The sandbox's thread shapes are the registry's.
            assert event.kind == PLATFORMS[event.platform].reply_kind
        assert (event.platform, event.root_id) in seen or event.parent_id is None
        assert event.mentions_account == (event.kind == "mention")
        seen[(event.platform, event.platform_item_id)] = event
    assert set(kinds) == {"post", "reply", "comment", "mention", "visitor_post", "repost"}
    for key, item in seen.items():
        assert item.reply_count == children[key] and item.like_count == likes[key]
    posts = [i for i in seen.values() if i.kind == "post"]
    thread_sizes = Counter(i.root_id for i in seen.values())
    sizes = [thread_sizes[p.platform_item_id] - 1 for p in posts]
    quiet = sum(size <= 3 for size in sizes) / len(sizes)
    assert 0.6 <= quiet <= 0.9 and max(sizes) >= 20  # mostly quiet, a long tail
    assert sum(size == 0 for size in sizes) / len(sizes) >= 0.25
    own_replies = [
        i
        for i in seen.values()
        if i.is_own and i.parent_id and not seen[(i.platform, i.parent_id)].is_own
    ]
    answered_by_staff = [i for i in own_replies if i.author_id != plan.accounts[i.account].actor_id]
    assert own_replies and answered_by_staff
    never = {a.index for a in plan.accounts if a.profile.name == "broadcast"}
    assert not [i for i in own_replies if i.account in never]
    assert any(i.hidden for i in seen.values())


def test_stream_per_account_order_and_determinism(stream_events):
    by_account = list(stream_activity(SPEC, order="account"))
    assert sorted(map(repr, by_account)) == sorted(map(repr, stream_events))
    accounts = [e.account for e in by_account]
    changes = sum(1 for a, b in itertools.pairwise(accounts) if a != b)
    assert changes == SPEC.accounts - 1  # one account after another
    assert list(itertools.islice(stream_activity(SPEC), 500)) == stream_events[:500]
    other = stream_activity(StreamSpec(items=10_000, accounts=1000, seed=12))
    assert list(itertools.islice(other, 200)) != stream_events[:200]
    with pytest.raises(ValueError, match="order"):
        next(stream_activity(SPEC, order="random"))


def test_the_stream_goes_into_storage_the_way_collectors_write_it(engine):
    """bench/fill.py writes the stream through storage's upserts: every item arrives once,
    on its account, with its role, thread links and time; every like on its item."""
    plan = stream_plan(400, accounts=12, seed=3)
    filled = fill(engine, plan, bulk=False)
    events = list(stream_activity(plan))
    items = {e.platform_item_id: e for e in events if isinstance(e, StreamItem)}
    likes = {(e.item_platform_id, e.liker_id): e for e in events if isinstance(e, StreamLike)}
    assert (filled.items, filled.likes) == (len(items), len(likes))
    with Session(engine) as session:
        stored = session.scalars(select(Item)).all()
        stored_likes = session.execute(
            select(Item.platform_item_id, Like.liker_id, Like.is_own).join(Item)
        ).all()
    assert sorted(row.platform_item_id for row in stored) == sorted(items)
    for row in stored:
        event = items[row.platform_item_id]
        assert row.account_id == filled.account_ids[event.account]
        assert (row.is_own, row.kind, row.parent_id, row.root_id, row.created_at) == (
            event.is_own, event.kind, event.parent_id, event.root_id, event.created_at
        )  # fmt: skip
        assert (row.removed_reason == "hidden") is event.hidden
    assert {(i, liker): own for i, liker, own in stored_likes} == {
        key: like.is_own for key, like in likes.items()
    }


def test_stream_spec_spreads_items_at_a_realistic_rate():
    assert StreamSpec(items=1_000_000).span == timedelta(weeks=40)
    assert StreamSpec(items=10_000).span == timedelta(weeks=1)
    assert StreamSpec(items=10, weeks=2).span == timedelta(weeks=2)
    small = list(stream_activity(StreamSpec(items=7, accounts=10)))
    assert sum(isinstance(e, StreamItem) for e in small) == 7
    with pytest.raises(ValueError):
        StreamSpec(items=10, end=datetime(2026, 1, 1))


def test_stream_loads_into_worlds_for_the_simulated_platforms():
    spec = StreamSpec(items=3000, accounts=40, seed=5)
    plan = plan_stream(spec)
    events = list(stream_activity(plan))
    worlds = load_worlds(plan, events, now=spec.end)
    items = [e for e in events if isinstance(e, StreamItem)]
    assert sum(len(w.posts) for w in worlds.values()) == len(items)
    for item in items:
        world = worlds[item.platform]
        post = world.get(item.platform_item_id)
        assert post is not None and post.created_at == item.created_at
        assert world.like_count(post) == item.like_count
        assert len(world.children(post.id)) == item.reply_count
        assert world.is_hidden(post) == item.hidden
        if item.kind == "mention":
            account = plan.accounts[item.account]
            assert post in world.mentioning(account.actor_id)
    for account in plan.accounts:
        managed = worlds[account.platform].managed[account.actor_id]
        assert managed.token == bench_token(account.index)
