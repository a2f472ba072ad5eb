"""Who is addressed (version 2), from what the platforms really send: X's
``display_text_range`` and mention positions, Mastodon's leading mentions, Bluesky's
facets, Facebook's ``message_tags`` and Instagram's @handles; real payloads where the
fixtures have them, and the simulated platforms' wire format through the real clients."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from collectors.graph import records as graph
from collectors.mastodon import records as mastodon
from collectors.x import records as x
from metrics import api
from replywatch.collecting import collect_account
from sandbox.x_api import XApiServer
from storage.engine import session_factory
from storage.models import Item, ItemFact
from storage.own_side import OwnSide
from tests.conftest import FIXTURES
from tests.support.platforms import (
    X_TOKEN,
    add_x_account,
    fast_retry,
    settings_for,
    x_world,
)


def _search_page() -> x.Page:
    body = json.loads((FIXTURES / "x-api-v2/apis/searches/search_tweets_query.json").read_text())
    return x.page_from_payload(body, "GET /2/tweets/search/recent")


def test_x_mentions_in_the_reply_prefix_are_not_the_authors_words():
    """Real search results: "@snowman Ooo, thanks error message ..." answers snowman; the
    fixture did not ask for display_text_range, so the leading run of @handles stands in
    for it. With the field (added here as X sends it) its start decides."""
    page = _search_page()
    reply = page.tweets[0]
    assert reply["text"].startswith("@snowman Ooo")
    record = x.item_from_payload(reply, page.users, OwnSide(), account_id="17200003",
                                 account_handle="@snowman")  # fmt: skip
    assert (record.mentions_account, record.mention_place) == (True, "prefix")
    assert x.mention_place(reply, None, "@happycamper", True) is None  # not named
    shown = {**reply, "display_text_range": [9, len(reply["text"])]}
    assert x.mention_place(shown, "17200003", None, True) is None  # no id in the entities
    assert x.mention_place(shown, None, "snowman", True) == "prefix"
    typed = {**reply, "display_text_range": [0, len(reply["text"])]}
    assert x.mention_place(typed, None, "snowman", True) == "text"  # typed, not prefixed
    # both named at the start of a reply: both in the prefix
    both = page.tweets[2]
    assert both["text"].startswith("@snowman @happycamper https://")
    assert x.mention_place(both, None, "@happycamper", True) == "prefix"
    # a tweet that replies to nothing has no prefix
    assert x.mention_place(both, None, "@happycamper", False) == "text"


def test_mastodon_leading_mentions_are_marked_for_the_thread_to_decide():
    payload = {
        "id": "2",
        "in_reply_to_id": "1",
        "content": '<p><span class="h-card"><a href="https://s.example/@greta" class="u-url '
        'mention">@<span>greta</span></a></span> <span class="h-card"><a href="https://'
        's.example/@baeckerei" class="u-url mention">@<span>baeckerei</span></a></span> '
        "Had the plum cake, lovely</p>",
        "mentions": [
            {"id": "7", "username": "greta", "acct": "greta"},
            {"id": "9", "username": "baeckerei", "acct": "baeckerei"},
        ],
    }
    text = mastodon.plain_text(payload["content"])
    assert text == "@greta @baeckerei Had the plum cake, lovely"
    assert mastodon.mention_place(payload, text, "9") == "leading"
    later = "@greta Had the plum cake, ask @baeckerei for more"
    assert mastodon.mention_place(payload, later, "9") == "text"
    assert mastodon.mention_place({**payload, "in_reply_to_id": None}, text, "9") == "text"
    assert mastodon.mention_place(payload, text, "8") is None


def test_facebook_tags_and_instagram_handles_are_the_authors_words():
    tagged = {
        "id": "1_2",
        "message": "Bäckerei Huber danke, und habt ihr Samstag offen?",
        "created_time": "2026-11-16T10:00:00+0000",
        "from": {"id": "555", "name": "Anna"},
        "parent": {"id": "1_1"},
        "message_tags": [{"id": "104", "name": "Bäckerei Huber", "type": "page", "offset": 0,
                          "length": 14}],
    }  # fmt: skip
    record, _ = graph.comment_from_payload(tagged, "1", OwnSide(), page_id="104")
    assert (record.mentions_account, record.mention_place) == (True, "text")
    untagged = {**tagged, "message_tags": [{"id": "777", "name": "Ben", "type": "user"}]}
    record, _ = graph.comment_from_payload(untagged, "1", OwnSide(), page_id="104")
    assert (record.mentions_account, record.mention_place) == (False, None)
    comment = {"id": "9", "text": "@huber.shop gibt es das auch glutenfrei?",
               "timestamp": "2026-11-16T10:00:00+0000", "username": "anna"}  # fmt: skip
    record, _ = graph.ig_comment_from_payload(comment, "m", OwnSide(), "8", "@huber.shop",
                                              "https://www.instagram.com/p/x/")  # fmt: skip
    assert (record.mention_place, record.permalink) == ("text", "https://www.instagram.com/p/x/")
    record, _ = graph.ig_comment_from_payload({**comment, "text": "@ben_k same"}, "m", OwnSide(),
                                              "8", "@huber.shop")  # fmt: skip
    assert record.mention_place is None


@pytest.fixture
def conversation():
    """x_world, plus Ben answering Anna's question under the shop's post, the shop named
    only in X's automatic prefix, and then asking the shop in his own words."""
    scripted = x_world()
    world, posts = scripted.world, scripted.posts
    question = posts["question"]
    prefix = "@anna_k @huber_shop "
    posts["chat"] = world.post(
        "901", question.created_at + timedelta(minutes=2), prefix + "Had the plum cake, lovely",
        reply_to=question.id, mentions=["900", "100"], prefix=len(prefix),
    )  # fmt: skip
    posts["asks"] = world.post(
        "901", question.created_at + timedelta(minutes=4),
        prefix + "and @huber_shop, do you deliver on Sundays?",
        reply_to=question.id, mentions=["900", "100"], prefix=len(prefix),
    )  # fmt: skip
    return scripted


def test_the_x_wire_format_reaches_the_metrics(engine, conversation, tmp_path):
    with XApiServer(conversation.world) as server:
        with session_factory(engine).begin() as session:
            account_id = add_x_account(session).id
        settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=server.url)
        now = conversation.world.now
        summary = collect_account(engine, settings, account_id, now=now,
                                  env={"HUBER_X_TOKEN": X_TOKEN}, retry=fast_retry())  # fmt: skip
        assert summary.outcome == "ok", summary.error
        sent = server.world.posts[conversation.posts["chat"].id]
        assert sent.prefix == len("@anna_k @huber_shop ")
    posts = conversation.posts
    with session_factory(engine).begin() as session:
        api.refresh(session, now=now)
        rows = session.execute(
            select(Item.platform_item_id, Item.mention_place, ItemFact.role).join(
                ItemFact, ItemFact.item_id == Item.id
            )
        ).all()
    found = {item: (place, role) for item, place, role in rows}
    assert found[posts["chat"].id] == ("prefix", "conversation")
    assert found[posts["asks"].id] == ("text", "inbound")
    assert found[posts["question"].id][1] == "inbound"  # a reply to the shop's post


def test_youtube_replies_are_addressed_by_the_handle_the_app_puts_in_front(engine, tmp_path):
    """YouTube threads are flat: every reply's parentId is the top-level comment, so a
    customer's second question after the channel's answer hangs under the customer's own
    comment. Only the "@handle " the app puts in front tells whom it answers."""
    from sandbox.youtube_api import YouTubeServer
    from tests.support.platforms import Y_ANNA, Y_BEN, YT_OAUTH, add_youtube_account, youtube_world

    scripted = youtube_world()
    world, posts = scripted.world, scripted.posts
    after = posts["thanks"].created_at
    again = world.post(Y_ANNA, after + timedelta(minutes=30),
                       "@baeckereihuber und morgen, am Feiertag?",
                       reply_to=posts["answer"].id)  # fmt: skip
    chat = world.post(Y_BEN, after + timedelta(minutes=40), "@anna-k morgen ist zu, leider",
                      reply_to=again.id)  # fmt: skip
    named = world.post(Y_BEN, after + timedelta(minutes=45),
                       "@anna-k stimmt das, @baeckereihuber?", reply_to=again.id)  # fmt: skip
    with YouTubeServer(world) as server:
        with session_factory(engine).begin() as session:
            account_id = add_youtube_account(session).id
        settings = settings_for(tmp_path, REPLYWATCH_YOUTUBE_API_URL=server.url)
        summary = collect_account(engine, settings, account_id, now=world.now,
                                  env={"HUBER_YOUTUBE_TOKEN": YT_OAUTH},
                                  retry=fast_retry())  # fmt: skip
        assert summary.outcome == "ok", summary.error
    with session_factory(engine).begin() as session:
        api.refresh(session, now=world.now)
        rows = session.execute(
            select(Item.platform_item_id, Item.parent_id, Item.mention_place, ItemFact.role)
            .join(ItemFact, ItemFact.item_id == Item.id)
        ).all()  # fmt: skip
    found = {item: (parent, place, role) for item, parent, place, role in rows}
    question = posts["question"].id
    # All three hang under Anna's top-level comment, as YouTube sends them.
    assert found[again.id] == (question, "leading", "inbound")
    assert found[chat.id] == (question, None, "conversation")
    assert found[named.id] == (question, "text", "inbound")
