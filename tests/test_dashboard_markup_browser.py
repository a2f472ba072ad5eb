"""Client names that look like markup are drawn as text in the portfolio, in real Chromium.

A client is named by whoever runs replywatch, and the name reaches consultants and owners:
``<b>``, ``<a href>`` and ``<br>`` in it must show as those characters, never become bold
type, a link or a line break (the comparison bars, the note naming clients without data,
the hover title).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from metrics.periods import last_full_week
from storage.engine import make_engine, session_factory
from storage.models import Client
from tests.support.chromium import chromium, chromium_installed
from tests.support.dashboard_data import PASSWORDS, build_dashboard_world
from tests.support.serve_process import serve_process

pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOW = datetime.now(UTC)
WEEK = last_full_week("Europe/Berlin", NOW)  # the fixture world's busy week
LINK_NAME = '<b>Bold</b> & <a href="https://evil.example/">click here</a>'
BREAK_NAME = "Tom & <br>Jerry"


@pytest.fixture(scope="module")
def served(tmp_path_factory, sqlite_template) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("markup")
    path = folder / "rw.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with session_factory(engine)() as session:
        world = build_dashboard_world(session, NOW)
        # Lindner has a response ratio (a bar), Harbour none (named in the chart's note).
        session.execute(update(Client).where(Client.id == world.lindner).values(name=LINK_NAME))
        session.execute(update(Client).where(Client.id == world.harbour).values(name=BREAK_NAME))
        session.commit()
    engine.dispose()
    with serve_process(f"sqlite:///{path}", folder) as process:
        yield process.url


@pytest.fixture
def page(served):
    if not chromium_installed():
        pytest.skip("Debian's chromium is not installed (make prerequisites)")
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        opened = context.new_page()
        opened.set_default_timeout(15_000)
        yield opened
        context.close()


def test_client_names_are_drawn_as_text_in_the_comparison_chart(page, served):
    page.goto(f"{served}/login?next=/%3Fperiod%3D{WEEK.iso_week}")
    page.fill("#username", "clara")
    page.fill("#password", PASSWORDS["clara"])
    page.click("button[type=submit]")
    page.wait_for_selector("#comparison-chart .bar-row")
    chart = page.locator("#comparison-chart")

    labels = chart.locator(".bar-label").all_text_contents()
    assert LINK_NAME in labels
    assert chart.locator(".bar-note").text_content().endswith(f": {BREAK_NAME}")
    # No link, no bold type, no line break: the browser made none of the tags.
    for tag in ("a", "b", "br"):
        assert chart.locator(tag).count() == 0
    # The hover title names the client as written, too.
    row = chart.locator(".bar-row", has_text="click here")
    assert row.get_attribute("title").startswith(f"{LINK_NAME}: ")
