"""Periods: ISO weeks, date ranges, and their UTC bounds in a client's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from metrics.periods import (
    Period,
    PeriodError,
    current_week,
    date_range,
    iso_week,
    last_full_week,
    local_week_index,
    monday_of,
    parse_day,
    week_index,
    week_of,
    week_period,
)


def test_iso_week_parsing_and_label():
    week = iso_week("2026-W47")
    assert (week.start, week.end) == (date(2026, 11, 16), date(2026, 11, 23))
    assert week.is_iso_week and week.label == "2026-W47"
    assert iso_week("2026w47") == week == iso_week(" 2026-W47 ")
    # ISO week 1 of 2026 starts in 2025; week 53 exists in 2026
    assert iso_week("2026-W01").start == date(2025, 12, 29)
    assert iso_week("2026-W53").start == date(2026, 12, 28)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-47", "expected a form like 2026-W47"),
        ("W47", "expected a form like 2026-W47"),
        ("2025-W53", "2025 has no week 53"),
        ("2026-W00", "2026 has no week 0"),
    ],
)
def test_bad_weeks_are_named(text, message):
    with pytest.raises(PeriodError, match=message):
        iso_week(text)


def test_utc_bounds_follow_the_zone_and_daylight_saving():
    week = iso_week("2026-W13")  # contains the switch to summer time on 29 March
    first, after = week.bounds("Europe/Berlin")
    assert first == datetime(2026, 3, 22, 23, tzinfo=UTC)
    assert after == datetime(2026, 3, 29, 22, tzinfo=UTC)
    assert after - first == timedelta(hours=167)
    assert iso_week("2026-W47").bounds("UTC")[0] == datetime(2026, 11, 16, tzinfo=UTC)


def test_date_ranges_include_both_days():
    period = date_range(date(2026, 11, 1), date(2026, 11, 30))
    assert period.days == 30 and not period.is_iso_week
    assert period.label == "2026-11-01..2026-11-30"
    with pytest.raises(PeriodError, match="ends before it starts"):
        date_range(date(2026, 11, 2), date(2026, 11, 1))
    with pytest.raises(PeriodError, match="is not a date"):
        parse_day("16.11.2026", "--from")


def test_week_indexes_are_zone_free_integers():
    assert week_index(date(1970, 1, 5)) == 0
    assert week_index(date(2026, 11, 22)) == week_index(date(2026, 11, 16))
    assert monday_of(week_index(date(2026, 11, 19))) == date(2026, 11, 16)
    assert week_period(week_index(date(2026, 11, 19))) == iso_week("2026-W47")
    # Sunday 23:30 UTC is already Monday in Berlin
    late = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert local_week_index(late, "UTC") + 1 == local_week_index(late, "Europe/Berlin")


def test_previous_widened_and_default_weeks():
    week = iso_week("2026-W47")
    assert week.previous() == iso_week("2026-W46")
    assert week.widened(4) == Period(date(2026, 10, 19), date(2026, 11, 23))
    assert week.widened(4).label == "2026-W43..2026-W47"
    assert list(week.widened(1).weeks) == [week_index(date(2026, 11, 9)), week_index(week.start)]
    now = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # Monday 00:30 in Berlin
    assert current_week("Europe/Berlin", now) == iso_week("2026-W48")
    assert last_full_week("Europe/Berlin", now) == iso_week("2026-W47")
    assert last_full_week("UTC", now) == iso_week("2026-W46")
    assert week_of(date(2026, 11, 22)) == week
