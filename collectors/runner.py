"""The collection runner: one run of one account, whatever the platform.

``run_collection(engine, account_id, collector)`` opens a ``CollectionRun`` row, hands the
collector a :class:`~collectors.contract.RunContext` (the contract a platform collector
implements is in ``collectors.contract``), and records how the run ended. The scheduler
service and ``replywatch collect`` only call the runner (through
``replywatch.collecting.collect_account``).

How a run ends (``CollectionRun.outcome``)
------------------------------------------
``ok``            every part done, no problems.
``partial``       every part attempted; problems recorded (skipped objects, abandoned
                  sections). What could be stored is stored.
``rate_limited``  a ``RateLimited`` stopped the run: what was committed stays,
                  ``resume_after`` holds the platform's reset time and cursors hold where
                  it stopped. ``collect_account`` will not start the account before then.
``credentials``   401/403 or a refused token: the account's ``credential_status`` becomes
                  what the platform said (``expired``, ``revoked``, ``no_permission``, or
                  ``needs_renewal`` when it did not say why) with its message (never the
                  token).
``failed``        retries or the run's retry budget exhausted, the account does not exist,
                  or an unexpected error.
``interrupted``   written on a later run for a run whose process died while running.

A successful or partial run sets ``credential_status`` to ``ok``. Error texts and problems
pass through ``collectors.redact.scrub``. Nothing here raises for platform faults; database
errors do propagate (they cannot be recorded).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, ScalarSelect, insert, select, update
from sqlalchemy.orm import Session

from collectors.contract import AccountView, Collector, Progress, RetryPolicy, RunContext
from collectors.errors import (
    EXPIRED,
    NO_PERMISSION,
    REVOKED,
    AccountNotFound,
    CollectionError,
    CredentialsRejected,
    RateLimited,
    TransientError,
    UnusableAnswer,
)
from collectors.privacy import KeySource
from collectors.redact import scrub
from storage.engine import session_factory
from storage.models import Account, CollectionCursor, CollectionRun, CredentialStatus
from storage.own_side import OwnSide, own_side_for
from storage.records import without_nul

log = logging.getLogger(__name__)

OUTCOMES = ("running", "ok", "partial", "rate_limited", "credentials", "failed", "interrupted")
# What the platform said about refused credentials -> the account's credential status.
CREDENTIAL_REASONS = {
    EXPIRED: CredentialStatus.EXPIRED,
    REVOKED: CredentialStatus.REVOKED,
    NO_PERMISSION: CredentialStatus.NO_PERMISSION,
}
FAILED_OUTCOMES = ("failed", "credentials")


@dataclass(frozen=True)
class RunSummary:
    """How one collection of one account went; returned to the scheduler and the CLI."""

    account_id: int
    outcome: str
    run_id: int | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    api_calls: int = 0
    items_new: int = 0
    items_updated: int = 0
    items_removed: int = 0
    private_skipped: int = 0  # private messages the platform showed and the run dropped
    problems: tuple[dict[str, Any], ...] = ()
    error: str | None = None
    resume_after: datetime | None = None
    # ``scheme://host:port`` that gave no answer at all: on a ``failed`` run, the host this
    # run could not reach; on a ``skipped`` one, the host an earlier run found unreachable.
    unreachable: str | None = None

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES

    @property
    def duration_seconds(self) -> float:
        if self.started_at is None or self.finished_at is None:
            return 0.0
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def message(self) -> str:
        """One line for people: what happened, and what to do when something is wrong."""
        if self.outcome == "rate_limited" and self.run_id is None and self.resume_after:
            return f"skipped: rate limited until {self.resume_after:%Y-%m-%d %H:%M:%S} UTC"
        if self.error:
            return self.error
        if self.problems:
            return f"{len(self.problems)} problem(s) recorded; see the collection run"
        return ""


def _load_account(session: Session, account_id: int) -> AccountView:
    account = session.get(Account, account_id)
    if account is None:
        raise LookupError(f"account {account_id} does not exist")
    return AccountView(
        id=account.id,
        client_id=account.client_id,
        platform=account.platform,
        handle=account.handle,
        platform_account_id=account.platform_account_id,
        display_name=account.display_name,
    )


def _start_run(
    engine: Engine, account_id: int, now: datetime
) -> tuple[int, AccountView, OwnSide, dict[str, str]]:
    """Open the run: its row, the account, its own side and its stored cursors (one
    transaction: every collection starts here)."""
    with session_factory(engine).begin() as session:
        view = _load_account(session, account_id)
        # A run still "running" here belonged to a process that died: say so.
        session.execute(
            update(CollectionRun)
            .where(CollectionRun.account_id == account_id, CollectionRun.outcome == "running")
            .values(
                outcome="interrupted",
                error="the collecting process ended before this run finished",
            )
            .execution_options(synchronize_session=False)
        )
        run_id = session.scalars(
            insert(CollectionRun)
            .values(account_id=account_id, started_at=now, outcome="running", problems=[])
            .returning(CollectionRun.id)
        ).one()
        cursors = session.execute(
            select(CollectionCursor.endpoint, CollectionCursor.value).where(
                CollectionCursor.account_id == account_id
            )
        ).all()
        return run_id, view, own_side_for(session, view), dict(cursors)


def latest_resume_after(account_id: Any) -> ScalarSelect[datetime | None]:
    """The ``resume_after`` of the account's latest run (a rate limit's end), as a subquery
    (``replywatch.collecting`` does not start the account before it)."""
    return (
        select(CollectionRun.resume_after)
        .where(CollectionRun.account_id == account_id)
        .order_by(CollectionRun.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def record_failure(
    engine: Engine,
    account_id: int,
    outcome: str,
    error: str,
    now: datetime | None = None,
    *,
    credential_status: str | None = None,
    resume_after: datetime | None = None,
) -> RunSummary:
    """Record a run that could not start (no credentials, no collector for the platform, a
    connected token the platform no longer takes). ``credential_status`` is then stored
    on the account with the message; ``resume_after`` holds a rate limit's end."""
    now = now or datetime.now(UTC)
    message = scrub(error)
    with session_factory(engine).begin() as session:
        run = CollectionRun(
            account_id=account_id,
            started_at=now,
            finished_at=now,
            outcome=outcome,
            error=message,
            problems=[],
            resume_after=resume_after,
        )
        session.add(run)
        if credential_status is not None:
            session.execute(
                update(Account)
                .where(Account.id == account_id)
                .values(credential_status=credential_status, credential_error=message[:500])
            )
        session.flush()
        run_id = run.id
    return RunSummary(
        account_id=account_id,
        outcome=outcome,
        run_id=run_id,
        started_at=now,
        finished_at=now,
        error=message,
        resume_after=resume_after,
    )


def run_collection(
    engine: Engine,
    account_id: int,
    collector: Collector,
    *,
    now: datetime | None = None,
    retry: RetryPolicy | None = None,
    progress: Callable[[Progress], None] | None = None,
    privacy_key: KeySource | None = None,
) -> RunSummary:
    """Collect one account once with ``collector`` and record the run. Never raises for
    platform faults; see the module docstring for what each outcome means.
    ``privacy_key``: where the installation's privacy key comes from, asked only once the
    database holds pseudonyms (collectors.privacy); without it such a run fails."""
    now = now or datetime.now(UTC)
    run_id, account, own, cursors = _start_run(engine, account_id, now)
    run = RunContext(
        engine, run_id, account, own, now, retry or RetryPolicy(), progress, privacy_key, cursors
    )
    outcome, error, resume_after, unreachable = "ok", None, None, None
    credential: tuple[str, str | None] | None = None
    try:
        with run.section(account.platform):
            collector.collect(run)
        outcome = "partial" if run.problems or run.abandoned else "ok"
        credential = (CredentialStatus.OK, None)
    except RateLimited as exc:
        outcome, resume_after = "rate_limited", exc.reset_at
        error = (
            f"rate limited at {exc.endpoint or run.failure_place} ({exc.detail}); resumes after "
            f"{exc.reset_at:%Y-%m-%d %H:%M:%S} UTC"
        )
    except CredentialsRejected as exc:
        outcome = "credentials"
        where = exc.endpoint or run.failure_place
        error = f"the platform refused the credentials at {where}: {exc.detail}"
        status = CREDENTIAL_REASONS.get(exc.reason, CredentialStatus.NEEDS_RENEWAL)
        credential = (status, scrub(exc.detail)[:500])
    except TransientError as exc:
        # The detail names the host and what it did (collectors.transport).
        outcome, error = "failed", f"{exc.endpoint or run.failure_place}: {exc.detail}"
        if not exc.answered and exc.origin:
            unreachable = exc.origin
    except UnusableAnswer as exc:
        outcome, error = "failed", f"{exc.endpoint or run.failure_place}: {exc.detail}"
    except AccountNotFound as exc:
        outcome, error = "failed", str(exc)
    except CollectionError as exc:
        where = exc.endpoint or run.failure_place
        outcome, error = "failed", f"{type(exc).__name__} at {where}: {exc.detail}"
    except Exception as exc:
        log.error("collection of account %s failed: %s", account_id, scrub(repr(exc)))
        outcome = "failed"
        error = f"unexpected {type(exc).__name__} in {run.failure_place}: {exc}"
    except BaseException:
        _finish(run, "interrupted", "the run was interrupted", None, None)
        raise
    summary = _finish(run, outcome, error, resume_after, credential)
    return replace(summary, unreachable=unreachable) if unreachable else summary


def _finish(
    run: RunContext,
    outcome: str,
    error: str | None,
    resume_after: datetime | None,
    credential: tuple[str, str | None] | None,
) -> RunSummary:
    finished_at = run.current_time()
    # An error may quote what the platform sent; PostgreSQL refuses NUL in text.
    message = without_nul(scrub(error)) if error else None
    with session_factory(run.engine).begin() as session:
        session.execute(
            update(CollectionRun)
            .where(CollectionRun.id == run.run_id)
            .values(
                outcome=outcome,
                finished_at=finished_at,
                error=message,
                resume_after=resume_after,
                **run.counters(),
            )
        )
        if credential is not None:
            status, reason = credential
            session.execute(
                update(Account)
                .where(Account.id == run.account.id)
                .values(credential_status=status, credential_error=reason)
            )
    run.report_progress(finished=True, outcome=outcome)
    return RunSummary(
        account_id=run.account.id,
        outcome=outcome,
        run_id=run.run_id,
        started_at=run.now,
        finished_at=finished_at,
        api_calls=run.api_calls,
        items_new=run.items_new,
        items_updated=run.items_updated,
        items_removed=run.items_removed,
        private_skipped=len(run.private_ids),
        problems=tuple(run.problems),
        error=message,
        resume_after=resume_after,
    )
