"""The MIME message of a weekly email, and writing it as an .eml file.

Structure (what mail clients expect for an HTML mail with an inline image)::

    multipart/alternative
    ├── text/plain; charset=utf-8
    └── multipart/related
        ├── text/html; charset=utf-8           <img src="cid:…">
        └── image/png   Content-ID: <…>   Content-Disposition: inline
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

from reports.chart import ChartRenderer
from reports.render import RenderedEmail, render
from reports.snapshot import Snapshot


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "replywatch.invalid"


def new_chart_cid(sender: str) -> str:
    return make_msgid("chart", domain=_domain(sender)).strip("<>")


def compose(
    snapshot: Snapshot,
    rendered: RenderedEmail,
    chart_png: bytes,
    *,
    sender: str,
    message_id: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = Address(display_name="replywatch", addr_spec=sender)
    if snapshot.recipient_name:
        message["To"] = Address(
            display_name=snapshot.recipient_name, addr_spec=snapshot.recipient_email
        )
    else:
        message["To"] = snapshot.recipient_email
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message["Message-ID"] = message_id or make_msgid("weekly", domain=_domain(sender))
    # RFC 3834: nobody's out-of-office reply should go back to replywatch.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text, charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    html_part = message.get_payload()[1]
    html_part.add_related(
        chart_png,
        maintype="image",
        subtype="png",
        cid=f"<{rendered.chart_cid}>",
        disposition="inline",
        filename=f"replywatch-{snapshot.week}.png",
    )
    # After the body: set_content() and add_alternative() move Content-* headers.
    message["Content-Language"] = snapshot.language
    return message


def weekly_message(
    snapshot: Snapshot,
    charts: ChartRenderer,
    *,
    sender: str,
    message_id: str | None = None,
) -> EmailMessage:
    """Render a snapshot and its chart into a complete message."""
    cid = new_chart_cid(sender)
    rendered = render(snapshot, cid)
    return compose(
        snapshot, rendered, charts.png(snapshot), sender=sender, message_id=message_id,
        date=snapshot.generated_at,
    )  # fmt: skip


def message_bytes(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=SMTP)


def write_eml(message: EmailMessage, path: Path) -> None:
    """Write the message as an .eml file, whole or not at all."""
    path = Path(path)
    data = message_bytes(message)
    handle, temporary = tempfile.mkstemp(prefix=".replywatch-", suffix=".eml", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
