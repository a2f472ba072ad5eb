"""The audit report: its numbers from the metrics API, printed to PDF by Debian's Chromium
and read back the way a person would: the text with ``pdftotext``, the pages drawn with
``pdftoppm``, the images listed with ``pdfimages``.

The fixture world (tests/support/dashboard_data.py) has twelve weeks of conversations up
to now, two failed collection runs of Bäckerei Huber's X account, a hidden customer
message and customer texts that try HTML injection. The first page of the English
report is the manual's screenshot (docs/screenshots/audit-report.png).
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from metrics import api, formats
from metrics.evidence import verdict_evidence
from metrics.periods import default_audit_period
from reports.audit import GAP_OUTCOMES, AnswerQuality, build_audit
from reports.audit_charts import coverage_grid
from reports.audit_pdf import render_audit_pdf
from reports.audit_render import AuditPage, css_string, render_audit_html
from storage.engine import make_engine, session_factory
from tests.support.chromium import SCREENSHOTS, chromium_installed
from tests.support.dashboard_data import (
    GLUTEN_TEXT,
    IMG_TEXT,
    REMOVED_TEXT,
    SCRIPT_TEXT,
    build_dashboard_world,
)

NOW = datetime.now(UTC)  # the world's data are placed relative to this same instant
ZONE = "Europe/Berlin"
PERIOD = default_audit_period(ZONE, NOW)


def _flat(text: str) -> str:
    return " ".join(text.split())


# --- the content, on both databases -------------------------------------------------------


def test_the_audit_holds_the_metrics_api_numbers_and_the_collection_gaps(session):
    world = build_dashboard_world(session, NOW)
    assert PERIOD.days == 28 and PERIOD.start.weekday() == 0  # the last four full weeks
    audit = build_audit(session, world.huber, PERIOD, NOW)

    metrics = api.client_metrics(session, world.huber, PERIOD, now=NOW)
    assert audit.metrics == metrics
    assert audit.metrics.inbound > 0 and audit.metrics.missed > 0
    missed = api.unanswered_items(
        session, client_id=world.huber, period=PERIOD, now=NOW, limit=None
    )
    assert [item.item_id for item in audit.missed] == [item.item_id for item in missed]
    assert REMOVED_TEXT in [item.text for item in audit.removed]
    assert len(audit.removed) == metrics.removed_inbound
    # The trend: eight weeks ending with the period's last, four of them the period.
    assert [p.period.label for p in audit.trend][-1] == api.week_of(PERIOD.last_day).label
    assert len(audit.trend) == 8 and len(audit.trend_weeks_in_period) == 4

    # Collection: X failed twice in the period (runs 30 and 31, HTTP 503); runs began
    # 21 days ago, after the period began, so what was deleted before was never seen.
    first, after = PERIOD.bounds(ZONE)
    x_gaps = [gap for gap in audit.gaps if gap.account_id == world.huber_x]
    assert [gap.outcome for gap in x_gaps] == ["failed", "failed"]
    assert all(
        gap.outcome in GAP_OUTCOMES and first <= gap.started_at < after for gap in audit.gaps
    )
    by_account = {found.account_id: found for found in audit.collection}
    assert set(by_account) == {world.huber_x, world.huber_mastodon}
    x = by_account[world.huber_x]
    assert x.gaps == 2 and x.runs == x.complete + x.partial + x.gaps
    assert x.started_late and not x.stopped_early
    assert metrics.answering_replies > 0
    assert audit.answer_quality == AnswerQuality(
        metrics.redirect_share, metrics.template_share, metrics.substantive_ratio
    )


# --- the PDF, read back -------------------------------------------------------------------

needs_tools = pytest.mark.skipif(
    not (chromium_installed() and shutil.which("pdftotext") and shutil.which("pdftoppm")),
    reason="Debian's chromium and poppler-utils are not installed (make prerequisites)",
)


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


@pytest.fixture(scope="module")
def huber_audit(tmp_path_factory, sqlite_template):
    """Bäckerei Huber's audit of the fixture world, in SQLite."""
    path = tmp_path_factory.mktemp("audit") / "rw.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with session_factory(engine)() as session:
        world = build_dashboard_world(session, NOW)
        audit = build_audit(session, world.huber, PERIOD, NOW)
    engine.dispose()
    return audit


@pytest.fixture(scope="module")
def printed(huber_audit, tmp_path_factory):
    """The report in English and German."""
    folder = tmp_path_factory.mktemp("printed")
    files = {}
    for language in ("en", "de"):
        files[language] = folder / f"audit-{language}.pdf"
        files[language].write_bytes(render_audit_pdf(huber_audit, language))
    return huber_audit, files


def _pages(path: Path) -> list[str]:
    count = int(re.search(r"^Pages:\s+(\d+)", _run("pdfinfo", str(path)), re.M).group(1))
    return [
        _run("pdftotext", "-layout", "-f", str(n), "-l", str(n), str(path), "-")
        for n in range(1, count + 1)
    ]


@pytest.mark.browser
@pytest.mark.slow
@needs_tools
def test_the_english_report_says_what_the_metrics_say(printed, tmp_path):
    audit, files = printed
    pages = _pages(files["en"])
    flat = [_flat(page) for page in pages]
    total = len(pages)
    # Cover, key figures, trend, hours, evidence, method: each chapter starts a page.
    assert total >= 6
    span = _flat(formats.date_span(PERIOD.start, PERIOD.last_day, "en"))
    for number, page in enumerate(flat, start=1):
        assert f"Page {number} of {total}" in page  # the footer, on every page
        assert f"Bäckerei Huber · {span}" in page
    cover = flat[0]
    metrics = audit.metrics
    assert cover.startswith("REPLYWATCH · AUDIT REPORT Bäckerei Huber")
    assert f"Period: {span} (4 weeks), times in Europe/Berlin" in cover
    assert metrics.verdict.name("en") in cover
    assert _flat(verdict_evidence(metrics.verdict, metrics.settings, "en")) in cover
    assert "Response-time target 4 hrs in business hours" in cover
    assert "Answer window 3 days" in cover
    assert "Business hours mon-fri 08:00-18:00, sat 09:00-12:00" in cover
    figures = flat[1]
    assert figures.startswith("Key figures against the target")
    ratio = formats.percent(metrics.response_ratio, "en")
    assert f"Response ratio {ratio}" in figures
    assert f"Customer messages {metrics.inbound}" in figures
    assert f"Missed {metrics.missed}" in figures
    assert "Weekly trend" in flat[2] and "Hours of the week" in flat[3]
    assert formats.percent(metrics.uncovered_share, "en") in flat[3]

    # The evidence: every missed message, each whole on one page with its author.
    evidence = " ".join(flat[4:])
    assert f"Not answered, oldest first ({metrics.missed})" in evidence
    for entry in AuditPage(audit, "en").entries(audit.missed):
        # An entry as printed: when, where, who (and notes), then the text: on one page,
        # never split by a page break.
        printed_entry = _flat(" · ".join([entry.when, entry.account, entry.author, *entry.notes]))
        printed_entry += " " + _flat(entry.text)
        assert any(printed_entry in page for page in flat), printed_entry
    assert SCRIPT_TEXT in evidence and IMG_TEXT in evidence  # printed as text, not run
    assert "javascript:" not in evidence
    assert f"Removed customer messages ({metrics.removed_inbound})" in evidence
    assert REMOVED_TEXT in evidence
    method = flat[-1] if "Data gaps" in flat[-1] else " ".join(flat[-2:])
    assert "Where the data comes from" in method and "Mastodon, X" in method
    assert "Data gaps" in method and "failed" in method
    assert "Answer quality: an answer that only sends the customer elsewhere" in method

    # Charts are vector graphics: the PDF holds no raster image at all.
    images = _run("pdfimages", "-list", str(files["en"])).splitlines()[2:]
    assert images == []
    # Every page draws; the first is the manual's screenshot.
    _run("pdftoppm", "-r", "50", "-png", str(files["en"]), str(tmp_path / "page"))
    assert len(list(tmp_path.glob("page-*.png"))) == total
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    _run("pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile",
         str(files["en"]), str(SCREENSHOTS / "audit-report"))  # fmt: skip
    assert (SCREENSHOTS / "audit-report.png").stat().st_size > 10_000


@pytest.mark.browser
@pytest.mark.slow
@needs_tools
def test_the_german_report_speaks_german_with_its_plural_forms(printed):
    audit, files = printed
    flat = [_flat(page) for page in _pages(files["de"])]
    total = len(flat)
    assert all(f"Seite {n} von {total}" in page for n, page in enumerate(flat, start=1))
    cover = flat[0]
    assert "PRÜFBERICHT" in cover and "(4 Wochen)" in cover
    assert audit.metrics.verdict.name("de") in cover
    assert "Kennzahlen gegen das Ziel" in flat[1]
    assert "Wochenverlauf" in flat[2] and "8 Wochen bis zum Ende des Zeitraums" in flat[2]
    evidence = " ".join(flat[4:])
    # A missed question the account liked instead of answering, its line break kept.
    assert f"{_flat(GLUTEN_TEXT)}" in evidence
    assert "Frage · geliked, nicht beantwortet" in evidence


# --- the page, without a browser ----------------------------------------------------------


def test_answer_quality_is_a_section_of_its_own_only_when_there_are_answers(huber_audit):
    audit = huber_audit
    charts = {name: "<svg></svg>" for name in ("ratio", "messages", "times")}
    charts |= {"inbound_hours": "<svg></svg>", "reply_hours": "<svg></svg>"}
    without = render_audit_html(dataclasses.replace(audit, answer_quality=None), "en", charts)
    assert 'id="answer-quality"' not in without
    assert "Answer quality: an answer that only sends" in without  # the rule, in the method
    quality = AnswerQuality(redirect_share=0.4, template_share=0.25, substantive_ratio=0.3)
    page = render_audit_html(dataclasses.replace(audit, answer_quality=quality), "de", charts)
    section = page[page.index('id="answer-quality"') : page.index('id="method"')]
    assert "Verweise unter den Antworten</th><td>40\xa0%" in section
    assert "Textbausteine unter den Antworten</th><td>25\xa0%" in section
    assert "Antwortqualität: Eine Antwort, die nur weiterverweist" in page


def test_customer_text_and_names_cannot_break_out_of_the_page(huber_audit):
    hostile = '</style><script>alert(1)</script>"; } body { display:none'
    audit = dataclasses.replace(huber_audit, client_name=hostile)
    page = render_audit_html(audit, "en", {name: "<svg></svg>" for name in (
        "ratio", "messages", "times", "inbound_hours", "reply_hours")})  # fmt: skip
    assert "<script>" not in page  # neither the customers' nor the name's
    assert "&lt;script&gt;window.__replywatch_xss = 1&lt;/script&gt;" in page
    assert page.count("</style>") == 1 and page.count("<style>") == 1
    span = formats.date_span(PERIOD.start, PERIOD.last_day, "en")
    assert f"content: {css_string(hostile + ' · ' + span)};" in page
    assert css_string('a"b</style>') == '"a\\000022b\\00003c/style\\00003e"'
    assert "default-src 'none'" in page  # the page may run and fetch nothing


def test_an_hour_grid_of_nothing_is_white_with_a_sentence():
    svg = coverage_grid([0] * 168, ("#d5efcf", "#00441b"), "Own replies", "en",
                        empty_note="No own reply in these 8 weeks.")  # fmt: skip
    fills = re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"', svg)
    assert fills.count("#ffffff") >= 168 and set(fills) == {"#ffffff"}
    assert "No own reply in these 8 weeks." in svg
    busy = coverage_grid([0] * 167 + [5], ("#d5efcf", "#00441b"), "Own replies", "en")
    assert re.findall(r'<rect [^>]*fill="(#[0-9a-f]{6})"', busy)[-1] == "#00441b"
