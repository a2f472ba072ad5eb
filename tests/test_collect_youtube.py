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
