"""Speed and memory of the activity generator.

    python bench/generator.py                 # 1e5 and 1e6 items, both orders, the demo
    python bench/generator.py --sizes 1e7     # other sizes
    python bench/generator.py --one 1e6 time  # one measurement (what the others run)

Each measurement runs in a fresh process, so that its peak resident memory (ru_maxrss) is
its own; the table shows it next to the memory of the same process after the imports
(the difference is what the generation needed). Items per second count items only; the
likes the stream yields as well are shown apart. CPU seconds are shown next to the wall
clock because the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure_stream(items: int, order: str) -> dict[str, object]:
    from sandbox.generator.stream import StreamItem, StreamSpec, stream_activity

    baseline = _rss_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    count = likes = 0
    for event in stream_activity(StreamSpec(items=items, accounts=1000), order=order):
        if type(event) is StreamItem:
            count += 1
        else:
            likes += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "what": f"stream {items:.0e} items, {order} order",
        "items": count,
        "likes": likes,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "items_per_s": round(count / wall),
        "items_per_cpu_s": round(count / cpu),
        "peak_mib": round(_rss_mib(), 1),
        "baseline_mib": round(baseline, 1),
    }


def measure_demo() -> dict[str, object]:
    from sandbox.generator import generate_demo

    baseline = _rss_mib()
    wall, cpu = time.perf_counter(), time.process_time()
    activity = generate_demo(now=datetime(2026, 11, 18, 9, 30, tzinfo=UTC))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    posts = sum(len(world.posts) for world in activity.worlds.values())
    likes = sum(len(p.likes) for world in activity.worlds.values() for p in world.posts.values())
    return {
        "what": "demo portfolio, 13 weeks",
        "items": posts,
        "likes": likes,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "items_per_s": round(posts / wall),
        "items_per_cpu_s": round(posts / cpu),
        "peak_mib": round(_rss_mib(), 1),
        "baseline_mib": round(baseline, 1),
    }


def _run_one(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--one", *args], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["1e5", "1e6"])
    parser.add_argument("--orders", nargs="+", default=["time", "account"])
    parser.add_argument("--one", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        if args.one[0] == "demo":
            print(json.dumps(measure_demo()))
        else:
            print(json.dumps(measure_stream(int(float(args.one[0])), args.one[1])))
        return
    rows = [_run_one("demo")]
    for size in args.sizes:
        for order in args.orders:
            rows.append(_run_one(size, order))
            print(f"done: {rows[-1]['what']}", file=sys.stderr)
    print("| what | items | likes | wall s | CPU s | items/s (wall) | items/s (CPU) |", end="")
    print(" peak MiB (after imports) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['what']} | {row['items']:,} | {row['likes']:,} | {row['wall_s']} "
            f"| {row['cpu_s']} | {row['items_per_s']:,} | {row['items_per_cpu_s']:,} "
            f"| {row['peak_mib']} ({row['baseline_mib']}) |"
        )


if __name__ == "__main__":
    main()
