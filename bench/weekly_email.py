"""Benchmark: rendering weekly emails (text, chart, MIME) and taking leases.

    python bench/weekly_email.py [--emails 50] [--database sqlite:////tmp/bench.db]

Prints seconds per email with one browser for the batch, the browser start, and lease
take/release round trips per second on the given database (default: a fresh SQLite
file). Results go into README.md, section "Measured".
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=50)
    parser.add_argument("--database")
    args = parser.parse_args()
    bench_emails(args.emails)
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    bench_leases(url)


if __name__ == "__main__":
    main()
