"""Sending planned weekly emails exactly once, across restarts and processes.

Each ``email_deliveries`` row moves through these states, every move a conditional
UPDATE that checks the state it expects and the attempt number it claimed (a fencing
token: a process that stalled and was overtaken finds its number outdated and stops):

    pending ──claim──> sending ──before DATA──> submitting ──server said 250──> sent
       ^                  │                         │
       └── retry later ───┘ (error before DATA)     └── connection lost during DATA,
           (failed after max_attempts,                  or the process died here
            or at once on a permanent 5xx)              ──> uncertain (never resent
                                                            by itself; see status)

The crash window: between the server's reply to DATA and the UPDATE to ``sent`` the
message is delivered but not recorded. Resending there would deliver it twice;
not resending risks losing it. replywatch chooses never to send twice: a row left in
``submitting`` (its claim expired) becomes ``uncertain`` and ``replywatch status`` lists
it, with the command to send it again after checking the mail server's log. A row left
in ``sending`` never reached DATA, so it is safely retried. Each message carries a
Message-ID derived from its row, so a resend after a check is recognisable as the same
message by mail clients that deduplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from metrics.periods import Period, iso_week
from reports.chart import ChartRenderer
from reports.mailer import Fenced, Mailer, SendError, SmtpConfig
from reports.message import weekly_message
from reports.planning import DIGEST_SCOPE, scope_client_id
from reports.snapshot import Snapshot
from storage.clock import SYSTEM_CLOCK, Clock
from storage.engine import session_scope
from storage.models import Client, EmailDelivery, User

log = logging.getLogger("replywatch.email")


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SUBMITTING = "submitting"
    SENT = "sent"
    FAILED = "failed"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class DeliveryPolicy:
    max_attempts: int = 8
    first_delay: timedelta = timedelta(minutes=5)
    longest_delay: timedelta = timedelta(hours=6)
    # How long a claim lasts before another process may take the row back.
    claim_ttl: timedelta = timedelta(minutes=15)

    def delay(self, attempts: int) -> timedelta:
        """Wait after the ``attempts``-th failure: 5 min, 15 min, 45 min, … at most 6 h."""
        return min(self.first_delay * 3 ** max(attempts - 1, 0), self.longest_delay)


@dataclass(frozen=True)
class SnapshotRequest:
    """What the snapshot builder is asked for: one recipient, one scope, one week."""

    delivery_id: int | None  # None: a preview or a send by hand (replywatch report)
    recipient: str
    recipient_name: str | None
    user_id: int | None
    language: str
    scope: str  # "client:<id>" or "digest"
    client_ids: tuple[int, ...]  # the client of an owner's email; every client for a digest
    week: Period  # an ISO week
    generated_at: datetime
    dashboard_url: str | None


SnapshotBuilder = Callable[[Session, SnapshotRequest], Snapshot]


@dataclass
class DeliveryReport:
    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    uncertain: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # claimed elsewhere meanwhile


# --- state changes: each one conditional, each in its own short transaction -------------


def recover_stale(engine: Engine, now: datetime) -> tuple[list[int], list[int]]:
    """Claims of processes that died: back to pending (before DATA) or uncertain (during)."""
    with engine.begin() as connection:
        retried = (
            connection.execute(
                update(EmailDelivery)
                .where(
                    EmailDelivery.status == DeliveryStatus.SENDING,
                    EmailDelivery.next_attempt_at <= now,
                )
                .values(
                    status=DeliveryStatus.PENDING,
                    last_error="interrupted before the message was handed over; sent again",
                    next_attempt_at=now,
                )
                .returning(EmailDelivery.id)
            )
            .scalars()
            .all()
        )
        uncertain = (
            connection.execute(
                update(EmailDelivery)
                .where(
                    EmailDelivery.status == DeliveryStatus.SUBMITTING,
                    EmailDelivery.next_attempt_at <= now,
                )
                .values(
                    status=DeliveryStatus.UNCERTAIN,
                    last_error="the sending process stopped while handing the message to the SMTP "
                    "server; it may have been delivered",
                    next_attempt_at=None,
                )
                .returning(EmailDelivery.id)
            )
            .scalars()
            .all()
        )
    return list(retried), list(uncertain)


def due_deliveries(engine: Engine, now: datetime, limit: int = 500) -> list[int]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(EmailDelivery.id)
                .where(
                    EmailDelivery.status == DeliveryStatus.PENDING,
                    EmailDelivery.next_attempt_at <= now,
                )
                .order_by(EmailDelivery.next_attempt_at, EmailDelivery.id)
                .limit(limit)
            ).scalars()
        )


def next_due(engine: Engine) -> datetime | None:
    """When the earliest pending email is due (None: nothing pending)."""
    with engine.connect() as connection:
        return connection.execute(
            select(func.min(EmailDelivery.next_attempt_at)).where(
                EmailDelivery.status == DeliveryStatus.PENDING
            )
        ).scalar()


def claim(engine: Engine, delivery_id: int, now: datetime, policy: DeliveryPolicy) -> int | None:
    """Take a pending row; returns the attempt number (the fence), None if not ours."""
    with engine.begin() as connection:
        return connection.execute(
            update(EmailDelivery)
            .where(
                EmailDelivery.id == delivery_id,
                EmailDelivery.status == DeliveryStatus.PENDING,
                EmailDelivery.next_attempt_at <= now,
            )
            .values(
                status=DeliveryStatus.SENDING,
                attempts=EmailDelivery.attempts + 1,
                next_attempt_at=now + policy.claim_ttl,
            )
            .returning(EmailDelivery.attempts)
        ).scalar()


def _move(
    engine: Engine, delivery_id: int, fence: int, from_states: tuple[str, ...], **values: object
) -> bool:
    with engine.begin() as connection:
        result = connection.execute(
            update(EmailDelivery)
            .where(
                EmailDelivery.id == delivery_id,
                EmailDelivery.attempts == fence,
                EmailDelivery.status.in_(from_states),
            )
            .values(**values)
        )
        return result.rowcount == 1


def mark_submitting(
    engine: Engine, delivery_id: int, fence: int, now: datetime, policy: DeliveryPolicy
) -> bool:
    return _move(
        engine, delivery_id, fence, (DeliveryStatus.SENDING,),
        status=DeliveryStatus.SUBMITTING, next_attempt_at=now + policy.claim_ttl,
    )  # fmt: skip


def mark_sent(engine: Engine, delivery_id: int, fence: int, now: datetime) -> bool:
    # From uncertain too: a slow server may answer after another process gave up on us.
    return _move(
        engine, delivery_id, fence, (DeliveryStatus.SUBMITTING, DeliveryStatus.UNCERTAIN),
        status=DeliveryStatus.SENT, sent_at=now, next_attempt_at=None, last_error=None,
    )  # fmt: skip


def mark_uncertain(engine: Engine, delivery_id: int, fence: int, error: str) -> bool:
    return _move(
        engine, delivery_id, fence, (DeliveryStatus.SUBMITTING,),
        status=DeliveryStatus.UNCERTAIN, next_attempt_at=None, last_error=error,
    )  # fmt: skip


def mark_attempt_failed(
    engine: Engine,
    delivery_id: int,
    fence: int,
    now: datetime,
    error: str,
    policy: DeliveryPolicy,
    *,
    permanent: bool = False,
) -> DeliveryStatus:
    """Record a failed attempt: retry after the backoff, or give up (failed)."""
    give_up = permanent or fence >= policy.max_attempts
    status = DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING
    _move(
        engine, delivery_id, fence, (DeliveryStatus.SENDING, DeliveryStatus.SUBMITTING),
        status=status, last_error=error[:2000],
        next_attempt_at=None if give_up else now + policy.delay(fence),
    )  # fmt: skip
    return status


def retry_now(engine: Engine, delivery_id: int, now: datetime) -> bool:
    """Operator's choice: send a failed or uncertain email again (one more attempt)."""
    with engine.begin() as connection:
        result = connection.execute(
            update(EmailDelivery)
            .where(
                EmailDelivery.id == delivery_id,
                EmailDelivery.status.in_((DeliveryStatus.FAILED, DeliveryStatus.UNCERTAIN)),
            )
            .values(status=DeliveryStatus.PENDING, next_attempt_at=now)
        )
        return result.rowcount == 1


# --- one delivery, start to end ----------------------------------------------------------


def message_id_for(delivery: EmailDelivery, sender: str) -> str:
    domain = sender.rpartition("@")[2] or "replywatch.invalid"
    return f"<replywatch.{delivery.id}.{delivery.iso_week}@{domain}>"


def snapshot_request(
    session: Session, delivery: EmailDelivery, now: datetime, dashboard_url: str | None
) -> SnapshotRequest:
    user = session.get(User, delivery.user_id) if delivery.user_id is not None else None
    if delivery.scope == DIGEST_SCOPE:
        client_ids = tuple(session.scalars(select(Client.id).order_by(Client.name)))
    else:
        client_id = scope_client_id(delivery.scope)
        client_ids = (client_id,) if client_id is not None else ()
    return SnapshotRequest(
        delivery_id=delivery.id,
        recipient=delivery.recipient,
        recipient_name=None,
        user_id=delivery.user_id,
        language=user.language if user is not None else "en",
        scope=delivery.scope,
        client_ids=client_ids,
        week=iso_week(delivery.iso_week),
        generated_at=now,
        dashboard_url=dashboard_url,
    )


def deliver_due(
    engine: Engine,
    *,
    smtp: SmtpConfig,
    build_snapshot: SnapshotBuilder,
    chart_browser: str = "/usr/bin/chromium",
    clock: Clock = SYSTEM_CLOCK,
    policy: DeliveryPolicy | None = None,
    dashboard_url: str | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    problem: str | None = None,
    before_building: Callable[[], None] | None = None,
) -> DeliveryReport:
    """Send every due email once. ``problem``: why SMTP cannot be used (each due email
    records it as a failed attempt, so the operator sees it in ``status``).
    ``before_building`` runs once before the first snapshot is built, only when there is
    something to send (the service refreshes the metrics there)."""
    policy = policy or DeliveryPolicy()
    report = DeliveryReport()
    report.recovered, report.uncertain = recover_stale(engine, clock.now())
    for delivery_id in report.uncertain:
        log.error("email %s: delivery uncertain (process stopped during DATA)", delivery_id)
    due = due_deliveries(engine, clock.now())
    if not due:
        return report
    if problem:
        # Nothing can be sent: record why on each due email (retried with backoff).
        for delivery_id in due:
            fence = claim(engine, delivery_id, clock.now(), policy)
            if fence is None:
                report.skipped.append(delivery_id)
                continue
            status = mark_attempt_failed(engine, delivery_id, fence, clock.now(), problem, policy)
            (report.failed if status == DeliveryStatus.FAILED else report.retrying).append(
                delivery_id
            )
        log.warning("%d due emails not sent: %s", len(due), problem)
        return report
    if before_building is not None:
        before_building()
    with ChartRenderer(chart_browser) as charts, Mailer(smtp) as mailer:
        for delivery_id in due:
            if should_stop():
                break
            _deliver_one(
                engine, delivery_id, smtp=smtp, mailer=mailer, charts=charts,
                build_snapshot=build_snapshot, clock=clock, policy=policy,
                dashboard_url=dashboard_url, report=report,
            )  # fmt: skip
    return report


def _deliver_one(
    engine: Engine,
    delivery_id: int,
    *,
    smtp: SmtpConfig,
    mailer: Mailer,
    charts: ChartRenderer,
    build_snapshot: SnapshotBuilder,
    clock: Clock,
    policy: DeliveryPolicy,
    dashboard_url: str | None,
    report: DeliveryReport,
) -> None:
    fence = claim(engine, delivery_id, clock.now(), policy)
    if fence is None:
        report.skipped.append(delivery_id)
        return

    def failed(error: str, *, permanent: bool = False) -> None:
        status = mark_attempt_failed(
            engine, delivery_id, fence, clock.now(), error, policy, permanent=permanent
        )
        (report.failed if status == DeliveryStatus.FAILED else report.retrying).append(delivery_id)
        log.warning("email %s attempt %s failed (%s): %s", delivery_id, fence, status, error)

    try:
        with session_scope(engine) as session:
            delivery = session.get(EmailDelivery, delivery_id)
            assert delivery is not None
            recipient = delivery.recipient
            request = snapshot_request(session, delivery, clock.now(), dashboard_url)
            snapshot = build_snapshot(session, request)
            message_id = message_id_for(delivery, smtp.sender)
        message = weekly_message(snapshot, charts, sender=smtp.sender, message_id=message_id)
    except Exception as exc:
        failed(f"could not prepare the email: {type(exc).__name__}: {exc}")
        return

    try:
        mailer.send(
            message,
            recipient,
            before_data=lambda: mark_submitting(engine, delivery_id, fence, clock.now(), policy),
        )
    except Fenced:
        report.skipped.append(delivery_id)
        log.warning("email %s: another process took it over; not sent here", delivery_id)
        return
    except SendError as exc:
        if exc.uncertain:
            mark_uncertain(engine, delivery_id, fence, str(exc))
            report.uncertain.append(delivery_id)
            log.error("email %s: delivery uncertain: %s", delivery_id, exc)
        else:
            failed(str(exc), permanent=exc.permanent)
        return
    mark_sent(engine, delivery_id, fence, clock.now())
    report.sent.append(delivery_id)
    log.info("email %s sent to %s (%s)", delivery_id, recipient, request.week)
