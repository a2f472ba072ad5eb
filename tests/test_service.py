"""The scheduler side of ``replywatch run``, in this process, with a controllable clock."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from replywatch import jobs
from replywatch.collecting import collect_account
from replywatch.jobs import Runtime, Work
from replywatch.refreshing import refresh_metrics
from replywatch.service import (
    SCHEDULER_LEASE,
    Service,
    collection_trigger,
    desired_jobs,
    make_scheduler,
    reconcile_jobs,
    serve,
    stop_scheduler,
    trigger_fingerprint,
    weekly_trigger,
)
from reports.builder import build_snapshot
from storage import leases
from storage.engine import session_scope
from storage.leases import LeaseKeeper
from storage.models import (
    Account,
    Client,
    CollectionRun,
    EmailDelivery,
    Item,
    Lease,
    PrivacyEvent,
    RollupDirty,
    ScheduledJob,
)
from storage.upsert import mark_dirty, upsert_items
from tests.support.clock import ManualClock
from tests.support.factories import add_account, add_client, changed, item
from tests.support.settings import settings_for

TEST_WORK = Work(
    collect="tests.support.service_work:record_collection",
    refresh_rollups="tests.support.service_work:record_rollup",
    build_snapshot="tests.support.snapshots:build_for_request",
)


@pytest.fixture
def two_clients(engine):
    with session_scope(engine) as session:
        berlin = add_client(session, "Bäckerei Huber", time_zone="Europe/Berlin")
        new_york = add_client(session, "Bagel Corner", time_zone="America/New_York")
        add_client(session, "Café Zwei", time_zone="Europe/Berlin")
        add_account(session, berlin, "x", "@huber", "100")
        mastodon = add_account(session, berlin, "mastodon", "@huber@mastodon.social", "7")
        mastodon.collect_interval_minutes = 30
        quiet = add_account(session, new_york, "bluesky", "bagels.bsky.social", "did:plc:b")
        quiet.active = False
    return engine


@pytest.fixture
def paused_scheduler(engine):
    settings = settings_for(engine.url.render_as_string(hide_password=False))
    scheduler = make_scheduler(engine, settings)
    scheduler.start(paused=True)
    yield scheduler
    stop_scheduler(scheduler)


def _jobs(engine) -> dict[str, float | None]:
    with engine.connect() as connection:
        return dict(connection.execute(select(ScheduledJob.id, ScheduledJob.next_run_time)).all())


def test_desired_jobs_follow_accounts_and_time_zones(two_clients):
    settings = settings_for(**{"collect.jitter_seconds": 90, "email.send_time": "06:30"})
    now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    specs = {spec.id: spec for spec in desired_jobs(two_clients, settings, now)}
    assert sorted(specs) == [
        "collect:1", "collect:2", "deliver-emails", "privacy-purge", "reconcile",
        "refresh-metrics", "weekly-email:America/New_York", "weekly-email:Europe/Berlin",
    ]  # fmt: skip
    assert specs["refresh-metrics"].func is jobs.sweep_metrics
    # Issue 22.1: the retention purge runs daily, first a few minutes after a start.
    assert specs["privacy-purge"].func is jobs.privacy_purge
    assert trigger_fingerprint(specs["privacy-purge"].trigger) == ("interval", 86400.0, None)
    assert specs["privacy-purge"].first_run == now + timedelta(minutes=10)
    assert trigger_fingerprint(specs["refresh-metrics"].trigger) == ("interval", 300.0, None)
    assert trigger_fingerprint(specs["collect:1"].trigger) == ("interval", 3600.0, 90)
    assert trigger_fingerprint(specs["collect:2"].trigger) == ("interval", 1800.0, 90)
    assert specs["collect:2"].args == (2,)
    assert now <= specs["collect:1"].first_run <= now + timedelta(seconds=90)
    weekly = specs["weekly-email:Europe/Berlin"]
    assert weekly.args == ("Europe/Berlin",)
    assert weekly.misfire_grace_time == 48 * 3600
    assert str(weekly.trigger.timezone) == "Europe/Berlin"


def test_weekly_email_fires_monday_morning_local_across_daylight_saving():
    clock = ManualClock(datetime(2026, 3, 25, 12, 0, tzinfo=UTC))  # a Wednesday
    berlin = weekly_trigger("Europe/Berlin", "07:00")
    new_york = weekly_trigger("America/New_York", "07:00")
    fired = []
    previous = None
    for _ in range(3):
        previous = berlin.get_next_fire_time(previous, clock.now())
        fired.append(previous.astimezone(UTC))
        clock.set(previous)
    # 07:00 CET is 06:00 UTC; after the switch on 29 March 07:00 CEST is 05:00 UTC.
    assert fired == [
        datetime(2026, 3, 30, 5, 0, tzinfo=UTC),
        datetime(2026, 4, 6, 5, 0, tzinfo=UTC),
        datetime(2026, 4, 13, 5, 0, tzinfo=UTC),
    ]
    first = new_york.get_next_fire_time(None, datetime(2026, 11, 2, 11, 59, tzinfo=UTC))
    assert first.astimezone(ZoneInfo("America/New_York")).isoformat() == (
        "2026-11-02T07:00:00-05:00"
    )


def test_collections_repeat_on_the_interval_with_bounded_jitter():
    clock = ManualClock(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))
    trigger = collection_trigger(60, 120)
    previous = None
    gaps = []
    for _ in range(50):
        fire = trigger.get_next_fire_time(previous, clock.now())
        if previous is not None:
            gaps.append((fire - previous).total_seconds())
        clock.set(fire)
        previous = fire
    # Jitter delays each run by up to 120 s after its slot; slots stay an hour apart.
    assert all(3600 - 120 <= gap <= 3600 + 120 for gap in gaps), gaps
    assert len(set(gaps)) > 10, "the jitter varies"
    without = collection_trigger(15, 0)
    start = clock.now()
    assert without.get_next_fire_time(start, start) == start + timedelta(minutes=15)


def test_reconcile_adds_changes_and_removes_jobs(two_clients, paused_scheduler):
    engine = two_clients
    settings = settings_for(**{"collect.jitter_seconds": 0})
    now = datetime.now(UTC)
    first = reconcile_jobs(paused_scheduler, engine, settings, now=now)
    assert sorted(first.added) == sorted(_jobs(engine))
    assert "collect:3" not in _jobs(engine), "inactive accounts are not collected"
    stored = _jobs(engine)
    assert stored["collect:1"] == pytest.approx(now.timestamp())

    # Nothing changed: nothing is touched, so next run times do not move.
    again = reconcile_jobs(paused_scheduler, engine, settings, now=now + timedelta(minutes=1))
    assert not again and _jobs(engine) == stored

    with session_scope(engine) as session:
        session.get(Account, 1).collect_interval_minutes = 15
        session.get(Account, 2).active = False
        session.get(Account, 3).active = True
        session.get(Client, 2).time_zone = "Asia/Tokyo"
    changed = reconcile_jobs(paused_scheduler, engine, settings, now=now)
    assert changed.changed == ["collect:1"]
    assert sorted(changed.added) == ["collect:3", "weekly-email:Asia/Tokyo"]
    assert sorted(changed.removed) == ["collect:2", "weekly-email:America/New_York"]
    job = paused_scheduler.get_job("collect:1")
    assert trigger_fingerprint(job.trigger) == ("interval", 900.0, None)

    # An account deleted outright loses its job too; jobs we do not manage are kept.
    paused_scheduler.add_job(jobs.refresh_rollups, "date", args=[1], id="rollup:1")
    with session_scope(engine) as session:
        session.delete(session.get(Account, 3))
    removed = reconcile_jobs(paused_scheduler, engine, settings, now=now)
    assert removed.removed == ["collect:3"]
    assert "rollup:1" in _jobs(engine)


def test_the_job_store_keeps_jobs_across_restarts(two_clients):
    engine = two_clients
    settings = settings_for(**{"collect.jitter_seconds": 0})
    first = make_scheduler(engine, settings)
    first.start(paused=True)
    reconcile_jobs(first, engine, settings, now=datetime(2026, 11, 16, 9, 0, tzinfo=UTC))
    stop_scheduler(first)
    stored = _jobs(engine)

    second = make_scheduler(engine, settings)
    second.start(paused=True)
    try:
        job = second.get_job("collect:2")
        assert job.func is jobs.collect and job.args == (2,)
        assert job.next_run_time == datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
        assert not reconcile_jobs(second, engine, settings)
        assert _jobs(engine) == stored
    finally:
        stop_scheduler(second)


@pytest.fixture
def runtime(two_clients, paused_scheduler):
    clock = ManualClock()
    settings = settings_for(**{"service.lease_seconds": 60})
    keeper = LeaseKeeper(two_clients, timedelta(seconds=60), owner="this-process", clock=clock)
    runtime = Runtime(
        engine=two_clients, settings=settings, leases=keeper, work=TEST_WORK, clock=clock,
        scheduler=paused_scheduler,
    )  # fmt: skip
    jobs.install(runtime)
    yield runtime
    jobs.uninstall()


def _runs(engine, account_id: int) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).where(CollectionRun.account_id == account_id))


def test_collect_job_collects_under_a_lease_then_asks_for_rollups(runtime):
    engine = runtime.engine
    jobs.collect(1)
    assert _runs(engine, 1) == 1
    rollup = runtime.scheduler.get_job("rollup:1")
    assert rollup is not None and rollup.func is jobs.refresh_rollups and rollup.args == (1,)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(RollupDirty)) == 1
        assert connection.scalar(select(func.count()).select_from(Lease)) == 0, "released"
    jobs.refresh_rollups(1)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(RollupDirty)) == 0


def test_privacy_purge_job_purges_under_its_lease(runtime, monkeypatch, tmp_path):
    # Issue 22.1: the daily job applies each client's retention (13 months by default).
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))  # where the privacy key is made
    engine, now = runtime.engine, runtime.clock.now()
    old = now - timedelta(days=400)
    with session_scope(engine) as session:
        upsert_items(session, 1, [
            changed(item("p1", author="100", own=True, kind="post"), created_at=old),
            changed(item("c1", parent="p1", handle="anna_k", text="Wann?"), created_at=old),
            changed(item("c2", parent="p1", handle="ben_b", text="Heute?"), created_at=now),
        ], seen_at=now)  # fmt: skip
    jobs.privacy_purge()  # the metrics have not seen them yet: nothing is purged
    with session_scope(engine) as session:
        assert session.scalar(select(Item.text).where(Item.platform_item_id == "c1")) == "Wann?"
    refresh_metrics(engine, now=now)  # as the service's refresh jobs do
    other = LeaseKeeper(engine, timedelta(seconds=60), owner="other-process", clock=runtime.clock)
    assert other.try_acquire(jobs.PRIVACY_LEASE)
    jobs.privacy_purge()
    with session_scope(engine) as session:
        assert session.scalar(select(Item.text).where(Item.platform_item_id == "c1")) == "Wann?"
    other.release_all()

    jobs.privacy_purge()
    with session_scope(engine) as session:
        texts = {
            item: text for item, text in session.execute(select(Item.platform_item_id, Item.text))
        }
        events = session.scalars(select(PrivacyEvent)).all()
        assert session.scalar(select(func.count()).select_from(Lease)) == 0, "released"
    assert (texts["c1"], texts["c2"]) == ("", "Heute?")
    assert [(e.action, e.client_name, e.counts["items"]) for e in events] == [
        ("purge", "Bäckerei Huber", 1)]  # fmt: skip
    assert (tmp_path / "replywatch" / "privacy-key").exists()


def test_collect_job_skips_what_it_must_not_do(runtime):
    engine = runtime.engine
    other = LeaseKeeper(engine, timedelta(seconds=60), owner="other-process", clock=runtime.clock)
    assert other.try_acquire(jobs.collect_lease_key(1))
    jobs.collect(1)
    assert _runs(engine, 1) == 0, "another process holds the account"
    other.release_all()

    jobs.collect(3)
    assert _runs(engine, 3) == 0, "inactive account"
    jobs.collect(99)
    assert _runs(engine, 99) == 0, "deleted account"

    runtime.stopping.set()
    jobs.collect(1)
    assert _runs(engine, 1) == 0, "the service is stopping"
    runtime.stopping.clear()
    jobs.collect(1)
    assert _runs(engine, 1) == 1


def test_a_failing_collection_is_logged_and_still_asks_for_rollups(runtime, caplog):
    runtime.work = Work(collect="tests.support.service_work:failing_collection")
    jobs.collect(2)
    assert "collection of account 2 failed" in caplog.text
    assert "platform unreachable for account 2" in caplog.text
    assert runtime.scheduler.get_job("rollup:2") is not None


def test_product_work_is_imported_when_the_job_runs():
    # The collectors and metrics packages are resolved at call time, by name.
    assert jobs.resolve("storage.upsert:mark_dirty").__name__ == "mark_dirty"
    with pytest.raises(ModuleNotFoundError):
        jobs.resolve("replywatch.nonexistent:collect_account")
    product = Work()
    product.check()  # every real work function exists
    assert jobs.resolve(product.collect) is collect_account
    assert jobs.resolve(product.refresh_rollups) is refresh_metrics
    assert jobs.resolve(product.build_snapshot) is build_snapshot


def test_a_missing_work_function_stops_the_service_before_it_starts(engine):
    broken = Work(refresh_rollups="metrics.rollups:refresh_account")
    with pytest.raises(jobs.WorkMissing) as raised:
        serve(engine, settings_for(), work=broken)
    assert str(raised.value).startswith(
        "the refresh_rollups work metrics.rollups:refresh_account cannot be loaded"
    )
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Lease)) == 0


def test_one_metrics_refresh_at_a_time_across_processes(runtime):
    engine = runtime.engine
    with session_scope(engine) as session:
        mark_dirty(session, [(1, date(2026, 11, 16)), (2, date(2026, 11, 17))])
    other = LeaseKeeper(engine, timedelta(seconds=60), owner="other-process", clock=runtime.clock)
    assert other.try_acquire(jobs.METRICS_LEASE)
    jobs.refresh_rollups(1)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(RollupDirty)) == 2, "skipped"
    other.release_all()
    # One refresh covers every account's marks, not only those of the account that asked.
    jobs.refresh_rollups(1)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(RollupDirty)) == 0
        assert connection.scalar(select(func.count()).select_from(Lease)) == 0, "released"


def _service(engine, **values) -> Service:
    settings = settings_for(
        engine.url.render_as_string(hide_password=False),
        **{"service.lease_seconds": 3, "service.stop_seconds": 30, "collect.jitter_seconds": 0,
           **values},
    )  # fmt: skip
    return Service(engine, settings, work=TEST_WORK)


def _wait(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def test_one_service_leads_the_other_stands_by_and_takes_over(two_clients):
    engine = two_clients
    first, second = _service(engine), _service(engine)
    threads = [threading.Thread(target=s.run) for s in (first, second)]
    threads[0].start()
    _wait(first.leading.is_set)
    threads[1].start()
    # The leader collects both active accounts right away (jitter 0) ...
    _wait(lambda: _runs(engine, 1) >= 1 and _runs(engine, 2) >= 1)
    time.sleep(0.5)
    assert not second.leading.is_set()
    with engine.connect() as connection:
        info = leases.holder(connection, SCHEDULER_LEASE, datetime.now(UTC))
    assert info is not None and info.owner == first.owner

    # ... and on stop hands over: the standby leads and finds the jobs in the store.
    first.request_stop()
    threads[0].join(timeout=60)
    assert not threads[0].is_alive()
    _wait(second.leading.is_set)
    assert set(_jobs(engine)) >= {"collect:1", "collect:2", "reconcile", "deliver-emails"}
    second.request_stop()
    threads[1].join(timeout=60)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Lease)) == 0
    assert _runs(engine, 1) == 1 and _runs(engine, 2) == 1, "each collected once"


def test_a_service_that_loses_its_lease_stops_scheduling(two_clients):
    engine = two_clients
    service = _service(engine)
    thread = threading.Thread(target=service.run)
    thread.start()
    _wait(service.leading.is_set)
    # Somebody else took the scheduler lease (this process stalled past its expiry).
    with engine.begin() as connection:
        connection.execute(
            Lease.__table__.update()
            .where(Lease.key == SCHEDULER_LEASE)
            .values(owner="someone-else", expires_at=datetime.now(UTC) + timedelta(hours=1))
        )
    # "leading" drops at once; the scheduler goes once the jobs that were running (the
    # first collections start right away) are done, which takes longer on a busy machine.
    _wait(lambda: not service.leading.is_set() and service.runtime.scheduler is None)
    assert not service.leases.is_held(SCHEDULER_LEASE)
    service.request_stop()
    thread.join(timeout=60)
    assert not thread.is_alive()
    with engine.connect() as connection:
        owner = connection.scalar(select(Lease.owner).where(Lease.key == SCHEDULER_LEASE))
    assert owner == "someone-else", "never released somebody else's lease"


def test_random_first_runs_spread_new_accounts(two_clients):
    settings = settings_for(**{"collect.jitter_seconds": 600})
    now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    specs = desired_jobs(two_clients, settings, now, random.Random(4))
    firsts = [s.first_run for s in specs if s.id.startswith("collect:")]
    assert len(set(firsts)) == 2 and all(now <= f <= now + timedelta(minutes=10) for f in firsts)


def test_scheduler_is_apscheduler_with_our_job_table(engine):
    scheduler = make_scheduler(engine, settings_for())
    assert isinstance(scheduler, BackgroundScheduler)
    store = scheduler._jobstores["default"]
    assert store.jobs_t.name == "apscheduler_jobs"


def test_a_failed_email_is_retried_after_its_backoff_not_a_tick_later(runtime):
    """Issue 18.9: the first retry comes 5 minutes after the failure. The delivery job runs
    every 5 minutes, so a retry due 20 s after a tick waited for the tick after (10 min)."""
    engine, clock, scheduler = runtime.engine, runtime.clock, runtime.scheduler
    reconcile_jobs(scheduler, engine, runtime.settings)
    start = clock.now()
    with session_scope(engine) as session:
        session.add(EmailDelivery(recipient="owner@example.com", scope="client:1",
                                  iso_week="2026-W47", status="pending", attempts=0,
                                  next_attempt_at=start))  # fmt: skip
    # The delivery job's grid: it runs at `start`, and again five minutes later.
    scheduler.modify_job("deliver-emails", next_run_time=start + timedelta(minutes=5))
    clock.advance(seconds=20)  # the attempt fails 20 s into the run (no SMTP server set)
    jobs.deliver_emails()
    with session_scope(engine) as session:
        row = session.scalars(select(EmailDelivery)).one()
        assert (row.status, row.attempts) == ("pending", 1)
        retry_at = row.next_attempt_at
    assert retry_at == start + timedelta(minutes=5, seconds=20)
    # The tick at 5 min finds nothing due; the scheduler has moved the job on to 10 min.
    clock.set(start + timedelta(minutes=5))
    scheduler.modify_job("deliver-emails", next_run_time=start + timedelta(minutes=10))
    jobs.deliver_emails()
    assert scheduler.get_job("deliver-emails").next_run_time == retry_at
    clock.set(retry_at)
    jobs.deliver_emails()
    with session_scope(engine) as session:
        assert session.scalars(select(EmailDelivery.attempts)).one() == 2


def test_a_log_line_lists_a_few_names_and_counts_the_rest():
    from replywatch.running import listing

    assert listing(["account 1", "account 2"]) == "account 1, account 2"
    many = [f"account {n}" for n in range(1, 3001)]
    line = listing(many)
    assert line.startswith("account 1, account 2, ") and line.endswith(
        ", account 10 and 2,990 more"
    )
    assert listing(many[:10]) == ", ".join(many[:10])
