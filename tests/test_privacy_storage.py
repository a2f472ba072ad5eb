"""Issue 22: the retention purge, erasure and access (storage/privacy.py), on both databases.

The figures of past weeks must not move when texts go: the rollups and verdicts are
compared before and after a purge, after the incremental refresh and after a rebuild.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from metrics import api
from metrics.periods import iso_week
from storage.models import (
    AccountWeek,
    ClientWeek,
    ErasedAuthor,
    Item,
    ItemFact,
    Like,
    PurgeReason,
)
from storage.platforms import platform
from storage.privacy import (
    KeyMismatch,
    Pseudonyms,
    check_key,
    erased_digests,
    forget_author,
    months_before,
    pseudonyms_in_use,
    purge_expired,
    stored_about,
)
from storage.records import LikeRecord
from storage.upsert import upsert_items, upsert_likes
from tests.support.factories import T0, add_account, add_client, item

KEY = Pseudonyms(b"k" * 40)
W47 = iso_week("2026-W47")
YOUNG = 40 * 1440  # minutes after T0: 2026-12-26, inside the retention at NOW
CUTOFF = 30 * 1440 + 180  # minutes after T0: 2026-12-16 12:00 UTC, 13 months before NOW
# 14 months after T0: with 13 months' retention everything before 2026-12-16 is due.
NOW = datetime(2028, 1, 16, 12, tzinfo=UTC)


def own(item_id, **fields):
    return item(item_id, author="100", handle="huber", own=True, **fields)


def records():
    """Week 47: questions answered and not; a regular whose later (young) message in the
    same thread is what answers the old one (METRICS.md rule 2); a young conversation."""
    return [
        own("p1", kind="post", text="Neue Brezeln!"),
        item("c1", author="901", handle="anna", parent="p1", minutes=5,
             text="Wann habt ihr offen?", permalink="https://x.com/anna/status/c1"),
        own("a1", parent="c1", root="p1", minutes=40, text="@anna ab 6 Uhr"),
        item("c2", author="902", handle="ben", parent="p1", minutes=60,
             text="Gibt es die auch glutenfrei?", permalink="https://x.com/ben/status/c2"),
        # Ben asks again in the same thread weeks later; that message gets the answer.
        item("c3", author="902", handle="ben", parent="p1", minutes=YOUNG,
             text="Hallo? Glutenfrei?", permalink="https://x.com/ben/status/c3"),
        own("a3", parent="c3", root="p1", minutes=YOUNG + 30, text="@ben leider nein"),
        # Around the cutoff (2026-12-16 12:00): Emil's first message is due, his second,
        # two hours later, is not; the answer to the second answers both (rule 2).
        own("p3", kind="post", minutes=CUTOFF - 120, text="Lebkuchen"),
        item("c5", author="905", handle="emil", parent="p3", minutes=CUTOFF - 60,
             text="Mit Nüssen?"),
        item("c6", author="905", handle="emil", parent="p3", minutes=CUTOFF + 60,
             text="Ohne Nüsse?"),
        own("a6", parent="c6", root="p3", minutes=CUTOFF + 90, text="@emil beides"),
        own("p2", kind="post", minutes=YOUNG + 60, text="Weihnachtsstollen"),
        item("c4", author="903", handle="cleo", parent="p2", minutes=YOUNG + 70,
             text="Reserviert ihr einen?", permalink="https://x.com/cleo/status/c4"),
    ]  # fmt: skip


def figures(session):
    """Every stored weekly figure except when it was computed."""

    def rows(model):
        columns = [c.key for c in inspect(model).columns if c.key != "computed_at"]
        return sorted(
            tuple(getattr(row, name) for name in columns) for row in session.scalars(select(model))
        )

    return rows(AccountWeek), rows(ClientWeek)


def verdicts(session, account_id):
    found = {}
    for week in (W47, iso_week("2026-W51"), iso_week("2026-W52")):
        metrics = api.account_metrics(session, account_id, week, now=NOW)
        found[week.label] = (metrics.verdict.verdict, metrics.verdict.inputs, metrics.inbound)
    return found


@pytest.fixture
def stocked(session):
    account = add_account(session, add_client(session))
    upsert_items(session, account.id, records(), seen_at=NOW)
    upsert_likes(
        session,
        [
            LikeRecord("x", "p1", "904", "dora", False, T0 + timedelta(minutes=9)),
            LikeRecord("x", "p2", "904", "dora", False, T0 + timedelta(minutes=YOUNG + 80)),
        ],
        seen_at=NOW,
    )
    session.commit()
    api.refresh(session, now=NOW)
    session.commit()
    return account


def rule(session, item_id):
    """Whether the metrics count an item answered, and by which rule (METRICS.md)."""
    return (
        session.execute(
            select(ItemFact.answered, ItemFact.answer_rule)
            .join(Item, Item.id == ItemFact.item_id)
            .where(Item.platform_item_id == item_id)
        )
        .one()
        ._tuple()
    )


def by_id(session):
    return {i.platform_item_id: i for i in session.scalars(select(Item))}


def test_months_before_keeps_the_day_or_takes_the_months_last():
    assert months_before(datetime(2028, 1, 16, tzinfo=UTC), 13) == datetime(
        2026, 12, 16, tzinfo=UTC
    )
    assert months_before(datetime(2027, 3, 31, tzinfo=UTC), 1) == datetime(2027, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2028, 3, 31, tzinfo=UTC), 13) == datetime(2027, 2, 28, tzinfo=UTC)


def test_purge_removes_old_texts_and_keeps_every_figure(session, stocked):
    before, verdicts_before = figures(session), verdicts(session, stocked.id)
    assert verdicts_before["2026-W47"][2] == 2  # two inbound items in week 47

    dry = purge_expired(session, None, NOW, dry_run=True)
    session.rollback()
    assert (dry[0].items, dry[0].likes, dry[0].waiting) == (3, 1, 0)
    assert by_id(session)["c1"].text == "Wann habt ihr offen?"  # a dry run changes nothing

    [result] = purge_expired(session, KEY, NOW)
    session.commit()
    assert (result.items, result.likes, result.related, result.waiting) == (3, 1, 2, 0)
    assert result.cutoff == datetime(2026, 12, 16, 12, tzinfo=UTC)

    items = by_id(session)
    for name in ("c1", "c2"):
        purged = items[name]
        assert (purged.text, purged.author_handle, purged.permalink) == ("", None, None)
        assert purged.author_id.startswith("anon:") and purged.purge_reason == "retention"
        assert purged.purged_at == NOW and purged.is_question is True
    assert items["c1"].author_id != items["c2"].author_id
    # Ben's young message keeps its words but shares the pseudonym of his old one.
    assert items["c3"].author_id == items["c2"].author_id
    assert (items["c3"].text, items["c3"].author_handle) == ("Hallo? Glutenfrei?", "ben")
    assert items["c3"].purged_at is None
    assert items["c4"].author_id == "903" and items["c4"].text == "Reserviert ihr einen?"
    assert items["c6"].author_id == items["c5"].author_id != "905"
    assert rule(session, "c5") == (True, 2)  # answered through Emil's later message
    # The metrics' facts keep no raw id of the purged authors, also not as the customer an
    # own reply answers; the pseudonyms agree with the items'.
    keys = session.execute(select(ItemFact.author_key, ItemFact.customer_key)).all()
    assert not {"901", "902", "905"} & {key for pair in keys for key in pair}
    assert (items["c1"].author_id, None) in {tuple(pair) for pair in keys}
    assert ("100", items["c1"].author_id) in {tuple(pair) for pair in keys}  # a1 answers c1
    assert items["a1"].text == "@anna ab 6 Uhr" and items["p1"].author_handle == "huber"
    likes = {like.liked_at: like for like in session.scalars(select(Like))}
    old, young = likes[T0 + timedelta(minutes=9)], likes[T0 + timedelta(minutes=YOUNG + 80)]
    assert old.liker_id.startswith("anon:") and old.liker_handle is None
    assert (young.liker_id, young.liker_handle) == ("904", "dora")

    api.refresh(session, now=NOW)
    session.commit()
    assert figures(session) == before
    assert verdicts(session, stocked.id) == verdicts_before
    api.rebuild(session, now=NOW)
    session.commit()
    assert figures(session) == before
    assert verdicts(session, stocked.id) == verdicts_before
    assert rule(session, "c5") == (True, 2)

    [again] = purge_expired(session, KEY, NOW)
    assert (again.items, again.likes, again.related) == (0, 0, 0)
    [next_day] = purge_expired(session, KEY, NOW + timedelta(days=1))
    assert (next_day.items, next_day.related) == (1, 0)  # Emil's second message; same pseudonym
    session.commit()
    assert by_id(session)["c6"].author_id == by_id(session)["c5"].author_id


def test_items_without_computed_facts_wait_for_the_metrics(session):
    account = add_account(session, add_client(session, retention_months=1))
    upsert_items(session, account.id, [item("c9", text="Hallo", minutes=5)], seen_at=NOW)
    session.commit()
    [result] = purge_expired(session, KEY, NOW)
    assert (result.items, result.waiting) == (0, 1)
    assert by_id(session)["c9"].text == "Hallo"
    # Nothing done, no key used: collections do not need one yet.
    assert not pseudonyms_in_use(session)


def test_later_sightings_do_not_bring_purged_data_back(session, stocked):
    purge_expired(session, KEY, NOW)
    session.commit()
    pseudonym = by_id(session)["c1"].author_id
    upsert_items(
        session, stocked.id, [r for r in records() if r.platform_item_id == "c1"], seen_at=NOW
    )
    session.commit()
    session.expire_all()
    again = by_id(session)["c1"]
    assert (again.text, again.author_handle, again.permalink) == ("", None, None)
    assert again.author_id == pseudonym
    assert again.is_question is True  # the text's classification stays with the facts


def test_forget_removes_one_author_everywhere_and_lists_only_a_digest(session, stocked):
    before = figures(session)
    result = forget_author(session, KEY, platform("x"), "@Ben", NOW)
    session.commit()
    assert (result.items, result.likes, result.listed) == (2, 0, True)
    assert result.mentions == 1  # "@ben leider nein"
    items = by_id(session)
    assert {items["c2"].purge_reason, items["c3"].purge_reason} == {PurgeReason.ERASURE}
    assert items["c3"].text == "" and items["c3"].author_handle is None
    assert items["c2"].author_id == items["c3"].author_id
    assert items["c2"].author_id.startswith("anon:")
    assert items["a3"].text == "@[removed] leider nein"
    assert items["c1"].text == "Wann habt ihr offen?"  # others keep theirs
    listed = session.scalars(select(ErasedAuthor.digest)).all()
    assert len(listed) == 2  # the id 902 and the handle, as keyed hashes
    assert not {"902", "ben", "@ben"} & set(listed)
    assert set(listed) <= erased_digests(session, "x", stocked.client_id)
    api.rebuild(session, now=NOW)
    session.commit()
    assert figures(session) == before

    # Asked again: already on the list; by id the pseudonymised items are still found.
    assert forget_author(session, KEY, platform("x"), "@ben", NOW).listed is False
    assert forget_author(session, KEY, platform("x"), "902", NOW).items == 2


def test_export_lists_what_is_stored_about_one_author(session, stocked):
    data = stored_about(session, KEY, "x", "@cleo", NOW)
    assert [i["text"] for i in data["items"]] == ["Reserviert ihr einen?"]
    assert data["items"][0]["author_id"] == "903" and data["erasure"] == []
    liker = stored_about(session, KEY, "x", "dora", NOW)
    assert len(liker["likes"]) == 2 and liker["items"] == []

    forget_author(session, KEY, platform("x"), "cleo", NOW)
    session.commit()
    data = stored_about(session, KEY, "x", "903", NOW)
    assert [i["text"] for i in data["items"]] == [""]
    assert data["items"][0]["author_handle"] is None
    assert len(data["erasure"]) == 1 and data["erasure"][0]["client"] is None


def test_another_key_is_refused_once_pseudonyms_exist(session, stocked):
    purge_expired(session, KEY, NOW)
    session.commit()
    with pytest.raises(KeyMismatch, match="privacy key"):
        check_key(session, Pseudonyms(b"x" * 40), NOW)
    check_key(session, KEY, NOW)  # the same key passes


def test_forgetting_in_one_client_leaves_the_others_alone(session):
    from collectors.contract import Batch
    from collectors.privacy import PrivacyBoundary

    huber, lindner = add_client(session, "Huber"), add_client(session, "Lindner")
    for client, prefix in ((huber, "h"), (lindner, "l")):
        account = add_account(session, client, "x", f"@{prefix}shop", f"10{prefix}")
        upsert_items(session, account.id, [
            item(f"{prefix}1", author="100", own=True, kind="post"),
            item(f"{prefix}2", author="901", handle="anna_k", parent=f"{prefix}1",
                 text=f"Hallo {prefix}"),
        ], seen_at=NOW)  # fmt: skip
    session.commit()
    result = forget_author(session, KEY, platform("x"), "@anna_k", NOW, client=huber)
    session.commit()
    assert (result.items, result.client) == (1, "Huber")
    items = by_id(session)
    assert (items["h2"].text, items["h2"].purge_reason) == ("", "erasure")
    assert (items["l2"].text, items["l2"].author_id) == ("Hallo l", "901")
    assert erased_digests(session, "x", lindner.id) == frozenset()
    assert len(erased_digests(session, "x", huber.id)) == 2

    # What a collection of each client would store of Anna's next message.
    def seen_by(client):
        boundary = PrivacyBoundary("x", client.id, NOW, lambda: KEY.key)
        record = item("n1", author="901", handle="anna_k", parent="h1", text="Und?")
        [stored] = boundary.apply(session, Batch(items=[record])).items
        return stored.author_id, stored.author_handle, stored.text, stored.purged

    assert seen_by(huber) == (items["h2"].author_id, None, "", "erasure")
    assert seen_by(lindner) == ("901", "anna_k", "Und?", None)
