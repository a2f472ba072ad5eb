"""The demo's weekly emails as files: what each owner and the consultant get on Monday.

For every user it writes the email the service would send about the last full week: the
owner's email per granted client, the consultant's digest across all clients. Each email
is built by the service's own code (``reports.builder.build_snapshot``, rendered and
composed by ``reports.render`` / ``reports.message``) and written three ways:

- ``2026-W46-anna.eml`` — the complete message (plain text, HTML, inline chart), as sent;
- ``2026-W46-anna.html`` — its HTML part for a browser, with
- ``2026-W46-anna.png`` — the chart next to it (the email refers to it by Content-ID).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select

from metrics import api
from metrics.periods import Period
from replywatch.config import Settings
from reports.builder import build_snapshot
from reports.chart import ChartRenderer
from reports.delivery import SnapshotRequest
from reports.message import compose, new_chart_cid, write_eml
from reports.planning import DIGEST_SCOPE, client_scope
from reports.render import render
from storage.engine import session_scope
from storage.models import Client, Role, User, UserClient
from storage.private_files import make_private_folder, write_private_bytes, write_private_text


@dataclass(frozen=True)
class EmailPreview:
    username: str
    kind: str  # "owner" or "digest"
    week: Period
    subject: str
    eml: Path
    html: Path
    chart: Path


def _last_full_week(time_zone: str, now: datetime) -> Period:
    return api.last_full_week(time_zone, now)


def email_requests(
    engine: Engine,
    now: datetime,
    *,
    usernames: Collection[str] | None = None,
    dashboard_url: str | None = None,
) -> list[tuple[str, SnapshotRequest]]:
    """(user name, request) for each weekly email the users get about the week before
    ``now``, in the order of the users; only ``usernames`` when given."""
    requests = []
    with session_scope(engine) as session:
        clients = session.execute(select(Client.id, Client.time_zone).order_by(Client.name)).all()
        zones = dict(clients)
        for user in session.scalars(select(User).order_by(User.id)):
            if (usernames is not None and user.username not in usernames) or not user.email:
                continue
            if user.role == Role.CONSULTANT:
                # The digest waits for the last client's week to end, as the service's does.
                week = min(_last_full_week(zone, now) for _, zone in clients)
                scopes = [(DIGEST_SCOPE, tuple(client_id for client_id, _ in clients), week)]
            else:
                granted = session.scalars(
                    select(UserClient.client_id).where(UserClient.user_id == user.id)
                ).all()
                scopes = [
                    (client_scope(i), (i,), _last_full_week(zones[i], now))
                    for i in sorted(granted, key=list(zones).index)
                ]
            for scope, client_ids, week in scopes:
                request = SnapshotRequest(
                    delivery_id=None,
                    recipient=user.email,
                    recipient_name=None,
                    user_id=user.id,
                    language=user.language,
                    scope=scope,
                    client_ids=client_ids,
                    week=week,
                    generated_at=now,
                    dashboard_url=dashboard_url,
                )
                requests.append((user.username, request))
    return requests


def write_email_previews(
    engine: Engine,
    settings: Settings,
    now: datetime,
    folder: Path,
    *,
    usernames: Collection[str] | None = None,
    dashboard_url: str | None = None,
) -> list[EmailPreview]:
    """Write every requested weekly email into ``folder`` (made if missing)."""
    make_private_folder(folder)
    sender = settings.get("smtp.sender") or "replywatch@localhost"
    requests = email_requests(engine, now, usernames=usernames, dashboard_url=dashboard_url)
    written = []
    with (
        session_scope(engine) as session,
        ChartRenderer(settings.get("email.chart_browser")) as charts,
    ):
        for username, request in requests:
            snapshot = build_snapshot(session, request)
            kind = "digest" if request.scope == DIGEST_SCOPE else "owner"
            stem = f"{request.week}-{username}" + ("-digest" if kind == "digest" else "")
            if kind == "owner" and len([r for u, r in requests if u == username]) > 1:
                stem += f"-client{request.client_ids[0]}"
            png = charts.png(snapshot)
            cid = new_chart_cid(sender)
            rendered = render(snapshot, cid)
            paths = EmailPreview(
                username, kind, request.week, rendered.subject,
                folder / f"{stem}.eml", folder / f"{stem}.html", folder / f"{stem}.png",
            )  # fmt: skip
            write_eml(compose(snapshot, rendered, png, sender=sender, date=now), paths.eml)
            # Readable by the owner only, like the .eml: they hold customers' messages.
            write_private_bytes(paths.chart, png)
            # A browser cannot follow cid: links; the chart file sits next to the page.
            write_private_text(paths.html, rendered.html.replace(f"cid:{cid}", paths.chart.name))
            written.append(paths)
    return written
