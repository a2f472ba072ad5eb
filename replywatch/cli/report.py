"""``report``: one weekly email, previewed as an .eml file or sent now; or a client's
audit report as a PDF file (``--pdf FILE``, the period ``--from``/``--to``)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from metrics import api
from metrics.periods import (
    MAX_RANGE_DAYS,
    Period,
    PeriodError,
    date_range,
    default_audit_period,
    local_today,
    parse_day,
)
from replywatch import validation
from replywatch.cli import cli
from replywatch.cli.context import AppContext, BadInput, find_client, pass_app
from replywatch.config import ConfigError
from replywatch.emailing import send_snapshot, smtp_config, write_snapshot_eml
from replywatch.secrets import SecretError
from replywatch.validation import InputError
from reports.audit_pdf import audit_pdf
from reports.builder import build_snapshot
from reports.catalog import Wording
from reports.chart import ChartError
from reports.delivery import SnapshotRequest
from reports.mailer import SendError
from reports.pdf import PdfError
from reports.planning import DIGEST_SCOPE, client_scope
from reports.render import subject
from reports.snapshot import Snapshot
from storage.clock import SYSTEM_CLOCK
from storage.models import Client, Role, User, UserClient

LANGUAGE_NAMES = {"en": "English", "de": "German"}


def parse_week(text: str) -> Period:
    try:
        return api.iso_week(text)
    except PeriodError as exc:
        raise InputError(f"--week: {exc}") from None


def _last_full_week(time_zone: str) -> Period:
    return api.last_full_week(time_zone, SYSTEM_CLOCK.now())


def _out_path(out: Path) -> Path:
    if out.is_dir():
        raise InputError(f"--out {out} is a folder; give a file name like week.eml")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: the folder {out.parent} does not exist")
    return out


def _default_recipient(session: Session, client: Client | None) -> User:
    """An owner of the client (the digest: a consultant) who has an email address."""
    statement = select(User).where(User.email.is_not(None)).order_by(User.id).limit(1)
    if client is not None:
        statement = statement.join(UserClient, UserClient.user_id == User.id).where(
            User.role == Role.OWNER, UserClient.client_id == client.id
        )
        nobody = f"client {client.name!r} has no owner with an email address; give --to ADDRESS"
    else:
        statement = statement.where(User.role == Role.CONSULTANT)
        nobody = "there is no consultant with an email address; give --to ADDRESS"
    user = session.scalar(statement)
    if user is None:
        raise InputError(nobody)
    return user


@cli.command()
@click.option(
    "--client", "client_name", metavar="NAME", help="The client of the owner's email or report."
)
@click.option("--digest", is_flag=True, help="The consultant's digest across all clients instead.")
@click.option(
    "--week", metavar="YYYY-Www", help="ISO week, e.g. 2026-W47 (default: the last full week)."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    metavar="FILE.eml",
    help="Write the email to this file instead of sending it.",
)
@click.option("--send", is_flag=True, help="Send the email now through the SMTP settings.")
@click.option(
    "--to",
    "recipient",
    metavar="ADDRESS|YYYY-MM-DD",
    help="Recipient (default: the client's first owner with an email; the digest: the "
    "first consultant). With --pdf: the report's last day.",
)
@click.option(
    "--pdf",
    type=click.Path(path_type=Path),
    metavar="FILE.pdf",
    help="Write the client's audit report to this PDF file (instead of an email).",
)
@click.option(
    "--from",
    "first_day",
    metavar="YYYY-MM-DD",
    help="With --pdf: the report's first day (with --to; default: the last 4 full weeks).",
)
@click.option(
    "--language",
    metavar="en|de",
    help="Language (default: the recipient's; a report: its client's first owner's).",
)
@click.option("--no-refresh", is_flag=True, help="Use the stored numbers without updating them.")
@pass_app
def report(
    app: AppContext,
    client_name: str | None,
    digest: bool,
    week: str | None,
    out: Path | None,
    send: bool,
    recipient: str | None,
    pdf: Path | None,
    first_day: str | None,
    language: str | None,
    no_refresh: bool,
) -> None:
    """Preview (--out FILE.eml) or send (--send) one weekly email, or write a client's
    audit report (--pdf FILE.pdf --from DAY --to DAY).

    The email is the one the service sends on Mondays, built from the same numbers. A
    preview or a send by hand is not recorded and does not replace the scheduled email.
    The audit report is what a consultant brings to the meeting with owner and agency:
    verdict and contract, figures against the target, trends, hours of the week, every
    unanswered and removed message, and how the data was collected.
    """
    if pdf is not None:
        if digest or out is not None or send or week is not None:
            raise BadInput(
                "--pdf writes one client's audit report: give --client NAME and the period "
                "with --from and --to, without --digest, --out, --send or --week"
            )
        if client_name is None:
            raise BadInput("--pdf needs --client NAME: the audit report is about one client")
        audit_report(app, client_name, pdf, first_day, recipient, language, no_refresh)
        return
    if first_day is not None:
        raise BadInput("--from gives the first day of an audit report: use it with --pdf")
    if (client_name is None) == (not digest):
        raise BadInput("give either --client NAME or --digest")
    if (out is None) == (not send):
        raise BadInput("give either --out FILE.eml or --send")
    try:
        chosen_week = parse_week(week) if week is not None else None
        address = validation.email(recipient) if recipient is not None else None
        chosen_language = validation.language(language) if language is not None else None
        path = _out_path(out) if out is not None else None
        if send:
            smtp_config(app.settings)  # unusable SMTP settings: say so before anything is done
    except (InputError, ConfigError, SecretError) as exc:
        raise BadInput(str(exc)) from None

    now = SYSTEM_CLOCK.now()
    with app.session() as session:
        client = find_client(session, client_name) if client_name is not None else None
        user: User | None
        if address is None:
            user = _default_recipient(session, client)
            address = str(user.email)
        else:  # a user's address takes that user's language
            user = session.scalar(select(User).where(func.lower(User.email) == address.lower()))
        if client is not None:
            client_ids: tuple[int, ...] = (client.id,)
            zones = [client.time_zone]
        else:
            pairs = session.execute(select(Client.id, Client.time_zone).order_by(Client.name)).all()
            if not pairs:
                raise BadInput("there are no clients yet; `replywatch client add` adds one")
            client_ids = tuple(client_id for client_id, _ in pairs)
            zones = [zone for _, zone in pairs]
        # The digest's default week is the last one that has ended for every client.
        the_week = chosen_week or min(_last_full_week(zone) for zone in zones)
        current = max(api.current_week(zone, now) for zone in zones)
        if the_week > current:
            raise BadInput(f"week {the_week} has not begun yet; the current week is {current}")
        request = SnapshotRequest(
            delivery_id=None,
            recipient=address,
            recipient_name=None,
            user_id=user.id if user is not None else None,
            language=chosen_language or (user.language if user is not None else "en"),
            scope=DIGEST_SCOPE if client is None else client_scope(client.id),
            client_ids=client_ids,
            week=the_week,
            generated_at=now,
            dashboard_url=app.settings.get("dashboard.public_url"),
        )

    if not no_refresh:
        with app.session() as session:
            api.refresh(session, now=now)
    with app.session() as session:
        snapshot = build_snapshot(session, request)
    title = subject(snapshot, Wording(snapshot.language, snapshot.generated_at))
    who = f"{snapshot.recipient_email} ({LANGUAGE_NAMES[snapshot.language]})"
    try:
        if path is not None:
            write_snapshot_eml(app.settings, snapshot, path)
            app.console.print(f'Wrote {path}: "{title}" for {who}.', markup=False)
        else:
            where = send_snapshot(app.settings, snapshot)
            app.console.print(f'Sent "{title}" to {who} through {where}.', markup=False)
        app.console.print(preview_summary(snapshot), markup=False)
    except (ConfigError, SecretError) as exc:
        raise BadInput(str(exc)) from None
    except (ChartError, SendError, OSError) as exc:
        raise click.ClickException(str(exc)) from None


def preview_summary(snapshot: Snapshot) -> str:
    """The email's first sentence, as the recipient reads it."""
    return Wording(snapshot.language, snapshot.generated_at).summary(snapshot.summary)


def _pdf_path(path: Path) -> Path:
    if path.is_dir():
        raise InputError(f"--pdf {path} is a folder; give a file name like audit.pdf")
    if not path.parent.is_dir():
        raise InputError(f"--pdf {path}: the folder {path.parent} does not exist")
    return path


def _report_period(first: str | None, last: str | None, time_zone: str) -> Period | None:
    """The period of --from/--to (None: the default, the last four full weeks)."""
    if first is None and last is None:
        return None
    if first is None or last is None:
        raise InputError("give both --from and --to (or neither: the last 4 full weeks)")
    chosen = date_range(parse_day(first, "--from"), parse_day(last, "--to"))
    if chosen.days > MAX_RANGE_DAYS:
        raise InputError(
            f"--from {first} --to {last} spans {chosen.days} days; a report covers at most "
            f"{MAX_RANGE_DAYS}"
        )
    today = local_today(time_zone, SYSTEM_CLOCK.now())
    if chosen.start > today:
        raise InputError(f"--from {first} has not come yet (today is {today} in {time_zone})")
    return chosen


def _owner_language(session: Session, client: Client) -> str:
    found = session.scalar(
        select(User.language)
        .join(UserClient, UserClient.user_id == User.id)
        .where(User.role == Role.OWNER, UserClient.client_id == client.id)
        .order_by(User.id)
        .limit(1)
    )
    return found or "en"


def audit_report(
    app: AppContext,
    client_name: str,
    path: Path,
    first: str | None,
    last: str | None,
    language: str | None,
    no_refresh: bool,
) -> None:
    """``report --pdf``: the client's audit report for a period, written to ``path``."""
    now = SYSTEM_CLOCK.now()
    with app.session() as session:
        client = find_client(session, client_name)
        try:
            target = _pdf_path(path)
            chosen_language = validation.language(language) if language is not None else None
            period = _report_period(first, last, client.time_zone)
        except (InputError, PeriodError) as exc:
            raise BadInput(str(exc)) from None
        period = period or default_audit_period(client.time_zone, now)
        language = chosen_language or _owner_language(session, client)
        client_id, name = client.id, client.name
    if not no_refresh:
        with app.session() as session:
            api.refresh(session, now=now)
    with app.session() as session:
        try:
            document = audit_pdf(
                session, client_id, period, language, now,
                browser=app.settings.get("reports.browser"),
            )  # fmt: skip
        except PdfError as exc:
            raise click.ClickException(str(exc)) from None
    # Written beside the target and renamed: an interrupted run leaves no half a PDF.
    partial = target.with_name(target.name + ".part")
    try:
        partial.write_bytes(document)
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"--pdf {target}: {exc.strerror or exc}") from None
    app.console.print(
        f"Wrote {target}: the audit report of {name} for {period.start.isoformat()} to "
        f"{period.last_day.isoformat()} ({LANGUAGE_NAMES[language]}, "
        f"{len(document) // 1024} KB).",
        markup=False,
    )
