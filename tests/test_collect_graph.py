"""Collecting Facebook Pages and Instagram over real HTTP from the simulated Graph API."""

from __future__ import annotations

import threading
from datetime import timedelta

import facebook
import pytest
from sqlalchemy import select

from replywatch.collecting import collect_account
from sandbox.graph_api import GraphApiServer, GraphError
from sandbox.world import Actor, World
from storage.engine import session_factory
from storage.models import Account, Client, FollowerSnapshot, Item, Like
from tests.support.platforms import (
    PAGE_TOKEN,
    T0,
    add_graph_accounts,
    fast_retry,
    graph_worlds,
    settings_for,
)
from tests.support.stored import stored_items

ENV = {"HUBER_PAGE_TOKEN": PAGE_TOKEN}


@pytest.fixture
def scripted():
    return graph_worlds()


@pytest.fixture
def server(scripted):
    with GraphApiServer(facebook=scripted.facebook, instagram=scripted.instagram) as running:
        yield running


@pytest.fixture
def settings(server, tmp_path):
    return settings_for(tmp_path, REPLYWATCH_GRAPH_API_URL=server.url)


@pytest.fixture
def accounts(engine):
    with session_factory(engine).begin() as session:
        return add_graph_accounts(session)


def collect(engine, settings, account_id, now, env=ENV):
    return collect_account(engine, settings, account_id, now=now, env=env, retry=fast_retry())


def _paths(server) -> list[str]:
    return [call.path for call in server.calls]


def test_first_run_of_a_page_and_its_instagram_account(engine, server, scripted, settings,
                                                       accounts):  # fmt: skip
    facebook_id, instagram_id = accounts
    now = scripted.facebook.now
    page = collect(engine, settings, facebook_id, now)
    assert page.outcome == "ok", page.error
    # The window with its comments, then the older posts' summaries (none that old here).
    assert _paths(server) == ["/v24.0/baeckerei.huber", "/v24.0/555/feed", "/v24.0/555/feed"]
    server.reset_calls()
    insta = collect(engine, settings, instagram_id, now)
    assert insta.outcome == "ok", insta.error
    assert _paths(server) == ["/v24.0/me", "/v24.0/17841400000000001/media",
                              "/v24.0/17841400000000001/media",
                              "/v24.0/17841400000000001"]  # fmt: skip
    p = {name: post.id for name, post in scripted.posts.items()}
    items = stored_items(engine)
    shape = {i: (it.platform, it.kind, it.is_own, it.parent_id, it.root_id, it.removed_reason)
             for i, it in items.items()}  # fmt: skip
    assert shape == {
        p["old"]: ("facebook", "post", True, None, p["old"], None),
        p["post"]: ("facebook", "post", True, None, p["post"], None),
        p["question"]: ("facebook", "comment", False, p["post"], p["post"], None),
        p["answer"]: ("facebook", "comment", True, p["question"], p["post"], None),
        p["thanks"]: ("facebook", "comment", False, p["question"], p["post"], None),
        p["complaint"]: ("facebook", "comment", False, p["post"], p["post"], "hidden"),
        p["visitor"]: ("facebook", "visitor_post", False, None, p["visitor"], None),
        p["visitor_answer"]: ("facebook", "comment", True, p["visitor"], p["visitor"], None),
        p["media"]: ("instagram", "post", True, None, p["media"], None),
        p["ig_comment"]: ("instagram", "comment", False, p["media"], p["media"], None),
        p["ig_answer"]: ("instagram", "comment", True, p["ig_comment"], p["media"], None),
        p["ig_followup"]: ("instagram", "comment", False, p["ig_comment"], p["media"], None),
    }
    post = items[p["post"]]
    assert (post.like_count, post.reply_count, post.author_handle) == (2, 4, "Bäckerei Huber")
    assert post.permalink.startswith("https://www.facebook.com/555/posts/")
    question = items[p["question"]]
    assert (question.author_id, question.author_handle, question.text) == (
        "9001", "Anna K", "Habt ihr offen?")  # fmt: skip
    assert question.created_at == T0 + timedelta(minutes=5)
    media = items[p["media"]]
    assert (media.like_count, media.reply_count, media.author_handle) == (11, 3, "baeckerei_huber")
    assert items[p["ig_comment"]].author_handle == "kunde_karl"
    with session_factory(engine)() as session:
        ids = {a.platform: a.platform_account_id for a in session.scalars(select(Account))}
        followers = {s.account_id: s.followers for s in session.scalars(select(FollowerSnapshot))}
    assert ids == {"facebook": "555", "instagram": "17841400000000001"}
    assert followers == {facebook_id: 310, instagram_id: 1200}


def test_quiet_runs_cost_two_calls_and_reread_only_the_thread_window(
    engine, server, scripted, settings, accounts
):
    facebook_id, instagram_id = accounts
    now = scripted.facebook.now
    collect(engine, settings, facebook_id, now)
    collect(engine, settings, instagram_id, now)
    server.reset_calls()
    later = now + timedelta(minutes=30)
    quiet = [collect(engine, settings, account, later) for account in accounts]
    assert [(s.outcome, s.api_calls, s.items_new, s.items_updated) for s in quiet] == [
        ("ok", 2, 0, 0), ("ok", 2, 0, 0)]  # fmt: skip
    assert _paths(server) == ["/v24.0/555/feed", "/v24.0/555/feed",
                              "/v24.0/17841400000000001/media",
                              "/v24.0/17841400000000001/media"]  # fmt: skip
    window, older = server.calls[0].query, server.calls[1].query
    since = int(window["since"][0])
    assert since == int((later - timedelta(days=14)).timestamp())
    # The older posts: summaries only, from a year back up to where the window starts.
    assert older["fields"] == ["id,created_time,updated_time,from{id},"
                               "comments.filter(stream).summary(true).limit(0)"]  # fmt: skip
    assert int(older["until"][0]) == since
    assert int(older["since"][0]) == int((later - timedelta(days=365)).timestamp())
    # The 30-day-old post is outside the window: listed, unchanged, not re-read, and not
    # taken for removed.
    assert stored_items(engine)[scripted.posts["old"].id].removed_at is None


def test_a_full_view_marks_deleted_comments_and_posts_removed_and_unhidden_ones_back(
    engine, server, scripted, settings, accounts
):
    facebook_id, _ = accounts
    world = scripted.facebook
    collect(engine, settings, facebook_id, world.now)
    later = world.advance(timedelta(hours=1))
    scripted.posts["thanks"].deleted_at = later
    scripted.posts["complaint"].hidden_at = None
    scripted.posts["visitor"].deleted_at = later
    summary = collect(engine, settings, facebook_id, later)
    assert summary.outcome == "ok" and summary.items_removed == 3
    items = stored_items(engine)
    removed = {i: (it.removed_reason, it.removed_at) for i, it in items.items() if it.removed_at}
    p = scripted.posts
    assert removed == {
        p["thanks"].id: ("deleted", later),
        p["visitor"].id: ("deleted", later),
        p["visitor_answer"].id: ("deleted", later),
    }
    assert len(items) == 8  # the Page only: removed, never deleted from storage


def _long_thread(world: World, comments: int) -> list[str]:
    post = world.post("555", T0 + timedelta(hours=5), "Gewinnspiel!")
    ids = [post.id]
    for number in range(comments):
        at = T0 + timedelta(hours=5, minutes=number + 1)
        ids.append(world.post("9001", at, f"Ich! {number}", reply_to=post.id).id)
    return ids


def test_a_partial_view_never_marks_anything_removed(engine, server, scripted, settings,
                                                     accounts):  # fmt: skip
    facebook_id, _ = accounts
    world = scripted.facebook
    thread = _long_thread(world, 120)
    first = collect(engine, settings, facebook_id, world.now)
    assert first.outcome == "ok" and first.items_new == 8 + 121
    assert len(server.calls_to(r"/comments$")) == 1  # 100 inline, 20 on a second page
    gone = world.posts[thread[5]]
    gone.deleted_at = world.advance(timedelta(minutes=10))
    server.inject(r"/comments$", kind="malformed")
    partial = collect(engine, settings, facebook_id, world.now)
    assert partial.outcome == "partial"
    assert partial.problems[0]["endpoint"] == "GET /{post-id}/comments"
    assert partial.problems[0]["problem"].endswith(f"skipped facebook > feed > comments of "
                                                   f"{thread[0]}")  # fmt: skip
    assert stored_items(engine)[gone.id].removed_at is None
    complete = collect(engine, settings, facebook_id, world.advance(timedelta(minutes=10)))
    assert complete.outcome == "ok" and complete.items_removed == 1
    assert stored_items(engine)[gone.id].removed_reason == "deleted"


def test_a_post_that_vanishes_mid_thread_leaves_the_thread_undecided(
    engine, server, scripted, settings, accounts
):
    facebook_id, _ = accounts
    world = scripted.facebook
    thread = _long_thread(world, 120)
    collect(engine, settings, facebook_id, world.now)
    gone = world.posts[thread[7]]
    gone.deleted_at = world.advance(timedelta(minutes=10))
    vanished = GraphError(400, 100, "Unsupported get request.", "GraphMethodException", 33)
    server.inject(r"/comments$", status=400, body=vanished.body())
    summary = collect(engine, settings, facebook_id, world.now)
    assert summary.outcome == "partial"
    assert summary.problems[0]["id"] == thread[0]
    assert summary.problems[0]["problem"].startswith("gone while reading its comments: Graph")
    assert stored_items(engine)[gone.id].removed_at is None  # not decided from a partial view
    assert stored_items(engine)[scripted.posts["question"].id].removed_at is None


def test_throttling_stops_the_run_until_meta_says(engine, server, scripted, settings, accounts):
    facebook_id, _ = accounts
    now = scripted.facebook.now
    server.inject(r"/feed$", status=429, reset_in=600)
    throttled = collect(engine, settings, facebook_id, now)
    assert throttled.outcome == "rate_limited"
    assert throttled.resume_after == now + timedelta(minutes=10)
    assert "Graph error 4" in throttled.error
    server.reset_calls()
    assert collect(engine, settings, facebook_id, now + timedelta(minutes=5)).run_id is None
    assert server.calls == []
    resumed = collect(engine, settings, facebook_id, now + timedelta(minutes=11))
    assert resumed.outcome == "ok" and len(stored_items(engine)) == 8


def test_a_used_up_hour_is_throttling_too(engine, scripted, tmp_path, accounts):
    facebook_id, _ = accounts
    with GraphApiServer(facebook=scripted.facebook, hourly_calls=1) as server:
        settings = settings_for(tmp_path, REPLYWATCH_GRAPH_API_URL=server.url)
        limited = collect(engine, settings, facebook_id, scripted.facebook.now)
    assert limited.outcome == "rate_limited" and "Graph error 32" in limited.error
    assert limited.resume_after == scripted.facebook.now + timedelta(minutes=60)


def test_refused_token_transient_errors_and_a_missing_author(engine, server, scripted, settings,
                                                             accounts):  # fmt: skip
    facebook_id, instagram_id = accounts
    now = scripted.facebook.now
    refused = collect(engine, settings, facebook_id, now, env={"HUBER_PAGE_TOKEN": "EAAGwrong99"})
    assert refused.outcome == "credentials"
    assert "Graph error 190" in refused.error and "EAAGwrong99" not in refused.error
    with session_factory(engine)() as session:
        assert session.get(Account, facebook_id).credential_status == "needs_renewal"
    server.inject(r"/media$", status=500)
    server.corrupt(scripted.posts["ig_comment"].id, "from", "username")
    insta = collect(engine, settings, instagram_id, now)
    assert insta.outcome == "partial"
    assert [c.status for c in server.calls_to(r"/media$")] == [500, 200, 200]  # + older posts
    assert insta.problems == ({"id": scripted.posts["ig_comment"].id,
                               "endpoint": "GET /{media-id}/comments",
                               "problem": "the comment's author (from, username) is missing"},)  # fmt: skip
    kept = stored_items(engine)[scripted.posts["ig_comment"].id]
    assert kept.author_id is None and kept.is_own is False


def test_accounts_that_do_not_exist_or_do_not_match_the_token(engine, server, settings):
    with session_factory(engine).begin() as session:
        facebook_id, instagram_id = add_graph_accounts(session)
        session.get(Account, facebook_id).handle = "no.such.page"
        session.get(Account, instagram_id).handle = "@someone_else"
    page = collect(engine, settings, facebook_id, T0)
    assert page.outcome == "failed"
    assert page.error.startswith("Facebook Page 'no.such.page' does not exist or this token "
                                 "cannot see it: Graph error 803")  # fmt: skip
    insta = collect(engine, settings, instagram_id, T0)
    assert insta.outcome == "failed"
    assert insta.error == ("Instagram account @someone_else: the configured token belongs to "
                           "@baeckerei_huber (Facebook Page Bäckerei Huber)")  # fmt: skip


def test_the_graph_version_comes_from_the_settings(engine, server, scripted, tmp_path, accounts):
    settings = settings_for(tmp_path, REPLYWATCH_GRAPH_API_URL=server.url,
                            REPLYWATCH_GRAPH_API_VERSION="23.0")  # fmt: skip
    for account in accounts:
        assert collect(engine, settings, account, scripted.facebook.now).outcome == "ok"
    assert {call.path.split("/")[1] for call in server.calls} == {"v23.0"}


def test_two_base_urls_in_one_process_do_not_clash(engine, tmp_path):
    """Two Pages on two Graph hosts, collected at the same time in two threads."""
    worlds, servers, settings, account_ids = [], [], [], []
    with session_factory(engine).begin() as session:
        client = Client(name="Zwei Filialen", time_zone="Europe/Berlin")
        session.add(client)
        session.flush()
        for number in (1, 2):
            world = World("facebook", now=T0 + timedelta(days=1))
            world.add_actor(
                Actor(f"70{number}", f"filiale.nummer{number}", name=f"Filiale {number}")
            )
            world.manage(f"70{number}", PAGE_TOKEN)
            for minute in range(60):
                world.post(f"70{number}", T0 + timedelta(minutes=minute), f"Post {minute}")
            worlds.append(world)
            account = Account(client_id=client.id, platform="facebook",
                              handle=f"filiale.nummer{number}", credentials_ref="HUBER_PAGE_TOKEN")  # fmt: skip
            session.add(account)
            session.flush()
            account_ids.append(account.id)
    for number, world in enumerate(worlds):
        servers.append(GraphApiServer(facebook=world).start())
        settings.append(settings_for(tmp_path / str(number),
                                     REPLYWATCH_GRAPH_API_URL=servers[-1].url))  # fmt: skip
    results = {}

    def run(index: int) -> None:
        results[index] = collect(engine, settings[index], account_ids[index], worlds[index].now)

    try:
        threads = [threading.Thread(target=run, args=(index,)) for index in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for server in servers:
            server.stop()
    assert [results[i].outcome for i in (0, 1)] == ["ok", "ok"]
    assert [results[i].items_new for i in (0, 1)] == [60, 60]
    for number, server in enumerate(servers, start=1):
        nodes = {call.path.split("/")[2] for call in server.calls}
        assert nodes == {f"filiale.nummer{number}", f"70{number}"}
    assert facebook.FACEBOOK_GRAPH_URL == "https://graph.facebook.com/"
    with session_factory(engine)() as session:
        owners = dict(session.execute(select(Item.account_id, Item.author_id).distinct()).all())
    assert owners == {account_ids[0]: "701", account_ids[1]: "702"}


def _page_likes(engine) -> set[tuple[str, str, bool]]:
    with session_factory(engine)() as session:
        rows = session.execute(select(Item.platform_item_id, Like.liker_id, Like.is_own)
                               .join(Item, Item.id == Like.item_id))  # fmt: skip
        return {tuple(row) for row in rows}


def test_the_pages_own_likes_come_with_the_posts_and_comments_it_reads(
    engine, server, scripted, settings, accounts
):
    facebook_id, _ = accounts
    p = scripted.posts
    collect(engine, settings, facebook_id, scripted.facebook.now)
    # From the reactions summary (viewer_reaction) and the comments' user_likes, both read
    # with the Page's token: no call more.
    assert _page_likes(engine) == {(p["post"].id, "555", True), (p["complaint"].id, "555", True)}
    world = scripted.facebook
    world.like(p["visitor"].id, "555", world.now + timedelta(minutes=1))
    world.like(p["thanks"].id, "555", world.now + timedelta(minutes=2))
    world.like(p["thanks"].id, "9002", world.now + timedelta(minutes=3))  # not the Page's
    world.advance(timedelta(minutes=30))
    server.reset_calls()
    collect(engine, settings, facebook_id, world.now)
    assert _paths(server) == ["/v24.0/555/feed", "/v24.0/555/feed"]  # window, older posts
    assert _page_likes(engine) == {
        (p["post"].id, "555", True), (p["complaint"].id, "555", True),
        (p["visitor"].id, "555", True), (p["thanks"].id, "555", True),
    }  # fmt: skip
    with session_factory(engine)() as session:
        handles = set(session.scalars(select(Like.liker_handle)))
    assert handles == {"baeckerei.huber"}


# --- comments under older posts (issue 14.1) ------------------------------------------------


def test_a_question_under_an_older_post_and_its_answer_are_read(
    engine, server, scripted, settings, accounts
):
    """Issue 14.1: comments under posts older than the thread window were never read. The
    older posts' summaries show the changed count; only that post is read again."""
    facebook_id, instagram_id = accounts
    fb, ig, p = scripted.facebook, scripted.instagram, scripted.posts
    collect(engine, settings, facebook_id, fb.now)
    old_media = ig.post("17841400000000001", T0 - timedelta(days=60), "Unser Sortiment")
    collect(engine, settings, instagram_id, ig.now)
    assert p["old"].id in stored_items(engine) and old_media.id in stored_items(engine)
    quiet = collect(engine, settings, facebook_id, fb.now + timedelta(minutes=30))
    assert quiet.api_calls == 2  # window and older summaries; nothing changed, nothing read
    # A month after the first run nobody expects comments under these posts any more.
    later = fb.now + timedelta(days=3)
    question = fb.post("9002", later - timedelta(hours=2), "Gibt es das noch?",
                       reply_to=p["old"].id)  # fmt: skip
    answer = fb.post("555", later - timedelta(hours=1), "Ja, jeden Samstag.",
                     reply_to=question.id)  # fmt: skip
    ig_question = ig.post("17841400000000009", later - timedelta(hours=2), "Versand nach AT?",
                          reply_to=old_media.id)  # fmt: skip
    fb.now = ig.now = later
    server.reset_calls()
    page = collect(engine, settings, facebook_id, later)
    insta = collect(engine, settings, instagram_id, later)
    assert (page.outcome, page.items_new, insta.outcome, insta.items_new) == ("ok", 2, "ok", 1)
    reread = [c.path for c in server.calls if "comments" in c.query.get("fields", [""])[0]
              and c.path.count("/") == 2]  # fmt: skip
    assert reread == [f"/v24.0/{p['old'].id}", f"/v24.0/{old_media.id}"]  # the changed only
    items = stored_items(engine)
    assert (items[question.id].parent_id, items[question.id].root_id) == (p["old"].id, p["old"].id)
    assert (items[answer.id].is_own, items[answer.id].parent_id) == (True, question.id)
    assert items[ig_question.id].root_id == old_media.id
    assert items[p["old"].id].reply_count == 2 and items[old_media.id].reply_count == 1
    # Seen, so the next quiet run reads nothing again.
    server.reset_calls()
    again = [collect(engine, settings, a, later + timedelta(minutes=30)) for a in accounts]
    assert [s.api_calls for s in again] == [2, 2]
    assert not server.calls_to(r"^/v24\.0/\d+_\d+$")


def test_a_post_older_than_the_first_collection_is_read_once_it_gets_comments(
    engine, server, scripted, settings, accounts
):
    """A post from before the first collection's reach is noted on the first run and read,
    with its whole thread, when comments arrive later."""
    facebook_id, _ = accounts
    fb = scripted.facebook
    ancient = fb.post("555", T0 - timedelta(days=200), "Sommerfest!")
    earlier = fb.post("9001", T0 - timedelta(days=199), "Schön war's", reply_to=ancient.id)
    collect(engine, settings, facebook_id, fb.now)
    assert ancient.id not in stored_items(engine)  # older than collect.history_days
    later = fb.advance(timedelta(days=1))
    question = fb.post("9002", later - timedelta(minutes=5), "Wann ist das nächste?",
                       reply_to=ancient.id)  # fmt: skip
    summary = collect(engine, settings, facebook_id, later)
    assert summary.outcome == "ok" and summary.items_new == 3
    items = stored_items(engine)
    assert items[ancient.id].kind == "post" and items[ancient.id].is_own
    assert items[question.id].root_id == items[earlier.id].root_id == ancient.id


def test_an_exchange_of_comments_that_keeps_the_count_is_seen_by_the_update_time(
    engine, server, scripted, settings, accounts
):
    """One comment deleted and another written: the count stays, updated_time moves."""
    facebook_id, _ = accounts
    fb, p = scripted.facebook, scripted.posts
    first = fb.post("9001", T0 - timedelta(days=29), "Offen am Feiertag?", reply_to=p["old"].id)
    collect(engine, settings, facebook_id, fb.now)
    collect(engine, settings, facebook_id, fb.now + timedelta(minutes=30))  # note the time
    later = fb.advance(timedelta(hours=2))
    first.deleted_at = later - timedelta(minutes=20)
    second = fb.post("9002", later - timedelta(minutes=10), "Und Sonntag?", reply_to=p["old"].id)
    summary = collect(engine, settings, facebook_id, later)
    assert (summary.items_new, summary.items_removed) == (1, 1)
    items = stored_items(engine)
    assert items[first.id].removed_reason == "deleted" and second.id in items


def test_watching_older_posts_can_be_bounded_or_switched_off(
    engine, server, scripted, tmp_path, accounts
):
    facebook_id, _ = accounts
    now = scripted.facebook.now
    bounded = settings_for(tmp_path, REPLYWATCH_GRAPH_API_URL=server.url,
                           REPLYWATCH_COLLECT_OLDER_POSTS_DAYS="200")  # fmt: skip
    collect(engine, bounded, facebook_id, now)
    older = server.calls[-1].query
    assert int(older["since"][0]) == int((now - timedelta(days=200)).timestamp())
    server.reset_calls()
    off = settings_for(tmp_path, REPLYWATCH_GRAPH_API_URL=server.url,
                       REPLYWATCH_COLLECT_OLDER_POSTS_DAYS="0")  # fmt: skip
    summary = collect(engine, off, facebook_id, now + timedelta(minutes=30))
    assert summary.outcome == "ok" and summary.api_calls == 1  # the window only


# --- Page posts without `from` (issue 14.2) --------------------------------------------------


def test_page_posts_without_from_are_the_pages_by_its_own_posts_endpoint(
    engine, scripted, tmp_path, accounts
):
    """Issue 14.2: a Page post without `from` became a visitor post, its customers' comments
    stopped counting. The Page's own posts endpoint decides, never the absence of `from`."""
    facebook_id, _ = accounts
    p = scripted.posts
    with GraphApiServer(facebook=scripted.facebook, posts_without_from=True) as server:
        settings = settings_for(tmp_path, REPLYWATCH_GRAPH_API_URL=server.url)
        summary = collect(engine, settings, facebook_id, scripted.facebook.now)
        own_posts = server.calls_to(r"^/v24\.0/555/posts$")
    assert len(own_posts) == 1 and own_posts[0].query["fields"] == ["id"]
    items = stored_items(engine)
    assert {i: (items[i].kind, items[i].is_own, items[i].author_id) for i in
            (p["post"].id, p["old"].id, p["visitor"].id)} == {
        p["post"].id: ("post", True, "555"),
        p["old"].id: ("post", True, "555"),
        p["visitor"].id: ("visitor_post", False, None),
    }  # fmt: skip
    assert items[p["question"].id].is_own is False  # the customer's comment still counts
    # Only the visitor's post is a problem: nothing tells who wrote it.
    assert [(pr["id"], pr["problem"]) for pr in summary.problems] == [
        (p["visitor"].id, "the post's author (from) is missing")]  # fmt: skip
