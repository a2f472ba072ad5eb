"""The Bluesky collector on REAL recorded AppView answers (tests/fixtures/bluesky), served
over HTTP by the simulated service (``BlueskyServer.replay``) to the unpatched atproto
client, into SQLite and PostgreSQL.

The recordings are of shinyakato.dev's author feed and notifications, of a thread of
aliceisjustplaying.bsky.social (with a blocked and a deleted reply) and of the likes of one
of shinyakato.dev's posts, all from April 2023. What the recordings do not cover (the
profile, the login, an empty end page) the simulated service answers as it always does;
the end pages are written by hand here (``END_OF_FEED`` …), shaped like the AppView's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from collectors.bluesky.records import tid_time
from replywatch.collecting import collect_account
from sandbox.bluesky_api import BlueskyServer
from sandbox.world import Actor, Post, World
from storage.engine import session_factory
from storage.models import Account, Client
from tests.conftest import FIXTURES
from tests.support.platforms import fast_retry, settings_for
from tests.support.stored import stored_cursors, stored_items, stored_likes

REAL = FIXTURES / "bluesky"
SHINYA = "did:plc:iijrtk7ocored6zuziwmqq3c"
ALICE = "did:plc:by3jhwdqgbtrcc7q4tkkv3cf"
APP_PASSWORD = "real-fixture-app-password"
ENV = {"SHINYA_APP_PASSWORD": APP_PASSWORD}
FEED = "app.bsky.feed.getAuthorFeed"
NOTIFICATIONS = "app.bsky.notification.listNotifications"


def _load(path: str):
    return json.loads((REAL / path).read_text(encoding="utf-8"))


def _post(did: str, rkey: str) -> str:
    return f"at://{did}/app.bsky.feed.post/{rkey}"


def _account(engine, handle: str, reference: str | None) -> int:
    with session_factory(engine).begin() as session:
        client = Client(name="Real Bluesky", time_zone="Asia/Tokyo")
        session.add(client)
        session.flush()
        account = Account(client_id=client.id, platform="bluesky", handle=handle,
                          credentials_ref=reference)  # fmt: skip
        session.add(account)
        session.flush()
        return account.id


def _collect(engine, server, tmp_path, account_id, now, env=ENV):
    settings = settings_for(tmp_path, REPLYWATCH_BLUESKY_APPVIEW_URL=server.url,
                            REPLYWATCH_BLUESKY_PDS_URL=server.url)  # fmt: skip
    return collect_account(engine, settings, account_id, now=now, env=env, retry=fast_retry())


def test_a_real_author_feed_and_real_notifications(engine, tmp_path):
    """25 real feed entries (replies with reply refs, reposts without a repost uri, image,
    external and record-with-media embeds, facets, Japanese text, emoji) and 50 real
    notifications (likes, reposts, follows, replies, a mention, a quote)."""
    feed, notes = (_load("services/suite/app/bsky/feed/getAuthorFeed.json"),
                   _load("notifications/data/find_notifications.json"))  # fmt: skip
    # Three weeks later: the feed's posts are past the thread window, so no thread is read.
    now = datetime(2023, 5, 20, 12, tzinfo=UTC)
    world = World("bluesky", now=now)
    world.add_actor(Actor(SHINYA, "shinyakato.dev", name="Shinya Kato 🤯", followers=1234))
    world.manage(SHINYA, APP_PASSWORD)
    account_id = _account(engine, "shinyakato.dev", "SHINYA_APP_PASSWORD")
    with BlueskyServer(world) as server:
        server.replay(FEED, feed, actor=SHINYA)
        server.replay(FEED, END_OF_FEED, actor=SHINYA, cursor=feed["cursor"])
        server.replay(NOTIFICATIONS, notes)
        server.replay(NOTIFICATIONS, END_OF_NOTIFICATIONS, cursor=notes["cursor"])
        summary = _collect(engine, server, tmp_path, account_id, now)
        asked = [call.query.get("uris", []) for call in server.calls_to(r"getPosts$")]
    assert summary.outcome == "ok", (summary.error, summary.problems)
    items = stored_items(engine)
    assert len(items) == 25 and summary.items_new == 25
    kinds = [item.kind for item in items.values()]
    assert (kinds.count("post"), kinds.count("reply"), kinds.count("repost")) == (3, 20, 2)
    assert all(item.is_own and item.author_id == SHINYA for item in items.values())

    reply = items[_post(SHINYA, "3jukf53n6ba25")]
    assert reply.text == ("あとはおそらくMeetup 主催者の @amir.blue ですね！"
                          "元Twitterスタッフでオライリーで本も出してる有名人です")  # fmt: skip
    assert (reply.parent_id, reply.root_id) == (
        _post("did:plc:aajyn6qzw67cnmwf7zxzbjdy", "3jukevffjsg2r"),
        _post("did:plc:aajyn6qzw67cnmwf7zxzbjdy", "3juke6qr3lc2p"))  # fmt: skip
    assert reply.created_at == datetime(2023, 4, 30, 0, 27, 39, 701000, tzinfo=UTC)
    assert reply.permalink == "https://bsky.app/profile/shinyakato.dev/post/3jukf53n6ba25"
    assert items[_post(SHINYA, "3jukdrgdsy22w")].text == "₍₍ ◝('ω'◝) ⁾⁾ ₍₍ (◟'ω')◟ ⁾⁾"
    external = items[_post(SHINYA, "3jukdwsblqu2l")]  # an external embed and link facets
    assert (external.kind, external.like_count, external.repost_count, external.reply_count) == (
        "post", 76, 50, 0)  # fmt: skip
    # A repost the 2023 AppView did not name: a stable id made from the reposted post.
    repost = items[f"at://{SHINYA}/app.bsky.feed.repost/3jukz62npim26"]
    assert (repost.kind, repost.created_at) == (
        "repost", datetime(2023, 4, 30, 6, 33, 13, 578000, tzinfo=UTC))  # fmt: skip
    assert repost.text.startswith("Had a great time at the Seattle meetup!")

    # Notifications: only replies, mentions and quotes are followed up, in one getPosts call
    # (the posts are gone from the simulated service now: nothing more is stored).
    assert asked == [sorted([_post("did:plc:fyh2dc4kfeue7g4oujhuf6mn", "3jsgg622lu22n"),
                             _post("did:plc:w7jicbitabtexqstm5ezqwsc", "3jsge4wrnjs2w"),
                             _post("did:plc:umasif5o4jft7uyas6kfw45m", "3jsgcbuzvtc2n"),
                             _post("did:plc:mou6t7mhh4ddhcake2a4d53r", "3jsfulwa6nk2s")])]  # fmt: skip
    cursors = stored_cursors(engine)
    assert json.loads(cursors["notifications"]) == {"since_id": "2023-04-03T01:09:30.113000+00:00"}
    assert json.loads(cursors["feed"]) == {"since_id": "2023-04-30T06:33:13.578000+00:00"}


def test_a_real_thread_with_blocked_and_deleted_replies(engine, tmp_path):
    """The real getPostThread answer: embeds (record with media, images), a reply without
    text, a blocked reply (2023: without its author) and a deleted one. The view is not
    complete, so a reply stored earlier and missing from it is not marked removed."""
    thread = _load("feeds/data/find_post_thread.json")
    root = thread["thread"]["post"]
    created = datetime(2023, 4, 21, 16, 54, 0, 468000, tzinfo=UTC)
    world = World("bluesky", now=created + timedelta(hours=2))
    world.add_actor(Actor(ALICE, "aliceisjustplaying.bsky.social", name="alice"))
    world.add_actor(Actor("did:plc:someoneelse234567abcdefg", "someone.bsky.social"))
    world.add_post(Post(id=root["uri"], author_id=ALICE, created_at=created,
                        text=root["record"]["text"]))  # fmt: skip
    earlier = world.post("did:plc:someoneelse234567abcdefg", created + timedelta(hours=1),
                         "Tolles Werkzeug!", reply_to=root["uri"])  # fmt: skip
    account_id = _account(engine, "aliceisjustplaying.bsky.social", None)
    with BlueskyServer(world) as server:
        first = _collect(engine, server, tmp_path, account_id, world.now, env={})
        assert first.outcome == "ok", first.error
        assert earlier.id in stored_items(engine)
        server.replay("app.bsky.feed.getPostThread", thread, uri=root["uri"])
        later = world.advance(timedelta(hours=6))  # the thread is due again
        summary = _collect(engine, server, tmp_path, account_id, later, env={})
        assert server.calls_to(r"getPostThread$")[-1].query["uri"] == [root["uri"]]
    assert summary.outcome == "ok", (summary.error, summary.problems)
    items = stored_items(engine)
    bcgraham = _post("did:plc:o3muczkqodgc563d4rip3rpn", "3jtviwrkkbn2e")
    image_only = _post("did:plc:kef63ihhci7f5xhriu4asjhb", "3jtvu6gnhmk2r")
    fire = _post("did:plc:xbxpdv7nstw5ybmlneupnuaa", "3jtvjdinqcm2a")
    assert {fire, bcgraham, image_only} <= set(items)
    assert items[fire].text == "🔥" and items[fire].author_handle == "nvpkp.bsky.social"
    assert (items[image_only].text, items[image_only].parent_id, items[image_only].root_id) == (
        "", bcgraham, root["uri"])  # fmt: skip
    assert items[bcgraham].text == "can someone who bikes without a helmet get my graph for me"
    blocked = _post("did:plc:jb3pkzwuhnmq65ktmib27eli", "3julb75nxkc2y")
    assert blocked not in items  # nothing to store of a blocked or deleted post
    assert items[root["uri"]].like_count == 26 and items[root["uri"]].repost_count == 6
    assert items[earlier.id].removed_at is None  # a view with blocked posts marks nothing
    state = json.loads(stored_cursors(engine)[f"thread:{root['uri'].rsplit('/', 1)[1]}"])
    assert state["replies"] == 2


def test_real_likes_of_a_post(engine, tmp_path):
    likes = _load("feeds/data/find_likes.json")
    uri = likes["uri"]
    created = tid_time(uri.rsplit("/", 1)[1])
    assert created is not None
    world = World("bluesky", now=datetime(2023, 4, 3, 12, tzinfo=UTC))
    world.add_actor(Actor(SHINYA, "shinyakato.dev"))
    # The post itself is the simulated service's (its text is not in the recordings); one
    # like makes its count differ from what was read, so its likers are asked for.
    world.add_post(Post(id=uri, author_id=SHINYA, created_at=created, text="(not recorded)",
                        anonymous_likes=1))  # fmt: skip
    account_id = _account(engine, "shinyakato.dev", None)
    with BlueskyServer(world) as server:
        server.replay("app.bsky.feed.getLikes", likes, uri=uri)
        server.replay("app.bsky.feed.getLikes", {"uri": uri, "likes": []}, uri=uri,
                      cursor=likes["cursor"])  # fmt: skip
        summary = _collect(engine, server, tmp_path, account_id, world.now, env={})
    assert summary.outcome == "ok", (summary.error, summary.problems)
    assert stored_likes(engine) == {(uri, "did:plc:5twawjfjot3rdipflwfxygcr", False)}
    with session_factory(engine)() as session:
        from storage.models import Like

        like = session.scalars(select(Like)).one()
    assert (like.liker_handle, like.liked_at) == (
        "showv3.bsky.social", datetime(2023, 4, 2, 22, 47, 4, 277000, tzinfo=UTC))  # fmt: skip
    assert stored_cursors(engine)[f"likers:{uri.rsplit('/', 1)[1]}"] == "1"


# The AppView's answer after the last page: an empty list and no cursor.
END_OF_FEED = {"feed": []}
END_OF_NOTIFICATIONS = {"notifications": []}


@pytest.mark.parametrize("path", sorted(str(p.relative_to(REAL)) for p in REAL.rglob("*.json")))
def test_the_recordings_are_the_upstream_bytes(path):
    """Copied byte for byte (see tests/fixtures/README.md): the sizes upstream reported."""
    sizes = {
        "feeds/data/find_likes.json": 1104,
        "feeds/data/find_post_thread.json": 18303,
        "notifications/data/find_notifications.json": 73022,
        "services/suite/app/bsky/feed/getAuthorFeed.json": 128045,
    }
    assert len((REAL / path).read_text(encoding="utf-8")) == sizes[path]
