"""The from_payload functions on REAL recorded responses (tests/fixtures) and damaged ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from collectors.errors import MalformedResponse, PayloadProblem
from collectors.graph import records as graph
from collectors.x import records as x
from storage.own_side import OwnSide
from tests.conftest import FIXTURES

TWITTER_DEV = OwnSide(ids=frozenset({"2244994945"}), handles=frozenset({"twitterdev"}))


def _load(path: str):
    return json.loads((FIXTURES / path).read_text())


def test_real_search_replies_become_replies_in_their_conversation():
    body = _load("x-api-v2/apis/searches/search_tweets_query.json")
    page = x.page_from_payload(body, "GET /2/tweets/search/recent")
    assert page.newest_id == "1276035977375477760" and page.next_token is None
    first = x.item_from_payload(page.tweets[0], page.users, OwnSide())
    assert first.kind == "reply" and first.parent_id == "1275653067283759104"
    assert first.author_id == "63046977"
    assert first.created_at == datetime(2020, 6, 25, 6, 14, 19, tzinfo=UTC)
    # The fixture did not ask for conversation_id: the parent stands in as the root.
    assert first.root_id == "1275653067283759104"
    assert first.text.startswith("@snowman Ooo")


def test_real_timeline_without_author_field_is_a_problem_naming_the_tweet():
    body = _load("x-api-v2/apis/timeline/timeline_tweets.json")
    page = x.page_from_payload(body, "GET /2/users/:id/tweets")
    with pytest.raises(PayloadProblem) as problem:
        x.item_from_payload(page.tweets[0], page.users, TWITTER_DEV)
    assert problem.value.item_id == "1364275610764201984"
    assert "author_id" in problem.value.detail
    # With the author the collector always asks for, the same tweet is the account's post.
    tweet = {**page.tweets[0], "author_id": "2244994945"}
    record = x.item_from_payload(tweet, {}, TWITTER_DEV)
    assert (record.kind, record.is_own) == ("post", True)
    assert (record.like_count, record.reply_count, record.repost_count) == (37, 2, 10)


def test_real_mentions_page_and_tweets_with_expanded_authors():
    mentions = x.page_from_payload(
        _load("x-api-v2/apis/timeline/timeline_mentions.json"), "GET /2/users/:id/mentions"
    )
    assert mentions.next_token == "7140dibdnow9c7btw3w3ixl43r8knib48jsfyzko1h5py"
    body = _load("x-api-v2/apis/tweet/tweets_resp.json")
    page = x.page_from_payload(body, "GET /2/tweets")
    records = [x.item_from_payload(t, page.users, TWITTER_DEV) for t in page.tweets]
    assert [(r.author_handle, r.is_own, r.kind) for r in records] == [
        ("TwitterDev", True, "post"),
        ("Twitter", False, "mention"),
    ]
    assert records[0].permalink == "https://x.com/TwitterDev/status/1261326399320715264"


def test_real_liking_users_and_user_lookup():
    body = _load("x-api-v2/apis/tweet/tweet_liking_users_resp.json")
    page = x.page_from_payload(body, "GET /2/tweets/:id/liking_users")
    likes = [x.like_from_payload(user, "42", OwnSide(handles=frozenset({"l18cp"})))
             for user in page.tweets]  # fmt: skip
    assert [(like.liker_handle, like.is_own) for like in likes][:3] == [
        ("Applech2C", False), ("justin_ct_ho", False), ("l18cp", True)]  # fmt: skip
    user = x.user_from_payload(_load("x-api-v2/apis/user/user_resp.json"), "GET /2/users/:id")
    assert user is not None and (user.id, user.username, user.followers) == (
        "2244994945", "TwitterDev", 514020)  # fmt: skip


@pytest.mark.parametrize(
    ("tweet", "detail"),
    [
        ({"text": "no id"}, "without an id"),
        ({"id": "1", "author_id": "2"}, "created_at is missing"),
        ({"id": "1", "author_id": "2", "created_at": "yesterday"}, "is not a time"),
        ("not an object", "without an id"),
    ],
)
def test_damaged_tweets_are_problems(tweet, detail):
    with pytest.raises(PayloadProblem, match=detail):
        x.item_from_payload(tweet, {}, OwnSide())


def test_a_page_that_is_not_an_object_is_malformed():
    with pytest.raises(MalformedResponse):
        x.page_from_payload(["data"], "GET /2/users/:id/tweets")
    with pytest.raises(MalformedResponse):
        x.page_from_payload({"data": "text"}, "GET /2/users/:id/tweets")


def test_a_retweet_is_a_repost_and_not_a_reply():
    tweet = {
        "id": "5",
        "author_id": "100",
        "created_at": "2026-11-16T09:00:00.000Z",
        "text": "RT @anna: hallo",
        "conversation_id": "5",
        "referenced_tweets": [{"type": "retweeted", "id": "4"}],
    }
    record = x.item_from_payload(tweet, {}, OwnSide(ids=frozenset({"100"})))
    assert (record.kind, record.parent_id, record.root_id) == ("repost", None, "5")


def test_real_page_feed_posts_with_reaction_and_comment_summaries():
    body = _load("graph-api/facebook/apidata/posts/feeds_default_fields_p1.json")
    page_side = OwnSide(ids=frozenset({"19292868552"}))
    payload = {**body["data"][0], "from": {"id": "19292868552", "name": "Facebook for Developers"}}
    post, problem = graph.post_from_payload(payload, "19292868552", page_side)
    assert problem is None
    assert (post.kind, post.is_own, post.author_handle) == ("post", True, "Facebook for Developers")
    assert (post.like_count, post.reply_count, post.repost_count) == (125, 13, 10)
    assert post.created_at == datetime(2021, 7, 9, 19, 9, 52, tzinfo=UTC)
    assert post.permalink == "https://www.facebook.com/19292868552/posts/10158349356748553/"
    # The recorded feed has no `from` (it was read without a page token): kept, and said so.
    anonymous, problem = graph.post_from_payload(body["data"][1], "19292868552", page_side)
    assert anonymous.kind == "visitor_post" and anonymous.author_id is None
    assert problem is not None and problem.item_id == body["data"][1]["id"]


def test_real_comments_with_and_without_from():
    comment = _load("graph-api/facebook/models/comment.json")
    record, problem = graph.comment_from_payload(comment, "2954961744718970", OwnSide())
    assert problem is None
    assert (record.author_id, record.author_handle) == ("2711636948859886", "Kun Liu")
    assert (record.parent_id, record.root_id, record.hidden) == (
        "2954961744718970", "2954961744718970", False)  # fmt: skip
    page = _load("graph-api/facebook/apidata/comments/comments_p1.json")
    # These recorded comments lack both id and from: unusable, each one named as a problem.
    with pytest.raises(PayloadProblem, match="without an id"):
        graph.comment_from_payload(page["data"][0], "post", OwnSide())
    replied = {**page["data"][5], "id": "10158407654328553_10158409983033553",
               "parent": {"id": "10158407654328553_10158407903973553"}}  # fmt: skip
    record, problem = graph.comment_from_payload(replied, "19292868552_10158407654328553",
                                                 OwnSide())  # fmt: skip
    assert record.parent_id == "10158407654328553_10158407903973553"
    assert problem is not None and "from" in problem.detail


def test_real_instagram_media_and_comments():
    media = _load("graph-api/instagram/apidata/users/medias_p1.json")["data"][1]
    own = OwnSide(ids=frozenset({"17841406338772941"}), handles=frozenset({"ikroskun"}))
    record = graph.media_from_payload(media, "17841406338772941", own)
    assert (record.kind, record.is_own, record.like_count, record.reply_count) == (
        "post", True, 2, 6)  # fmt: skip
    assert record.permalink == "https://www.instagram.com/p/CSgdWACBeKr/"
    comment = _load("graph-api/instagram/models/ig_comment.json")
    record, problem = graph.ig_comment_from_payload(comment, "17846368219941692", own)
    assert problem is None and record.is_own is True  # the account's own comment (username)
    assert (record.parent_id, record.root_id) == ("17846368219941692", "17846368219941692")
    reply = comment["replies"]["data"][0]
    record, problem = graph.ig_comment_from_payload(reply, "17846368219941692", own,
                                                    parent_id=comment["id"])  # fmt: skip
    assert record.parent_id == comment["id"] and record.author_id is None
    assert problem is not None and problem.item_id == reply["id"]
    bare = _load("graph-api/instagram/apidata/medias/comments_p1.json")["data"][0]
    record, problem = graph.ig_comment_from_payload(bare, "17846368219941692", own)
    assert record.text == "Beautiful!" and problem is not None


def test_x_text_is_unescaped_exactly_once():
    tweet = {"id": "9", "author_id": "100", "created_at": "2026-11-16T09:00:00.000Z",
             "text": "Brot &amp; Brezen &lt;3 &gt; alles, und &amp;amp; heißt &amp;lt;"}  # fmt: skip
    record = x.item_from_payload(tweet, {}, OwnSide(ids=frozenset({"100"})))
    assert record.text == "Brot & Brezen <3 > alles, und &amp; heißt &lt;"
    assert x.unescape("&quot;&#39;&copy;") == "&quot;&#39;&copy;"  # X escapes nothing else


def test_x_tweet_without_its_author_or_metrics_leaves_them_unknown():
    tweet = {"id": "9", "author_id": "900", "created_at": "2026-11-16T09:00:00.000Z",
             "text": "hallo"}  # fmt: skip
    record = x.item_from_payload(tweet, {}, OwnSide())
    assert (record.author_handle, record.permalink) == (None, None)
    assert (record.like_count, record.reply_count, record.repost_count) == (None, None, None)


def test_a_page_post_without_from_is_the_pages_when_its_posts_endpoint_lists_it():
    """Issue 14.2: decided by the endpoint and from.id, never by the absence of from."""
    body = _load("graph-api/facebook/apidata/posts/feeds_default_fields_p1.json")
    page_side = OwnSide(ids=frozenset({"19292868552"}))
    anonymous = body["data"][1]
    assert "from" not in anonymous
    post, problem = graph.post_from_payload(anonymous, "19292868552", page_side,
                                            posted_by_page=True)  # fmt: skip
    assert problem is None
    assert (post.kind, post.is_own, post.author_id, post.author_handle) == (
        "post", True, "19292868552", None)  # fmt: skip
    visitor, problem = graph.post_from_payload(anonymous, "19292868552", page_side,
                                               posted_by_page=False)  # fmt: skip
    assert (visitor.kind, visitor.is_own) == ("visitor_post", False) and problem is not None
    # from.id decides when present, whatever the endpoint says.
    signed = {**anonymous, "from": {"id": "4711", "name": "Kundin"}}
    post, _ = graph.post_from_payload(signed, "19292868552", page_side, posted_by_page=True)
    assert (post.kind, post.author_id) == ("visitor_post", "4711")


def test_real_feed_and_media_summaries_for_older_posts():
    body = _load("graph-api/facebook/apidata/posts/feeds_default_fields_p1.json")
    summary = graph.post_summary(body["data"][0])
    assert (summary.comments, summary.created_at, summary.updated_at) == (
        13, datetime(2021, 7, 9, 19, 9, 52, tzinfo=UTC),
        datetime(2021, 7, 12, 1, 3, 23, tzinfo=UTC))  # fmt: skip
    media = _load("graph-api/instagram/apidata/users/medias_p1.json")["data"][1]
    assert graph.media_summary(media).comments == 6
    # A payload without counts leaves them unknown (never 0, which would look like a change).
    assert graph.post_summary({"id": "1", "created_time": "2021-07-09T19:09:52+0000"}).comments \
        is None  # fmt: skip
