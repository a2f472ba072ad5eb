"""A small, obviously correct reference implementation of docs/metrics.md.

It works on plain in-memory records with loops and no cleverness, so that it can be read
against the definitions line by line. The SQL path in ``metrics`` must agree with it on
generated threads (tests/test_metrics_properties.py). Speed does not matter here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from metrics.schedule import parse_schedule

MINUTE = timedelta(minutes=1)


def business_seconds(
    start: datetime,
    end: datetime,
    business_hours: str | None,
    time_zone: str,
    holiday_region: str | None = None,
) -> float:
    """Open time inside [start, end], by walking the UTC minutes one by one.

    Schedules, daylight-saving switches and holidays all change on whole minutes, so a
    minute is either open or closed as a whole: it is open when its local wall-clock time
    falls in one of the day's ranges and its local date is not a holiday.
    """
    if end <= start:
        return 0.0
    schedule = parse_schedule(business_hours)
    if schedule.always_open:
        return (end - start).total_seconds()
    import holidays

    calendar = None
    if holiday_region:
        country, _, subdivision = holiday_region.partition("-")
        calendar = holidays.country_holidays(country, subdiv=subdivision or None)
    tz = ZoneInfo(time_zone)
    minute = start.astimezone(UTC).replace(second=0, microsecond=0)
    total = 0.0
    while minute < end:
        local = minute.astimezone(tz)
        of_day = local.hour * 60 + local.minute
        is_open = any(a <= of_day < b for a, b in schedule.days[local.weekday()])
        if is_open and not (calendar is not None and local.date() in calendar):
            overlap = min(minute + MINUTE, end) - max(minute, start)
            total += max(overlap.total_seconds(), 0.0)
        minute += MINUTE
    return total
