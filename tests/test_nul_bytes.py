"""U+0000 in a text (issue 18.2): PostgreSQL refuses NUL in text columns, SQLite takes it.

NUL is removed where text enters storage, the same way on both databases: in the
platform-neutral records every collector hands over (storage.records) and in the rows of a
TWCS file (replywatch.importing.twcs). A text is stored as it reads without the NUL, and
nothing else of the account or the file is lost.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from replywatch.collecting import collect_account
from replywatch.importing.twcs import Problem, TweetRow, import_twcs, read_rows
from sandbox.world import Actor
from sandbox.x_api import XApiServer
from storage.engine import session_factory
from storage.models import Account, Client, CollectionRun, Item
from storage.records import ItemRecord, LikeRecord
from tests.support.factories import add_client
from tests.support.platforms import X_TOKEN, add_x_account, fast_retry, settings_for, x_world
from tests.support.stored import stored_items, stored_likes

WHEN = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def test_records_carry_no_nul_in_any_text():
    item = ItemRecord("x", "1\x002", "9\x00", "an\x00na", False, "reply", WHEN,
                      text="habt ihr\x00 offen?\x00", parent_id="\x000", root_id="0\x00",
                      permalink="https://x.com/\x00a")  # fmt: skip
    assert (item.platform_item_id, item.author_id, item.author_handle) == ("12", "9", "anna")
    assert (item.text, item.parent_id, item.root_id) == ("habt ihr offen?", "0", "0")
    assert item.permalink == "https://x.com/a"
    like = LikeRecord("x", "1\x00", "7\x00", "be\x00n", False)
    assert (like.item_platform_id, like.liker_id, like.liker_handle) == ("1", "7", "ben")
    assert ItemRecord("x", "1", None, None, False, "post", WHEN, text=None).text is None


def test_a_post_with_nul_is_stored_without_it_and_the_account_collects(engine, tmp_path):
    scripted = x_world()
    world = scripted.world
    world.add_actor(Actor("902", "nul\x00fan", name="Null\x00"))
    world.actors["100"].name = "B\x00äckerei Huber"  # the account's own display name
    question = world.post("902", world.now - timedelta(minutes=30),
                          "@huber_shop gibt es\x00 Brezen?\x00", reply_to=scripted.posts["post"].id)  # fmt: skip
    world.like(scripted.posts["post"].id, "902", world.now - timedelta(minutes=20))
    with session_factory(engine).begin() as session:
        account_id = add_x_account(session).id
    with XApiServer(world) as server:
        settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=server.url)
        summary = collect_account(engine, settings, account_id, now=world.now,
                                  env={"HUBER_X_TOKEN": X_TOKEN}, retry=fast_retry(0))  # fmt: skip
    assert summary.outcome == "ok", summary.error
    items = stored_items(engine)
    assert items[question.id].text == "@huber_shop gibt es Brezen?"
    assert items[question.id].author_handle == "nulfan"
    assert {post.id for post in scripted.posts.values()} <= set(items)  # nothing else lost
    assert (scripted.posts["post"].id, "902", False) in stored_likes(engine)
    with session_factory(engine)() as session:
        assert session.scalars(select(CollectionRun.outcome)).all() == ["ok"]
        assert session.get(Account, account_id).display_name == "Bäckerei Huber"


def _twcs(path: Path) -> Path:
    path.write_bytes(
        b"tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
        b"1,BakeryHelp,False,Mon Nov 16 09:00:00 +0000 2026,@501 new\x00 rye bread,2,\n"
        b"2,501,True,Mon Nov 16 09:05:00 +0000 2026,@BakeryHelp \x00open on\x00 sunday?,,1\n"
        b"3,50\x002,True,Mon Nov 16 09:06:00 +0000 2026,@BakeryHelp yum,,1\n"
    )
    return path


def test_a_twcs_file_with_nul_bytes_is_read_with_the_nul_removed_and_said(tmp_path: Path):
    found = list(read_rows(_twcs(tmp_path / "nul.csv")))
    problems = [(p.line, p.skipped, p.message) for p in found if isinstance(p, Problem)]
    rows = [(r.line, r.tweet_id, r.author, r.text) for r in found if isinstance(r, TweetRow)]
    assert rows == [
        (2, "1", "BakeryHelp", "@501 new rye bread"),
        (3, "2", "501", "@BakeryHelp open on sunday?"),
        (4, "3", "502", "@BakeryHelp yum"),
    ]
    assert problems == [(line, False, "NUL bytes were removed") for line in (2, 3, 4)]


def test_a_twcs_file_with_nul_bytes_imports_on_both_databases(engine, session, tmp_path):
    add_client(session, name="Support", time_zone="UTC")
    session.commit()
    client_id = session.scalar(select(Client.id).where(Client.name == "Support"))
    with engine.connect() as connection:
        result = import_twcs(connection, _twcs(tmp_path / "nul.csv"), client_id)
    assert (result.rows, result.imported, result.unreadable) == (3, 3, 0)
    with Session(engine) as fresh:
        texts = dict(fresh.execute(select(Item.platform_item_id, Item.text)).all())
        assert texts == {"1": "@501 new rye bread", "2": "@BakeryHelp open on sunday?",
                         "3": "@BakeryHelp yum"}  # fmt: skip
        assert fresh.scalar(select(func.count()).select_from(Item)) == 3
