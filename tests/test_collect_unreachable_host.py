"""A platform host that does not answer at all costs one account's retry budget per
``replywatch collect``, not one per account on it.

The dead host is a real port on 127.0.0.1 where nothing listens (bound, then closed): every
connection is refused, through each platform's own library. The first account's run ends
``failed`` naming the host; the later accounts on that host are skipped without a call and
without a recorded run (like the rate-limit skip); accounts elsewhere go on. A live server
that answers 5xx is not "unreachable": each account on it gets its own try.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from collectors.contract import RetryPolicy
from replywatch.collecting import UnreachableHosts, api_origins, collect_account
from sandbox.graph_api import GraphApiServer
from sandbox.x_api import XApiServer
from storage.engine import make_engine, session_factory
from storage.models import Account, Client, CollectionRun, Item
from tests.support.cli import run_main
from tests.support.factories import add_client
from tests.support.platforms import (
    PAGE_TOKEN,
    X_TOKEN,
    add_graph_accounts,
    add_x_account,
    graph_worlds,
    settings_for,
    x_world,
)


@pytest.fixture
def dead_url() -> str:
    """A base URL on a port nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _runs(engine, account_id: int) -> list[CollectionRun]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(CollectionRun).where(
            CollectionRun.account_id == account_id).order_by(CollectionRun.id)))  # fmt: skip


def _items(engine, account_id: int) -> int:
    with session_factory(engine)() as session:
        query = select(func.count()).select_from(Item).where(Item.account_id == account_id)
        return session.scalar(query) or 0


def _add_x(session, handle: str) -> int:
    client = session.scalar(select(Client).where(Client.name == "Bäckerei Huber"))
    account = Account(client_id=client.id, platform="x", handle=handle,
                      credentials_ref="HUBER_X_TOKEN")  # fmt: skip
    session.add(account)
    session.flush()
    return account.id


@pytest.fixture
def cli_env(database_url, monkeypatch, tmp_path):
    values = {
        "REPLYWATCH_DATABASE_URL": database_url,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "REPLYWATCH_SECRETS_FILE": str(tmp_path / "secrets.toml"),
        # No time for retries: the first fault ends a run (nothing sleeps here).
        "REPLYWATCH_RETRY_BUDGET": "0",
        "HUBER_X_TOKEN": X_TOKEN,
        "HUBER_PAGE_TOKEN": PAGE_TOKEN,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    monkeypatch.delenv("REPLYWATCH_MAX_RETRIES", raising=False)
    return values


def test_accounts_on_a_host_that_does_not_answer_are_skipped_after_the_first(
    cli_env, dead_url, database_url, monkeypatch, capsys
):
    host = dead_url.removeprefix("http://")
    engine = make_engine(database_url)
    with session_factory(engine).begin() as session:
        assert add_x_account(session).id == 1
        assert add_graph_accounts(session) == (2, 3)
        assert (_add_x(session, "@huber_zwei"), _add_x(session, "@huber_drei")) == (4, 5)
    graph = graph_worlds(now=datetime.now(UTC).replace(microsecond=0))
    with GraphApiServer(facebook=graph.facebook, instagram=graph.instagram) as graph_server:
        monkeypatch.setenv("REPLYWATCH_X_API_URL", dead_url)
        monkeypatch.setenv("REPLYWATCH_GRAPH_API_URL", graph_server.url)
        outcome = run_main(capsys, "collect")

    assert outcome.code == 1
    lines = outcome.out.splitlines()
    assert lines[0].startswith("account 1 x @huber_shop: failed — 1 calls, 0 new, ")
    assert (
        f"GET /2/users/by/username/:username: {host} did not answer: connection refused" in lines[0]
    )
    # The live platform, collected between and after, is not held up.
    assert lines[1].startswith("account 2 facebook baeckerei.huber: ok — 3 calls, 8 new")
    assert lines[2].startswith("account 3 instagram @baeckerei_huber: ok — 4 calls, 4 new")
    skip = f"{host} did not answer for account 1 in this collect; collect again later"
    assert (
        lines[3]
        == f"account 4 x @huber_zwei: skipped — 0 calls, 0 new, 0 updated, 0 removed; {skip}"
    )
    assert (
        lines[4]
        == f"account 5 x @huber_drei: skipped — 0 calls, 0 new, 0 updated, 0 removed; {skip}"
    )
    errors = outcome.err.splitlines()
    assert len(errors) == 3
    assert errors[0].startswith(
        f"replywatch collect: account 1 x @huber_shop failed: GET /2/users/by/username/:username: {host} did not answer: connection refused; "
    )
    assert errors[1:] == [
        f"replywatch collect: account 4 x @huber_zwei skipped: {skip}",
        f"replywatch collect: account 5 x @huber_drei skipped: {skip}",
    ]

    (x_run,) = _runs(engine, 1)
    assert (x_run.outcome, x_run.api_calls, x_run.items_new) == ("failed", 1, 0)
    assert f"{host} did not answer" in x_run.error
    assert "gave up after 1 attempts" in x_run.error
    # Skipped like a rate-limited account: no run recorded, nothing stored.
    assert _runs(engine, 4) == [] and _runs(engine, 5) == []
    assert [(r.outcome, r.items_new) for r in _runs(engine, 2)] == [("ok", 8)]
    assert [(r.outcome, r.items_new) for r in _runs(engine, 3)] == [("ok", 4)]
    assert (_items(engine, 2), _items(engine, 3)) == (8, 4)

    # The memory lasts one collect: the next one tries the host again.
    again = run_main(capsys, "collect", "--account", "4")
    assert again.code == 1
    assert again.out.splitlines()[0].startswith("account 4 x @huber_zwei: failed — 1 calls, ")
    (retried,) = _runs(engine, 4)
    assert retried.outcome == "failed" and f"{host} did not answer" in retried.error
    engine.dispose()


def test_a_live_host_answering_5xx_gives_each_account_its_own_try(
    cli_env, database_url, monkeypatch, capsys
):
    engine = make_engine(database_url)
    with session_factory(engine).begin() as session:
        assert add_x_account(session).id == 1
        assert _add_x(session, "@huber_zwei") == 2
    with XApiServer(x_world().world) as x_server:
        x_server.inject(r".", status=503, times=-1)
        monkeypatch.setenv("REPLYWATCH_X_API_URL", x_server.url)
        outcome = run_main(capsys, "collect")
        calls = len(x_server.calls)

    assert outcome.code == 1
    lines = outcome.out.splitlines()
    assert lines[0].startswith("account 1 x @huber_shop: failed — 1 calls, ")
    assert lines[1].startswith("account 2 x @huber_zwei: failed — 1 calls, ")
    assert calls == 2  # each account asked the server itself
    for account_id in (1, 2):
        (run,) = _runs(engine, account_id)
        assert (run.outcome, run.api_calls) == ("failed", 1)
        assert "HTTP 503" in run.error and "did not answer" not in run.error
    # No account skipped (the summary table has a "private skipped" column).
    assert not [line for line in lines if ": skipped" in line]
    assert "skipped" not in outcome.err
    engine.dispose()


# Two accounts of each platform on the dead host, through each platform's own library.
PLATFORM_ACCOUNTS = {
    "x": [("@huber_eins", "T"), ("@huber_zwei", "T")],
    "facebook": [("baeckerei.huber", "T"), ("baeckerei.zwei", "T")],
    "mastodon": [("@eins@social.example", None), ("@zwei@social.example", "T")],
    "bluesky": [("eins.bsky.social", None), ("zwei.bsky.social", None)],
}


@pytest.mark.parametrize("platform", sorted(PLATFORM_ACCOUNTS))
def test_each_platform_transport_says_when_no_answer_came(platform, engine, dead_url, tmp_path):
    with session_factory(engine).begin() as session:
        client = add_client(session)
        ids = []
        for handle, reference in PLATFORM_ACCOUNTS[platform]:
            account = Account(client_id=client.id, platform=platform, handle=handle,
                              credentials_ref=reference)  # fmt: skip
            session.add(account)
            session.flush()
            ids.append(account.id)
    settings = settings_for(
        tmp_path,
        REPLYWATCH_X_API_URL=dead_url,
        REPLYWATCH_GRAPH_API_URL=dead_url,
        REPLYWATCH_MASTODON_API_URL=dead_url,
        REPLYWATCH_BLUESKY_APPVIEW_URL=dead_url,
        REPLYWATCH_BLUESKY_PDS_URL=dead_url,
    )
    env = {"T": "token-0123456789secret"}
    retry = RetryPolicy(max_retries=0)
    unreachable = UnreachableHosts()
    first = collect_account(engine, settings, ids[0], env=env, retry=retry,
                            unreachable=unreachable)  # fmt: skip
    second = collect_account(engine, settings, ids[1], env=env, retry=retry,
                             unreachable=unreachable)  # fmt: skip

    assert (first.outcome, first.unreachable, first.api_calls) == ("failed", dead_url, 1)
    assert f"{dead_url.removeprefix('http://')} did not answer" in first.error
    assert unreachable.found == {dead_url: ids[0]}
    assert (second.outcome, second.run_id, second.api_calls) == ("skipped", None, 0)
    assert second.unreachable == dead_url
    assert [run.outcome for run in _runs(engine, ids[0])] == ["failed"]
    assert _runs(engine, ids[1]) == []
    # Without the shared memory (the service's per-account jobs), each account tries itself.
    alone = collect_account(engine, settings, ids[1], env=env, retry=retry)
    assert (alone.outcome, alone.unreachable) == ("failed", dead_url)


def test_the_hosts_an_account_would_call(tmp_path):
    settings = settings_for(
        tmp_path,
        REPLYWATCH_X_API_URL="https://API.x.com/",
        REPLYWATCH_BLUESKY_PDS_URL="https://pds.example:8443",
    )
    assert api_origins("x", "@a", True, settings) == {"https://api.x.com:443"}
    assert api_origins("instagram", "@a", True, settings) == {"https://graph.facebook.com:443"}
    # Mastodon: the instance in the handle, unless one API URL is forced for all.
    assert api_origins("mastodon", "@a@social.example", False, settings) == {
        "https://social.example:443"
    }
    forced = settings_for(tmp_path, REPLYWATCH_MASTODON_API_URL="http://127.0.0.1:8080/api")
    assert api_origins("mastodon", "@a@social.example", False, forced) == {"http://127.0.0.1:8080"}
    # Bluesky: the PDS only for an account that logs in with an app password.
    assert api_origins("bluesky", "a.bsky.social", False, settings) == {
        "https://public.api.bsky.app:443"
    }
    assert api_origins("bluesky", "a.bsky.social", True, settings) == {
        "https://public.api.bsky.app:443",
        "https://pds.example:8443",
    }


@pytest.mark.parametrize(
    ("faults", "unreachable_host"),
    [
        ([{"kind": "drop", "times": -1}], True),  # every connection dropped, never an answer
        ([{"status": 503}, {"kind": "drop", "times": -1}], False),  # answered once: it is up
    ],
    ids=["dropped", "answered-then-dropped"],
)
def test_a_host_is_unreachable_only_when_no_attempt_got_an_answer(
    faults, unreachable_host, engine, tmp_path
):
    with session_factory(engine).begin() as session:
        first_id = add_x_account(session).id
        second_id = _add_x(session, "@huber_zwei")
    with XApiServer(x_world().world) as x_server:
        for fault in faults:
            x_server.inject(r".", **fault)
        settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=x_server.url)
        env, retry = {"HUBER_X_TOKEN": X_TOKEN}, RetryPolicy(max_retries=1, base_delay=0.01)
        unreachable = UnreachableHosts()
        first = collect_account(engine, settings, first_id, env=env, retry=retry,
                                unreachable=unreachable)  # fmt: skip
        second = collect_account(engine, settings, second_id, env=env, retry=retry,
                                 unreachable=unreachable)  # fmt: skip
        calls = len(x_server.calls)

    assert (first.outcome, first.api_calls) == ("failed", 2)
    assert "gave up after 2 attempts" in first.error
    if unreachable_host:
        assert first.unreachable == x_server.url
        assert (second.outcome, second.api_calls, calls) == ("skipped", 0, 2)
        assert _runs(engine, second_id) == []
    else:
        assert first.unreachable is None and "did not answer" not in first.error
        assert (second.outcome, second.api_calls, calls) == ("failed", 2, 4)
        assert second.unreachable == x_server.url  # the drops now were its only answers
