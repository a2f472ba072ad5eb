"""collect_account and the collection framework: credentials, skips, faults, concurrency, and
the rule that a cursor only moves with the items it covers."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from collectors.contract import Batch, RunContext
from collectors.errors import PayloadProblem
from collectors.runner import run_collection
from replywatch.collecting import COLLECTORS, collect_account
from sandbox.graph_api import GraphApiServer
from sandbox.x_api import XApiServer
from storage.engine import session_factory
from storage.models import Account, CollectionCursor, CollectionRun, Item
from storage.records import ItemRecord
from tests.support.platforms import (
    PAGE_TOKEN,
    T0,
    X_TOKEN,
    add_graph_accounts,
    add_x_account,
    fast_retry,
    graph_worlds,
    settings_for,
    x_world,
)


def _runs(engine) -> list[CollectionRun]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(CollectionRun).order_by(CollectionRun.id)))


def test_the_token_comes_from_the_secrets_file(engine, tmp_path):
    scripted = x_world()
    with session_factory(engine).begin() as session:
        account_id = add_x_account(session).id
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'HUBER_X_TOKEN = "{X_TOKEN}"\n')
    secrets.chmod(0o600)
    with XApiServer(scripted.world) as server:
        settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=server.url)
        assert settings.secrets_file == secrets
        summary = collect_account(engine, settings, account_id, now=scripted.world.now, env={})
    assert summary.outcome == "ok" and summary.items_new == 8


def test_missing_credentials_are_recorded_not_raised(engine, tmp_path):
    settings = settings_for(tmp_path)
    with session_factory(engine).begin() as session:
        without = add_x_account(session, reference=None)
        unknown = Account(client_id=without.client_id, platform="facebook", handle="huberpage",
                          credentials_ref="NOT_SET_ANYWHERE")  # fmt: skip
        session.add(unknown)
        session.flush()
        ids = (without.id, unknown.id)
    first = collect_account(engine, settings, ids[0], env={})
    second = collect_account(engine, settings, ids[1], env={})
    assert (first.outcome, second.outcome) == ("credentials", "credentials")
    assert "has no credentials reference" in first.error
    assert second.error == (
        f"secret 'NOT_SET_ANYWHERE' is neither set as an environment variable nor a key in "
        f"{tmp_path / 'secrets.toml'}"
    )
    assert [(r.outcome, r.error is not None, r.finished_at is not None) for r in _runs(engine)] == [
        ("credentials", True, True), ("credentials", True, True)]  # fmt: skip


def test_skips_and_platforms_without_a_collector(engine, tmp_path):
    settings = settings_for(tmp_path)
    with session_factory(engine).begin() as session:
        account = add_x_account(session)
        account.active = False
        mastodon = Account(client_id=account.client_id, platform="mastodon",
                           handle="@huber@mastodon.social", credentials_ref="M_TOKEN")  # fmt: skip
        session.add(mastodon)
        session.flush()
        ids = (account.id, mastodon.id)
    inactive = collect_account(engine, settings, ids[0], env={})
    assert (inactive.outcome, inactive.run_id) == ("skipped", None)
    assert collect_account(engine, settings, 999, env={}).error == "account 999 does not exist"
    unsupported = collect_account(engine, settings, ids[1], env={"M_TOKEN": "x" * 20},
                                  collectors={"x": COLLECTORS["x"]})  # fmt: skip
    assert unsupported.outcome == "failed" and unsupported.failed
    assert unsupported.error == "no collector for mastodon accounts is installed"
    assert [r.account_id for r in _runs(engine)] == [ids[1]]


def test_a_dead_platform_is_a_failed_run_not_an_exception(engine, tmp_path):
    scripted = x_world()
    with session_factory(engine).begin() as session:
        account_id = add_x_account(session).id
    server = XApiServer(scripted.world).start()
    url = server.url
    server.stop()  # nothing listens there any more
    settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=url)
    with session_factory(engine).begin() as session:
        # A run left "running" by a process that was killed.
        session.add(CollectionRun(account_id=account_id, started_at=T0, outcome="running"))
    summary = collect_account(engine, settings, account_id, now=T0 + timedelta(hours=1),
                              env={"HUBER_X_TOKEN": X_TOKEN}, retry=fast_retry(1))  # fmt: skip
    assert summary.outcome == "failed"
    host = url.removeprefix("http://")
    assert summary.error == (
        f"GET /2/users/by/username/:username: {host} did not answer: connection refused; "
        "gave up after 2 attempts"
    )
    assert X_TOKEN not in summary.error
    assert summary.api_calls == 2
    runs = _runs(engine)
    assert [r.outcome for r in runs] == ["interrupted", "failed"]
    assert runs[0].error == "the collecting process ended before this run finished"


def test_different_accounts_collect_concurrently(engine, tmp_path):
    x = x_world()
    graph = graph_worlds()
    with session_factory(engine).begin() as session:
        x_id = add_x_account(session).id
        facebook_id, instagram_id = add_graph_accounts(session)
    env = {"HUBER_X_TOKEN": X_TOKEN, "HUBER_PAGE_TOKEN": PAGE_TOKEN}
    results: dict[int, object] = {}
    with (
        XApiServer(x.world) as x_server,
        GraphApiServer(facebook=graph.facebook, instagram=graph.instagram) as graph_server,
    ):
        settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=x_server.url,
                                REPLYWATCH_GRAPH_API_URL=graph_server.url)  # fmt: skip

        def run(account_id: int) -> None:
            results[account_id] = collect_account(engine, settings, account_id,
                                                  now=x.world.now, env=env)  # fmt: skip

        threads = [threading.Thread(target=run, args=(a,)) for a in (x_id, facebook_id,
                                                                     instagram_id)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    outcomes = {account: (s.outcome, s.items_new) for account, s in results.items()}
    assert outcomes == {x_id: ("ok", 8), facebook_id: ("ok", 8), instagram_id: ("ok", 4)}
    with session_factory(engine)() as session:
        per_account = {a: session.scalar(select(Item.id).where(Item.account_id == a).limit(1))
                       for a in (x_id, facebook_id, instagram_id)}  # fmt: skip
    assert all(per_account.values())


# --- the framework on its own, with a collector written for the test ----------------------


class _Scripted:
    """A collector that plays a fixed script against the framework."""

    platform = "x"

    def __init__(self, script):
        self.script = script

    def collect(self, run: RunContext) -> None:
        self.script(run)


def _record(item_id: str, created_at: datetime) -> ItemRecord:
    return ItemRecord(platform="x", platform_item_id=item_id, author_id="900",
                      author_handle="anna", is_own=False, kind="mention",
                      created_at=created_at)  # fmt: skip


def test_a_cursor_only_moves_with_the_items_it_covers(engine):
    with session_factory(engine).begin() as session:
        account_id = add_x_account(session).id

    def script(run: RunContext) -> None:
        run.commit(Batch(items=[_record("1", T0)], cursors={"mentions": "1"}))
        # The second batch cannot be written (a naive time): its cursor must not move.
        run.commit(Batch(items=[_record("2", datetime(2026, 11, 16, 10))],
                         cursors={"mentions": "2"}))  # fmt: skip

    summary = run_collection(engine, account_id, _Scripted(script), now=T0 + timedelta(hours=1))
    assert summary.outcome == "failed" and "naive datetime" in summary.error
    with session_factory(engine)() as session:
        cursor = session.get(CollectionCursor, (account_id, "mentions"))
        stored = set(session.scalars(select(Item.platform_item_id)))
    assert cursor.value == "1" and stored == {"1"}
    run = _runs(engine)[0]
    assert (run.items_new, run.outcome) == (1, "failed")


def test_progress_problems_and_an_interrupted_run(engine):
    with session_factory(engine).begin() as session:
        account_id = add_x_account(session).id
    seen = []

    def script(run: RunContext) -> None:
        with run.section("mentions"):
            run.count_call()
            run.problem(PayloadProblem("created_at is missing", "77"), "GET /2/users/:id/mentions")
            run.commit(Batch(items=[_record("1", T0)]))

    summary = run_collection(engine, account_id, _Scripted(script), now=T0,
                             progress=seen.append)  # fmt: skip
    assert summary.outcome == "partial"
    assert summary.problems == ({"id": "77", "endpoint": "GET /2/users/:id/mentions",
                                 "problem": "created_at is missing"},)  # fmt: skip
    assert "x > mentions" in {p.section for p in seen}
    assert seen[-1].finished and seen[-1].outcome == "partial" and seen[-1].items_new == 1

    def interrupted(run: RunContext) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_collection(engine, account_id, _Scripted(interrupted), now=T0 + timedelta(hours=1))
    assert _runs(engine)[-1].outcome == "interrupted"
