"""The demo's dashboard in Debian's headless Chromium: what the README shows.

``replywatch demo --no-serve`` builds its portfolio up to this moment (the data and the
dashboard's "now" are the same instant, as when a newcomer runs ``make demo``), then
``replywatch serve`` serves that database. The consultant's league table must rank the
three stories and the bakery's page must say *broadcast-only* with its unanswered
messages; both pages are the README's screenshots (docs/screenshots/demo-*.png).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

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
def page(demo):
    if not chromium_installed():
        pytest.skip("Debian's chromium is not installed (make prerequisites)")
    database, home = demo
    with serve_process(f"sqlite:///{database}", home) as served, chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        opened = context.new_page()
        opened.set_default_timeout(20_000)
        opened.base = served.url
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
    page.wait_for_selector("#comparison-chart .main-svg")
    _shot(page, "demo-portfolio", height=1100)

    engine = make_engine(f"sqlite:///{database}")
    try:
        with session_scope(engine) as session:
            bakery_id = session.query(Client.id).filter(Client.name == BAKERY.name).scalar()
    finally:
        engine.dispose()
    page.goto(f"{page.base}/client?client={bakery_id}&period={week.iso_week}")
    page.wait_for_selector("#verdict-unanswered li")
    assert page.inner_text("#verdict-name") == "broadcast-only"
    assert page.inner_text("#verdict-explanation") == (
        "The account only posts: customers wrote, and none of them got an answer."
    )
    assert page.inner_text("#verdict-evidence").endswith("customer messages went unanswered.")
    assert page.locator("#verdict-unanswered li").count() > 0
    _shot(page, "demo-broadcast-only", height=1300)
