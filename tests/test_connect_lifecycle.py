"""Connected tokens over time: expiry recorded, refreshed X tokens that rotate (also with two
processes at once), tokens taken back between two runs, and "needs renewal" 14 days
before the end, in ``replywatch status``."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from replywatch.collecting import collect_account
from replywatch.config import load_settings
from replywatch.connect.service import Connector
from replywatch.connect.vault import Vault
from storage.clock import SYSTEM_CLOCK
from storage.engine import session_factory
from storage.models import Account, Connection, CredentialStatus, Item
from storage.renewal import RENEWAL_NOTICE, Standing, credential_states
from tests.support.cli import run_main
from tests.support.connecting import (
    CLI_REDIRECT,
    MASTODON_ADDRESS,
    cli_config,
    client_id,
    connect_platforms,
    connect_settings,
)
from tests.support.consent import callback_params, consent
from tests.support.platforms import M_SHOP, T0, fast_retry

NOW = T0 + timedelta(days=1)
HOLDER = "lifecycle-holder"


@pytest.fixture
def platforms():
    with connect_platforms(NOW) as running:
        yield running


@pytest.fixture
def settings(database_url, tmp_path, platforms):
    return connect_settings(database_url, tmp_path, platforms)


def _connect(engine, settings, platform, hint=None, keys=None):
    connector = Connector(engine, settings, clock=lambda: NOW)
    started = connector.start(client_id=client_id(engine), platform=platform, holder=HOLDER,
                              redirect_uri=CLI_REDIRECT, hint=hint)  # fmt: skip
    result = connector.callback(callback_params(consent(started.url)), holder=HOLDER)
    if not hasattr(result, "accounts"):
        result = connector.choose(result.flow_id, keys or [], holder=HOLDER)
    return result.accounts[0].account_id


def _collect(engine, settings, account_id, when):
    return collect_account(engine, settings, account_id, now=when, retry=fast_retry(), env={})


def _account(engine, account_id):
    with session_factory(engine)() as session:
        account = session.get(Account, account_id)
        items = session.scalar(select(Item.id).where(Item.account_id == account_id).limit(1))
        return account.credential_status, account.credential_error, items


def _sealed(engine, settings, account_id):
    with session_factory(engine)() as session:
        row = session.get(Connection, account_id)
        return Vault(settings.key_file).open(row.sealed), row


def test_an_x_token_is_refreshed_and_the_rotated_refresh_token_replaces_the_old(
    engine, settings, platforms
):
    account_id = _connect(engine, settings, "x")
    first, _ = _sealed(engine, settings, account_id)
    later = NOW + timedelta(hours=3)  # the two-hour access token has ended
    assert _collect(engine, settings, account_id, later).outcome == "ok"
    second, row = _sealed(engine, settings, account_id)
    assert second["refresh_token"] != first["refresh_token"]
    assert second["secret"] != first["secret"]
    assert row.access_expires_at == later + timedelta(hours=2)
    assert row.refreshed_at == later
    login = platforms.servers["x"].login
    assert login.grants.refreshes == 1
    assert login.grants.current_refresh_tokens() & {second["refresh_token"]}
    # The stored refresh token is the live one: the next refresh works too.
    assert _collect(engine, settings, account_id, later + timedelta(hours=3)).outcome == "ok"
    assert login.grants.refreshes == 2


@pytest.mark.slow
def test_two_processes_refreshing_at_once_lose_nothing(engine, database_url, tmp_path, platforms):
    config = cli_config(database_url, tmp_path, platforms)
    settings = load_settings(config_file=config, env={})
    account_id = _connect(engine, settings, "x")
    later = (NOW + timedelta(hours=3)).isoformat()
    start = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.refresh_worker",
                str(config),
                str(account_id),
                later,
                str(start),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    start.touch()
    answers = [worker.communicate(timeout=90) for worker in workers]
    outputs = [out.strip() for out, _ in answers]
    assert all(worker.returncode == 0 for worker in workers), answers
    stored, _ = _sealed(engine, settings, account_id)
    # One refresh at the platform; both processes use its token; it is the one stored.
    login = platforms.servers["x"].login
    assert login.grants.refreshes == 1
    assert outputs[0] == outputs[1] == hashlib.sha256(stored["secret"].encode()).hexdigest()
    assert stored["refresh_token"] in login.grants.current_refresh_tokens()


def test_an_x_grant_revoked_between_runs_marks_the_account_revoked(engine, settings, platforms):
    account_id = _connect(engine, settings, "x")
    assert _collect(engine, settings, account_id, NOW).outcome == "ok"
    platforms.servers["x"].login.revoke_all("100")  # the owner removed the app at X
    summary = _collect(engine, settings, account_id, NOW + timedelta(hours=3))
    assert summary.outcome == "credentials"
    status, error, kept = _account(engine, account_id)
    assert status == CredentialStatus.REVOKED
    assert "connect the account again" in error
    assert kept is not None  # what was collected before stays


def test_a_facebook_page_token_taken_back_is_told_apart_from_an_expired_one(
    engine, settings, platforms
):
    account_id = _connect(engine, settings, "facebook", keys=["facebook:555"])
    assert _collect(engine, settings, account_id, NOW).outcome == "ok"
    platforms.servers["facebook"].login.remove_app("10001", "password_changed")
    # A day later the token is checked with debug_token before any read.
    summary = _collect(engine, settings, account_id, NOW + timedelta(days=1, hours=1))
    assert summary.outcome == "credentials"
    status, error, kept = _account(engine, account_id)
    assert status == CredentialStatus.REVOKED
    assert "password" in error
    assert kept is not None


def test_a_facebook_token_refused_within_the_day_is_classified_by_the_collector(
    engine, settings, platforms
):
    account_id = _connect(engine, settings, "facebook", keys=["facebook:555"])
    assert _collect(engine, settings, account_id, NOW).outcome == "ok"
    platforms.servers["facebook"].login.remove_app("10001")
    # Checked less than a day ago: the read itself is refused (190/458) and says why.
    summary = _collect(engine, settings, account_id, NOW + timedelta(hours=1))
    assert summary.outcome == "credentials"
    assert _account(engine, account_id)[0] == CredentialStatus.REVOKED


def test_a_mastodon_token_revoked_between_runs(engine, settings, platforms):
    account_id = _connect(engine, settings, "mastodon", hint=MASTODON_ADDRESS)
    assert _collect(engine, settings, account_id, NOW).outcome == "ok"
    platforms.servers["mastodon"].login.grants.revoke(subject=M_SHOP)
    summary = _collect(engine, settings, account_id, NOW + timedelta(hours=1))
    assert summary.outcome == "credentials"
    status, error, _ = _account(engine, account_id)
    assert status == CredentialStatus.REVOKED
    assert error == "HTTP 401 Unauthorized: The access token was revoked"


def test_needs_renewal_starts_14_days_before_the_data_access_ends(engine, settings):
    account_id = _connect(engine, settings, "facebook", keys=["facebook:555"])
    _, row = _sealed(engine, settings, account_id)
    ends = row.expires_at
    with session_factory(engine)() as session:
        for moment, expected in (
            (ends - RENEWAL_NOTICE - timedelta(minutes=1), Standing.OK),
            (ends - RENEWAL_NOTICE, Standing.RENEW_SOON),
            (ends - timedelta(minutes=1), Standing.RENEW_SOON),
            (ends, Standing.EXPIRED),
        ):
            state = credential_states(session, [account_id], moment)[account_id]
            assert state.standing == expected, moment
            assert state.ends == ends


def test_status_names_the_renewal_date_and_how_to_reconnect(engine, settings, database_url, capsys):
    account_id = _connect(engine, settings, "facebook", keys=["facebook:555"])
    ends = SYSTEM_CLOCK.now() + timedelta(days=10)
    with session_factory(engine).begin() as session:
        session.execute(
            update(Connection).where(Connection.account_id == account_id).values(expires_at=ends)
        )
    shown = run_main(capsys, "--db", database_url, "status")
    assert shown.code == 0, shown.err
    assert f"needs renewal by {ends:%Y-%m-%d}" in shown.out
    assert (
        f"the connected grant ends on {ends:%Y-%m-%d}; reconnect: replywatch account connect "
        "--client 'Bäckerei Huber' --platform facebook"
    ) in " ".join(shown.out.split())


def test_a_facebook_data_access_that_ran_out_is_expired_not_revoked(engine, settings, platforms):
    account_id = _connect(engine, settings, "facebook", keys=["facebook:555"])
    assert _collect(engine, settings, account_id, NOW).outcome == "ok"
    later = NOW + timedelta(days=91)  # Meta's 90 days of data access are over
    platforms.servers["facebook"].login.grants.clock.advance(timedelta(days=91))
    summary = _collect(engine, settings, account_id, later)
    assert summary.outcome == "credentials"
    status, error, _ = _account(engine, account_id)
    assert status == CredentialStatus.EXPIRED
    assert "Session has expired" in error


def _take_back_permission(platforms, permission):
    """The person unticks one permission in Meta's Business Integrations settings."""
    for token in platforms.servers["facebook"].login.grants.tokens_of("10001"):
        token.scopes = tuple(scope for scope in token.scopes if scope != permission)


@pytest.mark.parametrize("checked_again", [False, True], ids=["by-the-read", "by-debug-token"])
def test_a_permission_taken_back_is_told_as_missing_permission(
    engine, settings, platforms, checked_again
):
    account_id = _connect(engine, settings, "facebook", keys=["facebook:555"])
    assert _collect(engine, settings, account_id, NOW).outcome == "ok"
    _take_back_permission(platforms, "pages_read_user_content")
    # Within the day the read itself is refused (#10); a day later debug_token says it.
    when = NOW + (timedelta(days=1, hours=1) if checked_again else timedelta(hours=1))
    summary = _collect(engine, settings, account_id, when)
    assert summary.outcome == "credentials"
    status, error, _ = _account(engine, account_id)
    assert status == CredentialStatus.NO_PERMISSION
    assert "pages_read_user_content" in error


def test_no_token_reaches_the_log_while_connecting_refreshing_and_collecting(
    engine, settings, platforms, caplog
):
    with caplog.at_level(logging.DEBUG):
        account_id = _connect(engine, settings, "x")
        first, _ = _sealed(engine, settings, account_id)
        assert _collect(engine, settings, account_id, NOW + timedelta(hours=3)).outcome == "ok"
        second, _ = _sealed(engine, settings, account_id)
        page_id = _connect(engine, settings, "facebook", keys=["facebook:555"])
        page, _ = _sealed(engine, settings, page_id)
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert "access_token=***" in logged  # urllib3 logged the Graph requests, masked
    for secret in (page["secret"], platforms.meta_app.client_secret, platforms.x_app.client_secret):
        assert secret not in logged
    assert "refresh" in logged.lower()  # requests_oauthlib did log the token requests
    for secret in (first["secret"], first["refresh_token"], second["secret"],
                   second["refresh_token"]):  # fmt: skip
        assert secret not in logged
