"""Benchmark: collections shared by 1, 2 and 4 ``replywatch run`` processes on one PostgreSQL.

Each round starts with a fresh database holding ``--accounts`` shops on the simulated X
(tests/support/shops.py: one post, a customer's question and the shop's answer each; six
API calls per first collection) whose every call is answered after ``--delay`` seconds.
N real ``replywatch run`` processes are started at once with ``--workers`` collection
workers each; the leader opens every account's slot (jitter 0) and all processes take
slots with ``SELECT … FOR UPDATE SKIP LOCKED`` until every account has a finished run.
Throughput is finished collections per second between the first run's start and the
end of the round (the process start-up before that is reported apart). A round ends when
every account is collected, or ``--window`` seconds after the first collection started
(the default, 120 s: draining 3,000 accounts with one process takes over 10 minutes on
the 2-core machine); the processes then stop as in production (SIGTERM: running
collections finish, nothing more starts). ``--window 0`` always drains every account.
Besides the processes' CPU the table shows this script's own in the round: nearly all of
it the simulated X answering every process's calls (one Python process on the same
cores).

By default the processes are the real service with the real collection, but with the
metrics refresh after each collection replaced by clearing its dirty marks
(tests/support/service_process.py): the refresh is one global statement set whose cost
grows with the stored data, not with the number of processes, and bench/metrics.py
measures it; here it would take most of the CPU of the 2-core machine and measure the
refresh instead of the sharing. ``--refresh`` runs ``replywatch run`` unchanged. Run:

    .venv/bin/python bench/shared_collect.py                      # 3,000 accounts, 1/2/4
    .venv/bin/python bench/shared_collect.py --accounts 300 --processes 1 2

The figures in docs/maintainers/benchmarks.md ("Several processes") come from this script.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from sandbox.x_api import XApiServer  # noqa: E402
from storage.engine import make_engine, session_scope  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import CollectionRun  # noqa: E402
from tests.support.cli import console_script  # noqa: E402
from tests.support.postgres import fresh_database  # noqa: E402
from tests.support.shops import add_shop_accounts, shop_environment, shops_world  # noqa: E402

FINISHED = ("ok", "partial", "failed", "rate_limited", "credentials")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _own_cpu() -> float:
    """This process's CPU: almost all of it the simulated X's threads answering."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _command(args: argparse.Namespace) -> list[str]:
    if args.refresh:
        return [console_script(), "run"]
    return [
        sys.executable,
        "-m",
        "tests.support.service_process",
        "--collect",
        "replywatch.collecting:collect_account",
        "--rollup",
        "tests.support.service_work:record_rollup",
    ]


def _round(admin_url: str, processes: int, args: argparse.Namespace, world, folder: Path) -> dict:
    url = fresh_database(admin_url, f"bench_shared_{processes}")
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        add_shop_accounts(session, args.accounts)
    with XApiServer(world) as x:
        x.inject(r".", kind="slow", delay=args.delay, times=-1)
        env = {
            **os.environ,
            **shop_environment(args.accounts),
            "PYTHONPATH": str(ROOT),
            "XDG_CONFIG_HOME": str(folder / "config"),
            "REPLYWATCH_DATABASE_URL": url,
            "REPLYWATCH_X_API_URL": x.url,
            "REPLYWATCH_SERVICE_WORKERS": str(args.workers),
            "REPLYWATCH_COLLECT_JITTER": "0",
            "REPLYWATCH_SERVICE_RECONCILE_SECONDS": "30",
        }
        cpu_before, server_before = _children_cpu(), _own_cpu()
        started = time.perf_counter()
        launched = datetime.now(UTC)
        running = []
        for number in range(processes):
            log = (folder / f"run-{processes}-{number}.log").open("w")
            running.append(
                subprocess.Popen(
                    _command(args), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                )
            )
        try:
            while True:
                with engine.connect() as connection:
                    done, first = connection.execute(
                        select(
                            func.count(func.distinct(CollectionRun.account_id)).filter(
                                CollectionRun.outcome.in_(FINISHED)
                            ),
                            func.min(CollectionRun.started_at),
                        )
                    ).one()
                if done >= args.accounts:
                    break
                elapsed = (datetime.now(UTC) - first).total_seconds() if first else 0.0
                if args.window and elapsed >= args.window:
                    break
                if any(process.poll() is not None for process in running):
                    raise SystemExit(f"a replywatch run ended early; see {folder}")
                time.sleep(0.5)
            wall = time.perf_counter() - started
        finally:
            for process in running:
                process.send_signal(signal.SIGTERM)
            for process in running:
                process.wait(timeout=120)
        cpu, server = _children_cpu() - cpu_before, _own_cpu() - server_before
        calls = len(x.calls)
    with engine.connect() as connection:
        first, last, runs, ok = connection.execute(
            select(
                func.min(CollectionRun.started_at),
                func.max(CollectionRun.finished_at),
                func.count(),
                func.count().filter(CollectionRun.outcome == "ok"),
            )
        ).one()
        per_account = connection.execute(
            select(func.count()).select_from(CollectionRun).group_by(CollectionRun.account_id)
        ).scalars()
        twice = sum(1 for count in per_account if count > 1)
    engine.dispose()
    seconds = (last - first).total_seconds()
    return {
        "processes": processes,
        "seconds": seconds,
        "rate": ok / seconds,
        "wall": wall,
        "startup": (first - launched).total_seconds(),
        "runs": runs,
        "ok": ok,
        "twice": twice,
        "calls": calls,
        "cpu": cpu,
        "server": server,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=3000)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--workers", type=int, default=4, help="collection workers per process")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds per API answer")
    parser.add_argument(
        "--window",
        type=float,
        default=120.0,
        help="end a round this many seconds after its first collection (0: drain every account)",
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="refresh the metrics after each collection, as in production",
    )
    parser.add_argument("--admin-url", help="a PostgreSQL admin URL (default: a throwaway cluster)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="replywatch-bench-shared-"))
    now = datetime.now(UTC).replace(microsecond=0)
    world = shops_world(args.accounts, now)
    rows = []
    if args.admin_url:
        rows = [_round(args.admin_url, n, args, world, folder) for n in args.processes]
    else:
        from tests.support.postgres import throwaway_cluster

        with throwaway_cluster() as admin_url:
            rows = [_round(admin_url, n, args, world, folder) for n in args.processes]

    base = rows[0]["rate"]
    print(
        f"{args.accounts} accounts, {args.workers} workers per process, "
        f"{args.delay * 1000:.0f} ms per API call, refresh after each collection: "
        f"{'yes' if args.refresh else 'no (dirty marks cleared)'}; logs in {folder}"
    )
    print(
        "| processes | collecting s | accounts/s | ratio | start-up s | runs | ok "
        "| collected twice | API calls | CPU s (processes) | CPU ms per collection "
        "| CPU s (simulated X) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['processes']} | {row['seconds']:.1f} | {row['rate']:.1f} "
            f"| {row['rate'] / base:.2f}x | {row['startup']:.1f} | {row['runs']} | {row['ok']} "
            f"| {row['twice']} | {row['calls']} | {row['cpu']:.0f} "
            f"| {row['cpu'] / max(row['runs'], 1) * 1000:.0f} | {row['server']:.0f} |"
        )


if __name__ == "__main__":
    main()
