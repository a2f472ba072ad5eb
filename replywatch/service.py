"""``replywatch run``: the long-running service around APScheduler 3.

Several ``replywatch run`` processes may point at one database (for example one per
machine, for availability). APScheduler 3 does not support several schedulers sharing a
job store (each would run every due job), so exactly one process *leads*: it holds the
``service:scheduler`` lease and runs the scheduler; the others wait on standby and take
over when the leader stops or its lease runs out. On PostgreSQL the collecting itself is
shared: the leader's collect jobs only open each account's slot when it is due, and the
collection workers of every process (replywatch/collection_workers.py) take open slots
with ``SELECT … FOR UPDATE SKIP LOCKED``, so several processes on several machines share
the accounts; the weekly emails stay with the leader. Independently of that, every job takes
its own lease (``collect:account:7``) or claims its email row, so even a stalled
ex-leader, or a command run by hand, never works on the same account or email at the
same time as the service.

The jobs (see replywatch/jobs.py):

========================  ==========================================  ====================
job id                    trigger                                     function
========================  ==========================================  ====================
``collect:<account>``     every account's interval, plus jitter       ``jobs.collect``
``rollup:<account>``      once, right after each collection           ``jobs.refresh_rollups``
``refresh-metrics``       every 5 minutes (what no collection covered) ``jobs.sweep_metrics``
``weekly-email:<zone>``   Mondays at email.send_time in that zone     ``jobs.weekly_emails``
``deliver-emails``        every 5 minutes (retries, catch-up)         ``jobs.deliver_emails``
``reconcile``             every service.reconcile_seconds             ``jobs.reconcile``
``privacy-purge``         every 24 hours                              ``jobs.privacy_purge``
========================  ==========================================  ====================

The work those jobs do is in ``replywatch.collecting`` (collect_account),
``replywatch.refreshing`` (refresh_metrics: one global incremental refresh of the metrics,
under the lease ``metrics:refresh``), ``reports.builder`` (build_snapshot) and
``replywatch.privacy`` (purge_expired_data: each client's retention period, under the
lease ``privacy:purge``).
"""

from __future__ import annotations

import logging
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import SQLAlchemyError

from replywatch import jobs
from replywatch.collection_workers import CollectionWorkers
from replywatch.config import Settings
from replywatch.running import listing
from storage import collection_slots, leases
from storage.clock import SYSTEM_CLOCK, Clock
from storage.engine import database_reason, session_scope
from storage.leases import LeaseKeeper, new_owner
from storage.models import Account, Client, Lease, ScheduledJob
from storage.running import running_runs

log = logging.getLogger("replywatch.service")

SCHEDULER_LEASE = "service:scheduler"
JOB_TABLE = ScheduledJob.__tablename__
DELIVERY_INTERVAL = timedelta(minutes=5)
METRICS_SWEEP_INTERVAL = timedelta(minutes=5)
MANAGED_PREFIXES = ("collect:", "weekly-email:")
FIXED_JOBS = ("reconcile", jobs.DELIVERY_JOB, "refresh-metrics", "privacy-purge")
PRIVACY_PURGE_INTERVAL = timedelta(hours=24)
RELEASE_WAIT_SECONDS = 5.0
JOBSTORE_RETRY_MAX_SECONDS = 30.0
# Written by the leader each time its scheduler works (the reconcile job); `status` says
# "running" only while it is fresh.
HEARTBEAT_KEY = "service:heartbeat"
# A leader whose scheduler has not worked for this many reconcile intervals gives up.
GIVE_UP_INTERVALS = 3


# --- what should be scheduled ----------------------------------------------------------


@dataclass(frozen=True)
class JobSpec:
    id: str
    name: str
    func: Callable[..., None]
    args: tuple[Any, ...]
    trigger: BaseTrigger
    # When a job is new: the first run (None = the trigger's first fire time).
    first_run: datetime | None = None
    misfire_grace_time: int | None = None


def trigger_fingerprint(trigger: BaseTrigger) -> tuple[Any, ...]:
    """What makes two triggers the same schedule (start dates aside)."""
    if isinstance(trigger, IntervalTrigger):
        return ("interval", trigger.interval.total_seconds(), trigger.jitter)
    if isinstance(trigger, CronTrigger):
        return ("cron", str(trigger), str(trigger.timezone), trigger.jitter)
    return (type(trigger).__name__, str(trigger))


def weekly_trigger(time_zone: str, send_time: str) -> CronTrigger:
    hour, minute = (int(part) for part in send_time.split(":"))
    return CronTrigger(day_of_week="mon", hour=hour, minute=minute, timezone=ZoneInfo(time_zone))


def collection_trigger(interval_minutes: int, jitter_seconds: int) -> IntervalTrigger:
    return IntervalTrigger(minutes=interval_minutes, jitter=jitter_seconds or None, timezone=UTC)


def desired_jobs(
    engine: Engine,
    settings: Settings,
    now: datetime,
    rng: random.Random | None = None,
) -> list[JobSpec]:
    """The jobs the database asks for right now."""
    rng = rng or random.Random()
    jitter = int(settings.get("collect.jitter_seconds") or 0)
    send_time = settings.get("email.send_time")
    late_seconds = int(settings.get("email.late_hours")) * 3600
    with session_scope(engine) as session:
        accounts = session.execute(
            select(Account.id, Account.handle, Account.collect_interval_minutes)
            .where(Account.active.is_(True))
            .order_by(Account.id)
        ).all()
        zones = sorted(set(session.scalars(select(Client.time_zone))))

    specs: list[JobSpec] = [
        JobSpec(
            id="reconcile",
            name="pick up changed accounts and clients",
            func=jobs.reconcile,
            args=(),
            trigger=IntervalTrigger(
                seconds=int(settings.get("service.reconcile_seconds")), timezone=UTC
            ),
        ),
        JobSpec(
            id=jobs.DELIVERY_JOB,
            name="send due emails",
            func=jobs.deliver_emails,
            args=(),
            trigger=IntervalTrigger(seconds=DELIVERY_INTERVAL.total_seconds(), timezone=UTC),
            first_run=now,
        ),
        JobSpec(
            id="refresh-metrics",
            name="refresh the metrics of what changed",
            func=jobs.sweep_metrics,
            args=(),
            trigger=IntervalTrigger(seconds=METRICS_SWEEP_INTERVAL.total_seconds(), timezone=UTC),
            # Soon after a start: catches up with what changed while nothing ran.
            first_run=now + timedelta(seconds=30),
        ),
        JobSpec(
            id="privacy-purge",
            name="remove outsiders' texts, names and handles past each client's retention",
            func=jobs.privacy_purge,
            args=(),
            trigger=IntervalTrigger(seconds=PRIVACY_PURGE_INTERVAL.total_seconds(), timezone=UTC),
            # Not in the rush of a start (collections, the metrics catching up); once the
            # job is stored, restarts keep its next run time.
            first_run=now + timedelta(minutes=10),
        ),
    ]
    for account_id, handle, interval in accounts:
        specs.append(
            JobSpec(
                id=f"collect:{account_id}",
                name=f"collect account {account_id} {handle}",
                func=jobs.collect,
                args=(account_id,),
                trigger=collection_trigger(interval, jitter),
                # A new account is collected soon, spread so that many do not start at once.
                first_run=now + timedelta(seconds=rng.uniform(0, jitter)),
            )
        )
    for zone in zones:
        specs.append(
            JobSpec(
                id=f"weekly-email:{zone}",
                name=f"weekly emails, Monday {send_time} {zone}",
                func=jobs.weekly_emails,
                args=(zone,),
                trigger=weekly_trigger(zone, send_time),
                misfire_grace_time=late_seconds,
            )
        )
    return specs


# --- making the job store match ----------------------------------------------------------


@dataclass
class ReconcileReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def _managed(job_id: str) -> bool:
    return job_id in FIXED_JOBS or job_id.startswith(MANAGED_PREFIXES)


def reconcile_jobs(
    scheduler: BaseScheduler,
    engine: Engine,
    settings: Settings,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> ReconcileReport:
    """Add, change and remove jobs so that the job store matches the database.

    A job whose schedule did not change is left alone: replacing it would move its next
    run time, and with a reconcile every minute an hourly collection would never run.
    """
    now = now or datetime.now(UTC)
    report = ReconcileReport()
    wanted = {spec.id: spec for spec in desired_jobs(engine, settings, now, rng)}
    existing = {job.id: job for job in scheduler.get_jobs()}

    for job_id in existing:
        if _managed(job_id) and job_id not in wanted:
            scheduler.remove_job(job_id)
            report.removed.append(job_id)

    for job_id, spec in wanted.items():
        job = existing.get(job_id)
        if job is None:
            extra: dict[str, Any] = {}
            if spec.first_run is not None:
                extra["next_run_time"] = spec.first_run
            scheduler.add_job(
                spec.func,
                trigger=spec.trigger,
                args=list(spec.args),
                id=spec.id,
                name=spec.name,
                replace_existing=True,
                misfire_grace_time=spec.misfire_grace_time,
                **extra,
            )
            report.added.append(job_id)
        elif (
            trigger_fingerprint(job.trigger) != trigger_fingerprint(spec.trigger)
            or tuple(job.args) != spec.args
            or job.misfire_grace_time != spec.misfire_grace_time
        ):
            scheduler.modify_job(
                job_id, args=list(spec.args), name=spec.name,
                misfire_grace_time=spec.misfire_grace_time,
            )  # fmt: skip
            scheduler.reschedule_job(job_id, trigger=spec.trigger)
            report.changed.append(job_id)
    if report:
        added, changed, removed = (
            listing(ids) if ids else "-" for ids in (report.added, report.changed, report.removed)
        )
        log.info("jobs reconciled: added %s; changed %s; removed %s", added, changed, removed)
    return report


def resume_interrupted(
    scheduler: BaseScheduler, engine: Engine, now: datetime, own_owner: str
) -> dict[int, datetime]:
    """Bring forward the collections a previous leader left running; returns them.

    The old leader had moved each job it started to its next interval. A run it left
    ``running`` whose process is gone (storage.running) is collected now; one whose
    claim a live process still holds (a stalled ex-leader still at work) when that claim
    runs out, so the account is not left waiting a full interval either way.
    """
    with engine.connect() as connection:
        found = running_runs(connection, now)
    due: dict[int, datetime] = {}
    for run in found:
        claim = run.claim
        if claim is not None and claim.owner == own_owner:
            continue
        at = now if run.orphaned or claim is None else claim.expires_at
        job = scheduler.get_job(f"collect:{run.account_id}")
        if job is None or job.next_run_time is None:
            continue  # inactive or removed: nothing to collect
        if at < job.next_run_time:
            scheduler.modify_job(job.id, next_run_time=at)
        due[run.account_id] = min(at, job.next_run_time)
    if due:
        log.info("collections the previous leader left unfinished are due again: %s",
                 listing([f"account {number}" for number in sorted(due)]))  # fmt: skip
    return due


def stop_scheduler(scheduler: BaseScheduler) -> None:
    """Shut the scheduler down without touching the job store.

    APScheduler 3's loop processes due jobs once more after ``shutdown()``, submitting
    them to the stopped executor and moving their next run time past a run that never
    happened. Detaching the job store first leaves those jobs due for the next leader.
    """
    if scheduler.state == STATE_STOPPED:
        return
    scheduler.pause()
    scheduler.remove_jobstore("default", shutdown=False)
    scheduler.shutdown(wait=False)


class ServiceScheduler(BackgroundScheduler):
    """APScheduler 3 whose loop outlives a database that is locked or away for a while.

    APScheduler catches an error of its job store while it looks for due jobs, but not
    one while it records their next run: that error ended its thread, silently, while the
    process went on renewing its leader lease. Here such an error pauses the loop (1 s,
    2 s, 4 s … at most 30 s) and is remembered in :attr:`failing_since` and
    :attr:`failure` until a round succeeds; the service gives up the lead when it lasts
    (:meth:`Service._scheduler_trouble`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failing_since: datetime | None = None
        self.failure: str | None = None
        self._failures = 0
        # time.monotonic() of the last round that looked for due jobs and recorded them.
        self.last_round = time.monotonic()

    def _process_jobs(self) -> float | None:
        try:
            wait = super()._process_jobs()
        except SQLAlchemyError as exc:
            self._failures += 1
            if self.failing_since is None:
                self.failing_since = datetime.now(UTC)
            self.failure = database_reason(exc)
            pause = min(2.0 ** (self._failures - 1), JOBSTORE_RETRY_MAX_SECONDS)
            log.warning("the scheduler cannot record its jobs (%s); trying again in %.0f s",
                        self.failure, pause)  # fmt: skip
            return pause
        if self._failures:
            log.info("the scheduler records its jobs again")
        self._failures, self.failing_since, self.failure = 0, None, None
        self.last_round = time.monotonic()
        return wait

    def thread_alive(self) -> bool:
        thread = getattr(self, "_thread", None)
        return thread is not None and thread.is_alive()


def make_scheduler(engine: Engine, settings: Settings) -> BackgroundScheduler:
    return ServiceScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)},
        executors={"default": ThreadPoolExecutor(int(settings.get("service.workers")))},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=UTC,
    )


# --- the service: standby, leading, stopping ---------------------------------------------


@dataclass(frozen=True)
class ServiceOutcome:
    # Jobs still running when the stop timeout ran out (their transactions are rolled
    # back when the process exits).
    abandoned: list[str]


class Service:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        work: jobs.Work | None = None,
        clock: Clock = SYSTEM_CLOCK,
        owner: str | None = None,
        scheduler_factory: Callable[[Engine, Settings], BaseScheduler] = make_scheduler,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.ttl = timedelta(seconds=int(settings.get("service.lease_seconds")))
        self.leases = LeaseKeeper(
            engine, self.ttl, owner=owner or new_owner("service"), clock=clock,
            on_lost=self._lease_lost,
        )  # fmt: skip
        self.runtime = jobs.Runtime(
            engine=engine, settings=settings, leases=self.leases, work=work or jobs.Work(),
            clock=clock,
        )  # fmt: skip
        # On PostgreSQL every process collects: its workers share the slots the leader's
        # collect jobs open (replywatch/collection_workers.py). SQLite: the jobs collect.
        self.runtime.shared_collection = collection_slots.shared(engine)
        self.workers = (
            CollectionWorkers(self.runtime, int(settings.get("service.workers")))
            if self.runtime.shared_collection
            else None
        )
        self.scheduler_factory = scheduler_factory
        self.stop_requested = threading.Event()
        self.abandon = threading.Event()
        self.leading = threading.Event()
        self._leadership_lost = threading.Event()
        self._wake = threading.Event()

    @property
    def owner(self) -> str:
        return self.leases.owner

    def request_stop(self) -> None:
        """First call: stop after the running jobs. Second call: abandon them."""
        if self.stop_requested.is_set():
            self.abandon.set()
        self.stop_requested.set()
        self.runtime.stopping.set()
        if self.workers is not None:
            self.workers.request_stop()
        self._wake.set()

    def _lease_lost(self, key: str) -> None:
        if key == SCHEDULER_LEASE:
            self._leadership_lost.set()
            self._wake.set()

    def run(self) -> ServiceOutcome:
        """Stand by or lead until :meth:`request_stop`; then give back every lease."""
        jobs.install(self.runtime)
        self.leases.start_renewing()
        if self.workers is not None:
            self.workers.start()
        outcome = ServiceOutcome([])
        try:
            outcome = self._serve()
            if self.workers is not None:
                self.workers.request_stop()
                timeout = float(self.settings.get("service.stop_seconds"))
                left = self.workers.wait(timeout, self.abandon)
                outcome = ServiceOutcome(sorted(outcome.abandoned + left))
            return outcome
        finally:
            # An abandoned job may hold SQLite's write lock (a renewal would wait for it).
            self.leases.stop_renewing(RELEASE_WAIT_SECONDS if outcome.abandoned else None)
            if outcome.abandoned:
                # An abandoned job may hold SQLite's write lock until the process exits;
                # do not wait for it longer than a moment, the leases expire anyway.
                # Their row locks stay until the process ends: abandoned work may still
                # write until then, and nobody else may collect its accounts before.
                giver = threading.Thread(
                    target=self.leases.release_all, kwargs={"give_back_claims": False},
                    daemon=True,
                )  # fmt: skip
                giver.start()
                giver.join(RELEASE_WAIT_SECONDS)
            else:
                self.leases.release_all()
            jobs.uninstall()

    def _serve(self) -> ServiceOutcome:
        poll = max(self.ttl.total_seconds() / 3, 0.2)
        announced_standby = False
        while not self.stop_requested.is_set():
            try:
                leader = self.leases.try_acquire(SCHEDULER_LEASE)
            except SQLAlchemyError as exc:
                log.warning("database unavailable, retrying in %.0f s: %s", poll, exc)
                leader = False
            if leader:
                announced_standby = False
                abandoned = self._lead()
                if self.stop_requested.is_set():
                    return ServiceOutcome(abandoned)
                continue
            if not announced_standby:
                log.info("standing by: %s", self._leader_text())
                announced_standby = True
            self._wake.wait(poll)
            self._wake.clear()
        return ServiceOutcome([])

    def _leader_text(self) -> str:
        try:
            with self.engine.connect() as connection:
                info = leases.holder(connection, SCHEDULER_LEASE, self.runtime.clock.now())
        except SQLAlchemyError:
            return "the database is unavailable"
        return f"{info.owner} runs the scheduler" if info else "the scheduler lease is free"

    def _lead(self) -> list[str]:
        """Run the scheduler while holding the lease; returns the jobs left running."""
        self._leadership_lost.clear()
        scheduler = self.scheduler_factory(self.engine, self.settings)
        self.runtime.scheduler = scheduler
        if not self.stop_requested.is_set():
            self.runtime.stopping.clear()  # set while a lost leadership was handed back
        # Paused until the job store matches the database: a removed account's job must
        # not fire once more on start.
        scheduler.start(paused=True)
        try:
            reconcile_jobs(scheduler, self.engine, self.settings)
            resume_interrupted(scheduler, self.engine, self.runtime.clock.now(), self.owner)
        except SQLAlchemyError as exc:
            log.warning("first reconcile failed (the next one retries): %s", exc)
        scheduler.resume()
        self.heartbeat()  # a scheduler just started; the checks below keep it up
        self.leading.set()
        log.info("running the scheduler as %s", self.owner)
        trouble = None
        check = max(min(self.ttl.total_seconds() / 3, self._reconcile_seconds()), 0.2)
        while not (self.stop_requested.is_set() or self._leadership_lost.is_set()):
            self._wake.wait(check)
            self._wake.clear()
            if self.stop_requested.is_set() or self._leadership_lost.is_set():
                break  # at once: a heartbeat could wait for a running job's write lock
            trouble = self._scheduler_trouble(scheduler)
            if trouble is not None:
                log.error("the scheduler cannot work (%s); giving up the lead so that a "
                          "standby can take over", trouble)  # fmt: skip
                break
            self.heartbeat()

        if self._leadership_lost.is_set() and not self.stop_requested.is_set():
            log.error("lost the scheduler lease; standing by after the running jobs")
        self.leading.clear()
        self.runtime.stopping.set()
        scheduler.pause()
        running = self.runtime.running_jobs()
        if running:
            log.info("waiting for running jobs: %s", listing(running))
        timeout = float(self.settings.get("service.stop_seconds"))
        left = self.runtime.wait_idle(timeout, self.abandon)
        if not left:
            stop_scheduler(scheduler)
        # else: the process ends now; shutting the scheduler down could wait on database
        # locks the abandoned work holds (SQLite's write lock), for nothing.
        self.runtime.scheduler = None
        if not self.stop_requested.is_set():
            self.leases.release(SCHEDULER_LEASE)
            if trouble is not None:
                # Leave the lease to a standby for a while before trying to lead again.
                self._wake.wait(self.ttl.total_seconds())
                self._wake.clear()
        return left

    def _reconcile_seconds(self) -> float:
        return float(self.settings.get("service.reconcile_seconds"))

    def _scheduler_trouble(self, scheduler: BaseScheduler) -> str | None:
        """Why the scheduler cannot work, or None while it does."""
        if isinstance(scheduler, ServiceScheduler) and not scheduler.thread_alive():
            return "its thread has ended"
        limit = GIVE_UP_INTERVALS * self._reconcile_seconds()
        failing = getattr(scheduler, "failing_since", None)
        if failing is not None and (datetime.now(UTC) - failing).total_seconds() > limit:
            failure = getattr(scheduler, "failure", None)
            return f"its job store has failed for over {limit:.0f} s: {failure}"
        # The reconcile job is due every reconcile interval: a working loop goes round at
        # least that often.
        idle = time.monotonic() - getattr(scheduler, "last_round", time.monotonic())
        if idle > limit + self.ttl.total_seconds():
            return f"its loop has not gone round for {idle:.0f} s"
        return None

    def heartbeat(self) -> None:
        """Say that this leader's scheduler works: written only after
        :meth:`_scheduler_trouble` found none (``status`` shows "running" while it is
        fresh: GIVE_UP_INTERVALS reconcile intervals, at least one lease duration)."""
        now = self.runtime.clock.now()
        ttl = max(timedelta(seconds=GIVE_UP_INTERVALS * self._reconcile_seconds()), self.ttl)
        try:
            with self.engine.begin() as connection:
                if not leases.renew(connection, self.owner, ttl, now, {HEARTBEAT_KEY}):
                    connection.execute(delete(Lease).where(
                        Lease.key == HEARTBEAT_KEY, Lease.owner != self.owner))  # fmt: skip
                    leases.try_acquire(connection, HEARTBEAT_KEY, self.owner, ttl, now)
        except SQLAlchemyError as exc:
            log.warning("could not write the heartbeat (status will not say running): %s", exc)


def serve(
    engine: Engine,
    settings: Settings,
    *,
    work: jobs.Work | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> int:
    """Run the service in this process until SIGTERM or SIGINT; returns the exit status.

    Raises :class:`jobs.WorkMissing` before starting when a work function is missing.
    A second signal abandons running jobs at once. Abandoned jobs end with the process
    (``os._exit``): the database rolls back their open transactions, so nothing they
    did not commit remains, and their leases were given back already.
    """
    work = work or jobs.Work()
    work.check()  # a broken installation stops here, not in every job
    service = Service(engine, settings, work=work, clock=clock)

    def on_signal(number: int, _frame: FrameType | None) -> None:
        log.info("received %s: stopping", signal.Signals(number).name)
        service.request_stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        outcome = service.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if outcome.abandoned:
        log.error(
            "abandoned: %s (what they had not committed is rolled back)",
            ", ".join(outcome.abandoned),
        )
        logging.shutdown()
        os._exit(0)
    log.info("stopped")
    return 0
