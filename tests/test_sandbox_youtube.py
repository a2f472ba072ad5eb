"""The simulated YouTube Data API, driven by the unpatched google-api-python-client and
compared with real recorded responses (tests/fixtures/youtube, provenance in its README)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httplib2
import pytest
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from collectors.youtube import records
from sandbox.youtube_api import YouTubeServer, uploads_playlist
from storage.own_side import OwnSide
from tests.conftest import FIXTURES
from tests.support.platforms import Y_SHOP, YT_KEY, YT_OAUTH, youtube_world

REAL = FIXTURES / "youtube"


def _real(name: str) -> dict:
    return json.loads((REAL / name).read_text(encoding="utf-8"))


def _api(server: YouTubeServer, key: str = YT_KEY):
    """The library as a collector uses it: its own discovery document, our root URL."""
    return build("youtube", "v3", http=httplib2.Http(timeout=10), developerKey=key,
                 static_discovery=True, client_options={"api_endpoint": server.url + "/"})  # fmt: skip


@pytest.fixture
def scripted():
    return youtube_world()


@pytest.fixture
def server(scripted):
    with YouTubeServer(scripted.world, api_keys={YT_KEY}) as running:
        yield running


def _keys(value: dict) -> set[str]:
    return set(value)


def test_channels_by_handle_like_the_real_answer(server):
    answer = _api(server).channels().list(part="snippet,contentDetails,statistics",
                                          forHandle="@BaeckereiHuber").execute()  # fmt: skip
    real = _real("channels/info.json")
    assert _keys(answer) == _keys(real) == {"kind", "etag", "pageInfo", "items"}
    channel, real_channel = answer["items"][0], real["items"][0]
    assert _keys(real_channel) <= _keys(channel)
    assert _keys(real_channel["snippet"]) - {"country"} <= _keys(channel["snippet"])
    assert channel["id"] == Y_SHOP and channel["snippet"]["customUrl"] == "@baeckereihuber"
    assert channel["contentDetails"]["relatedPlaylists"]["uploads"] == uploads_playlist(Y_SHOP)
    # Statistics are strings, as the API sends its 64-bit numbers.
    assert channel["statistics"]["subscriberCount"] == "870"
    nobody = _api(server).channels().list(part="id", forHandle="@nobody").execute()
    assert "items" not in nobody and nobody["pageInfo"]["totalResults"] == 0


def test_uploads_page_newest_first_with_opaque_tokens(server, scripted):
    api = _api(server)
    first = api.playlistItems().list(part="snippet,contentDetails", maxResults=1,
                                     playlistId=uploads_playlist(Y_SHOP)).execute()  # fmt: skip
    real = _real("playlist_items/playlist_items_single.json")
    assert _keys(real["items"][0]["snippet"]) <= _keys(first["items"][0]["snippet"])
    assert first["items"][0]["contentDetails"]["videoId"] == scripted.posts["video"].id
    second = api.playlistItems().list(part="contentDetails", maxResults=1,
                                      playlistId=uploads_playlist(Y_SHOP),
                                      pageToken=first["nextPageToken"]).execute()  # fmt: skip
    assert second["items"][0]["contentDetails"]["videoId"] == scripted.posts["old"].id
    assert "nextPageToken" not in second
    with pytest.raises(HttpError) as refused:
        api.playlistItems().list(part="id", playlistId="UUnothing").execute()
    assert refused.value.resp.status == 404 and refused.value.error_details[0]["reason"] == (
        "playlistNotFound")  # fmt: skip


def test_comment_threads_like_the_real_ones_with_replies_under_the_top(server, scripted):
    p = scripted.posts
    answer = (
        _api(server)
        .commentThreads()
        .list(part="snippet,replies", videoId=p["video"].id, textFormat="plainText")
        .execute()
    )
    real = _real("comment_threads/comment_threads_all_to_me.json")
    assert _keys(answer) == _keys(real)
    thread, real_thread = answer["items"][-1], real["items"][0]
    assert _keys(real_thread["snippet"]) <= _keys(thread["snippet"])
    top, real_top = thread["snippet"]["topLevelComment"], real_thread["snippet"]["topLevelComment"]
    assert _keys(top) == _keys(real_top)
    assert _keys(real_top["snippet"]) <= _keys(top["snippet"])
    assert top["id"] == p["question"].id and thread["snippet"]["totalReplyCount"] == 2
    # A reply to a reply hangs under the top-level comment, as on YouTube.
    replies = {c["id"]: c["snippet"]["parentId"] for c in thread["replies"]["comments"]}
    assert replies == {p["answer"].id: p["question"].id, p["thanks"].id: p["question"].id}
    # The thread of seven replies shows five; comments.list pages through all of them.
    long = next(t for t in answer["items"] if t["id"] == p["long"].id)
    assert long["snippet"]["totalReplyCount"] == 7 and len(long["replies"]["comments"]) == 5
    page = _api(server).comments().list(part="snippet", parentId=p["long"].id,
                                        maxResults=4).execute()  # fmt: skip
    real_page = _real("comments/comments_by_parent_paged_1.json")
    assert _keys(page) == _keys(real_page) and set(page["pageInfo"]) == {"resultsPerPage"}
    assert _keys(real_page["items"][0]["snippet"]) <= _keys(page["items"][0]["snippet"])
    rest = _api(server).comments().list(part="snippet", parentId=p["long"].id, maxResults=4,
                                        pageToken=page["nextPageToken"]).execute()  # fmt: skip
    assert len(page["items"]) + len(rest["items"]) == 7 and "nextPageToken" not in rest
    # The held comment is not published: not listed, not counted.
    assert p["held"].id not in {t["id"] for t in answer["items"]}


def test_held_comments_and_likes_show_only_to_the_channels_token(server, scripted):
    p = scripted.posts
    with pytest.raises(HttpError) as refused:
        _api(server).commentThreads().list(part="snippet", videoId=p["video"].id,
                                           moderationStatus="heldForReview").execute()  # fmt: skip
    assert refused.value.resp.status == 403
    owner = build("youtube", "v3", http=_bearer(YT_OAUTH), static_discovery=True,
                  client_options={"api_endpoint": server.url + "/"})  # fmt: skip
    held = owner.commentThreads().list(part="snippet", allThreadsRelatedToChannelId=Y_SHOP,
                                       moderationStatus="heldForReview").execute()  # fmt: skip
    (thread,) = held["items"]
    assert thread["id"] == p["held"].id
    assert thread["snippet"]["topLevelComment"]["snippet"]["moderationStatus"] == "heldForReview"
    ratings = {
        t["id"]: t["snippet"]["topLevelComment"]["snippet"]["viewerRating"]
        for t in owner.commentThreads()
        .list(part="snippet", videoId=p["video"].id)
        .execute()["items"]
    }
    assert ratings[p["question"].id] == "like"  # the channel liked it; it tells only the channel
    public = _api(server).commentThreads().list(part="snippet", videoId=p["video"].id).execute()
    assert {t["snippet"]["topLevelComment"]["snippet"]["viewerRating"]
            for t in public["items"]} == {"none"}  # fmt: skip


def _bearer(token: str) -> httplib2.Http:
    class Bearer(httplib2.Http):
        def request(self, uri, method="GET", body=None, headers=None, *args, **kwargs):
            headers = {**(headers or {}), "authorization": f"Bearer {token}"}
            return super().request(uri, method, body, headers, *args, **kwargs)

    return Bearer(timeout=10)


def test_errors_are_googles_json_with_reasons(server, scripted):
    real = _real("error_response.json")
    with pytest.raises(HttpError) as bad_key:
        _api(server, key="AIzaWrong").videos().list(part="id", id="x").execute()
    body = json.loads(bad_key.value.content)
    assert bad_key.value.resp.status == 400 and _keys(body["error"]) >= _keys(real["error"])
    assert body["error"]["message"] == "API key not valid. Please pass a valid API key."
    server.comments_disabled.add(scripted.posts["video"].id)
    with pytest.raises(HttpError) as disabled:
        _api(server).commentThreads().list(part="id", videoId=scripted.posts["video"].id).execute()
    assert disabled.value.resp.status == 403
    assert disabled.value.error_details[0]["reason"] == "commentsDisabled"
    with pytest.raises(HttpError) as gone:
        _api(server).commentThreads().list(part="id", videoId="nosuchvideo").execute()
    assert gone.value.error_details[0]["reason"] == "videoNotFound"


def test_every_call_costs_a_unit_until_midnight_pacific(scripted):
    world = scripted.world
    # 23:30 in Los Angeles (UTC-8 in November): the quota day ends in half an hour.
    world.now = datetime(2026, 11, 18, 7, 30, tzinfo=UTC)
    with YouTubeServer(world, api_keys={YT_KEY}, daily_quota=3) as server:
        api = _api(server)
        for _ in range(3):
            api.channels().list(part="id", id=Y_SHOP).execute()
        with pytest.raises(HttpError) as spent:
            api.channels().list(part="id", id=Y_SHOP).execute()
        assert spent.value.resp.status == 403
        assert spent.value.error_details[0] == {
            "message": "The request cannot be completed because you have exceeded your <a "
            'href="/youtube/v3/getting-started#quota">quota</a>.',
            "domain": "youtube.quota", "reason": "quotaExceeded"}  # fmt: skip
        assert server.quota_used(YT_KEY) == 3
        world.advance(timedelta(minutes=31))  # 00:01 Pacific: a new quota day
        assert api.channels().list(part="id", id=Y_SHOP).execute()["items"][0]["id"] == Y_SHOP
        assert server.quota_used(YT_KEY) == 1


def test_records_read_the_real_recorded_responses():
    own = OwnSide(frozenset({"UCa-vrCLQHviTOVnEKDOdetQ"}), frozenset())
    threads = [records.thread_from_payload(t)
               for t in _real("comment_threads/comment_threads_all_to_me.json")["items"]]  # fmt: skip
    assert [(t.id, t.video_id, t.total_replies) for t in threads] == [
        ("UgyWeTdgc4sc1xgmbld4AaABAg", "JE8xdDp5B8Q", 0),
        ("Ugw5zYU6n9pmIgAZWvN4AaABAg", "JE8xdDp5B8Q", 0),
        ("Ugy0FhSzKMNMT9qs6zt4AaABAg", None, 0),  # a comment on the channel itself
        ("UgwSRpgkjCe6OHHe3IJ4AaABAg", None, 1),
    ]
    comment, problem = records.comment_from_payload(threads[1].top, own, root_id="JE8xdDp5B8Q",
                                                    video_id="JE8xdDp5B8Q")  # fmt: skip
    assert problem is None
    assert (comment.author_id, comment.author_handle, comment.text, comment.like_count) == (
        "UCNvMBmCASzTNNX8lW3JRMbw", "kun liu", "This is so beautiful !", 1)  # fmt: skip
    assert comment.created_at == datetime(2019, 12, 1, 3, 36, 10, tzinfo=UTC)
    assert comment.parent_id == "JE8xdDp5B8Q" and records.viewer_liked(threads[1].top)
    reply_payload = _real("comments/comments_by_parent_paged_1.json")["items"][0]
    reply, _ = records.comment_from_payload(reply_payload, own, root_id="JE8xdDp5B8Q")
    assert reply.parent_id == "Ugw5zYU6n9pmIgAZWvN4AaABAg" and reply.kind == "comment"
    channel = records.channel_from_payload(_real("channels/info.json")["items"][0])
    # Asked for the snippet only: no uploads playlist, no statistics.
    assert channel == records.Channel("UC_x5XG1OV2P6uZZ5FSM9Ttw", "Google Developers", None, None)
    upload = records.upload_from_payload(
        _real("playlist_items/playlist_items_single.json")["items"][0])  # fmt: skip
    assert upload == records.Upload("H1HZyvc0QnI", datetime(2019, 5, 11, 0, 27, 38, tzinfo=UTC))
