"""``replywatch collect`` through its real entry point and the installed console script."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from sandbox.bluesky_api import BlueskyServer
from sandbox.graph_api import GraphApiServer
from sandbox.mastodon_api import MastodonServer
from sandbox.x_api import XApiServer
from storage.engine import make_engine, session_factory
from storage.models import Account, CollectionRun
from tests.support.cli import run_main, run_process
from tests.support.platforms import (
    MASTODON_DOMAIN,
    MASTODON_TOKEN,
    PAGE_TOKEN,
    X_TOKEN,
    add_graph_accounts,
    add_x_account,
    bluesky_world,
    graph_worlds,
    mastodon_world,
    x_world,
)


@pytest.fixture
def platforms():
    now = datetime.now(UTC).replace(microsecond=0)
    x, graph = x_world(now=now), graph_worlds(now=now)
    with (
        XApiServer(x.world) as x_server,
        GraphApiServer(facebook=graph.facebook, instagram=graph.instagram) as graph_server,
    ):
        yield x_server, graph_server


@pytest.fixture
def cli_env(database_url, platforms, monkeypatch, tmp_path):
    x_server, graph_server = platforms
    env = {
        "REPLYWATCH_DATABASE_URL": database_url,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "REPLYWATCH_SECRETS_FILE": str(tmp_path / "secrets.toml"),
        "REPLYWATCH_X_API_URL": x_server.url,
        "REPLYWATCH_GRAPH_API_URL": graph_server.url,
        "REPLYWATCH_MAX_RETRIES": "0",
        "HUBER_X_TOKEN": X_TOKEN,
        "HUBER_PAGE_TOKEN": PAGE_TOKEN,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    engine = make_engine(database_url)
    with session_factory(engine).begin() as session:
        add_x_account(session)
        add_graph_accounts(session)
    engine.dispose()
    return env


def test_collect_shows_each_account_and_a_summary(cli_env, platforms, capsys):
    outcome = run_main(capsys, "collect")
    assert outcome.code == 0, outcome.err
    lines = outcome.out.splitlines()
    assert lines[0].startswith("account 1 x @huber_shop: ok — ")
    # The Page: lookup, posts with comments, older posts' summaries; Instagram: the same and
    # its follower count.
    assert lines[1].startswith("account 2 facebook baeckerei.huber: ok — 3 calls, 8 new")
    assert lines[2].startswith("account 3 instagram @baeckerei_huber: ok — 4 calls, 4 new")
    assert "Collection summary" in outcome.out
    row = next(line for line in lines if "│ 2 " in line)
    cells = [cell.strip() for cell in row.strip("│").split("│")]
    assert cells[:10] == ["2", "Bäckerei Huber", "facebook", "baeckerei.huber", "ok", "3", "8",
                          "0", "0", "0"]  # fmt: skip
    assert outcome.err == ""
    status = run_main(capsys, "status")
    assert status.code == 0 and "Nothing needs attention." in status.out


def test_a_failing_account_is_named_and_the_exit_status_is_1(cli_env, monkeypatch, capsys,
                                                             database_url):  # fmt: skip
    monkeypatch.setenv("HUBER_X_TOKEN", "revoked-token-0123456789")
    outcome = run_main(capsys, "collect")
    assert outcome.code == 1
    assert outcome.err.splitlines() == [
        "replywatch collect: account 1 x @huber_shop credentials: the platform refused the "
        "credentials at GET /2/users/by/username/:username: HTTP 401 Unauthorized"
    ]
    assert "account 2 facebook baeckerei.huber: ok" in outcome.out  # the others went on
    assert "revoked-token" not in outcome.out + outcome.err
    status = run_main(capsys, "status")
    assert "account 1 @huber_shop: credentials need renewal (HTTP 401 Unauthorized)" in status.out
    assert "needs_renewal" in status.out


def test_choosing_accounts_and_bad_input(cli_env, platforms, capsys, database_url):
    x_server, graph_server = platforms
    only = run_main(capsys, "collect", "--account", "x:@huber_shop")
    assert only.code == 0 and "account 1 x @huber_shop: ok" in only.out
    assert graph_server.calls == [] and x_server.calls
    by_client = run_main(capsys, "collect", "--client", "bäckerei huber", "--account", "2")
    assert by_client.code == 0 and "account 2 facebook" in by_client.out
    cases = [
        (("--client", "Nobody"), "client 'Nobody' does not exist"),
        (("--account", "42"), "account '42' does not exist"),
        (("--account", "twitter"), "is neither a number nor platform:handle"),
    ]
    for args, message in cases:
        refused = run_main(capsys, "collect", *args)
        assert refused.code == 2 and message in refused.err
        assert len(refused.err.strip().splitlines()) == 1
    engine = make_engine(database_url)
    with session_factory(engine).begin() as session:
        session.get(Account, 3).active = False
    with session_factory(engine)() as session:
        runs_before = len(session.scalars(select(CollectionRun)).all())
    inactive = run_main(capsys, "collect", "--account", "3")
    assert inactive.code == 2 and "account '3' is inactive" in inactive.err
    everything = run_main(capsys, "collect")
    assert "instagram" not in everything.out  # inactive accounts are left out
    with session_factory(engine)() as session:
        assert len(session.scalars(select(CollectionRun)).all()) == runs_before + 2
    engine.dispose()


@pytest.mark.slow  # starts processes or a browser; keeps the quick subset quick
def test_the_console_script_draws_a_live_display_on_a_terminal(cli_env):
    outcome = run_process("collect", "--client", "Bäckerei Huber",
                          env={**cli_env, "FORCE_COLOR": "1"})  # fmt: skip
    assert outcome.code == 0, outcome.err
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", outcome.out)
    assert "1 x @huber_shop" in plain and "3 instagram @baeckerei_huber" in plain
    assert "Collection summary" in plain and "ok — " in plain


def test_mastodon_and_bluesky_accounts_from_account_add_to_collect(
    database_url, monkeypatch, tmp_path, capsys
):
    """The handle forms ``account add`` takes, resolved on the first collection: a
    Mastodon account with a token, a Bluesky one without (public reads), one that does not
    exist."""
    now = datetime.now(UTC).replace(microsecond=0)
    mastodon, bluesky = mastodon_world(now=now), bluesky_world(now=now)
    with (
        MastodonServer(mastodon.world, domain=MASTODON_DOMAIN) as mastodon_server,
        BlueskyServer(bluesky.world) as bluesky_server,
    ):
        env = {
            "REPLYWATCH_DATABASE_URL": database_url,
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "REPLYWATCH_SECRETS_FILE": str(tmp_path / "secrets.toml"),
            "REPLYWATCH_MASTODON_API_URL": mastodon_server.url,
            "REPLYWATCH_BLUESKY_APPVIEW_URL": bluesky_server.url,
            "REPLYWATCH_BLUESKY_PDS_URL": bluesky_server.url,
            "REPLYWATCH_MAX_RETRIES": "0",
            "HUBER_MASTODON_TOKEN": MASTODON_TOKEN,
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
        assert run_main(capsys, "client", "add", "Huber", "--time-zone", "Europe/Berlin").code == 0
        added = [
            run_main(capsys, "account", "add", "--client", "Huber", "--platform", "mastodon",
                     "--handle", f"Baeckerei@{MASTODON_DOMAIN}", "--credentials",
                     "HUBER_MASTODON_TOKEN"),
            run_main(capsys, "account", "add", "--client", "Huber", "--platform", "bluesky",
                     "--handle", "@Baeckerei-Huber.bsky.social"),
            run_main(capsys, "account", "add", "--client", "Huber", "--platform", "mastodon",
                     "--handle", f"@nobody@{MASTODON_DOMAIN}"),
        ]  # fmt: skip
        assert [a.code for a in added] == [0, 0, 0], [a.err for a in added]
        assert "Note: without credentials only public bluesky data is read" in added[1].out
        bad = run_main(capsys, "account", "add", "--client", "Huber", "--platform", "mastodon",
                       "--handle", "baeckerei")  # fmt: skip
        assert bad.code == 2 and "a Mastodon address like @shop@mastodon.social" in bad.err
        outcome = run_main(capsys, "collect", "--client", "Huber")
    assert outcome.code == 1
    lines = outcome.out.splitlines()
    assert lines[0].startswith(f"account 1 mastodon @baeckerei@{MASTODON_DOMAIN}: ok — 7 calls")
    assert lines[1].startswith("account 2 bluesky baeckerei-huber.bsky.social: ok — ")
    assert outcome.err.splitlines() == [
        f"replywatch collect: account 3 mastodon @nobody@{MASTODON_DOMAIN} failed: Mastodon "
        f"account @nobody@{MASTODON_DOMAIN} does not exist on {mastodon_server.url}: "
        "HTTP 404 Not Found: Record not found"
    ]
