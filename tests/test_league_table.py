"""The stored league table (metrics.league): the refresh keeps it, the portfolio reads it,
and whatever it reads is the table the metrics compute for the same week and moment."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from metrics import api
from metrics.labels import Verdict
from metrics.league import LeagueClient, fill_league, forget_all, line_of
from metrics.periods import date_range, iso_week, week_index
from storage.models import Client, LeagueWeek
from storage.upsert import upsert_items
from tests.support.factories import T0, add_account, add_client, conversation

W45, W46, W47 = iso_week("2026-W45"), iso_week("2026-W46"), iso_week("2026-W47")
MONDAY_W48 = T0 + timedelta(days=7)  # 09:00 UTC, W48 running in Berlin and New York
LATER = T0 + timedelta(days=30)
HOUR = 60


def store(session, account, records, now):
    upsert_items(session, account.id, records)
    session.commit()
    result = api.refresh(session, now=now)
    session.commit()
    return result


def refresh_until_stored(session, now) -> list[int]:
    """Refresh (nothing new) until the league table is complete; the weeks of each."""
    stored = []
    while True:
        weeks = api.refresh(session, now=now).league_weeks
        session.commit()
        if not weeks:
            return stored
        stored.append(weeks)


def computed(session, period, now) -> list[LeagueClient]:
    """The league as the metrics compute it, through the portfolio of the read API."""
    current = api.portfolio_metrics(session, None, period, now=now, summary=True)
    before = api.portfolio_metrics(session, None, period.previous(), now=now, summary=True)
    return [
        LeagueClient(
            line_of(client, earlier.response_ratio),
            tuple(
                line_of(a, b.response_ratio)
                for a, b in zip(client.accounts, earlier.accounts, strict=True)
            ),
        )
        for client, earlier in zip(current.clients, before.clients, strict=True)
    ]


def stored_weeks(session, client_id=None) -> dict[int, int]:
    """Stored client lines per week: their computed_us."""
    statement = select(LeagueWeek.week, LeagueWeek.computed_us).where(LeagueWeek.account_id == 0)
    if client_id is not None:
        statement = statement.where(LeagueWeek.client_id == client_id)
    return {week: computed_us for week, computed_us in session.execute(statement)}


@pytest.fixture
def shops(session):
    """Two clients in different zones with a month of conversations, one without data."""
    huber = add_client(session, "Bäckerei Huber")
    x = add_account(session, huber)
    insta = add_account(session, huber, "instagram", "@huber.insta", "200")
    lindner = add_client(session, "Café Lindner", time_zone="America/New_York")
    mastodon = add_account(session, lindner, "mastodon", "@lindner@example.social", "300")
    add_client(session, "Zahnarzt Ohne Daten")
    rng = random.Random(47)
    records = {x.id: [], insta.id: [], mastodon.id: []}
    for account_id in records:
        for n in range(40):
            minutes = rng.randrange(-4 * 7 * 24 * HOUR, 6 * 24 * HOUR)
            answer = rng.choice([None, 5, 30, 4 * HOUR, 20 * HOUR, 5 * 24 * HOUR])
            records[account_id] += conversation(f"a{account_id}-{n}-", minutes, answer, f"9{n}")
    for account in (x, insta, mastodon):
        upsert_items(session, account.id, records[account.id])
    session.commit()
    first = api.refresh(session, now=LATER)
    session.commit()
    assert first.league_weeks == 2  # the newest week of each of the two clients with data
    refresh_until_stored(session, LATER)
    return huber, lindner, x, insta, mastodon


def test_the_refresh_stores_each_full_week_from_the_first_with_data(session, shops):
    huber, lindner, *_ = shops
    running = week_index(LATER.date())
    first = week_index(W47.start) - 4
    assert sorted(stored_weeks(session, huber.id)) == list(range(first, running))
    assert sorted(stored_weeks(session, lindner.id)) == list(range(first, running))
    lines = session.scalar(
        select(func.count()).select_from(LeagueWeek).where(LeagueWeek.client_id == huber.id)
    )
    assert lines == 3 * (running - first)  # the client and its two accounts, each week
    # a client without data has nothing stored; the portfolio computes its (empty) line
    assert session.scalar(select(func.count()).select_from(LeagueWeek)) == 5 * (running - first)


def test_a_rebuild_stores_the_newest_week_and_the_refreshes_the_rest(session, shops):
    huber, *_ = shops
    rebuilt = api.rebuild(session, now=LATER)
    session.commit()
    running = week_index(LATER.date())
    assert rebuilt.league_weeks == 2
    assert sorted(stored_weeks(session, huber.id)) == [running - 1]
    # 8 weeks for two clients, one week per refresh: the newest weeks first
    assert refresh_until_stored(session, LATER) == [2] * 7
    assert len(stored_weeks(session, huber.id)) == 8


@pytest.mark.parametrize("weeks_back", [0, 1, 2, 3])
def test_the_stored_table_is_the_computed_one(session, shops, weeks_back):
    week = iso_week("2026-W47")
    for _ in range(weeks_back):
        week = week.previous()
    read = api.league(session, None, week, now=LATER)
    assert read == computed(session, week, LATER)
    assert [c.client.client_name for c in read] == [
        "Bäckerei Huber",
        "Café Lindner",
        "Zahnarzt Ohne Daten",
    ]
    assert [len(c.accounts) for c in read] == [2, 1, 0]
    # Not a vacuous comparison: the weeks hold answered, missed and slow conversations.
    assert read[0].client.response_ratio is not None
    assert 0 < read[0].client.response_ratio < 1


@pytest.mark.parametrize("at_once", [1, 2])
def test_lines_computed_a_few_clients_at_a_time_are_the_same(session, shops, at_once):
    """fill_league computes a few clients at a time (memory): every chunk boundary gives the
    table the metrics compute, the change column included."""
    running = week_index(LATER.date())
    before = session.execute(select(LeagueWeek).order_by(LeagueWeek.client_id)).scalars().all()

    def figures(rows):
        return {
            (r.client_id, r.week, r.account_id): (
                r.verdict,
                r.response_ratio,
                r.previous_response_ratio,
                r.waiting,
            )
            for r in rows
        }

    expected = figures(before)
    forget_all(session)
    assert fill_league(session, LATER, weeks=None, clients_at_once=at_once) == 2 * 8
    rows = session.execute(select(LeagueWeek)).scalars().all()
    assert figures(rows) == expected and len(rows) == 5 * 8
    for week in (W47, W46):
        assert week_index(week.start) in stored_weeks(session)
        assert api.league(session, None, week, now=LATER) == computed(session, week, LATER)
    assert week_index(W47.start) < running


def test_the_portfolio_reads_the_stored_lines(session, shops):
    huber, *_ = shops
    # A stored figure changed behind the metrics' back shows up: it was read, not computed.
    session.execute(
        update(LeagueWeek)
        .where(
            LeagueWeek.client_id == huber.id,
            LeagueWeek.week == week_index(W47.start),
            LeagueWeek.account_id == 0,
        )
        .values(response_ratio=0.123)
    )
    session.commit()
    read = api.league(session, [huber.id], W47, now=LATER)
    assert read[0].client.response_ratio == 0.123
    # ... and a range of days is always computed
    days = date_range(W47.start, W47.last_day - timedelta(days=1))
    assert api.league(session, [huber.id], days, now=LATER)[0].client.response_ratio != 0.123


def test_a_new_item_recomputes_its_week_and_the_later_ones_only(session, shops):
    huber, lindner, x, *_ = shops
    before_huber, before_lindner = (
        stored_weeks(session, huber.id),
        stored_weeks(session, lindner.id),
    )
    later = LATER + timedelta(hours=1)
    # a missed comment in W45 (Tuesday)
    result = store(session, x, conversation("new-", -13 * 24 * HOUR, None, "777"), later)
    first = min(week for _, week in result.weeks)  # the first week whose rollups changed
    assert first <= week_index(W45.start)
    changed = [w for w in before_huber if w >= first]
    assert result.league_weeks == 1  # the newest of them at once ...
    refresh_until_stored(session, later)  # ... the others with the next refreshes
    after = stored_weeks(session, huber.id)
    assert sorted(after) == sorted(before_huber)
    assert [w for w in after if after[w] != before_huber[w]] == changed
    assert stored_weeks(session, lindner.id) == before_lindner  # another client: untouched
    for week in (W45, W46, W47):
        assert api.league(session, None, week, now=later) == computed(session, week, later)


def test_lines_not_stored_again_yet_are_computed(session, shops):
    huber, _, x, *_ = shops
    later = LATER + timedelta(hours=1)
    store(session, x, conversation("new-", -13 * 24 * HOUR, None, "777"), later)
    assert week_index(W45.start) not in stored_weeks(session, huber.id)  # for a later refresh
    assert api.league(session, None, W45, now=later) == computed(session, W45, later)


def test_a_line_stops_being_used_when_an_item_stops_waiting(session):
    client = add_client(session)
    account = add_account(session, client)
    sunday_evening = 6 * 24 * HOUR + 10 * HOUR  # Sun 22 Nov, 19:00 UTC, in W47
    records = conversation("s-", sunday_evening, None) + conversation("t-", 60, 30)
    store(session, account, records, MONDAY_W48)
    line = api.league(session, None, W47, now=MONDAY_W48)[0].client
    assert line.waiting == 1  # the Sunday comment's 72 hours are running
    until = session.scalar(
        select(LeagueWeek.valid_until_us).where(
            LeagueWeek.week == week_index(W47.start), LeagueWeek.account_id == 0
        )
    )
    assert until is not None
    # Four days on, with no refresh in between: the stored line no longer holds, the
    # portfolio computes the week (missed, not waiting) and says the same as the metrics.
    thursday = MONDAY_W48 + timedelta(days=3)
    line = api.league(session, None, W47, now=thursday)[0].client
    assert line.waiting == 0 and line.response_ratio == 0.5
    assert api.league(session, None, W47, now=thursday) == computed(session, W47, thursday)
    # The next refresh (nothing collected) stores the week again, for good.
    result = api.refresh(session, now=thursday)
    session.commit()
    assert result.league_weeks == 1  # W47 again (W48 is still running: never stored)
    assert session.scalar(
        select(LeagueWeek.valid_until_us).where(
            LeagueWeek.week == week_index(W47.start), LeagueWeek.account_id == 0
        )
    ) is None  # fmt: skip
    session.execute(
        update(LeagueWeek).where(LeagueWeek.account_id == 0).values(hollow=True)
    )  # a mark: the line is read from storage from now on
    session.commit()
    assert api.league(session, None, W47, now=thursday + timedelta(days=30))[0].client.hollow


def test_an_account_added_or_removed_is_in_the_table_at_once(session, shops):
    huber, _, x, insta, _ = shops
    added = add_account(session, huber, "bluesky", "@huber.bsky.social", "400")
    session.commit()
    read = api.league(session, [huber.id], W47, now=LATER)
    assert [a.account_id for a in read[0].accounts] == [x.id, insta.id, added.id]
    assert read == computed(session, W47, LATER)[:1]
    assert api.refresh(session, now=LATER).league_weeks > 0  # stored again with it
    session.commit()
    assert api.league(session, [huber.id], W47, now=LATER) == read
    session.delete(insta)
    session.commit()
    read = api.league(session, [huber.id], W47, now=LATER)
    assert [a.account_id for a in read[0].accounts] == [x.id, added.id]
    assert read == computed(session, W47, LATER)[:1]


def test_changed_settings_recompute_the_stored_weeks(session, shops):
    huber, *_ = shops
    loose = api.league(session, [huber.id], W47, now=LATER)[0].client
    session.get(Client, huber.id).answer_window_hours = 0.1  # six minutes to answer
    session.commit()
    api.rebuild(session, now=LATER, current_settings=True)
    session.commit()
    refresh_until_stored(session, LATER)
    strict = api.league(session, [huber.id], W47, now=LATER)
    assert strict == computed(session, W47, LATER)[:1]
    assert strict[0].client.response_ratio < loose.response_ratio
    assert sorted(stored_weeks(session, huber.id)) == list(
        range(week_index(W47.start) - 4, week_index(LATER.date()))
    )


def test_a_moment_before_the_lines_were_computed_is_computed(session, shops):
    # Lines computed at LATER say nothing of what the table showed earlier.
    earlier = T0 + timedelta(days=8)
    assert api.league(session, None, W47, now=earlier) == computed(session, W47, earlier)


def test_a_deleted_client_takes_its_lines_along(session, shops):
    huber, *_ = shops
    session.delete(session.get(Client, huber.id))
    session.commit()
    assert stored_weeks(session, huber.id) == {}
    assert [c.client.client_name for c in api.league(session, None, W47, now=LATER)] == [
        "Café Lindner",
        "Zahnarzt Ohne Daten",
    ]


def test_each_client_its_own_last_full_week(session, shops):
    # period None: the last full week in each client's own zone, stored ones included
    assert api.league(session, None, None, now=LATER) == [
        line for period in (None,) for line in computed(session, api.last_full_week(
            "Europe/Berlin", LATER), LATER)
    ]  # fmt: skip


def test_a_refresh_with_nothing_new_computes_nothing(session, shops):
    assert api.refresh(session, now=LATER + timedelta(minutes=5)).league_weeks == 0


def test_many_small_steps_keep_the_stored_table_exact(session):
    # Collections arriving over three weeks, refreshed as the service does, the clock
    # moving on: after every step, every stored week reads as the metrics compute it.
    rng = random.Random(21)
    clients = [add_client(session, f"Kunde {n}", time_zone=zone) for n, zone in
               enumerate(("Europe/Berlin", "America/New_York", "Asia/Tokyo"))]  # fmt: skip
    accounts = [add_account(session, c, "x", f"@k{n}", str(500 + n)) for n, c in enumerate(clients)]
    session.commit()
    now = T0 - timedelta(days=14)
    for step in range(6):
        now += timedelta(hours=rng.randrange(12, 72))
        account = rng.choice(accounts)
        records = []
        for n in range(6):
            minutes = (now - T0) / timedelta(minutes=1) - rng.randrange(10, 4 * 24 * 60)
            answer = rng.choice([None, 15, 3 * HOUR, 100 * HOUR])
            records += [
                r for r in conversation(f"s{step}-{n}-", minutes, answer, f"8{step}{n}")
                if r.created_at <= now
            ]  # fmt: skip
        store(session, account, records, now)
        week = iso_week(f"{now.isocalendar().year}-W{now.isocalendar().week:02d}")
        for _ in range(3):
            week = week.previous()
            assert api.league(session, None, week, now=now) == computed(session, week, now), (
                step,
                week,
            )
    assert session.scalar(select(func.count()).select_from(LeagueWeek)) > 0
    verdicts = session.execute(text("SELECT DISTINCT verdict FROM league_weeks")).scalars()
    assert len(set(verdicts) - {Verdict.INSUFFICIENT_DATA.value}) >= 1  # not only "too few"
