"""The rules of docs/metrics.md on small hand-built threads, on SQLite and PostgreSQL.

Times are minutes after T0 = Monday 16 November 2026, 09:00 UTC (10:00 in Berlin).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from metrics import api
from metrics.labels import Verdict
from metrics.periods import iso_week, week_index
from storage.models import Identity, ItemFact, RollupDirty
from storage.own_side import refresh_own_flags
from storage.records import LikeRecord
from storage.upsert import mark_removed, upsert_items, upsert_likes
from tests.support.factories import T0, add_account, add_client, item
from tests.support.rollups import client_weeks_from_facts, stored_client_weeks

W47 = iso_week("2026-W47")
LATER = T0 + timedelta(days=30)  # every answer window has passed


def own(item_id, **fields):
    return item(item_id, author="100", own=True, **fields)


def roles(session) -> dict[str, str]:
    rows = session.execute(select(ItemFact.item_id, ItemFact.role).order_by(ItemFact.item_id)).all()
    from storage.models import Item

    keys = dict(session.execute(select(Item.id, Item.platform_item_id)).all())
    return {keys[item_id]: role for item_id, role in rows}


def facts(session) -> dict[str, ItemFact]:
    from storage.models import Item

    keys = dict(session.execute(select(Item.id, Item.platform_item_id)).all())
    return {
        keys[f.item_id]: f
        for f in session.scalars(select(ItemFact).execution_options(populate_existing=True))
    }


def load(session, account, records, now=LATER):
    upsert_items(session, account.id, records)
    session.commit()
    result = api.refresh(session, now=now)
    session.commit()
    return result


def test_what_counts_as_post_reply_and_inbound(session):
    account = add_account(session, add_client(session))
    load(
        session,
        account,
        [
            own("1", kind="post"),
            item("2", parent="1", minutes=5),  # comment on an own post
            # a customer answering another in an own thread: customer conversation
            item("3", author="901", parent="2", root="1", minutes=6),
            own("4", parent="3", root="1", minutes=7),  # own reply to a customer
            own("5", parent="4", root="1", minutes=8),  # own thread continuation "2/2"
            item("6", author="902", kind="post", minutes=9),  # a customer's own thread
            item("7", author="903", parent="6", minutes=10),  # customers among themselves
            item("8", author="904", kind="mention", mentions_account=True, minutes=11),
            item("9", author="905", parent="6", mentions_account=True, minutes=12),
            own("10", kind="repost", minutes=13),
            item("11", author="906", kind="repost", minutes=14),
            own("12", parent="gone", root="gone", minutes=15),  # parent not stored
        ],
    )
    assert roles(session) == {
        "1": "post",
        "2": "inbound",
        "3": "conversation",
        "4": "own_reply",
        "5": "own_thread",
        "6": "conversation",
        "7": "conversation",
        "8": "inbound",
        "9": "inbound",
        "10": "own_repost",
        "11": "other",
        "12": "own_reply",
    }
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert (metrics.posts, metrics.own_replies, metrics.own_thread, metrics.reposts) == (1, 2, 1, 1)
    assert metrics.inbound == 3
    assert metrics.customer_conversation == 3
    assert metrics.dialogue_share == 2 / 3


def test_visitor_posts_on_a_page_are_inbound(session):
    account = add_account(session, add_client(session), platform="facebook", handle="huberpage")
    load(
        session,
        account,
        [
            item("p_1", author="555", kind="visitor_post", platform="facebook"),
            item("p_1_2", author="100", own=True, kind="comment", parent="p_1", minutes=20,
                 platform="facebook"),
        ],
    )  # fmt: skip
    found = facts(session)
    assert (found["p_1"].role, found["p_1"].answered, found["p_1"].answer_rule) == (
        "inbound",
        True,
        1,
    )
    assert found["p_1"].response_us == 20 * 60 * 10**6


def test_rule_1_direct_reply_and_the_answer_window(session):
    account = add_account(session, add_client(session, answer_window_hours=24))
    load(
        session,
        account,
        [
            own("1", kind="post"),
            item("2", parent="1", minutes=10),
            own("3", parent="2", root="1", minutes=40),  # 30 minutes later: answered
            item("4", author="901", parent="1", minutes=60),
            own("5", parent="4", root="1", minutes=60 + 25 * 60),  # 25 h later: too late
        ],
    )
    found = facts(session)
    assert (found["2"].answered, found["2"].answer_rule, found["2"].response_us) == (
        True,
        1,
        30 * 60 * 10**6,
    )
    assert not found["4"].answered
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert (metrics.answered, metrics.missed, metrics.waiting) == (1, 1, 0)
    assert metrics.response_time.median == timedelta(minutes=30)


def test_rule_2_an_answer_covers_the_authors_burst(session):
    account = add_account(session, add_client(session))
    load(
        session,
        account,
        [
            own("1", kind="post"),
            item("2", parent="1", minutes=1, text="Hallo"),
            item("3", parent="2", root="1", minutes=2, text="ich hätte eine Frage"),
            item("4", parent="3", root="1", minutes=3, text="wann habt ihr offen?"),
            own("5", parent="4", root="1", minutes=30),  # answers the last message
            item("6", author="901", parent="1", minutes=4),  # someone else: not covered
        ],
    )
    found = facts(session)
    assert [found[k].answer_rule for k in ("2", "3", "4")] == [2, 2, 1]
    assert [found[k].response_us // 60_000_000 for k in ("2", "3", "4")] == [29, 28, 27]
    assert not found["6"].answered


def test_rule_3_flat_threads_answer_under_the_top_level_comment(session):
    account = add_account(session, add_client(session), platform="instagram", handle="@huber")

    def comment(item_id, parent, minutes, **fields):
        return item(item_id, kind="comment", parent=parent, root="m", minutes=minutes,
                    platform="instagram", **fields)  # fmt: skip

    load(
        session,
        account,
        [
            item("m", author="100", own=True, kind="post", platform="instagram"),
            comment("c1", "m", 1),  # top-level comment by a customer
            comment("c2", "c1", 2),  # the same customer again under it (a follow-up)
            comment("c3", "c1", 3, author="100", own=True),  # the account answers under it
            # another customer asks the account under it, after the answer: not covered
            comment("c4", "c1", 4, author="902", mentions_account=True),
            comment("c5", "m", 5, author="903"),  # a different top-level comment
            comment("c6", "c1", 6, author="904"),  # a customer answering the first one
        ],
    )
    found = facts(session)
    assert (found["c1"].answer_rule, found["c2"].answer_rule) == (1, 3)
    assert found["c2"].response_us == 60 * 10**6
    assert (found["c4"].role, found["c5"].role) == ("inbound", "inbound")
    assert not found["c4"].answered and not found["c5"].answered
    assert found["c6"].role == "conversation"


def test_likes_deletions_and_other_clients_are_not_answers(session):
    client = add_client(session)
    account = add_account(session, client)
    other = add_account(session, add_client(session, name="Konkurrenz"), handle="@rival",
                        platform_account_id="200")  # fmt: skip
    load(
        session,
        account,
        [
            own("1", kind="post"),
            item("2", parent="1", minutes=1, text="Gibt es heute Brezen"),
            item("3", author="901", parent="1", minutes=2),
            item("4", author="902", parent="1", minutes=3),
        ],
    )
    # another business's account replies in the thread: not an answer for this client
    upsert_items(session, other.id, [item("5", author="200", own=True, parent="4", root="1",
                                          minutes=10)])  # fmt: skip
    upsert_likes(session, [LikeRecord("x", "2", "100", "huber", is_own=True)])
    mark_removed(session, "x", ["3"], reason="hidden", at=T0 + timedelta(hours=2))
    session.commit()
    api.refresh(session, now=LATER)
    session.commit()
    found = facts(session)
    assert not any(found[k].answered for k in ("2", "3", "4"))
    assert found["2"].liked_by_own and found["3"].removed
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert (metrics.missed, metrics.liked_not_answered, metrics.removed_inbound) == (3, 1, 1)
    assert metrics.questions == 1 and metrics.missed_questions == 1
    assert [i.platform_item_id for i in api.liked_not_answered_items(
        session, account_id=account.id, period=W47, now=LATER)] == ["2"]  # fmt: skip
    removed = api.removed_items(session, account_id=account.id, period=W47, now=LATER)
    assert [(i.platform_item_id, i.removed_reason) for i in removed] == [("3", "hidden")]


def test_waiting_until_the_window_passes_then_missed(session):
    account = add_account(session, add_client(session, answer_window_hours=72))
    load(session, account, [own("1", kind="post"), item("2", parent="1", minutes=60)])
    during = T0 + timedelta(hours=50)
    metrics = api.account_metrics(session, account.id, W47, now=during)
    assert (metrics.waiting, metrics.missed, metrics.response_ratio) == (1, 0, None)
    assert metrics.oldest_waiting_age == timedelta(hours=49)
    waiting = api.waiting_items(session, account_id=account.id, period=W47, now=during)
    assert [(i.platform_item_id, i.settles_at) for i in waiting] == [
        ("2", T0 + timedelta(hours=73))
    ]
    after = api.account_metrics(session, account.id, W47, now=T0 + timedelta(hours=74))
    assert (after.waiting, after.missed, after.response_ratio) == (0, 1, 0.0)
    assert api.waiting_items(session, account_id=account.id, period=W47,
                             now=T0 + timedelta(hours=74)) == []  # fmt: skip


def test_business_hours_friday_evening_message_answered_monday(session):
    client = add_client(session, business_hours="mon-fri 09:00-17:00", response_target_minutes=30,
                        time_zone="Europe/Berlin")  # fmt: skip
    account = add_account(session, client)
    friday = datetime(2026, 11, 20, 15, 45, tzinfo=UTC)  # 16:45 in Berlin
    records = [
        own("1", kind="post"),
        item("2", parent="1", minutes=(friday - T0).total_seconds() / 60),
        own("3", parent="2", root="1",
            minutes=(datetime(2026, 11, 23, 8, 10, tzinfo=UTC) - T0).total_seconds() / 60),
    ]  # fmt: skip
    load(session, account, records)
    found = facts(session)["2"]
    assert found.response_us == (datetime(2026, 11, 23, 8, 10, tzinfo=UTC) - friday) // timedelta(
        microseconds=1
    )
    # 15 minutes on Friday, 10 on Monday morning (09:00-09:10 Berlin)
    assert found.business_us == 25 * 60 * 10**6
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert metrics.within_target == 1 and metrics.within_target_ratio == 1.0
    assert metrics.business_response_time.median == timedelta(minutes=25)


def test_an_identity_turns_history_into_answers_after_refresh(session):
    client = add_client(session)
    account = add_account(session, client)
    load(
        session,
        account,
        [
            own("1", kind="post"),
            item("2", parent="1", minutes=1),
            item("3", author="777", handle="@jana_agency", parent="2", root="1", minutes=9),
        ],
    )
    assert not facts(session)["2"].answered
    session.add(Identity(client_id=client.id, platform="x", handle="@jana_agency"))
    session.flush()
    refresh_own_flags(session, client.id)
    session.commit()
    result = api.refresh(session, now=LATER)
    session.commit()
    assert result.marks == 1
    assert facts(session)["2"].answered and roles(session)["3"] == "own_reply"


def test_refresh_is_transactional_and_idempotent(session):
    account = add_account(session, add_client(session))
    upsert_items(session, account.id, [own("1", kind="post"), item("2", parent="1", minutes=1)])
    session.commit()
    # a refresh whose transaction is rolled back (a crash) leaves its claim behind
    first = api.refresh(session, now=LATER)
    assert first.items == 2
    session.rollback()
    assert session.scalar(select(RollupDirty.account_id)) == account.id
    assert session.scalar(select(ItemFact.item_id)) is None
    again = api.refresh(session, now=LATER)
    session.commit()
    assert (again.marks, again.items, again.account_weeks) == (1, 2, 1)
    nothing = api.refresh(session, now=LATER)
    session.commit()
    assert nothing.nothing_to_do and nothing.marks == 0


def test_only_the_touched_threads_are_recomputed(session):
    account = add_account(session, add_client(session))
    load(session, account, [own("1", kind="post"), item("2", parent="1", minutes=1),
                            own("10", kind="post", minutes=5 * 1440)])  # fmt: skip
    # a late answer in the first thread, a week later
    result = load(session, account, [own("3", parent="2", root="1", minutes=2 * 1440)])
    assert (result.threads, result.items) == (1, 3)
    assert facts(session)["2"].answered


def test_a_changed_sla_does_not_rewrite_past_weeks(session):
    client = add_client(session, response_target_minutes=240)
    account = add_account(session, client)
    records = [own("1", kind="post")]
    for n in range(6):  # six questions answered after 2 hours each
        records += [
            item(f"q{n}", author=f"9{n}", parent="1", minutes=10 * n),
            own(f"a{n}", parent=f"q{n}", root="1", minutes=10 * n + 120),
        ]
    during_w48 = T0 + timedelta(days=8)
    load(session, account, records, now=during_w48)
    assert api.account_metrics(session, account.id, W47, now=during_w48).verdict.verdict == (
        Verdict.RESPONSIVE
    )
    # the contract now promises answers within 1 hour; week 47 has ended
    client.response_target_minutes = 60
    session.commit()
    api.refresh(session, now=during_w48)
    session.commit()
    past = api.account_metrics(session, account.id, W47, now=during_w48)
    assert past.settings.response_target == timedelta(hours=4)
    assert (past.within_target, past.verdict.verdict) == (6, Verdict.RESPONSIVE)
    # a rebuild keeps history too, unless asked to apply today's settings
    api.rebuild(session, now=during_w48)
    session.commit()
    assert api.account_metrics(session, account.id, W47, now=during_w48).within_target == 6
    api.rebuild(session, now=during_w48, current_settings=True)
    session.commit()
    rewritten = api.account_metrics(session, account.id, W47, now=during_w48)
    assert rewritten.settings.response_target == timedelta(hours=1)
    assert (rewritten.within_target, rewritten.verdict.verdict) == (0, Verdict.PARTLY_RESPONSIVE)


def test_the_running_week_follows_changed_settings(session):
    client = add_client(session, answer_window_hours=72)
    account = add_account(session, client)
    during = T0 + timedelta(days=2)
    load(session, account, [own("1", kind="post"), item("2", parent="1", minutes=1),
                            own("3", parent="2", root="1", minutes=30 * 60)], now=during)  # fmt: skip
    assert facts(session)["2"].answered
    client.answer_window_hours = 24  # week 47 is still running: it follows
    session.commit()
    result = api.refresh(session, now=during)
    session.commit()
    assert result.items == 3
    assert not facts(session)["2"].answered


def test_a_corrected_time_zone_moves_items_between_weeks(session):
    client = add_client(session, time_zone="UTC")
    account = add_account(session, client)
    sunday_late = (datetime(2026, 11, 22, 23, 30, tzinfo=UTC) - T0).total_seconds() / 60
    load(session, account, [own("1", kind="post", minutes=sunday_late)])
    assert api.account_metrics(session, account.id, W47, now=LATER).posts == 1
    client.time_zone = "Europe/Berlin"  # 00:30 on Monday: week 48
    session.commit()
    api.refresh(session, now=LATER)
    session.commit()
    assert api.account_metrics(session, account.id, W47, now=LATER).posts == 0
    assert api.account_metrics(session, account.id, iso_week("2026-W48"), now=LATER).posts == 1
    assert stored_client_weeks(session) == client_weeks_from_facts(session)
    w48 = week_index(iso_week("2026-W48").start)
    assert [row[:3] for row in stored_client_weeks(session)] == [(client.id, w48, 1)]


def test_times_keep_their_microseconds_on_both_databases(session):
    account = add_account(session, add_client(session))
    late = T0 + timedelta(seconds=59, microseconds=999_700)  # SQLite would round this up
    load(
        session,
        account,
        [
            own("1", kind="post"),
            item("2", parent="1", minutes=(late - T0).total_seconds() / 60),
            own("3", parent="2", root="1", minutes=(late - T0).total_seconds() / 60 + 1),
        ],
    )
    found = facts(session)["2"]
    assert found.created_us == (late - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
        microseconds=1
    )
    assert found.response_us == 60 * 10**6


def test_a_purged_account_leaves_the_client_totals(session):
    from sqlalchemy import delete

    from storage.models import Account

    client = add_client(session)
    kept = add_account(session, client)
    purged = add_account(session, client, platform="facebook", handle="huberpage",
                         platform_account_id="100")  # fmt: skip
    load(session, kept, [own("1", kind="post"), item("2", parent="1", minutes=1)])
    load(session, purged, [
        item("f1", author="100", own=True, kind="post", platform="facebook", minutes=2),
        item("f2", author="100", own=True, kind="post", platform="facebook", minutes=-7 * 1440),
    ])  # fmt: skip
    assert api.client_metrics(session, client.id, W47, now=LATER).posts == 2
    w46 = iso_week("2026-W46")
    assert api.client_metrics(session, client.id, w46, now=LATER).posts == 1
    # account remove --purge: the account goes with its items, facts and rollups
    session.execute(delete(Account).where(Account.id == purged.id))
    session.commit()
    result = api.refresh(session, now=LATER)
    session.commit()
    assert result.client_weeks == 1  # week 47 again; week 46 had only the purged account
    after = api.client_metrics(session, client.id, W47, now=LATER)
    assert (after.posts, after.inbound, [a.subject.id for a in after.accounts]) == (1, 1, [kept.id])
    assert api.client_metrics(session, client.id, w46, now=LATER).posts == 0
    assert api.refresh(session, now=LATER).nothing_to_do
    # The client weeks add up the accounts' weeks: still what the facts say.
    assert stored_client_weeks(session) == client_weeks_from_facts(session)
    assert len(stored_client_weeks(session)) == 1


def test_every_way_of_deleting_an_account_marks_its_client_for_the_refresh(session):
    from sqlalchemy import delete

    from storage.models import Account, Client, ClientWeek, RollupDirtyClient

    def marked() -> list[int]:
        return sorted(session.scalars(select(RollupDirtyClient.client_id)))

    shop, bakery = add_client(session, "Shop"), add_client(session, "Bakery")
    kept = add_account(session, shop)
    by_orm = add_account(session, shop, platform="facebook", handle="shoppage",
                         platform_account_id="100")  # fmt: skip
    by_cascade = add_account(session, bakery, handle="bakery")
    load(session, kept, [own("1", kind="post"), item("2", parent="1", minutes=1)])
    load(session, by_orm, [
        item("f1", author="100", own=True, kind="post", platform="facebook", minutes=2),
    ])  # fmt: skip
    load(session, by_cascade, [own("b1", kind="post")])
    assert marked() == []
    session.delete(by_orm)  # the ORM's delete: the trigger sees it like any other
    session.flush()
    assert marked() == [shop.id]
    result = api.refresh(session, now=LATER)
    session.commit()
    assert marked() == [] and result.client_weeks == 1
    assert api.client_metrics(session, shop.id, W47, now=LATER).posts == 1
    # a client removed with its accounts: its rollups are gone, the mark leads nowhere
    session.execute(delete(Client).where(Client.id == bakery.id))
    session.commit()
    assert marked() == [bakery.id]
    assert session.scalar(select(Account.id).where(Account.id == by_cascade.id)) is None
    assert api.refresh(session, now=LATER).client_weeks == 0
    session.commit()
    assert marked() == []
    assert session.scalars(select(ClientWeek.client_id).distinct()).all() == [shop.id]
    # a rebuild computes every week again: it takes the marks too
    session.execute(delete(Account).where(Account.id == kept.id))
    assert marked() == [shop.id]
    api.rebuild(session, now=LATER)
    session.commit()
    assert marked() == [] and session.scalars(select(ClientWeek.client_id)).all() == []


# --- version 2: who is addressed, acknowledgments, answer quality ---------------------------


def test_customer_conversation_and_follow_ups(session):
    account = add_account(session, add_client(session))
    load(
        session,
        account,
        [
            own("1", kind="post"),
            item("2", author="901", parent="1", minutes=1, text="Habt ihr heute offen?"),
            # another customer answers, the shop only in X's reply prefix: conversation
            item("3", author="902", parent="2", root="1", minutes=2, mentions_account=True,
                 mention_place="prefix", text="@user901 @shop ja, bis 18 Uhr"),
            # the same, but naming the shop in his own words: addressed
            item("4", author="903", parent="2", root="1", minutes=3, mentions_account=True,
                 mention_place="text", text="@user901 frag doch @shop direkt"),
            # the first customer writes again under the other's answer: a follow-up (rule 4)
            item("5", author="901", parent="3", root="1", minutes=4, text="und am Samstag?"),
            own("6", parent="5", root="1", minutes=10, text="Samstag bis 12 Uhr!"),
            # after the answer, writing to the other customer again is conversation
            item("7", author="901", parent="3", root="1", minutes=12, text="@user902 danke dir"),
        ],
    )  # fmt: skip
    assert {k: v for k, v in roles(session).items() if k != "1"} == {
        "2": "inbound", "3": "conversation", "4": "inbound", "5": "inbound", "6": "own_reply",
        "7": "conversation",
    }  # fmt: skip
    found = facts(session)
    # the shop's answer to the follow-up covers the first question too (the author's burst)
    assert (found["2"].answer_rule, found["5"].answer_rule) == (2, 1)
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert (metrics.inbound, metrics.customer_conversation, metrics.missed) == (3, 2, 1)


def test_a_thanks_after_the_answer_is_an_acknowledgment_and_its_reply_answers_nothing(session):
    account = add_account(session, add_client(session))
    load(
        session,
        account,
        [
            own("1", kind="post"),
            item("2", author="901", parent="1", minutes=1, text="Habt ihr Dinkelbrot?"),
            own("3", parent="2", root="1", minutes=5, text="Ja, ab 7 Uhr frisch."),
            item("4", author="901", parent="3", root="1", minutes=6,
                 text="Perfekt, dann komme ich morgen"),
            own("5", parent="4", root="1", minutes=8, text="Gerne!"),
            # a thanks before any answer is a customer message like any other
            item("6", author="902", parent="1", minutes=9, text="Danke!"),
            # thanks, but a complaint: inbound
            item("7", author="901", parent="3", root="1", minutes=20,
                 text="Danke, aber gestern war es aus"),
        ],
    )  # fmt: skip
    found = facts(session)
    assert (found["4"].role, found["6"].role, found["7"].role) == (
        "acknowledgment", "inbound", "inbound")  # fmt: skip
    assert found["3"].answering and not found["5"].answering  # "Gerne!" answers nothing
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert (metrics.inbound, metrics.acknowledgments, metrics.answered) == (3, 1, 1)
    assert metrics.answering_replies == 1


def test_a_new_reply_turns_earlier_ones_into_templates_in_other_threads(session):
    """Two customers got the same pasted text in their threads; a third gets it in a new
    thread: the earlier replies become templates, and the refresh re-rates them."""
    account = add_account(session, add_client(session))
    pasted = "Hallo {name}, schreib uns bitte eine DM mit deiner Bestellnummer!"
    threads = []
    for n, (customer, name) in enumerate((("901", "Anna"), ("902", "Ben"))):
        root = f"p{n}"
        threads += [
            own(root, kind="post", minutes=n * 60),
            item(f"q{n}", author=customer, parent=root, minutes=n * 60 + 1, text="Wo bleibt es?"),
            own(
                f"a{n}",
                parent=f"q{n}",
                root=root,
                minutes=n * 60 + 5,
                text=pasted.format(name=name),
            ),
        ]
    result = load(session, account, threads)
    found = facts(session)
    assert not found["a0"].template and not found["a1"].template  # two customers only
    assert found["a0"].redirect and found["q0"].answered and not found["q0"].substantive
    later = [
        own("p2", kind="post", minutes=3000),
        item("q2", author="903", parent="p2", minutes=3001, text="Wo bleibt es?"),
        own("a2", parent="q2", root="p2", minutes=3005, text=pasted.format(name="Cem")),
    ]
    result = load(session, account, later)
    assert result.rerated == 2  # a0 and a1, in threads the new items are not in
    found = facts(session)
    assert all(found[f"a{n}"].template for n in range(3))
    stored = {(f.item_id, f.template) for f in found.values()}
    api.rebuild(session, now=LATER)
    session.commit()
    assert {(f.item_id, f.template) for f in facts(session).values()} == stored
    # 29 days later the same text is no template: the others are more than 28 days off
    load(session, account, [
        own("p3", kind="post", minutes=3000 + 29 * 1440),
        item("q3", author="904", parent="p3", minutes=3001 + 29 * 1440, text="Wo bleibt es?"),
        own("a3", parent="q3", root="p3", minutes=3005 + 29 * 1440,
            text=pasted.format(name="Dora")),
    ], now=LATER + timedelta(days=40))  # fmt: skip
    assert not facts(session)["a3"].template
