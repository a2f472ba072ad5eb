"""Kill a real collector process mid-run (SIGKILL), run again: nothing lost, nothing twice,
cursors consistent with what is stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from sandbox.world import Actor, World
from sandbox.x_api import XApiServer
from storage.engine import make_engine, session_factory
from storage.models import CollectionCursor, CollectionRun, FollowerSnapshot, Item
from tests.support.crash import (
    collect_to_the_end,
    collector_env,
    count_items,
    distinct_items,
    kill_collector_when,
)
from tests.support.platforms import X_TOKEN, add_x_account

POSTS, MENTIONS = 250, 150  # three pages of posts, two of mentions (100 per page)


def _world() -> World:
    now = datetime.now(UTC).replace(microsecond=0)
    world = World("x", now=now)
    world.add_actor(Actor("100", "huber_shop", followers=42))
    world.add_actor(Actor("900", "anna_k"))
    world.manage("100", X_TOKEN)
    start = now - timedelta(days=20)
    for number in range(POSTS):
        world.post("100", start + timedelta(minutes=number), f"Angebot {number}")
    for number in range(MENTIONS):
        at = start + timedelta(minutes=number, seconds=30)
        world.post("900", at, f"@huber_shop Frage {number}", mentions=["100"])
    return world


def _cursors(session) -> dict[str, dict]:
    """The paged since_id cursors (others hold times or counts)."""
    return {
        c.endpoint: json.loads(c.value)
        for c in session.scalars(select(CollectionCursor))
        if c.endpoint in ("posts", "mentions")
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stage", "route", "committed_before"),
    [
        ("posts", r"^/2/users/100/tweets$", 100),  # killed waiting for page 2 of 3
        ("mentions", r"^/2/users/100/mentions$", POSTS + 100),  # page 2 of the mentions
    ],
)
def test_killing_the_collector_mid_run_loses_nothing_and_duplicates_nothing(
    database_url, tmp_path, stage, route, committed_before
):
    engine = make_engine(database_url)
    with session_factory(engine).begin() as session:
        account_id = add_x_account(session).id
    world = _world()
    with XApiServer(world) as server:
        env = collector_env(database_url, tmp_path, REPLYWATCH_X_API_URL=server.url,
                            HUBER_X_TOKEN=X_TOKEN)  # fmt: skip
        server.inject(route, kind="slow", delay=6.0, skip=1, times=1)
        kill_collector_when(env, account_id, lambda: count_items(engine) >= committed_before)

        # What the killed process left: whole pages, and cursors that say where they end.
        with session_factory(engine)() as session:
            cursors = _cursors(session)
            stored_ids = [int(i) for i in session.scalars(
                select(Item.platform_item_id).where(Item.kind == "post"))]  # fmt: skip
            runs = [r.outcome for r in session.scalars(select(CollectionRun))]
        assert runs == ["running"]
        assert count_items(engine) == committed_before
        assert "since_id" not in cursors[stage] and cursors[stage]["next_token"]
        own_posts = sorted((int(p.id) for p in world.by_author("100")), reverse=True)
        assert sorted(stored_ids, reverse=True) == own_posts[: len(stored_ids)]  # no gaps

        server.clear_faults()
        server.reset_calls()
        collect_to_the_end(env, account_id)
        resumed = server.calls_to(route)[0]
        assert resumed.query["pagination_token"] == [cursors[stage]["next_token"]]

    assert count_items(engine, "post") == POSTS and count_items(engine, "mention") == MENTIONS
    with session_factory(engine)() as session:
        cursors = _cursors(session)
        runs = [r.outcome for r in session.scalars(select(CollectionRun).order_by(
            CollectionRun.id))]  # fmt: skip
        snapshots = session.scalar(select(func.count()).select_from(FollowerSnapshot))
    assert distinct_items(engine) == POSTS + MENTIONS
    newest_post = max(world.by_author("100"), key=lambda p: int(p.id)).id
    newest_mention = max(world.mentioning("100"), key=lambda p: int(p.id)).id
    assert cursors["posts"] == {"since_id": newest_post}
    assert cursors["mentions"] == {"since_id": newest_mention}
    assert runs == ["interrupted", "ok"]
    assert snapshots == 1
    engine.dispose()
