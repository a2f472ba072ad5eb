"""Issue 22.2: a forgotten author stays forgotten when the real collectors see them again.

The erasure list is applied at the record boundary (collectors/privacy.py) for every
platform; Bluesky is the hard case, its item ids contain the author's DID.
"""

from __future__ import annotations

import logging
import stat
from datetime import timedelta

from sqlalchemy import select

from replywatch import privacy
from replywatch.collecting import collect_account
from sandbox.bluesky_api import BlueskyServer
from sandbox.x_api import XApiServer
from storage.engine import session_factory
from storage.models import Item, Like, PrivacyEvent
from tests.support.platforms import (
    B_BEN,
    BLUESKY_APP_PASSWORD,
    X_TOKEN,
    add_bluesky_account,
    add_x_account,
    bluesky_world,
    fast_retry,
    settings_for,
    x_world,
)


def _items(engine) -> list[Item]:
    with session_factory(engine)() as session:
        return list(session.scalars(select(Item).order_by(Item.id)))


def _collect(engine, settings, account_id, now, env):
    summary = collect_account(engine, settings, account_id, now=now, env=env, retry=fast_retry())
    assert summary.outcome == "ok", summary.error
    return summary


def test_a_forgotten_bluesky_author_stays_forgotten_with_their_dids_in_item_ids(
    engine, tmp_path, caplog
):
    scripted = bluesky_world()
    world, posts = scripted.world, scripted.posts
    env = {"HUBER_BLUESKY_APP_PASSWORD": BLUESKY_APP_PASSWORD, "XDG_DATA_HOME": str(tmp_path)}
    with session_factory(engine).begin() as session:
        account_id = add_bluesky_account(session).id
    with BlueskyServer(world) as server:
        settings = settings_for(tmp_path, REPLYWATCH_BLUESKY_APPVIEW_URL=server.url,
                                REPLYWATCH_BLUESKY_PDS_URL=server.url)  # fmt: skip
        assert _collect(engine, settings, account_id, world.now, env).items_new == 11
        caplog.set_level(logging.INFO, logger="replywatch.privacy")
        result = privacy.forget(engine, settings, platform_name="Bluesky",
                                author="@ben.example.org", now=world.now, env=env)  # fmt: skip
        # deeper, deep5, spam, mention; ids: those four and the items below them.
        assert (result.items, result.listed) == (4, True)
        assert result.item_ids == 6  # + deep4 (parent deeper), shop_reply (parent mention)
        later = world.post(B_BEN, world.now + timedelta(minutes=1), "Und sonntags?",
                           reply_to=posts["post"].id)  # fmt: skip
        world.clock.advance(timedelta(hours=1))
        again = _collect(engine, settings, account_id, world.now, env)
    assert again.items_new == 1  # Ben's new reply; his old items were recognised, not doubled
    items = _items(engine)
    assert len(items) == 12
    for item in items:
        for value in (item.platform_item_id, item.parent_id, item.root_id, item.author_id):
            assert B_BEN not in (value or "")
        assert item.author_handle != "ben.example.org"
    bens = [i for i in items if i.purge_reason == "erasure"]
    assert len(bens) == 5 and {i.text for i in bens} == {""}
    assert len({i.author_id for i in bens}) == 1 and bens[0].author_id.startswith("anon:")
    rkey = later.id.rsplit("/", 1)[1]
    [new] = [i for i in bens if i.platform_item_id.endswith(rkey)]
    assert new.permalink is None and new.parent_id == posts["post"].id
    # Thread structure kept: the shop's answer still hangs under Ben's (renamed) mention.
    by_id = {i.platform_item_id: i for i in items}
    shop_reply = next(i for i in items if i.text == "Danke!")
    assert by_id[shop_reply.parent_id].kind == "mention"
    key_file = tmp_path / "replywatch" / "privacy-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "privacy forget on bluesky" in logged
    for secret in ("ben", B_BEN, key):
        assert secret not in logged


def test_a_forgotten_x_author_stays_forgotten_and_their_likes_too(engine, tmp_path):
    scripted = x_world()
    world, posts = scripted.world, scripted.posts
    env = {"HUBER_X_TOKEN": X_TOKEN, "XDG_DATA_HOME": str(tmp_path)}
    with session_factory(engine).begin() as session:
        account_id = add_x_account(session).id
    with XApiServer(world) as server:
        settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=server.url)
        _collect(engine, settings, account_id, world.now, env)
        result = privacy.forget(engine, settings, platform_name="x", author="900",
                                now=world.now, env=env)  # fmt: skip
        assert result.items == 2 and result.likes == 1  # old_reply, question; a like
        assert result.mentions == 1  # the agency's "@anna_k ja, bis 18 Uhr!"
        world.post("900", world.now + timedelta(minutes=1), "@huber_shop und morgen?",
                   reply_to=posts["post"].id)  # fmt: skip
        world.clock.advance(timedelta(hours=1))
        _collect(engine, settings, account_id, world.now, env)
        # Another key (the key file lost, a second machine without privacy.key_ref) would
        # make pseudonyms that match nothing: the run stops before it stores anything.
        stranger = {**env, "XDG_DATA_HOME": str(tmp_path / "elsewhere")}
        world.post("900", world.now + timedelta(minutes=1), "@huber_shop hallo?",
                   reply_to=posts["post"].id)  # fmt: skip
        world.clock.advance(timedelta(hours=1))
        refused = collect_account(engine, settings, account_id, now=world.now, env=stranger,
                                  retry=fast_retry())  # fmt: skip
    assert refused.outcome == "failed" and "privacy key is not the one" in refused.error
    assert refused.items_new == 0
    annas = [i for i in _items(engine) if i.purge_reason == "erasure"]
    assert len(annas) == 3 and {(i.text, i.author_handle) for i in annas} == {("", None)}
    assert len({i.author_id for i in annas}) == 1 and annas[0].author_id.startswith("anon:")
    assert all("anna_k" not in i.text for i in _items(engine))
    with session_factory(engine)() as session:
        likers = {(like.liker_id, like.liker_handle) for like in session.scalars(select(Like))}
        events = session.scalars(select(PrivacyEvent)).all()
    assert not {liker for liker in likers if liker[0] == "900" or liker[1] == "anna_k"}
    assert [(e.action, e.platform, e.counts["items"]) for e in events] == [("forget", "x", 2)]


def test_an_author_pseudonymised_by_the_retention_purge_keeps_the_pseudonym(engine, tmp_path):
    scripted = x_world()
    world, posts = scripted.world, scripted.posts
    env = {"HUBER_X_TOKEN": X_TOKEN, "XDG_DATA_HOME": str(tmp_path)}
    with session_factory(engine).begin() as session:
        account_id = add_x_account(session).id
    with XApiServer(world) as server:
        settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=server.url)
        _collect(engine, settings, account_id, world.now, env)
        # Fourteen months on (the purge's own "now"), everything collected so far is due.
        later = world.now + timedelta(days=430)
        [purged] = privacy.purge_expired_data(engine, settings, now=later, env=env)
        assert purged.items == 4 and purged.waiting == 0
        world.post("900", world.now + timedelta(minutes=1), "@huber_shop noch offen?",
                   reply_to=posts["post"].id)  # fmt: skip
        world.clock.advance(timedelta(hours=1))
        _collect(engine, settings, account_id, world.now, env)
    items = _items(engine)
    annas = {i.author_id for i in items if i.purge_reason == "retention" and i.kind == "reply"}
    [new] = [i for i in items if i.text == "@huber_shop noch offen?"]
    # Her new message keeps its words and her handle until its own time, under her pseudonym.
    assert new.author_handle == "anna_k" and new.purged_at is None
    assert new.author_id.startswith("anon:") and new.author_id in annas
    assert not [i for i in items if i.author_id in {"900", "901"}]
