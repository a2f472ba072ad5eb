"""The weekly email's content: wording in English and German, escaping, MIME, chart."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from metrics.labels import Verdict
from metrics.periods import iso_week
from reports.catalog import Wording, clean_text
from reports.chart import ChartRenderer, chart_figure
from reports.message import compose, weekly_message, write_eml
from reports.render import render, safe_url
from reports.snapshot import (
    AccountVerdict,
    Snapshot,
    SnapshotKind,
    Summary,
    VerdictChange,
    verdict_change,
)
from tests.support.snapshots import GENERATED, INJECTION, digest_snapshot, huber, owner_snapshot


@pytest.fixture(scope="module")
def charts():
    with ChartRenderer("/usr/bin/chromium") as renderer:
        yield renderer


@pytest.mark.parametrize(
    ("language", "summary", "sentence"),
    [
        ("en", Summary(12, 3, 2, 7, timedelta(days=6)),
         "12 customer messages came in, 3 got an answer; the oldest unanswered one has waited 6 days."),
        ("de", Summary(12, 3, 2, 7, timedelta(days=6)),
         "12 Kundennachrichten kamen herein, 3 bekamen eine Antwort; die älteste unbeantwortete wartet schon 6 Tage."),
        ("en", Summary(0, 0, 0, 0), "No customer wrote this week."),
        ("de", Summary(0, 0, 0, 0), "Diese Woche hat kein Kunde geschrieben."),
        ("en", Summary(1, 1, 0, 0), "1 customer message came in, it got an answer."),
        ("de", Summary(1, 0, 1, 0, timedelta(hours=5)),
         "1 Kundennachricht kam herein, sie bekam keine Antwort; die älteste unbeantwortete wartet schon 5 Stunden."),
        ("en", Summary(4, 4, 0, 0), "4 customer messages came in, all got an answer."),
        ("de", Summary(1500, 1, 1499, 0, timedelta(minutes=20)),
         "1.500 Kundennachrichten kamen herein, 1 bekam eine Antwort; die älteste unbeantwortete wartet schon 20 Minuten."),
        ("en", Summary(3, 0, 0, 3, timedelta(hours=30)),
         "3 customer messages came in, none got an answer; the oldest unanswered one has waited 30 hours."),
    ],
)  # fmt: skip
def test_summary_sentence(language, summary, sentence):
    assert Wording(language, GENERATED).summary(summary) == sentence


def test_summary_counts_must_add_up():
    with pytest.raises(ValueError, match="exceed the customer messages"):
        Summary(inbound=2, answered=2, waiting=1, missed=0)


@pytest.mark.parametrize(
    ("current", "previous", "change"),
    [
        (Verdict.RESPONSIVE, None, VerdictChange.NEW),
        (Verdict.RESPONSIVE, Verdict.RESPONSIVE, VerdictChange.SAME),
        (Verdict.RESPONSIVE, Verdict.UNRESPONSIVE, VerdictChange.BETTER),
        (Verdict.BROADCAST_ONLY, Verdict.PARTLY_RESPONSIVE, VerdictChange.WORSE),
        (Verdict.INSUFFICIENT_DATA, Verdict.RESPONSIVE, VerdictChange.CHANGED),
        (Verdict.UNRESPONSIVE, Verdict.NO_CONVERSATION, VerdictChange.CHANGED),
    ],
)
def test_verdict_change(current, previous, change):
    assert verdict_change(current, previous) == change


def test_iso_weeks():
    # The email's week is the metrics' Period: one week type for metrics, dashboard, reports.
    week = iso_week("2026-w47")
    assert str(week) == "2026-W47" and week.start.isoformat() == "2026-11-16"
    assert week.week_number == 47 and week.last_day.isoformat() == "2026-11-22"
    assert str(iso_week("2027-W01").previous()) == "2026-W53"
    assert str(iso_week("2026-W53").next()) == "2027-W01"
    with pytest.raises(ValueError, match="is not an ISO week"):
        iso_week("2026-47")
    with pytest.raises(ValueError, match="does not exist"):
        iso_week("2025-W53")


def test_owner_email_in_english():
    rendered = render(owner_snapshot("en"), "chart@x")
    assert rendered.subject == "Bäckerei Huber, week 47: 3 of 12 customer messages answered"
    for part in (rendered.html, rendered.text):
        assert "Hello Anna Huber," in part
        assert "week 47 (Nov 16 – 22, 2026)" in part.replace("\u2009", " ")
        assert "12 customer messages came in, 3 got an answer" in part
        assert "unresponsive" in part and "worse than last week (partly responsive)" in part
        assert "response ratio 30% (last week 70%)" in part
        assert "insufficient data" in part and "over the last 5 weeks" in part
        assert "@kundin_anna on X, 6 days ago" in part
        assert "someone on Instagram, 5 hours ago" in part
        assert "Habt ihr am Sonntag geöffnet?" in part
    assert '<img src="cid:chart@x"' in rendered.html
    assert '<a href="https://x.com/kundin_anna/status/1"' in rendered.html
    assert "https://x.com/kundin_anna/status/1" in rendered.text
    # The text comes first in the summary: it leads the email.
    assert rendered.html.index("12 customer messages") < rendered.html.index("Accounts")


def test_owner_email_in_german():
    rendered = render(owner_snapshot("de"), "chart@x")
    assert rendered.subject == "Bäckerei Huber, KW 47: 3 von 12 Kundennachrichten beantwortet"
    for part in (rendered.html, rendered.text):
        assert "Guten Tag Anna Huber," in part
        assert "Kalenderwoche 47 (16.–22. Nov. 2026)" in part
        assert (
            "antwortet nicht" in part
            and "schlechter als letzte Woche (antwortet teilweise)" in part
        )
        assert "Antwortquote 30 % (letzte Woche 70 %)" in part.replace("\xa0", " ")
        assert "zu wenig Daten" in part and "über die letzten 5 Wochen" in part
        assert "@kundin_anna auf X, vor 6 Tagen" in part
        assert "jemand auf Instagram, vor 5 Stunden" in part
        assert "Noch ohne Antwort" in part
        assert "customer" not in part and "answer" not in part.replace("Antwort", "")
    assert '<html lang="de">' in rendered.html


@pytest.mark.parametrize(
    ("language", "qualifier", "evidence", "repeated"),
    [
        ("en", "mostly redirects and templates",
         "11 of 12 answers sent the customer elsewhere (DM, mail, phone) or repeated a pasted "
         "text.", "Sent most often (6×): “Send us a DM so we can look into this together.”"),
        ("de", "überwiegend Weiterleitungen und Textbausteine",
         "11 von 12 Antworten verwiesen die Kundschaft weiter (DM, Mail, Telefon) oder "
         "wiederholten einen kopierten Text.",
         "Am häufigsten gesendet (6×): „Send us a DM so we can look into this together.“"),
    ],
)  # fmt: skip
def test_the_qualifier_stands_beside_the_verdict_with_its_evidence(
    language, qualifier, evidence, repeated
):
    client = huber()
    hollow = replace(
        client.accounts[0],
        verdict=Verdict.RESPONSIVE,
        answers=12,
        redirects=9,
        templates=2,
        hollow=True,
        most_repeated=("Send us a DM so we can look into this together.", 6),
    )
    snapshot = owner_snapshot(language, clients=(replace(client, accounts=(hollow,)),))
    rendered = render(snapshot, "chart@x")
    for part in (rendered.html, rendered.text):
        assert qualifier in part
        assert evidence in part and repeated in part
    line = next(line for line in rendered.text.splitlines() if "@baeckereihuber" in line)
    assert qualifier in line  # beside the verdict, on its line
    # an account whose answers say something gets no qualifier
    plain = render(owner_snapshot(language), "chart@x")
    assert qualifier not in plain.text and qualifier not in plain.html


def test_digest_covers_every_client():
    rendered = render(digest_snapshot("en"), "c@x")
    assert rendered.subject == "Weekly digest, week 47: 2 clients"
    assert "Hello," in rendered.text
    # Overall first, then one section per client with its own summary.
    assert "13 customer messages came in, 4 got an answer" in rendered.text
    assert rendered.text.index("== Bäckerei Huber ==") < rendered.text.index("== Bagel Corner ==")
    assert "1 customer message came in, it got an answer." in rendered.text
    assert "responsive ▲ - better than last week (unresponsive)" in rendered.text
    german = render(digest_snapshot("de"), "c@x")
    assert german.subject == "Wochenübersicht KW 47: 2 Unternehmen"


def test_customer_text_is_escaped_in_html():
    snapshot = owner_snapshot("en", clients=(huber(text=INJECTION),))
    html = render(snapshot, "c@x").html
    assert "<script>" not in html and "<img src=x" not in html
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34;"
        in html
    )
    # A link that is not http(s) never becomes a link.
    assert "javascript:" not in html
    assert (
        safe_url("javascript:alert(1)") is None
        and safe_url("https://a.example/x") == "https://a.example/x"
    )
    # Client names are escaped too.
    evil = owner_snapshot("en", clients=(huber(),))
    object.__setattr__(evil.clients[0], "client_name", "<b>Evil</b> & Co")
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in render(evil, "c@x").html


def test_clean_text_makes_one_short_line():
    assert clean_text("a\n\n b\x00\tc") == "a b c"
    long = clean_text("x" * 500)
    assert len(long) == 280 and long.endswith("…")


def test_chart_figure_shows_the_weekly_series():
    figure = chart_figure(owner_snapshot("de"))
    inbound, answered = figure.data
    assert list(inbound.x) == [f"KW {n}" for n in range(40, 48)]
    assert list(inbound.y) == [5, 6, 7, 8, 9, 10, 11, 12]
    assert list(answered.y) == [5, 6, 3, 4, 4, 2, 2, 3]
    assert inbound.name == "Kundennachrichten" and answered.name == "beantwortet"
    digest = chart_figure(digest_snapshot("en"))
    assert list(digest.data[0].y)[-1] == 12 + 1, "the digest adds the clients up"


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("language", ["en", "de"])
def test_mime_structure_with_inline_chart(charts, language, tmp_path):
    snapshot = owner_snapshot(language)
    message = weekly_message(snapshot, charts, sender="replywatch@agency.example",
                             message_id="<replywatch.1.2026-W47@agency.example>")  # fmt: skip
    path = tmp_path / "weekly.eml"
    write_eml(message, path)
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)

    assert parsed.get_content_type() == "multipart/alternative"
    text, related = parsed.get_payload()
    assert text.get_content_type() == "text/plain" and text.get_content_charset() == "utf-8"
    assert related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html"
    assert image.get_content_type() == "image/png"
    assert image.get_content_disposition() == "inline"
    content_id = image["Content-ID"].strip("<>")
    assert f'src="cid:{content_id}"' in html.get_content()
    png = image.get_content()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and _png_size(png) == (1200, 520)

    assert parsed["Message-ID"] == "<replywatch.1.2026-W47@agency.example>"
    assert parsed["To"] == "Anna Huber <anna@example.com>"
    assert parsed["From"] == "replywatch <replywatch@agency.example>"
    assert parsed["Content-Language"] == language
    assert parsed["Auto-Submitted"] == "auto-generated"
    words = {"en": "customer messages came in", "de": "Kundennachrichten kamen herein"}
    assert words[language] in text.get_content() and words[language] in html.get_content()
    assert not list(tmp_path.glob(".replywatch-*")), "no temporary file left behind"


def test_compose_keeps_subject_on_one_line():
    snapshot = owner_snapshot("en")
    rendered = render(snapshot, "c@x")
    message = compose(snapshot, rendered, b"\x89PNG fake", sender="r@x.example")
    assert "\n" not in message["Subject"]
    assert re.search(r"\.weekly@x\.example>$", message["Message-ID"])


def test_snapshot_checks_its_shape():
    with pytest.raises(ValueError, match="exactly one client"):
        Snapshot(SnapshotKind.OWNER, "en", "a@b.c", iso_week("2026-W47"), GENERATED, ())
    with pytest.raises(ValueError, match="language"):
        owner_snapshot("fr")
    account = AccountVerdict("x", "@a", Verdict.RESPONSIVE, Verdict.RESPONSIVE)
    assert account.change == VerdictChange.SAME
