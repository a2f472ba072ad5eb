"""The weekly email's HTML as a mail program shows it, in Debian's headless Chromium.

The email is the one the service sends for the scripted fortnight (built from the
metrics of what was collected from the simulated Mastodon instance). The inline chart is
handed to the browser the way a mail program resolves ``cid:`` links: as the image
part's bytes. The screenshots of the README (docs/screenshots/email*.png) are made here.
"""

from __future__ import annotations

import base64
import shutil
from datetime import timedelta

import pytest

from metrics import api
from metrics.periods import iso_week
from replywatch.collecting import collect_account
from reports.builder import build_snapshot
from reports.chart import ChartRenderer
from reports.delivery import SnapshotRequest
from reports.message import weekly_message
from sandbox.mastodon_api import MastodonServer
from storage.engine import make_engine, session_scope
from tests.support.chromium import CHROMIUM, SCREENSHOTS, chromium, chromium_installed
from tests.support.platforms import MASTODON_DOMAIN, MASTODON_TOKEN, fast_retry
from tests.support.platforms import settings_for as platform_settings
from tests.support.scripted_week import MONDAY_MORNING, TOKEN_NAME, add_people, fortnight

pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def emails(tmp_path_factory, sqlite_template):
    """The owner's email of week 47 in English and German: (html, chart png) each."""
    folder = tmp_path_factory.mktemp("email-browser")
    database = folder / "rw.db"
    shutil.copyfile(sqlite_template, database)
    engine = make_engine(f"sqlite:///{database}")
    with session_scope(engine) as session:
        people = add_people(session)
    scripted = fortnight()
    with MastodonServer(scripted.world, domain=MASTODON_DOMAIN) as server:
        settings = platform_settings(folder, REPLYWATCH_MASTODON_API_URL=server.url)
        collected = collect_account(
            engine, settings, people.account_id, now=MONDAY_MORNING - timedelta(minutes=30),
            env={TOKEN_NAME: MASTODON_TOKEN}, retry=fast_retry(),
        )  # fmt: skip
    assert collected.outcome == "ok"
    found = {}
    with session_scope(engine) as session, ChartRenderer(CHROMIUM) as charts:
        api.refresh(session, now=MONDAY_MORNING)
        for language in ("en", "de"):
            request = SnapshotRequest(
                delivery_id=1, recipient="anna@example.com", recipient_name="Anna Huber",
                user_id=None, language=language, scope=f"client:{people.client_id}",
                client_ids=(people.client_id,), week=iso_week("2026-W47"),
                generated_at=MONDAY_MORNING, dashboard_url="https://replywatch.agency.example/",
            )  # fmt: skip
            message = weekly_message(build_snapshot(session, request), charts,
                                     sender="replywatch@agency.example")  # fmt: skip
            _, related = message.get_payload()
            html, image = related.get_payload()
            found[language] = (html.get_content(), image["Content-ID"].strip("<>"),
                               image.get_content())  # fmt: skip
    engine.dispose()
    return found


@pytest.fixture(scope="module")
def browser():
    if not chromium_installed():
        pytest.skip("Debian's chromium is not installed (make prerequisites)")
    with chromium() as launched:
        yield launched


@pytest.mark.parametrize(
    ("language", "summary", "screenshot"),
    [
        ("en", "6 customer messages came in, 3 got an answer; the oldest unanswered one has "
               "waited 6 days.", "email.png"),
        ("de", "6 Kundennachrichten kamen herein, 3 bekamen eine Antwort; die älteste "
               "unbeantwortete wartet schon 6 Tage.", "email-de.png"),
    ],
)  # fmt: skip
def test_the_weekly_email_in_a_browser(browser, emails, language, summary, screenshot):
    html, content_id, png = emails[language]
    inline = "data:image/png;base64," + base64.b64encode(png).decode()
    page = browser.new_page(viewport={"width": 720, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    try:
        page.set_content(html.replace(f"cid:{content_id}", inline), wait_until="load")
        assert page.locator("strong", has_text=summary).count() == 1
        assert page.evaluate("document.querySelector('img').naturalWidth") == 1200
        # Dora's "<b>5 Sterne</b>" is text in the list, never a bold element.
        items = page.locator("li")
        assert items.count() == 3
        assert "<b>5 Sterne</b>" in items.nth(1).inner_text()
        assert page.locator("li b").count() == 0 and page.locator("script").count() == 0
        links = page.locator("li a")
        assert links.count() == 3
        assert all(links.nth(n).get_attribute("href").startswith("http") for n in range(3))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / screenshot), full_page=True)
    finally:
        page.close()
    assert problems == []
