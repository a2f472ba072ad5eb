"""The simulated Graph API, driven by the unpatched facebook-sdk, compared with real responses."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import facebook
import pytest
import requests

from collectors.graph.client import SERVICE
from collectors.http import mount
from collectors.transport import Limits
from sandbox.graph_api import GraphApiServer, parse_fields
from tests.conftest import FIXTURES
from tests.support.platforms import PAGE_TOKEN, T0, graph_worlds

REAL = FIXTURES / "graph-api"


def _graph(server: GraphApiServer, token: str = PAGE_TOKEN) -> facebook.GraphAPI:
    graph = facebook.GraphAPI(access_token=token)
    graph.version = "v24.0"
    mount(graph.session, "https://graph.facebook.com", server.url, Limits(10), SERVICE)
    return graph


@pytest.fixture
def scripted():
    return graph_worlds()


@pytest.fixture
def server(scripted):
    with GraphApiServer(facebook=scripted.facebook, instagram=scripted.instagram) as running:
        yield running


def test_fields_syntax():
    specs = parse_fields("id,from{id,name},comments.filter(stream).limit(0).summary(true){id}")
    assert [s.name for s in specs] == ["id", "from", "comments"]
    assert specs[1].children and [c.name for c in specs[1].children] == ["id", "name"]
    assert specs[2].modifiers == {"filter": "stream", "limit": "0", "summary": "true"}


def test_page_lookup_by_username_and_me(server):
    graph = _graph(server)
    page = graph.get_object("baeckerei.huber", fields="id,name,username,followers_count")
    assert page == {"id": "555", "name": "Bäckerei Huber", "username": "baeckerei.huber",
                    "followers_count": 310}  # fmt: skip
    real = json.loads((REAL / "facebook/apidata/pages/single_fields_page.json").read_text())
    assert {"id", "name", "username"} <= set(real)
    me = graph.get_object("me", fields="id,instagram_business_account")
    assert me == {"id": "555", "instagram_business_account": {"id": "17841400000000001"}}
    assert server.calls[0].path == "/v24.0/baeckerei.huber"


def test_feed_pages_follow_next_with_the_access_token(server, scripted):
    graph = _graph(server)
    posts = list(graph.get_all_connections("555", "feed", fields="id,from", limit=1))
    expected = {scripted.posts[name].id for name in ("old", "post", "visitor")}
    assert {p["id"] for p in posts} == expected
    assert len(server.calls_to(r"/555/feed$")) == 3
    # facebook-sdk deletes access_token from the next URL and fails without it
    first = requests.get(f"{server.url}/v24.0/555/feed",
                         params={"access_token": PAGE_TOKEN, "limit": 1}).json()  # fmt: skip
    assert f"access_token={PAGE_TOKEN}" in first["paging"]["next"]
    real = json.loads((REAL / "facebook/apidata/posts/feeds_default_fields_p1.json").read_text())
    assert set(first["paging"]) == set(real["paging"]) and set(first["paging"]["cursors"]) == {
        "before", "after"}  # fmt: skip
    only_page = graph.get_connections("555", "posts", fields="id")
    assert scripted.posts["visitor"].id not in {p["id"] for p in only_page["data"]}


def test_since_filters_the_feed_by_creation_time(server, scripted):
    graph = _graph(server)
    since = int((T0 - timedelta(days=1)).timestamp())
    recent = graph.get_connections("555", "feed", fields="id", since=since)
    assert scripted.posts["old"].id not in {p["id"] for p in recent["data"]}


def test_post_fields_with_summaries_like_the_real_feed(server, scripted):
    graph = _graph(server)
    fields = ("id,message,created_time,permalink_url,from,shares,"
              "comments.filter(stream).summary(true).limit(0),reactions.summary(true).limit(0)")  # fmt: skip
    post = graph.get_object(scripted.posts["post"].id, fields=fields)
    real = json.loads((REAL / "facebook/apidata/posts/feeds_default_fields_p1.json").read_text())
    real_post = real["data"][0]
    assert set(post) - {"from"} <= set(real_post)
    assert post["comments"] == {"data": [], "summary": {"order": "chronological",
                                "total_count": 4, "can_comment": True}}  # fmt: skip
    assert set(post["comments"]["summary"]) == set(real_post["comments"]["summary"])
    assert post["reactions"]["summary"]["total_count"] == 2
    assert set(post["reactions"]["summary"]) == set(real_post["reactions"]["summary"])
    assert post["created_time"].endswith("+0000") and real_post["created_time"].endswith("+0000")


def test_comments_stream_flattens_replies_and_shows_hidden_ones(server, scripted):
    graph = _graph(server)
    body = graph.get_connections(
        scripted.posts["post"].id, "comments", filter="stream", order="chronological",
        summary="true",
        fields="id,message,created_time,from{id,name},parent{id},like_count,is_hidden,"
               "permalink_url",
    )  # fmt: skip
    by_id = {c["id"]: c for c in body["data"]}
    question, answer, thanks = (scripted.posts[n].id for n in ("question", "answer", "thanks"))
    assert list(by_id) == [question, answer, thanks, scripted.posts["complaint"].id]
    assert "parent" not in by_id[question]
    assert by_id[answer]["parent"] == {"id": question}
    assert by_id[thanks]["parent"] == {"id": question}  # flat: under the top-level comment
    assert by_id[answer]["from"] == {"id": "555", "name": "Bäckerei Huber"}
    assert by_id[scripted.posts["complaint"].id]["is_hidden"] is True
    real = json.loads((REAL / "facebook/models/comment.json").read_text())
    assert set(by_id[answer]) <= set(real) | {"parent"}
    toplevel = graph.get_connections(scripted.posts["post"].id, "comments", fields="id")
    assert [c["id"] for c in toplevel["data"]] == [question, scripted.posts["complaint"].id]


def test_inline_edges_page_on_through_their_own_next_url(server, scripted):
    graph = _graph(server)
    body = graph.get_connections(
        "555", "feed", fields="id,comments.filter(stream).limit(2){id,parent{id}}"
    )
    post = next(p for p in body["data"] if p["id"] == scripted.posts["post"].id)
    assert len(post["comments"]["data"]) == 2
    # Follow the inline edge's next URL the way facebook-sdk follows paging.next.
    following = urlparse(post["comments"]["paging"]["next"])
    node, edge = following.path.split("/")[-2:]
    args = {k: v[-1] for k, v in parse_qs(following.query).items() if k != "access_token"}
    rest = graph.get_connections(node, edge, **args)
    assert [c["id"] for c in rest["data"]] == [
        scripted.posts[n].id for n in ("thanks", "complaint")
    ]
    assert set(rest["data"][0]) == {"id", "parent"}
    visitor = next(p for p in body["data"] if p["id"] == scripted.posts["visitor"].id)
    assert "next" not in visitor["comments"]["paging"]
    old = next(p for p in body["data"] if p["id"] == scripted.posts["old"].id)
    assert "comments" not in old  # Graph leaves out an expanded edge with nothing in it


def test_instagram_media_comments_and_replies(server, scripted):
    graph = _graph(server)
    me = graph.get_object("me", fields="instagram_business_account{id,username}")
    assert me["instagram_business_account"] == {"id": "17841400000000001",
                                                "username": "baeckerei_huber"}  # fmt: skip
    media = graph.get_connections(
        "17841400000000001", "media",
        fields="id,caption,media_type,permalink,timestamp,like_count,comments_count,username,"
               "comments{id,text,timestamp,username,from{id,username},hidden,"
               "replies{id,text,timestamp,username,parent_id}}",
    )  # fmt: skip
    item = media["data"][0]
    real = json.loads((REAL / "instagram/apidata/users/medias_p1.json").read_text())
    assert set(item) - {"caption", "username", "comments"} <= set(real["data"][0])
    assert item["like_count"] == 11 and item["comments_count"] == 3
    comment = item["comments"]["data"][0]
    assert comment["id"] == scripted.posts["ig_comment"].id and comment["username"] == "kunde_karl"
    replies = comment["replies"]["data"]
    assert [r["id"] for r in replies] == [scripted.posts["ig_answer"].id,
                                          scripted.posts["ig_followup"].id]  # fmt: skip
    assert {r["parent_id"] for r in replies} == {comment["id"]}
    real_comment = json.loads((REAL / "instagram/models/ig_comment.json").read_text())
    assert set(comment) - {"from"} <= set(real_comment)
    followers = graph.get_object("17841400000000001", fields="followers_count,username")
    real_user = json.loads((REAL / "instagram/apidata/users/user_fields.json").read_text())
    assert set(followers) <= set(real_user) and followers["followers_count"] == 1200


def test_errors_use_graph_codes(server):
    with pytest.raises(facebook.GraphAPIError) as bad_token:
        _graph(server, token="EAAGwrong").get_object("me")
    assert bad_token.value.code == 190 and bad_token.value.type == "OAuthException"
    graph = _graph(server)
    with pytest.raises(facebook.GraphAPIError) as alias:
        graph.get_object("no.such.page")
    assert alias.value.code == 803
    with pytest.raises(facebook.GraphAPIError) as missing:
        graph.get_object("555_999999")
    assert missing.value.code == 100 and missing.value.result["error"]["error_subcode"] == 33
    with pytest.raises(facebook.GraphAPIError) as field:
        graph.get_object("555", fields="nonsense")
    assert field.value.code == 100 and "nonexisting field" in str(field.value)


def test_faults_and_usage_headers(server):
    graph = _graph(server)
    server.inject(r"/feed$", status=429, reset_in=600, times=2)
    raw = requests.get(f"{server.url}/v24.0/555/feed", params={"access_token": PAGE_TOKEN})
    usage = json.loads(raw.headers["x-business-use-case-usage"])["555"][0]
    assert usage["call_count"] == 100 and usage["estimated_time_to_regain_access"] == 10
    with pytest.raises(facebook.GraphAPIError) as throttled:
        graph.get_connections("555", "feed")
    assert throttled.value.code == 4
    server.inject(r"/feed$", status=500)
    with pytest.raises(facebook.GraphAPIError) as broken:
        graph.get_connections("555", "feed")
    assert broken.value.code == 2 and broken.value.result["error"]["is_transient"] is True
    server.inject(r"/feed$", kind="malformed")
    with pytest.raises(requests.JSONDecodeError):
        graph.get_connections("555", "feed")
    response = requests.get(f"{server.url}/v24.0/555/feed", params={"access_token": PAGE_TOKEN})
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["facebook-api-version"] == "v24.0"
    assert json.loads(response.headers["x-app-usage"])["call_count"] == 0


def test_hourly_usage_runs_out_with_code_32_and_an_estimate(scripted):
    with GraphApiServer(facebook=scripted.facebook, hourly_calls=3) as server:
        graph = _graph(server)
        for _ in range(3):
            graph.get_object("555")
        with pytest.raises(facebook.GraphAPIError) as throttled:
            graph.get_object("555")
        assert throttled.value.code == 32
        response = requests.get(f"{server.url}/v24.0/555", params={"access_token": PAGE_TOKEN})
        usage = json.loads(response.headers["x-business-use-case-usage"])["555"][0]
        assert usage["call_count"] == 100 and usage["estimated_time_to_regain_access"] == 60
        scripted.facebook.advance(timedelta(hours=1))
        assert graph.get_object("555")["id"] == "555"


def test_user_likes_and_viewer_reaction_as_the_page_sees_them(server, scripted):
    p = scripted.posts
    graph = _graph(server)
    comments = graph.get_connections(p["post"].id, "comments", filter="stream",
                                     fields="id,user_likes,can_like")  # fmt: skip
    liked = {c["id"]: c["user_likes"] for c in comments["data"]}
    assert liked == {p["question"].id: False, p["answer"].id: False, p["thanks"].id: False,
                     p["complaint"].id: True}  # fmt: skip
    posts = graph.get_connections("555", "feed", fields="id,reactions.summary(true).limit(0)")
    reactions = {post["id"]: post["reactions"]["summary"]["viewer_reaction"]
                 for post in posts["data"]}  # fmt: skip
    assert reactions[p["post"].id] == "LIKE" and reactions[p["visitor"].id] == "NONE"


def test_older_posts_summaries_move_with_comments_like_real_feeds(server, scripted):
    """Summaries carry what the real feed does (updated_time, comments.summary.total_count,
    comments_count) and updated_time moves with a new comment."""
    real = json.loads((REAL / "facebook/apidata/posts/feeds_default_fields_p1.json").read_text())
    assert {"updated_time", "created_time"} <= set(real["data"][0])
    assert "total_count" in real["data"][0]["comments"]["summary"]
    graph = _graph(server)
    fields = "id,created_time,updated_time,comments.filter(stream).summary(true).limit(0)"
    old = scripted.posts["old"]
    before = graph.get_object(old.id, fields=fields)
    assert before["updated_time"] == before["created_time"]
    assert before["comments"] == {"data": [], "summary": {"order": "chronological",
                                                          "total_count": 0,
                                                          "can_comment": True}}  # fmt: skip
    world = scripted.facebook
    world.post("9001", world.now - timedelta(minutes=1), "Noch da?", reply_to=old.id)
    after = graph.get_object(old.id, fields=fields)
    assert after["updated_time"] == (world.now - timedelta(minutes=1)).strftime(
        "%Y-%m-%dT%H:%M:%S+0000")  # fmt: skip
    assert after["comments"]["summary"]["total_count"] == 1
    media = graph.get_object(scripted.posts["media"].id, fields="id,timestamp,comments_count")
    assert media["comments_count"] == 3  # every comment and reply, as Instagram counts


def test_page_posts_can_come_without_from_while_comments_keep_it(scripted):
    with GraphApiServer(facebook=scripted.facebook, posts_without_from=True) as server:
        graph = _graph(server)
        feed = graph.get_connections("555", "feed", fields="id,from{id,name},comments{from}")
        own = graph.get_connections("555", "posts", fields="id")
    assert feed["data"] and all("from" not in post for post in feed["data"])
    comments = [c for post in feed["data"] for c in post.get("comments", {}).get("data", [])]
    assert comments and all("from" in comment for comment in comments)
    post_ids = {scripted.posts[name].id for name in ("post", "old")}
    assert {entry["id"] for entry in own["data"]} == post_ids  # the visitor's post is not there
