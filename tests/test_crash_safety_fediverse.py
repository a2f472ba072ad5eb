"""Kill a real Mastodon or Bluesky collector process mid-sweep (SIGKILL), run again: nothing
lost, nothing twice, cursors consistent with what is stored (as tests/test_crash_safety.py
does for X)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from sandbox.bluesky_api import BlueskyServer
from sandbox.mastodon_api import MastodonServer
from sandbox.world import Actor, World
from storage.engine import make_engine, session_factory
from storage.models import CollectionCursor, CollectionRun
from tests.support.crash import (
    collect_to_the_end,
    collector_env,
    count_items,
    distinct_items,
    kill_collector_when,
)
from tests.support.platforms import (
    B_ANNA,
    B_HANDLE,
    B_SHOP,
    BLUESKY_APP_PASSWORD,
    M_ANNA,
    M_SHOP,
    MASTODON_DOMAIN,
    MASTODON_TOKEN,
    add_bluesky_account,
    add_mastodon_account,
)

# Older than the thread window, younger than the history: read, but no thread re-reads.
START = timedelta(days=40)


def _world(platform: str, shop: str, shop_handle: str, customer: str, customer_handle: str,
           secret: str, posts: int, mentions: int) -> World:  # fmt: skip
    now = datetime.now(UTC).replace(microsecond=0)
    world = World(platform, now=now)
    world.add_actor(Actor(shop, shop_handle, followers=42))
    world.add_actor(Actor(customer, customer_handle))
    world.manage(shop, secret)
    start = now - START
    for number in range(posts):
        world.post(shop, start + timedelta(minutes=5 * number), f"Angebot {number}")
    for number in range(mentions):
        world.post(customer, start + timedelta(minutes=5 * number, seconds=30),
                   f"@{shop_handle} Frage {number}", mentions=[shop])  # fmt: skip
    return world


def _cursors(engine, names: tuple[str, ...]) -> dict[str, dict]:
    with session_factory(engine)() as session:
        return {c.endpoint: json.loads(c.value) for c in session.scalars(select(CollectionCursor))
                if c.endpoint in names}  # fmt: skip


def _outcomes(engine) -> list[str]:
    with session_factory(engine)() as session:
        runs = session.scalars(select(CollectionRun).order_by(CollectionRun.id))
        return [run.outcome for run in runs]


STATUSES, NOTIFIED = 100, 120  # Mastodon: pages of 40 statuses, 80 notifications


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stage", "route", "committed_before"),
    [
        ("statuses", rf"^/api/v1/accounts/{M_SHOP}/statuses$", 40),  # page 2 of 3
        ("mentions", r"^/api/v1/notifications$", STATUSES + 80),  # page 2 of 2
    ],
)
def test_killing_a_mastodon_collector_mid_sweep(
    database_url, tmp_path, stage, route, committed_before
):
    engine = make_engine(database_url)
    with session_factory(engine).begin() as session:
        account_id = add_mastodon_account(session).id
    world = _world("mastodon", M_SHOP, "baeckerei", M_ANNA, "anna", MASTODON_TOKEN,
                   STATUSES, NOTIFIED)  # fmt: skip
    with MastodonServer(world, domain=MASTODON_DOMAIN) as server:
        env = collector_env(database_url, tmp_path, REPLYWATCH_MASTODON_API_URL=server.url,
                            HUBER_MASTODON_TOKEN=MASTODON_TOKEN)  # fmt: skip
        server.inject(route, kind="slow", delay=6.0, skip=1, times=1)
        kill_collector_when(env, account_id, lambda: count_items(engine) >= committed_before)

        cursors = _cursors(engine, ("statuses", "mentions"))
        assert _outcomes(engine) == ["running"]
        assert count_items(engine) == committed_before
        assert "since_id" not in cursors[stage] and cursors[stage]["next_token"]

        server.clear_faults()
        server.reset_calls()
        collect_to_the_end(env, account_id)
        resumed = server.calls_to(route)[0]
        assert resumed.query["max_id"] == [cursors[stage]["next_token"]]
        newest_notification = requests.get(
            f"{server.url}/api/v1/notifications?limit=1",
            headers={"Authorization": f"Bearer {MASTODON_TOKEN}"}, timeout=5,
        ).json()[0]["id"]  # fmt: skip

    assert count_items(engine, "post") == STATUSES and count_items(engine, "mention") == NOTIFIED
    assert distinct_items(engine) == STATUSES + NOTIFIED
    newest_status = max(world.by_author(M_SHOP), key=lambda p: int(p.id)).id
    assert _cursors(engine, ("statuses", "mentions")) == {
        "statuses": {"since_id": newest_status},
        "mentions": {"since_id": newest_notification},
    }
    assert _outcomes(engine) == ["interrupted", "ok"]
    engine.dispose()


POSTS, MENTIONS = 250, 150  # Bluesky: pages of 100 feed entries and notifications


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stage", "route", "committed_before"),
    [
        ("feed", r"getAuthorFeed$", 100),  # page 2 of 3
        ("notifications", r"listNotifications$", POSTS + 100),  # page 2 of 2
    ],
)
def test_killing_a_bluesky_collector_mid_sweep(
    database_url, tmp_path, stage, route, committed_before
):
    engine = make_engine(database_url)
    with session_factory(engine).begin() as session:
        account_id = add_bluesky_account(session).id
    world = _world("bluesky", B_SHOP, B_HANDLE, B_ANNA, "anna.bsky.social",
                   BLUESKY_APP_PASSWORD, POSTS, MENTIONS)  # fmt: skip
    with BlueskyServer(world) as server:
        env = collector_env(database_url, tmp_path, REPLYWATCH_BLUESKY_APPVIEW_URL=server.url,
                            REPLYWATCH_BLUESKY_PDS_URL=server.url,
                            HUBER_BLUESKY_APP_PASSWORD=BLUESKY_APP_PASSWORD)  # fmt: skip
        server.inject(route, kind="slow", delay=6.0, skip=1, times=1)
        kill_collector_when(env, account_id, lambda: count_items(engine) >= committed_before)

        cursors = _cursors(engine, ("feed", "notifications"))
        assert _outcomes(engine) == ["running"]
        assert count_items(engine) == committed_before
        assert "since_id" not in cursors[stage] and cursors[stage]["next_token"]

        server.clear_faults()
        server.reset_calls()
        collect_to_the_end(env, account_id)
        resumed = server.calls_to(route)[0]
        assert resumed.query["cursor"] == [cursors[stage]["next_token"]]

    assert count_items(engine, "post") == POSTS and count_items(engine, "mention") == MENTIONS
    assert distinct_items(engine) == POSTS + MENTIONS
    newest_post = max(p.created_at for p in world.by_author(B_SHOP))
    newest_mention = max(p.created_at for p in world.mentioning(B_SHOP))
    assert _cursors(engine, ("feed", "notifications")) == {
        "feed": {"since_id": newest_post.isoformat()},
        "notifications": {"since_id": newest_mention.isoformat()},
    }
    assert _outcomes(engine) == ["interrupted", "ok"]
    engine.dispose()
