"""Benchmark: collecting from the simulated X and Graph APIs into a fresh database.

Measures, per platform, the first collection of an account with a busy history (items per
second, API calls) and the next run without new data (API calls, seconds). Run:

    .venv/bin/python bench/collect.py                     # SQLite in a temporary folder
    .venv/bin/python bench/collect.py --posts 2000 --database-url postgresql://...

The figures in README.md ("Benchmarks") come from this script.
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

from collectors.run import RetryPolicy
from replywatch.collecting import collect_account
from replywatch.config import load_settings
from sandbox.graph_api import GraphApiServer
from sandbox.world import Actor, World
from sandbox.x_api import XApiServer
from storage.engine import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import Account, Client, Item

TOKEN = "bench-token-0123456789"


def _fill(world: World, owner: str, posts: int, replies: int, seed: int, **post_fields) -> None:
    """Own posts over 80 days, each with customer replies and some own answers."""
    rng = random.Random(seed)
    customers = [f"9{n:05d}" for n in range(200)]
    for customer in customers:
        world.add_actor(Actor(customer, f"kunde{customer}"))
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

    x_world = World("x", now=now)
    x_world.add_actor(Actor("100", "bench_shop", followers=1000))
    x_world.manage("100", TOKEN)
    _fill(x_world, "100", args.posts, args.replies, seed=1)

    fb_world = World("facebook", now=now)
    fb_world.add_actor(Actor("555", "bench.page", name="Bench Page", followers=1000))
    fb_world.manage("555", TOKEN)
    _fill(fb_world, "555", args.posts, args.replies, seed=2, page_id="555")
    x_items, fb_items = (
        sum(1 for p in w.posts.values() if w.visible(p)) for w in (x_world, fb_world)
    )

    rows = []
    with (
        XApiServer(x_world, limits={"liking_users": 10**6}) as x,
        GraphApiServer(facebook=fb_world) as graph,
    ):
        env = {"REPLYWATCH_X_API_URL": x.url, "REPLYWATCH_GRAPH_API_URL": graph.url,
               "XDG_CONFIG_HOME": folder, "REPLYWATCH_COLLECT_HISTORY_DAYS": "90"}  # fmt: skip
        settings = load_settings(env={**os.environ, **env})
        for platform, handle, made in (("x", "@bench_shop", x_items),
                                       ("facebook", "bench.page", fb_items)):  # fmt: skip
            account_id = _account(engine, platform, handle)
            seconds, first = _measure(engine, settings, account_id, now)
            quiet_seconds, quiet = _measure(engine, settings, account_id,
                                            now + timedelta(minutes=10))  # fmt: skip
            with session_factory(engine)() as session:
                stored = session.scalar(
                    select(func.count()).select_from(Item).where(Item.account_id == account_id)
                )
            rows.append((platform, made, stored, first.api_calls, seconds,
                         stored / seconds, quiet.api_calls, quiet_seconds))  # fmt: skip
            assert first.outcome == "ok" and quiet.outcome == "ok", (first, quiet)
    engine.dispose()

    print(f"database: {engine.url.get_backend_name()}, {args.posts} posts per account")
    print("| platform | items in the world | stored | first run: calls | seconds | items/s "
          "| quiet run: calls | seconds |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for platform, made, stored, calls, seconds, rate, quiet_calls, quiet_seconds in rows:
        print(f"| {platform} | {made} | {stored} | {calls} | {seconds:.1f} | {rate:,.0f} |"
              f" {quiet_calls} | {quiet_seconds:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
