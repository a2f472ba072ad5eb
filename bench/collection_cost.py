"""Benchmark: what one collection costs the collecting process (statements, commits, CPU).

The shops of bench/shared_collect.py (tests/support/shops.py: a post, a customer's
question and the shop's answer; six calls to the simulated X in a first collection) are
collected one after the other in this process with the real ``collect_account``, the
simulated X answering at once. Counted per collection: SQL statements sent (an
``executemany`` counts once), transactions committed, and the CPU time of the collecting
thread (the simulated server runs in other threads of this process: its CPU is shown
apart). The shops'
tokens are environment variables of this process, as in the service processes there. ``--profile``
prints the cProfile of the collections, heaviest first. Run:

    .venv/bin/python bench/collection_cost.py                     # PostgreSQL, 100 of 3,000
    .venv/bin/python bench/collection_cost.py --sqlite --profile 25

The shops are one client's accounts (as in bench/shared_collect.py), so the client has
``--accounts`` accounts on X; ``--collect`` of them are collected.
The figures in docs/maintainers/benchmarks.md ("Several processes") come from this script.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, func, select  # noqa: E402

from replywatch.collecting import collect_account  # noqa: E402
from replywatch.config import load_settings  # noqa: E402
from sandbox.x_api import XApiServer  # noqa: E402
from storage.engine import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import CollectionRun, Item  # noqa: E402
from tests.support.postgres import fresh_database  # noqa: E402
from tests.support.shops import add_shop_accounts, shop_environment, shops_world  # noqa: E402


def _measure(url: str, args: argparse.Namespace, folder: Path) -> dict:
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        accounts = add_shop_accounts(session, args.accounts)
    now = datetime.now(UTC).replace(microsecond=0)
    world = shops_world(args.accounts, now)
    statements: Counter[str] = Counter()
    commits = 0

    shown: list[str] = []

    def count_statement(conn, cursor, statement, parameters, context, executemany):
        statements[statement.split(None, 1)[0].upper()] += 1
        if args.statements and len(shown) < 200:
            shown.append(" ".join(statement.split())[: args.statements])

    def show_commit(conn):
        if args.statements and len(shown) < 200:
            shown.append("-- COMMIT")

    def count_commit(conn):
        nonlocal commits
        commits += 1

    checkouts = 0

    def count_checkout(dbapi_connection, record, proxy):
        nonlocal checkouts
        checkouts += 1

    with XApiServer(world) as x:
        # The shops' tokens are environment variables, as in the service processes of
        # bench/shared_collect.py (and of an installation that keeps them there).
        os.environ.update(shop_environment(args.accounts))
        env = {
            **os.environ,
            "XDG_CONFIG_HOME": str(folder / "config"),
            "REPLYWATCH_DATABASE_URL": url,
            "REPLYWATCH_X_API_URL": x.url,
        }
        settings = load_settings(env=env)
        chosen = accounts[: args.collect]
        # One collection first: imports, connections and compiled statements are warm.
        collect_account(engine, settings, chosen[0], now=now, env=env)
        event.listen(engine, "before_cursor_execute", count_statement)
        event.listen(engine, "commit", count_commit)
        event.listen(engine, "commit", show_commit)
        event.listen(engine.pool, "checkout", count_checkout)
        profiler = cProfile.Profile() if args.profile else None
        cpu = time.thread_time()
        process_cpu = time.process_time()
        wall = time.perf_counter()
        if profiler:
            profiler.enable()
        outcomes = Counter(
            collect_account(engine, settings, account_id, now=now, env=env).outcome
            for account_id in chosen[1:]
        )
        if profiler:
            profiler.disable()
        cpu = time.thread_time() - cpu
        process_cpu = time.process_time() - process_cpu
        wall = time.perf_counter() - wall
        event.remove(engine, "before_cursor_execute", count_statement)
        event.remove(engine, "commit", count_commit)
        event.remove(engine, "commit", show_commit)
        event.remove(engine.pool, "checkout", count_checkout)
        calls = len(x.calls)
    with engine.connect() as connection:
        items = connection.execute(select(func.count()).select_from(Item)).scalar_one()
        runs = connection.execute(select(func.count()).select_from(CollectionRun)).scalar_one()
    engine.dispose()
    collections = len(chosen) - 1
    if args.statements:
        print("\n".join(shown))
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.dump_stats(folder / "collections.prof")
        stats.sort_stats(args.sort).print_stats(args.profile)
        print(f"profile saved as {folder / 'collections.prof'}")
        print(out.getvalue())
    return {
        "collections": collections,
        "outcomes": dict(outcomes),
        "statements": sum(statements.values()) / collections,
        "kinds": {k: v / collections for k, v in statements.most_common()},
        "commits": commits / collections,
        "checkouts": checkouts / collections,
        "cpu_ms": cpu / collections * 1000,
        "server_ms": (process_cpu - cpu) / collections * 1000,
        "wall_ms": wall / collections * 1000,
        "calls": calls / len(chosen),
        "items": items,
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=3000, help="shops (accounts of a client)")
    parser.add_argument("--collect", type=int, default=101, help="how many are collected")
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--profile", type=int, default=0, help="print the N heaviest functions")
    parser.add_argument("--sort", default="cumulative", help="cProfile order (tottime, ...)")
    parser.add_argument(
        "--statements", type=int, default=0, help="print the first statements, N characters each"
    )
    parser.add_argument("--admin-url", help="a PostgreSQL admin URL (default: a throwaway cluster)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="replywatch-bench-cost-"))
    if args.sqlite:
        result = _measure(f"sqlite:///{folder / 'cost.sqlite'}", args, folder)
    elif args.admin_url:
        result = _measure(fresh_database(args.admin_url, "bench_cost"), args, folder)
    else:
        from tests.support.postgres import throwaway_cluster

        with throwaway_cluster() as admin_url:
            result = _measure(fresh_database(admin_url, "bench_cost"), args, folder)
    print(
        f"{'SQLite' if args.sqlite else 'PostgreSQL'}, {args.accounts} accounts of one client, "
        f"{result['collections']} first collections measured ({result['outcomes']}), "
        f"{result['calls']:.1f} API calls each"
    )
    print(f"statements per collection:     {result['statements']:.1f}  {result['kinds']}")
    print(f"commits per collection:        {result['commits']:.1f}")
    print(f"pool checkouts per collection: {result['checkouts']:.1f} (each pings: SELECT 1)")
    print(f"CPU ms per collection:         {result['cpu_ms']:.1f} (collecting thread)")
    print(f"CPU ms of the simulated X:     {result['server_ms']:.1f} (its threads, per collection)")
    print(f"wall ms per collection:        {result['wall_ms']:.1f}")


if __name__ == "__main__":
    main()
