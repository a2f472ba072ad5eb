"""The dashboard over real HTTP: login, sessions, CSRF, rate limits, access, downloads.

Everything runs against the real app under waitress with a fixture database built in code,
on SQLite and PostgreSQL. Forged requests are sent as raw HTTP, as an attacker would.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.engine import make_url

from dashboard.app import create_app
from dashboard.guard import GUARD_MARK
from dashboard.login_policy import MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_USERNAME
from dashboard.runtime import DashboardOptions
from metrics import api
from metrics.periods import default_audit_period, last_full_week
from reports.audit_pdf import audit_pdf
from storage.engine import make_engine, session_factory
from storage.logins import record_login_attempt
from storage.models import DashboardSession, LoginAttempt, User
from storage.platforms import platform
from storage.privacy import Pseudonyms, forget_author
from tests.support.chromium import chromium_installed
from tests.support.dashboard_data import (
    FORMULA_ERROR,
    GLUTEN_TEXT,
    IMG_TEXT,
    PASSWORDS,
    SCRIPT_TEXT,
    SECRET_TEXT,
    DashboardWorld,
    build_dashboard_world,
)
from tests.support.dashboard_server import (
    TEST_KEY,
    Clock,
    data_callback_requests,
    form_token,
    login,
    page_callback,
    running_dashboard,
    try_login,
)
from tests.support.postgres import admin_connection

# The app runs in this process on a clock the tests hold (dashboard_server.Clock): "now" is
# pinned, a Wednesday afternoon, so that ages and "last full week" never depend on the day
# the suite runs (a Monday morning once made a five-day-old message four days old).
NOW = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
# HTTP behaviour that does not depend on the database runs on SQLite only; what stores and
# reads rows (attempts, sessions, grants, access) runs on both engines.
SQLITE_ONLY = pytest.mark.parametrize("world_url", ["sqlite"], indirect=True)


def text_of(answer: requests.Response) -> str:
    """A callback answer as text, with umlauts as they are (Dash escapes them in JSON)."""
    return json.dumps(answer.json(), ensure_ascii=False)


@pytest.fixture(scope="session")
def world_templates() -> dict[str, object]:
    """Each engine's world is built once (password hashing is slow on purpose), then copied."""
    return {}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world_url(request, tmp_path, world_templates):
    if request.param == "sqlite":
        template = world_templates.get("sqlite")
        if template is None:
            folder = request.getfixturevalue("tmp_path_factory").mktemp("world")
            template = folder / "world.db"
            shutil.copyfile(request.getfixturevalue("sqlite_template"), template)
            world_templates["sqlite"] = template
            world_templates["sqlite-world"] = _build(f"sqlite:///{template}")
        path = tmp_path / "replywatch.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}", world_templates["sqlite-world"]
        return
    admin = request.getfixturevalue("postgres_admin_url")
    if "postgresql" not in world_templates:
        migrated = request.getfixturevalue("postgres_template")
        with admin_connection(admin) as connection:
            connection.execute("DROP DATABASE IF EXISTS replywatch_world")
            connection.execute(f"CREATE DATABASE replywatch_world TEMPLATE {migrated}")
        url = make_url(admin).set(database="replywatch_world").render_as_string(hide_password=False)
        world_templates["postgresql"] = _build(url)
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin_connection(admin) as connection:
        connection.execute(f"CREATE DATABASE {name} TEMPLATE replywatch_world")
    yield (
        make_url(admin).set(database=name).render_as_string(hide_password=False),
        world_templates["postgresql"],
    )
    with admin_connection(admin) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _build(url: str) -> DashboardWorld:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        world = build_dashboard_world(session, NOW)
    engine.dispose()
    return world


@pytest.fixture
def engine(world_url):
    engine = make_engine(world_url[0])
    yield engine
    engine.dispose()


@pytest.fixture
def world(world_url):
    return world_url[1]


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def base(engine, world, clock):
    with running_dashboard(engine, clock) as url:
        yield url


# --- the gate --------------------------------------------------------------------------


@SQLITE_ONLY
def test_everything_but_the_login_page_needs_a_session(base):
    anonymous = requests.Session()
    page = anonymous.get(f"{base}/client?client=1", allow_redirects=False)
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=%2Fclient%3Fclient%3D1"
    for path in ("/_dash-layout", "/_dash-dependencies", "/export/collection-status.csv?account=1"):
        assert anonymous.get(f"{base}{path}", allow_redirects=False).status_code in (302, 401)
    assert page_callback(anonymous, base, "/client", "?client=1").status_code == 401
    login_page = anonymous.get(f"{base}/login")
    assert login_page.status_code == 200 and 'name="password"' in login_page.text


@SQLITE_ONLY
def test_login_sets_hardened_cookies_and_rotates_the_session(base, engine):
    browser = requests.Session()
    before = form_token(browser.get(f"{base}/login").text)
    answer = browser.post(
        f"{base}/login",
        data={"csrf": before, "username": "clara", "password": PASSWORDS["clara"],
              "next": "/client?client=2"},
        allow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 302 and answer.headers["Location"] == "/client?client=2"
    cookie = answer.headers["Set-Cookie"]
    assert "replywatch_session=" in cookie and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie and "Secure" not in cookie  # plain http, secure=auto
    page = browser.get(f"{base}/client?client=2")
    assert page.headers["Cache-Control"] == "no-store"
    assert browser.cookies["_csrf_token"] != before  # a new token after login
    with session_factory(engine)() as session:
        stored = session.scalars(select(DashboardSession)).one()
        cookie_value = browser.cookies["replywatch_session"]
        assert stored.token_hash not in cookie_value


@SQLITE_ONLY
def test_next_never_leaves_the_site(base):
    browser = requests.Session()
    token = form_token(browser.get(f"{base}/login").text)
    answer = browser.post(
        f"{base}/login",
        data={"csrf": token, "username": "clara", "password": PASSWORDS["clara"],
              "next": "//evil.example/steal"},
        allow_redirects=False,
    )  # fmt: skip
    assert answer.headers["Location"] == "/"


@SQLITE_ONLY
def test_wrong_password_and_unknown_user_get_the_same_answer(base):
    wrong = try_login(base, "clara", "not-the-password")
    unknown = try_login(base, "nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert "Wrong user name or password." in wrong.text
    assert "Wrong user name or password." in unknown.text


def test_a_user_name_logs_in_and_is_counted_whatever_its_case(base, engine):
    assert try_login(base, "OTTO", "wrong-password").status_code == 200
    assert try_login(base, " Otto ", PASSWORDS["otto"]).status_code == 302
    with session_factory(engine)() as session:
        attempts = session.execute(select(LoginAttempt.username, LoginAttempt.outcome)).all()
    assert [tuple(row) for row in attempts] == [("otto", "failed"), ("otto", "ok")]


@SQLITE_ONLY
def test_login_form_needs_its_csrf_token_and_our_origin(base):
    browser = requests.Session()
    token = form_token(browser.get(f"{base}/login").text)
    data = {"username": "clara", "password": PASSWORDS["clara"]}
    assert browser.post(f"{base}/login", data=data, allow_redirects=False).status_code == 400
    foreign = browser.post(
        f"{base}/login", data={**data, "csrf": token}, headers={"Origin": "https://evil.example"},
        allow_redirects=False,
    )  # fmt: skip
    assert foreign.status_code == 400
    # Another browser's token does not help: it is tied to that browser's session cookie.
    assert requests.post(f"{base}/login", data={**data, "csrf": token}).status_code == 400


@SQLITE_ONLY
def test_callbacks_need_the_csrf_header(base, world):
    browser = login(base, "clara", PASSWORDS["clara"])
    refused = page_callback(browser, base, "/client", f"?client={world.huber}", csrf=False)
    assert refused.status_code == 403
    assert page_callback(browser, base, "/client", f"?client={world.huber}").status_code == 200


# --- rate limits ----------------------------------------------------------------------


def test_a_username_is_locked_after_five_failures_and_unlocked_after_15_minutes(base, clock):
    for _ in range(MAX_FAILURES_PER_USERNAME):
        assert try_login(base, "otto", "wrong-password").status_code == 200
    locked = try_login(base, "otto", PASSWORDS["otto"])  # even the right password
    assert locked.status_code == 429
    assert "Too many failed attempts. Try again in 15 minutes." in locked.text
    assert locked.headers["Retry-After"] == "900"
    assert try_login(base, "OTTO", PASSWORDS["otto"]).status_code == 429  # case does not help
    assert try_login(base, "clara", PASSWORDS["clara"]).status_code == 302  # others may log in
    clock.advance(minutes=14)
    assert try_login(base, "otto", PASSWORDS["otto"]).status_code == 429
    clock.advance(minutes=1, seconds=1)
    assert try_login(base, "otto", PASSWORDS["otto"]).status_code == 302


def test_an_address_is_locked_after_twenty_failures_across_names(base, engine, clock):
    # 19 failures from earlier (another worker, before a restart) are in the database ...
    with session_factory(engine)() as session:
        for number in range(MAX_FAILURES_PER_ADDRESS - 1):
            record_login_attempt(
                session, username=f"guess{number}", address="127.0.0.1", outcome="failed",
                at=clock.now,
            )  # fmt: skip
        session.commit()
    assert try_login(base, "clara", PASSWORDS["clara"]).status_code == 302  # 19: still open
    assert try_login(base, "guess-last", "wrong-password").status_code == 200  # the 20th
    assert try_login(base, "clara", PASSWORDS["clara"]).status_code == 429
    with session_factory(engine)() as session:
        outcomes = session.scalars(select(LoginAttempt.outcome)).all()
    assert outcomes.count("failed") == MAX_FAILURES_PER_ADDRESS
    assert outcomes.count("refused") == 1


def test_locks_survive_a_restart(engine, world, clock):
    with running_dashboard(engine, clock) as first:
        for _ in range(MAX_FAILURES_PER_USERNAME):
            try_login(first, "dora", "wrong-password")
    with running_dashboard(engine, clock) as second:
        assert try_login(second, "dora", PASSWORDS["dora"]).status_code == 429


SIMULTANEOUS = 30


def _fire_together(base: str, names: list[str], password: str) -> list[int]:
    """One login per name, all sent at the same moment from browsers that have already
    fetched the form; the status codes in the order of ``names``."""
    prepared = []
    for name in names:
        browser = requests.Session()
        token = form_token(browser.get(f"{base}/login").text)
        prepared.append((browser, {"csrf": token, "username": name, "password": password}))
    start = threading.Barrier(len(prepared))

    def send(attempt: tuple[requests.Session, dict[str, str]]) -> int:
        browser, form = attempt
        start.wait()
        return browser.post(f"{base}/login", data=form, allow_redirects=False).status_code

    with ThreadPoolExecutor(max_workers=len(prepared)) as pool:
        return list(pool.map(send, prepared))


def _outcomes(engine) -> list[str]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(LoginAttempt.outcome)))


def test_simultaneous_wrong_logins_check_one_name_at_most_five_times(engine, world, clock):
    # As many server threads as attempts: every attempt is in the server at the same time.
    with running_dashboard(engine, clock, threads=SIMULTANEOUS) as base:
        answers = _fire_together(base, ["otto"] * SIMULTANEOUS, "wrong-password")
    outcomes = _outcomes(engine)
    # A "failed" attempt is one whose password was checked; a "refused" one was not.
    assert outcomes.count("failed") == MAX_FAILURES_PER_USERNAME
    assert outcomes.count("refused") == SIMULTANEOUS - MAX_FAILURES_PER_USERNAME
    assert answers.count(200) == MAX_FAILURES_PER_USERNAME  # "wrong user name or password"
    assert answers.count(429) == SIMULTANEOUS - MAX_FAILURES_PER_USERNAME


def test_simultaneous_wrong_logins_from_one_address_stop_at_twenty(engine, world, clock):
    names = [f"guess{number:02d}" for number in range(SIMULTANEOUS)]
    with running_dashboard(engine, clock, threads=SIMULTANEOUS) as base:
        answers = _fire_together(base, names, "wrong-password")
    outcomes = _outcomes(engine)
    assert outcomes.count("failed") == MAX_FAILURES_PER_ADDRESS
    assert outcomes.count("refused") == SIMULTANEOUS - MAX_FAILURES_PER_ADDRESS
    assert answers.count(429) == SIMULTANEOUS - MAX_FAILURES_PER_ADDRESS


# --- sessions --------------------------------------------------------------------------


def test_logout_ends_the_session_on_the_server(base, engine, world):
    browser = login(base, "clara", PASSWORDS["clara"])
    stolen = dict(browser.cookies)
    token = browser.cookies["_csrf_token"]
    bye = browser.post(f"{base}/logout", data={"csrf": token}, allow_redirects=False)
    assert bye.status_code == 302 and bye.headers["Location"] == "/login?bye=1"
    with session_factory(engine)() as session:
        assert session.scalars(select(DashboardSession)).all() == []
    # A copy of the old cookie is worth nothing now.
    replay = requests.Session()
    replay.cookies.update(stolen)
    assert page_callback(replay, base, "/client", f"?client={world.huber}").status_code == 401


@SQLITE_ONLY
def test_logout_needs_the_csrf_token(base):
    browser = login(base, "clara", PASSWORDS["clara"])
    assert browser.post(f"{base}/logout", allow_redirects=False).status_code == 403


def test_idle_sessions_end(base, clock, world):
    browser = login(base, "clara", PASSWORDS["clara"])
    clock.advance(hours=11)
    assert page_callback(browser, base, "/client", f"?client={world.huber}").status_code == 200
    clock.advance(hours=11)  # active 11 h ago, within the 12 h
    assert page_callback(browser, base, "/client", f"?client={world.huber}").status_code == 200
    clock.advance(hours=12, minutes=6)
    assert page_callback(browser, base, "/client", f"?client={world.huber}").status_code == 401
    again = browser.get(f"{base}/", allow_redirects=True)
    assert "Your session has ended" in again.text


@SQLITE_ONLY
def test_secure_cookies_when_asked(engine, world):
    app = create_app(engine, DashboardOptions(secret_key=TEST_KEY, secure_cookies="always"))
    client = app.server.test_client()
    token = form_token(client.get("/login").get_data(as_text=True))
    answer = client.post(
        "/login", data={"csrf": token, "username": "clara", "password": PASSWORDS["clara"]}
    )
    assert answer.status_code == 302
    assert all("Secure" in header for header in answer.headers.getlist("Set-Cookie"))


# --- access ----------------------------------------------------------------------------


LINDNER_SECRETS = (
    "Lindner", "cafelindner", "Sachertorte", "wien_fan", "Vienna", "Harbour", "harbourbooks",
)  # fmt: skip


def test_an_owner_forging_a_callback_for_another_client_gets_nothing(base, engine, world):
    otto = login(base, "otto", PASSWORDS["otto"])
    own = page_callback(otto, base, "/client", f"?client={world.huber}")
    assert (
        own.status_code == 200
        and "Bäckerei Huber" in own.json()["response"]["page"]["children"].__repr__()
    )

    forged = [
        ("/client", f"?client={world.lindner}"),
        ("/account", f"?account={world.lindner_instagram}"),
        ("/account", f"?account={world.lindner_instagram}&client={world.huber}"),
        ("/client", f"?client={world.harbour}&period=2026-W01"),
        ("/client", "?client=99999"),
        ("/client", "?client=abc"),
    ]
    # Every data callback the app has (the page, and any added later), forged by hand.
    app = create_app(engine, DashboardOptions(secret_key=TEST_KEY))
    sent = 0
    for pathname, search in forged:
        for body in data_callback_requests(app, pathname, search):
            answer = otto.post(
                f"{base}/_dash-update-component",
                json=body,
                headers={"X-CSRFToken": otto.cookies["_csrf_token"]},
            )
            sent += 1
            assert answer.status_code == 200, (body["output"], pathname, search)
            text = text_of(answer)
            assert '"id": "denied"' in text, (body["output"], pathname, search)
            for secret in LINDNER_SECRETS:
                assert secret not in text, (body["output"], pathname, search, secret)
    assert sent >= len(forged)
    # The overview of an owner of one business is that business's page, naming only it.
    landing = text_of(page_callback(otto, base, "/", ""))
    assert "Bäckerei Huber" in landing and '"id": "verdict"' in landing
    assert "league-table" not in landing
    for secret in LINDNER_SECRETS:
        assert secret not in landing, secret
    # Downloads go through the same check.
    for path in (
        f"/export/unanswered.csv?client={world.lindner}",
        f"/export/unanswered.xlsx?client={world.harbour}",
        f"/export/account-unanswered.csv?account={world.lindner_instagram}",
        f"/export/collection-status.csv?account={world.harbour_bluesky}",
    ):
        refused = otto.get(f"{base}{path}")
        assert refused.status_code == 404, path
        assert b"Lindner" not in refused.content and b"Sachertorte" not in refused.content
    league = otto.get(f"{base}/export/portfolio.csv").content.decode("utf-8-sig")
    assert "Bäckerei Huber" in league
    assert not any(secret in league for secret in LINDNER_SECRETS)


def test_a_consultant_sees_every_client(base, world):
    clara = login(base, "clara", PASSWORDS["clara"])
    answer = page_callback(clara, base, "/account", f"?account={world.lindner_instagram}")
    assert "Sachertorte" in text_of(answer) and '"id": "denied"' not in text_of(answer)
    portfolio = text_of(page_callback(clara, base, "/", ""))
    assert all(name in portfolio for name in ("Bäckerei Huber", "Café Lindner", "Harbour Books"))


def test_a_revoked_grant_takes_effect_at_the_next_request(base, engine, world):
    otto = login(base, "otto", PASSWORDS["otto"])
    assert '"id": "denied"' not in text_of(
        page_callback(otto, base, "/client", f"?client={world.huber}")
    )
    with session_factory(engine)() as session:
        user = session.scalars(select(User).where(User.username == "otto")).one()
        user.grants.clear()
        session.commit()
    assert '"id": "denied"' in text_of(
        page_callback(otto, base, "/client", f"?client={world.huber}")
    )


def test_the_bad_parameters_of_the_review_get_400_or_an_empty_view(base, world):
    clara = login(base, "clara", PASSWORDS["clara"])
    # A year the calendar arithmetic cannot go back from: the default week, and why.
    shown = text_of(page_callback(clara, base, "/client", f"?client={world.huber}&period=0001-W01"))
    assert "could not be read ('0001-W01' lies outside the years 2000 to 2999)" in shown
    assert '"id": "denied"' not in shown
    download = clara.get(f"{base}/export/unanswered.csv?client={world.huber}&period=0001-W01")
    assert download.status_code == 400 and "outside the years 2000 to 2999" in download.text
    # An id of 4,301 digits (more than int() reads) names nothing: denied, not found.
    huge = "1" * 4301
    assert '"id": "denied"' in text_of(page_callback(clara, base, "/client", f"?client={huge}"))
    assert clara.get(f"{base}/export/unanswered.csv?client={huge}").status_code == 404
    # A forged callback whose pathname is no text: the empty view.
    for pathname in (["/client"], 5, {"a": 1}):
        forged = page_callback(clara, base, pathname, f"?client={world.huber}")
        assert forged.status_code == 200 and '"id": "denied"' in text_of(forged)
    # A request that is no callback request: 400, and Dash never sees it.
    headers = {"X-CSRFToken": clara.cookies["_csrf_token"]}
    for body in ({"output": "nothere.children"}, [1, 2], {"output": "page.children"}):
        refused = clara.post(f"{base}/_dash-update-component", json=body, headers=headers)
        assert refused.status_code == 400 and refused.text.startswith("not a callback request")
    # A NUL byte (PostgreSQL cannot store or compare one) in a form or a query: 400.
    assert try_login(base, "clara\x00", PASSWORDS["clara"]).status_code == 400
    assert clara.get(f"{base}/export/portfolio.csv?sort=%00").status_code == 400


@SQLITE_ONLY
def test_every_callback_goes_through_the_guard(engine):
    app = create_app(engine, DashboardOptions(secret_key=TEST_KEY))
    assert app.callback_map, "the app registers callbacks"
    for output, entry in app.callback_map.items():
        assert getattr(entry["callback"], GUARD_MARK, None) in ("data", "ui"), output
    data_callbacks = [
        e for e in app.callback_map.values() if getattr(e["callback"], GUARD_MARK) == "data"
    ]
    for entry in data_callbacks:
        first_inputs = [(i["id"], i["property"]) for i in entry["inputs"][:2]]
        assert first_inputs == [("url", "pathname"), ("url", "search")]


# --- downloads -------------------------------------------------------------------------


@SQLITE_ONLY
def test_collection_status_downloads(base, world):
    clara = login(base, "clara", PASSWORDS["clara"])
    answer = clara.get(f"{base}/export/collection-status.csv?account={world.huber_x}")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert "collection-status-baeckereihuber-" in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Started (Europe/Berlin)", "Finished (Europe/Berlin)", "Outcome"]
    assert len(rows) == 1 + 28  # runs every 6 hours in the last full week

    harbour = clara.get(
        f"{base}/export/collection-status.xlsx?account={world.harbour_bluesky}&period=2000-01-01..2100-01-01"
    )
    assert harbour.status_code == 400  # longer than a year: said, not silently changed
    harbour = clara.get(
        f"{base}/export/collection-status.xlsx?account={world.harbour_bluesky}&period={_this_range()}"
    )
    sheet = load_workbook(io.BytesIO(harbour.content)).active
    errors = [row[7].value for row in sheet.iter_rows(min_row=2)]
    assert "'" + FORMULA_ERROR in errors
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def _this_range() -> str:
    start = (NOW.date().replace(day=1)).isoformat()
    return f"{start}..{NOW.date().isoformat()}" if NOW.day > 1 else f"{start}..{start}"


def test_downloads_follow_the_viewers_language_and_access(base, world):
    dora = login(base, "dora", PASSWORDS["dora"])
    german = dora.get(f"{base}/export/collection-status.csv?account={world.lindner_instagram}")
    assert german.content.decode("utf-8-sig").startswith("Begonnen (Europe/Vienna),Beendet")
    forbidden = dora.get(f"{base}/export/collection-status.csv?account={world.huber_x}")
    assert forbidden.status_code == 404 and b"Huber" not in forbidden.content
    assert (
        dora.get(f"{base}/export/nothing.csv?account={world.lindner_instagram}").status_code == 404
    )


def _week() -> str:
    return last_full_week("Europe/Berlin", NOW).token


def test_the_portfolio_download_has_the_metrics_api_numbers(base, engine, world):
    clara = login(base, "clara", PASSWORDS["clara"])
    answer = clara.get(f"{base}/export/portfolio.csv?period={_week()}&sort=-response_ratio")
    assert answer.status_code == 200
    assert f"portfolio-{_week()}.csv" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    period = last_full_week("Europe/Berlin", NOW)
    with session_factory(engine)() as session:
        portfolio = api.portfolio_metrics(session, None, period, now=NOW)
    expected = {
        (m.subject.client_name, "" if m.subject.kind == "client" else m.subject.label): m
        for client in portfolio.clients
        for m in (client, *client.accounts)
    }
    assert len(rows) == len(expected) == 8
    for row in rows:
        key = (row["Client"], row["Account"])
        label = key[1]
        if label:  # "X @baeckereihuber" on the file, "x @baeckereihuber" in the API
            platform, _, handle = label.partition(" ")
            key = (key[0], f"{platform.lower()} {handle}")
        metrics = expected[key]
        ratio = row["Response ratio"]
        assert (float(ratio) if ratio else None) == pytest.approx(metrics.response_ratio)
        assert int(row["Waiting"]) == metrics.waiting
        assert row["Verdict"] == metrics.verdict.name("en")
        assert int(row["Verdict over weeks"]) == metrics.verdict.weeks
        # what the answers say, as the metrics API computed it
        for column, value in (("Substantively answered", metrics.substantive_ratio),
                              ("Redirects", metrics.redirect_share),
                              ("Templates", metrics.template_share)):  # fmt: skip
            got = float(row[column]) if row[column] else None
            assert got == (None if value is None else pytest.approx(value, abs=1e-5))
        hollow = metrics.verdict.quality.hollow
        assert row["Qualifier"] == ("mostly redirects and templates" if hollow else "")
        median = row["Median response time (minutes)"]
        if metrics.response_time.median is None:
            assert median == ""
        else:
            assert float(median) == pytest.approx(
                metrics.response_time.median / timedelta(minutes=1)
            )
    # The league order: best response ratio first, a client's accounts under it.
    assert [(r["Client"], r["Account"]) for r in rows][:3] == [
        ("Café Lindner", ""),
        ("Café Lindner", "Facebook cafelindner.wien"),
        ("Café Lindner", "Instagram @cafelindner"),
    ]
    assert [r["Client"] for r in rows if not r["Account"]] == [
        "Café Lindner",
        "Bäckerei Huber",
        "Harbour Books",
    ]
    assert rows[0]["Verdict"] == "partly responsive" and rows[1]["Verdict over weeks"] == "5"
    german = login(base, "dora", PASSWORDS["dora"]).get(
        f"{base}/export/portfolio.xlsx?period={_week()}"
    )
    sheet = load_workbook(io.BytesIO(german.content)).active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Betrieb", "Konto", "Urteil"]  # an owner's business, not a "Kunde"
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == ["Café Lindner"] * 3


def test_unanswered_downloads_list_every_missed_and_waiting_message(base, engine, world):
    clara = login(base, "clara", PASSWORDS["clara"])
    answer = clara.get(f"{base}/export/unanswered.csv?client={world.huber}&period={_week()}")
    assert answer.status_code == 200
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    period = last_full_week("Europe/Berlin", NOW)
    with session_factory(engine)() as session:
        missed = api.unanswered_items(
            session, client_id=world.huber, period=period, now=NOW, limit=None
        )
        huber = api.client_metrics(session, world.huber, period, now=NOW)
    assert len(rows) == len(missed) == huber.missed == 14
    assert {row["Status"] for row in rows} == {"missed"}
    assert [row["Text"] for row in rows] == [ref.text for ref in missed]  # oldest first
    by_text = {row["Text"]: row for row in rows}
    script = by_text[SCRIPT_TEXT]
    assert script["Account"] == "Mastodon @huber@mastodon.social" and script["Question"] == "true"
    assert by_text[IMG_TEXT]["Link"] == ""  # a javascript: link is not written out
    assert by_text[GLUTEN_TEXT]["Liked by the own side"] == "true"
    assert float(by_text[GLUTEN_TEXT]["Age (hours)"]) > 24 * 5
    assert list(rows[0])[1] == "Written (Europe/Berlin)"

    dora = login(base, "dora", PASSWORDS["dora"])
    waiting = dora.get(
        f"{base}/export/account-unanswered.csv?account={world.lindner_instagram}&period={_week()}"
    )
    rows = list(csv.DictReader(io.StringIO(waiting.content.decode("utf-8-sig"))))
    secret = next(row for row in rows if row["Text"] == SECRET_TEXT)
    assert secret["Status"] == "wartend" and secret["Gilt als verpasst ab (Europe/Vienna)"]
    assert secret["Konto"] == "Instagram @cafelindner"


def test_a_forgotten_authors_words_are_in_no_download(base, engine, world):
    # Issue 22.4: after ``privacy forget`` the CSV and the Excel file say why the text is
    # gone, and name neither the author nor the link; the counts stay.
    with session_factory(engine)() as session:
        forget_author(session, Pseudonyms(b"d" * 40), platform("x"), "@lena", NOW)
        session.commit()
    clara = login(base, "clara", PASSWORDS["clara"])
    answer = clara.get(f"{base}/export/unanswered.csv?client={world.huber}&period={_week()}")
    assert answer.status_code == 200
    content = answer.content.decode("utf-8-sig")
    assert "glutenfrei" not in content and "lena" not in content
    rows = list(csv.DictReader(io.StringIO(content)))
    assert len(rows) == 14
    [forgotten] = [row for row in rows if row["Text"] == "[removed at the author's request]"]
    assert (forgotten["Author"], forgotten["Link"], forgotten["Question"]) == ("", "", "true")
    excel = clara.get(f"{base}/export/unanswered.xlsx?client={world.huber}&period={_week()}")
    cells = [
        str(cell.value)
        for row in load_workbook(io.BytesIO(excel.content)).active.iter_rows()
        for cell in row
    ]
    assert "[removed at the author's request]" in cells
    assert not [cell for cell in cells if "glutenfrei" in cell or "lena" in cell]


# --- language and headers ------------------------------------------------------------


def test_the_language_switch_is_kept_per_user(base, engine):
    clara = login(base, "clara", PASSWORDS["clara"])
    token = clara.cookies["_csrf_token"]
    switched = clara.post(
        f"{base}/language", data={"csrf": token, "language": "de"},
        headers={"Referer": f"{base}/client?client=1"}, allow_redirects=False,
    )  # fmt: skip
    assert switched.status_code == 302 and switched.headers["Location"] == "/client?client=1"
    with session_factory(engine)() as session:
        assert session.scalars(select(User.language).where(User.username == "clara")).one() == "de"
    assert "Übersicht" in text_of(page_callback(clara, base, "/", ""))
    index = clara.get(f"{base}/")
    assert '<html lang="de">' in index.text


@SQLITE_ONLY
def test_pages_are_offline_and_locked_down(base):
    clara = login(base, "clara", PASSWORDS["clara"])
    index = clara.get(f"{base}/")
    policy = index.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self' 'sha256-" in policy
    assert "unsafe-eval" not in policy and "frame-ancestors 'none'" in policy
    assert index.headers["X-Content-Type-Options"] == "nosniff"
    sources = [line for line in index.text.splitlines() if "src=" in line or "href=" in line]
    assert sources, "the page loads scripts"
    assert not any("http://" in line or "https://" in line or "//cdn" in line for line in sources)


# --- static files ----------------------------------------------------------------------

UNKNOWN_STATIC_PATHS = (
    "/_dash-component-suites/",
    "/_dash-component-suites/foo",
    "/_dash-component-suites/dash/nothere.js",
    "/_dash-component-suites/dash/deps/nothere@1.0.0.min.js",
    "/_dash-component-suites/no_such_package/x.js",
    "/_dash-component-suites/dash/%2e%2e/__init__.py",
    "/_dash-component-suites/plotly/package_data/",
    "/assets/",
    "/assets/nothere.css",
    "/assets/%2e%2e/app.py",
)


@SQLITE_ONLY
def test_unknown_static_paths_answer_404_without_content_logged_in_or_not(base):
    clara = login(base, "clara", PASSWORDS["clara"])
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', clara.get(f"{base}/").text)
    assert len(scripts) >= 3
    anonymous = requests.Session()
    for browser in (anonymous, clara):
        for path in [*scripts, "/assets/replywatch.css"]:
            assert browser.get(f"{base}{path}").status_code == 200, path
        for path in UNKNOWN_STATIC_PATHS:
            answer = browser.get(f"{base}{path}", allow_redirects=False)
            assert (answer.status_code, answer.content) == (404, b""), path


@SQLITE_ONLY
def test_no_static_folder_is_served_from_the_working_directory(
    engine, world, tmp_path, monkeypatch
):
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "notes.txt").write_text("stray private notes")
    monkeypatch.chdir(tmp_path)
    app = create_app(engine, DashboardOptions(secret_key=TEST_KEY))
    assert "static" not in {rule.endpoint for rule in app.server.url_map.iter_rules()}
    with running_dashboard(engine) as base:
        clara = login(base, "clara", PASSWORDS["clara"])
        answer = clara.get(f"{base}/static/notes.txt")
    assert b"stray private notes" not in answer.content


# --- the owner's overview and the audit report -------------------------------------------


@SQLITE_ONLY
def test_an_owner_of_several_businesses_gets_their_league_in_their_words(base, world):
    paula = login(base, "paula", PASSWORDS["paula"])
    overview = text_of(page_callback(paula, base, "/", ""))
    assert '"id": "league-table"' in overview and "Ihre Betriebe" in overview
    assert "Bäckerei Huber" in overview and "Harbour Books" in overview
    assert "Café Lindner" not in overview
    # "Kunden" are the businesses' customers, never the businesses themselves.
    for consultant_words in ("Kunden im Vergleich", "Ob Ihre Kunden", "Kunde / Konto"):
        assert consultant_words not in overview
    assert "Betrieb / Konto" in overview and "Ihre Betriebe im Vergleich" in overview
    assert "Ob Ihre Betriebe ihren Kunden antworten, nebeneinander." in overview


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "downloaded.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout


@pytest.mark.slow  # starts processes or a browser; keeps the quick subset quick
def test_the_audit_report_is_checked_like_the_client_page(engine, world, clock, tmp_path):
    # The printer must not be reached for what the viewer may not see: it counts calls.
    calls = []

    def printer(session, client_id, period, language, now):
        calls.append((client_id, period, language, now))
        return audit_pdf(session, client_id, period, language, now)

    with running_dashboard(engine, clock, audit_pdf=printer) as base:
        anonymous = requests.get(f"{base}/report/audit.pdf?client={world.huber}",
                                 allow_redirects=False)  # fmt: skip
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
        otto = login(base, "otto", PASSWORDS["otto"])
        for query in (f"client={world.lindner}", f"client={world.harbour}&period=2026-W40",
                      "client=99999", "client=abc", ""):  # fmt: skip
            refused = otto.get(f"{base}/report/audit.pdf?{query}")
            assert refused.status_code == 404, query
            assert b"Lindner" not in refused.content and b"Harbour" not in refused.content
        unreadable = otto.get(f"{base}/report/audit.pdf?client={world.huber}&period=2026-W99")
        assert unreadable.status_code == 400
        assert calls == []
        # Printed once, on SQLite: the numbers behind it are the same API on both engines.
        printing = chromium_installed() and shutil.which("pdftotext")
        if printing and engine.dialect.name == "sqlite":
            answer = otto.get(f"{base}/report/audit.pdf?client={world.huber}")
            assert answer.status_code == 200, answer.text
            assert answer.headers["Content-Type"] == "application/pdf"
            default = default_audit_period("Europe/Berlin", NOW)
            assert calls == [(world.huber, default, "en", NOW)]
            expected = f"audit-Backerei-Huber-{default.start}_{default.last_day}.pdf"
            assert f'filename="{expected}"' in answer.headers["Content-Disposition"]
            text = _pdf_text(answer.content, tmp_path)
            assert "Bäckerei Huber" in text and "AUDIT REPORT" in text
            assert "Lindner" not in text and "Sachertorte" not in text


def test_without_a_printer_there_is_no_report(base, world):
    clara = login(base, "clara", PASSWORDS["clara"])
    assert clara.get(f"{base}/report/audit.pdf?client={world.huber}").status_code == 404
    page = text_of(page_callback(clara, base, "/client", f"?client={world.huber}"))
    assert "audit-pdf" not in page
