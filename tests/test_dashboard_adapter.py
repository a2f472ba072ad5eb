"""The adapter from metrics results to view models, and the league table's order and pages.

Pure conversions are checked on hand-made metrics values; what the pages read is checked
on a small database built through storage.upsert and metrics.api.refresh (both engines).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dashboard.league import (
    DEFAULT_SORT,
    LeagueGroup,
    flatten,
    group,
    page_of,
    sort_groups,
    valid_sort,
)
from dashboard.metrics_adapter import (
    closed_hours,
    dialogue_share_weeks,
    hour_of_week,
    key_figures,
    league_rows,
    listed_item,
    posts_replies_weeks,
    response_ratio_weeks,
    response_time_weeks,
    trend_span,
    verdict_view,
)
from dashboard.viewmodels import LeagueRow
from metrics import api
from metrics.api import Coverage, Interval, ItemRef, ResponseTimes, WeekPoint, iso_week
from metrics.labels import Verdict
from metrics.periods import date_range, parse_period
from storage.records import LikeRecord
from storage.upsert import upsert_items, upsert_likes
from tests.support.factories import T0, add_account, add_client, item

W47 = iso_week("2026-W47")
LATER = T0 + timedelta(days=30)


# --- periods -------------------------------------------------------------------------


def test_the_address_of_a_period_names_its_last_day():
    # One period type for metrics and dashboard: end excluded inside, last day in the URL.
    assert parse_period("2026-11-16..2026-11-22") == W47 and W47.token == "2026-W47"
    day = parse_period("2026-11-18..2026-11-18")
    assert (day.start, day.end, day.last_day) == (
        date(2026, 11, 18),
        date(2026, 11, 19),
        date(2026, 11, 18),
    )
    assert day.token == "2026-11-18..2026-11-18"


def test_trend_span_ends_with_the_week_of_the_last_day():
    assert trend_span(date_range(date(2026, 11, 16), date(2026, 11, 22))) == (W47, 12)
    # A range ending on a Wednesday: its week is the last one drawn.
    assert trend_span(date_range(date(2026, 11, 1), date(2026, 11, 18))) == (W47, 12)
    # Twenty weeks touched: twenty drawn; a whole year: capped at 53.
    long = date_range(date(2026, 7, 1), date(2026, 11, 18))
    assert trend_span(long) == (W47, 21)
    assert trend_span(date_range(date(2025, 11, 18), date(2026, 11, 18)))[1] == 53


# --- lists ---------------------------------------------------------------------------


def _reference(**fields) -> ItemRef:
    values = {
        "item_id": 7,
        "account_id": 3,
        "platform": "x",
        "platform_item_id": "1005",
        "author_handle": "lena",
        "text": "Gibt es glutenfreie Brötchen?",
        "permalink": "https://x.com/lena/status/1005",
        "created_at": datetime(2026, 11, 18, 14, 0, tzinfo=UTC),
        "age": timedelta(hours=50, minutes=30),
        "is_question": True,
        "liked_by_own": True,
    }
    values.update(fields)
    return ItemRef(**values)


def test_listed_item_keeps_the_message_and_gives_its_age_in_minutes():
    listed = listed_item(_reference(), {3: "X @baeckereihuber"})
    assert listed.age_minutes == 3030
    assert listed.account_label == "X @baeckereihuber"
    assert (listed.text, listed.permalink) == (
        "Gibt es glutenfreie Brötchen?",
        "https://x.com/lena/status/1005",
    )
    assert listed.is_question and listed.liked_by_own
    # An account the labels do not name shows its platform, never another account's name.
    assert listed_item(_reference(account_id=99), {3: "X @baeckereihuber"}).account_label == "x"


# --- trends --------------------------------------------------------------------------


def _point(week: str, **fields) -> WeekPoint:
    values = {
        "period": iso_week(week),
        "posts": 4,
        "own_replies": 6,
        "inbound": 9,
        "questions": 5,
        "answered": 6,
        "missed": 2,
        "waiting": 1,
        "response_ratio": 0.75,
        "response_ratio_interval": Interval(0.41, 0.93),
        "response_time": ResponseTimes(timedelta(minutes=90), timedelta(hours=10)),
        "business_response_time": ResponseTimes(timedelta(minutes=30), timedelta(hours=2)),
        "within_target_ratio": 0.5,
        "dialogue_share": 0.6,
        "verdict": Verdict.PARTLY_RESPONSIVE,
        "verdict_weeks": 1,
    }
    values.update(fields)
    return WeekPoint(**values)


def test_weekly_points_become_the_trend_charts_inputs():
    quiet = _point(
        "2026-W47",
        posts=0, own_replies=0, inbound=0, answered=0, missed=0, waiting=0,
        response_ratio=None, response_ratio_interval=None, dialogue_share=None,
        response_time=ResponseTimes(None, None),
    )  # fmt: skip
    points = [_point("2026-W46"), quiet]
    ratios = response_ratio_weeks(points)
    assert [(r.iso_week, r.ratio, r.low, r.high, r.denominator) for r in ratios] == [
        ("2026-W46", 0.75, 0.41, 0.93, 8),
        ("2026-W47", None, None, None, 0),
    ]
    dialogue = dialogue_share_weeks(points)
    assert [(d.ratio, d.low, d.denominator) for d in dialogue] == [(0.6, None, 10), (None, None, 0)]
    times = response_time_weeks(points)
    assert [(t.median_minutes, t.p90_minutes, t.answered) for t in times] == [
        (90.0, 600.0, 6),
        (None, None, 0),
    ]
    assert [(p.iso_week, p.posts, p.own_replies) for p in posts_replies_weeks(points)] == [
        ("2026-W46", 4, 6),
        ("2026-W47", 0, 0),
    ]


# --- hours of the week ---------------------------------------------------------------


def test_closed_hours_follow_the_business_hours():
    closed = closed_hours("mon-fri 08:00-18:00, sat 09:00-12:30")
    assert (0, 7) in closed and (0, 8) not in closed and (0, 17) not in closed
    assert (0, 18) in closed
    assert (5, 12) not in closed  # open for half of it
    assert (5, 13) in closed
    assert all((6, hour) in closed for hour in range(24))
    assert len(closed) == 168 - 5 * 10 - 4
    assert closed_hours(None) == frozenset() == closed_hours("24/7")
    assert closed_hours("not a schedule") == frozenset()


def test_hour_of_week_places_counts_and_uncovered_hours():
    inbound = [0] * 168
    inbound[0] = 3  # Monday 00-01
    inbound[24 * 6 + 23] = 2  # Sunday 23-24
    own = [0] * 168
    own[24 + 9] = 4  # Tuesday 09-10
    reference_own = [1] * 168
    reference_own[0] = 0
    reference_own[24 * 6 + 23] = 0
    coverage = Coverage(tuple(inbound), tuple(own), W47, tuple(reference_own))
    grid = hour_of_week(coverage, "mon-fri 08:00-18:00")
    assert grid.inbound[0][0] == 3 and grid.inbound[6][23] == 2
    assert grid.own_replies[1][9] == 4
    assert sum(map(sum, grid.inbound)) == 5
    assert grid.uncovered == frozenset({(0, 0), (6, 23)})
    assert (1, 9) not in grid.closed and (1, 7) in grid.closed


# --- the league table ----------------------------------------------------------------


def _row(client_id: int, name: str, ratio: float | None, account: int | None = None, **fields):
    values = {
        "client_id": client_id,
        "client_name": name,
        "account_id": account,
        "account_label": f"X @{name.lower()}{account}" if account else None,
        "verdict": fields.pop("verdict", Verdict.PARTLY_RESPONSIVE),
        "response_ratio": ratio,
        "ratio_low": fields.pop("low", None if ratio is None else ratio / 2),
        "ratio_high": None if ratio is None else min(1.0, ratio + 0.1),
        "response_time_median_minutes": fields.pop("median", None),
        "dialogue_share": 0.5,
        "waiting": fields.pop("waiting", 0),
        "ratio_change": None,
    }
    values.update(fields)
    return LeagueRow(**values)


ROWS = [
    _row(1, "Anna", 0.5),
    _row(1, "Anna", 0.9, account=11),
    _row(1, "Anna", 0.2, account=12),
    _row(2, "Bruno", None, verdict=Verdict.INSUFFICIENT_DATA, waiting=3),
    _row(2, "Bruno", None, account=21, verdict=Verdict.INSUFFICIENT_DATA, waiting=3),
    _row(3, "Carla", 0.95, verdict=Verdict.RESPONSIVE, median=30),
    _row(3, "Carla", 0.95, account=31, verdict=Verdict.RESPONSIVE, median=30),
    _row(4, "dora", 0.5, verdict=Verdict.UNRESPONSIVE, low=0.45),
]


def _names(groups: list[LeagueGroup]) -> list[str]:
    return [g.client.client_name for g in groups]


def test_clients_sort_with_their_accounts_and_empty_values_last():
    groups = group(ROWS)
    assert [len(g.accounts) for g in groups] == [2, 1, 1, 0]
    best_first = sort_groups(groups, "-response_ratio")
    assert _names(best_first) == ["Carla", "Anna", "dora", "Bruno"]  # ties by name, a–z
    assert [r.account_id for r in best_first[1].accounts] == [11, 12]
    worst_first = sort_groups(groups, "response_ratio")
    assert _names(worst_first) == ["Anna", "dora", "Carla", "Bruno"]  # no ratio: still last
    assert [r.account_id for r in worst_first[0].accounts] == [12, 11]
    # The interval's low end ranks a sure 50 % above an unsure one.
    assert _names(sort_groups(groups, "-interval"))[:3] == ["Carla", "dora", "Anna"]
    assert _names(sort_groups(groups, "verdict")) == ["Carla", "Anna", "dora", "Bruno"]
    assert _names(sort_groups(groups, "-waiting"))[0] == "Bruno"
    assert _names(sort_groups(groups, "-client")) == ["dora", "Carla", "Bruno", "Anna"]
    assert flatten(sort_groups(groups, "client"))[:3] == ROWS[:3]


def test_unknown_sort_keys_fall_back_to_the_league_order():
    assert valid_sort("-; DROP TABLE") == DEFAULT_SORT == valid_sort(None)
    assert valid_sort("-waiting") == "-waiting"
    with pytest.raises(ValueError, match="before its client"):
        group([ROWS[1]])


def test_pages_of_clients():
    groups = [LeagueGroup(_row(n, f"C{n:03d}", 0.5), ()) for n in range(1, 62)]
    first = page_of(groups, None)
    assert (first.number, first.pages, first.clients, first.first, first.last) == (1, 3, 61, 1, 25)
    last = page_of(groups, 3)
    assert (last.first, last.last) == (51, 61) and len(last.rows) == 11
    assert page_of(groups, 99).number == 3  # past the end: the last page
    assert page_of([], 2).pages == 1


# --- from the real metrics API -----------------------------------------------------------


def own(item_id: str, **fields):
    return item(item_id, author="100", own=True, **fields)


def _conversations(prefix: str, answers: list[float | None], start: float = 0):
    records = []
    for n, after in enumerate(answers):
        minutes = start + n * 120
        records += [
            own(f"{prefix}{n}p", kind="post", minutes=minutes),
            item(f"{prefix}{n}c", author=f"9{n}", parent=f"{prefix}{n}p", minutes=minutes + 1,
                 text=f"Frage {prefix}{n}?", permalink=f"https://x.com/i/status/{prefix}{n}c"),
        ]  # fmt: skip
        if after is not None:
            records.append(
                own(f"{prefix}{n}a", parent=f"{prefix}{n}c", root=f"{prefix}{n}p",
                    minutes=minutes + 1 + after)
            )  # fmt: skip
    return records


@pytest.fixture
def shop(session):
    """Two clients: Huber answers 4 of 6 this week and 2 of 2 the week before."""
    huber = add_client(session, "Bäckerei Huber", time_zone="UTC")
    x = add_account(session, huber)
    lindner = add_client(session, "Café Lindner", time_zone="UTC")
    insta = add_account(session, lindner, "instagram", "@cafelindner", "200")
    records = _conversations("w", [10, 20, 30, 40, None, None])
    records += _conversations("v", [15, 25], start=-7 * 1440)  # week 46
    upsert_items(session, x.id, records)
    upsert_items(
        session,
        insta.id,
        _conversations("i", [None], start=60),
    )
    upsert_likes(
        session,
        [LikeRecord("x", "w4c", "100", "huber", True, T0)],  # liked, not answered
    )
    session.commit()
    api.refresh(session, now=LATER)
    session.commit()
    return huber, x, lindner, insta


def test_verdict_view_and_key_figures_carry_the_api_values(session, shop):
    _, x, _, _ = shop
    metrics = api.account_metrics(session, x.id, W47, now=LATER)
    view = verdict_view(metrics, "de", {x.id: "X @huber"})
    assert view.verdict == Verdict.PARTLY_RESPONSIVE
    assert view.name == "antwortet teilweise"
    assert view.explanation == metrics.verdict.explanation("de")
    assert (view.answered, view.missed, view.settled, view.posts) == (4, 2, 6, 6)
    assert view.response_ratio == pytest.approx(4 / 6)
    assert view.target_minutes == 240 and view.min_settled == 5
    assert view.business_median_minutes == pytest.approx(20)  # nearest rank of 10,20,30,40
    assert [i.text for i in view.unanswered] == ["Frage w4?", "Frage w5?"]  # oldest first
    assert view.unanswered[0].account_label == "X @huber" and view.unanswered[0].liked_by_own
    assert view.window_text is None and view.unanswered_total == 2

    figures = key_figures(api.compare_with_previous(session, metrics, now=LATER))
    assert (figures.inbound, figures.answered, figures.missed, figures.waiting) == (6, 4, 2, 0)
    assert figures.response_ratio == pytest.approx(4 / 6)
    assert figures.ratio_low == pytest.approx(metrics.response_ratio_interval.low)
    assert figures.previous_response_ratio == 1.0
    assert figures.ratio_change == pytest.approx(4 / 6 - 1)
    assert figures.median_minutes == pytest.approx(20)
    assert figures.previous_median_minutes == pytest.approx(15)
    assert figures.liked_not_answered == 1
    assert figures.dialogue_share == pytest.approx(4 / 10)


def test_league_rows_pair_each_subject_with_its_previous_period(session, shop):
    _, x, _, _ = shop
    rows = league_rows(api.league(session, None, W47, now=LATER))
    assert [(r.client_name, r.account_label) for r in rows] == [
        ("Bäckerei Huber", None),
        ("Bäckerei Huber", "X @huber"),
        ("Café Lindner", None),
        ("Café Lindner", "Instagram @cafelindner"),
    ]
    client, account = rows[0], rows[1]
    assert account.account_id == x.id and client.account_id is None
    assert account.response_ratio == pytest.approx(4 / 6)
    assert account.ratio_change == pytest.approx(4 / 6 - 1)
    assert account.response_time_median_minutes == pytest.approx(20)
    assert account.verdict == Verdict.PARTLY_RESPONSIVE
    lindner_row = rows[2]
    assert lindner_row.response_ratio == 0.0  # one message, missed
    assert lindner_row.verdict == Verdict.INSUFFICIENT_DATA and lindner_row.verdict_weeks == 8
    assert lindner_row.ratio_change is None  # nothing to compare with the week before
