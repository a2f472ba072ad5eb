"""Collecting Bluesky accounts through the unpatched atproto Client from the simulated
AppView and PDS, into SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from collectors.bluesky.records import tid_time
from replywatch.collecting import collect_account
from sandbox.bluesky_api import BlueskyServer
from sandbox.bluesky_views import record_key
from sandbox.world import World
from storage.engine import session_factory
from storage.models import Account, FollowerSnapshot, Like
from tests.support.platforms import (
    B_ANNA,
    B_BEN,
    B_HANDLE,
    B_JANA,
    B_SHOP,
    BLUESKY_APP_PASSWORD,
    T0,
    add_bluesky_account,
    bluesky_world,
    fast_retry,
    settings_for,
)
from tests.support.stored import stored_cursors, stored_items, stored_likes

ENV = {"HUBER_BLUESKY_APP_PASSWORD": BLUESKY_APP_PASSWORD}
ROUTES = {
    "profile": r"getProfile$",
    "session": r"createSession$",
    "feed": r"getAuthorFeed$",
    "notifications": r"listNotifications$",
    "posts": r"getPosts$",
    "thread": r"getPostThread$",
    "own likes": r"getActorLikes$",
    "likers": r"getLikes$",
}


def calls_by_route(server: BlueskyServer) -> dict[str, int]:
    counts = {name: len(server.calls_to(pattern)) for name, pattern in ROUTES.items()}
    return {name: count for name, count in counts.items() if count}


@pytest.fixture
def scripted():
    return bluesky_world()


@pytest.fixture
def server(scripted):
    with BlueskyServer(scripted.world) as running:
        yield running


def _settings(server, tmp_path):
    return settings_for(tmp_path, REPLYWATCH_BLUESKY_APPVIEW_URL=server.url,
                        REPLYWATCH_BLUESKY_PDS_URL=server.url)  # fmt: skip


@pytest.fixture
def settings(server, tmp_path):
    return _settings(server, tmp_path)


@pytest.fixture
def account_id(engine):
    with session_factory(engine).begin() as session:
        return add_bluesky_account(session).id


def collect(engine, settings, account_id, now, env=ENV, retry=None):
    return collect_account(engine, settings, account_id, now=now, env=env,
                           retry=retry or fast_retry())  # fmt: skip


def test_first_run_stores_feed_notifications_threads_likes_and_followers(
    engine, server, scripted, settings, account_id
):
    world, p = scripted.world, scripted.posts
    summary = collect(engine, settings, account_id, world.now)
    assert summary.outcome == "ok", summary.error
    # Every list is followed to the empty page the AppView ends it with; the six notified
    # posts come in one getPosts call; two threads: the young post's and the mention's (the
    # old post is past the window).
    assert calls_by_route(server) == {
        "profile": 1, "session": 1, "feed": 2, "notifications": 2, "posts": 1, "thread": 2,
        "own likes": 2, "likers": 2,
    }  # fmt: skip
    assert summary.api_calls == 13 and summary.items_new == 11
    ids = {name: post.id for name, post in p.items()}
    items = stored_items(engine)
    repost_id = next(i for i, item in items.items() if item.kind == "repost")
    shape = {
        item_id: (i.kind, i.is_own, i.parent_id, i.root_id, i.mentions_account)
        for item_id, i in items.items()
        if item_id != repost_id
    }
    assert shape == {
        ids["old"]: ("post", True, None, ids["old"], False),
        ids["post"]: ("post", True, None, ids["post"], False),
        ids["question"]: ("reply", False, ids["post"], ids["post"], False),
        ids["answer"]: ("reply", True, ids["question"], ids["post"], False),  # the agency
        ids["deeper"]: ("reply", False, ids["answer"], ids["post"], False),
        ids["deep4"]: ("reply", False, ids["deeper"], ids["post"], False),
        ids["deep5"]: ("reply", False, ids["deep4"], ids["post"], False),  # only the thread
        ids["spam"]: ("reply", False, ids["post"], ids["post"], False),
        ids["mention"]: ("mention", False, None, ids["mention"], True),
        ids["shop_reply"]: ("reply", True, ids["mention"], ids["mention"], False),
    }
    repost = items[repost_id]
    assert repost_id.startswith(f"at://{B_SHOP}/app.bsky.feed.repost/")
    assert (repost.is_own, repost.root_id, repost.created_at) == (True, repost_id,
                                                                  T0 + timedelta(hours=3))  # fmt: skip
    spam = items[ids["spam"]]
    assert (spam.removed_reason, spam.removed_at) == ("hidden", world.now)
    question = items[ids["question"]]
    assert (question.author_id, question.author_handle, question.text) == (
        B_ANNA, "anna.bsky.social", "Habt ihr heute offen?")  # fmt: skip
    assert question.created_at == T0 + timedelta(minutes=5)
    assert question.permalink == (
        f"https://bsky.app/profile/anna.bsky.social/post/{ids['question'].rsplit('/', 1)[1]}"
    )
    assert items[ids["post"]].like_count == 2 and items[ids["post"]].reply_count == 2
    assert stored_likes(engine) == {
        (ids["post"], B_ANNA, False),
        (ids["post"], B_SHOP, True),  # a self-like, from getLikes and from the own likes
        (ids["question"], B_SHOP, True),  # liked, not answered
    }
    with session_factory(engine)() as session:
        account = session.get(Account, account_id)
        assert (account.platform_account_id, account.display_name, account.credential_status) == (
            B_SHOP, "Bäckerei Huber", "ok")  # fmt: skip
        followers = [s.followers for s in session.scalars(select(FollowerSnapshot))]
        liked_at = session.scalar(select(Like.liked_at).where(Like.liker_id == B_ANNA))
    assert followers == [512] and liked_at == T0 + timedelta(minutes=6)
    cursors = stored_cursors(engine)
    rkey = ids["post"].rsplit("/", 1)[1]
    assert json.loads(cursors["feed"]) == {"since_id": (T0 + timedelta(hours=3)).isoformat()}
    assert json.loads(cursors["notifications"]) == {
        "since_id": (T0 + timedelta(hours=2)).isoformat()}  # fmt: skip
    assert json.loads(cursors["own likes"]) == {
        "since_id": (T0 + timedelta(hours=1, minutes=1)).isoformat()}  # fmt: skip
    assert json.loads(cursors[f"thread:{rkey}"]) == {"at": world.now.isoformat(), "replies": 2}
    mention_key = ids["mention"].rsplit("/", 1)[1]
    assert json.loads(cursors[f"thread:{mention_key}"]) == {"at": world.now.isoformat(),
                                                           "replies": 1}  # fmt: skip
    assert cursors[f"likers:{rkey}"] == "2"


def test_an_incremental_run_without_new_data_makes_the_minimum_number_of_calls(
    engine, server, scripted, settings, account_id
):
    world = scripted.world
    collect(engine, settings, account_id, world.now)
    server.reset_calls()
    world.advance(timedelta(minutes=10))
    quiet = collect(engine, settings, account_id, world.now)
    assert calls_by_route(server) == {"session": 1, "feed": 1, "notifications": 1,
                                      "own likes": 1}  # fmt: skip
    assert (quiet.outcome, quiet.api_calls, quiet.items_new, quiet.items_updated) == (
        "ok", 4, 0, 0)  # fmt: skip


def test_without_an_app_password_only_public_reads(engine, server, scripted, tmp_path):
    world, p = scripted.world, scripted.posts
    settings = _settings(server, tmp_path)
    with session_factory(engine).begin() as session:
        account_id = add_bluesky_account(session, reference=None).id
    first = collect(engine, settings, account_id, world.now, env={})
    assert first.outcome == "ok", first.error
    assert set(calls_by_route(server)) == {"profile", "feed", "thread", "likers"}
    items = stored_items(engine)
    assert p["deep5"].id in items and p["mention"].id not in items  # mentions need a login
    assert (p["question"].id, B_SHOP, True) not in stored_likes(engine)  # own likes need one too
    server.reset_calls()
    world.advance(timedelta(minutes=10))
    quiet = collect(engine, settings, account_id, world.now, env={})
    assert calls_by_route(server) == {"feed": 1} and quiet.api_calls == 1


def test_new_replies_at_any_depth_arrive_by_notification_and_by_thread_rereads(
    engine, server, scripted, settings, account_id
):
    world, p = scripted.world, scripted.posts
    collect(engine, settings, account_id, world.now)
    # Anna answers on level 2: she is notified, so the thread is read again at once, and
    # replies far below that notify nobody come along.
    level2 = world.post(B_ANNA, world.now + timedelta(minutes=1), "Und sonntags?",
                        reply_to=p["answer"].id)  # fmt: skip
    deep6 = world.post(B_ANNA, world.now + timedelta(minutes=2), "Sechs Ebenen tief",
                       reply_to=p["deep5"].id)  # fmt: skip
    server.reset_calls()
    world.advance(timedelta(minutes=10))
    summary = collect(engine, settings, account_id, world.now)
    assert calls_by_route(server) == {
        "session": 1, "feed": 1, "notifications": 1, "posts": 1, "thread": 1, "own likes": 1,
    }  # fmt: skip
    assert summary.items_new == 2
    items = stored_items(engine)
    assert (items[level2.id].root_id, items[deep6.id].root_id) == (p["post"].id, p["post"].id)
    assert items[deep6.id].parent_id == p["deep5"].id

    # Nothing notified: the schedule reads the thread again after a quarter of the age
    # the post had at the last read (a day and 20 minutes: after 6 h 5 min); the mention's
    # thread, read when the mention was 22 hours old, is due after 5 h 30 min.
    deep7 = world.post(B_BEN, world.now + timedelta(minutes=1), "Sieben", reply_to=deep6.id)
    server.reset_calls()
    world.advance(timedelta(hours=5))
    collect(engine, settings, account_id, world.now)
    assert "thread" not in calls_by_route(server)
    world.advance(timedelta(hours=1, minutes=10))
    collect(engine, settings, account_id, world.now)
    read = [call.query["uri"][0] for call in server.calls_to(ROUTES["thread"])]
    assert read == [p["post"].id, p["mention"].id]
    assert stored_items(engine)[deep7.id].root_id == p["post"].id


def test_an_agency_answer_to_a_mention_is_found_in_the_mentions_thread(
    engine, server, scripted, settings, account_id
):
    # Jana answers a customer who mentioned the shop, from her own profile: that notifies
    # nobody and is not in the shop's feed; only the mention's thread shows it.
    world = scripted.world
    asked = world.post(B_ANNA, world.now - timedelta(hours=3), f"@{B_HANDLE} Torten am Sonntag?",
                       mentions=[B_SHOP])  # fmt: skip
    answer = world.post(B_JANA, world.now - timedelta(hours=2), "Ja, auf Bestellung!",
                        reply_to=asked.id)  # fmt: skip
    collect(engine, settings, account_id, world.now)
    items = stored_items(engine)
    assert (items[answer.id].is_own, items[answer.id].parent_id, items[answer.id].root_id) == (
        True, asked.id, asked.id)  # fmt: skip
    # Deleted later: the next full view of the mention's thread marks it removed.
    answer.deleted_at = world.now + timedelta(minutes=1)
    world.advance(timedelta(days=1))
    collect(engine, settings, account_id, world.now)
    assert stored_items(engine)[answer.id].removed_reason == "deleted"


def test_replies_missing_from_a_full_thread_view_are_marked_removed(
    engine, server, scripted, settings, account_id
):
    world, p = scripted.world, scripted.posts
    collect(engine, settings, account_id, world.now)
    p["deep4"].deleted_at = world.now + timedelta(minutes=1)  # deep5 hangs below it
    world.advance(timedelta(hours=7))
    summary = collect(engine, settings, account_id, world.now)
    assert summary.items_removed == 2
    removed = {i for i, item in stored_items(engine).items() if item.removed_reason == "deleted"}
    assert removed == {p["deep4"].id, p["deep5"].id}

    # A thread answer with a node atproto cannot type marks nothing and says so.
    p["deeper"].deleted_at = world.now + timedelta(minutes=1)
    server.inject(ROUTES["thread"], status=200, body={"thread": {"post": "not a post"}})
    world.advance(timedelta(days=1))
    partial = collect(engine, settings, account_id, world.now)
    assert partial.outcome == "partial"
    assert partial.problems == (
        {"id": None, "endpoint": "GET app.bsky.feed.getPostThread",
         "problem": "a thread node of unknown type None"},
    )  # fmt: skip
    assert stored_items(engine)[p["deeper"].id].removed_at is None

    p["post"].deleted_at = world.now + timedelta(minutes=1)
    world.advance(timedelta(days=1))
    collect(engine, settings, account_id, world.now)
    items = stored_items(engine)
    assert items[p["post"].id].removed_reason == "deleted"
    assert all(items[p[name].id].removed_at is not None
               for name in ("question", "answer", "deeper", "spam"))  # fmt: skip


def _busy_world(posts: int) -> World:
    world = bluesky_world().world
    for minute in range(posts):
        world.post(B_SHOP, T0 - timedelta(days=20) + timedelta(minutes=minute), f"Angebot {minute}")
    return world


def test_a_429_keeps_what_it_has_records_where_it_stopped_and_resumes_there(
    engine, tmp_path, account_id
):
    world = _busy_world(250)
    with BlueskyServer(world) as server:
        settings = _settings(server, tmp_path)
        server.inject(ROUTES["feed"], status=429, reset_in=600, skip=1)
        limited = collect(engine, settings, account_id, world.now)
        assert limited.outcome == "rate_limited", limited.error
        assert "GET app.bsky.feed.getAuthorFeed" in limited.error
        assert len(stored_items(engine)) == 100  # the first page is kept
        stopped = json.loads(stored_cursors(engine)["feed"])
        assert "since_id" not in stopped and stopped["next_token"]
        reset = limited.resume_after
        assert reset is not None

        server.reset_calls()
        waiting = collect(engine, settings, account_id, reset - timedelta(seconds=30))
        assert (waiting.outcome, waiting.run_id, len(server.calls)) == ("rate_limited", None, 0)
        resumed = collect(engine, settings, account_id, reset + timedelta(seconds=1))
    assert resumed.outcome == "ok", resumed.error
    assert server.calls_to(ROUTES["feed"])[0].query["cursor"] == [stopped["next_token"]]
    own_posts = [i for i in stored_items(engine).values() if i.kind == "post"]
    assert len(own_posts) == 250 + 2
    assert json.loads(stored_cursors(engine)["feed"]) == {
        "since_id": (T0 + timedelta(hours=3)).isoformat()}  # fmt: skip


def test_malformed_answers_and_posts_are_recorded_and_the_rest_goes_on(
    engine, server, scripted, settings, account_id
):
    p = scripted.posts
    server.inject(ROUTES["notifications"], kind="malformed")
    feed = _real(server, "app.bsky.feed.getAuthorFeed", actor=B_SHOP, limit=100)
    broken = json.loads(json.dumps(feed["feed"][0]))
    del broken["post"]["cid"]
    server.inject(ROUTES["feed"], status=200, body={"feed": [broken, *feed["feed"][1:]],
                                                    "cursor": feed["cursor"]})  # fmt: skip
    partial = collect(engine, settings, account_id, scripted.world.now)
    assert partial.outcome == "partial"
    problems = {(pr["id"], pr["endpoint"], pr["problem"][:40]) for pr in partial.problems}
    assert problems == {
        (broken["post"]["uri"], "GET app.bsky.feed.getAuthorFeed",
         "a feed entry does not match the lexicon "),
        (None, "GET app.bsky.notification.listNotifications",
         "the response is not valid JSON; skipped "),
    }  # fmt: skip
    assert "notifications" not in stored_cursors(engine)
    items = stored_items(engine)
    assert p["mention"].id not in items  # only the notifications have it
    assert p["question"].id in items  # the thread read found it regardless
    again = collect(engine, settings, account_id, scripted.world.now + timedelta(minutes=5))
    assert again.outcome == "ok" and p["mention"].id in stored_items(engine)


def _real(server: BlueskyServer, nsid: str, **params) -> dict:
    import httpx

    answer = httpx.get(f"{server.url}/xrpc/{nsid}", params=params, timeout=5).json()
    server.reset_calls()
    return answer


def test_a_wrong_app_password_marks_the_account_and_is_never_shown(
    engine, server, scripted, settings, account_id, caplog
):
    with caplog.at_level(logging.DEBUG):
        refused = collect(engine, settings, account_id, scripted.world.now,
                          env={"HUBER_BLUESKY_APP_PASSWORD": "wxyz-wxyz-wxyz-wxyz"})  # fmt: skip
    assert refused.outcome == "credentials" and refused.failed
    assert refused.error == (
        "the platform refused the credentials at POST com.atproto.server.createSession: "
        "HTTP 401 AuthenticationRequired: Invalid identifier or password"
    )
    with session_factory(engine)() as session:
        assert session.get(Account, account_id).credential_status == "needs_renewal"
    assert collect(engine, settings, account_id, scripted.world.now).outcome == "ok"
    assert "wxyz-wxyz" not in caplog.text and BLUESKY_APP_PASSWORD not in caplog.text
    with engine.connect() as connection:
        for table in ("accounts", "collection_runs", "collection_cursors", "items", "likes"):
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                dumped = " ".join(str(value) for value in row)
                assert BLUESKY_APP_PASSWORD not in dumped and "wxyz-wxyz" not in dumped


def test_an_unknown_handle_fails_with_a_clear_message(engine, server, settings):
    with session_factory(engine).begin() as session:
        account = add_bluesky_account(session)
        account.handle = "nobody.bsky.social"
        account_id = account.id
    summary = collect(engine, settings, account_id, T0)
    assert summary.outcome == "failed"
    assert summary.error == (
        "Bluesky account nobody.bsky.social does not exist: "
        "HTTP 400 InvalidRequest: Profile not found"
    )
    assert len(server.calls) == 1


def test_new_likes_both_ways(engine, server, scripted, settings, account_id):
    world, p = scripted.world, scripted.posts
    collect(engine, settings, account_id, world.now)
    world.like(p["post"].id, B_JANA, world.now + timedelta(minutes=1))  # the agency
    world.like(p["deep5"].id, B_SHOP, world.now + timedelta(minutes=2))
    unstored = world.post(B_BEN, world.now + timedelta(minutes=1), f"@{B_HANDLE} Brot?",
                          mentions=[B_SHOP])  # fmt: skip
    world.like(unstored.id, B_SHOP, world.now + timedelta(minutes=3))
    # The notifications cannot be read this time: the liked mention is stored from the
    # account's likes, because it is addressed to the account.
    server.inject(ROUTES["notifications"], kind="malformed")
    server.reset_calls()
    world.advance(timedelta(minutes=10))
    summary = collect(engine, settings, account_id, world.now)
    assert summary.outcome == "partial"
    assert calls_by_route(server) == {
        "session": 1, "feed": 1, "notifications": 1, "own likes": 1, "likers": 2,
    }  # fmt: skip
    likes = stored_likes(engine)
    assert (p["deep5"].id, B_SHOP, True) in likes
    assert (p["post"].id, B_JANA, True) in likes  # an identity's like is an own like
    assert (unstored.id, B_SHOP, True) in likes
    assert len(likes) == 6
    mention = stored_items(engine)[unstored.id]
    assert (mention.kind, mention.mentions_account, mention.is_own) == ("mention", True, False)


def test_like_record_keys_carry_their_time():
    at = T0 + timedelta(hours=5, microseconds=123456)
    assert tid_time(record_key(at, "x")) == at
    assert tid_time("not-a-tid") is None


def test_the_rate_limit_headers_are_honoured_before_a_429(engine, scripted, tmp_path, account_id):
    """The AppView announces a budget of 2 calls (not enforced): the collector sends no
    third call to it, stops with the announced reset, and resumes after it."""
    with BlueskyServer(scripted.world, rate_limit=2) as server:
        settings = _settings(server, tmp_path)
        limited = collect(engine, settings, account_id, scripted.world.now)
        assert limited.outcome == "rate_limited", limited.error
        assert all(call.status == 200 for call in server.calls)
        # getProfile and the first feed page spend the budget; the login has its own.
        assert calls_by_route(server) == {"profile": 1, "session": 1, "feed": 1}
        assert "the rate budget is used up" in limited.error
        reset = limited.resume_after
        assert reset is not None
    with BlueskyServer(scripted.world) as server:
        settings = _settings(server, tmp_path)
        resumed = collect(engine, settings, account_id, reset + timedelta(seconds=1))
    assert resumed.outcome == "ok", resumed.error
    assert len(stored_items(engine)) == 11


def test_a_dropped_connection_is_retried_and_a_host_that_never_answers_fails_the_run(
    engine, server, settings, account_id, scripted
):
    # One dropped connection (the server closes it without an answer): retried, no loss.
    server.inject(ROUTES["feed"], kind="drop", times=1)
    first = collect(engine, settings, account_id, scripted.world.now)
    assert first.outcome == "ok", first.error
    feed = server.calls_to(ROUTES["feed"])
    assert feed[0].status == 0 and feed[1].status == 200  # dropped, then asked again
    assert feed[1].query == feed[0].query
    stored = len(stored_items(engine))
    assert stored > 0

    # Every feed request dropped: the run fails naming the host, and keeps what it has.
    server.reset_calls()
    server.inject(ROUTES["feed"], kind="drop", times=-1)
    second = collect(engine, settings, account_id, scripted.world.now + timedelta(hours=1))
    assert second.outcome == "failed"
    host = server.url.removeprefix("http://")
    assert second.error == (
        f"GET app.bsky.feed.getAuthorFeed: {host} closed the connection without answering; "
        f"gave up after {fast_retry().max_retries + 1} attempts"
    )
    assert second.unreachable == server.url
    feed = server.calls_to(ROUTES["feed"])
    assert [call.status for call in feed] == [0] * (fast_retry().max_retries + 1)
    assert len(stored_items(engine)) == stored
