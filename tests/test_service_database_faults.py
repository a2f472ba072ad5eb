"""The service on a database that is locked or away for a while (issue 18.1).

Before, a write lock held longer than the lock timeout killed APScheduler's thread while
the process went on renewing its leader lease: `status` said "running" and no standby
took over. Now the scheduler's loop outlives the fault and says so, the leader writes a
heartbeat only while its scheduler works, and `status` shows "running" only while that
heartbeat is fresh.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import select

from replywatch import jobs
from replywatch.cli.status import service_line
from replywatch.jobs import Runtime, Work
from replywatch.service import (
    HEARTBEAT_KEY,
    SCHEDULER_LEASE,
    Service,
    make_scheduler,
    stop_scheduler,
)
from storage import leases
from storage.engine import make_engine, session_factory, session_scope
from storage.leases import LeaseKeeper
from storage.models import CollectionRun
from tests.support.clock import ManualClock
from tests.support.factories import add_account, add_client
from tests.support.settings import settings_for

TICKS: list[float] = []
TEST_WORK = Work(
    collect="tests.support.service_work:record_collection",
    refresh_rollups="tests.support.service_work:record_rollup",
    build_snapshot="tests.support.snapshots:build_for_request",
)


def tick() -> None:
    """The job: one mark per run (a module-level function, as the job store wants)."""
    TICKS.append(time.monotonic())


def _wait(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


@pytest.mark.slow  # starts processes or a browser; keeps the quick subset quick
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_scheduler_outlives_a_locked_job_table(database_url):
    # The service's engine, with a short lock timeout in place of SQLite's 30 s busy wait.
    engine = make_engine(database_url, connect_args={"options": "-c lock_timeout=300"})
    scheduler = make_scheduler(engine, settings_for(database_url))
    scheduler.start()
    try:
        TICKS.clear()
        scheduler.add_job(tick, "interval", seconds=0.5, id="tick")
        _wait(lambda: len(TICKS) >= 2)
        url = database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url) as holder:
            # Readers pass, writers wait (and time out): the scheduler finds due jobs but
            # cannot record their next run.
            holder.execute("LOCK TABLE apscheduler_jobs IN EXCLUSIVE MODE")
            time.sleep(2.0)
            assert scheduler.failing_since is not None  # it noticed, and says so
            holder.rollback()
        during = len(TICKS)
        _wait(lambda: len(TICKS) >= during + 3, timeout=30)  # it goes on after the lock
        assert scheduler._thread.is_alive()
        assert scheduler.failing_since is None
    finally:
        stop_scheduler(scheduler)
        engine.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_status_says_running_only_while_the_heartbeat_is_fresh(database_url):
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    owner = "service@host:4711:9f2c01ab"
    with engine.begin() as connection:
        leases.try_acquire(connection, SCHEDULER_LEASE, owner, timedelta(minutes=2), now)
    with session_factory(engine)() as session:
        line = service_line(session)
    assert line.startswith(f"Service: {owner} holds the scheduler lease, but its scheduler has "
                           "not worked yet")  # fmt: skip
    with engine.begin() as connection:
        leases.try_acquire(connection, HEARTBEAT_KEY, owner, timedelta(minutes=3), now)
    with session_factory(engine)() as session:
        assert service_line(session).startswith(f"Service: running as {owner} (")
        beat = session.scalar(select(leases.Lease.acquired_at).where(
            leases.Lease.key == HEARTBEAT_KEY))  # fmt: skip
    assert beat is not None
    engine.dispose()


@pytest.mark.slow  # starts processes or a browser; keeps the quick subset quick
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_leader_whose_scheduler_cannot_work_gives_up_its_lease(database_url, caplog):
    engine = make_engine(database_url, connect_args={"options": "-c lock_timeout=300"})
    # A lease far longer than the 3 reconcile intervals it takes to give up: the leader
    # then stands back for 30 s, and on a busy machine the check below still comes before
    # it may lead again (with a 3 s lease it sometimes had taken the lead back already).
    settings = settings_for(database_url, **{
        "service.lease_seconds": 30, "service.reconcile_seconds": 1, "service.stop_seconds": 5,
    })  # fmt: skip
    service = Service(engine, settings, work=TEST_WORK)
    thread = threading.Thread(target=service.run)
    thread.start()
    try:
        _wait(service.leading.is_set)
        with session_factory(engine)() as session:
            assert service_line(session).startswith(f"Service: running as {service.owner} (")
        url = database_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url) as holder:
            holder.execute("LOCK TABLE apscheduler_jobs IN EXCLUSIVE MODE")
            # Locked for longer than 3 reconcile intervals: the leader gives up and says so.
            _wait(lambda: not service.leading.is_set(), timeout=60)
            holder.rollback()
        assert any("the scheduler cannot work" in r.getMessage() and "giving up the lead"
                   in r.getMessage() for r in caplog.records)  # fmt: skip

        def left_to_a_standby() -> bool:
            # Given back once its scheduler has stopped (that waited for the table lock).
            with engine.connect() as connection:
                found = leases.holder(connection, SCHEDULER_LEASE, datetime.now(UTC))
            return found is None or found.owner != service.owner

        _wait(left_to_a_standby, timeout=20)  # well inside the 30 s it stands back
    finally:
        service.request_stop()
        thread.join(60)
        engine.dispose()
    assert not thread.is_alive()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_job_that_fails_on_the_database_runs_again_with_backoff(database_url):
    engine = make_engine(database_url, connect_args={"options": "-c lock_timeout=300"})
    with session_scope(engine) as session:
        add_account(session, add_client(session, "Bäckerei Huber"), "x", "@huber", "100")
    settings = settings_for(database_url)
    scheduler = make_scheduler(engine, settings)
    scheduler.start(paused=True)
    clock = ManualClock()
    keeper = LeaseKeeper(engine, timedelta(seconds=60), owner="this-process", clock=clock)
    runtime = Runtime(engine=engine, settings=settings, leases=keeper, work=TEST_WORK,
                      clock=clock, scheduler=scheduler)  # fmt: skip
    jobs.install(runtime)
    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(url) as holder:
            holder.execute("LOCK TABLE collection_runs IN EXCLUSIVE MODE")
            jobs.collect(1)
            again = scheduler.get_job("again:collect:1")
            assert again is not None and again.args == (1,)
            assert again.next_run_time == clock.now() + timedelta(seconds=30)
            jobs.collect(1)  # the retry fails as well: twice the pause
            again = scheduler.get_job("again:collect:1")
            assert again.next_run_time == clock.now() + timedelta(seconds=60)
            holder.rollback()
        jobs.collect(1)
        with engine.connect() as connection:
            outcomes = connection.execute(select(CollectionRun.outcome)).scalars().all()
        assert outcomes == ["ok"]
        assert runtime.database_failures == {}  # the next failure starts at 30 s again
    finally:
        jobs.uninstall()
        stop_scheduler(scheduler)
        engine.dispose()
