"""The dashboard in Debian's headless Chromium, against ``replywatch serve``.

One browser and one server for the module; each test gets a fresh browser context (its
own cookies). The screenshots in docs/screenshots/ that the README shows are made here.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from dashboard.period import last_full_week
from storage.engine import make_engine, session_factory
from tests.support.dashboard_data import PASSWORDS, build_dashboard_world
from tests.support.serve_process import serve_process

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def served(tmp_path_factory, sqlite_template) -> Iterator[tuple[str, object]]:
    folder = tmp_path_factory.mktemp("browser")
    database = folder / "rw.db"
    shutil.copyfile(sqlite_template, database)
    engine = make_engine(f"sqlite:///{database}")
    with session_factory(engine)() as session:
        world = build_dashboard_world(session, NOW)
    engine.dispose()
    with serve_process(f"sqlite:///{database}", folder) as process:
        yield process.url, world


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make prerequisites)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


class Console:
    """Everything the browser complained about: console errors, page errors, failed loads."""

    def __init__(self, page) -> None:
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"pageerror: {error}"))
        page.on("requestfailed", lambda req: self.problems.append(f"failed: {req.url}"))

    def _console(self, message) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"{message.type}: {message.text}")


@pytest.fixture
def page(browser, served):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    console = Console(opened)
    opened.console = console
    yield opened
    context.close()
    assert console.problems == []


def log_in(page, base: str, username: str, next_path: str = "/") -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_selector("#page-title")


def shot(page, name: str, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let Plotly finish drawing
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def chart_values(page) -> list:
    page.wait_for_selector("#collection-chart .main-svg")
    return page.evaluate("document.querySelector('#collection-chart .js-plotly-plot').data[0].y")


def choose(page, picker: str, label_part: str) -> None:
    """Open a dcc.Dropdown and click the option whose label contains ``label_part``."""
    page.click(f"#{_picker_id(picker)}")
    page.get_by_role("option", name=label_part).first.click()


def _picker_id(picker: str) -> str:
    # Dash renders the pattern-matching id {"picker": "week"} as this element id.
    return '\\{\\"picker\\"\\:\\"' + picker + '\\"\\}'


def test_wrong_password_then_login_and_logout(page, served):
    base, _ = served
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login")
    page.fill("#username", "clara")
    page.fill("#password", "not-her-password")
    page.click("button[type=submit]")
    assert page.inner_text("#login-error") == "Wrong user name or password."
    shot(page, "login", full_page=False)
    page.fill("#password", PASSWORDS["clara"])
    page.click("button[type=submit]")
    page.wait_for_selector("#clients-table")
    assert page.inner_text("#page-title") == "Portfolio"
    names = page.locator("#clients-table tbody tr td:first-child").all_inner_texts()
    assert names == ["Bäckerei Huber", "Café Lindner", "Harbour Books"]
    shot(page, "portfolio")
    page.click("#logout")
    page.wait_for_selector(".login-form")
    assert "You are logged out." in page.inner_text("main")
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login")


def test_the_login_rate_limit_shows(page, served):
    base, _ = served
    page.goto(f"{base}/login")
    for _ in range(5):
        page.fill("#username", "mallory")
        page.fill("#password", "guess-guess-guess")
        page.click("button[type=submit]")
        page.wait_for_selector("#login-error")
    page.fill("#password", "another-guess")
    page.click("button[type=submit]")
    assert "Too many failed attempts. Try again in 15 minutes." in page.inner_text("#login-error")
    # The 429 answer is expected here; the browser reports it as a failed load.
    page.console.problems = [p for p in page.console.problems if "status of 429" not in p]


def test_navigation_pickers_and_url_state(page, served):
    base, world = served
    log_in(page, base, "clara")
    page.click("text=Bäckerei Huber")
    page.wait_for_selector("#accounts-table")
    assert page.inner_text("#page-title") == "Bäckerei Huber"
    assert f"client={world.huber}" in page.url
    shot(page, "client")

    choose(page, "account", "X @baeckereihuber")
    page.wait_for_selector("#collection-chart")
    assert page.inner_text("#page-title") == "X @baeckereihuber"
    assert f"/account?account={world.huber_x}" in page.url
    this_week = chart_values(page)
    assert sum(this_week) > 0
    shot(page, "account")

    # A picker changes the chart: the week before has other runs and other counts.
    week = last_full_week(NOW, "Europe/Berlin")
    before = week.previous()
    before_label = f"Week {before.start.isocalendar()[1]}, {before.start.isocalendar()[0]}"
    choose(page, "week", before_label)
    page.wait_for_url(f"**period={before.iso_week}*")
    page.wait_for_function(
        "expected => { const g = document.querySelector('#collection-chart .js-plotly-plot');"
        " return g && g.data && JSON.stringify(g.data[0].y) !== expected; }",
        arg=str(this_week).replace(" ", ""),
    )
    assert chart_values(page) != this_week
    assert before_label in page.inner_text("#period")

    # The URL alone restores the view: a fresh load of it shows the same choice.
    shared = page.url
    page.goto("about:blank")
    page.goto(shared)
    page.wait_for_selector("#collection-chart")
    assert before_label in page.inner_text("#period")
    assert before_label in page.inner_text("#" + _picker_id("week"))
    assert "X @baeckereihuber" in page.inner_text("#" + _picker_id("account"))

    # Back to the client through the breadcrumbs, period kept.
    page.click(".breadcrumbs >> text=Bäckerei Huber")
    page.wait_for_selector("#accounts-table")
    assert f"period={before.iso_week}" in page.url


def test_customer_text_is_shown_as_text(page, served):
    base, world = served
    log_in(page, base, "otto", f"/account?account={world.huber_x}")
    page.wait_for_selector("#items")
    texts = page.locator("#items .item-text").all_inner_texts()
    assert "Hallo <script>window.__replywatch_xss = 1</script> wann habt ihr offen?" in texts
    assert any(t.startswith('<img src=x onerror="window.__replywatch_xss = 2">') for t in texts)
    assert page.evaluate("window.__replywatch_xss") is None
    assert page.locator("#items script, #items img").count() == 0
    hrefs = page.locator("#items a").evaluate_all("links => links.map(a => a.href)")
    assert hrefs and all(h.startswith("https://") for h in hrefs)  # no javascript: link


def test_an_owner_sees_only_the_granted_client(page, served):
    base, world = served
    log_in(page, base, "otto")
    names = page.locator("#clients-table tbody tr td:first-child").all_inner_texts()
    assert names == ["Bäckerei Huber"]
    page.click("#" + _picker_id("client"))
    options = page.get_by_role("option").all_inner_texts()
    assert options == ["Bäckerei Huber"]
    page.keyboard.press("Escape")
    page.goto(f"{base}/client?client={world.lindner}")
    page.wait_for_selector("#denied")
    assert "Lindner" not in page.inner_text("body")
    page.goto(f"{base}/account?account={world.lindner_instagram}")
    page.wait_for_selector("#denied")
    assert "Sachertorte" not in page.content()


def test_german_interface_and_the_language_switch(page, served):
    base, _ = served
    log_in(page, base, "dora")
    assert page.inner_text("#page-title") == "Übersicht"
    assert page.inner_text("#logout") == "Abmelden"
    assert page.get_attribute("html", "lang") == "de"
    page.click("text=Café Lindner")
    page.wait_for_selector("#accounts-table")
    choose(page, "account", "Instagram @cafelindner")
    page.wait_for_selector("#collection-chart")
    period = page.inner_text("#period")
    assert period.startswith("Zeitraum: KW ")
    assert "Neue Einträge" in page.inner_text("#runs-table")
    shot(page, "account-de")
    page.click("button[value=en]")
    page.wait_for_selector("#collection-chart")
    assert page.inner_text("#logout") == "Log out"
    assert page.inner_text("#period").startswith("Period: Week ")
    page.click("button[value=de]")  # leave dora as she was
    page.wait_for_selector("#collection-chart")


def test_phone_width(browser, served):
    base, world = served
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
        has_touch=True,
    )  # fmt: skip
    page = context.new_page()
    console = Console(page)
    log_in(page, base, "otto", f"/account?account={world.huber_x}")
    page.wait_for_selector("#collection-chart .main-svg")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1] == 390
    # Table cells stack and carry their column's name.
    label = page.locator("#runs-table td").first.evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert "Started" in label
    shot(page, "phone", full_page=False)
    context.close()
    assert console.problems == []


def test_period_shown_in_the_clients_zone(page, served):
    base, world = served
    log_in(page, base, "clara", f"/client?client={world.harbour}")
    week = last_full_week(NOW, "Europe/London")
    assert f"Week {week.start.isocalendar()[1]}," in page.inner_text("#period")
    today = NOW.astimezone(ZoneInfo("Europe/London")).date()
    assert week.end < today
