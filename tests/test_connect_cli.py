"""``replywatch account connect`` as a user runs it: the installed command in its own
process, the URL it prints, the platform's consent page, and the browser coming back to
its one-shot listener on 127.0.0.1 (or the address pasted on a headless server)."""

from __future__ import annotations

import os
import socket
import subprocess
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from replywatch.collecting import collect_account
from replywatch.config import load_settings
from storage.engine import make_engine, session_factory
from storage.models import Account, Connection
from tests.support.cli import console_script, run_process
from tests.support.connecting import (
    BLUESKY_HANDLE,
    BLUESKY_PASSWORD,
    CLIENT_NAME,
    MASTODON_ADDRESS,
    cli_config,
    client_id,
    connect_platforms,
)
from tests.support.consent import consent
from tests.support.platforms import T0, fast_retry

NOW = T0 + timedelta(days=1)
# Each test starts the installed command in its own process (several seconds each).
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redirect_uri():
    return f"http://127.0.0.1:{_free_port()}/callback"


@pytest.fixture
def platforms(redirect_uri):
    with connect_platforms(NOW, [redirect_uri]) as running:
        yield running


@pytest.fixture
def config(database_url, tmp_path, platforms, redirect_uri, engine):
    client_id(engine)
    return cli_config(
        database_url, tmp_path, platforms, **{"connect.cli_redirect_uri": redirect_uri}
    )


def _start(config, *args):
    return subprocess.Popen(
        [console_script(), "--config", str(config), "account", "connect",
         "--client", CLIENT_NAME, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


def _accounts(engine):
    with session_factory(engine)() as session:
        return {
            (a.platform, a.handle): a.id
            for a in session.scalars(select(Account).join(Connection)).all()
        }


def test_connect_x_through_the_listener_then_collect(config, engine, redirect_uri):
    process = _start(config, "--platform", "x")
    url = process.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1") and "code_challenge=" in url
    location = consent(url)
    assert location.startswith(redirect_uri)
    # The browser follows the redirect to the command's listener.
    landing = requests.get(location, timeout=10)
    assert landing.status_code == 200 and "close this tab" in landing.text
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Added and connected x account @huber_shop" in out
    listed = run_process("--config", str(config), "account", "list")
    assert "connected: x_oauth2 (ok)" in listed.out
    account_id = _accounts(engine)[("x", "@huber_shop")]
    settings = load_settings(config_file=config, env={})
    summary = collect_account(engine, settings, account_id, now=NOW, retry=fast_retry(), env={})
    assert summary.outcome == "ok", summary.error


def test_connect_facebook_headless_by_pasting_the_address(config, engine):
    process = _start(config, "--platform", "facebook", "--paste", "--choose", "facebook:555")
    url = process.stdout.readline().strip()
    location = consent(url)
    out, err = process.communicate(location + "\n", timeout=60)
    assert process.returncode == 0, err
    assert "Added and connected facebook account" in out
    assert set(_accounts(engine)) == {("facebook", "baeckerei.huber")}


def test_connect_mastodon_needs_the_address_and_bluesky_the_app_password(config, engine):
    missing = run_process("--config", str(config), "account", "connect", "--client",
                          CLIENT_NAME, "--platform", "mastodon")  # fmt: skip
    assert missing.code == 2
    assert "--handle is required for Mastodon" in missing.err
    bluesky = run_process(
        "--config", str(config), "account", "connect", "--client", CLIENT_NAME,
        "--platform", "bluesky", "--handle", BLUESKY_HANDLE, input=BLUESKY_PASSWORD + "\n",
    )  # fmt: skip
    assert bluesky.code == 0, bluesky.err
    assert BLUESKY_PASSWORD not in bluesky.out + bluesky.err
    process = _start(config, "--platform", "mastodon", "--handle", MASTODON_ADDRESS, "--paste")
    location = consent(process.stdout.readline().strip())
    _out, err = process.communicate(location + "\n", timeout=60)
    assert process.returncode == 0, err
    assert set(_accounts(engine)) == {("bluesky", BLUESKY_HANDLE), ("mastodon", MASTODON_ADDRESS)}


def test_a_denied_consent_and_a_forged_paste_exit_2_and_store_nothing(config, engine):
    process = _start(config, "--platform", "x", "--paste")
    location = consent(process.stdout.readline().strip(), approve=False)
    _, err = process.communicate(location + "\n", timeout=60)
    assert process.returncode == 2
    assert "declined at the platform" in err
    process = _start(config, "--platform", "x", "--paste")
    location = consent(process.stdout.readline().strip())
    forged = location.replace("state=", "state=forged")
    _, err = process.communicate(forged + "\n", timeout=60)
    assert process.returncode == 2
    assert "belongs to no connect that was started here" in err
    assert "refused (forged)" in err  # logged
    assert _accounts(engine) == {}


def test_rotate_key_re_encrypts_and_collection_still_works(config, engine, tmp_path):
    bluesky = run_process(
        "--config", str(config), "account", "connect", "--client", CLIENT_NAME,
        "--platform", "bluesky", "--handle", BLUESKY_HANDLE, input=BLUESKY_PASSWORD + "\n",
    )  # fmt: skip
    assert bluesky.code == 0, bluesky.err
    key_file = tmp_path / "keys" / "connections.key"
    before = key_file.read_text()
    rotated = run_process("--config", str(config), "account", "rotate-key")
    assert rotated.code == 0, rotated.err
    assert "Re-encrypted 1 stored secrets" in rotated.out
    assert key_file.read_text() != before
    settings = load_settings(config_file=config, env={})
    account_id = _accounts(engine)[("bluesky", BLUESKY_HANDLE)]
    other = make_engine(settings.database_url)
    summary = collect_account(other, settings, account_id, now=NOW, retry=fast_retry(), env={})
    other.dispose()
    assert summary.outcome == "ok", summary.error
