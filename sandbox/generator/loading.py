"""Benchmark-sized worlds: the stream's items and likes loaded into one World per platform.

The metrics benchmark writes the stream into a database; a benchmark of the simulated
platforms or of the collectors needs the same activity behind the servers instead. Unlike
the stream this holds everything in memory (a World is a dictionary of posts), so it is
meant for up to about a million items.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sandbox.generator.stream import StreamItem, StreamLike, StreamPlan
from sandbox.world import Actor, Like, Post, World

# What a hidden comment looked like before the page hid it: visible for an hour.
_HIDDEN_AFTER = timedelta(hours=1)


def bench_token(account_index: int) -> str:
    """The token the simulated platforms accept for account ``account_index`` of a plan."""
    return f"bench-token-{account_index:05d}"


def load_worlds(
    plan: StreamPlan, events: Iterable[StreamItem | StreamLike], now: datetime
) -> dict[str, World]:
    """One World per platform holding ``events`` (from ``stream_activity(plan)``)."""
    worlds: dict[str, World] = {}
    for account in plan.accounts:
        world = worlds.get(account.platform)
        if world is None:
            world = worlds[account.platform] = World(account.platform, now=now, seed=plan.spec.seed)
        name = plan.clients[account.client].name
        world.add_actor(Actor(account.actor_id, account.author_handle, name, account.followers))
        page = account.actor_id if account.platform == "facebook" else None
        world.manage(account.actor_id, bench_token(account.index), page_id=page)
        for member in account.staff:
            shown = member.handle.lstrip("@").split("@")[0]
            world.add_actor(Actor(member.actor_id, shown, shown))
    for event in events:
        world = worlds[event.platform]
        if isinstance(event, StreamLike):
            post = world.posts[event.item_platform_id]
            post.likes.append(Like(event.liker_id, event.liked_at))
            continue
        if event.author_id not in world.actors:
            world.add_actor(Actor(event.author_id, event.author_handle, event.author_handle))
        account = plan.accounts[event.account]
        addressed = event.kind in ("mention", "visitor_post")
        world.add_post(
            Post(
                id=event.platform_item_id,
                author_id=event.author_id,
                created_at=event.created_at,
                text=event.text,
                parent_id=event.parent_id,
                root_id=event.root_id,
                kind="post" if event.kind == "mention" else event.kind,
                mentions=[account.actor_id] if addressed else [],
                reposts=event.repost_count,
                hidden_at=event.created_at + _HIDDEN_AFTER if event.hidden else None,
            )
        )
    return worlds
