"""Several accounts in one ``replywatch collect``: a rate limit or a failing platform on one
account does not hold up the others longer than needed (issue 4, point 4).

A rate-limited account is never slept on: its run ends at the 429 with what it read, its
reset time is recorded, later invocations skip it until then, and the run after the reset
continues where it stopped. A failing platform is retried with backoff, but only within
the run's retry budget (``collect.retry_budget_seconds``): a platform that keeps timing
out, or fails every few requests, ends as ``failed`` instead of stalling the accounts
after it. Assertions are on recorded outcomes and call counts, never on durations.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from collectors.contract import RetryPolicy
from replywatch.collecting import collect_account
from sandbox.graph_api import GraphApiServer
from sandbox.world import Actor, World
from sandbox.x_api import XApiServer
from storage.engine import make_engine, session_factory
from storage.models import CollectionCursor, CollectionRun, Item
from tests.support.cli import run_main
from tests.support.platforms import (
    PAGE_TOKEN,
    X_TOKEN,
    add_graph_accounts,
    add_x_account,
    fast_retry,
    graph_worlds,
    settings_for,
    x_world,
)

X_ID, FACEBOOK_ID, INSTAGRAM_ID = 1, 2, 3
PAGE_ENV = {"HUBER_PAGE_TOKEN": PAGE_TOKEN}
MENTIONS = r"^/2/users/100/mentions$"


def _runs(engine, account_id: int) -> list[CollectionRun]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(CollectionRun).where(
            CollectionRun.account_id == account_id).order_by(CollectionRun.id)))  # fmt: skip


def _cursors(engine, account_id: int) -> dict[str, str]:
    with session_factory(engine)() as session:
        rows = session.execute(select(CollectionCursor.endpoint, CollectionCursor.value)
                               .where(CollectionCursor.account_id == account_id))  # fmt: skip
        return {endpoint: value for endpoint, value in rows}


def _items(engine, account_id: int, kind: str | None = None) -> int:
    with session_factory(engine)() as session:
        query = select(func.count()).select_from(Item).where(Item.account_id == account_id)
        if kind:
            query = query.where(Item.kind == kind)
        return session.scalar(query) or 0


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
def env(database_url, platforms, monkeypatch, tmp_path):
    x_server, graph_server = platforms
    values = {
        "REPLYWATCH_DATABASE_URL": database_url,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "REPLYWATCH_SECRETS_FILE": str(tmp_path / "secrets.toml"),
        "REPLYWATCH_X_API_URL": x_server.url,
        "REPLYWATCH_GRAPH_API_URL": graph_server.url,
        # The default three retries, but no time to spend on them: the first fault ends the
        # run (the budget is what stops it, not the retry count; nothing sleeps here).
        "REPLYWATCH_RETRY_BUDGET": "0",
        "HUBER_X_TOKEN": X_TOKEN,
        "HUBER_PAGE_TOKEN": PAGE_TOKEN,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    monkeypatch.delenv("REPLYWATCH_MAX_RETRIES", raising=False)
    engine = make_engine(database_url)
    with session_factory(engine).begin() as session:
        assert add_x_account(session).id == X_ID
        assert add_graph_accounts(session) == (FACEBOOK_ID, INSTAGRAM_ID)
    yield values
    engine.dispose()


def test_a_rate_limited_and_a_failing_account_do_not_hold_up_the_others(
    env, platforms, capsys, database_url, tmp_path
):
    x_server, graph_server = platforms
    engine = make_engine(database_url)
    # X: the posts are read, then the mentions answer 429 for ten minutes.
    x_server.inject(MENTIONS, status=429, reset_in=600)
    # Facebook: every request of the Page fails; Instagram (same server, same token) works.
    graph_server.inject(r"/(baeckerei\.huber|555/\w+)$", status=500, times=-1)
    first = run_main(capsys, "collect")

    assert first.code == 1  # Facebook failed; rate-limited X is not a failure
    lines = first.out.splitlines()
    assert lines[0].startswith("account 1 x @huber_shop: rate_limited — 3 calls, 3 new, ")
    assert "rate limited at GET /2/users/:id/mentions (HTTP 429" in lines[0]
    assert lines[1].startswith("account 2 facebook baeckerei.huber: failed — 1 calls, 0 new")
    assert lines[2].startswith("account 3 instagram @baeckerei_huber: ok — 4 calls, 4 new")
    assert first.err.splitlines() == [
        "replywatch collect: account 2 facebook baeckerei.huber failed: GET /{page}: Graph "
        "error 2: An unexpected error has occurred. Please retry your request later.; gave up "
        "after 1 attempts: faults have cost this run 0 s, another retry would pass the retry "
        "budget of 0 s"
    ]
    # Recorded: X stopped at the 429 (asked once, not retried, not slept on) with its reset
    # time; its posts and the cursor after them are kept, the mentions have no cursor yet.
    (x_run,) = _runs(engine, X_ID)
    assert (x_run.outcome, x_run.api_calls, x_run.items_new) == ("rate_limited", 3, 3)
    # The reset is the simulated platform's: ten minutes of its time after its now.
    assert x_run.resume_after == x_server.world.now + timedelta(seconds=600)
    assert "resumes after" in x_run.error
    assert len(x_server.calls_to(MENTIONS)) == 1
    assert set(_cursors(engine, X_ID)) == {"posts"}
    assert _items(engine, X_ID) == 3  # two posts and a repost
    (fb_run,) = _runs(engine, FACEBOOK_ID)
    assert (fb_run.outcome, fb_run.api_calls, fb_run.resume_after) == ("failed", 1, None)
    assert fb_run.error.startswith("GET /{page}: Graph error 2")
    (ig_run,) = _runs(engine, INSTAGRAM_ID)
    assert (ig_run.outcome, ig_run.items_new) == ("ok", 4)

    # Again before the reset: X is skipped without a call and without a run; the Page,
    # whose platform works again, is collected.
    graph_server.clear_faults()
    x_server.reset_calls()
    second = run_main(capsys, "collect")
    assert second.code == 0, second.err
    reset = x_run.resume_after
    assert second.out.splitlines()[0] == (
        f"account 1 x @huber_shop: rate_limited — 0 calls, 0 new, 0 updated, 0 removed; "
        f"skipped: rate limited until {reset:%Y-%m-%d %H:%M:%S} UTC"
    )
    assert "account 2 facebook baeckerei.huber: ok — 3 calls, 8 new" in second.out
    assert x_server.calls == [] and len(_runs(engine, X_ID)) == 1

    # After the reset, X continues where it stopped: posts from the stored since_id, the
    # mentions from the start of the history, nothing read twice.
    settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=x_server.url)
    resumed = collect_account(engine, settings, X_ID, now=reset + timedelta(seconds=1),
                              env=env, retry=fast_retry())  # fmt: skip
    assert resumed.outcome == "ok", resumed.error
    posts_cursor = json.loads(_cursors(engine, X_ID)["posts"])
    timeline = x_server.calls_to(r"^/2/users/100/tweets$")[0]
    assert timeline.query["since_id"] == [posts_cursor["since_id"]]
    # The four mentions the first run did not reach and the agency's answer in the young
    # conversation (found by the conversation search), and nothing it stored again.
    assert (resumed.items_new, resumed.items_updated) == (5, 0)
    assert _items(engine, X_ID) == 8
    with session_factory(engine)() as session:
        handles = session.scalars(select(Item.author_handle).where(Item.account_id == X_ID))
        assert sorted(handles) == ["anna_k", "anna_k", "ben_b", "ben_b", "huber_shop",
                                   "huber_shop", "huber_shop", "jana_agency"]  # fmt: skip
    assert [run.outcome for run in _runs(engine, X_ID)] == ["rate_limited", "ok"]
    engine.dispose()


class FakeTime:
    """Time for the retry policy that passes only when it sleeps: pauses are counted, not
    waited, and requests take no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def _page_world(posts: int) -> World:
    now = datetime.now(UTC).replace(microsecond=0)
    world = World("facebook", now=now)
    world.add_actor(Actor("555", "baeckerei.huber", name="Bäckerei Huber", followers=310))
    world.manage("555", PAGE_TOKEN)
    for number in range(posts):
        world.post("555", now - timedelta(days=5, minutes=-number), f"Angebot {number}")
    return world


def test_a_platform_failing_every_few_requests_stops_at_the_retry_budget(engine, tmp_path):
    world = _page_world(250)  # ten pages of posts
    with session_factory(engine).begin() as session:
        facebook_id, _ = add_graph_accounts(session)
    with GraphApiServer(facebook=world) as server:
        # Every page of the feed fails once and then answers: each retry succeeds, so only
        # the run's budget can stop the pauses from adding up.
        server.inject(r"/555/feed$", status=503)
        for _ in range(9):
            server.inject(r"/555/feed$", status=503, skip=1)
        settings = settings_for(tmp_path, REPLYWATCH_GRAPH_API_URL=server.url)
        time = FakeTime()
        retry = RetryPolicy(budget_seconds=4.5, sleep=time.sleep, clock=time.clock)
        summary = collect_account(engine, settings, facebook_id, env=PAGE_ENV, retry=retry)
        # Four pages cost a pause of 1 s each; the fifth fault would pass 4.5 s.
        assert time.pauses == [1.0, 1.0, 1.0, 1.0]
        assert summary.outcome == "failed"
        assert summary.error == (
            "GET /{id}/feed: Graph error 2: An unexpected error has occurred. Please retry "
            "your request later.; gave up after 1 attempts: faults have cost this run 4 s, "
            "another retry would pass the retry budget of 4.5 s"
        )
        assert summary.api_calls == 1 + 4 * 2 + 1  # the Page, four pages twice, the fault
        assert summary.items_new == 100  # the four pages read are kept
        assert "threads" not in _cursors(engine, facebook_id)  # the window is read again

        # The next run, the platform healthy again, reads everything; nothing twice.
        server.clear_faults()
        again = collect_account(engine, settings, facebook_id, env=PAGE_ENV, retry=fast_retry())
    assert again.outcome == "ok", again.error
    assert (again.items_new, again.items_updated) == (150, 0)
    assert _items(engine, facebook_id) == 250
    assert "threads" in _cursors(engine, facebook_id)


def test_timeouts_count_against_the_retry_budget(engine, tmp_path):
    world = _page_world(3)
    with session_factory(engine).begin() as session:
        facebook_id, _ = add_graph_accounts(session)
    with GraphApiServer(facebook=world) as server:
        server.inject(r"baeckerei\.huber$", kind="slow", delay=1.5, times=-1)
        settings = settings_for(tmp_path, REPLYWATCH_GRAPH_API_URL=server.url,
                                REPLYWATCH_REQUEST_TIMEOUT=1)  # fmt: skip
        # Pauses alone (0.25 + 0.5 + 1 s) would allow all three retries; the first attempt's
        # timeout (at least 1 s) plus its pause leaves room for one more attempt only.
        retry = RetryPolicy(max_retries=3, base_delay=0.25, budget_seconds=2.0)
        summary = collect_account(engine, settings, facebook_id, env=PAGE_ENV, retry=retry)
    assert summary.outcome == "failed"
    assert summary.api_calls == 2
    host = server.url.removeprefix("http://")
    assert f"GET /{{page}}: {host} did not answer within 1 s; gave up after 2 attempts" in (
        summary.error
    )
    assert "retry budget of 2 s" in summary.error
