"""An owner connects her accounts in the dashboard, in Debian's headless Chromium: the
"Connect an account" page, the simulated platform's consent page (clicked like a person
would), back to the dashboard, then a collection with the stored token. Plus the same
pages over raw HTTP: an owner cannot connect for another business, a forged or replayed
callback is refused, the redirect URI comes from ``dashboard.public_url``."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from replywatch.collecting import collect_account
from replywatch.connect.dashboard import DashboardConnector
from storage.engine import make_engine, session_factory
from storage.models import Account, Client, Connection, Role, User, UserClient
from storage.passwords import hash_password
from tests.support.chromium import chromium, chromium_installed
from tests.support.connecting import (
    BLUESKY_HANDLE,
    BLUESKY_PASSWORD,
    MASTODON_ADDRESS,
    client_id,
    connect_platforms,
    connect_settings,
)
from tests.support.consent import consent
from tests.support.dashboard_server import (
    Clock,
    form_token,
    login,
    page_callback,
    running_dashboard,
)
from tests.support.platforms import T0, fast_retry

NOW = T0 + timedelta(days=1)
PASSWORD = "a long owner password 4 tests"


@pytest.fixture
def database(tmp_path, sqlite_template):
    path = tmp_path / "rw.db"
    shutil.copyfile(sqlite_template, path)
    path.chmod(0o600)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    huber = client_id(engine)
    other = client_id(engine, "Anderer Laden")
    with session_factory(engine).begin() as session:
        for name, role, grants in (
            ("olga", Role.OWNER, [huber]),
            ("carla", Role.CONSULTANT, []),
        ):
            user = User(username=name, password_hash=hash_password(PASSWORD), role=role,
                        email=f"{name}@example.com", language="en")  # fmt: skip
            session.add(user)
            session.flush()
            session.add_all(UserClient(user_id=user.id, client_id=c) for c in grants)
    yield url, engine, huber, other
    engine.dispose()


@pytest.fixture
def served(database, tmp_path):
    url, engine, huber, other = database
    with connect_platforms(NOW, []) as platforms:
        settings = connect_settings(url, tmp_path, platforms)
        connector = DashboardConnector(engine, settings, clock=lambda: NOW)
        with running_dashboard(engine, Clock(NOW), connector=connector) as base:
            connector.public_url = base  # as dashboard.public_url names it
            platforms.register_redirect(base + "/connect/callback")
            yield base, engine, settings, platforms, huber, other


@pytest.fixture(scope="module")
def browser():
    if not chromium_installed():
        pytest.skip("Debian's chromium is not installed (make prerequisites)")
    with chromium() as launched:
        yield launched


def _log_in(page, base, username="olga"):
    page.goto(f"{base}/login?next=/connect")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("h1")


def _connected(engine):
    with session_factory(engine)() as session:
        return {
            (a.platform, a.handle): a.id
            for a in session.scalars(select(Account).join(Connection)).all()
        }


def _collect_all(engine, settings):
    for account_id in _connected(engine).values():
        summary = collect_account(engine, settings, account_id, now=NOW, retry=fast_retry(), env={})
        assert summary.outcome == "ok", summary.error


@pytest.mark.slow
@pytest.mark.browser
def test_an_owner_connects_each_platform_in_chromium_then_it_is_collected(browser, served):
    base, engine, settings, _platforms, _, _ = served
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    _log_in(page, base)
    assert page.inner_text("h1") == "Connect an account"
    # X: consent screen with PKCE, back to the dashboard.
    page.click("#connect-x")
    page.click("#continue")
    page.wait_for_selector("#approve")
    assert "tweet.read" in page.inner_text("#permissions")
    page.click("#approve")
    page.wait_for_selector("#connected")
    assert "x @huber_shop" in page.inner_text("#connected")
    # Meta: Facebook Login for Business, then the choice of Page and Instagram account.
    page.click("#connect-again")
    page.click("#connect-facebook")
    page.click("#continue")
    page.wait_for_selector("#approve")
    page.click("#approve")
    page.wait_for_selector("#choose-form")
    assert page.is_checked("#pick-facebook-555")
    page.click("#choose")
    page.wait_for_selector("#connected")
    shown = page.inner_text("#connected")
    assert "facebook baeckerei.huber" in shown and "instagram" in shown
    assert "renew by" in shown
    # Mastodon: the address names the instance; replywatch registers itself there.
    page.click("#connect-again")
    page.fill("#handle-mastodon", MASTODON_ADDRESS)
    page.click("#connect-mastodon")
    page.click("#continue")
    page.wait_for_selector("#approve")
    page.click("#approve")
    page.wait_for_selector("#connected")
    assert MASTODON_ADDRESS in page.inner_text("#connected")
    # Bluesky: handle and app password, checked with createSession.
    page.click("#connect-again")
    page.fill("#handle-bluesky", BLUESKY_HANDLE)
    page.fill("#password-bluesky", BLUESKY_PASSWORD)
    page.click("#connect-bluesky")
    page.wait_for_selector("#connected")
    # The page lists them, and no token or password is anywhere on it.
    page.click("#connect-again")
    table = page.inner_text("#connected-accounts")
    assert "x @huber_shop" in table and BLUESKY_HANDLE in table
    assert BLUESKY_PASSWORD not in page.content()
    context.close()
    assert set(_connected(engine)) == {
        ("x", "@huber_shop"),
        ("facebook", "baeckerei.huber"),
        ("instagram", _instagram_handle(engine)),
        ("mastodon", MASTODON_ADDRESS),
        ("bluesky", BLUESKY_HANDLE),
    }
    _collect_all(engine, settings)


def _instagram_handle(engine):
    with session_factory(engine)() as session:
        return session.scalar(select(Account.handle).where(Account.platform == "instagram"))


@pytest.mark.browser
def test_a_denied_consent_in_chromium_connects_nothing(browser, served):
    base, engine, *_ = served
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    _log_in(page, base)
    page.click("#connect-x")
    page.click("#continue")
    page.wait_for_selector("#deny")
    page.click("#deny")
    page.wait_for_selector("#connect-error")
    assert "declined at the platform" in page.inner_text("#connect-error")
    context.close()
    assert _connected(engine) == {}


def _start(browser_session, base, client, platform="x", handle=""):
    page = browser_session.get(f"{base}/connect?client={client}")
    token = form_token(page.text)
    return browser_session.post(
        f"{base}/connect/start",
        data={"csrf": token, "client": client, "platform": platform, "handle": handle},
    )


def _continue_url(html: str) -> str:
    start = html.index('id="continue" href="') + len('id="continue" href="')
    return html[start : html.index('"', start)].replace("&amp;", "&")


def test_an_owner_connects_only_for_her_own_business(served):
    base, _engine, _, _, huber, other = served
    olga = login(base, "olga", PASSWORD, "/connect")
    assert _start(olga, base, other).status_code == 404
    assert "Anderer Laden" not in olga.get(f"{base}/connect?client={other}").text
    assert _start(olga, base, huber).status_code == 200
    carla = login(base, "carla", PASSWORD, "/connect")
    assert _start(carla, base, other).status_code == 200  # a consultant may, for any


def test_the_redirect_uri_is_the_public_url_and_callbacks_are_checked(served, caplog):
    base, engine, *_ = served
    olga = login(base, "olga", PASSWORD, "/connect")
    started = _start(olga, base, client_id(engine))
    url = _continue_url(started.text)
    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"] == [base + "/connect/callback"]
    location = consent(url)
    back = urlsplit(location)
    # Another login (another browser) brings the link back: refused, nothing stored.
    carla = login(base, "carla", PASSWORD, "/connect")
    stolen = carla.get(f"{base}/connect/callback?{back.query}")
    assert stolen.status_code == 400
    assert "started by someone else" in stolen.text
    forged = olga.get(f"{base}/connect/callback?code=abc&state=forged-state-value")
    assert forged.status_code == 400
    assert "belongs to no connect that was started here" in forged.text
    ok = olga.get(f"{base}/connect/callback?{back.query}")
    assert ok.status_code == 200 and "x @huber_shop" in ok.text
    replayed = olga.get(f"{base}/connect/callback?{back.query}")
    assert replayed.status_code == 400 and "used already" in replayed.text
    refused = [r.getMessage() for r in caplog.records if r.name == "replywatch.connect"]
    assert any("(forged)" in m for m in refused)
    assert any("(replayed)" in m for m in refused)
    assert any("(wrong_holder)" in m for m in refused)


def test_the_connect_pages_refuse_a_post_without_the_csrf_token(served):
    base, engine, _, _, huber, _ = served
    olga = login(base, "olga", PASSWORD, "/connect")
    answer = olga.post(f"{base}/connect/start", data={"client": huber, "platform": "x"})
    assert answer.status_code == 403
    with session_factory(engine)() as session:
        assert session.scalar(select(Client).where(Client.id == huber)) is not None
    assert requests.get(f"{base}/connect", allow_redirects=False).status_code == 302


def test_the_account_and_client_pages_say_renew_by_and_offer_reconnect(served):
    base, engine, _, _, huber, _ = served
    with session_factory(engine).begin() as session:
        account = Account(client_id=huber, platform="facebook", handle="baeckerei.huber",
                          platform_account_id="555")  # fmt: skip
        session.add(account)
        session.flush()
        ends = NOW + timedelta(days=10)
        session.add(Connection(account_id=account.id, method="meta_login", sealed="gAAAA-x",
                               scopes="pages_show_list", expires_at=ends, version=1))  # fmt: skip
        account_id = account.id
    olga = login(base, "olga", PASSWORD, "/")
    shown = page_callback(olga, base, "/account", f"?account={account_id}").text
    assert f"needs renewal by {ends:%Y-%m-%d}" in shown
    assert f"The access ends on {ends:%Y-%m-%d}: reconnect the account before then." in shown
    (reconnect,) = [p for p in _props(json.loads(shown)) if p.get("id") == "reconnect"]
    assert reconnect["href"] == f"/connect?client={huber}&platform=facebook#offer-facebook"
    listed = page_callback(olga, base, "/client", f"?client={huber}").text
    assert f"needs renewal by {ends:%Y-%m-%d}" in listed
    connect = olga.get(f"{base}/connect?client={huber}&platform=facebook").text
    assert f"needs renewal by {ends:%Y-%m-%d}" in connect
    assert 'id="reconnect-facebook-1"' in connect
    assert 'class="connect-offer highlighted"' in connect


def _props(node):
    """Every ``props`` mapping in a Dash answer."""
    if isinstance(node, dict):
        if isinstance(node.get("props"), dict):
            yield node["props"]
        for value in node.values():
            yield from _props(value)
    elif isinstance(node, list):
        for value in node:
            yield from _props(value)
