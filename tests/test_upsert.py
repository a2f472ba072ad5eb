"""Idempotent, batched upserts on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from storage.models import CollectionCursor, FollowerSnapshot, Identity, Item, Like, RollupDirty
from storage.own_side import own_side_for, refresh_own_flags
from storage.records import LikeRecord
from storage.upsert import (
    get_cursor,
    mark_missing_from_thread,
    mark_removed,
    record_followers,
    set_cursor,
    set_roots,
    upsert_items,
    upsert_likes,
)
from tests.support.factories import T0, add_account, add_client, changed, item


def _rows(session):
    return {
        row.platform_item_id: row
        for row in session.scalars(select(Item).execution_options(populate_existing=True))
    }


def _dirty(session):
    return set(session.execute(select(RollupDirty.account_id, RollupDirty.day)).all())


def test_same_batch_twice_leaves_the_same_rows(session):
    account = add_account(session, add_client(session))
    batch = [
        item("1", author="100", own=True, kind="post", minutes=0),
        item("2", parent="1", root="1", minutes=5, like_count=2),
        item("3", author="100", own=True, parent="2", root="1", minutes=30),
    ]
    first = upsert_items(session, account.id, batch, seen_at=T0 + timedelta(hours=1))
    session.commit()
    assert (first.new, first.updated, first.unchanged) == (3, 0, 0)
    before = {k: (r.id, r.first_seen, r.like_count) for k, r in _rows(session).items()}

    second = upsert_items(session, account.id, batch, seen_at=T0 + timedelta(hours=2))
    session.commit()
    assert (second.new, second.updated, second.unchanged) == (0, 0, 3)
    rows = _rows(session)
    assert len(rows) == 3
    assert {k: (r.id, r.first_seen, r.like_count) for k, r in rows.items()} == before
    assert all(r.last_seen == T0 + timedelta(hours=2) for r in rows.values())
    assert all(r.first_seen == T0 + timedelta(hours=1) for r in rows.values())
    assert second.ids == first.ids


def test_changed_counts_update_and_mark_the_day_dirty(session):
    account = add_account(session, add_client(session))
    original = item("2", minutes=5, like_count=1, reply_count=0)
    upsert_items(session, account.id, [original])
    session.query(RollupDirty).delete()
    session.commit()

    result = upsert_items(session, account.id, [changed(original, like_count=7, reply_count=2)])
    session.commit()
    assert (result.new, result.updated) == (0, 1)
    row = _rows(session)["2"]
    assert (row.like_count, row.reply_count) == (7, 2)
    assert _dirty(session) == {(account.id, T0.date())}


def test_duplicates_inside_one_batch_keep_the_last_sighting(session):
    account = add_account(session, add_client(session))
    result = upsert_items(session, account.id, [item("5", like_count=1), item("5", like_count=4)])
    session.commit()
    assert result.new == 1
    assert _rows(session)["5"].like_count == 4


def test_large_batches_are_split(session):
    account = add_account(session, add_client(session))
    records = [item(str(n), minutes=n) for n in range(1, 1201)]
    result = upsert_items(session, account.id, records)
    session.commit()
    assert result.new == 1200
    assert session.scalar(select(func.count()).select_from(Item)) == 1200
    assert len(result.ids) == 1200


def test_mentions_stay_mentions_and_hidden_items_are_removed(session):
    account = add_account(session, add_client(session))
    upsert_items(session, account.id, [item("7", kind="mention", mentions_account=True)])
    upsert_items(session, account.id, [item("7", kind="mention", mentions_account=False)])
    upsert_items(session, account.id, [item("8", hidden=True)], seen_at=T0 + timedelta(hours=3))
    session.commit()
    rows = _rows(session)
    assert rows["7"].mentions_account is True
    assert rows["8"].removed_at == T0 + timedelta(hours=3)
    assert rows["8"].removed_reason == "hidden"

    # Unhidden later: no longer removed.
    result = upsert_items(session, account.id, [item("8", hidden=False)])
    session.commit()
    assert result.updated == 1
    assert _rows(session)["8"].removed_at is None


def test_removed_items_are_marked_never_deleted(session):
    account = add_account(session, add_client(session))
    thread = [
        item("1", author="100", own=True, kind="post"),
        item("2", parent="1", root="1", minutes=1),
        item("3", parent="1", root="1", minutes=2),
    ]
    upsert_items(session, account.id, thread)
    session.commit()
    gone_at = T0 + timedelta(days=1)
    assert mark_missing_from_thread(session, "x", "1", {"1", "2"}, at=gone_at) == 1
    assert mark_removed(session, "x", ["3"], at=gone_at + timedelta(hours=1)) == 0  # already
    session.commit()
    rows = _rows(session)
    assert len(rows) == 3
    assert rows["3"].removed_at == gone_at and rows["3"].removed_reason == "deleted"
    assert rows["2"].removed_at is None


def test_likes_are_idempotent_and_unknown_items_reported(session):
    account = add_account(session, add_client(session))
    upsert_items(session, account.id, [item("1", author="100", own=True, kind="post")])
    likes = [
        LikeRecord("x", "1", "100", "huber", is_own=True),
        LikeRecord("x", "1", "901", "fan", is_own=False, liked_at=T0),
        LikeRecord("x", "404", "902", "ghost", is_own=False),
    ]
    first = upsert_likes(session, likes)
    second = upsert_likes(session, likes)
    session.commit()
    assert (first.new, first.known, first.unknown_items) == (2, 0, ["404"])
    assert (second.new, second.known) == (0, 2)
    stored = session.scalars(select(Like).order_by(Like.liker_id)).all()
    assert [(like.liker_id, like.is_own, like.liked_at) for like in stored] == [
        ("100", True, None),
        ("901", False, T0),
    ]


def test_cursors_and_follower_snapshots(session):
    account = add_account(session, add_client(session))
    assert get_cursor(session, account.id, "tweets") is None
    set_cursor(session, account.id, "tweets", "1500")
    set_cursor(session, account.id, "tweets", "1600")
    record_followers(session, account.id, 321, taken_at=T0)
    session.commit()
    assert get_cursor(session, account.id, "tweets") == "1600"
    assert session.scalar(select(func.count()).select_from(CollectionCursor)) == 1
    assert session.scalar(select(FollowerSnapshot.followers)) == 321


def test_identities_turn_history_into_own_replies(session):
    client = add_client(session)
    account = add_account(session, client)
    upsert_items(
        session,
        account.id,
        [
            item("1", author="100", own=True, kind="post"),
            item("2", author="555", handle="@Jana_Agency", parent="1", minutes=3),
        ],
    )
    upsert_likes(session, [LikeRecord("x", "1", "555", "jana_agency", is_own=False)])
    session.query(RollupDirty).delete()
    session.commit()

    session.add(Identity(client_id=client.id, platform="x", handle="@jana_agency"))
    session.flush()
    assert own_side_for(session, account).includes(None, "@JANA_agency")
    assert refresh_own_flags(session, client.id) == 1
    session.commit()
    assert _rows(session)["2"].is_own is True
    assert session.scalar(select(Like.is_own)) is True
    assert _dirty(session) == {(account.id, T0.date())}


def test_roots_worked_out_later_are_kept_and_set_only_where_unknown(session):
    """Mastodon names only the parent: a reply is stored without root, gets it later, and a
    later sighting that does not know it keeps it."""
    account = add_account(session, add_client(session), platform="mastodon")
    reply = changed(item("7", parent="5", platform="mastodon", minutes=5), root_id=None)
    known = item("8", parent="5", root="1", platform="mastodon", minutes=6)
    upsert_items(session, account.id, [reply, known], seen_at=T0)
    session.commit()
    session.execute(RollupDirty.__table__.delete())
    assert _rows(session)["7"].root_id is None
    assert set_roots(session, "mastodon", {"7": "1", "8": "99", "404": "1"}) == 1
    session.commit()
    rows = _rows(session)
    assert (rows["7"].root_id, rows["8"].root_id) == ("1", "1")  # a known root stays
    assert _dirty(session) == {(account.id, T0.date())}
    again = upsert_items(session, account.id, [reply], seen_at=T0 + timedelta(hours=1))
    session.commit()
    assert (again.updated, again.unchanged) == (0, 1)
    assert _rows(session)["7"].root_id == "1"
    moved = upsert_items(session, account.id, [changed(reply, root_id="2")],
                         seen_at=T0 + timedelta(hours=2))  # fmt: skip
    session.commit()
    assert moved.updated == 1 and _rows(session)["7"].root_id == "2"  # a payload that knows wins


def test_a_like_turning_into_a_self_like_marks_the_liked_items_day(session):
    client = add_client(session)
    account = add_account(session, client)
    # the liked item is a customer's, two days later than anything else
    upsert_items(session, account.id, [item("7", minutes=2 * 1440)])
    upsert_likes(session, [LikeRecord("x", "7", "555", "jana_agency", is_own=False)])
    session.query(RollupDirty).delete()
    session.commit()

    # the same like seen again, now known to be the agency's: the flag flips
    upsert_likes(session, [LikeRecord("x", "7", "555", "jana_agency", is_own=True)])
    session.commit()
    assert session.scalar(select(Like.is_own)) is True
    assert _dirty(session) == {(account.id, (T0 + timedelta(days=2)).date())}

    # and back through refresh_own_flags when no identity says so
    session.query(RollupDirty).delete()
    session.commit()
    assert refresh_own_flags(session, client.id) == 0  # no item changed
    session.commit()
    assert session.scalar(select(Like.is_own)) is False
    assert _dirty(session) == {(account.id, (T0 + timedelta(days=2)).date())}


def test_an_edited_text_is_classified_again_and_a_mention_place_is_kept(session):
    from metrics import api

    account = add_account(session, add_client(session))
    first = item("1", text="Danke!", mentions_account=True, mention_place="text")
    upsert_items(session, account.id, [first])
    session.commit()
    api.refresh(session, now=T0 + timedelta(days=1))
    session.commit()
    stored = _rows(session)["1"]
    assert (stored.is_question, stored.is_ack_text) == (False, True)
    # seen again from an endpoint that cannot tell where the mention stands: kept
    upsert_items(session, account.id, [changed(first, mention_place=None)])
    assert _rows(session)["1"].mention_place == "text"
    # the text was edited: the classifications are redone on the next refresh
    upsert_items(session, account.id, [changed(first, text="Wann habt ihr offen?")])
    stored = _rows(session)["1"]
    assert (stored.is_question, stored.is_ack_text) == (None, None)
    api.refresh(session, now=T0 + timedelta(days=1))
    session.commit()
    assert (_rows(session)["1"].is_question, _rows(session)["1"].is_ack_text) == (True, False)


def test_a_sighting_without_the_author_keeps_the_known_handle_and_permalink(session):
    """Issue 14.4: an X lookup without the author in includes.users erased the handle and
    turned the permalink into /i/status/…; unknown (None) never replaces known."""
    account = add_account(session, add_client(session))
    first = item("7", handle="anna_k", permalink="https://x.com/anna_k/status/7", text="Hallo")
    upsert_items(session, account.id, [first])
    session.commit()
    blind = changed(first, author_handle=None, permalink=None, like_count=3)
    result = upsert_items(session, account.id, [blind])
    session.commit()
    assert (result.new, result.updated) == (0, 1)  # the count changed, nothing else
    row = _rows(session)["7"]
    assert (row.author_handle, row.permalink) == ("anna_k", "https://x.com/anna_k/status/7")
    assert (row.author_id, row.like_count, row.text) == ("900", 3, "Hallo")
    # Unknown everything: nothing changes, and it is not counted as an update.
    unknown = changed(first, author_id=None, author_handle=None, permalink=None, text=None,
                      like_count=None, reply_count=None, repost_count=None)  # fmt: skip
    assert upsert_items(session, account.id, [unknown]).unchanged == 1
    session.commit()
    row = _rows(session)["7"]
    assert (row.author_id, row.author_handle, row.text, row.like_count) == (
        "900", "anna_k", "Hallo", 3)  # fmt: skip


def test_unknown_counts_and_text_keep_the_stored_ones_but_known_zeros_replace_them(session):
    account = add_account(session, add_client(session))
    stored = item("8", text="Wann habt ihr offen?", like_count=7, reply_count=2, repost_count=1)
    fresh = item("9", text=None, like_count=None, reply_count=None, repost_count=None)
    upsert_items(session, account.id, [stored, fresh])
    session.commit()
    rows = _rows(session)
    # A new item that does not know its counts or text stores 0 and "".
    assert (rows["9"].text, rows["9"].like_count, rows["9"].reply_count) == ("", 0, 0)
    # One batch mixing a record that knows nothing with one that knows the counts are 0.
    batch = [
        changed(stored, text=None, like_count=None, reply_count=None, repost_count=None),
        changed(fresh, text="Danke", like_count=0, reply_count=0, repost_count=0),
    ]
    upsert_items(session, account.id, batch)
    session.commit()
    rows = _rows(session)
    assert (rows["8"].text, rows["8"].like_count, rows["8"].reply_count,
            rows["8"].repost_count) == ("Wann habt ihr offen?", 7, 2, 1)  # fmt: skip
    assert (rows["9"].text, rows["9"].like_count) == ("Danke", 0)
    upsert_items(session, account.id, [changed(stored, like_count=0, reply_count=0)])
    session.commit()
    assert (_rows(session)["8"].like_count, _rows(session)["8"].reply_count) == (0, 0)


def test_a_like_seen_without_the_likers_handle_keeps_the_known_handle(session):
    account = add_account(session, add_client(session))
    upsert_items(session, account.id, [item("10")])
    upsert_likes(session, [LikeRecord("x", "10", "900", "anna_k", False)])
    upsert_likes(session, [LikeRecord("x", "10", "900", None, False)])
    session.commit()
    assert session.scalars(select(Like.liker_handle)).all() == ["anna_k"]
