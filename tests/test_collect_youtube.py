"""Collecting a YouTube channel over real HTTP from the simulated YouTube Data API.

google-api-python-client is used as it is (its own discovery document, its own HTTP
stack); only its root URL points at the simulated server.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from replywatch.collecting import collect_account
from sandbox.youtube_api import YouTubeServer
from storage.engine import session_factory
from storage.models import Account, CredentialStatus, FollowerSnapshot
from tests.support.platforms import (
    T0,
    Y_ANNA,
    Y_BEN,
    Y_JANA,
    Y_SHOP,
    YT_KEY,
    YT_OAUTH,
    add_youtube_account,
    fast_retry,
    settings_for,
    youtube_world,
)
from tests.support.stored import stored_cursors, stored_items, stored_likes

OAUTH = {"HUBER_YOUTUBE_TOKEN": YT_OAUTH}
KEY = {"HUBER_YOUTUBE_TOKEN": YT_KEY}


@pytest.fixture
def scripted():
    return youtube_world()


@pytest.fixture
def server(scripted):
    with YouTubeServer(scripted.world, api_keys={YT_KEY}) as running:
        yield running


@pytest.fixture
def settings(server, tmp_path):
    return settings_for(tmp_path, REPLYWATCH_YOUTUBE_API_URL=server.url)


@pytest.fixture
def account(engine):
    with session_factory(engine).begin() as session:
        return add_youtube_account(session).id


def collect(engine, settings, account_id, now, env=OAUTH):
    return collect_account(engine, settings, account_id, now=now, env=env, retry=fast_retry())


def _calls(server) -> list[str]:
    """Each call as resource?filter, in order."""
    shown = []
    for call in server.calls:
        query = call.query
        keys = ("forHandle", "id", "playlistId", "allThreadsRelatedToChannelId", "videoId",
                "parentId", "moderationStatus")  # fmt: skip
        filters = [f"{k}={query[k][0]}" for k in keys if k in query and k != "id"]
        if "id" in query:
            filters.append(f"id={query['id'][0]}")
        shown.append(call.path.removeprefix("/youtube/v3/") + "?" + "&".join(filters))
    return shown


def test_first_run_reads_the_channel_its_videos_threads_and_replies(
    engine, server, scripted, settings, account
):
    now = scripted.world.now
    summary = collect(engine, settings, account, now)
    assert summary.outcome == "ok", summary.error
    p = {name: post.id for name, post in scripted.posts.items()}
    video, old = p["video"], p["old"]
    assert _calls(server) == [
        "channels?forHandle=@baeckereihuber",
        f"playlistItems?playlistId=UU{Y_SHOP[2:]}",
        f"videos?id={video},{old}",
        f"commentThreads?allThreadsRelatedToChannelId={Y_SHOP}",
        f"comments?parentId={p['long']}",  # seven replies: more than a thread shows
        f"commentThreads?allThreadsRelatedToChannelId={Y_SHOP}&moderationStatus=heldForReview",
        f"commentThreads?videoId={video}",
        f"comments?parentId={p['long']}",
    ]
    # Every call is a list call of one unit: the run's calls are its quota cost.
    assert summary.api_calls == server.quota_used(YT_OAUTH) == 8
    items = stored_items(engine)
    shape = {i: (it.kind, it.is_own, it.parent_id, it.root_id, it.removed_reason)
             for i, it in items.items()}  # fmt: skip
    expected = {
        old: ("post", True, None, old, None),
        p["old_comment"]: ("comment", False, old, old, None),
        video: ("post", True, None, video, None),
        p["question"]: ("comment", False, video, video, None),
        # Replies hang under the top-level comment, whatever they answered in the app.
        p["answer"]: ("comment", True, p["question"], video, None),
        p["thanks"]: ("comment", False, p["question"], video, None),
        p["long"]: ("comment", False, video, video, None),
        p["held"]: ("comment", False, video, video, "hidden"),
    }
    for number in range(7):
        expected[p[f"long{number}"]] = ("comment", number % 2 == 0, p["long"], video, None)
    assert shape == expected
    clip = items[video]
    assert (clip.like_count, clip.reply_count, clip.author_handle) == (5, 11, "Bäckerei Huber")
    # The title, then the description.
    assert clip.text == "Brezen backen\n\nBrezen backen\nSo entstehen unsere Brezen."
    assert clip.permalink == f"https://www.youtube.com/watch?v={video}"
    question = items[p["question"]]
    assert (question.author_id, question.author_handle, question.text) == (
        Y_ANNA, "@anna-k", "Habt ihr heute offen?")  # fmt: skip
    assert question.created_at == T0 + timedelta(minutes=5)
    assert question.reply_count == 2
    assert question.permalink == f"https://www.youtube.com/watch?v={video}&lc={p['question']}"
    # The channel's like, told by viewerRating to the channel's own token.
    assert stored_likes(engine) == {(p["question"], Y_SHOP, True)}
    with session_factory(engine)() as session:
        stored = session.scalars(select(Account)).one()
        followers = session.scalars(select(FollowerSnapshot.followers)).all()
    assert (stored.platform_account_id, stored.display_name) == (Y_SHOP, "Bäckerei Huber")
    assert followers == [870]
    cursors = stored_cursors(engine)
    assert cursors["uploads"] == "UU" + Y_SHOP[2:]
    assert cursors["comments"] == '{"since_id":"' + now.isoformat() + '"}'


def test_quiet_runs_cost_three_units_with_a_key_and_four_with_the_channels_token(
    engine, server, scripted, settings, account
):
    now = scripted.world.now
    collect(engine, settings, account, now)
    server.reset_calls()
    quiet = collect(engine, settings, account, now + timedelta(minutes=30))
    assert (quiet.outcome, quiet.api_calls, quiet.items_new) == ("ok", 4, 0)
    assert [c.split("?")[0] for c in _calls(server)] == [
        "playlistItems", "videos", "commentThreads", "commentThreads"]  # fmt: skip
    server.reset_calls()
    keyed = collect(engine, settings, account, now + timedelta(minutes=60), env=KEY)
    # An API key: no held comments to read (and no likes to see).
    assert (keyed.outcome, keyed.api_calls, keyed.items_new) == ("ok", 3, 0)
    assert server.calls[-1].query["allThreadsRelatedToChannelId"] == [Y_SHOP]
    assert "moderationStatus" not in server.calls[-1].query


def test_new_deleted_and_approved_comments_on_the_next_run(
    engine, server, scripted, settings, account
):
    world, p = scripted.world, scripted.posts
    collect(engine, settings, account, world.now)
    later = world.advance(timedelta(hours=1))
    new = world.post(Y_BEN, later - timedelta(minutes=20), "Und Laugenstangen?",
                     reply_to=p["video"].id)  # fmt: skip
    late_reply = world.post(Y_JANA, later - timedelta(minutes=10), "Gern geschehen!",
                            reply_to=p["thanks"].id)  # fmt: skip
    p["answer"].deleted_at = later - timedelta(minutes=5)
    p["held"].hidden_at = None  # the channel approved it
    summary = collect(engine, settings, account, later)
    assert summary.outcome == "ok", summary.error
    items = stored_items(engine)
    assert (items[new.id].parent_id, items[new.id].removed_at) == (p["video"].id, None)
    # A reply added to an older thread comes with the re-read of the video's comments
    # (its comment count changed), and hangs under the top-level comment.
    assert items[late_reply.id].parent_id == p["question"].id and items[late_reply.id].is_own
    assert (items[p["answer"].id].removed_reason, items[p["answer"].id].removed_at) == (
        "deleted", later)  # fmt: skip
    assert items[p["held"].id].removed_at is None  # published now
    assert items[p["thanks"].id].removed_at is None


def test_a_used_up_daily_quota_stops_until_midnight_pacific(engine, scripted, tmp_path, account):
    world = scripted.world  # 2026-11-17 09:00 UTC: 01:00 in Los Angeles
    with YouTubeServer(world, daily_quota=4) as server:
        settings = settings_for(tmp_path, REPLYWATCH_YOUTUBE_API_URL=server.url)
        stopped = collect(engine, settings, account, world.now)
        assert stopped.outcome == "rate_limited"
        assert stopped.resume_after == datetime(2026, 11, 18, 8, 0, tzinfo=UTC)  # midnight PST
        assert "quotaExceeded" in stopped.error and "midnight Pacific" in stopped.error
        # What was read before the stop is kept: the channel and its videos.
        kinds = sorted(item.kind for item in stored_items(engine).values())
        assert kinds == ["post", "post"]
        assert "comments" not in stored_cursors(engine)
        waiting = collect(engine, settings, account, world.now + timedelta(hours=1))
        assert (waiting.outcome, waiting.run_id) == ("rate_limited", None)  # no call made
        assert server.quota_used(YT_OAUTH) == 4  # nothing beyond the quota is spent
        world.now = datetime(2026, 11, 18, 8, 5, tzinfo=UTC)
        resumed = collect(engine, settings, account, world.now)
        assert resumed.outcome == "rate_limited"  # four units do not go far
        server.daily_quota = 100
        world.now = datetime(2026, 11, 19, 8, 5, tzinfo=UTC)
        done = collect(engine, settings, account, world.now)
    assert done.outcome == "ok", done.error
    assert len(stored_items(engine)) == 15


def test_refused_credentials_need_renewal_and_never_show_the_secret(
    engine, server, scripted, settings, account, caplog
):
    caplog.set_level(logging.DEBUG)
    bad_key = collect(engine, settings, account, scripted.world.now,
                      env={"HUBER_YOUTUBE_TOKEN": "AIzaSyWrongKey0123456789"})  # fmt: skip
    assert bad_key.outcome == "credentials"
    assert bad_key.error.startswith(
        "the platform refused the credentials at GET /youtube/v3/"
        "channels: HTTP 400 badRequest: API key not valid"
    )
    bad_token = collect(engine, settings, account, scripted.world.now,
                        env={"HUBER_YOUTUBE_TOKEN": "ya29.expired-token-0123456789"})  # fmt: skip
    assert bad_token.outcome == "credentials"
    assert "HTTP 401" in bad_token.error
    with session_factory(engine)() as session:
        stored = session.scalars(select(Account)).one()
    assert stored.credential_status == CredentialStatus.NEEDS_RENEWAL
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "key=" in logged  # googleapiclient logs each URL it requests ...
    for secret in ("AIzaSyWrongKey0123456789", "ya29.expired-token-0123456789"):
        assert secret not in logged and secret not in (stored.credential_error or "")


def test_handles_that_name_no_channel_and_channel_ids(engine, server, scripted, settings):
    with session_factory(engine).begin() as session:
        nobody = add_youtube_account(session, handle="@nobody").id
    failed = collect(engine, settings, nobody, scripted.world.now)
    assert failed.outcome == "failed"
    assert failed.error == ("YouTube channel @nobody does not exist (channels with "
                            "forHandle=@nobody found none) (GET /youtube/v3/channels)")  # fmt: skip
    with session_factory(engine).begin() as session:
        by_id = add_youtube_account(session, handle=Y_SHOP, staff=False).id
    server.reset_calls()
    found = collect(engine, settings, by_id, scripted.world.now)
    assert found.outcome == "ok" and _calls(server)[0] == f"channels?id={Y_SHOP}"


def test_disabled_comments_transient_faults_and_a_broken_thread(
    engine, server, scripted, settings, account
):
    world, p = scripted.world, scripted.posts
    server.inject(r"/playlistItems$", status=503, times=2)
    first = collect(engine, settings, account, world.now)
    assert first.outcome == "ok"  # retried twice
    later = world.advance(timedelta(hours=1))
    world.post(Y_ANNA, later - timedelta(minutes=1), "Noch da?", reply_to=p["video"].id)
    server.comments_disabled.add(p["video"].id)
    turned_off = collect(engine, settings, account, later)
    assert turned_off.outcome == "ok"
    # Comments turned off are hidden from everybody, not deleted: nothing is marked.
    assert all(item.removed_reason in (None, "hidden") for item in stored_items(engine).values())
    server.comments_disabled.clear()
    server.inject(r"/commentThreads$", kind="malformed")
    broken = collect(engine, settings, account, world.advance(timedelta(hours=1)))
    assert broken.outcome == "partial"
    assert broken.problems[0]["endpoint"] == "GET /youtube/v3/commentThreads"
    assert broken.problems[0]["problem"].startswith("the response is not a JSON object")
