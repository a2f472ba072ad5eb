"""Several ``replywatch run`` on one PostgreSQL share the collections (issue 21.4).

The claim on an account is PostgreSQL's own row lock on its collection slot
(storage.collection_slots): ``SELECT … FOR UPDATE SKIP LOCKED`` hands each open slot to
one process, and a killed process's locks end with its connection. The end-to-end test
runs three real processes against the simulated X and kills one with SIGKILL while it
collects.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from sandbox.x_api import XApiServer
from storage import collection_slots
from storage.engine import make_engine, session_scope
from storage.leases import LeaseKeeper, collection_key, holder
from storage.models import CollectionRun, CollectionSlot, Item, Lease
from tests.support.cli import console_script, run_main
from tests.support.clock import ManualClock
from tests.support.factories import add_account, add_client
from tests.support.shops import add_shop_accounts, shop_environment, shop_posts, shops_world
from tests.support.test_clock import python_path

ROOT = Path(__file__).resolve().parents[1]
TTL = timedelta(seconds=30)


# Row locks are PostgreSQL's; SQLite keeps one collecting process (tests/test_service).
# These tests run on PostgreSQL only instead of being skipped on the SQLite half.
only_postgresql = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def postgres(database_url):
    assert database_url.startswith("postgresql"), "mark the test @only_postgresql"
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _accounts(engine, count: int) -> list[int]:
    with session_scope(engine) as session:
        client = add_client(session)
        return [add_account(session, client, "x", f"@shop{n}", str(100 + n)).id
                for n in range(count)]  # fmt: skip


def _open_all(engine, accounts: list[int], now: datetime) -> None:
    for account_id in accounts:
        assert collection_slots.open_slot(engine, account_id, now) == "opened"


@only_postgresql
def test_competing_workers_take_each_open_slot_once(postgres):
    accounts = _accounts(postgres, 12)
    now = datetime.now(UTC)
    _open_all(postgres, accounts, now)
    claims_engine = collection_slots.claim_engine(postgres)
    taken: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        while (claim := collection_slots.claim_next(claims_engine, TTL, now)) is not None:
            with lock:
                taken.append(claim.account_id)
            claim.finish(now, close_slot=True)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(taken) == accounts, "every open slot once, none twice"
    with postgres.connect() as connection:
        rows = connection.execute(select(CollectionSlot.opened_at, CollectionSlot.closed_at))
        assert {(opened, closed) for opened, closed in rows} == {(None, now)}


@only_postgresql
def test_a_held_slot_is_skipped_and_a_dead_holders_slot_is_free_at_once(postgres):
    first, second = _accounts(postgres, 2)
    now = datetime.now(UTC)
    _open_all(postgres, [first, second], now)
    claims_engine = collection_slots.claim_engine(postgres)
    held = collection_slots.claim_next(claims_engine, TTL, now)
    assert held is not None and held.account_id == first
    other = collection_slots.claim_next(claims_engine, TTL, now)
    assert other is not None and other.account_id == second, "the locked slot is skipped"
    assert collection_slots.claim_next(claims_engine, TTL, now) is None
    # The scheduler opening a slot that is being collected does not wait for the lock.
    assert collection_slots.open_slot(postgres, first, now) == "being collected"
    other.give_back()  # a collection that failed on the database: the slot stays open
    assert collection_slots.open_slot(postgres, second, now) == "already open"

    # The holder's connection dies (its process was killed): PostgreSQL ends the lock.
    pid = held.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with postgres.connect() as connection:
        assert connection.scalar(text(f"SELECT pg_terminate_backend({int(pid)})"))
    taken = set()
    for _ in range(2):
        claim = collection_slots.claim_next(claims_engine, TTL, now)
        assert claim is not None
        taken.add(claim.account_id)
        claim.finish(now, close_slot=True)
    assert taken == {first, second}


@only_postgresql
def test_a_slot_served_by_a_run_whose_collector_died_before_closing_it_is_not_collected_again(
    postgres,
):
    first, second = _accounts(postgres, 2)
    now = datetime.now(UTC)
    with session_scope(postgres) as session:  # collected before the slots opened
        session.add(CollectionRun(account_id=first, started_at=now, outcome="ok"))
    _open_all(postgres, [first, second], now)
    with session_scope(postgres) as session:
        # After the slots opened: a run of the first account finished (its process died
        # before closing the slot); one of the second was left running (killed mid-run).
        session.add(CollectionRun(account_id=first, started_at=now, outcome="partial"))
        session.add(CollectionRun(account_id=second, started_at=now, outcome="running"))
    claims_engine = collection_slots.claim_engine(postgres)
    claim = collection_slots.claim_next(claims_engine, TTL, now)
    assert claim is not None and claim.account_id == second, "the first was served"
    claim.give_back()
    with postgres.connect() as connection:
        slots = dict(connection.execute(select(CollectionSlot.account_id,
                                               CollectionSlot.opened_at)).all())  # fmt: skip
    assert slots == {first: None, second: now}


@only_postgresql
def test_a_stale_claim_record_of_a_dead_holder_is_taken_at_once_on_postgresql(postgres):
    (account_id,) = _accounts(postgres, 1)
    clock = ManualClock()
    key = collection_key(account_id)
    # A process on another machine was killed while collecting: its record says it holds
    # the account for another 25 minutes, but its row lock went with its connection.
    with postgres.begin() as connection:
        connection.execute(
            Lease.__table__.insert().values(
                key=key,
                owner="service@other-host:4242:0badcafe",
                acquired_at=clock.now(),
                expires_at=clock.now() + timedelta(minutes=25),
            )
        )
    keeper = LeaseKeeper(postgres, TTL, owner="next", clock=clock)
    assert keeper.try_acquire(key)
    with postgres.connect() as connection:
        assert holder(connection, key, clock.now()).owner == "next"
    # While it collects, nobody else gets the account, stale record or not.
    rival = LeaseKeeper(postgres, TTL, owner="rival", clock=clock)
    clock.advance(hours=1)
    assert not rival.try_acquire(key)
    keeper.release(key)
    assert rival.try_acquire(key)
    rival.release_all()


def test_the_collect_job_opens_the_slot_on_postgresql_and_collects_itself_on_sqlite(engine):
    from replywatch import jobs
    from replywatch.service import Service
    from tests.support.settings import settings_for

    (account_id,) = _accounts(engine, 1)
    settings = settings_for(engine.url.render_as_string(hide_password=False))
    work = jobs.Work(collect="tests.support.service_work:record_collection",
                     refresh_rollups="tests.support.service_work:record_rollup")  # fmt: skip
    service = Service(engine, settings, work=work, clock=ManualClock())
    jobs.install(service.runtime)
    try:
        jobs.collect(account_id)
    finally:
        jobs.uninstall()
        service.leases.release_all()
    with engine.connect() as connection:
        runs = connection.scalar(select(func.count()).select_from(CollectionRun))
        slots = connection.execute(select(CollectionSlot.account_id, CollectionSlot.opened_at))
        opened = {account: at is not None for account, at in slots}
    if engine.dialect.name == "postgresql":
        # Every process's workers share it: the job itself collects nothing.
        assert service.workers is not None and service.workers.count == 4
        assert (runs, opened) == (0, {account_id: True})
    else:
        # SQLite: one process collects, in its job, as before; no slots.
        assert service.workers is None
        assert (runs, opened) == (1, {})


# --- three real processes -------------------------------------------------------------

SHOPS = 36
WORKERS = 2
LEASE_SECONDS = 30


def _start(name: str, env: dict[str, str], folder: Path) -> tuple[subprocess.Popen, Path]:
    log = folder / f"{name}.log"
    handle = log.open("w")
    process = subprocess.Popen([console_script(), "run"], cwd=ROOT, env=env, stdout=handle,
                               stderr=subprocess.STDOUT)  # fmt: skip
    handle.close()
    return process, log


def _collected(log: Path, what: str) -> set[int]:
    return {int(n) for n in re.findall(rf"collection of account (\d+) {what}", log.read_text())}


def _wait(condition, what: str, timeout: float = 180.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} not reached in time"
        time.sleep(0.05)


def _leader(engine) -> str | None:
    with engine.connect() as connection:
        info = holder(connection, "service:scheduler", datetime.now(UTC))
    return info.owner if info else None


@only_postgresql
@pytest.mark.slow  # three services, 36 collections with 100 ms per call: about 20 s
def test_three_processes_share_the_accounts_and_take_over_from_a_killed_one(
    postgres, database_url, tmp_path
):
    now = datetime.now(UTC).replace(microsecond=0)
    world = shops_world(SHOPS, now)
    with session_scope(postgres) as session:
        accounts = add_shop_accounts(session, SHOPS)
    processes: dict[str, tuple[subprocess.Popen, Path]] = {}
    with XApiServer(world) as x:
        x.inject(r".", kind="slow", delay=0.1, times=-1)  # every call takes 100 ms
        env = {
            **os.environ, **shop_environment(SHOPS),
            "PYTHONPATH": python_path(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "REPLYWATCH_DATABASE_URL": database_url, "REPLYWATCH_X_API_URL": x.url,
            "REPLYWATCH_SERVICE_WORKERS": str(WORKERS),
            "REPLYWATCH_SERVICE_LEASE_SECONDS": str(LEASE_SECONDS),
            "REPLYWATCH_SERVICE_RECONCILE_SECONDS": "1", "REPLYWATCH_COLLECT_JITTER": "0",
        }  # fmt: skip
        try:
            for name in ("first", "second", "third"):
                processes[name] = _start(name, env, tmp_path)
            _wait(lambda: _leader(postgres) is not None, "a leader")
            leader_pid = _leader(postgres).split(":")[1]
            victim = next(n for n, (p, _) in processes.items() if str(p.pid) == leader_pid)
            process, log = processes[victim]

            # Kill the leader with SIGKILL while it collects (and after it finished some).
            def in_flight() -> set[int]:
                return _collected(log, "started") - _collected(log, "finished")

            _wait(lambda: _collected(log, "finished") and in_flight(), "the leader collecting")
            killed_at = datetime.now(UTC)  # runs that start later start after the kill
            process.send_signal(signal.SIGKILL)
            process.wait(30)
            interrupted = in_flight()
            assert interrupted, "the leader was killed in the middle of a collection"
            with postgres.connect() as connection:
                stale = {
                    account_id: holder(connection, collection_key(account_id), now)
                    for account_id in interrupted
                }

            survivors = {n: pl for n, pl in processes.items() if n != victim}

            def collected_by_survivors() -> set[int]:
                return set().union(*(_collected(log, "finished") for _, log in survivors.values()))

            def all_collected() -> bool:
                with postgres.connect() as connection:
                    done = connection.scalar(
                        select(func.count(func.distinct(CollectionRun.account_id))).where(
                            CollectionRun.outcome == "ok"
                        )
                    )
                    still_due = connection.scalar(
                        select(func.count()).where(CollectionSlot.opened_at.is_not(None))
                    )
                return done == SHOPS and still_due == 0

            _wait(all_collected, "every account collected")
            # A standby took the lead (the dead leader's lease ran out).
            _wait(lambda: (_leader(postgres) or "").split(":")[1:2] != [leader_pid], "a new leader",
                  timeout=LEASE_SECONDS * 3)  # fmt: skip
            for name, (survivor, _) in survivors.items():
                survivor.send_signal(signal.SIGTERM)
                assert survivor.wait(90) == 0, name
        finally:
            for process, _ in processes.values():
                if process.poll() is None:
                    process.kill()
                    process.wait(30)

    with session_scope(postgres) as session:
        runs = session.execute(
            select(CollectionRun.account_id, CollectionRun.outcome, CollectionRun.started_at)
        ).all()
        stored = {
            account_id: set(session.scalars(
                select(Item.platform_item_id).where(Item.account_id == account_id)))
            for account_id in accounts
        }  # fmt: skip
    # Each account collected in its one slot exactly once; the only other runs are the
    # dead process's (those it had begun to record), marked so by the run that took over.
    assert Counter(a for a, outcome, _ in runs if outcome == "ok") == Counter(accounts)
    assert {a for a, outcome, _ in runs if outcome != "ok"} <= interrupted
    assert {outcome for _, outcome, _ in runs} <= {"ok", "interrupted"}
    # What the dead process was collecting was taken over within the lease time (before
    # its claim record ran out), unless its run had just finished: then the next process
    # saw the finished run and only closed the slot.
    survivor_logs = "".join(log.read_text() for _, log in survivors.values())
    for account_id in interrupted:
        (started,) = [s for a, outcome, s in runs if a == account_id and outcome == "ok"]
        if started >= killed_at:
            assert account_id in collected_by_survivors()
            assert stale[account_id] is not None
            assert started < stale[account_id].expires_at
        else:
            assert f"the due collection of account {account_id} was done already" in survivor_logs
    # No item lost, the interrupted accounts' included.
    for number, account_id in enumerate(accounts):
        assert stored[account_id] == shop_posts(world, number), f"account {account_id}"
    # The work was shared: every process collected accounts.
    logs = {name: log for name, (_, log) in processes.items()}
    shares = {name: len(_collected(log, "finished")) for name, log in logs.items()}
    assert all(count >= 1 for count in shares.values()), shares
    finished = Counter()
    for log in logs.values():
        finished.update(_collected(log, "finished"))
    assert max(finished.values()) == 1, "an account was collected by two processes"
    for name, log in logs.items():
        assert "Traceback" not in log.read_text(), name
    with postgres.connect() as connection:
        # Only the dead process's records remain (they run out); the others gave theirs back.
        owners = set(connection.scalars(select(Lease.owner)))
        assert {owner.split(":")[1] for owner in owners} <= {leader_pid}
        open_slots = connection.scalar(
            select(func.count()).where(CollectionSlot.opened_at.is_not(None))
        )
    assert open_slots == 0


@only_postgresql
def test_status_says_how_many_collections_wait_for_a_collector(
    postgres, database_url, monkeypatch, tmp_path, capsys
):
    accounts = _accounts(postgres, 3)
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)

    def status_line() -> str:
        shown = run_main(capsys, "status")
        assert shown.code == 0, shown.err
        return next(line for line in shown.out.splitlines() if "Collections due" in line)

    assert status_line() == "Collections due: none waiting."
    earlier = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
    _open_all(postgres, accounts[:2], earlier)
    collection_slots.open_slot(postgres, accounts[2], earlier + timedelta(hours=1))
    assert status_line() == (
        "Collections due: 3 accounts waiting for a collector, the longest since "
        "2026-11-23 06:00 UTC."
    )
    with collection_slots.claim_engine(postgres).connect() as held:
        # one being collected (its row locked) still counts as due until it is closed
        held.execute(text("SELECT 1 FROM collection_slots WHERE account_id = :a FOR UPDATE"),
                     {"a": accounts[0]})  # fmt: skip
        assert "3 accounts" in status_line()
