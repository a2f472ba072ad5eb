"""Kill a real Facebook or Instagram collector process mid-run (SIGKILL), run again: the
stored state is exactly what an uninterrupted run stores (as tests/test_crash_safety.py
does for X).

The Graph collectors have no since_id: every run re-reads the posts of the thread window
with their comments, marks comments missing from a FULL view of a thread removed, and
marks posts missing from a COMPLETE read of the window removed. So the scenario is a
second run over a changed world (new posts and comments, a deleted comment, a deleted
post, a newly hidden comment) that is killed after the first page of posts is committed,
while it waits for the next page of posts or for a long thread's second page of comments.
The same two runs, uninterrupted, fill a reference database; the two must agree.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from replywatch.collecting import collect_account
from sandbox.graph_api import GraphApiServer
from sandbox.world import Actor, Post, World
from storage.engine import make_engine, session_factory
from storage.models import CollectionCursor, CollectionRun, FollowerSnapshot, Item, Like
from tests.support.crash import (
    collect_to_the_end,
    collector_env,
    distinct_items,
    kill_collector_when,
)
from tests.support.platforms import PAGE_TOKEN, add_graph_accounts, fast_retry, settings_for

IG_SHOP, IG_KARL = "17841400000000001", "17841400000000009"
POSTS = 60  # in the thread window: three pages of 25 (the collector's page size)
OLD_POSTS = 4  # older than the thread window: read by the first run only
LONG_THREAD = 35  # newest-first position of the post with more comments than one page
ENV = {"HUBER_PAGE_TOKEN": PAGE_TOKEN}


@dataclass
class Shop:
    """One side of the scripted Graph worlds: who posts, who comments, what changes."""

    world: World
    shop: str
    customers: tuple[str, str]
    posts: list[Post] = field(default_factory=list)  # in the window, newest first
    gone: set[str] = field(default_factory=set)  # deleted before the second run
    hidden: set[str] = field(default_factory=set)  # hidden at the end


def _fill(side: Shop, long_thread: int, replies_deep: bool) -> None:
    """Posts with a question and the shop's answer each; one long thread; one hidden
    comment; some posts liked by the shop."""
    world, shop, (anna, ben) = side.world, side.shop, side.customers
    now = world.now
    for number in range(OLD_POSTS):
        old = world.post(shop, now - timedelta(days=30, hours=number), f"Früher {number}")
        world.post(anna, old.created_at + timedelta(minutes=3), "Schön!", reply_to=old.id)
    start = now - timedelta(days=9)
    for number in range(POSTS):
        at = start + timedelta(hours=3 * number)
        post = world.post(shop, at, f"Angebot {number}")
        question = world.post(anna, at + timedelta(minutes=5), f"Gibt es {number} noch?",
                              reply_to=post.id)  # fmt: skip
        world.post(shop, at + timedelta(minutes=9), "Ja!", reply_to=question.id)
        if number % 7 == 0 and world.platform == "facebook":
            world.like(post.id, shop, at + timedelta(minutes=1))
        side.posts.insert(0, post)
    long = side.posts[LONG_THREAD]
    for number in range(long_thread):
        world.post(ben, long.created_at + timedelta(minutes=20, seconds=number),
                   f"Kommentar {number}", reply_to=long.id)  # fmt: skip
    if replies_deep:  # Instagram: a comment whose replies need a page of their own
        top = world.children(long.id)[0]
        for number in range(60):
            world.post(ben, top.created_at + timedelta(minutes=30, seconds=number),
                       f"@anna Antwort {number}", reply_to=top.id)  # fmt: skip
    spam = world.post(ben, side.posts[40].created_at + timedelta(minutes=40), "Billig hier!",
                      reply_to=side.posts[40].id, hidden_at=now - timedelta(days=1))  # fmt: skip
    side.hidden.add(spam.id)


def _change(side: Shop) -> None:
    """What happens between the first and the second run."""
    world, shop, ben = side.world, side.shop, side.customers[1]
    now = world.advance(timedelta(minutes=5))
    for number in range(3):  # new posts: page one shifts by three
        world.post(shop, now - timedelta(minutes=4 - number), f"Neu {number}")
    on_page_two = world.children(side.posts[30].id)[0]  # the question on a page-2 post
    side.gone |= {on_page_two.id, *(c.id for c in world.descendants(on_page_two.id))}
    on_page_two.deleted_at = now - timedelta(minutes=1)  # its answer goes with it
    deleted_post = side.posts[55]  # on page three, with its comments
    side.gone |= {deleted_post.id, *(c.id for c in world.descendants(deleted_post.id))}
    deleted_post.deleted_at = now - timedelta(minutes=1)
    world.post(ben, now - timedelta(minutes=2), "Noch offen?", reply_to=side.posts[50].id)
    newly_hidden = world.children(side.posts[3].id)[0]
    newly_hidden.hidden_at = now - timedelta(minutes=1)
    side.hidden.add(newly_hidden.id)


def _worlds() -> tuple[World, World, dict[str, Shop]]:
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    fb = World("facebook", now=now)
    for actor in (
        Actor("555", "baeckerei.huber", name="Bäckerei Huber", followers=310),
        Actor("9001", "anna.k", name="Anna K"),
        Actor("9002", "ben.b", name="Ben B"),
    ):
        fb.add_actor(actor)  # fmt: skip
    fb.manage("555", PAGE_TOKEN)
    ig = World("instagram", now=now)
    for actor in (
        Actor(IG_SHOP, "baeckerei_huber", followers=1200),
        Actor("17841400000000008", "anna_k"),
        Actor(IG_KARL, "kunde_karl"),
    ):
        ig.add_actor(actor)  # fmt: skip
    ig.manage(IG_SHOP, PAGE_TOKEN, page_id="555")
    sides = {
        "facebook": Shop(fb, "555", ("9001", "9002")),
        "instagram": Shop(ig, IG_SHOP, ("17841400000000008", IG_KARL)),
    }
    _fill(sides["facebook"], long_thread=120, replies_deep=False)  # inline page: 100
    _fill(sides["instagram"], long_thread=60, replies_deep=True)  # inline pages: 50
    return fb, ig, sides


# --- what is stored -----------------------------------------------------------------------


def _state(engine: Engine) -> dict[str, object]:
    """Everything a run stores, as values; only times of our own clock are left out."""
    with session_factory(engine)() as session:
        items = sorted(
            (i.platform, i.platform_item_id, i.account_id, i.author_id, i.author_handle,
             i.is_own, i.kind, i.mentions_account, i.parent_id, i.root_id, i.created_at,
             i.text, i.permalink, i.like_count, i.reply_count, i.repost_count,
             i.removed_at is not None, i.removed_reason)
            for i in session.scalars(select(Item))
        )  # fmt: skip
        likes = sorted(
            (item_id, like.liker_id, like.liker_handle, like.is_own, like.liked_at)
            for like, item_id in session.execute(
                select(Like, Item.platform_item_id).join(Item, Like.item_id == Item.id))
        )  # fmt: skip
        followers = sorted((f.account_id, f.followers)
                           for f in session.scalars(select(FollowerSnapshot)))  # fmt: skip
    return {"items": items, "likes": likes, "followers": followers}


def _removed(engine: Engine) -> dict[str, str | None]:
    with session_factory(engine)() as session:
        rows = session.execute(select(Item.platform_item_id, Item.removed_reason)
                               .where(Item.removed_at.is_not(None)))  # fmt: skip
        return {item_id: reason for item_id, reason in rows}


def _ids(engine: Engine) -> set[str]:
    with session_factory(engine)() as session:
        return set(session.scalars(select(Item.platform_item_id)))


def _runs(engine: Engine) -> list[CollectionRun]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(CollectionRun).order_by(CollectionRun.id)))


def _threads_cursor(engine: Engine, account_id: int) -> str | None:
    with session_factory(engine)() as session:
        return session.scalar(select(CollectionCursor.value).where(
            CollectionCursor.account_id == account_id, CollectionCursor.endpoint == "threads"))  # fmt: skip


def _running_run_committed(engine: Engine, items_new: int) -> bool:
    """The running run has committed at least ``items_new`` new items (one page of posts)."""
    return any(run.outcome == "running" and run.items_new >= items_new for run in _runs(engine))


@pytest.mark.slow
@pytest.mark.parametrize("platform", ["facebook", "instagram"])
@pytest.mark.parametrize(
    ("stage", "route"),
    [
        ("posts", r"/(feed|media)$"),  # killed waiting for page 2 of the posts
        ("comments", r"/comments$"),  # killed waiting for the long thread's second page
    ],
)
def test_killing_a_graph_collector_mid_run_ends_as_an_uninterrupted_run_would(
    database_url, sqlite_template, tmp_path, platform, stage, route
):
    fb, ig, sides = _worlds()
    side = sides[platform]
    reference_path = tmp_path / "reference.db"
    shutil.copyfile(sqlite_template, reference_path)
    engine, reference = make_engine(database_url), make_engine(f"sqlite:///{reference_path}")
    for each in (engine, reference):
        with session_factory(each).begin() as session:
            ids = dict(zip(("facebook", "instagram"), add_graph_accounts(session), strict=True))
    account_id = ids[platform]

    with GraphApiServer(facebook=fb, instagram=ig) as server:
        settings = settings_for(tmp_path, REPLYWATCH_GRAPH_API_URL=server.url)
        for each in (engine, reference):  # the first run, complete, in both databases
            first = collect_account(each, settings, account_id, env=ENV, retry=fast_retry())
            assert first.outcome == "ok", first.error
        stored_first = _ids(engine)
        cursor_first = _threads_cursor(engine, account_id)
        assert cursor_first is not None and _removed(engine) == dict.fromkeys(side.hidden, "hidden")

        _change(side)
        second = collect_account(reference, settings, account_id, env=ENV, retry=fast_retry())
        assert second.outcome == "ok", second.error

        env = collector_env(database_url, tmp_path, REPLYWATCH_GRAPH_API_URL=server.url, **ENV)
        slow = server.inject(route, kind="slow", delay=6.0, skip=1 if stage == "posts" else 0)
        kill_collector_when(env, account_id, lambda: _running_run_committed(engine, 3))
        assert slow.times == 0  # the process was killed waiting for that answer

        # What the killed run left: page one of the posts (the three new ones among them),
        # nothing lost, nothing removed that the platform still shows, no cursor moved.
        assert [run.outcome for run in _runs(engine)] == ["ok", "running"]
        after_kill = _ids(engine)
        assert stored_first < after_kill
        assert len(after_kill - stored_first) == 3  # the new posts; page three is unread
        removed = _removed(engine)
        assert set(removed) <= side.gone | side.hidden
        assert side.gone & set(removed) == set()  # pages two and three were not read
        assert _threads_cursor(engine, account_id) == cursor_first

        server.clear_faults()
        collect_to_the_end(env, account_id)

    final = _state(engine)
    assert final == _state(reference)
    assert _removed(engine) == {**dict.fromkeys(side.gone, "deleted"),
                                **dict.fromkeys(side.hidden, "hidden")}  # fmt: skip
    assert stored_first <= _ids(engine)  # nothing stored before is lost
    assert distinct_items(engine) == len(final["items"])  # nothing twice
    # Every post and comment ever shown is stored, the deleted ones too (marked removed).
    assert len(final["items"]) == len(side.world.all_posts())
    assert [run.outcome for run in _runs(engine)] == ["ok", "interrupted", "ok"]
    assert _threads_cursor(engine, account_id) > cursor_first
    engine.dispose()
    reference.dispose()
