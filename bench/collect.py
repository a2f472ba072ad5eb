"""Benchmark: collecting from the simulated X, Graph, Mastodon and Bluesky APIs into a fresh
database.

Measures, per platform, the first collection of an account with a busy history (items per
second, API calls) and the next run without new data (API calls, seconds). For Facebook and
Instagram it also counts what watching older posts for new comments costs: the calls of the
quiet run that list older posts' summaries, and the calls of a run after one customer
commented under a 60-day-old post. Run:

    .venv/bin/python bench/collect.py                     # SQLite in a temporary folder
    .venv/bin/python bench/collect.py --posts 2000 --database-url postgresql://...

The figures in docs/maintainers/benchmarks.md ("Collection") come from this script.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from collectors.contract import RetryPolicy
from collectors.graph.records import MEDIA_SUMMARY_FIELDS, POST_SUMMARY_FIELDS
from collectors.stored import unrooted_replies
from replywatch.collecting import collect_account
from replywatch.config import load_settings
from sandbox.bluesky_api import BlueskyServer
from sandbox.graph_api import GraphApiServer
from sandbox.mastodon_api import MastodonServer
from sandbox.world import Actor, World
from sandbox.x_api import XApiServer
from storage.engine import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import Account, Client, Item

TOKEN = "bench-token-0123456789"


def _customer(platform: str, number: int) -> Actor:
    if platform == "bluesky":
        return Actor(f"did:plc:kunde{number:05d}abcdefghijklmn", f"kunde{number}.bsky.social")
    if platform == "mastodon":
        return Actor(f"1100000000000{number:05d}", f"kunde{number}")
    return Actor(f"9{number:05d}", f"kunde9{number:05d}")


def _fill(world: World, owner: str, posts: int, replies: int, seed: int, **post_fields) -> None:
    """Own posts over 80 days, each with customer replies and some own answers."""
    rng = random.Random(seed)
    customers = [world.add_actor(_customer(world.platform, n)).id for n in range(200)]
    start = world.now - timedelta(days=80)
    for number in range(posts):
        at = start + timedelta(minutes=number * 80 * 24 * 60 // posts)
        parent = world.post(owner, at, f"Angebot {number}", **post_fields)
        for reply in range(rng.randint(0, 2 * replies)):
            at = at + timedelta(minutes=rng.randint(1, 90))
            author = owner if reply % 3 == 2 else rng.choice(customers)
            parent = world.post(author, at, f"Antwort {reply}", reply_to=parent.id)


def _account(engine, platform: str, handle: str) -> int:
    with session_factory(engine).begin() as session:
        client = session.scalar(select(Client).where(Client.name == "Bench"))
        if client is None:
            client = Client(name="Bench", time_zone="Europe/Berlin")
            session.add(client)
            session.flush()
        account = Account(client_id=client.id, platform=platform, handle=handle,
                          credentials_ref="BENCH_TOKEN")  # fmt: skip
        session.add(account)
        session.flush()
        return account.id


def _unrooted(engine, account_id: int) -> int:
    with session_factory(engine)() as session:
        return len(unrooted_replies(session, account_id, limit=100_000))


def _measure(engine, settings, account_id: int, now: datetime) -> tuple[float, object]:
    started = time.perf_counter()
    summary = collect_account(engine, settings, account_id, now=now, env={"BENCH_TOKEN": TOKEN},
                              retry=RetryPolicy(base_delay=0.01))  # fmt: skip
    return time.perf_counter() - started, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000, help="own posts per account")
    parser.add_argument("--replies", type=int, default=3, help="mean replies per post")
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="replywatch-bench-")
    url = args.database_url or f"sqlite:///{folder}/bench.db"
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC).replace(microsecond=0)

    worlds = {
        "x": ("100", "bench_shop", "@bench_shop"),
        "facebook": ("555", "bench.page", "bench.page"),
        "instagram": ("17841400000000001", "bench_insta", "@bench_insta"),
        "mastodon": ("109000000000000001", "bench", "@bench@social.example"),
        "bluesky": ("did:plc:benchshop234567abcdefghi", "bench.bsky.social", "bench.bsky.social"),
    }
    built: dict[str, World] = {}
    for seed, (platform, (owner, handle, _)) in enumerate(worlds.items(), start=1):
        world = built[platform] = World(platform, now=now)
        world.add_actor(Actor(owner, handle, name="Bench", followers=1000))
        # The Instagram account is the one linked to the Page: the Page's token reads it.
        world.manage(owner, TOKEN, page_id="555" if platform == "instagram" else None)
        fields = {"page_id": owner} if platform == "facebook" else {}
        _fill(world, owner, args.posts, args.replies, seed=seed, **fields)

    rows = []
    older_rows = []
    with (
        XApiServer(built["x"], limits={"liking_users": 10**6}) as x,
        GraphApiServer(facebook=built["facebook"], instagram=built["instagram"]) as graph,
        MastodonServer(built["mastodon"], domain="social.example", rate_limit=10**6) as mastodon,
        BlueskyServer(built["bluesky"], rate_limit=10**6) as bluesky,
    ):
        env = {"REPLYWATCH_X_API_URL": x.url, "REPLYWATCH_GRAPH_API_URL": graph.url,
               "REPLYWATCH_MASTODON_API_URL": mastodon.url,
               "REPLYWATCH_BLUESKY_APPVIEW_URL": bluesky.url,
               "REPLYWATCH_BLUESKY_PDS_URL": bluesky.url,
               "XDG_CONFIG_HOME": folder, "REPLYWATCH_COLLECT_HISTORY_DAYS": "90"}  # fmt: skip
        settings = load_settings(env={**os.environ, **env})
        for platform, (_, _, handle) in worlds.items():
            world = built[platform]
            made = sum(1 for p in world.posts.values() if world.visible(p))
            account_id = _account(engine, platform, handle)
            seconds, first = _measure(engine, settings, account_id, now)
            # A first collection may leave a backlog (Mastodon replies whose conversation is
            # not stored yet) that the next runs work off; then comes the quiet run.
            backlog, at = 0, now
            while _unrooted(engine, account_id) and backlog < 100:
                at += timedelta(minutes=10)
                _measure(engine, settings, account_id, at)
                backlog += 1
            if platform in ("facebook", "instagram"):
                graph.reset_calls()
            at += timedelta(minutes=10)
            quiet_seconds, quiet = _measure(engine, settings, account_id, at)
            with session_factory(engine)() as session:
                stored = session.scalar(
                    select(func.count()).select_from(Item).where(Item.account_id == account_id)
                )
            rows.append((platform, made, stored, first.api_calls, seconds, stored / seconds,
                         backlog, quiet.api_calls, quiet_seconds))  # fmt: skip
            assert first.outcome == "ok" and quiet.outcome == "ok", (first, quiet)
            if platform in ("facebook", "instagram"):
                older_rows.append(_older_posts_cost(engine, settings, graph, world, account_id,
                                                    at))  # fmt: skip
    engine.dispose()

    print(f"database: {engine.url.get_backend_name()}, {args.posts} posts per account")
    print("| platform | items in the world | stored | first run: calls | seconds | items/s "
          "| backlog runs | quiet run: calls | seconds |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for (platform, made, stored, calls, seconds, rate, backlog, quiet_calls,
         quiet_seconds) in rows:  # fmt: skip
        print(f"| {platform} | {made} | {stored} | {calls} | {seconds:.1f} | {rate:,.0f} |"
              f" {backlog} | {quiet_calls} | {quiet_seconds:.2f} |")  # fmt: skip
    print()
    print("| platform | posts older than the window | quiet run: calls | of which older "
          "posts | one new comment under a 60-day-old post: calls |")  # fmt: skip
    print("|---|---|---|---|---|")
    for platform, older, quiet_calls, listing, after_comment in older_rows:
        print(f"| {platform} | {older} | {quiet_calls} | {listing} | {after_comment} |")


def _older_posts_cost(engine, settings, graph, world: World, account_id: int,
                      at: datetime) -> tuple[str, int, int, int, int]:  # fmt: skip
    """The quiet run's calls that listed older posts' summaries, and the calls of the next
    run after one comment under a 60-day-old post (that post is read again, nothing else)."""
    window = timedelta(days=14)
    quiet_calls = len(graph.calls)
    summaries = {POST_SUMMARY_FIELDS, MEDIA_SUMMARY_FIELDS}
    listing = sum(1 for call in graph.calls if call.query.get("fields", [""])[0] in summaries)
    older = sum(1 for post in world.posts.values()
                if post.parent_id is None and post.created_at < at - window)  # fmt: skip
    target = min(
        (
            p
            for p in world.posts.values()
            if p.parent_id is None and p.created_at < at - timedelta(days=60)
        ),
        key=lambda p: abs((p.created_at - (at - timedelta(days=60))).total_seconds()),
    )
    world.post(_customer(world.platform, 0).id, at + timedelta(minutes=5), "Gibt es das noch?",
               reply_to=target.id)  # fmt: skip
    world.now = at + timedelta(minutes=10)
    graph.reset_calls()
    _, summary = _measure(engine, settings, account_id, at + timedelta(minutes=10))
    assert summary.outcome == "ok" and summary.items_new == 1, summary
    return world.platform, older, quiet_calls, listing, summary.api_calls


if __name__ == "__main__":
    main()
