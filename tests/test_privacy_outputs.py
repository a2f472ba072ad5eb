"""Issue 22.4: a purged or forgotten text appears in no later email or audit report (the
dashboard's CSV and Excel downloads: tests/test_dashboard_http.py), on both databases."""

from __future__ import annotations

import html
import shutil
import subprocess
from datetime import timedelta

import pytest

from metrics import api
from reports.audit import build_audit
from reports.audit_pdf import render_audit_pdf
from reports.audit_render import render_audit_html
from reports.builder import build_snapshot
from reports.render import render
from storage.platforms import platform
from storage.privacy import Pseudonyms, forget_author, purge_expired
from storage.upsert import upsert_items
from tests.support.chromium import chromium_installed
from tests.support.factories import add_account, add_client
from tests.test_report_builder import MONDAY_AFTER, WEEK, _request, _thread

KEY = Pseudonyms(b"p" * 40)
FORGOTTEN = "[removed at the author's request]"
EXPIRED = "[text removed after the retention period]"
CHARTS = {name: "<svg></svg>" for name in
          ("ratio", "messages", "times", "inbound_hours", "reply_hours")}  # fmt: skip


@pytest.fixture
def huber(session):
    """Seven unanswered questions of week 47 ("Frage a 0" ... "Frage a 6"), one month's
    retention."""
    client = add_client(session, "Bäckerei Huber", retention_months=1)
    account = add_account(session, client, "x", "@huber", "100")
    upsert_items(session, account.id, _thread("a", unanswered=7), seen_at=MONDAY_AFTER)
    api.refresh(session, now=MONDAY_AFTER)
    session.commit()
    return client


def _email(session, client, language="en"):
    rendered = render(build_snapshot(session, _request([client.id], language=language)), "c@x")
    return rendered.text + html.unescape(rendered.html)


def _audit(session, client, language="en"):
    audit = build_audit(session, client.id, WEEK, MONDAY_AFTER)
    return html.unescape(render_audit_html(audit, language, CHARTS))


def test_the_email_and_the_audit_show_no_forgotten_or_purged_text(session, huber):
    before = _email(session, huber)
    assert "Frage a 2" in before and "kunde/status/a2" in before
    assert "Frage a 2" in _audit(session, huber)

    forget_author(session, KEY, platform("x"), "902", MONDAY_AFTER)  # wrote "Frage a 2"
    session.commit()
    for output in (_email(session, huber), _audit(session, huber)):
        assert "Frage a 2" not in output and "kunde/status/a2" not in output
        assert FORGOTTEN in output and "Frage a 3" in output
    assert "9 customer messages" not in before  # the figures: seven, before and after
    assert "7 customer messages came in" in _email(session, huber)

    purge_expired(session, KEY, MONDAY_AFTER + timedelta(days=45))
    session.commit()
    german = _email(session, huber, "de")
    for output in (_email(session, huber), _audit(session, huber), german,
                   _audit(session, huber, "de")):  # fmt: skip
        assert "Frage a" not in output and "kunde/status" not in output
    assert EXPIRED in _email(session, huber)
    assert "[Text nach Ablauf der Aufbewahrungsfrist entfernt]" in german
    assert "7 Kundennachrichten kamen herein" in german


@pytest.mark.browser
def test_the_printed_audit_has_no_purged_text(session, huber, tmp_path):
    if not (chromium_installed() and shutil.which("pdftotext")):
        pytest.skip("needs Debian's Chromium and pdftotext")
    purge_expired(session, KEY, MONDAY_AFTER + timedelta(days=45))
    session.commit()
    path = tmp_path / "audit.pdf"
    path.write_bytes(render_audit_pdf(build_audit(session, huber.id, WEEK, MONDAY_AFTER), "en"))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "Bäckerei Huber" in text
    assert "Frage a" not in text and "text removed after the retention" in " ".join(text.split())
