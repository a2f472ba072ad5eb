"""The dashboard in Debian's headless Chromium, against ``replywatch serve``.

One browser and one server for the module; each test gets a fresh browser context (its
own cookies). The screenshots in docs/screenshots/ that the README shows are made here.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from metrics import api
from metrics.periods import default_audit_period, last_full_week
from storage.engine import make_engine, session_factory
from tests.support.chromium import SCREENSHOTS, chromium, chromium_installed
from tests.support.dashboard_data import (
    GLUTEN_TEXT,
    PASSWORDS,
    REMOVED_TEXT,
    SCRIPT_TEXT,
    SECRET_TEXT,
    build_dashboard_world,
)
from tests.support.serve_process import serve_process

pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def database(tmp_path_factory, sqlite_template) -> tuple[Path, object]:
    """The fixture world in an SQLite file: conversations stored and metrics refreshed."""
    folder = tmp_path_factory.mktemp("browser")
    path = folder / "rw.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with session_factory(engine)() as session:
        world = build_dashboard_world(session, NOW)
    engine.dispose()
    return path, world


@pytest.fixture(scope="module")
def served(database) -> Iterator[tuple[str, object]]:
    path, world = database
    with serve_process(f"sqlite:///{path}", path.parent) as process:
        yield process.url, world


@pytest.fixture(scope="module")
def browser():
    if not chromium_installed():
        pytest.skip("Debian's chromium is not installed (make prerequisites)")
    with chromium() as launched:
        yield launched


class Console:
    """Everything the browser complained about: console errors, page errors, failed loads."""

    def __init__(self, page) -> None:
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"pageerror: {error}"))
        page.on("requestfailed", self._failed)

    def _failed(self, request) -> None:
        # A request the browser cancelled because the test navigated on (plotly.js loads
        # lazily and may still be coming when a test clicks "log out") is no fault; a
        # blocked outside host fails with ERR_NAME_NOT_RESOLVED and is still caught.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed: {request.url} ({request.failure})")

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


def shot(
    page, name: str, full_page: bool = True, part: str | None = None, height: int | None = None
) -> None:
    """A screenshot for the README: the whole page, its top ``height`` pixels, or one part
    of it (a CSS selector)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = str(SCREENSHOTS / f"{name}.png")
    viewport = page.viewport_size
    if height is not None:
        page.set_viewport_size({"width": viewport["width"], "height": height})
        page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)  # let Plotly finish drawing
    if part is not None:
        page.locator(part).screenshot(path=path)
    else:
        page.screenshot(path=path, full_page=full_page and height is None)
    if height is not None:
        page.set_viewport_size(viewport)


WEEK = last_full_week("Europe/Berlin", NOW)  # the fixture world's busy week


def api_metrics(database, **subject):
    """What metrics.api says about a client or account of the served database."""
    engine = make_engine(f"sqlite:///{database[0]}")
    try:
        with session_factory(engine)() as session:
            period = WEEK
            if "client_id" in subject:
                return api.client_metrics(session, subject["client_id"], period, now=NOW)
            return api.account_metrics(session, subject["account_id"], period, now=NOW)
    finally:
        engine.dispose()


def figure_data(page, graph_id: str) -> list:
    page.wait_for_selector(f"#{graph_id} .main-svg")
    return page.evaluate(
        "id => document.querySelector('#' + id + ' .js-plotly-plot').data"
        ".map(t => ({type: t.type, x: t.x, y: t.y, z: t.z, name: t.name}))",
        graph_id,
    )


def comparison_bars(page) -> list[tuple[str, float, float]]:
    """The portfolio's comparison bars as drawn: name, ratio, bar width / track width."""
    page.wait_for_selector("#comparison-chart .bar-row")
    return [
        tuple(row)
        for row in page.evaluate(
            """() => [...document.querySelectorAll('#comparison-chart .bar-row')].map(row => [
                row.querySelector('.bar-label').textContent,
                Number(row.dataset.ratio),
                row.querySelector('.bar').getBoundingClientRect().width
                    / row.querySelector('.bar-track').clientWidth,
            ])"""
        )
    ]


def league_clients(page) -> list[str]:
    return page.locator("#league-table tr.league-client td:first-child").all_inner_texts()


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
    page.wait_for_selector("#league-table")
    assert page.inner_text("#page-title") == "Portfolio"
    page.click("#logout")
    page.wait_for_selector(".login-form")
    assert "You are logged out." in page.inner_text("main")
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login")


def test_the_league_table_sorts_and_the_chart_compares_clients(page, served, database):
    base, _ = served
    log_in(page, base, "clara", f"/?period={WEEK.iso_week}")
    page.wait_for_selector("#league-table")
    # A league: the best response ratio first, each client's accounts under it.
    assert league_clients(page) == ["Café Lindner", "Bäckerei Huber", "Harbour Books"]
    names = page.locator("#league-table tbody td:first-child").all_inner_texts()
    assert names[:3] == ["Café Lindner", "Facebook cafelindner.wien", "Instagram @cafelindner"]
    _, world = database
    huber = api_metrics(database, client_id=world.huber)
    huber_row = page.locator("#league-table tr.league-client", has_text="Bäckerei Huber")
    cells = huber_row.locator("td").all_inner_texts()
    verdict = huber_row.locator("td").nth(1).locator(".verdict-badge").inner_text()
    assert verdict == huber.verdict.name("en") == "partly responsive"
    # beside it, what the answers say (the shop pastes the same two sentences)
    assert cells[1].endswith("mostly redirects and templates") == huber.verdict.quality.hollow
    assert cells[2] == f"{round(huber.response_ratio * 100)}%"
    assert "(8 wk)" in page.locator("#league-table tr", has_text="Harbour Books").first.inner_text()
    shot(page, "portfolio")

    comparison = comparison_bars(page)
    assert [name for name, _, _ in comparison] == ["Café Lindner", "Bäckerei Huber"]  # best first
    _, ratio, width = comparison[1]
    assert ratio == pytest.approx(huber.response_ratio)
    # drawn as wide as the ratio: the bar's share of its track, in the browser's pixels
    assert width == pytest.approx(huber.response_ratio, abs=0.01)

    # Sorting: a click on a column header, again for the other way round.
    page.click("#league-table th >> text=Waiting")
    page.wait_for_url("**sort=waiting*")
    page.wait_for_function(
        "() => document.querySelector('#league-table tr.league-client td')"
        ".innerText === 'Bäckerei Huber'"
    )
    assert league_clients(page) == ["Bäckerei Huber", "Harbour Books", "Café Lindner"]
    page.click("#league-table th >> text=Waiting")
    page.wait_for_url("**sort=-waiting*")
    page.wait_for_function(
        "() => document.querySelector('#league-table tr.league-client td')"
        ".innerText === 'Café Lindner'"
    )
    assert league_clients(page) == ["Café Lindner", "Bäckerei Huber", "Harbour Books"]
    assert page.get_attribute("#league-table th[aria-sort]", "aria-sort") == "descending"

    # The week picker changes the comparison: the week before has other ratios.
    before = WEEK.previous()
    choose(page, "week", f"Week {before.start.isocalendar()[1]}, {before.start.isocalendar()[0]}")
    page.wait_for_url(f"**period={before.iso_week}*")
    page.wait_for_function(
        "expected => JSON.stringify([...document.querySelectorAll('#comparison-chart .bar-row')]"
        ".map(row => row.dataset.ratio)) !== expected",
        arg=json.dumps([repr(ratio) for _, ratio, _ in comparison]),
    )
    assert "sort=-waiting" in page.url  # the order stays as chosen


def test_navigation_pickers_and_url_state(page, served):
    base, world = served
    log_in(page, base, "clara")
    page.click("#league-table >> text=Bäckerei Huber")
    page.wait_for_selector("#accounts-table")
    assert page.inner_text("#page-title") == "Bäckerei Huber"
    assert f"client={world.huber}" in page.url

    choose(page, "account", "X @baeckereihuber")
    page.wait_for_selector("#collection-chart")
    assert page.inner_text("#page-title") == "X @baeckereihuber"
    assert f"/account?account={world.huber_x}" in page.url
    this_week = chart_values(page)
    assert sum(this_week) > 0
    page.wait_for_selector("#hour-heatmap .main-svg")
    shot(page, "account", height=1500)
    weeks_shown = figure_data(page, "trend-ratio")[-1]["x"]

    # A picker changes the charts: the week before has other runs and other counts, and
    # the trends end a week earlier.
    week = last_full_week("Europe/Berlin", NOW)
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
    trend = figure_data(page, "trend-ratio")[-1]["x"]
    # Axis labels carry the year ("W7/27") when the trend's weeks cross a new year.
    year, number, _ = before.start.isocalendar()
    first_shown = before.start - timedelta(weeks=len(trend) - 1)
    crosses = first_shown.isocalendar()[0] != year
    assert trend[-1] == (f"W{number}/{year % 100:02d}" if crosses else f"W{number}")
    assert trend != weeks_shown

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


def test_the_client_page_explains_its_verdict(page, served, database):
    base, world = served
    log_in(page, base, "clara", f"/client?client={world.huber}&period={WEEK.iso_week}")
    page.wait_for_selector("#verdict")
    metrics = api_metrics(database, client_id=world.huber)
    inputs = metrics.verdict.inputs
    assert page.inner_text("#verdict-name .verdict-badge") == metrics.verdict.name("en")
    assert page.inner_text("#verdict-explanation") == metrics.verdict.explanation("en")
    assert page.inner_text("#verdict-evidence").startswith(
        f"{inputs.answered} of {inputs.settled} customer messages answered "
        f"({round(inputs.answered / inputs.settled * 100)}%)"
    )
    # The evidence: links to the unanswered messages, oldest first.
    evidence = page.locator("#verdict-unanswered li").all_inner_texts()
    assert len(evidence) == len(metrics.verdict.unanswered) == 10
    assert SCRIPT_TEXT in evidence[0] and "IMG" not in evidence[0]
    assert (
        page.locator("#verdict-unanswered a")
        .first.get_attribute("href")
        .startswith("https://mastodon.social/")
    )
    assert page.inner_text("#figure-response-ratio .figure-value") == (
        f"{round(metrics.response_ratio * 100)}%"
    )
    assert page.inner_text("#figure-outcomes .figure-value") == (
        f"{metrics.answered} · {metrics.missed} · {metrics.waiting}"
    )
    # Per account: the verdicts of its accounts.
    rows = page.locator("#accounts-table tbody tr").all_inner_texts()
    assert any("broadcast-only" in r and "Mastodon" in r for r in rows)
    assert any("responsive" in r and "@baeckereihuber" in r for r in rows)
    shot(page, "client", height=1750)

    # The heatmap: inbound against own replies, hours nobody ever answers crossed out.
    inbound, replies, uncovered, closed = figure_data(page, "hour-heatmap")
    assert (inbound["type"], replies["type"]) == ("heatmap", "heatmap")
    assert sum(map(sum, inbound["z"])) == metrics.inbound
    assert sum(map(sum, replies["z"])) == metrics.own_replies
    assert len(uncovered["x"]) > 0 and closed["name"] == "outside business hours"
    assert page.inner_text("#uncovered-share").startswith(
        f"{round(metrics.uncovered_share * 100)}%"
    )
    shot(page, "client-hours", part="#hours")
    trends = [figure_data(page, g) for g in ("trend-ratio", "trend-time", "trend-dialogue")]
    assert all(len(t[-1]["x"]) == 12 for t in trends)
    assert trends[0][-1]["y"][-1] == pytest.approx(metrics.response_ratio)
    shot(page, "client-trends", part="#trends")

    # The lists: unanswered messages with their age, removed ones, self-likes.
    listed = page.locator("#unanswered .item-text").all_inner_texts()
    assert len(listed) == metrics.missed == 14
    assert GLUTEN_TEXT.replace("\n", "") in [t.replace("\n", "") for t in listed]
    assert (
        "liked, not answered" in page.locator("#unanswered li", has_text="glutenfreie").inner_text()
    )
    assert "days ago" in page.locator("#unanswered li").first.inner_text()
    assert page.inner_text("#waiting-items .notice") == "Nothing is waiting."
    assert REMOVED_TEXT in page.inner_text("#removed")
    assert "liked by huber_team" in page.inner_text("#self-likes")
    hrefs = page.locator("#unanswered-csv, #unanswered-xlsx").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    assert hrefs == [
        f"/export/unanswered.csv?client={world.huber}&period={WEEK.iso_week}",
        f"/export/unanswered.xlsx?client={world.huber}&period={WEEK.iso_week}",
    ]


def test_customer_text_is_shown_as_text(page, served):
    base, world = served
    log_in(page, base, "otto", f"/account?account={world.huber_mastodon}&period={WEEK.iso_week}")
    page.wait_for_selector("#unanswered")
    texts = page.locator("#unanswered .item-text").all_inner_texts()
    assert SCRIPT_TEXT in texts
    assert any(t.startswith('<img src=x onerror="window.__replywatch_xss = 2">') for t in texts)
    assert SCRIPT_TEXT in page.inner_text("#verdict-unanswered")
    assert page.evaluate("window.__replywatch_xss") is None
    assert page.locator("main script, main img").count() == 0
    hrefs = page.locator("#unanswered a, #verdict-unanswered a").evaluate_all(
        "links => links.map(a => a.href)"
    )
    assert hrefs and all(h.startswith("https://") for h in hrefs)  # no javascript: link


def test_an_owner_sees_only_the_granted_client(page, served):
    base, world = served
    log_in(page, base, "otto")
    # An owner of one business lands on its page: the verdict first, no league of one.
    page.wait_for_selector("#verdict-name")
    assert page.inner_text("#page-title") == "Bäckerei Huber"
    assert page.locator("#league-table").count() == 0
    assert page.locator(".breadcrumbs a", has_text="Portfolio").count() == 0
    assert page.locator("#audit-pdf").inner_text() == "PDF report"
    assert "Lindner" not in page.inner_text("main")
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
    base, world = served
    log_in(page, base, "dora")
    page.wait_for_selector("#accounts-table")
    assert page.inner_text("#page-title") == "Café Lindner"  # her one business
    assert page.inner_text("#logout") == "Abmelden"
    assert page.get_attribute("html", "lang") == "de"
    choose(page, "account", "Instagram @cafelindner")
    page.wait_for_selector("#collection-chart")
    period = page.inner_text("#period")
    assert period.startswith("Zeitraum: KW ")
    assert "Neue Einträge" in page.inner_text("#runs-table")
    page.goto(f"{base}/account?account={world.lindner_instagram}&period={WEEK.iso_week}")
    page.wait_for_selector("#verdict")
    assert page.inner_text("#verdict-name .verdict-badge") == "antwortet teilweise"
    waiting = page.locator("#waiting li", has_text=SECRET_TEXT).inner_text()
    assert "als verpasst" in waiting and "vor " in waiting
    shot(page, "account-de", height=1500)
    # A thin account is judged over a longer window, and says so.
    page.goto(f"{base}/account?account={world.lindner_facebook}&period={WEEK.iso_week}")
    page.wait_for_selector("#verdict-window")
    assert page.inner_text("#verdict-window").startswith("Beurteilt in den letzten 5 Wochen")
    page.click("button[value=en]")
    page.wait_for_selector("#verdict-window")
    assert page.inner_text("#logout") == "Log out"
    assert page.inner_text("#period").startswith("Period: Week ")
    assert page.inner_text("#verdict-window").startswith("Judged over the last 5 weeks")
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
    log_in(page, base, "otto", f"/account?account={world.huber_x}&period={WEEK.iso_week}")
    page.wait_for_selector("#collection-chart .main-svg")
    page.wait_for_selector("#hour-heatmap .main-svg")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1] == 390
    # Table cells stack and carry their column's name.
    label = page.locator("#runs-table td").first.evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert "Started" in label
    page.locator("#verdict").scroll_into_view_if_needed()
    shot(page, "phone", full_page=False)
    context.close()
    assert console.problems == []
    # The consultant's league table at the same width.
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    console = Console(page)
    log_in(page, base, "clara", f"/?period={WEEK.iso_week}")
    page.wait_for_selector("#league-table")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1] == 390
    context.close()
    assert console.problems == []


def test_period_shown_in_the_clients_zone(page, served):
    base, world = served
    log_in(page, base, "clara", f"/client?client={world.harbour}")
    week = last_full_week("Europe/London", NOW)
    assert f"Week {week.start.isocalendar()[1]}," in page.inner_text("#period")
    today = NOW.astimezone(ZoneInfo("Europe/London")).date()
    assert week.last_day < today


def _last_column_fits(page) -> None:
    """The league table's last column ends inside the window and is not scrolled away."""
    edges = page.evaluate(
        """() => {
            const cell = document.querySelector('#league-table th:last-child');
            const wrap = document.querySelector('#league-table').parentElement;
            return {right: cell.getBoundingClientRect().right, window: window.innerWidth,
                    wrapRight: wrap.getBoundingClientRect().right,
                    scroll: wrap.scrollWidth, visible: wrap.clientWidth};
        }"""
    )
    assert edges["right"] <= edges["wrapRight"] <= edges["window"], edges
    assert edges["scroll"] <= edges["visible"], edges


def test_an_owner_of_several_businesses_reads_about_her_businesses(page, served):
    base, _ = served
    log_in(page, base, "paula", f"/?period={WEEK.iso_week}")
    page.wait_for_selector("#league-table tr.league-client")
    assert page.inner_text("#page-title") == "Ihre Betriebe"
    assert sorted(league_clients(page)) == ["Bäckerei Huber", "Harbour Books"]
    main = page.inner_text("main")
    # "Kunden" only ever for the businesses' customers.
    assert "Ob Ihre Betriebe ihren Kunden antworten, nebeneinander." in main
    assert "Ihre Betriebe im Vergleich" in main
    for consultant_words in ("Kunden im Vergleich", "Ob Ihre Kunden", "Kunde / Konto", "Kunde\n"):
        assert consultant_words not in main, consultant_words
    assert page.locator("#league-table th").first.inner_text().startswith("Betrieb / Konto")
    # Huber's Mastodon credentials need renewal: the collection section names it.
    assert "Ihre Betriebe, deren Zugangsdaten erneuert werden müssen" in main
    _last_column_fits(page)
    page.click("#league-table >> text=Harbour Books")
    page.wait_for_selector("#accounts-table")
    crumbs = page.locator(".breadcrumbs li").all_inner_texts()
    assert crumbs == ["Ihre Betriebe", "Harbour Books"]


def test_the_league_table_fits_a_1280_pixel_window(page, served):
    # The consultant's table in English (paula's test above checks it in German).
    base, _ = served
    log_in(page, base, "clara", f"/?period={WEEK.iso_week}")
    page.wait_for_selector("#league-table tr.league-client")
    assert page.viewport_size["width"] == 1280
    _last_column_fits(page)


def test_empty_charts_say_what_is_missing(page, served):
    base, world = served
    # Huber's Mastodon account only posts: no own reply in twelve weeks.
    log_in(page, base, "clara", f"/account?account={world.huber_mastodon}&period={WEEK.iso_week}")
    page.wait_for_selector("#hour-heatmap .main-svg")
    notes = page.locator("#hour-heatmap .annotation-text").all_text_contents()
    assert "No own reply in these 8 weeks." in notes
    replies = page.evaluate(
        "() => { const t = document.querySelector('#hour-heatmap .js-plotly-plot').data[1];"
        " return {z: t.z.flat(), zmin: t.zmin, zmax: t.zmax, scale: t.colorscale}; }"
    )
    assert set(replies["z"]) == {0} and (replies["zmin"], replies["zmax"]) == (0, 1)
    assert replies["scale"][0] == [0, "#ffffff"]  # white: nothing, never a green block
    median = page.locator("#trend-time .annotation-text").all_text_contents()
    assert median == [
        "No customer message was answered in these 12 weeks, so there is no response time."
    ]
    page.locator("#hours").screenshot(path=str(SCREENSHOTS / "empty-heatmap.png"))


def test_the_pdf_report_button_downloads_the_clients_report(page, served, tmp_path):
    base, world = served
    log_in(page, base, "otto", f"/client?client={world.huber}&period={WEEK.iso_week}")
    page.wait_for_selector("#audit-pdf")
    href = page.get_attribute("#audit-pdf", "href")
    four_weeks = default_audit_period("Europe/Berlin", NOW)
    assert href == f"/report/audit.pdf?client={world.huber}&period={four_weeks.token}"
    with page.expect_download(timeout=90_000) as caught:
        page.click("#audit-pdf")
    download = caught.value
    assert download.suggested_filename == (
        f"audit-Backerei-Huber-{four_weeks.start}_{four_weeks.last_day}.pdf"
    )
    path = tmp_path / "report.pdf"
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")
    # Not for another owner's business, even with the address typed in.
    refused = page.request.get(f"{base}/report/audit.pdf?client={world.lindner}")
    assert refused.status == 404
