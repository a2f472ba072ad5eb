"""The functions the scheduler runs, by reference, from its persistent job store.

APScheduler stores each job as ``replywatch.jobs:collect`` plus plain arguments (an
account id, a time zone), so the functions must be importable module-level names and
must not take engines or settings as arguments (those cannot be pickled, and the
database URL may hold a password). They find what they need in the :class:`Runtime`
that ``replywatch run`` installs before the scheduler starts.

Each function is a thin wrapper: it refuses to start once the service is stopping,
takes the lease that keeps other processes off the same work, checks the work is still
wanted, and then calls the function named in :class:`Work`. Those names are imported
when the job runs (``Work.check`` imports them once when the service starts, so a broken
installation stops the service at once instead of failing every job).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from replywatch.config import Settings
from replywatch.references import load
from replywatch.running import RunningWork
from storage.clock import SYSTEM_CLOCK, Clock
from storage.collection_slots import open_slot
from storage.engine import database_reason, session_scope
from storage.leases import LeaseKeeper, collection_key
from storage.models import Account

log = logging.getLogger("replywatch.service")


@dataclass(frozen=True)
class Work:
    """What the jobs call to do the work, as ``module:function`` references.

    ``collect`` is called as ``f(engine, settings, account_id, now=...)``;
    ``refresh_rollups`` as ``f(engine, settings, account_id, now=...)`` with the account
    whose collection asked for it, or None (the sweep, before the weekly emails): the
    refresh covers every account's changes either way; ``build_snapshot`` as
    ``f(session, request)`` (see reports/delivery.py); ``reconcile`` as
    ``f(scheduler, engine, settings)``: the service's planning, which schedules these jobs,
    named here rather than imported so that the jobs do not depend on the service;
    ``purge`` as ``f(engine, settings, now=..., refresh=False)``: every client's retention
    period.
    """

    collect: str = "replywatch.collecting:collect_account"
    refresh_rollups: str = "replywatch.refreshing:refresh_metrics"
    build_snapshot: str = "reports.builder:build_snapshot"
    reconcile: str = "replywatch.service:reconcile_jobs"
    purge: str = "replywatch.privacy:purge_expired_data"

    def check(self) -> None:
        """Import every function now; raises :class:`WorkMissing` naming one that is missing."""
        for name in ("collect", "refresh_rollups", "build_snapshot", "reconcile", "purge"):
            reference = getattr(self, name)
            try:
                resolve(reference)
            except (ImportError, AttributeError, TypeError, ValueError) as exc:
                raise WorkMissing(f"the {name} work {reference} cannot be loaded: {exc}") from exc


class WorkMissing(RuntimeError):
    """A function named in :class:`Work` does not exist in this installation."""


def resolve(reference: str) -> Callable[..., Any]:
    function = load(reference)
    if not callable(function):
        raise TypeError(f"{reference} is not a function")
    return function


@dataclass
class Runtime:
    """Everything the job functions of this process share."""

    engine: Engine
    settings: Settings
    leases: LeaseKeeper
    work: Work = field(default_factory=Work)
    clock: Clock = SYSTEM_CLOCK
    scheduler: BaseScheduler | None = None
    # PostgreSQL: the collect jobs open the accounts' slots and the collection workers of
    # every process share them (replywatch/collection_workers.py); otherwise the job
    # collects itself.
    shared_collection: bool = False
    # Set on SIGTERM/SIGINT: jobs not yet started do not start any more.
    stopping: threading.Event = field(default_factory=threading.Event)
    # Jobs that failed on the database, by their retry job's id: how many times in a row.
    database_failures: dict[str, int] = field(default_factory=dict)
    work_in_progress: RunningWork = field(default_factory=RunningWork)

    @contextmanager
    def running(self, what: str) -> Iterator[None]:
        with self.work_in_progress.doing(what):
            yield

    def running_jobs(self) -> list[str]:
        return self.work_in_progress.names()

    def wait_idle(self, timeout: float | None, abandon: threading.Event | None = None) -> list[str]:
        """Wait until no job runs (or ``timeout``/``abandon``); returns what still runs."""
        return self.work_in_progress.wait_idle(timeout, abandon)


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def install(runtime: Runtime) -> None:
    global _runtime
    with _runtime_lock:
        _runtime = runtime


def uninstall() -> None:
    global _runtime
    with _runtime_lock:
        _runtime = None


def current() -> Runtime:
    runtime = _runtime
    if runtime is None:
        raise RuntimeError("replywatch jobs run inside the service (replywatch run) only")
    return runtime


# A job that fails on a locked or unreachable database runs again after 30 s, 60 s, …
DB_RETRY_FIRST = timedelta(seconds=30)
DB_RETRY_MAX = timedelta(minutes=10)


@contextmanager
def _job(
    what: str, again: tuple[Callable[..., None], tuple[Any, ...]] | None = None
) -> Iterator[Runtime | None]:
    """Common frame: skip when stopping, count as running, log failures in one place.

    ``again`` (the job function and its arguments): when the job fails on the database
    (locked longer than the busy timeout, unreachable), it runs again after a backoff
    instead of waiting for its next scheduled time.
    """
    runtime = current()
    if runtime.stopping.is_set():
        log.info("%s: not started, the service is stopping", what)
        yield None
        return
    with runtime.running(what):
        try:
            yield runtime
        except OperationalError as exc:
            _again_later(runtime, what, again, exc)
        except Exception:
            log.exception("%s failed", what)
        else:
            if again is not None:
                runtime.database_failures.pop(_again_id(again), None)


def _again_id(again: tuple[Callable[..., None], tuple[Any, ...]]) -> str:
    function, args = again
    return f"again:{function.__name__}:{':'.join(str(arg) for arg in args)}"


def _again_later(
    runtime: Runtime,
    what: str,
    again: tuple[Callable[..., None], tuple[Any, ...]] | None,
    exc: OperationalError,
) -> None:
    reason = database_reason(exc)
    if again is None or runtime.scheduler is None or runtime.stopping.is_set():
        log.warning("%s failed on the database (%s); its next run tries again", what, reason)
        return
    job_id = _again_id(again)
    failures = runtime.database_failures.get(job_id, 0) + 1
    runtime.database_failures[job_id] = failures
    delay = min(DB_RETRY_FIRST * 2 ** (failures - 1), DB_RETRY_MAX)
    function, args = again
    try:
        runtime.scheduler.add_job(
            function, trigger="date", run_date=runtime.clock.now() + delay, args=list(args),
            id=job_id, name=f"{what} again", replace_existing=True, misfire_grace_time=None,
        )  # fmt: skip
    except SQLAlchemyError as store_error:
        log.warning("%s failed on the database (%s) and cannot be scheduled again (%s); its "
                    "next run tries again", what, reason, store_error)  # fmt: skip
        return
    log.warning("%s failed on the database (%s); trying again in %.0f s (attempt %d)",
                what, reason, delay.total_seconds(), failures + 1)  # fmt: skip


def collect_lease_key(account_id: int) -> str:
    # The same claim `replywatch collect` takes by hand.
    return collection_key(account_id)


# The job that sends due emails (scheduled by replywatch.service), and how soon at the
# earliest it is run again for a retry.
DELIVERY_JOB = "deliver-emails"
RETRY_WAKE_MIN = timedelta(seconds=10)
# A refresh running when emails are due is usually one collection's, done in seconds.
EMAIL_REFRESH_WAIT = 30.0
# One lease for every refresh: a refresh covers all accounts' changes (replywatch/refreshing.py).
METRICS_LEASE = "metrics:refresh"
PRIVACY_LEASE = "privacy:purge"


def _active(runtime: Runtime, account_id: int) -> bool:
    with session_scope(runtime.engine) as session:
        account = session.get(Account, account_id)
        return account is not None and account.active


def collect(account_id: int) -> None:
    """Collect one account (scheduled per account), then ask for its rollups.

    With shared collections (PostgreSQL) the job only opens the account's slot; whichever
    ``replywatch run`` takes it first collects it (:func:`collect_claimed`).
    """
    what = f"collection of account {account_id}"
    with _job(what, again=(collect, (account_id,))) as runtime:
        if runtime is None:
            return
        if runtime.shared_collection:
            state = open_slot(runtime.engine, account_id, runtime.clock.now())
            log.debug("%s is due: slot %s", what, state)
            return
        key = collect_lease_key(account_id)
        with runtime.leases.hold(key) as taken:
            if not taken:
                log.info("%s skipped: another process is collecting it", what)
                return
            _collect_held(runtime, account_id, what)


def collect_claimed(runtime: Runtime, account_id: int) -> bool:
    """Collect an account whose claim this process holds (a collection worker took its
    open slot); the caller gives the claim back. Returns whether the slot's collection is
    done (False: the database failed, the slot stays due for any process to retry)."""
    what = f"collection of account {account_id}"
    try:
        _collect_held(runtime, account_id, what, refresh_here=runtime.scheduler is None)
    except OperationalError as exc:
        reason = database_reason(exc)
        log.warning("%s failed on the database (%s); it stays due", what, reason)
        return False
    except Exception:
        log.exception("%s failed", what)
    return True


def _collect_held(
    runtime: Runtime, account_id: int, what: str, *, refresh_here: bool = False
) -> None:
    """The collection under a claim already held. ``refresh_here``: no scheduler in this
    process to run the rollup job (a standby's worker), so refresh right after."""
    if not _active(runtime, account_id):
        log.info("%s skipped: the account was removed or deactivated", what)
        return
    log.info("%s started", what)
    try:
        summary = resolve(runtime.work.collect)(
            runtime.engine, runtime.settings, account_id, now=runtime.clock.now()
        )
    finally:
        # Even a failed run may have stored items (and marked their days dirty).
        if refresh_here:
            _refresh_after(runtime, account_id)
        else:
            _schedule_rollup(runtime, account_id)
    log.info("%s finished: %s", what, _run_text(summary))


def _refresh_after(runtime: Runtime, account_id: int) -> None:
    """A standby's collection: refresh now unless a refresh runs (it, or the leader's
    sweep, covers these changes too)."""
    what = f"metrics refresh after the collection of account {account_id}"
    try:
        _refresh_metrics(runtime, account_id, what)
    except Exception:
        log.exception("%s failed; the next sweep covers it", what)


def _run_text(summary: Any) -> str:
    """A collection's RunSummary in one line (any other result as it prints)."""
    outcome = getattr(summary, "outcome", None)
    if outcome is None:
        return "done" if summary is None else str(summary)
    text = (
        f"{outcome}, {summary.items_new} new, {summary.items_updated} changed, "
        f"{summary.api_calls} API calls"
    )
    message = summary.message
    return f"{text}; {message}" if message else text


def _schedule_rollup(runtime: Runtime, account_id: int) -> None:
    if runtime.scheduler is None or runtime.stopping.is_set():
        return  # the dirty marks stay; the next rollup catches up
    runtime.scheduler.add_job(
        refresh_rollups,
        trigger="date",
        run_date=datetime.now(UTC),
        args=[account_id],
        id=f"rollup:{account_id}",
        name=f"rollups of account {account_id}",
        replace_existing=True,
        misfire_grace_time=None,
    )


def refresh_rollups(account_id: int | None = None) -> None:
    """Bring the metrics up to date after a collection (of ``account_id``), or as a sweep.

    The refresh is global: it covers every account whose items changed, so a job that
    finds another refresh running skips (that one, or the next sweep, covers its changes).
    """
    what = (
        f"metrics refresh after the collection of account {account_id}"
        if account_id is not None
        else "metrics refresh"
    )
    with _job(what) as runtime:
        if runtime is None:
            return
        _refresh_metrics(runtime, account_id, what)


def _refresh_metrics(
    runtime: Runtime, account_id: int | None, what: str, wait_seconds: float = 0.0
) -> bool:
    """Refresh under the metrics lease; False when another holder is refreshing.

    ``wait_seconds``: how long to wait for a running refresh to finish before giving up.
    """
    deadline = time.monotonic() + wait_seconds
    while not runtime.leases.try_acquire(METRICS_LEASE):
        if time.monotonic() >= deadline or runtime.stopping.is_set():
            log.info("%s skipped: another refresh of the metrics is running", what)
            return False
        time.sleep(0.5)
    try:
        resolve(runtime.work.refresh_rollups)(
            runtime.engine, runtime.settings, account_id, now=runtime.clock.now()
        )
        return True
    finally:
        runtime.leases.release(METRICS_LEASE)


def sweep_metrics() -> None:
    """Every few minutes: refresh what no collection's rollup job covered.

    Changes made outside the service's collections (``replywatch collect`` or ``import``
    by hand, a changed client setting, marks left by a skipped rollup job) reach the
    numbers here. Cheap when nothing changed.
    """
    refresh_rollups(None)


def weekly_emails(time_zone: str) -> None:
    """Monday morning in ``time_zone``: plan the past week's emails and send them."""
    with _job(f"weekly emails ({time_zone})", again=(weekly_emails, (time_zone,))) as runtime:
        if runtime is None:
            return
        _send_emails(runtime)


def deliver_emails() -> None:
    """Every few minutes: send what is due (retries, emails a missed Monday left behind)."""
    with _job("email delivery", again=(deliver_emails, ())) as runtime:
        if runtime is None:
            return
        _send_emails(runtime)


def _send_emails(runtime: Runtime) -> None:
    from replywatch.emailing import send_due_emails

    def refresh_first() -> None:
        # The numbers include everything collected so far, even when a rollup job was
        # skipped or has not run yet. Emails go out with the stored numbers otherwise.
        try:
            _refresh_metrics(
                runtime, None, "metrics refresh before sending emails", EMAIL_REFRESH_WAIT
            )
        except Exception:
            log.exception("metrics refresh before sending emails failed; sending with the "
                          "numbers stored so far")  # fmt: skip

    try:
        send_due_emails(
            runtime.engine,
            runtime.settings,
            build_snapshot=resolve(runtime.work.build_snapshot),
            clock=runtime.clock,
            should_stop=runtime.stopping.is_set,
            before_building=refresh_first,
        )
    finally:
        _wake_for_retries(runtime)


def _wake_for_retries(runtime: Runtime) -> None:
    """Run the delivery job when the next retry is due, not at the tick after it.

    A failed email is due again after its backoff (5 min first), counted from the failure;
    the every-5-minutes delivery job would find it only at the tick after that, up to a
    whole interval late. So every sending job brings that job forward to the earliest due
    email (the job's interval goes on as before afterwards).
    """
    from reports.delivery import next_due

    if runtime.scheduler is None or runtime.stopping.is_set():
        return
    due = next_due(runtime.engine)
    job = runtime.scheduler.get_job(DELIVERY_JOB)
    if due is None or job is None or job.next_run_time is None:
        return
    # Not sooner than a moment from now: an email left due (a stop, a skipped claim) must
    # not make the job run back to back.
    wake = max(due, runtime.clock.now() + RETRY_WAKE_MIN)
    if wake < job.next_run_time:
        runtime.scheduler.modify_job(DELIVERY_JOB, next_run_time=wake)


def privacy_purge() -> None:
    """Daily: remove outsiders' texts, names and handles past each client's retention."""
    what = "privacy purge"
    with _job(what) as runtime:
        if runtime is None:
            return
        with runtime.leases.hold(PRIVACY_LEASE) as taken:
            if not taken:
                log.info("%s skipped: another process is purging", what)
                return
            # The metrics are refreshed by their own jobs, under their lease: items without
            # facts yet wait for tomorrow's purge.
            purge = resolve(runtime.work.purge)
            purge(runtime.engine, runtime.settings, now=runtime.clock.now(), refresh=False)
            log.info("%s finished", what)


def reconcile() -> None:
    """Periodically: make the scheduled jobs match the accounts and clients in the database."""
    with _job("reconcile") as runtime:
        if runtime is None or runtime.scheduler is None:
            return
        resolve(runtime.work.reconcile)(runtime.scheduler, runtime.engine, runtime.settings)
