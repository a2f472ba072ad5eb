"""A separate process that competes for one lease: ``python -m tests.support.lease_worker``.

While it holds the lease it creates a marker file with O_EXCL; if the marker already
exists, another process is inside the same critical section and a violation is written.
With ``--no-lease`` it skips the lease, which shows that the check can fail.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

from storage.engine import make_engine
from storage.leases import LeaseKeeper


def critical_section(marker: Path, violations: Path) -> None:
    try:
        descriptor = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        with violations.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        time.sleep(0.01)
        return
    try:
        time.sleep(0.01)  # the "work": long enough for the other process to try
    finally:
        os.close(descriptor)
        os.unlink(marker)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--no-lease", action="store_true")
    parser.add_argument("--hold", action="store_true", help="take the lease, say so, then wait")
    args = parser.parse_args()

    engine = make_engine(args.database_url)
    keeper = LeaseKeeper(engine, ttl=timedelta(seconds=30), owner=f"worker-{os.getpid()}")
    if args.hold:
        assert keeper.try_acquire("collect:account:1")
        keeper.start_renewing()
        print("holding", flush=True)
        time.sleep(600)
        return 0

    # Both workers start together: say we are ready (imports and the engine take seconds on
    # a busy machine), then wait for the go file, so that the two really overlap.
    (args.folder / f"ready-{os.getpid()}").touch()
    while not (args.folder / "go").exists():
        time.sleep(0.005)
    taken = 0
    for _ in range(args.rounds):
        if args.no_lease:
            critical_section(args.folder / "marker", args.folder / "violations")
            taken += 1
            continue
        with keeper.hold("collect:account:1") as held:
            if held:
                taken += 1
                critical_section(args.folder / "marker", args.folder / "violations")
        time.sleep(0.002)
    (args.folder / f"taken-{os.getpid()}").write_text(str(taken))
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
