"""The simulated Mastodon instance, read through the unpatched Mastodon.py client."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import yaml
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonUnauthorizedError,
)

from sandbox.mastodon_api import MastodonServer
from sandbox.world import Actor, World

CASSETTES = Path(__file__).parent / "fixtures" / "mastodon-cassettes"
T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
SHOP, ANNA, BEN = "109000000000000001", "109000000000000002", "109000000000000003"
TOKEN = "shop-token-abc"


@pytest.fixture
def world() -> World:
    world = World("mastodon", now=T0 + timedelta(days=2))
    world.add_actor(Actor(SHOP, "baeckerei", "Bäckerei Huber", followers=321))
    world.add_actor(Actor(ANNA, "anna", "Anna"))
    world.add_actor(Actor(BEN, "ben@other.social", "Ben"))
    world.manage(SHOP, TOKEN)
    return world


@pytest.fixture
def server(world: World):
    with MastodonServer(world, domain="social.example") as server:
        yield server


def connect(server: MastodonServer, token: str | None = TOKEN, **options) -> Mastodon:
    return Mastodon(
        access_token=token,
        api_base_url=server.url,
        ratelimit_method="throw",
        request_timeout=5,
        **options,
    )


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


# --- instance and accounts ----------------------------------------------------------------


def test_version_check_reads_the_instance(server: MastodonServer):
    connect(server)  # the default version_check_mode="none" asks nothing at construction
    assert server.calls == []
    api = connect(server, version_check_mode="created")
    assert (api.mastodon_major, api.mastodon_minor, api.mastodon_patch) == (4, 5, 0)
    assert api.mastodon_api_version == 7
    assert api.instance_v2().domain == "social.example"
    assert server.calls_to(r"^/api/v1/instance/$") and server.calls_to(r"^/api/v2/instance/$")


def test_account_lookup_and_follower_count(server: MastodonServer, world: World):
    api = connect(server)
    for acct in ("baeckerei", "@baeckerei@social.example", "Baeckerei@social.example"):
        assert api.account_lookup(acct).id == SHOP
    remote = api.account_lookup("ben@other.social")
    assert (remote.acct, remote.url) == ("ben@other.social", "https://other.social/@ben")
    assert api.account(SHOP).followers_count == 321
    world.actors[SHOP].followers = 400
    assert api.account(SHOP).followers_count == 400
    with pytest.raises(MastodonNotFoundError) as missing:
        api.account_lookup("nobody@social.example")
    assert missing.value.args[1:] == (404, "Not Found", "Record not found")
    with pytest.raises(MastodonNotFoundError):
        api.account("1")


# --- statuses -----------------------------------------------------------------------------


def test_account_statuses_page_through_link_headers(server: MastodonServer, world: World):
    posts = [world.post(SHOP, minutes(i), f"Angebot {i}") for i in range(45)]
    api = connect(server)
    first = api.account_statuses(SHOP)
    assert [s.id for s in first] == [p.id for p in reversed(posts)][:20]
    second = api.fetch_next(first)
    assert [s.id for s in second] == [p.id for p in reversed(posts)][20:40]
    everything = list(api.pagination_iterator(first))
    assert [s.id for s in everything] == [p.id for p in reversed(posts)]
    # The iterator starts from the first page it was given and stops after the short third
    # page, which has no rel="next": two calls above, two more for the iterator.
    assert len(server.calls_to(r"/statuses$")) == 4
    link = requests.get(f"{server.url}/api/v1/accounts/{SHOP}/statuses?limit=2").headers["Link"]
    assert link == (
        f"<{server.url}/api/v1/accounts/{SHOP}/statuses?limit=2&max_id={posts[43].id}>; "
        f'rel="next", <{server.url}/api/v1/accounts/{SHOP}/statuses?limit=2&min_id='
        f'{posts[44].id}>; rel="prev"'
    )


def test_since_id_returns_only_newer_and_fetch_next_drops_it(server: MastodonServer, world):
    old = [world.post(SHOP, minutes(i), f"alt {i}") for i in range(3)]
    new = [world.post(SHOP, minutes(10 + i), f"neu {i}") for i in range(5)]
    api = connect(server)
    page = api.account_statuses(SHOP, since_id=old[-1].id, limit=3)
    assert [s.id for s in page] == [new[4].id, new[3].id, new[2].id]
    # Mastodon's rel="next" does not carry since_id: the next page reaches below it.
    rest = api.fetch_next(page)
    assert [s.id for s in rest] == [new[1].id, new[0].id, old[2].id]


def test_min_id_walks_forward_with_previous_pages(server: MastodonServer, world: World):
    posts = [world.post(SHOP, minutes(i), f"Post {i}") for i in range(12)]
    api = connect(server)
    page = api.account_statuses(SHOP, min_id=posts[3].id, limit=5)
    assert [s.id for s in page] == [p.id for p in reversed(posts[4:9])]
    newer = list(api.pagination_iterator(page, direction="previous"))
    assert [s.id for s in newer] == [p.id for p in reversed(posts[4:9])] + [
        p.id for p in reversed(posts[9:])
    ]


def test_datetime_since_id_matches_mastodon_ids(server: MastodonServer, world: World):
    """Mastodon.py turns a datetime into an id; the world's ids use the same clock."""
    before = world.post(SHOP, minutes(0), "früh")
    after = world.post(SHOP, minutes(30), "spät")
    page = connect(server).account_statuses(SHOP, since_id=minutes(15))
    assert [s.id for s in page] == [after.id]
    assert int(before.id) >> 16 == int(minutes(0).timestamp() * 1000)


def test_originals_replies_and_boosts_apart(server: MastodonServer, world: World):
    original = world.post(SHOP, minutes(0), "Neue Brötchen!")
    question = world.post(BEN, minutes(5), "Auch glutenfrei?", reply_to=original.id)
    answer = world.post(SHOP, minutes(9), "Ja, samstags.", reply_to=question.id)
    thread = world.post(SHOP, minutes(10), "Und sonntags auch.", reply_to=answer.id)
    boosted = world.post(ANNA, minutes(1), "Flohmarkt am Sonntag")
    boost = world.post(SHOP, minutes(12), kind="repost", reposted_id=boosted.id)
    api = connect(server)
    by_id = {s.id: s for s in api.account_statuses(SHOP)}
    assert set(by_id) == {p.id for p in (original, answer, thread, boost)}
    reply = by_id[answer.id]
    assert (reply.in_reply_to_id, reply.in_reply_to_account_id) == (question.id, BEN)
    assert [m.acct for m in reply.mentions] == ["ben@other.social"]
    assert reply.content.startswith(
        '<p><span class="h-card" translate="no"><a href="https://other.social/@ben" '
        'class="u-url mention">@<span>ben</span></a></span> Ja, samstags.'
    )
    assert by_id[boost.id].reblog.id == boosted.id
    assert by_id[boost.id].content == ""
    assert by_id[original.id].reblog is None
    no_boosts = api.account_statuses(SHOP, exclude_reblogs=True)
    assert boost.id not in {s.id for s in no_boosts}
    # exclude_replies drops answers to others but keeps the account's own threads
    no_replies = {s.id for s in api.account_statuses(SHOP, exclude_replies=True)}
    assert no_replies == {original.id, thread.id, boost.id}
    assert api.status(original.id).replies_count == 1
    assert api.status(boosted.id).reblogs_count == 1
    assert [a.id for a in api.status_reblogged_by(boosted.id)] == [SHOP]
    boosted.deleted_at = world.now  # Mastodon deletes the boosts of a deleted status
    assert boost.id not in {s.id for s in api.account_statuses(SHOP)}
    with pytest.raises(MastodonNotFoundError):
        api.status(boost.id)


def test_new_activity_appears_as_the_world_moves(server: MastodonServer, world: World):
    first = world.post(SHOP, minutes(0), "heute")
    later = world.post(SHOP, T0 + timedelta(days=3), "morgen")
    api = connect(server)
    assert [s.id for s in api.account_statuses(SHOP)] == [first.id]
    with pytest.raises(MastodonNotFoundError):
        api.status(later.id)
    world.advance(timedelta(days=2))
    assert [s.id for s in api.account_statuses(SHOP, since_id=first.id)] == [later.id]
    first.deleted_at = world.now
    assert [s.id for s in api.account_statuses(SHOP)] == [later.id]
    with pytest.raises(MastodonNotFoundError) as gone:
        api.status(first.id)
    assert gone.value.args[3] == "Record not found"


# --- notifications ------------------------------------------------------------------------


def test_mention_notifications(server: MastodonServer, world: World):
    post = world.post(SHOP, minutes(0), "Wir haben offen")
    reply = world.post(ANNA, minutes(3), "Super!", reply_to=post.id)
    mention = world.post(BEN, minutes(4), "Frag mal @baeckerei", mentions=[SHOP])
    world.post(ANNA, minutes(5), "nichts für den Laden")
    api = connect(server)
    notes = api.notifications(types=["mention"])
    assert [(n.type, n.status.id) for n in notes] == [
        ("mention", mention.id),
        ("mention", reply.id),
    ]
    assert int(notes[0].id) > int(notes[1].id) and notes[0].account.acct == "ben@other.social"
    assert "mention" in notes[0].status.content
    later = world.post(
        ANNA, T0 + timedelta(days=2, hours=1), "@baeckerei noch offen?", mentions=[SHOP]
    )
    world.advance(timedelta(hours=2))
    fresh = api.notifications(types=["mention"], since_id=notes[0].id)
    assert [n.status.id for n in fresh] == [later.id]
    assert api.notifications(notes[1].id).status.id == reply.id
    assert api.notifications(exclude_types=["mention"]) == []
    assert api.notifications(types=["favourite"]) == []
    link = requests.get(
        f"{server.url}/api/v1/notifications?types[]=mention",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).headers["Link"]
    newest, oldest = fresh[0].id, notes[1].id
    assert link == (
        f'<{server.url}/api/v1/notifications?max_id={oldest}&types%5B%5D=mention>; rel="next", '
        f'<{server.url}/api/v1/notifications?min_id={newest}&types%5B%5D=mention>; rel="prev"'
    )


def test_notifications_need_a_valid_token(server: MastodonServer, world: World):
    with pytest.raises(MastodonUnauthorizedError) as anonymous:
        connect(server, token=None).notifications()
    assert anonymous.value.args[1] == 401
    with pytest.raises(MastodonUnauthorizedError) as wrong:
        connect(server, token="revoked").account_statuses(SHOP)
    assert wrong.value.args[1] == 401
    # (Mastodon.py drops the message when the call returns a list; it is in the body)
    answer = _get(server, f"/api/v1/accounts/{SHOP}/statuses", token="revoked")
    assert answer.json() == {"error": "The access token is invalid"}
    assert _get(server, "/api/v1/notifications", token=None).status_code == 401
    # public endpoints work without a token
    assert connect(server, token=None).account(SHOP).id == SHOP
    world.manage(SHOP, "rotated")
    with pytest.raises(MastodonUnauthorizedError):
        connect(server).notifications()
    assert connect(server, token="rotated").notifications() == []
    me = connect(server, token="rotated").account_verify_credentials()
    assert (me.id, me.acct, me.source.privacy) == (SHOP, "baeckerei", "public")
    with pytest.raises(MastodonUnauthorizedError):
        connect(server, token=None).account_verify_credentials()


# --- context and favourites ----------------------------------------------------------------


def test_status_context_descendants_in_thread_order(server: MastodonServer, world: World):
    root = world.post(SHOP, minutes(0), "Frage des Tages")
    a = world.post(ANNA, minutes(1), "A", reply_to=root.id)
    b = world.post(BEN, minutes(2), "B", reply_to=root.id)
    a1 = world.post(SHOP, minutes(3), "A1", reply_to=a.id)
    a1x = world.post(ANNA, minutes(4), "A1x", reply_to=a1.id)
    b1 = world.post(SHOP, minutes(5), "B1", reply_to=b.id)
    api = connect(server)
    context = api.status_context(root.id)
    assert context.ancestors == []
    assert [s.id for s in context.descendants] == [p.id for p in (a, a1, a1x, b, b1)]
    nested = api.status_context(a1x.id)
    assert [s.id for s in nested.ancestors] == [root.id, a.id, a1.id]
    a1.deleted_at = minutes(6)
    assert [s.id for s in api.status_context(root.id).descendants] == [p.id for p in (a, b, b1)]


def test_context_without_token_is_cut_like_mastodon(server: MastodonServer, world: World):
    root = world.post(SHOP, minutes(0), "Gewinnspiel")
    for i in range(70):
        world.post(ANNA if i % 2 else BEN, minutes(1 + i / 10), f"ich {i}", reply_to=root.id)
    assert len(connect(server).status_context(root.id).descendants) == 70
    assert len(connect(server, token=None).status_context(root.id).descendants) == 60


def test_favourited_by_pages_and_counts(server: MastodonServer, world: World):
    post = world.post(SHOP, minutes(0), "Zimtschnecken")
    fans = [Actor(str(110000000000000000 + i), f"fan{i}") for i in range(50)]
    for i, fan in enumerate(fans):
        world.add_actor(fan)
        world.like(post.id, fan.id, minutes(1 + i))
    post.anonymous_likes = 7
    api = connect(server)
    page = api.status_favourited_by(post.id)
    assert [a.id for a in page] == [f.id for f in reversed(fans)][:40]
    rest = api.fetch_next(page)
    assert [a.id for a in rest] == [f.id for f in reversed(fans)][40:]
    assert api.fetch_next(rest) is None
    assert api.status(post.id).favourites_count == 57
    assert api.status(post.id).favourited is False
    world.like(post.id, SHOP, minutes(60))
    assert api.status(post.id).favourited is True
    link = requests.get(f"{server.url}/api/v1/statuses/{post.id}/favourited_by").headers["Link"]
    assert re.fullmatch(
        rf'<{server.url}/api/v1/statuses/{post.id}/favourited_by\?max_id=\d+>; rel="next", '
        rf'<{server.url}/api/v1/statuses/{post.id}/favourited_by\?since_id=\d+>; rel="prev"',
        link,
    )


# --- rate limits and faults ---------------------------------------------------------------


def test_rate_limit_headers_on_every_answer(server: MastodonServer, world: World):
    api = connect(server)
    api.account(SHOP)
    assert (api.ratelimit_limit, api.ratelimit_remaining) == (300, 299)
    api.account(SHOP)
    assert api.ratelimit_remaining == 298
    assert time.time() < api.ratelimit_reset <= time.time() + 301
    missing = requests.get(f"{server.url}/api/v1/statuses/1")
    assert missing.status_code == 404 and missing.headers["X-RateLimit-Limit"] == "300"
    reset = missing.headers["X-RateLimit-Reset"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d[05]:00\.000000Z", reset)


def test_429_raises_with_the_reset_known(server: MastodonServer):
    api = connect(server)
    server.inject(r"/statuses$", status=429, reset_in=120)
    with pytest.raises(MastodonRatelimitError):
        api.account_statuses(SHOP)
    assert api.ratelimit_remaining == 0
    assert time.time() + 110 < api.ratelimit_reset < time.time() + 125
    assert api.account_statuses(SHOP) == []  # the fault was for one call


def test_enforced_budget_refuses_the_call_past_the_limit(world: World):
    with MastodonServer(world, rate_limit=3, enforce_rate_limit=True) as server:
        api = connect(server)
        for _ in range(3):
            api.account(SHOP)
        with pytest.raises(MastodonRatelimitError):
            api.account(SHOP)
        other = connect(server, token=None)  # anonymous calls have their own budget
        assert other.account(SHOP).id == SHOP


def test_malformed_and_failing_answers(server: MastodonServer):
    api = connect(server)
    server.inject(r"/notifications$", kind="malformed")
    with pytest.raises(MastodonAPIError, match="Could not parse response as JSON"):
        api.notifications()
    assert api.ratelimit_remaining == 299  # the cut-off answer was counted and said so
    server.inject(r"/statuses$", status=503)
    with pytest.raises(MastodonAPIError) as unavailable:
        api.account_statuses(SHOP)
    assert unavailable.value.args[1] == 503


def test_server_refuses_a_world_of_another_platform():
    with pytest.raises(ValueError, match="mastodon server cannot render a 'bluesky' world"):
        MastodonServer(World("bluesky", now=T0))


# --- shapes compared with real Mastodon responses -------------------------------------------


def _interactions(name: str) -> list[dict]:
    return yaml.safe_load((CASSETTES / name).read_text())["interactions"]


def _recorded(name: str, method: str, uri_pattern: str) -> tuple[object, dict[str, list[str]]]:
    for interaction in _interactions(name):
        request = interaction["request"]
        if request["method"] == method and re.search(uri_pattern, request["uri"]):
            response = interaction["response"]
            return json.loads(response["body"]["string"]), response["headers"]
    raise LookupError(f"{name}: no {method} {uri_pattern}")


def _get(server: MastodonServer, path: str, token: str | None = TOKEN) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{server.url}{path}", headers=headers, timeout=5)


def test_status_and_account_keys_match_real_mastodon(server: MastodonServer, world: World):
    question = world.post(ANNA, minutes(0), "Habt ihr offen?")
    answer = world.post(SHOP, minutes(1), "Ja!", reply_to=question.id)
    # the third recorded call posts the reply; its author reads the answer
    real = json.loads(_interactions("test_status_reply.yaml")[2]["response"]["body"]["string"])
    assert real["in_reply_to_id"] is not None
    ours = _get(server, f"/api/v1/statuses/{answer.id}").json()
    assert list(ours) == list(real)
    assert list(ours["account"]) == list(real["account"])
    assert list(ours["mentions"][0]) == list(real["mentions"][0])
    assert type(ours["id"]) is str and type(ours["account"]["id"]) is str


def test_notification_keys_match_real_mastodon(server: MastodonServer, world: World):
    world.post(ANNA, minutes(0), "@baeckerei hello!", mentions=[SHOP])
    real_list, real_headers = _recorded(
        "test_notifications_mentions_only.yaml", "GET", r"/notifications\?"
    )
    answer = _get(server, "/api/v1/notifications?types[]=mention")
    ours = answer.json()
    assert list(ours[0]) == list(real_list[0])
    assert list(ours[0]["status"]) == list(real_list[0]["status"])  # not the viewer's status
    assert list(ours[0]["account"]) == list(real_list[0]["account"])
    shape = re.compile(
        r'<[^>]+\?max_id=\d+&types%5B%5D=mention>; rel="next", '
        r'<[^>]+\?min_id=\d+&types%5B%5D=mention>; rel="prev"'
    )
    assert shape.fullmatch(real_headers["link"][0]) and shape.fullmatch(answer.headers["Link"])
    for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
        assert name in real_headers and name in answer.headers


def test_mention_markup_matches_real_mastodon(world: World):
    """A status written like the recorded one renders to the same HTML."""
    real_list, _ = _recorded("test_notifications_mentions_only.yaml", "GET", r"/notifications\?")
    real_content = real_list[0]["status"]["content"]
    world.add_actor(Actor("117020565966271181", "mastodonpy_test"))
    world.add_actor(Actor("117020565693913441", "admin"))
    post = world.post(
        "117020565693913441", minutes(0), "@mastodonpy_test hello!", mentions=["117020565966271181"]
    )
    with MastodonServer(world, port=0) as server:
        ours = _get(server, f"/api/v1/statuses/{post.id}", token=None).json()
    assert ours["content"] == real_content.replace("http://localhost:3000", server.url)


def test_context_and_favourited_by_shapes_match_real_mastodon(server: MastodonServer, world):
    post = world.post(SHOP, minutes(0), "Toot!")
    world.like(post.id, ANNA, minutes(1))
    real_context, _ = _recorded("test_status_context.yaml", "GET", r"/context$")
    assert list(_get(server, f"/api/v1/statuses/{post.id}/context").json()) == list(real_context)
    real_likers, real_headers = _recorded(
        "test_status_favourited_by.yaml", "GET", r"/favourited_by"
    )
    answer = _get(server, f"/api/v1/statuses/{post.id}/favourited_by")
    assert list(answer.json()[0]) == list(real_likers[0])
    # one liker, fewer than a page: only rel="prev", with since_id, as recorded
    shape = re.compile(r'<[^>]+/favourited_by\?since_id=\d+>; rel="prev"')
    assert shape.fullmatch(real_headers["link"][0]) and shape.fullmatch(answer.headers["Link"])


def test_favourites_page_by_favourite_ids(server: MastodonServer, world: World):
    posts = [world.post(ANNA, minutes(i), f"Frage {i}") for i in range(25)]
    for i, post in enumerate(posts):
        world.like(post.id, SHOP, minutes(30 + i))
    world.like(posts[0].id, BEN, minutes(60))  # not the viewer's
    api = connect(server)
    first = api.favourites(limit=10)
    assert [s.id for s in first] == [p.id for p in reversed(posts)][:10]
    assert all(s.favourited for s in first)
    everything = list(api.pagination_iterator(first))
    assert [s.id for s in everything] == [p.id for p in reversed(posts)]
    newest = first._pagination_prev["min_id"]  # a favourite id, not a status id
    later = world.post(BEN, minutes(90), "Noch eine Frage")
    world.like(later.id, SHOP, minutes(91))
    world.advance(timedelta(minutes=1))
    assert [s.id for s in api.favourites(min_id=newest)] == [later.id]
    assert api.favourites(min_id=api.favourites(limit=1)._pagination_prev["min_id"]) == []
    with pytest.raises(MastodonUnauthorizedError):
        connect(server, token=None).favourites()
