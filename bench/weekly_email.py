"""Benchmark: building, rendering and sending weekly emails; taking leases.

    python bench/weekly_email.py [--emails 50] [--database sqlite:////tmp/bench.db]
    python bench/weekly_email.py --portfolio 100000 [--database postgresql://…]

Prints seconds per email with one browser for the batch, the browser start, and lease
take/release round trips per second on the given database (default: a fresh SQLite
file). ``--portfolio N`` instead loads N items over 1,000 accounts (about 300 clients,
the activity of bench/metrics.py), computes the metrics, and measures what the Monday
morning costs: building owners' snapshots from the metrics API, the consultant's digest
across every client, and rendering those with their charts. Results go into README.md,
section "Measured".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reports.chart import ChartRenderer
from reports.message import message_bytes, weekly_message
from reports.render import render
from storage.engine import make_engine
from storage.leases import LeaseKeeper
from storage.migrate import upgrade
from tests.support.snapshots import digest_snapshot, owner_snapshot


def bench_emails(count: int) -> None:
    snapshots = [owner_snapshot("de" if n % 2 else "en") for n in range(count - 1)]
    snapshots.append(digest_snapshot("en"))
    started = time.perf_counter()
    for snapshot in snapshots:
        render(snapshot, "cid@bench")
    text_only = (time.perf_counter() - started) / len(snapshots)

    started = time.perf_counter()
    with ChartRenderer() as charts:
        first = time.perf_counter()
        sizes = []
        per_email = []
        for snapshot in snapshots:
            one = time.perf_counter()
            message = weekly_message(snapshot, charts, sender="bench@replywatch.example")
            sizes.append(len(message_bytes(message)))
            per_email.append(time.perf_counter() - one)
    total = time.perf_counter() - started
    print(f"emails: {len(snapshots)}")
    print(f"text and HTML only: {text_only * 1000:.1f} ms per email")
    print(f"first email incl. browser start: {per_email[0] + (first - started):.2f} s")
    print(f"further emails with chart: median {statistics.median(per_email[1:]) * 1000:.0f} ms")
    size = statistics.median(sizes) / 1024
    print(f"whole batch: {total:.1f} s; message size median {size:.0f} KiB")


def bench_leases(url: str, rounds: int = 500) -> None:
    engine = make_engine(url)
    upgrade(engine)
    keeper = LeaseKeeper(engine, timedelta(minutes=2))
    started = time.perf_counter()
    for n in range(rounds):
        assert keeper.try_acquire(f"bench:{n % 20}")
        keeper.release(f"bench:{n % 20}")
    elapsed = time.perf_counter() - started
    print(f"leases on {engine.dialect.name}: {rounds / elapsed:.0f} take+release per second")
    engine.dispose()


def bench_builder(url: str, items: int, owners: int = 30) -> None:
    from sqlalchemy import select

    from bench.metrics import END, load
    from metrics import api
    from metrics.periods import week_of
    from reports.builder import build_snapshot
    from reports.delivery import SnapshotRequest
    from storage.engine import session_scope
    from storage.models import Client

    loaded = load(url, items, seed=7)
    print(f"loaded {loaded['items']} items in {loaded['load_seconds']:.1f} s")
    now = END + timedelta(hours=6)  # Monday morning after the last generated week
    engine = make_engine(url)
    with session_scope(engine) as session:
        started = time.perf_counter()
        api.rebuild(session, now=now)
        print(f"metrics rebuilt in {time.perf_counter() - started:.1f} s (not email work)")
    week = week_of((END - timedelta(days=1)).date())

    def request(scope: str, client_ids: tuple[int, ...], language: str) -> SnapshotRequest:
        return SnapshotRequest(
            delivery_id=None, recipient="bench@replywatch.example", recipient_name=None,
            user_id=None, language=language, scope=scope, client_ids=client_ids, week=week,
            generated_at=now,
            dashboard_url="https://replywatch.example/",
        )  # fmt: skip

    with session_scope(engine) as session:
        client_ids = tuple(session.scalars(select(Client.id).order_by(Client.name)))
        times = []
        for client_id in client_ids[:owners]:
            one = time.perf_counter()
            build_snapshot(session, request(f"client:{client_id}", (client_id,), "en"))
            times.append(time.perf_counter() - one)
        started = time.perf_counter()
        digest = build_snapshot(session, request("digest", client_ids, "de"))
        digest_seconds = time.perf_counter() - started
    print(f"owner snapshot from the metrics: median {statistics.median(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms ({len(times)} clients)")  # fmt: skip
    print(f"digest of {len(client_ids)} clients from the metrics: {digest_seconds:.2f} s")
    with ChartRenderer() as charts:
        started = time.perf_counter()
        message = weekly_message(digest, charts, sender="bench@replywatch.example")
        size = len(message_bytes(message)) / 1024
    print(f"digest rendered with its chart: {time.perf_counter() - started:.2f} s, {size:.0f} KiB")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=50)
    parser.add_argument("--database")
    parser.add_argument("--portfolio", type=int, metavar="ITEMS")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    if args.portfolio:
        bench_builder(url, args.portfolio)
        return
    bench_emails(args.emails)
    bench_leases(url)


if __name__ == "__main__":
    main()
