"""Periods the dashboard shows: an ISO week, or a date range, in the client's time zone.

In a URL a period is ``2026-W47`` or ``2026-11-01..2026-11-30`` (both ends included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_RANGE_DAYS = 366
# Social media began after 2000; the bounds keep date arithmetic (the period before, the
# weeks of a trend) far from the ends of the calendar, where it overflows.
FIRST_YEAR, LAST_YEAR = 2000, 2999
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
_RANGE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})")


class PeriodError(ValueError):
    """A period in a URL that cannot be read; the message says what is expected."""


@dataclass(frozen=True)
class Period:
    start: date  # first day, in the client's zone
    end: date  # last day, included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def iso_week(self) -> str | None:
        """``2026-W47`` when the period is exactly one ISO week, else None."""
        if self.start.isoweekday() != 1 or self.days != 7:
            return None
        year, week, _ = self.start.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def token(self) -> str:
        return self.iso_week or f"{self.start.isoformat()}..{self.end.isoformat()}"

    def previous(self) -> Period:
        """The period of the same length just before this one (for "change against")."""
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def utc_bounds(self, zone: str) -> tuple[datetime, datetime]:
        """[start, end) in UTC: from local midnight of the first day to after the last."""
        tz = ZoneInfo(zone)
        start = datetime.combine(self.start, time(0), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        return start, end

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range(self.days)]


def week_of(day: date) -> Period:
    monday = day - timedelta(days=day.isoweekday() - 1)
    return Period(monday, monday + timedelta(days=6))


def last_full_week(now: datetime, zone: str) -> Period:
    """The latest ISO week that has ended in ``zone`` at ``now``."""
    today = now.astimezone(ZoneInfo(zone)).date()
    return week_of(today - timedelta(days=7))


def recent_weeks(now: datetime, zone: str, count: int) -> list[Period]:
    """The last ``count`` full weeks, newest first (what the week picker offers)."""
    latest = last_full_week(now, zone)
    return [
        Period(latest.start - timedelta(weeks=n), latest.end - timedelta(weeks=n))
        for n in range(count)
    ]


def parse_period(text: str) -> Period:
    text = text.strip()
    week = _WEEK.fullmatch(text)
    if week:
        year, number = int(week.group(1)), int(week.group(2))
        _check_year(text, year)
        try:
            monday = date.fromisocalendar(year, number, 1)
        except ValueError:
            raise PeriodError(f"{text!r} is not an ISO week of {year}") from None
        return Period(monday, monday + timedelta(days=6))
    span = _RANGE.fullmatch(text)
    if span:
        try:
            start, end = date.fromisoformat(span.group(1)), date.fromisoformat(span.group(2))
        except ValueError:
            raise PeriodError(f"{text!r} contains a date that does not exist") from None
        _check_year(text, start.year)
        _check_year(text, end.year)
        if end < start:
            raise PeriodError(f"{text!r} ends before it starts")
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise PeriodError(f"{text!r} is longer than {MAX_RANGE_DAYS} days")
        return Period(start, end)
    raise PeriodError(f"{text!r} is neither a week like 2026-W47 nor a range like A..B")


def _check_year(text: str, year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(f"{text!r} lies outside the years {FIRST_YEAR} to {LAST_YEAR}")
