"""The read API: verdicts with evidence, widening, lists, coverage, trends, portfolios."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from metrics import api
from metrics.labels import Verdict
from metrics.periods import Period, PeriodError, date_range, iso_week
from storage.records import LikeRecord
from storage.upsert import record_followers, upsert_items, upsert_likes
from tests.support.factories import T0, add_account, add_client, conversation, item, own

W47 = iso_week("2026-W47")
LATER = T0 + timedelta(days=30)
DAY = 1440


def load(session, account, records, now=LATER):
    upsert_items(session, account.id, records)
    session.commit()
    api.refresh(session, now=now)
    session.commit()


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], Verdict.RESPONSIVE),
        ([10, 20, 30, 40, 50, 60, 70, 80, 900, None], Verdict.RESPONSIVE),  # 90 %, median 50 min
        ([300, 300, 300, 300, 300, 300, 300, 300, 300, 300], Verdict.PARTLY_RESPONSIVE),  # slow
        ([10, 20, 30, 40, 50, 60, 70, None, None, None], Verdict.PARTLY_RESPONSIVE),  # 70 %
        ([10, 20, 30, 40, None, None, None, None, None, None], Verdict.UNRESPONSIVE),
    ],
)
def test_verdicts_from_ratio_and_median(session, answers, expected):
    account = add_account(session, add_client(session))
    records = []
    for n, after in enumerate(answers):
        records += conversation(f"t{n}-", n * 60, after)
    load(session, account, records)
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert metrics.verdict.verdict == expected
    assert not metrics.verdict.widened and metrics.verdict.window == W47


def test_broadcast_only_with_the_unanswered_items_as_evidence(session):
    account = add_account(session, add_client(session))
    records = []
    for n in range(6):
        records += conversation(f"b{n}-", n * 300, None, author=f"9{n}")
    load(session, account, records)
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert metrics.verdict.verdict == Verdict.BROADCAST_ONLY
    evidence = metrics.verdict.unanswered
    assert metrics.verdict.unanswered_total == 6
    assert [i.platform_item_id for i in evidence] == [f"b{n}-c" for n in range(6)]  # oldest first
    assert evidence[0].permalink == "https://x.com/i/web/status/b0-c"
    assert evidence[0].text == "Wann habt ihr offen?" and evidence[0].is_question
    assert evidence[0].age == LATER - (T0 + timedelta(minutes=1))


def test_no_conversation_shows_interactions_and_self_likes(session):
    account = add_account(session, add_client(session))
    load(session, account, [own(f"p{n}", kind="post", minutes=n * DAY, like_count=1)
                            for n in range(3)])  # fmt: skip
    upsert_likes(session, [LikeRecord("x", "p0", "777", "agency_jana", is_own=True)])
    session.commit()
    api.refresh(session, now=LATER)
    session.commit()
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert metrics.verdict.verdict == Verdict.NO_CONVERSATION
    assert metrics.verdict.widened  # nothing settled this week: looked back 8 weeks
    assert metrics.verdict.window_text() == "over the last 8 weeks"
    assert metrics.verdict.window_text("de") == "in den letzten 8 Wochen"
    # the only like on p0 was the agency's own: it is not an interaction
    assert (metrics.interactions, metrics.interactions_per_post) == (2, 2 / 3)
    assert metrics.self_likes == metrics.verdict.self_likes == 1
    likes = api.self_like_list(session, account_id=account.id, period=W47, now=LATER)
    assert [(like.liker_handle, like.item.platform_item_id) for like in likes] == [
        ("agency_jana", "p0")
    ]


def test_a_thin_week_is_judged_over_a_widened_window(session):
    account = add_account(session, add_client(session, min_settled=5))
    records = []
    # one answered comment a week for five weeks, up to week 47
    for week in range(5):
        records += conversation(f"w{week}-", -week * 7 * DAY, 20)
    load(session, account, records)
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert (metrics.answered, metrics.settled) == (1, 1)
    verdict = metrics.verdict
    assert verdict.verdict == Verdict.RESPONSIVE
    assert (verdict.widened, verdict.weeks, verdict.inputs.settled) == (True, 5, 5)
    assert verdict.window == Period(iso_week("2026-W43").start, W47.end)
    assert verdict.window_text() == "over the last 5 weeks"
    # the same for an arbitrary range (facts path): 17-22 November, widened by 4 weeks
    days = date_range(W47.start + timedelta(days=1), W47.last_day)
    ranged = api.account_metrics(session, account.id, days, now=LATER)
    assert ranged.verdict.verdict == Verdict.RESPONSIVE
    assert ranged.verdict.window.start == days.start - timedelta(weeks=5)


def test_a_period_range_and_its_week_agree(session):
    account = add_account(session, add_client(session))
    records = []
    for n, after in enumerate([5, 50, None, 500, 3]):
        records += conversation(f"r{n}-", n * 700, after)
    load(session, account, records)
    week = api.account_metrics(session, account.id, W47, now=LATER).as_row()
    ranged = api.account_metrics(
        session, account.id, date_range(W47.start, W47.last_day), now=LATER
    ).as_row()
    ranged["period"] = week["period"]
    assert ranged == week


def test_client_aggregate_portfolio_and_comparison(session):
    huber = add_client(session, name="Bäckerei Huber")
    x = add_account(session, huber)
    page = add_account(session, huber, platform="facebook", handle="huberpage",
                       platform_account_id="100")  # fmt: skip
    other = add_client(session, name="Anna's Blumen")
    flowers = add_account(session, other, handle="@blumen", platform_account_id="300")
    load(session, x, conversation("x-", 0, 30) + conversation("x2-", 60, None))
    load(session, page, [
        item("f_p", author="100", own=True, kind="post", platform="facebook"),
        item("f_c", author="950", kind="comment", parent="f_p", platform="facebook", minutes=2),
        item("f_a", author="100", own=True, kind="comment", parent="f_c", root="f_p",
             platform="facebook", minutes=62),
    ])  # fmt: skip
    load(session, flowers, conversation("b-", -7 * DAY, 10) + conversation("b2-", 0, None))
    client = api.client_metrics(session, huber.id, W47, now=LATER)
    assert [a.subject.label for a in client.accounts] == ["x @huber", "facebook huberpage"]
    assert (client.inbound, client.answered, client.missed) == (3, 2, 1)
    assert client.response_time.median == timedelta(minutes=30)  # of 30 and 60 minutes
    assert client.response_time.p90 == timedelta(minutes=60)

    portfolio = api.portfolio_metrics(session, now=LATER, period=W47)
    assert [c.subject.label for c in portfolio.clients] == ["Anna's Blumen", "Bäckerei Huber"]
    assert (portfolio.inbound, portfolio.answered, portfolio.missed) == (4, 2, 2)

    comparison = api.compare_with_previous(session, api.account_metrics(
        session, flowers.id, W47, now=LATER))  # fmt: skip
    assert comparison.previous.period == iso_week("2026-W46")
    assert (comparison.previous.answered, comparison.current.answered) == (1, 0)
    assert comparison.change("response_ratio") == -1.0
    assert comparison.change("dialogue_share") == -0.5


def test_a_summary_portfolio_differs_only_in_what_it_leaves_out(session):
    """summary=True (league tables): no coverage, no item lists; every other figure equal."""
    huber = add_client(session, name="Bäckerei Huber")
    x = add_account(session, huber)
    thin = add_account(session, huber, platform="facebook", handle="huberpage",
                       platform_account_id="100")  # fmt: skip
    records = []
    for n in range(7):
        records += conversation(f"s{n}-", n * 200, 30 if n % 3 else None, author=f"8{n}")
    load(session, x, records)
    load(session, thin, [
        item("t_p", author="100", own=True, kind="post", platform="facebook", minutes=-DAY * 10),
        item("t_c", author="950", kind="comment", parent="t_p", platform="facebook",
             minutes=-DAY * 10 + 5),
    ])  # fmt: skip
    for period in (W47, W47.previous(), date_range(W47.start, W47.last_day + timedelta(days=3))):
        full = api.portfolio_metrics(session, None, period, now=LATER)
        summary = api.portfolio_metrics(session, None, period, now=LATER, summary=True)
        pairs = [
            (f, s)
            for fc, sc in zip(full.clients, summary.clients, strict=True)
            for f, s in zip((fc, *fc.accounts), (sc, *sc.accounts), strict=True)
        ]
        assert len(pairs) == 3
        for f, s in pairs:
            assert s.uncovered_share is None and s.verdict.unanswered == ()
            assert s.verdict.unanswered_total == f.verdict.unanswered_total
            left_out = {"uncovered_share": None, "accounts": ()}
            same_verdict = replace(f.verdict, unanswered=())
            assert replace(s, **left_out, verdict=same_verdict) == replace(
                f, **left_out, verdict=same_verdict
            )
    full = api.portfolio_metrics(session, None, W47, now=LATER)
    assert full.clients[0].verdict.unanswered_total == 3  # the case above is not empty
    assert full.clients[0].accounts[1].verdict.widened


def test_engagement_rate_uses_the_follower_count_at_the_period_end(session):
    account = add_account(session, add_client(session))
    load(session, account, conversation("e-", 0, 10))
    record_followers(session, account.id, 400, taken_at=T0 - timedelta(days=3))
    record_followers(session, account.id, 500, taken_at=T0 + timedelta(days=3))
    record_followers(session, account.id, 900, taken_at=T0 + timedelta(days=20))
    session.commit()
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert (metrics.interactions_per_post, metrics.followers) == (1.0, 500)
    assert metrics.engagement_rate == 1.0 / 500
    earlier = api.account_metrics(session, account.id, iso_week("2026-W40"), now=LATER)
    assert earlier.followers == 400 and earlier.engagement_rate is None  # no posts then


def test_coverage_by_hour_of_week_in_the_clients_zone(session):
    client = add_client(session, time_zone="Europe/Berlin")
    account = add_account(session, client)
    # Monday 10:00 Berlin: a comment answered at 10:30; Saturday 22:00: never answered
    saturday = (datetime(2026, 11, 21, 21, 0, tzinfo=UTC) - T0).total_seconds() / 60
    load(session, account, conversation("m-", 0, 29) + conversation("s-", saturday - 1, None))
    found = api.coverage(session, account_id=account.id, period=W47, now=LATER)
    monday_10, saturday_22 = 10, 5 * 24 + 22
    assert found.inbound[monday_10] == 1 and found.inbound[saturday_22] == 1
    assert found.own_replies[monday_10] == 1 and sum(found.own_replies) == 1
    assert saturday_22 in found.uncovered_hours and monday_10 not in found.uncovered_hours
    assert found.uncovered_share == 0.5
    assert found.reference.days == 8 * 7
    grid = found.grid(found.inbound)
    assert len(grid) == 7 and all(len(day) == 24 for day in grid) and grid[5][22] == 1
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert metrics.uncovered_share == 0.5


def test_coverage_of_a_range_looks_back_at_least_eight_weeks(session):
    """A 10-day range widened by whole weeks to at least 56 days: 59, not 52 (6 weeks)."""
    account = add_account(session, add_client(session, time_zone="Europe/Berlin"))
    ten_days = Period(date(2026, 11, 16), date(2026, 11, 26))
    # the only own reply: Monday 28 September 10:30 Berlin, 57 days before the range ends
    old = (datetime(2026, 9, 28, 8, 0, tzinfo=UTC) - T0).total_seconds() / 60
    # in the range: a comment at Monday 10:01 Berlin, never answered
    load(session, account, conversation("old-", old, 29) + conversation("m-", 0, None))
    found = api.coverage(session, account_id=account.id, period=ten_days, now=LATER)
    assert found.reference == Period(date(2026, 9, 28), date(2026, 11, 26))
    assert found.reference_own_replies[10] == 1 and 10 not in found.uncovered_hours
    assert found.uncovered_share == 0.0
    metrics = api.account_metrics(session, account.id, ten_days, now=LATER)
    assert metrics.uncovered_share == 0.0


def test_weekly_series_reads_rollups_oldest_first(session):
    account = add_account(session, add_client(session, min_settled=2))
    records = conversation("a-", -7 * DAY, 30) + conversation("b-", -7 * DAY + 60, 40)
    records += conversation("c-", 0, None)
    load(session, account, records)
    series = api.weekly_series(session, account_id=account.id, weeks=3, last=W47, now=LATER)
    assert [p.period.label for p in series] == ["2026-W45", "2026-W46", "2026-W47"]
    assert [(p.inbound, p.answered, p.missed) for p in series] == [(0, 0, 0), (2, 2, 0), (1, 0, 1)]
    assert series[1].response_time.median == timedelta(minutes=30)
    assert [p.verdict for p in series] == [
        Verdict.INSUFFICIENT_DATA,
        Verdict.RESPONSIVE,
        Verdict.PARTLY_RESPONSIVE,  # widened to W46-W47: 2 of 3 answered, 67 %
    ]
    assert [p.verdict_weeks for p in series] == [8, 1, 2]
    with pytest.raises(PeriodError, match="end with an ISO week"):
        api.weekly_series(session, account_id=account.id, last=date_range(T0.date(), T0.date()))


def test_questions_and_question_response_ratio(session):
    account = add_account(session, add_client(session))
    records = [own("p", kind="post")]
    texts = ["Bitte um Rückruf", "super Laden", "please DM me the order number", "love it"]
    for n, text in enumerate(texts):
        records.append(item(f"c{n}", author=f"9{n}", parent="p", minutes=n + 1, text=text))
    records.append(own("a0", parent="c0", root="p", minutes=10))
    load(session, account, records)
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert (metrics.questions, metrics.answered_questions, metrics.missed_questions) == (2, 1, 1)
    assert metrics.question_response_ratio == 0.5
    assert metrics.response_ratio == 0.25
    interval = metrics.response_ratio_interval
    assert interval is not None and 0.04 < interval.low < 0.05 and 0.69 < interval.high < 0.70


def test_lists_are_limited_and_unknown_subjects_are_named(session):
    account = add_account(session, add_client(session))
    records = []
    for n in range(5):
        records += conversation(f"l{n}-", n * 10, None, author=f"9{n}")
    load(session, account, records)
    items = api.unanswered_items(session, account_id=account.id, period=W47, now=LATER, limit=2)
    assert [i.platform_item_id for i in items] == ["l0-c", "l1-c"]
    with pytest.raises(api.UnknownSubject, match="account 999"):
        api.account_metrics(session, 999, W47)
    with pytest.raises(TypeError, match="exactly one"):
        api.unanswered_items(session, account_id=account.id, client_id=1)


def test_a_rebuild_on_the_connection_of_a_refresh_gives_the_same_figures(session):
    # On PostgreSQL a rebuild asks for more memory for temporary tables, which the server
    # refuses once a connection has used any (the refresh's work tables): the rebuild
    # goes on with what the connection has, in the same transaction.
    account = add_account(session, add_client(session, min_settled=2))
    records = conversation("a-", -7 * DAY, 30) + conversation("b-", -7 * DAY + 60, 40)
    records += conversation("c-", 0, None)
    load(session, account, records)
    refreshed = [(p.inbound, p.answered, p.missed) for p in _series(session, account)]
    rebuilt = api.rebuild(session, now=LATER)
    session.commit()
    assert rebuilt.items == len(records) and rebuilt.account_weeks == 2
    assert [(p.inbound, p.answered, p.missed) for p in _series(session, account)] == refreshed
    assert refreshed == [(0, 0, 0), (2, 2, 0), (1, 0, 1)]


def _series(session, account):
    return api.weekly_series(session, account_id=account.id, weeks=3, last=W47, now=LATER)


def _rewritten_items(session):
    """Row versions of items (PostgreSQL's xmin; on SQLite a temporary trigger on the
    session's connection records the ids updated from now on)."""
    from sqlalchemy import text

    if session.get_bind().dialect.name == "postgresql":
        return dict(session.execute(text("SELECT id, xmin::text FROM items")).all())
    session.execute(text("CREATE TEMP TABLE IF NOT EXISTS rewritten (id INTEGER)"))
    session.execute(
        text(
            "CREATE TEMP TRIGGER IF NOT EXISTS items_rewritten AFTER UPDATE ON items "
            "BEGIN INSERT INTO rewritten VALUES (new.id); END"
        )
    )
    return {row[0]: str(row[0]) for row in session.execute(text("SELECT id FROM items"))}


def _changed_since(session, before):
    from sqlalchemy import text

    if session.get_bind().dialect.name == "postgresql":
        after = dict(session.execute(text("SELECT id, xmin::text FROM items")).all())
        return {i for i, version in after.items() if before.get(i) != version}
    changed = {row[0] for row in session.execute(text("SELECT id FROM rewritten"))}
    session.execute(text("DELETE FROM rewritten"))
    return changed


def test_classifying_every_text_again_rewrites_only_the_items_it_changes(session, tmp_path):
    from sqlalchemy import select

    from metrics.questions import load_patterns
    from storage.models import Item

    account = add_account(session, add_client(session))
    records = [own("p", kind="post")]
    texts = ["Bitte um Rückruf", "super Laden", "please DM me the order number", "love it"]
    for n, text in enumerate(texts):
        records.append(item(f"c{n}", author=f"9{n}", parent="p", minutes=n + 1, text=text))
    records.append(own("a0", parent="c0", root="p", minutes=10, text="Wir rufen gleich an"))
    load(session, account, records)

    def questions():
        rows = session.execute(select(Item.platform_item_id, Item.is_question)).all()
        return {name: flag for name, flag in rows if name.startswith("c")}

    assert questions() == {"c0": True, "c1": False, "c2": True, "c3": False}
    before = _rewritten_items(session)
    same = api.rebuild(session, now=LATER, reclassify=True)
    session.commit()
    assert same.classified == 6  # every text classified again ...
    assert _changed_since(session, before) == set()  # ... and none written: none changed
    assert questions() == {"c0": True, "c1": False, "c2": True, "c3": False}

    before = _rewritten_items(session)
    # Patterns that know no question words: only question marks would make questions.
    (tmp_path / "none.toml").write_text(
        "[de]\nmarkers = []\nexclude = []\nstarts = []\ncontains = []\n", encoding="utf-8"
    )
    none = api.rebuild(
        session, now=LATER, reclassify=True, patterns=load_patterns(tmp_path / "none.toml")
    )
    session.commit()
    assert none.classified == 6
    ids = dict(session.execute(select(Item.platform_item_id, Item.id)).all())
    assert _changed_since(session, before) == {ids["c0"], ids["c2"]}
    assert questions() == {"c0": False, "c1": False, "c2": False, "c3": False}
    metrics = api.account_metrics(session, account.id, W47, now=LATER)
    assert metrics.questions == 0 and metrics.inbound == 4
