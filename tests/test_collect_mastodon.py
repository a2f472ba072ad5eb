"""Collecting Mastodon accounts through the unpatched Mastodon.py from the simulated instance,
into SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from replywatch.collecting import collect_account
from sandbox.mastodon_api import MastodonServer
from sandbox.world import Actor
from storage.engine import session_factory
from storage.models import Account, CollectionRun, FollowerSnapshot
from tests.support.platforms import (
    M_ANNA,
    M_BEN,
    M_JANA,
    M_SHOP,
    MASTODON_DOMAIN,
    MASTODON_TOKEN,
    T0,
    add_mastodon_account,
    fast_retry,
    mastodon_world,
    settings_for,
)
from tests.support.stored import stored_cursors, stored_items, stored_likes

ENV = {"HUBER_MASTODON_TOKEN": MASTODON_TOKEN}
ROUTES = {
    "lookup": r"^/api/v1/accounts/lookup$",
    "statuses": r"^/api/v1/accounts/\d+/statuses$",
    "mentions": r"^/api/v1/notifications$",
    "context": r"^/api/v1/statuses/\d+/context$",
    "favourites": r"^/api/v1/favourites$",
    "likers": r"^/api/v1/statuses/\d+/favourited_by$",
    "account": r"^/api/v1/accounts/\d+$",
}


def calls_by_route(server: MastodonServer) -> dict[str, int]:
    counts = {name: len(server.calls_to(pattern)) for name, pattern in ROUTES.items()}
    return {name: count for name, count in counts.items() if count}


@pytest.fixture
def scripted():
    return mastodon_world()


@pytest.fixture
def server(scripted):
    with MastodonServer(scripted.world, domain=MASTODON_DOMAIN) as running:
        yield running


@pytest.fixture
def settings(server, tmp_path):
    return settings_for(tmp_path, REPLYWATCH_MASTODON_API_URL=server.url)


@pytest.fixture
def account_id(engine):
    with session_factory(engine).begin() as session:
        return add_mastodon_account(session).id


def collect(engine, settings, account_id, now, env=ENV, retry=None):
    return collect_account(engine, settings, account_id, now=now, env=env,
                           retry=retry or fast_retry())  # fmt: skip


def test_first_run_stores_statuses_mentions_threads_likes_favourites_and_followers(
    engine, server, scripted, settings, account_id
):
    now = scripted.world.now
    summary = collect(engine, settings, account_id, now)
    assert summary.outcome == "ok", summary.error
    # lookup; one page each of statuses, mentions and favourites; the context of the one
    # own post in the thread window; the context of the mention deep in Anna's thread (its
    # root is not stored); the likers of the post.
    assert calls_by_route(server) == {
        "lookup": 1, "statuses": 1, "mentions": 1, "context": 2, "favourites": 1, "likers": 1,
    }  # fmt: skip
    assert summary.api_calls == 7 and summary.items_new == 9
    p = {name: post.id for name, post in scripted.posts.items()}
    items = stored_items(engine)
    shape = {
        item_id: (i.kind, i.is_own, i.parent_id, i.root_id, i.mentions_account)
        for item_id, i in items.items()
    }
    assert shape == {
        p["old"]: ("post", True, None, p["old"], False),
        p["post"]: ("post", True, None, p["post"], False),
        p["question"]: ("reply", False, p["post"], p["post"], True),
        p["answer"]: ("reply", True, p["question"], p["post"], False),  # agency identity
        p["deeper"]: ("reply", False, p["answer"], p["post"], False),  # only the thread has it
        p["foreign_mention"]: ("reply", False, p["foreign_reply"], p["foreign_root"], True),
        p["mention"]: ("mention", False, None, p["mention"], True),
        p["shop_reply"]: ("reply", True, p["mention"], p["mention"], False),
        p["boost"]: ("repost", True, None, p["boost"], False),
    }
    question = items[p["question"]]
    assert (question.author_id, question.author_handle) == (M_ANNA, f"anna@{MASTODON_DOMAIN}")
    assert question.text == "@baeckerei Habt ihr heute offen?"
    assert question.created_at == T0 + timedelta(minutes=5)
    assert question.permalink == f"{server.url}/@anna/{p['question']}"
    assert items[p["deeper"]].author_handle == "ben@other.social"
    assert items[p["answer"]].author_handle == "jana@agentur.example"
    assert items[p["boost"]].text == "Beste Brezen bei @baeckerei"
    assert items[p["post"]].like_count == 2
    assert stored_likes(engine) == {
        (p["post"], M_ANNA, False),
        (p["post"], M_SHOP, True),  # a self-like
        (p["question"], M_SHOP, True),  # the shop liked the question (favourites)
    }
    with session_factory(engine)() as session:
        account = session.get(Account, account_id)
        assert (account.platform_account_id, account.display_name, account.credential_status) == (
            M_SHOP, "Bäckerei Huber", "ok")  # fmt: skip
        followers = [s.followers for s in session.scalars(select(FollowerSnapshot))]
        run = session.scalars(select(CollectionRun)).one()
    assert followers == [321]
    assert (run.outcome, run.api_calls, run.items_new, run.problems) == ("ok", 7, 9, [])
    cursors = stored_cursors(engine)
    assert json.loads(cursors["statuses"]) == {"since_id": p["boost"]}
    assert json.loads(cursors["mentions"])["since_id"].isdigit()
    assert json.loads(cursors["favourites"])["since_id"].isdigit()
    assert json.loads(cursors[f"thread:{p['post']}"]) == {"at": now.isoformat(), "replies": 1}
    assert cursors[f"likers:{p['post']}"] == "2"
    assert set(cursors) == {"statuses", "mentions", "favourites", f"thread:{p['post']}",
                            f"likers:{p['post']}"}  # fmt: skip


def test_an_incremental_run_without_new_data_makes_the_minimum_number_of_calls(
    engine, server, scripted, settings, account_id
):
    world = scripted.world
    collect(engine, settings, account_id, world.now)
    server.reset_calls()
    world.advance(timedelta(minutes=10))
    quiet = collect(engine, settings, account_id, world.now)
    assert calls_by_route(server) == {"statuses": 1, "mentions": 1, "favourites": 1}
    assert (quiet.outcome, quiet.api_calls, quiet.items_new, quiet.items_updated) == (
        "ok", 3, 0, 0)  # fmt: skip
    mentions = server.calls_to(ROUTES["mentions"])[0].query
    assert mentions["since_id"] == [json.loads(stored_cursors(engine)["mentions"])["since_id"]]
    assert "since_id" not in server.calls_to(ROUTES["statuses"])[0].query  # the newest page
    assert "min_id" in server.calls_to(ROUTES["favourites"])[0].query


def test_new_replies_reach_the_store_by_notification_and_by_thread_rereads(
    engine, server, scripted, settings, account_id
):
    world, p = scripted.world, scripted.posts
    collect(engine, settings, account_id, world.now)
    # A reply to the shop's answer inside the post's thread notifies the shop: the thread
    # is read again in the same run (a reply without mention below it comes along).
    follow_up = world.post(M_ANNA, world.now + timedelta(minutes=1), "Super, danke!",
                           reply_to=p["shop_reply"].id)  # fmt: skip
    in_thread = world.post(M_ANNA, world.now + timedelta(minutes=2), "@baeckerei und sonntags?",
                           reply_to=p["deeper"].id, mentions=[M_SHOP])  # fmt: skip
    quiet_reply = world.post(M_BEN, world.now + timedelta(minutes=3), "Sonntags zu.",
                             reply_to=in_thread.id)  # fmt: skip
    server.reset_calls()
    world.advance(timedelta(minutes=10))
    summary = collect(engine, settings, account_id, world.now)
    assert calls_by_route(server) == {
        "statuses": 1, "mentions": 1, "favourites": 1, "context": 1,
    }  # fmt: skip
    assert summary.items_new == 3
    items = stored_items(engine)
    assert (items[follow_up.id].root_id, items[in_thread.id].root_id) == (
        p["mention"].id, p["post"].id)  # fmt: skip
    assert items[quiet_reply.id].root_id == p["post"].id
    assert server.calls_to(ROUTES["context"])[0].path.endswith(f"/{p['post'].id}/context")

    # Without news, the schedule re-reads the thread after a quarter of the age the post had
    # at the last read (a day and 20 minutes: after 6 h 5 min).
    silent = world.post(M_BEN, world.now + timedelta(minutes=1), "Schade.",
                        reply_to=quiet_reply.id)  # fmt: skip
    server.reset_calls()
    world.advance(timedelta(hours=5))
    collect(engine, settings, account_id, world.now)
    assert "context" not in calls_by_route(server)
    world.advance(timedelta(hours=1, minutes=10))
    collect(engine, settings, account_id, world.now)
    assert len(server.calls_to(ROUTES["context"])) == 1
    assert stored_items(engine)[silent.id].root_id == p["post"].id


def test_a_reply_missing_from_a_full_thread_view_is_marked_removed(
    engine, server, scripted, settings, account_id
):
    world, p = scripted.world, scripted.posts
    collect(engine, settings, account_id, world.now)
    p["deeper"].deleted_at = world.now + timedelta(minutes=1)
    world.advance(timedelta(hours=7))
    summary = collect(engine, settings, account_id, world.now)
    assert summary.items_removed == 1
    items = stored_items(engine)
    assert (items[p["deeper"].id].removed_reason, items[p["deeper"].id].removed_at) == (
        "deleted", world.now)  # fmt: skip
    assert items[p["question"].id].removed_at is None and len(items) == 9  # never deleted

    # The post itself deleted: its thread goes with it.
    p["post"].deleted_at = world.now + timedelta(minutes=1)
    world.advance(timedelta(days=1))
    collect(engine, settings, account_id, world.now)
    items = stored_items(engine)
    assert {i for i, item in items.items() if item.removed_at is not None} == {
        p["post"].id, p["question"].id, p["answer"].id, p["deeper"].id,
    }  # fmt: skip
    assert f"thread:{p['post'].id}" not in stored_cursors(engine)


def test_without_a_token_public_reads_only_and_cut_contexts_mark_nothing(
    engine, server, scripted, tmp_path
):
    world, p = scripted.world, scripted.posts
    settings = settings_for(tmp_path, REPLYWATCH_MASTODON_API_URL=server.url)
    with session_factory(engine).begin() as session:
        account_id = add_mastodon_account(session, reference=None).id
    for number in range(70):  # more replies than Mastodon shows without a token
        world.post(M_BEN if number % 2 else M_ANNA, T0 + timedelta(hours=4, minutes=number),
                   f"Ich auch {number}", reply_to=p["post"].id)  # fmt: skip
    summary = collect(engine, settings, account_id, world.now, env={})
    assert summary.outcome == "ok", summary.error
    routes = calls_by_route(server)
    assert "mentions" not in routes and "favourites" not in routes
    assert all(not call.query for call in server.calls_to(ROUTES["context"]))
    items = stored_items(engine)
    thread = [i for i in items.values() if i.root_id == p["post"].id and i.kind == "reply"]
    assert len(thread) == 60  # what Mastodon shows anonymously
    assert p["mention"].id not in items  # mentions need a token
    (p["question"]).deleted_at = world.now
    world.advance(timedelta(hours=7))
    collect(engine, settings, account_id, world.now, env={})
    assert all(
        i.removed_at is None for i in stored_items(engine).values()
    )  # a cut view marks nothing
    server.reset_calls()
    world.advance(timedelta(minutes=5))
    quiet = collect(engine, settings, account_id, world.now, env={})
    assert calls_by_route(server) == {"statuses": 1} and quiet.api_calls == 1


def _busy_world(statuses: int):
    scripted = mastodon_world()
    world = scripted.world
    for minute in range(statuses):
        world.post(M_SHOP, T0 - timedelta(days=20) + timedelta(minutes=minute), f"Angebot {minute}")
    return world


def test_a_429_keeps_what_it_has_records_where_it_stopped_and_resumes_there(
    engine, tmp_path, account_id
):
    world = _busy_world(100)
    with MastodonServer(world, domain=MASTODON_DOMAIN) as server:
        settings = settings_for(tmp_path, REPLYWATCH_MASTODON_API_URL=server.url)
        server.inject(ROUTES["statuses"], status=429, reset_in=600, skip=1)
        limited = collect(engine, settings, account_id, world.now)
        assert limited.outcome == "rate_limited", limited.error
        assert "GET /api/v1/accounts/:id/statuses" in limited.error
        assert "resumes after" in limited.error
        assert len(stored_items(engine)) == 40  # the first page is kept
        stopped = json.loads(stored_cursors(engine)["statuses"])
        assert "since_id" not in stopped and stopped["next_token"]
        reset = limited.resume_after
        assert reset is not None

        server.reset_calls()
        waiting = collect(engine, settings, account_id, reset - timedelta(seconds=30))
        assert (waiting.outcome, waiting.run_id, len(server.calls)) == ("rate_limited", None, 0)

        resumed = collect(engine, settings, account_id, reset + timedelta(seconds=1))
    assert resumed.outcome == "ok", resumed.error
    first = server.calls_to(ROUTES["statuses"])[0]
    assert first.query["max_id"] == [stopped["next_token"]]
    own = [i for i in stored_items(engine).values() if i.author_id == M_SHOP]
    assert len(own) == 100 + 4  # the busy statuses and the shop's own four
    newest = max(int(p.id) for p in world.by_author(M_SHOP))
    assert json.loads(stored_cursors(engine)["statuses"]) == {"since_id": str(newest)}


def test_transient_faults_are_retried_and_the_spent_budget_is_not_called(
    engine, server, scripted, settings, account_id
):
    server.inject(ROUTES["mentions"], status=503, times=2)
    server.inject(ROUTES["favourites"], kind="drop")
    survived = collect(engine, settings, account_id, scripted.world.now)
    assert survived.outcome == "ok", survived.error
    assert [c.status for c in server.calls_to(ROUTES["mentions"])] == [503, 503, 200]
    assert survived.api_calls == 7 + 2 + 1 and len(stored_items(engine)) == 9


def test_malformed_answers_and_statuses_are_recorded_and_the_rest_goes_on(
    engine, server, scripted, settings, account_id
):
    p = scripted.posts
    server.inject(ROUTES["mentions"], kind="malformed")
    broken = {"id": "113500000000000001", "content": "<p>kaputt</p>",
              "account": {"id": M_BEN, "acct": "ben@other.social"}}  # fmt: skip
    status_page = _real_page(server, f"/api/v1/accounts/{M_SHOP}/statuses?limit=40")
    server.inject(ROUTES["statuses"], status=200, body=[broken, *status_page])
    partial = collect(engine, settings, account_id, scripted.world.now)
    assert partial.outcome == "partial"
    problems = {(pr["id"], pr["endpoint"], pr["problem"]) for pr in partial.problems}
    assert problems == {
        ("113500000000000001", "GET /api/v1/accounts/:id/statuses", "created_at is missing"),
        (None, "GET /api/v1/notifications",
         "the response is not valid JSON; skipped mastodon > mentions"),
    }  # fmt: skip
    assert "mentions" not in stored_cursors(engine)
    items = stored_items(engine)
    assert p["mention"].id not in items and "113500000000000001" not in items
    assert p["question"].id in items  # the thread read found it regardless
    with session_factory(engine)() as session:
        assert session.scalars(select(CollectionRun)).one().problems == list(partial.problems)
    again = collect(engine, settings, account_id, scripted.world.now + timedelta(minutes=5))
    assert again.outcome == "ok" and p["mention"].id in stored_items(engine)


def _real_page(server: MastodonServer, path: str) -> list:
    import requests

    answer = requests.get(f"{server.url}{path}", timeout=5)
    server.reset_calls()
    return answer.json()


def test_refused_token_marks_the_account_and_never_shows_the_token(
    engine, server, scripted, settings, account_id, caplog
):
    with caplog.at_level(logging.DEBUG):
        refused = collect(engine, settings, account_id, scripted.world.now,
                          env={"HUBER_MASTODON_TOKEN": "revoked-token-9876543210"})  # fmt: skip
    assert refused.outcome == "credentials" and refused.failed
    assert refused.error == (
        "the platform refused the credentials at GET /api/v1/accounts/lookup: "
        "HTTP 401 Unauthorized: The access token is invalid"
    )
    with session_factory(engine)() as session:
        account = session.get(Account, account_id)
        assert account.credential_status == "needs_renewal"
        assert account.credential_error == "HTTP 401 Unauthorized: The access token is invalid"
    renewed = collect(engine, settings, account_id, scripted.world.now + timedelta(minutes=1))
    assert renewed.outcome == "ok"
    assert "revoked-token" not in caplog.text and MASTODON_TOKEN not in caplog.text
    with engine.connect() as connection:
        for table in ("accounts", "collection_runs", "collection_cursors", "items", "likes"):
            for row in connection.execute(text(f"SELECT * FROM {table}")):
                dumped = " ".join(str(value) for value in row)
                assert MASTODON_TOKEN not in dumped and "revoked-token" not in dumped


def test_an_unknown_handle_fails_with_a_clear_message(engine, server, settings):
    with session_factory(engine).begin() as session:
        account = add_mastodon_account(session)
        account.handle = f"@nobody@{MASTODON_DOMAIN}"
        account_id = account.id
    summary = collect(engine, settings, account_id, T0)
    assert summary.outcome == "failed"
    assert summary.error == (
        f"Mastodon account @nobody@{MASTODON_DOMAIN} does not exist on {server.url}: "
        "HTTP 404 Not Found: Record not found"
    )
    assert len(server.calls) == 1


def test_the_instance_comes_from_the_handle_when_no_api_url_is_set(engine, tmp_path):
    """With no base URL setting the collector goes to https://<instance>: a handle on an
    instance that does not resolve fails as a network fault, naming the lookup and the host
    that did not answer (the one ``replywatch collect`` then skips for this collect)."""
    settings = settings_for(tmp_path)
    with session_factory(engine).begin() as session:
        account = add_mastodon_account(session)
        account.handle = "@baeckerei@replywatch-test.invalid"
        account_id = account.id
    summary = collect(engine, settings, account_id, T0, retry=fast_retry(0))
    assert summary.outcome == "failed"
    assert summary.error == (
        "GET /api/v1/accounts/lookup: replywatch-test.invalid did not answer: its name does "
        "not resolve; gave up after 1 attempts"
    )
    assert summary.unreachable == "https://replywatch-test.invalid:443"


def test_followers_are_read_once_a_day(engine, server, scripted, settings, account_id):
    world = scripted.world
    collect(engine, settings, account_id, world.now)
    world.actors[M_SHOP].followers = 400
    world.advance(timedelta(hours=25))
    server.reset_calls()
    collect(engine, settings, account_id, world.now)
    assert len(server.calls_to(ROUTES["account"])) == 1
    with session_factory(engine)() as session:
        followers = [s.followers for s in session.scalars(
            select(FollowerSnapshot).order_by(FollowerSnapshot.taken_at))]  # fmt: skip
    assert followers == [321, 400]


def test_new_favourites_both_ways(engine, server, scripted, settings, account_id):
    world, p = scripted.world, scripted.posts
    collect(engine, settings, account_id, world.now)
    world.add_actor(Actor("109000000000000009", "carla"))
    world.like(p["post"].id, "109000000000000009", world.now + timedelta(minutes=1))
    world.like(p["deeper"].id, M_SHOP, world.now + timedelta(minutes=2))  # liked, not answered
    world.like(p["mention"].id, M_JANA, world.now + timedelta(minutes=3))  # not the account's
    unstored = world.post(M_BEN, world.now + timedelta(minutes=1), "@baeckerei Brot?",
                          mentions=[M_SHOP])  # fmt: skip
    world.like(unstored.id, M_SHOP, world.now + timedelta(minutes=4))
    # The mention notifications cannot be read this time: the liked mention is stored from
    # the favourites list, because it is addressed to the account.
    server.inject(ROUTES["mentions"], kind="malformed")
    server.reset_calls()
    world.advance(timedelta(minutes=10))
    summary = collect(engine, settings, account_id, world.now)
    assert summary.outcome == "partial"
    assert calls_by_route(server) == {
        "statuses": 1, "mentions": 1, "favourites": 1, "likers": 1,
    }  # fmt: skip
    likes = stored_likes(engine)
    assert (p["deeper"].id, M_SHOP, True) in likes
    assert (unstored.id, M_SHOP, True) in likes
    assert (p["post"].id, "109000000000000009", False) in likes
    assert len(likes) == 6
    assert stored_cursors(engine)[f"likers:{p['post'].id}"] == "3"
    mention = stored_items(engine)[unstored.id]
    assert (mention.kind, mention.mentions_account, mention.is_own) == ("mention", True, False)


def test_the_rate_limit_headers_are_honoured_before_a_429(engine, scripted, tmp_path, account_id):
    """The instance announces a budget of 3 calls (not enforced): the collector sends no
    fourth call at all, stops with the announced reset, and resumes after it."""
    with MastodonServer(scripted.world, domain=MASTODON_DOMAIN, rate_limit=3) as server:
        settings = settings_for(tmp_path, REPLYWATCH_MASTODON_API_URL=server.url)
        limited = collect(engine, settings, account_id, scripted.world.now)
        assert limited.outcome == "rate_limited", limited.error
        assert len(server.calls) == 3 and all(call.status == 200 for call in server.calls)
        assert "the budget of 3 calls is used up" in limited.error
        # lookup, statuses and mentions spent it: the first thread is not asked for
        assert limited.error.startswith("rate limited at GET /api/v1/statuses/:id/context")
        reset = limited.resume_after
        assert reset is not None
    with MastodonServer(scripted.world, domain=MASTODON_DOMAIN) as server:
        settings = settings_for(tmp_path, REPLYWATCH_MASTODON_API_URL=server.url)
        resumed = collect(engine, settings, account_id, reset + timedelta(seconds=1))
    assert resumed.outcome == "ok", resumed.error
    assert len(stored_items(engine)) == 9


def test_a_changed_reply_count_makes_a_thread_due_without_notifications(
    engine, server, scripted, tmp_path
):
    world, p = scripted.world, scripted.posts
    settings = settings_for(tmp_path, REPLYWATCH_MASTODON_API_URL=server.url)
    with session_factory(engine).begin() as session:
        account_id = add_mastodon_account(session, reference=None).id
    collect(engine, settings, account_id, world.now, env={})
    direct = world.post(M_BEN, world.now + timedelta(minutes=1), "Und Laugenstangen?",
                        reply_to=p["post"].id)  # fmt: skip
    server.reset_calls()
    world.advance(timedelta(minutes=10))
    summary = collect(engine, settings, account_id, world.now, env={})
    # The newest statuses page shows the post with one reply more: its thread is read.
    assert calls_by_route(server) == {"statuses": 1, "context": 1}
    assert summary.items_new == 1 and stored_items(engine)[direct.id].root_id == p["post"].id
    assert json.loads(stored_cursors(engine)[f"thread:{p['post'].id}"])["replies"] == 2


@pytest.mark.parametrize(
    "damage",
    [
        {"X-RateLimit-Reset": "in a minute"},  # not a time
        {"X-RateLimit-Reset": ""},  # a proxy that blanks it
        {"Date": "sometime on Tuesday"},  # makes Mastodon.py's clock adjustment fail
        {"X-RateLimit-Limit": None, "X-RateLimit-Remaining": None, "X-RateLimit-Reset": None},
    ],
    ids=["bad-reset", "blank-reset", "bad-date", "missing"],
)
def test_a_200_with_unusable_rate_limit_headers_is_data(
    engine, server, scripted, settings, account_id, caplog, damage
):
    """Issue 14.5: Mastodon.py raises MastodonRatelimitError on a normal 200 when Date or
    X-RateLimit-Reset cannot be parsed; replywatch reported "HTTP 429", dropped the page and
    ended the run. The answer is used, the bad header is logged once."""
    server.inject(r"^/api/v1/", kind="headers", headers=damage, times=-1)
    with caplog.at_level(logging.WARNING, logger="collectors.mastodon.client"):
        summary = collect(engine, settings, account_id, scripted.world.now)
    assert summary.outcome == "ok", summary.error
    assert len(stored_items(engine)) == 9  # as without the damage
    assert scripted.posts["mention"].id in stored_items(engine)  # mentions were read
    warnings = [r.getMessage() for r in caplog.records if "rate-limit" in r.getMessage()]
    if "X-RateLimit-Limit" in damage:
        assert warnings == []  # nothing unusable: an instance may send no budget at all
    else:
        assert len(warnings) == 1, warnings  # once per run, not once per call
        assert next(iter(damage)) in warnings[0] and server.url in warnings[0]


def test_without_a_usable_reset_the_calls_are_counted_against_the_announced_budget(
    engine, scripted, tmp_path, account_id
):
    """The instance announces 3 calls but no usable reset: replywatch counts its own calls
    and stops before a fourth, instead of running into the 429."""
    with MastodonServer(scripted.world, domain=MASTODON_DOMAIN, rate_limit=3) as server:
        server.inject(r"^/api/v1/", kind="headers", headers={"X-RateLimit-Reset": "soon"},
                      times=-1)  # fmt: skip
        settings = settings_for(tmp_path, REPLYWATCH_MASTODON_API_URL=server.url)
        limited = collect(engine, settings, account_id, scripted.world.now)
        assert limited.outcome == "rate_limited", limited.error
        assert len(server.calls) == 3 and all(call.status == 200 for call in server.calls)
        assert "3 calls counted in 5 minutes" in limited.error
        assert limited.resume_after is not None
