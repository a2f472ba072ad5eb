"""How fast the simulated Mastodon and Bluesky answer the real clients.

Builds one busy account per platform (its own posts, customers' replies and mentions,
likes) and reads all of it the way a first collection would: every status / feed page,
every mention notification page, the context / thread of the busiest posts and their
likers. Prints calls, seconds and calls per second; the README quotes the result.

    .venv/bin/python bench/sandbox_fediverse.py [--posts 2000]
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from atproto import Client
from mastodon import Mastodon

from sandbox.bluesky_api import BlueskyServer
from sandbox.http import SandboxServer
from sandbox.mastodon_api import MastodonServer
from sandbox.world import Actor, World

START = datetime(2026, 1, 1, tzinfo=UTC)


def busy_world(platform: str, posts: int, seed: int = 7) -> tuple[World, str, list[str]]:
    """An account with ``posts`` posts, three replies or mentions per post, likes."""
    rng = random.Random(seed)
    world = World(platform, now=START + timedelta(days=400), seed=seed)
    if platform == "mastodon":
        shop = world.add_actor(Actor("1000", "shop", "Shop", followers=900)).id
        people = [
            world.add_actor(Actor(str(2000 + i), f"p{i}@other.social")).id for i in range(300)
        ]
    else:
        shop = world.add_actor(Actor("did:plc:shopshopshopshopshopshop", "shop.bsky.social")).id
        people = [
            world.add_actor(Actor(f"did:plc:person{i:04d}abcdefghijklmn", f"p{i}.bsky.social")).id
            for i in range(300)
        ]
    world.manage(shop, "secret")
    roots = []
    for n in range(posts):
        at = START + timedelta(minutes=90 * n)
        post = world.post(shop, at, f"Post {n}")
        roots.append(post.id)
        parent = post
        for k in range(3):
            who = rng.choice(people)
            if k == 2:
                world.post(who, at + timedelta(minutes=30), "hallo", mentions=[shop])
            else:
                parent = world.post(who, at + timedelta(minutes=5 + k), "?", reply_to=parent.id)
        for k in range(rng.randint(0, 8)):
            world.like(post.id, rng.choice(people), at + timedelta(minutes=40 + k))
        if n % 3 == 0:
            world.post(shop, at + timedelta(minutes=20), "Danke!", reply_to=parent.id)
    return world, shop, roots


def timed(label: str, server: SandboxServer, work: Callable[[], int]) -> None:
    server.reset_calls()
    started = time.perf_counter()
    items = work()
    seconds = time.perf_counter() - started
    calls = len(server.calls)
    print(
        f"{label:<44} {items:>7} items {calls:>5} calls {seconds:7.2f} s "
        f"{calls / seconds:7.0f} calls/s"
    )


def follow_links(url: str, token: str) -> int:
    """Raw HTTP paging through Link rel="next": the server's share of the time."""
    count = 0
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as http:
        next_url: str | None = url
        while next_url:
            answer = http.get(next_url)
            count += len(answer.json())
            next_url = answer.links.get("next", {}).get("url")
    return count


def follow_cursors(url: str, params: dict[str, str], key: str, token: str | None = None) -> int:
    """Raw HTTP paging through XRPC cursors."""
    count, cursor = 0, None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(headers=headers) as http:
        while True:
            body = http.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
            body = body.json()
            count += len(body[key])
            cursor = body.get("cursor")
            if not cursor:
                return count


def settle() -> None:
    """Move the freshly built world out of the collector's way: without this, every
    allocation-heavy answer pays for a full garbage collection over the whole world."""
    gc.collect()
    gc.freeze()


def mastodon(posts: int) -> None:
    world, shop, roots = busy_world("mastodon", posts)
    settle()
    with MastodonServer(world, domain="social.example") as server:
        api = Mastodon(access_token="secret", api_base_url=server.url, ratelimit_method="throw")
        timed(
            "mastodon account_statuses, all pages of 40",
            server,
            lambda: sum(1 for _ in api.pagination_iterator(api.account_statuses(shop, limit=40))),
        )
        timed(
            "  the same, raw HTTP (server only)",
            server,
            lambda: follow_links(
                f"{server.url}/api/v1/accounts/{shop}/statuses?limit=40", "secret"
            ),
        )
        timed(
            "mastodon notifications(mention), pages of 80",
            server,
            lambda: sum(
                1 for _ in api.pagination_iterator(api.notifications(types=["mention"], limit=80))
            ),
        )
        timed(
            "  the same, raw HTTP (server only)",
            server,
            lambda: follow_links(
                f"{server.url}/api/v1/notifications?types[]=mention&limit=80", "secret"
            ),
        )
        busiest = roots[-100:]
        timed(
            "mastodon status_context, 100 posts",
            server,
            lambda: sum(len(api.status_context(i).descendants) for i in busiest),
        )
        timed(
            "mastodon status_favourited_by, 100 posts",
            server,
            lambda: sum(len(api.status_favourited_by(i)) for i in busiest),
        )


def bluesky(posts: int) -> None:
    world, shop, roots = busy_world("bluesky", posts)
    settle()
    with BlueskyServer(world) as server:
        client = Client(base_url=server.url)

        def author_feed() -> int:
            count, cursor = 0, None
            while True:
                page = client.get_author_feed(shop, cursor=cursor, limit=100)
                count += len(page.feed)
                cursor = page.cursor
                if not cursor:
                    return count

        timed("bluesky getAuthorFeed, all pages of 100", server, author_feed)
        feed_url = f"{server.url}/xrpc/app.bsky.feed.getAuthorFeed"
        timed(
            "  the same, raw HTTP (server only)",
            server,
            lambda: follow_cursors(feed_url, {"actor": shop, "limit": "100"}, "feed"),
        )
        busiest = roots[-100:]
        timed(
            "bluesky getPostThread, 100 posts",
            server,
            lambda: sum(len(client.get_post_thread(uri).thread.replies) for uri in busiest),
        )
        timed(
            "bluesky getLikes, 100 posts",
            server,
            lambda: sum(len(client.get_likes(uri).likes) for uri in busiest),
        )
        client.login("shop.bsky.social", "secret")

        def notifications() -> int:
            count, cursor = 0, None
            while True:
                page = client.app.bsky.notification.list_notifications(
                    {"cursor": cursor, "limit": 100}
                )
                count += len(page.notifications)
                cursor = page.cursor
                if not cursor:
                    return count

        timed("bluesky listNotifications, pages of 100", server, notifications)
        token = client._session.access_jwt
        notes_url = f"{server.url}/xrpc/app.bsky.notification.listNotifications"
        timed(
            "  the same, raw HTTP (server only)",
            server,
            lambda: follow_cursors(notes_url, {"limit": "100"}, "notifications", token),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000, help="own posts per account")
    posts = parser.parse_args().posts
    print(f"{posts} own posts, {3 * posts} replies and mentions per platform")
    mastodon(posts)
    bluesky(posts)


if __name__ == "__main__":
    main()
