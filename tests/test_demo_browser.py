"""The demo's dashboard in Debian's headless Chromium: what the README shows.

``replywatch demo --no-serve`` builds its portfolio up to this moment (the data and the
dashboard's "now" are the same instant, as when a newcomer runs ``make demo``), then
``replywatch serve`` serves that database. The consultant's league table must rank the
three stories and the bakery's page must say *broadcast-only* with its unanswered
messages; both pages are the README's screenshots (docs/screenshots/demo-*.png).
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from metrics.periods import last_full_week
from replywatch.demo.setup import demo_password
from sandbox.generator import DEMO_PORTFOLIO, Story
from storage.engine import make_engine, session_scope
from storage.models import Client
from tests.support.chromium import SCREENSHOTS, chromium, chromium_installed
from tests.support.cli import run_process
from tests.support.serve_process import serve_process

pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# The demo's present, to the minute, is the moment this module runs: its activity ends
# now, and the dashboard served below reads the same clock.
NOW = datetime.now(UTC).replace(second=0, microsecond=0)
BAKERY = DEMO_PORTFOLIO.by_story(Story.BROADCAST)
HOLLOW = DEMO_PORTFOLIO.by_story(Story.HOLLOW)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Path]:
    home = tmp_path_factory.mktemp("demo-browser")
    database = home / "demo.db"
    made = run_process(
        "demo", "--no-serve", "--db", str(database), "--now", NOW.isoformat(),
        env={"XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config"),
             "REPLYWATCH_LOG_LEVEL": "warning"},
    )  # fmt: skip
    assert made.code == 0, made.err
    return database, home


@pytest.fixture(scope="module")
def served(demo):
    """``replywatch serve`` on the demo database, and the browser."""
    if not chromium_installed():
        pytest.skip("Debian's chromium is not installed (make prerequisites)")
    database, home = demo
    with serve_process(f"sqlite:///{database}", home) as process, chromium() as browser:
        yield process.url, browser


@pytest.fixture(scope="module")
def page(served):
    base, browser = served
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    opened.base = base
    yield opened
    context.close()


def _shot(page, name: str, height: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size
    page.set_viewport_size({"width": viewport["width"], "height": height})
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)  # let Plotly finish drawing
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size(viewport)


def test_the_consultant_sees_the_three_stories_and_the_broadcast_only_bakery(page, demo):
    database, _ = demo
    week = last_full_week(BAKERY.time_zone, NOW)
    page.goto(f"{page.base}/login?next=/%3Fperiod%3D{week.iso_week}")
    page.fill("#username", "mara")
    page.fill("#password", demo_password("mara"))
    page.click("button[type=submit]")
    page.wait_for_selector("#league-table")
    # mara reads German; the README is in English: she switches, as any user can.
    page.click("button[value=en]")
    page.wait_for_selector("#league-table tr.league-client")
    page.wait_for_function("document.querySelector('#logout').innerText === 'Log out'")

    rows = page.locator("#league-table tr.league-client").all_inner_texts()
    names = sorted(client.name for client in DEMO_PORTFOLIO.clients)
    assert sorted(row.split("\t")[0].strip() for row in rows) == names
    bakery_row = next(row for row in rows if row.startswith(BAKERY.name))
    assert "broadcast-only" in bakery_row
    # the agency that answers everything with a DM redirect: the qualifier beside the verdict
    hollow_row = next(row for row in rows if row.startswith(HOLLOW.name))
    assert "responsive" in hollow_row and "mostly redirects and templates" in hollow_row
    page.wait_for_selector("#comparison-chart .bar-row")
    _shot(page, "demo-portfolio", height=1100)

    engine = make_engine(f"sqlite:///{database}")
    try:
        with session_scope(engine) as session:
            bakery_id = session.query(Client.id).filter(Client.name == BAKERY.name).scalar()
    finally:
        engine.dispose()
    page.goto(f"{page.base}/client?client={bakery_id}&period={week.iso_week}")
    page.wait_for_selector("#verdict-unanswered li")
    assert page.inner_text("#verdict-name .verdict-badge") == "broadcast-only"
    assert page.inner_text("#verdict-explanation") == (
        "The account only posts: customers wrote, and none of them got an answer."
    )
    assert page.inner_text("#verdict-evidence").endswith("customer messages went unanswered.")
    assert page.locator("#verdict-unanswered li").count() > 0
    _shot(page, "demo-broadcast-only", height=1300)


def test_the_agency_that_says_nothing_shows_its_evidence(page, demo):
    database, _ = demo
    week = last_full_week(HOLLOW.time_zone, NOW)
    engine = make_engine(f"sqlite:///{database}")
    try:
        with session_scope(engine) as session:
            client_id = session.query(Client.id).filter(Client.name == HOLLOW.name).scalar()
    finally:
        engine.dispose()
    page.goto(f"{page.base}/login?next=/client%3Fclient%3D{client_id}%26period%3D{week.iso_week}")
    page.fill("#username", "lena")
    page.fill("#password", demo_password("lena"))
    page.click("button[type=submit]")
    page.wait_for_selector("#verdict-qualifier")
    assert page.inner_text("#verdict-qualifier") == "überwiegend Weiterleitungen und Textbausteine"
    repeated = page.locator("#verdict-repeated li").all_inner_texts()
    assert repeated and "Schreib uns gern eine DM" in repeated[0]
    assert page.locator("#verdict-redirects li a[href]").count() >= 1
    assert "Weiterleitungen" in page.inner_text("#verdict-quality")
    _shot(page, "demo-hollow-de", height=1400)


def _client_ids(database: Path) -> dict[str, int]:
    engine = make_engine(f"sqlite:///{database}")
    try:
        with session_scope(engine) as session:
            return {name: client_id for name, client_id in session.execute(
                select(Client.name, Client.id))}  # fmt: skip
    finally:
        engine.dispose()


def _logged_in(served, username: str):
    base, browser = served
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    opened.goto(f"{base}/login")
    opened.fill("#username", username)
    opened.fill("#password", demo_password(username))
    opened.click("button[type=submit]")
    opened.wait_for_selector("#page-title")
    return context, opened


# Who lands where: the consultant on the league of all clients, each owner on the page of
# the one business the demo granted, in the language the demo gave them.
LANDINGS = [
    ("mara", None, None),  # her page's title is her language's: another test switches it
    ("anna", "Bäckerei Huber", "nur Senden"),
    ("jonas", "Velo Lindner", None),
    ("olivia", "Harbour Lane Books", "responsive"),
    ("lena", "Radhaus Sommer", None),
]


@pytest.mark.parametrize(("username", "title", "verdict"), LANDINGS)
def test_each_demo_user_lands_where_their_question_is_answered(
    served, demo, username, title, verdict
):
    user = next(spec for spec in DEMO_PORTFOLIO.users if spec.username == username)
    context, page = _logged_in(served, username)
    try:
        assert urlsplit(page.url).path == "/"  # the overview address, whoever logs in
        if user.role == "consultant":
            language = page.get_attribute("html", "lang")
            assert (
                page.inner_text("#page-title") == {"de": "Übersicht", "en": "Portfolio"}[language]
            )
            page.wait_for_selector("#league-table tr.league-client")
            names = page.locator("#league-table tr.league-client td:first-child").all_inner_texts()
            assert sorted(names) == sorted(client.name for client in DEMO_PORTFOLIO.clients)
            assert page.locator("#audit-pdf").count() == 0
            return
        # An owner: the verdict, its evidence and the trends of their business, and no
        # league of one; "Kunden" are only ever their business's customers.
        assert page.inner_text("#page-title") == title
        assert page.get_attribute("html", "lang") == user.language
        page.wait_for_selector("#verdict-name")
        assert page.locator("#league-table").count() == 0
        if verdict is not None:
            assert page.inner_text("#verdict-name .verdict-badge") == verdict
        assert page.locator("#trends").count() == 1 and page.locator("#hours").count() == 1
        main = page.inner_text("main")
        assert user.clients == (title,)
        others = [c.name for c in DEMO_PORTFOLIO.clients if c.name != title]
        assert not any(name in main for name in others)
        for consultant_words in ("Kunden im Vergleich", "Ob Ihre Kunden", "Alle 1 Kunden"):
            assert consultant_words not in main
        assert page.locator("#audit-pdf").count() == 1
    finally:
        context.close()


def test_the_bakery_owner_sees_empty_charts_for_what_never_happened(served, demo):
    context, page = _logged_in(served, "anna")
    try:
        page.wait_for_selector("#hour-heatmap .main-svg")
        page.wait_for_selector("#trend-time .main-svg")
        # The bakery's agency never replied: an empty grid that says so, not a green block.
        notes = page.locator("#hour-heatmap .annotation-text").all_text_contents()
        assert "Keine eigene Antwort in diesen 8 Wochen." in notes
        median = page.locator("#trend-time .annotation-text").all_text_contents()
        assert median == [
            "In diesen 12 Wochen wurde keine Kundennachricht beantwortet, daher gibt es keine "
            "Antwortzeit."
        ]
    finally:
        context.close()


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils is not installed")
def test_the_bakery_owner_downloads_her_audit_report_and_no_other(served, demo, tmp_path):
    database, _ = demo
    ids = _client_ids(database)
    context, page = _logged_in(served, "anna")
    try:
        page.wait_for_selector("#audit-pdf")
        assert page.inner_text("#audit-pdf") == "PDF-Bericht"
        with page.expect_download(timeout=120_000) as caught:
            page.click("#audit-pdf")
        path = tmp_path / "bakery.pdf"
        caught.value.save_as(path)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        assert "PRÜFBERICHT" in text and "Bäckerei Huber" in text and "nur Senden" in text
        assert "Velo Lindner" not in text
        for other in ("Velo Lindner", "Harbour Lane Books"):
            refused = page.request.get(f"{served[0]}/report/audit.pdf?client={ids[other]}")
            assert refused.status == 404
    finally:
        context.close()
