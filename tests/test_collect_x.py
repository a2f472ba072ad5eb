"""Collecting X accounts over real HTTP from the simulated X API, into SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from collectors.x.collect import MAX_QUERY_LENGTH, _query_batches, _search_query
from replywatch.collecting import collect_account
from sandbox.world import Actor, World
from sandbox.x_api import XApiServer
from storage.engine import session_factory
from storage.models import Account, CollectionRun, FollowerSnapshot, Item, Like
from tests.support.platforms import T0, X_TOKEN, add_x_account, fast_retry, settings_for, x_world
from tests.support.stored import stored_cursors, stored_items

ENV = {"HUBER_X_TOKEN": X_TOKEN}
ROUTES = {
    "lookup": r"^/2/users/by/username/",
    "posts": r"^/2/users/\d+/tweets$",
    "mentions": r"^/2/users/\d+/mentions$",
    "search": r"^/2/tweets/search/recent$",
    "refresh": r"^/2/tweets$",
    "likers": r"/liking_users$",
    "user": r"^/2/users/\d+$",
    "liked": r"^/2/users/\d+/liked_tweets$",
}


def calls_by_route(server: XApiServer) -> dict[str, int]:
    counts = {name: len(server.calls_to(pattern)) for name, pattern in ROUTES.items()}
    return {name: count for name, count in counts.items() if count}


@pytest.fixture
def scripted():
    return x_world()


@pytest.fixture
def server(scripted):
    with XApiServer(scripted.world) as running:
        yield running


@pytest.fixture
def settings(server, tmp_path):
    return settings_for(tmp_path, REPLYWATCH_X_API_URL=server.url)


@pytest.fixture
def account_id(engine):
    with session_factory(engine).begin() as session:
        return add_x_account(session).id


def collect(engine, settings, account_id, now, env=ENV, retry=None):
    return collect_account(engine, settings, account_id, now=now, env=env,
                           retry=retry or fast_retry())  # fmt: skip


def test_first_run_stores_posts_replies_mentions_reposts_likes_and_followers(
    engine, server, scripted, settings, account_id
):
    now = scripted.world.now
    summary = collect(engine, settings, account_id, now)
    assert summary.outcome == "ok", summary.error
    assert calls_by_route(server) == {
        "lookup": 1, "posts": 1, "mentions": 1, "search": 1, "refresh": 1, "likers": 1,
        "liked": 1,
    }  # fmt: skip
    assert summary.api_calls == 7 and summary.items_new == 8
    p = {name: post.id for name, post in scripted.posts.items()}
    items = stored_items(engine)
    shape = {
        item_id: (i.kind, i.is_own, i.parent_id, i.root_id, i.mentions_account)
        for item_id, i in items.items()
    }
    assert shape == {
        p["old"]: ("post", True, None, p["old"], False),
        p["old_reply"]: ("reply", False, p["old"], p["old"], True),
        p["post"]: ("post", True, None, p["post"], False),
        p["question"]: ("reply", False, p["post"], p["post"], True),
        p["answer"]: ("reply", True, p["question"], p["post"], False),  # agency identity
        p["deeper"]: ("reply", False, p["answer"], p["post"], True),
        p["mention"]: ("mention", False, None, p["mention"], True),
        p["retweet"]: ("repost", True, None, p["retweet"], False),
    }
    question = items[p["question"]]
    assert question.author_handle == "anna_k" and question.text.startswith("@huber_shop habt")
    assert question.created_at == T0 + timedelta(minutes=5)
    assert question.permalink == f"https://x.com/anna_k/status/{p['question']}"
    assert items[p["post"]].like_count == 5  # two listed likers, three X does not list
    with session_factory(engine)() as session:
        account = session.get(Account, account_id)
        assert (account.platform_account_id, account.display_name, account.credential_status) == (
            "100", "Bäckerei Huber", "ok")  # fmt: skip
        likes = {(like.liker_id, like.liker_handle, like.is_own) for like in session.scalars(
            select(Like))}  # fmt: skip
        followers = [s.followers for s in session.scalars(select(FollowerSnapshot))]
        run = session.scalars(select(CollectionRun)).one()
    assert likes == {("900", "anna_k", False), ("200", "jana_agency", True),
                     ("100", "huber_shop", True)}  # fmt: skip
    assert followers == [420]
    assert (run.outcome, run.api_calls, run.items_new, run.problems) == ("ok", 7, 8, [])
    assert run.started_at == now and run.finished_at >= now
    cursors = stored_cursors(engine)
    assert json.loads(cursors["posts"]) == {"since_id": p["retweet"]}
    assert json.loads(cursors["mentions"]) == {"since_id": p["mention"]}
    assert json.loads(cursors["conversations"])["since_id"] == p["deeper"]
    assert cursors[f"likers:{p['post']}"] == "5"


def test_an_incremental_run_without_new_data_makes_the_minimum_number_of_calls(
    engine, server, scripted, settings, account_id
):
    world = scripted.world
    collect(engine, settings, account_id, world.now)
    server.reset_calls()
    world.advance(timedelta(minutes=10))
    quiet = collect(engine, settings, account_id, world.now)
    # posts since_id, mentions since_id, one search over the one young conversation.
    assert calls_by_route(server) == {"posts": 1, "mentions": 1, "search": 1}
    assert (quiet.outcome, quiet.api_calls, quiet.items_new, quiet.items_updated) == (
        "ok", 3, 0, 0)  # fmt: skip
    since = {name: call.query.get("since_id") for name in ("posts", "mentions", "search")
             for call in server.calls_to(ROUTES[name])}  # fmt: skip
    p = {name: post.id for name, post in scripted.posts.items()}
    assert since == {"posts": [p["retweet"]], "mentions": [p["mention"]], "search": [p["deeper"]]}
    search = server.calls_to(ROUTES["search"])[0].query["query"][0]
    assert search == f"conversation_id:{p['post']} -from:100"

    server.reset_calls()
    reply = world.post("901", world.now + timedelta(minutes=1), "@jana_agency danke!",
                       reply_to=scripted.posts["answer"].id)  # fmt: skip
    world.advance(timedelta(minutes=10))
    fresh = collect(engine, settings, account_id, world.now)
    assert calls_by_route(server) == {"posts": 1, "mentions": 1, "search": 1}
    assert fresh.items_new == 1 and stored_items(engine)[reply.id].root_id == p["post"]

    # Eight days on, no conversation is young enough for search/recent: none is searched.
    server.reset_calls()
    world.advance(timedelta(days=8))
    later = collect(engine, settings, account_id, world.now)
    assert later.outcome == "ok"
    assert calls_by_route(server) == {"posts": 1, "mentions": 1, "user": 1, "liked": 1}


def test_refresh_updates_counts_fetches_new_likers_and_marks_deleted_items_removed(
    engine, server, scripted, settings, account_id
):
    world = scripted.world
    collect(engine, settings, account_id, world.now)
    scripted.posts["question"].deleted_at = world.now + timedelta(minutes=1)
    world.like(scripted.posts["post"].id, "901", world.now + timedelta(minutes=2))
    server.reset_calls()
    world.advance(timedelta(hours=7))
    summary = collect(engine, settings, account_id, world.now)
    assert calls_by_route(server) == {
        "posts": 1, "mentions": 1, "search": 1, "refresh": 1, "likers": 1, "liked": 1,
    }  # fmt: skip
    items = stored_items(engine)
    question = items[scripted.posts["question"].id]
    assert (question.removed_reason, question.removed_at) == ("deleted", world.now)
    assert items[scripted.posts["post"].id].like_count == 6
    assert summary.items_removed == 1
    with session_factory(engine)() as session:
        likers = set(session.scalars(select(Like.liker_id)))
    assert likers == {"900", "200", "901", "100"}


def _busy_world(posts: int) -> World:
    world = World("x", now=T0 + timedelta(days=1))
    world.add_actor(Actor("100", "huber_shop", followers=3))
    world.manage("100", X_TOKEN)
    for minute in range(posts):
        world.post("100", T0 - timedelta(days=20) + timedelta(minutes=minute), f"Angebot {minute}")
    return world


def test_a_429_keeps_what_it_has_records_where_it_stopped_and_resumes_there(
    engine, tmp_path, account_id
):
    world = _busy_world(250)
    with XApiServer(world) as server:
        settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=server.url)
        server.inject(ROUTES["posts"], status=429, reset_in=900, skip=1)
        limited = collect(engine, settings, account_id, world.now)
        assert limited.outcome == "rate_limited"
        assert limited.resume_after is not None
        assert (
            abs((limited.resume_after - (world.now + timedelta(seconds=900))).total_seconds()) < 2
        )
        assert "GET /2/users/:id/tweets" in limited.error and "resumes after" in limited.error
        assert len(stored_items(engine)) == 100  # the first page is kept
        stopped = json.loads(stored_cursors(engine)["posts"])
        assert "since_id" not in stopped and stopped["next_token"]

        # Before the reset: no call at all, the summary says until when.
        server.reset_calls()
        waiting = collect(engine, settings, account_id, world.now + timedelta(minutes=1))
        assert (waiting.outcome, waiting.run_id, len(server.calls)) == ("rate_limited", None, 0)
        assert waiting.message.startswith("skipped: rate limited until")

        world.advance(timedelta(minutes=16))
        resumed = collect(engine, settings, account_id, world.now)
    assert resumed.outcome == "ok", resumed.error
    first = server.calls_to(ROUTES["posts"])[0]
    assert first.query["pagination_token"] == [stopped["next_token"]]
    items = stored_items(engine)
    assert len(items) == 250 and resumed.items_new == 150
    newest = max(items, key=int)
    assert json.loads(stored_cursors(engine)["posts"]) == {"since_id": newest}
    with session_factory(engine)() as session:
        outcomes = [r.outcome for r in session.scalars(select(CollectionRun).order_by(
            CollectionRun.id))]  # fmt: skip
    assert outcomes == ["rate_limited", "ok"]


def test_transient_faults_are_retried_and_exhausted_retries_fail_the_run(
    engine, server, scripted, tmp_path, account_id
):
    settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=server.url, REPLYWATCH_REQUEST_TIMEOUT=1)
    server.inject(ROUTES["mentions"], status=503, times=2)
    server.inject(ROUTES["search"], kind="drop")
    server.inject(ROUTES["refresh"], kind="slow", delay=1.5)
    survived = collect(engine, settings, account_id, scripted.world.now)
    assert survived.outcome == "ok", survived.error
    assert [c.status for c in server.calls_to(ROUTES["mentions"])] == [503, 503, 200]
    assert len(server.calls_to(ROUTES["search"])) == 2
    assert survived.api_calls == 7 + 2 + 1 + 1
    assert len(stored_items(engine)) == 8

    server.reset_calls()
    server.inject(ROUTES["posts"], status=502, times=-1)
    scripted.world.advance(timedelta(minutes=5))
    failed = collect(engine, settings, account_id, scripted.world.now, retry=fast_retry(2))
    assert failed.outcome == "failed" and failed.failed
    assert "gave up after 3 attempts" in failed.error and "GET /2/users/:id/tweets" in failed.error
    assert len(server.calls_to(ROUTES["posts"])) == 3
    assert len(stored_items(engine)) == 8  # nothing lost


def test_a_malformed_page_is_recorded_and_the_rest_goes_on(
    engine, server, scripted, settings, account_id
):
    server.inject(ROUTES["mentions"], kind="malformed")
    partial = collect(engine, settings, account_id, scripted.world.now)
    assert partial.outcome == "partial"
    assert partial.problems == (
        {"id": None, "endpoint": "GET /2/users/:id/mentions",
         "problem": "the response is not valid JSON; skipped x > mentions"},
    )  # fmt: skip
    assert "mentions" not in stored_cursors(engine)
    items = stored_items(engine)
    assert scripted.posts["mention"].id not in items  # only the mentions endpoint has it
    assert scripted.posts["question"].id in items  # search found it regardless
    with session_factory(engine)() as session:
        assert session.scalars(select(CollectionRun)).one().problems == list(partial.problems)
    again = collect(engine, settings, account_id, scripted.world.now + timedelta(minutes=5))
    assert again.outcome == "ok" and scripted.posts["mention"].id in stored_items(engine)


def test_damaged_objects_are_recorded_with_their_ids_and_the_rest_is_kept(
    engine, server, scripted, settings, account_id
):
    p = {name: post.id for name, post in scripted.posts.items()}
    server.corrupt(p["old_reply"], "created_at")
    server.suspend("901")
    summary = collect(engine, settings, account_id, scripted.world.now)
    assert summary.outcome == "partial"
    problems = {(pr["id"], pr["endpoint"], pr["problem"]) for pr in summary.problems}
    assert (p["old_reply"], "GET /2/users/:id/mentions", "created_at is missing") in problems
    suspended = "author unavailable: User has been suspended: [901]."
    assert (p["mention"], "GET /2/users/:id/mentions", suspended) in problems
    assert (p["deeper"], "GET /2/tweets/search/recent", suspended) in problems
    items = stored_items(engine)
    assert p["old_reply"] not in items
    assert items[p["deeper"]].author_id == "901" and items[p["deeper"]].author_handle is None
    assert len(items) == 7


def test_refused_credentials_mark_the_account_and_other_accounts_go_on(
    engine, server, scripted, settings, account_id
):
    world = scripted.world
    world.manage("901", "ben-token-0123456789")
    with session_factory(engine).begin() as session:
        first = session.get(Account, account_id)
        ben = Account(client_id=first.client_id, platform="x", handle="@ben_b",
                      credentials_ref="BEN_X_TOKEN")  # fmt: skip
        session.add(ben)
        session.flush()
        ben_id = ben.id
    env = {"HUBER_X_TOKEN": "wrong-token-9876543210", "BEN_X_TOKEN": "ben-token-0123456789"}
    refused = collect(engine, settings, account_id, world.now, env=env)
    fine = collect(engine, settings, ben_id, world.now, env=env)
    assert refused.outcome == "credentials" and refused.failed
    assert "HTTP 401 Unauthorized" in refused.error and "wrong-token" not in refused.error
    assert fine.outcome == "ok" and fine.items_new > 0
    with session_factory(engine)() as session:
        account = session.get(Account, account_id)
        assert account.credential_status == "needs_renewal"
        assert account.credential_error == "HTTP 401 Unauthorized"
        assert session.get(Account, ben_id).credential_status == "ok"
    # A renewed token makes the next run succeed and clears the mark.
    renewed = collect(engine, settings, account_id, world.now + timedelta(minutes=1))
    assert renewed.outcome == "ok"
    with session_factory(engine)() as session:
        account = session.get(Account, account_id)
        assert (account.credential_status, account.credential_error) == ("ok", None)
    _assert_no_secret_in_database(engine, [X_TOKEN, "wrong-token-9876543210",
                                           "ben-token-0123456789"])  # fmt: skip


def _assert_no_secret_in_database(engine, secrets):
    with engine.connect() as connection:
        for table in ("accounts", "collection_runs", "collection_cursors", "items", "likes"):
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                dumped = " ".join(str(value) for value in row)
                for secret in secrets:
                    assert secret not in dumped, (table, row)


def test_an_unknown_handle_fails_with_a_clear_message(engine, server, settings):
    with session_factory(engine).begin() as session:
        account_id = add_x_account(session).id
        session.get(Account, account_id).handle = "@nobody_here"
    summary = collect(engine, settings, account_id, T0)
    assert summary.outcome == "failed"
    assert summary.error == (
        "X account @nobody_here does not exist: Could not find user with username: [nobody_here]."
    )
    assert len(server.calls) == 1


def test_tokens_never_reach_the_logs(engine, server, scripted, settings, account_id, caplog):
    with caplog.at_level(logging.DEBUG):
        collect(engine, settings, account_id, scripted.world.now)
    assert X_TOKEN not in caplog.text
    assert "Bearer ***" in caplog.text  # tweepy logged its headers, scrubbed


def test_search_queries_fit_x_query_length():
    roots = [str(2122253338014646272 + n) for n in range(40)]
    batches = list(_query_batches(roots, "100"))
    assert [len(b) for b in batches] == [12, 12, 12, 4]
    assert all(len(_search_query(b, "100")) <= MAX_QUERY_LENGTH for b in batches)
    assert Counter(r for b in batches for r in b) == Counter(roots)


def _own_likes(engine) -> set[str]:
    with session_factory(engine)() as session:
        rows = session.execute(select(Item.platform_item_id).join(Like, Like.item_id == Item.id)
                               .where(Like.liker_id == "100"))  # fmt: skip
        return set(rows.scalars())


def test_the_accounts_likes_are_read_every_six_hours_down_to_the_last_one_seen(
    engine, server, scripted, settings, account_id
):
    world, p = scripted.world, scripted.posts
    collect(engine, settings, account_id, world.now)
    assert _own_likes(engine) == {p["question"].id}
    assert json.loads(stored_cursors(engine)["liked"]) == {
        "read_at": world.now.isoformat(), "newest": p["question"].id}  # fmt: skip
    world.like(p["deeper"].id, "100", world.now + timedelta(minutes=1))
    unstored = world.post("901", world.now + timedelta(minutes=2), "@huber_shop Brezen?",
                          mentions=["100"])  # fmt: skip
    world.like(unstored.id, "100", world.now + timedelta(minutes=3))
    stranger = world.post("901", world.now + timedelta(minutes=2), "Schönes Wetter")
    world.like(stranger.id, "100", world.now + timedelta(minutes=4))
    world.advance(timedelta(hours=1))
    server.reset_calls()
    collect(engine, settings, account_id, world.now)
    assert "liked" not in calls_by_route(server)  # not before six hours
    world.advance(timedelta(hours=6))
    server.reset_calls()
    later = collect(engine, settings, account_id, world.now)
    assert later.outcome == "ok", later.error
    assert len(server.calls_to(ROUTES["liked"])) == 1
    # The mention was stored from the mentions timeline before; the stranger's post is
    # not addressed to the account and stays out.
    assert _own_likes(engine) == {p["question"].id, p["deeper"].id, unstored.id}
    assert stranger.id not in stored_items(engine)
    assert json.loads(stored_cursors(engine)["liked"])["newest"] == stranger.id


def test_likes_of_an_addressed_tweet_not_stored_yet_store_it(engine, tmp_path, account_id):
    scripted = x_world()
    world = scripted.world
    old = world.post("901", T0 - timedelta(days=20), "@huber_shop noch offen?", mentions=["100"])
    world.like(old.id, "100", T0 - timedelta(days=19))
    with XApiServer(world) as server:
        settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=server.url)
        # The mentions cannot be read this time: the liked mention is stored from the
        # account's likes, because it is addressed to the account.
        server.inject(ROUTES["mentions"], kind="malformed")
        summary = collect(engine, settings, account_id, world.now)
    assert summary.outcome == "partial"
    item = stored_items(engine)[old.id]
    assert (item.kind, item.mentions_account, item.is_own) == ("mention", True, False)
    assert old.id in _own_likes(engine)


def test_an_app_only_token_cannot_read_the_accounts_likes(engine, tmp_path, account_id):
    scripted = x_world()
    app_token = "app-only-bearer-0123456789"
    with XApiServer(scripted.world, extra_tokens=(app_token,)) as server:
        settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=server.url)
        env = {"HUBER_X_TOKEN": app_token}
        first = collect(engine, settings, account_id, scripted.world.now, env=env)
        assert first.outcome == "partial"
        assert first.problems == ({
            "id": "100", "endpoint": "GET /2/users/:id/liked_tweets",
            "problem": "X shows the account's likes only to a user-context token of the "
                       "account itself (OAuth 2.0 with like.read): HTTP 403 Authenticating "
                       "with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
                       "Supported authentication types are [OAuth 1.0a User Context, OAuth "
                       "2.0 User Context].",
        },)  # fmt: skip
        assert len(stored_items(engine)) == 8  # everything else was read
        scripted.world.advance(timedelta(days=1))
        server.reset_calls()
        again = collect(engine, settings, account_id, scripted.world.now, env=env)
        assert again.outcome == "ok" and "liked" not in calls_by_route(server)
        scripted.world.advance(timedelta(days=7))
        server.reset_calls()
        collect(engine, settings, account_id, scripted.world.now, env=env)
        assert calls_by_route(server)["liked"] == 1
    with session_factory(engine)() as session:
        assert session.get(Account, account_id).credential_status == "ok"


def test_texts_arrive_escaped_and_are_stored_as_written_once_unescaped(
    engine, server, scripted, settings, account_id
):
    """Issue 14.3: X sends &, < and > as &amp;, &lt;, &gt;; a customer who writes "&amp;"
    literally must keep it (one unescape, not two)."""
    world = scripted.world
    written = "Brot & Brezen <3 für 5€ > 4€? Und was heißt &amp; eigentlich?"
    question = world.post("900", world.now - timedelta(minutes=30), f"@huber_shop {written}",
                          reply_to=scripted.posts["post"].id)  # fmt: skip
    body = server_json(server, f"/2/tweets?ids={question.id}&tweet.fields=text")
    assert "&amp;amp; eigentlich" in body["data"][0]["text"]  # the sandbox escapes like X
    assert collect(engine, settings, account_id, world.now).outcome == "ok"
    assert stored_items(engine)[question.id].text == f"@huber_shop {written}"


def test_a_refresh_without_the_author_keeps_the_stored_handle_and_permalink(
    engine, server, scripted, settings, account_id
):
    """Issue 14.4: a lookup answer without the author in includes.users must not erase
    the handle nor degrade the permalink to /i/status/…"""
    world = scripted.world
    question = scripted.posts["question"].id
    assert collect(engine, settings, account_id, world.now).outcome == "ok"
    before = stored_items(engine)[question]
    assert (before.author_handle, before.permalink) == (
        "anna_k", f"https://x.com/anna_k/status/{question}")  # fmt: skip
    server.suspend("900")  # Anna vanishes from includes.users of every answer
    world.like(question, "901", world.now + timedelta(minutes=1))
    later = world.advance(timedelta(hours=7))  # the refresh of young items is due
    server.reset_calls()
    summary = collect(engine, settings, account_id, later)
    assert server.calls_to(r"^/2/tweets$"), "the refresh ran"
    after = stored_items(engine)[question]
    assert (after.author_handle, after.permalink) == (before.author_handle, before.permalink)
    assert after.like_count == before.like_count + 1  # what the answer knew is stored
    assert any("author unavailable" in p["problem"] for p in summary.problems)


def server_json(server: XApiServer, path: str) -> dict:
    import requests

    answer = requests.get(server.url + path, headers={"Authorization": f"Bearer {X_TOKEN}"},
                          timeout=5)  # fmt: skip
    answer.raise_for_status()
    return answer.json()
