"""Private messages (Mastodon ``visibility: direct``) are dropped at the record boundary,
counted per collection run, shown by ``collect`` and ``status``, and a copy stored by an
earlier version is deleted when the collector sees it again. Through the unpatched
Mastodon.py against the simulated instance, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from collectors.mastodon import records
from collectors.mastodon.records import PrivateMessage, status_from_payload
from metrics import api
from replywatch.collecting import collect_account
from sandbox.mastodon_api import MastodonServer
from storage.engine import make_engine, session_factory
from storage.models import CollectionRun, Item, ItemFact, RollupDirty
from storage.own_side import OwnSide
from storage.records import ItemRecord
from storage.upsert import upsert_items
from tests.support.cli import run_main
from tests.support.platforms import (
    M_ANNA,
    M_BEN,
    M_SHOP,
    MASTODON_DOMAIN,
    MASTODON_TOKEN,
    add_mastodon_account,
    fast_retry,
    mastodon_world,
    settings_for,
)
from tests.support.stored import stored_items

ENV = {"HUBER_MASTODON_TOKEN": MASTODON_TOKEN}


@pytest.fixture
def scripted():
    """The usual Mastodon world, plus Ben writing the shop privately and the shop
    answering privately, and Anna's followers-only question (which is stored)."""
    scripted = mastodon_world()
    world, posts = scripted.world, scripted.posts
    t0 = world.now - timedelta(hours=6)
    posts["direct"] = world.post(
        M_BEN, t0, "@baeckerei meine Adresse ist Hauptstraße 1, bitte liefern",
        mentions=[M_SHOP], visibility="direct",
    )  # fmt: skip
    posts["direct_answer"] = world.post(
        M_SHOP, t0 + timedelta(minutes=9), "@ben@other.social wird erledigt",
        reply_to=posts["direct"].id, visibility="direct",
    )  # fmt: skip
    posts["followers_only"] = world.post(
        M_ANNA, t0 + timedelta(minutes=20), "@baeckerei habt ihr noch Brezen?",
        mentions=[M_SHOP], visibility="private",
    )  # fmt: skip
    return scripted


@pytest.fixture
def server(scripted):
    with MastodonServer(scripted.world, domain=MASTODON_DOMAIN) as running:
        yield running


@pytest.fixture
def account_id(engine):
    with session_factory(engine).begin() as session:
        return add_mastodon_account(session).id


def test_a_private_status_is_refused_before_anything_is_read():
    payload = {"id": "7", "visibility": "direct", "content": "<p>private</p>"}
    with pytest.raises(PrivateMessage) as refused:
        status_from_payload(payload, OwnSide(), "social.example", M_SHOP)
    assert refused.value.item_id == "7"
    # a boost of a private status is refused with it; followers-only is public enough
    assert records.is_private({"visibility": "limited"})
    assert not records.is_private({"visibility": "private"})
    assert not records.is_private({"visibility": "unlisted"})


def test_private_messages_are_skipped_counted_and_never_stored(
    engine, server, scripted, tmp_path, account_id
):
    settings = settings_for(tmp_path, REPLYWATCH_MASTODON_API_URL=server.url)
    now = scripted.world.now
    summary = collect_account(engine, settings, account_id, now=now, env=ENV,
                              retry=fast_retry())  # fmt: skip
    assert summary.outcome == "ok", summary.error
    # Ben's message came as a mention notification, the shop's answer with its statuses
    assert summary.private_skipped == 2
    items = stored_items(engine)
    posts = scripted.posts
    assert posts["direct"].id not in items and posts["direct_answer"].id not in items
    assert items[posts["followers_only"].id].text == "@baeckerei habt ihr noch Brezen?"
    texts = " ".join(item.text for item in items.values())
    assert "Hauptstraße" not in texts and "wird erledigt" not in texts
    with session_factory(engine)() as session:
        run = session.scalars(select(CollectionRun)).one()
    assert run.private_skipped == 2
    # the next run sees the shop's answer again among its newest statuses: counted again
    again = collect_account(engine, settings, account_id, now=now + timedelta(minutes=30),
                            env=ENV, retry=fast_retry())  # fmt: skip
    assert again.outcome == "ok" and again.private_skipped == 1


def test_a_private_message_stored_before_is_deleted_when_seen_again(
    engine, server, scripted, tmp_path, account_id
):
    """An earlier version stored the shop's private answer (and so its parent, Ben's
    message, made the answer look like one). Seeing it again deletes it and its facts."""
    posts = scripted.posts
    with session_factory(engine).begin() as session:
        upsert_items(session, account_id, [
            ItemRecord("mastodon", posts["direct"].id, M_BEN, "ben@other.social", False,
                       "mention", posts["direct"].created_at, "meine Adresse ist ...",
                       root_id=posts["direct"].id, mentions_account=True),
            ItemRecord("mastodon", posts["direct_answer"].id, M_SHOP,
                       f"baeckerei@{MASTODON_DOMAIN}", True, "reply",
                       posts["direct_answer"].created_at, "wird erledigt",
                       parent_id=posts["direct"].id, root_id=posts["direct"].id),
        ])  # fmt: skip
    with session_factory(engine).begin() as session:
        api.refresh(session, now=scripted.world.now)
        assert session.scalar(select(func.count()).select_from(ItemFact)) == 2
    settings = settings_for(tmp_path, REPLYWATCH_MASTODON_API_URL=server.url)
    summary = collect_account(engine, settings, account_id, now=scripted.world.now, env=ENV,
                              retry=fast_retry())  # fmt: skip
    assert summary.private_skipped == 2
    items = stored_items(engine)
    assert posts["direct"].id not in items and posts["direct_answer"].id not in items
    with session_factory(engine).begin() as session:
        # the days of the thread are marked for the refresh; its facts went with the items
        assert session.scalar(select(func.count()).select_from(RollupDirty)) >= 1
        api.refresh(session, now=scripted.world.now)
        stored_facts = set(
            session.scalars(
                select(Item.platform_item_id).join(ItemFact, ItemFact.item_id == Item.id)
            )
        )
    assert posts["direct"].id not in stored_facts


def test_collect_and_status_say_how_many_were_skipped(
    database_url, server, scripted, tmp_path, capsys, monkeypatch
):
    env = {
        "REPLYWATCH_DATABASE_URL": database_url,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "REPLYWATCH_SECRETS_FILE": str(tmp_path / "secrets.toml"),
        "REPLYWATCH_MASTODON_API_URL": server.url,
        **ENV,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    engine = make_engine(database_url)
    with session_factory(engine).begin() as session:
        add_mastodon_account(session)
    engine.dispose()
    collected = run_main(capsys, "collect")
    assert collected.code == 0, collected.err
    assert "ok — " in collected.out and ", 2 private messages skipped" in collected.out
    status = run_main(capsys, "status")
    assert status.code == 0
    line = next(line for line in status.out.splitlines() if "baeckerei" in line)
    assert "ok, 2 private messages skipped" in line
