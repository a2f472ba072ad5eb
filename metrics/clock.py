"""The business-hours clock: time that counts only while the business is open.

A client's clock is its weekly schedule (``metrics.schedule``) read in its IANA time zone,
minus the public holidays of its region (the ``holidays`` package), which are closed all
day. Open hours are wall-clock hours: "08:00-18:00" is ten hours on an ordinary day and
still 08:00 to 18:00 local time on the day daylight saving starts or ends, so the clock
converts each local day's open ranges to UTC separately.

An item that arrives while closed starts its clock at the next opening, and an answer
given before that opening has business time 0: both follow from measuring the open time
inside ``[arrived, answered]``. Without a schedule the clock runs around the clock, and
holidays are ignored (a business open 24/7 is open on holidays too).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from metrics.periods import local_midnight, zone
from metrics.schedule import WeeklySchedule, parse_schedule

ZERO = timedelta(0)
# A deadline further away than this means the schedule never opens (e.g. every day a
# holiday); give up instead of looping forever.
_DEADLINE_SEARCH_DAYS = 3660


@cache
def _holiday_calendar(region: str) -> Any:
    import holidays

    country, _, subdivision = region.upper().partition("-")
    return holidays.country_holidays(country, subdiv=subdivision or None)


def holiday_test(region: str | None) -> Callable[[date], bool]:
    """A function telling whether a local date is a public holiday in ``region``."""
    if not region:
        return lambda _day: False
    calendar = _holiday_calendar(region)
    return lambda day: day in calendar


class BusinessClock:
    """Open hours of one client in UTC, computed one local day at a time and cached."""

    __slots__ = ("_days", "_is_holiday", "holiday_region", "schedule", "time_zone")

    def __init__(
        self,
        schedule: WeeklySchedule,
        time_zone: str = "UTC",
        holiday_region: str | None = None,
    ) -> None:
        self.schedule = schedule
        self.time_zone = time_zone
        self.holiday_region = holiday_region
        self._is_holiday = holiday_test(holiday_region)
        self._days: dict[date, tuple[tuple[datetime, datetime], ...]] = {}
        zone(time_zone)  # fail early on an unknown zone

    @classmethod
    def from_settings(
        cls, business_hours: str | None, time_zone: str, holiday_region: str | None
    ) -> BusinessClock:
        return cls(parse_schedule(business_hours), time_zone, holiday_region)

    @property
    def always_open(self) -> bool:
        return self.schedule.always_open

    def open_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The UTC instants during which the business is open on local ``day``."""
        found = self._days.get(day)
        if found is None:
            if self._is_holiday(day):
                found = ()
            else:
                found = tuple(
                    (self._at(day, start), self._at(day, end))
                    for start, end in self.schedule.days[day.weekday()]
                )
            self._days[day] = found
        return found

    def _at(self, day: date, minute: int) -> datetime:
        if minute == 1440:
            return local_midnight(day + timedelta(days=1), self.time_zone)
        local = datetime(day.year, day.month, day.day, minute // 60, minute % 60)
        return local.replace(tzinfo=zone(self.time_zone)).astimezone(UTC)

    def _local_day(self, moment: datetime) -> date:
        return moment.astimezone(zone(self.time_zone)).date()

    def business_time(self, start: datetime, end: datetime) -> timedelta:
        """Open time inside ``[start, end]``; zero when ``end`` is not after ``start``."""
        if end <= start:
            return ZERO
        if self.always_open:
            return end - start
        total = ZERO
        day, last = self._local_day(start), self._local_day(end)
        while day <= last:
            for opens, closes in self.open_intervals(day):
                overlap = min(closes, end) - max(opens, start)
                if overlap > ZERO:
                    total += overlap
            day += timedelta(days=1)
        return total

    def is_open(self, moment: datetime) -> bool:
        if self.always_open:
            return True
        intervals = self.open_intervals(self._local_day(moment))
        return any(opens <= moment < closes for opens, closes in intervals)

    def deadline(self, start: datetime, duration: timedelta) -> datetime | None:
        """When ``duration`` of open time has passed after ``start`` (a breach time).

        With Mon-Fri 09:00-17:00 and 30 minutes, a message on Friday at 16:45 reaches
        its deadline on Monday at 09:15. None when the schedule never opens again.
        """
        if self.always_open:
            return start + duration
        remaining = duration
        day = self._local_day(start)
        for _ in range(_DEADLINE_SEARCH_DAYS):
            for opens, closes in self.open_intervals(day):
                begin = max(opens, start)
                if closes <= begin:
                    continue
                if begin + remaining <= closes:
                    return begin + remaining
                remaining -= closes - begin
            day += timedelta(days=1)
        return None


def microseconds(duration: timedelta) -> int:
    return duration // timedelta(microseconds=1)
