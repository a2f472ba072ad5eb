"""Connecting accounts through the simulated platforms' real OAuth endpoints, without a
browser (tests/support/consent.py reads and posts the consent page a person would see),
then collecting with the stored token. The Chromium tests click the same pages."""

from __future__ import annotations

import logging
import stat
from datetime import timedelta

import pytest
from sqlalchemy import select

from replywatch.collecting import collect_account
from replywatch.connect.grants import ConnectError, Refusal
from replywatch.connect.service import Choice, Connector, Finished
from replywatch.connect.vault import Vault
from storage.engine import session_factory
from storage.models import Account, ConnectFlow, Connection, CredentialStatus, Item, OAuthApp
from tests.support.connecting import (
    BLUESKY_HANDLE,
    BLUESKY_PASSWORD,
    CLI_REDIRECT,
    MASTODON_ADDRESS,
    client_id,
    connect_platforms,
    connect_settings,
)
from tests.support.consent import callback_params, consent
from tests.support.platforms import T0, fast_retry

NOW = T0 + timedelta(days=1)
HOLDER = "the-cli-process-holder-value"


@pytest.fixture
def platforms():
    with connect_platforms(NOW) as running:
        yield running


@pytest.fixture
def settings(database_url, tmp_path, platforms):
    return connect_settings(database_url, tmp_path, platforms)


@pytest.fixture
def connector(engine, settings):
    return Connector(engine, settings, clock=lambda: NOW)


def _connect(connector, engine, platform, *, hint=None, approve=True, uncheck=()):
    started = connector.start(
        client_id=client_id(engine),
        platform=platform,
        holder=HOLDER,
        redirect_uri=CLI_REDIRECT,
        hint=hint,
    )
    location = consent(started.url, approve=approve, uncheck=uncheck)
    assert location.startswith(CLI_REDIRECT)
    return started, callback_params(location)


def _collect(engine, settings, account_id):
    return collect_account(engine, settings, account_id, now=NOW, retry=fast_retry(), env={})


def _stored_items(engine, account_id):
    with session_factory(engine)() as session:
        return session.scalars(
            select(Item.platform_item_id).where(Item.account_id == account_id)
        ).all()


def test_x_connects_with_pkce_and_collects_with_the_stored_token(connector, engine, settings):
    _, params = _connect(connector, engine, "x")
    finished = connector.callback(params, holder=HOLDER)
    assert isinstance(finished, Finished)
    (connected,) = finished.accounts
    assert (connected.platform, connected.handle, connected.added) == ("x", "@huber_shop", True)
    with session_factory(engine)() as session:
        row = session.get(Connection, connected.account_id)
        assert row.method == "x_oauth2"
        assert set(row.scopes.split()) == {
            "tweet.read",
            "users.read",
            "like.read",
            "offline.access",
        }
        assert row.access_expires_at is not None
        assert row.access_expires_at - NOW == timedelta(hours=2)
        # Sealed: neither the access token nor the refresh token is readable in the row.
        secret = Vault(settings.key_file).open(row.sealed)
        assert secret["secret"] not in row.sealed and secret["refresh_token"] not in row.sealed
        account = session.get(Account, connected.account_id)
        assert account.credentials_ref is None
        assert account.credential_status == CredentialStatus.OK
    summary = _collect(engine, settings, connected.account_id)
    assert summary.outcome == "ok", summary.error
    assert len(_stored_items(engine, connected.account_id)) >= 5


def test_meta_login_offers_pages_and_instagram_and_stores_the_chosen(
    connector, engine, settings, platforms
):
    _, params = _connect(connector, engine, "facebook")
    choice = connector.callback(params, holder=HOLDER)
    assert isinstance(choice, Choice)
    offered = {item["key"]: item for item in choice.offered}
    assert set(offered) == {"facebook:555", f"instagram:{_ig_id(platforms)}"}
    assert all("secret" not in item for item in choice.offered)
    finished = connector.choose(choice.flow_id, list(offered), holder=HOLDER)
    accounts = {c.platform: c for c in finished.accounts}
    assert set(accounts) == {"facebook", "instagram"}
    with session_factory(engine)() as session:
        page = session.get(Connection, accounts["facebook"].account_id)
        assert page.method == "meta_login"
        # Page tokens from a long-lived user token: no date of their own, but the data
        # access ends 90 days after the grant (debug_token's data_access_expires_at).
        assert page.access_expires_at is None
        assert page.expires_at is not None
        assert abs(page.expires_at - (NOW + timedelta(days=90))) < timedelta(seconds=2)
        assert "pages_read_user_content" in page.scopes.split()
    for account in accounts.values():
        summary = _collect(engine, settings, account.account_id)
        assert summary.outcome == "ok", summary.error
        assert _stored_items(engine, account.account_id)
    # The choice is made once.
    with pytest.raises(ConnectError) as refused:
        connector.choose(choice.flow_id, list(offered), holder=HOLDER)
    assert refused.value.refusal in (Refusal.REPLAYED, Refusal.FORGED)


def _ig_id(platforms):
    (managed_id,) = platforms.servers["instagram"].login.instagram.managed
    return managed_id


def test_meta_login_without_the_comment_permission_is_offered_but_not_stored(connector, engine):
    _, params = _connect(connector, engine, "facebook", uncheck=("instagram_manage_comments",))
    choice = connector.callback(params, holder=HOLDER)
    instagram = next(item for item in choice.offered if item["platform"] == "instagram")
    assert instagram["missing"] == ["instagram_manage_comments"]
    with pytest.raises(ConnectError) as refused:
        connector.choose(choice.flow_id, [instagram["key"]], holder=HOLDER)
    assert refused.value.refusal == Refusal.PERMISSION
    with session_factory(engine)() as session:
        assert session.scalar(select(Connection)) is None


def test_mastodon_registers_once_per_instance_and_collects(connector, engine, settings, platforms):
    _, params = _connect(connector, engine, "mastodon", hint=MASTODON_ADDRESS)
    finished = connector.callback(params, holder=HOLDER)
    (connected,) = finished.accounts
    assert connected.handle == MASTODON_ADDRESS
    # A second connect on the same instance uses the remembered registration.
    _, again = _connect(connector, engine, "mastodon", hint=MASTODON_ADDRESS)
    connector.callback(again, holder=HOLDER)
    assert platforms.servers["mastodon"].login.registrations == 1
    with session_factory(engine)() as session:
        (app,) = session.scalars(select(OAuthApp)).all()
        assert app.server == platforms.servers["mastodon"].url
        connection = session.get(Connection, connected.account_id)
        assert connection.scopes == "read"
        assert connection.expires_at is None  # Mastodon's tokens do not expire
    summary = _collect(engine, settings, connected.account_id)
    assert summary.outcome == "ok", summary.error
    assert _stored_items(engine, connected.account_id)


def test_youtube_connects_with_google_oauth_and_collects(connector, engine, settings, platforms):
    _, params = _connect(connector, engine, "youtube")
    (connected,) = connector.callback(params, holder=HOLDER).accounts
    assert connected.platform == "youtube"
    secret, row = _sealed(engine, settings, connected.account_id)
    assert secret["refresh_token"]
    assert row.access_expires_at == NOW + timedelta(seconds=3599)  # Google says 3599
    assert _collect(engine, settings, connected.account_id).outcome == "ok"
    assert _stored_items(engine, connected.account_id)
    # Two hours on, the access token is renewed with the (not rotating) refresh token.
    later = NOW + timedelta(hours=2)
    summary = collect_account(engine, settings, connected.account_id, now=later,
                              retry=fast_retry(), env={})  # fmt: skip
    assert summary.outcome == "ok", summary.error
    renewed, _ = _sealed(engine, settings, connected.account_id)
    assert renewed["refresh_token"] == secret["refresh_token"]
    assert renewed["secret"] != secret["secret"]


def _sealed(engine, settings, account_id):
    with session_factory(engine)() as session:
        row = session.get(Connection, account_id)
        return Vault(settings.key_file).open(row.sealed), row


def test_bluesky_app_password_is_checked_with_create_session_before_it_is_stored(
    connector, engine, settings
):
    with pytest.raises(ConnectError) as wrong:
        connector.app_password(
            client_id=client_id(engine),
            platform="bluesky",
            handle=BLUESKY_HANDLE,
            password="wxyz-wxyz-wxyz-wxyz",
        )
    assert wrong.value.refusal == Refusal.REJECTED
    with pytest.raises(ConnectError) as not_one:
        connector.app_password(
            client_id=client_id(engine),
            platform="bluesky",
            handle=BLUESKY_HANDLE,
            password="my-real-password",
        )
    assert not_one.value.refusal == Refusal.BAD_INPUT
    with session_factory(engine)() as session:
        assert session.scalar(select(Connection)) is None
    finished = connector.app_password(
        client_id=client_id(engine),
        platform="bluesky",
        handle=BLUESKY_HANDLE,
        password=BLUESKY_PASSWORD,
    )
    (connected,) = finished.accounts
    summary = _collect(engine, settings, connected.account_id)
    assert summary.outcome == "ok", summary.error
    assert _stored_items(engine, connected.account_id)


@pytest.mark.parametrize("platform", ["x", "facebook", "mastodon"])
def test_a_denied_consent_stores_nothing(connector, engine, platform):
    hint = MASTODON_ADDRESS if platform == "mastodon" else None
    _, params = _connect(connector, engine, platform, hint=hint, approve=False)
    assert params["error"] == "access_denied"
    with pytest.raises(ConnectError) as refused:
        connector.callback(params, holder=HOLDER)
    assert refused.value.refusal == Refusal.DENIED
    with session_factory(engine)() as session:
        assert session.scalar(select(Connection)) is None
        assert session.scalar(select(Account)) is None


def test_a_forged_state_is_refused_and_logged(connector, engine, caplog):
    _, params = _connect(connector, engine, "x")
    forged = {**params, "state": "a" * 43}
    with (
        caplog.at_level(logging.WARNING, logger="replywatch.connect"),
        pytest.raises(ConnectError) as refused,
    ):
        connector.callback(forged, holder=HOLDER)
    assert refused.value.refusal == Refusal.FORGED
    assert any("forged" in record.getMessage() for record in caplog.records)
    # The state of another holder (another login's browser) is refused too.
    with pytest.raises(ConnectError) as other:
        connector.callback(params, holder="somebody-else")
    assert other.value.refusal == Refusal.WRONG_HOLDER
    with session_factory(engine)() as session:
        assert session.scalar(select(Connection)) is None


def test_a_replayed_callback_is_refused_and_logged(connector, engine, caplog):
    _, params = _connect(connector, engine, "x")
    connector.callback(params, holder=HOLDER)
    with (
        caplog.at_level(logging.WARNING, logger="replywatch.connect"),
        pytest.raises(ConnectError) as refused,
    ):
        connector.callback(params, holder=HOLDER)
    assert refused.value.refusal == Refusal.REPLAYED
    assert any("replayed" in record.getMessage() for record in caplog.records)


def test_the_state_is_stored_only_as_its_digest(connector, engine):
    _, params = _connect(connector, engine, "x")
    with session_factory(engine)() as session:
        flow = session.scalar(select(ConnectFlow))
        assert params["state"] not in (flow.state_hash, flow.holder_hash)
        assert flow.holder_hash != HOLDER and len(flow.state_hash) == 64


@pytest.mark.parametrize("platform", ["x", "facebook", "mastodon"])
def test_an_expired_code_is_refused_by_the_platform(connector, engine, platforms, platform):
    hint = MASTODON_ADDRESS if platform == "mastodon" else None
    _, params = _connect(connector, engine, platform, hint=hint)
    # The person took too long between the consent and the exchange (the platform's clock).
    platforms.servers[platform].login.grants.clock.advance(timedelta(minutes=11))
    with pytest.raises(ConnectError) as refused:
        connector.callback(params, holder=HOLDER)
    assert refused.value.refusal == Refusal.CODE_REFUSED
    assert "start the connect again" in refused.value.message


def test_the_key_file_is_private_and_rotation_keeps_every_token_readable(
    connector, engine, settings
):
    _, params = _connect(connector, engine, "x")
    (connected,) = connector.callback(params, holder=HOLDER).accounts
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    vault = Vault(settings.key_file)
    with session_factory(engine)() as session:
        before = session.get(Connection, connected.account_id).sealed
    old_key = settings.key_file.read_text()
    from replywatch.connect.vault import rotate_key

    assert rotate_key(engine, settings.key_file) >= 1
    assert settings.key_file.read_text() != old_key
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    with session_factory(engine)() as session:
        after = session.get(Connection, connected.account_id).sealed
    assert after != before
    assert vault.open(after)["secret"]
    assert _collect(engine, settings, connected.account_id).outcome == "ok"
