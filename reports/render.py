"""A snapshot as email text: subject, HTML (escaped by Jinja2) and a plain-text alternative."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from reports.catalog import Wording, clean_text
from reports.snapshot import Snapshot, SnapshotKind

TEMPLATES = Path(__file__).parent / "templates"
OWNER_UNANSWERED = 5
DIGEST_UNANSWERED = 3


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str
    chart_cid: str  # the Content-ID (without <>) the HTML's <img> refers to


@cache
def _environment(autoescape: bool) -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def safe_url(url: str | None) -> str | None:
    """Only http(s) links go into an email; anything else (javascript:, data:) is dropped."""
    if not url:
        return None
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return None
    return url.strip()


def subject(snapshot: Snapshot, wording: Wording) -> str:
    number = snapshot.week.week_number
    if snapshot.kind == SnapshotKind.DIGEST:
        clients = wording.ngettext("{count} client", "{count} clients", len(snapshot.clients))
        text = wording.gettext(
            "Weekly digest, week {number}: {clients}", number=number, clients=clients
        )
    else:
        client = snapshot.clients[0]
        if client.summary.inbound == 0:
            text = wording.gettext(
                "{client}, week {number}: no customer messages",
                client=client.client_name,
                number=number,
            )
        else:
            text = wording.gettext(
                "{client}, week {number}: {answered} of {inbound} customer messages answered",
                client=client.client_name,
                number=number,
                answered=wording.number(client.summary.answered),
                inbound=wording.number(client.summary.inbound),
            )
    return " ".join(text.split())  # a header is one line


def render(snapshot: Snapshot, chart_cid: str) -> RenderedEmail:
    wording = Wording(snapshot.language, snapshot.generated_at)
    number = snapshot.week.week_number
    dates = wording.week_dates(snapshot.week)
    if snapshot.kind == SnapshotKind.DIGEST:
        intro = wording.gettext(
            "this is how your clients answered their customers on social media in week "
            "{number} ({dates}).",
            number=number,
            dates=dates,
        )
        footer = wording.gettext("You receive this digest every Monday as a replywatch consultant.")
    else:
        client = snapshot.clients[0]
        intro = wording.gettext(
            "this is how {client} answered its customers on social media in week {number} "
            "({dates}).",
            client=client.client_name,
            number=number,
            dates=dates,
        )
        footer = wording.gettext(
            "You receive this email every Monday because you have access to {client} in "
            "replywatch. Times are in {time_zone}.",
            client=client.client_name,
            time_zone=client.time_zone,
        )
    greeting = (
        wording.gettext("Hello {name},", name=snapshot.recipient_name)
        if snapshot.recipient_name
        else wording.gettext("Hello,")
    )
    title = subject(snapshot, wording)
    context = {
        "s": snapshot,
        "w": wording,
        "_": wording.gettext,
        "ngettext": wording.ngettext,
        "subject": title,
        "greeting": greeting,
        "intro": intro,
        "footer": footer,
        "chart_cid": chart_cid,
        "dashboard_url": snapshot.dashboard_url,
        "clean": clean_text,
        "safe_url": safe_url,
        "owner_limit": OWNER_UNANSWERED,
        "digest_limit": DIGEST_UNANSWERED,
    }
    html = _environment(True).get_template("weekly.html.j2").render(context)
    text = _environment(False).get_template("weekly.txt.j2").render(context)
    return RenderedEmail(subject=title, html=html, text=text, chart_cid=chart_cid)
