"""Leases: atomic take / renew / release, expiry, and exclusion between real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storage import leases
from storage.leases import LeaseKeeper
from storage.models import Lease
from tests.support.clock import ManualClock
from tests.support.test_clock import python_path

ROOT = Path(__file__).resolve().parents[1]
TTL = timedelta(minutes=2)


def test_take_renew_release_and_expiry(engine):
    clock = ManualClock()
    first = LeaseKeeper(engine, TTL, owner="first", clock=clock)
    second = LeaseKeeper(engine, TTL, owner="second", clock=clock)

    assert first.try_acquire("collect:account:1")
    assert not second.try_acquire("collect:account:1")
    assert not first.try_acquire("collect:account:1"), "a lease is not re-entrant"
    assert second.try_acquire("collect:account:2"), "other keys are independent"

    with engine.connect() as connection:
        info = leases.holder(connection, "collect:account:1", clock.now())
    assert info is not None and info.owner == "first"
    assert info.expires_at == clock.now() + TTL

    # Renewing pushes the end out; the other process still cannot take it.
    clock.advance(minutes=1, seconds=50)
    assert first.renew_now() == set()
    clock.advance(minutes=1, seconds=50)
    assert not second.try_acquire("collect:account:1")

    # The holder stops renewing (killed): once the time is up, the other takes over ...
    clock.advance(TTL)
    assert second.try_acquire("collect:account:1")
    # ... and the first learns at its next renewal that the lease is gone.
    lost: list[str] = []
    first.on_lost = lost.append
    assert first.renew_now() == {"collect:account:1"}
    assert lost == ["collect:account:1"] and not first.is_held("collect:account:1")

    # Releasing needs the right owner.
    with engine.begin() as connection:
        assert not leases.release(connection, "collect:account:1", "first")
    second.release("collect:account:1")
    assert first.try_acquire("collect:account:1")
    first.release_all()
    with engine.connect() as connection:
        owners = connection.execute(select(Lease.owner).order_by(Lease.key)).scalars().all()
    assert owners == ["second"]


def test_an_expired_lease_nobody_took_can_still_be_renewed(engine):
    clock = ManualClock()
    keeper = LeaseKeeper(engine, TTL, owner="slow", clock=clock)
    assert keeper.try_acquire("rollup:account:3")
    clock.advance(TTL * 2)
    assert keeper.renew_now() == set()
    assert keeper.is_held("rollup:account:3")


def test_hold_gives_the_lease_back_on_errors(engine):
    clock = ManualClock()
    keeper = LeaseKeeper(engine, TTL, owner="one", clock=clock)
    with pytest.raises(RuntimeError), keeper.hold("email:digest") as taken:
        assert taken
        raise RuntimeError("boom")
    with engine.connect() as connection:
        assert leases.holder(connection, "email:digest", clock.now()) is None


def test_threads_racing_for_one_key_get_it_once(engine):
    clock = ManualClock()
    keepers = [LeaseKeeper(engine, TTL, owner=f"t{n}", clock=clock) for n in range(6)]
    barrier = threading.Barrier(len(keepers))
    results: list[bool] = []

    def race(keeper: LeaseKeeper) -> None:
        barrier.wait()
        results.append(keeper.try_acquire("scheduler"))

    threads = [threading.Thread(target=race, args=(k,)) for k in keepers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]


def _worker(database_url: str, folder: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.lease_worker", database_url, str(folder), *extra],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": python_path(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )


def _race(database_url: str, folder: Path, *extra: str) -> tuple[list[int], str]:
    folder.mkdir()
    workers = [_worker(database_url, folder, *extra) for _ in range(2)]
    deadline = time.monotonic() + 120
    while len(list(folder.glob("ready-*"))) < 2:  # both started, whatever the machine's load
        assert time.monotonic() < deadline and all(w.poll() is None for w in workers)
        time.sleep(0.02)
    (folder / "go").touch()
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    taken = [int(p.read_text()) for p in folder.glob("taken-*")]
    violations = folder / "violations"
    return taken, violations.read_text() if violations.exists() else ""


def test_two_processes_never_hold_the_same_lease_at_once(database_url, tmp_path):
    taken, violations = _race(database_url, tmp_path / "leased")
    assert violations == ""
    assert len(taken) == 2 and min(taken) >= 1, taken  # both really worked ...
    assert sum(taken) < 80, taken  # ... and were refused while the other held the lease


def test_the_process_check_detects_overlap_without_leases(database_url, tmp_path):
    # Without the lease the same two processes do collide: the check above can fail.
    _, violations = _race(database_url, tmp_path / "unleased", "--no-lease", "--rounds", "100")
    assert violations != ""


def test_lease_of_a_killed_process_expires(database_url, engine, tmp_path):
    holder = _worker(database_url, tmp_path, "--hold")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        clock = ManualClock()
        with engine.connect() as connection:
            info = leases.holder(connection, "collect:account:1", leases.SYSTEM_CLOCK.now())
        assert info is not None and info.owner == f"worker-{holder.pid}"
        clock.set(info.acquired_at)
        other = LeaseKeeper(engine, TTL, owner="survivor", clock=clock)
        assert not other.try_acquire("collect:account:1")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    # Nobody renews any more: after the holder's 30 s lease the key is free again.
    clock.set(info.expires_at)
    assert other.try_acquire("collect:account:1")


def test_a_collection_claim_of_an_ended_process_is_taken_at_once(engine):
    """`replywatch collect` after a collector was killed on this machine: its claim names
    a process that has ended, so it is taken at once (the run resumes from its cursors);
    a claim of a running process, and leadership, still wait for the lease to expire."""
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait(timeout=30)
    clock = ManualClock()
    gone = LeaseKeeper(engine, TTL, owner=leases.new_owner("collect").replace(
        f":{os.getpid()}:", f":{ended.pid}:"), clock=clock)  # fmt: skip
    alive = LeaseKeeper(engine, TTL, owner=leases.new_owner("collect"), clock=clock)
    assert leases.owner_alive(gone.owner) is False and leases.owner_alive(alive.owner) is True
    assert gone.try_acquire("collect:account:1") and gone.try_acquire("service:leader")
    assert alive.try_acquire("collect:account:2")

    later = LeaseKeeper(engine, TTL, owner=leases.new_owner("collect"), clock=clock)
    assert later.try_acquire("collect:account:1")  # its holder has ended
    assert not later.try_acquire("collect:account:2")  # its holder runs
    assert not later.try_acquire("service:leader")  # leadership waits for expiry
    with engine.connect() as connection:
        assert leases.holder(connection, "collect:account:1", clock.now()).owner == later.owner
    assert gone.renew_now() == {"collect:account:1"}  # what the ended holder lost
