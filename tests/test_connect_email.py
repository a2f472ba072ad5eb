"""The owner's weekly email asks to reconnect an account 14 days before its connected
access ends (not after), and names what the platform said when it refused."""

from __future__ import annotations

import html
from datetime import timedelta

from metrics import api
from reports.builder import build_snapshot
from reports.render import render
from storage.models import Connection, CredentialStatus
from storage.upsert import upsert_items
from tests.support.factories import add_account, add_client
from tests.test_report_builder import MONDAY_AFTER, _request, _thread

URL = "https://replywatch.example/client?client=1&period=2026-W47"


def _huber(session, ends):
    client = add_client(session, "Bäckerei Huber")
    page = add_account(session, client, "facebook", "baeckerei.huber", "555")
    x = add_account(session, client, "x", "@huber", "100")
    upsert_items(session, x.id, _thread("a", answered=1, unanswered=1))
    session.add(Connection(account_id=page.id, method="meta_login", sealed="gAAAA-sealed",
                           scopes="pages_show_list", expires_at=ends, version=1))  # fmt: skip
    session.flush()
    api.refresh(session, now=MONDAY_AFTER)
    return client, page, x


def _email(session, client, language="en"):
    request = _request([client.id], language=language, url=URL)
    rendered = render(build_snapshot(session, request), "anna@example.com")
    return rendered.text, html.unescape(rendered.html)


def test_the_email_asks_to_reconnect_14_days_before_the_access_ends(session):
    ends = MONDAY_AFTER + timedelta(days=13, hours=23)
    client, *_ = _huber(session, ends)
    text, page = _email(session, client)
    expected = f"Facebook baeckerei.huber: the access ends on {ends:%Y-%m-%d}; reconnect it"
    assert expected in text and expected in page
    link = f"https://replywatch.example/connect?client={client.id}&platform=facebook"
    assert link in text and link in page
    assert "@huber: " not in text.split("Reconnect these accounts")[1].split("\n\n")[0]
    german, _ = _email(session, client, "de")
    assert f"{ends:%Y-%m-%d}" in german and "Reconnect these accounts" not in german


def test_the_email_says_nothing_while_the_end_is_further_away(session):
    client, *_ = _huber(session, MONDAY_AFTER + timedelta(days=14, minutes=1))
    text, page = _email(session, client)
    assert "Reconnect these accounts" not in text
    assert "Reconnect these accounts" not in page


def test_the_email_names_a_revoked_access(session):
    client, _, x = _huber(session, MONDAY_AFTER + timedelta(days=60))
    x.credential_status = CredentialStatus.REVOKED
    session.flush()
    text, _ = _email(session, client)
    assert "X @huber: the access was taken back; reconnect it" in text
