"""The weekly email as the service runs it: settings and secrets in, plan, send."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine

from replywatch.config import ConfigError, Settings
from replywatch.secrets import SecretError, resolve_secret
from reports.chart import ChartRenderer
from reports.delivery import DeliveryPolicy, DeliveryReport, SnapshotBuilder, deliver_due
from reports.mailer import Mailer, SmtpConfig
from reports.message import weekly_message, write_eml
from reports.planning import plan_deliveries
from reports.snapshot import Snapshot
from storage.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger("replywatch.email")


def smtp_config(settings: Settings) -> SmtpConfig:
    """The SMTP settings, with the password resolved from its secret; ConfigError if unusable."""
    host = settings.get("smtp.host")
    sender = settings.get("smtp.sender")
    missing = [key for key, value in (("smtp.host", host), ("smtp.sender", sender)) if not value]
    if missing:
        raise ConfigError(
            "weekly emails cannot be sent: set " + " and ".join(missing) + " (see README, "
            "Weekly emails)"
        )
    user = settings.get("smtp.user")
    password = None
    if user:
        reference = settings.get("smtp.password_ref")
        if not reference:
            raise ConfigError(f"smtp.user is {user!r} but smtp.password_ref names no secret")
        password = resolve_secret(reference, settings.secrets_file)
    return SmtpConfig(
        host=host,
        port=int(settings.get("smtp.port")),
        security=settings.get("smtp.security"),
        sender=sender,
        user=user,
        password=password,
        timeout=float(settings.get("smtp.timeout")),
        ca_file=settings.get("smtp.ca_file"),
    )


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(max_attempts=int(settings.get("email.max_attempts")))


def send_due_emails(
    engine: Engine,
    settings: Settings,
    *,
    build_snapshot: SnapshotBuilder,
    clock: Clock = SYSTEM_CLOCK,
    should_stop: Callable[[], bool] = lambda: False,
    before_building: Callable[[], None] | None = None,
) -> DeliveryReport:
    """Plan the weekly emails that are due now, then send everything due (retries too).

    ``before_building`` runs once when something is to be sent, before the first snapshot
    is built (the service refreshes the metrics there)."""
    late = timedelta(hours=int(settings.get("email.late_hours")))
    with engine.begin() as connection:
        planned = plan_deliveries(connection, clock.now(), settings.get("email.send_time"), late)
    if planned:
        log.info("planned %d weekly emails for %s", len(planned), planned[0].week)
    problem = None
    try:
        smtp = smtp_config(settings)
    except (ConfigError, SecretError) as exc:
        problem = str(exc)
        smtp = SmtpConfig(host="", sender=settings.get("smtp.sender") or "replywatch@localhost")
    return deliver_due(
        engine,
        smtp=smtp,
        build_snapshot=build_snapshot,
        chart_browser=settings.get("email.chart_browser"),
        clock=clock,
        policy=delivery_policy(settings),
        dashboard_url=settings.get("dashboard.public_url"),
        should_stop=should_stop,
        problem=problem,
        before_building=before_building,
    )


def check_message(settings: Settings, recipient: str) -> EmailMessage:
    config = smtp_config(settings)
    message = EmailMessage()
    message["Subject"] = "replywatch: test message"
    message["From"] = config.sender
    message["To"] = recipient
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        f"replywatch can send email through {config.describe()} as {config.sender}.\n"
        "Weekly emails go out on Mondays; `replywatch status` lists failed ones.\n"
    )
    return message


def send_check_email(settings: Settings, recipient: str) -> str:
    """Send a short message to check the SMTP settings; returns where it went."""
    config = smtp_config(settings)
    with Mailer(config) as mailer:
        mailer.send(check_message(settings, recipient), recipient)
    return config.describe()


def snapshot_message(settings: Settings, snapshot: Snapshot) -> EmailMessage:
    """One snapshot as a complete message (chart included), for previews and --send."""
    sender = settings.get("smtp.sender") or "replywatch@localhost"
    with ChartRenderer(settings.get("email.chart_browser")) as charts:
        return weekly_message(snapshot, charts, sender=sender)


def write_snapshot_eml(settings: Settings, snapshot: Snapshot, path: Path) -> None:
    """``report --out FILE.eml``: the email exactly as it would be sent, as a file."""
    write_eml(snapshot_message(settings, snapshot), path)


def send_snapshot(settings: Settings, snapshot: Snapshot) -> str:
    """``report --send``: send one snapshot now, outside the weekly schedule.

    An explicit request by the operator, so it is not recorded in email_deliveries and
    does not stop the scheduled email of that week. Returns where it went.
    """
    config = smtp_config(settings)
    message = snapshot_message(settings, snapshot)
    with Mailer(config) as mailer:
        mailer.send(message, snapshot.recipient_email)
    return config.describe()
