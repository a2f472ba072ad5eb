"""``status``: what is configured, when each account was last collected, what needs care."""

from __future__ import annotations

import shlex
import stat
from pathlib import Path

from sqlalchemy import URL, func, or_, select
from sqlalchemy.orm import Session

from replywatch.cli import cli
from replywatch.cli.collect import private_text
from replywatch.cli.context import AppContext, pass_app
from replywatch.cli.formatting import table, when
from replywatch.service import HEARTBEAT_KEY, SCHEDULER_LEASE
from reports.delivery import DeliveryStatus
from storage import collection_slots, leases
from storage.clock import SYSTEM_CLOCK
from storage.engine import sqlite_file
from storage.models import (
    Account,
    Client,
    CollectionRun,
    EmailDelivery,
    Item,
    Lease,
    User,
)
from storage.platforms import platform as platform_spec
from storage.private_files import open_to_others
from storage.renewal import CredentialState, Standing, credential_states
from storage.running import running_runs

STATUS_ORDER = ("sent", "pending", "sending", "submitting", "uncertain", "failed")
# Read or write permission for the group or for everybody.
OTHERS_READ_WRITE = 0o066


@cli.command()
@pass_app
def status(app: AppContext) -> None:
    """Clients, accounts, last collection per account, credentials needing renewal."""
    with app.session() as session:
        latest = (
            select(CollectionRun.account_id, func.max(CollectionRun.id).label("run_id"))
            .group_by(CollectionRun.account_id)
            .subquery()
        )
        items = (
            select(Item.account_id, func.count().label("item_count"))
            .group_by(Item.account_id)
            .subquery()
        )
        rows = session.execute(
            select(Account, Client.name, CollectionRun, func.coalesce(items.c.item_count, 0))
            .join(Client, Client.id == Account.client_id)
            .outerjoin(latest, latest.c.account_id == Account.id)
            .outerjoin(CollectionRun, CollectionRun.id == latest.c.run_id)
            .outerjoin(items, items.c.account_id == Account.id)
            .order_by(Client.name, Account.id)
        ).all()
        clients = session.scalar(select(func.count()).select_from(Client)) or 0
        users = session.scalar(select(func.count()).select_from(User)) or 0

        app.console.print(f"Database: {app.engine.url.render_as_string(hide_password=True)}")
        app.console.print(f"{clients} clients, {len(rows)} accounts, {users} users.")
        app.console.print(service_line(session), markup=False)
        if collection_slots.shared(app.engine):
            app.console.print(backlog_line(session), markup=False)
        email_attention = file_warnings(app.engine.url) + emails_part(session, app)
        if not rows:
            app.console.print("No accounts yet: replywatch account add --help")
            _print_attention(app, email_attention)
            return
        out = table(
            "id", "client", "platform", "handle", "items", "last collection", "outcome",
            "credentials",
        )  # fmt: skip
        attention: list[str] = []
        # A run still "running" whose process is gone (the account's claim tells).
        orphaned = {
            found.run_id: found
            for found in running_runs(session.connection(), SYSTEM_CLOCK.now())
            if found.orphaned
        }
        now = SYSTEM_CLOCK.now()
        states = credential_states(session, [row[0].id for row in rows], now)
        for account, client_name, run, item_count in rows:
            outcome = run.outcome if run else "-"
            if run and run.private_skipped:
                outcome = f"{outcome}, {private_text(run.private_skipped)}"
            if run and run.id in orphaned:
                outcome = "interrupted"
                claim = orphaned[run.id].claim
                process = f" ({claim.owner})" if claim is not None else ""
                attention.append(
                    f"account {account.id} {account.handle}: last run interrupted: started "
                    f"{when(run.started_at)}, its process{process} is gone (nothing stored is "
                    "lost; the next collection continues)"
                )
            elif run and run.outcome not in ("ok", "running"):
                detail = f": {run.error}" if run.error else ""
                attention.append(
                    f"account {account.id} {account.handle}: last run {run.outcome}{detail}"
                )
            state = states[account.id]
            if state.needs_renewal:
                attention.append(renewal_line(account, client_name, state))
            out.add_row(
                str(account.id),
                client_name,
                account.platform,
                account.handle + ("" if account.active else " (inactive)"),
                str(item_count),
                when(run.started_at if run else None),
                outcome,
                credentials_cell(state),
            )
        app.console.print(out)
        _print_attention(app, attention + email_attention)


def credentials_cell(state: CredentialState) -> str:
    """The credentials column: the standing, and the date a connected grant ends."""
    if state.standing is Standing.RENEW_SOON and state.ends is not None:
        return f"needs renewal by {state.ends:%Y-%m-%d}"
    if state.standing.needs_renewal:
        return state.standing.value
    if state.ends is not None:
        return f"{state.standing.value} until {state.ends:%Y-%m-%d}"
    return state.standing.value


def renewal_line(account: Account, client_name: str, state: CredentialState) -> str:
    """What to do about credentials that need renewal, in one line (never a token)."""
    what = {
        Standing.RENEW_SOON: "the connected grant ends on {ends}",
        Standing.EXPIRED: "the token expired{since}",
        Standing.REVOKED: "the platform says the access was taken back",
        Standing.NO_PERMISSION: "a permission the collector needs is missing",
        Standing.REFUSED: "the platform refused the credentials",
    }[state.standing]
    ends = f"{state.ends:%Y-%m-%d}" if state.ends is not None else ""
    text = what.format(ends=ends, since=f" on {ends}" if ends else "")
    reason = f" ({state.reason})" if state.reason else ""
    if state.connected or platform_spec(account.platform).connect is not None:
        fix = (
            f"reconnect: replywatch account connect --client {quoted(client_name)} "
            f"--platform {account.platform}"
        )
    else:
        fix = f"renew the secret {account.credentials_ref or '(none named)'}"
    return f"account {account.id} {account.handle}: credentials need renewal{reason}: {text}; {fix}"


def quoted(text: str) -> str:
    return shlex.quote(text)


def file_warnings(url: URL) -> list[str]:
    """An SQLite database (or its -wal and -shm files) that other users may read."""
    path = sqlite_file(url)
    if path is None:
        return []
    warnings = []
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if open_to_others(file) & OTHERS_READ_WRITE:
            mode = stat.S_IMODE(file.stat().st_mode)
            warnings.append(
                f"database file {file} is open to other users (permissions {mode:04o}); it "
                f"holds password hashes, email addresses and customers' messages: "
                f"chmod 600 {file}"
            )
    return warnings


def _print_attention(app: AppContext, attention: list[str]) -> None:
    if attention:
        app.console.print("[bold]Needs attention:[/bold]")
        for line in attention:
            app.console.print(f"  - {line}", markup=False)
    else:
        app.console.print("Nothing needs attention.")


def service_line(session: Session) -> str:
    """Running only while the leader's scheduler works: its lease alone is renewed by a
    thread of its own, its heartbeat only by the scheduler (replywatch.service)."""
    now = SYSTEM_CLOCK.now()
    info = leases.holder(session.connection(), SCHEDULER_LEASE, now)
    if info is None:
        return "Service: not running (start it with: replywatch run)."
    beat = session.execute(
        select(Lease.owner, Lease.expires_at).where(Lease.key == HEARTBEAT_KEY)
    ).first()
    if beat is not None and beat.owner == info.owner and beat.expires_at > now:
        return f"Service: running as {info.owner} (lease renewed until {when(info.expires_at)})."
    since = "yet"
    if beat is not None and beat.owner == info.owner:
        since = f"since its heartbeat ran out at {when(beat.expires_at)}"
    return (
        f"Service: {info.owner} holds the scheduler lease, but its scheduler has not worked "
        f"{since}: see that process's log (it gives up the lead by itself when it cannot work)."
    )


def backlog_line(session: Session) -> str:
    """PostgreSQL: the collections due that no process has taken yet (a backlog that only
    grows means too few ``replywatch run`` processes or workers for the accounts)."""
    found = collection_slots.backlog(session.connection())
    if not found.due:
        return "Collections due: none waiting."
    accounts = "account" if found.due == 1 else "accounts"
    return (
        f"Collections due: {found.due:,} {accounts} waiting for a collector, the longest "
        f"since {when(found.oldest)}."
    )


def _recipient(delivery: EmailDelivery) -> str:
    return f"email {delivery.id} to {delivery.recipient} ({delivery.scope}, {delivery.iso_week})"


def emails_part(session: Session, app: AppContext) -> list[str]:
    """Print the weekly emails of the latest weeks; return the lines needing attention."""
    weeks = session.scalars(
        select(EmailDelivery.iso_week).distinct().order_by(EmailDelivery.iso_week.desc()).limit(2)
    ).all()
    if not weeks:
        app.console.print("Weekly emails: none planned yet.")
    for week in sorted(weeks):
        counts = dict(
            session.execute(
                select(EmailDelivery.status, func.count())
                .where(EmailDelivery.iso_week == week)
                .group_by(EmailDelivery.status)
            ).all()
        )
        parts = ", ".join(f"{counts[name]} {name}" for name in STATUS_ORDER if counts.get(name))
        app.console.print(f"Weekly emails {week}: {parts}.", markup=False)

    attention: list[str] = []
    troubled = session.scalars(
        select(EmailDelivery)
        .where(
            or_(
                EmailDelivery.status.in_((DeliveryStatus.FAILED, DeliveryStatus.UNCERTAIN)),
                EmailDelivery.last_error.is_not(None)
                & EmailDelivery.status.in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
            )
        )
        .order_by(EmailDelivery.id)
    ).all()
    for delivery in troubled:
        if delivery.status == DeliveryStatus.FAILED:
            attention.append(
                f"{_recipient(delivery)} failed after {delivery.attempts} attempts: "
                f"{delivery.last_error}; to send it again: replywatch email retry {delivery.id}"
            )
        elif delivery.status == DeliveryStatus.UNCERTAIN:
            attention.append(
                f"{_recipient(delivery)} may or may not have arrived: {delivery.last_error}; "
                f"check the mail server's log, then if needed: replywatch email retry "
                f"{delivery.id}"
            )
        else:
            app.console.print(
                f"  {_recipient(delivery)}: attempt {delivery.attempts} failed "
                f"({delivery.last_error}); next attempt {when(delivery.next_attempt_at)}",
                markup=False,
            )
    return attention
