"""Periods: date ranges in a client's time zone, ISO weeks, and their UTC bounds.

A period is a range of local calendar days ``[start, end)``; the default unit is the ISO
week (Monday to Sunday). Storage keeps UTC instants, so a period becomes the UTC instants
from local midnight of ``start`` to local midnight of ``end`` in the client's zone, which
is 167 or 169 hours long across a daylight-saving switch.

This is the one period type of replywatch: the metrics compute over it, the dashboard
shows it and writes it into its addresses (``token``, ``parse_period``), and the weekly
email is about one (an ISO week). Functions that need "now" take it after the time zone:
``last_full_week(time_zone, now)``.

Weeks are also numbered as plain integers (``week_index``): weeks since Monday
1970-01-05. The stored rollups and the SQL that buckets items into weeks use that number,
because it is the same in every time zone and easy to compute with integer arithmetic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

EPOCH_MONDAY = date(1970, 1, 5)
MAX_RANGE_DAYS = 366  # the longest date range the dashboard's addresses may name
# The years an address may name. Social media began after 2000; the bounds keep date
# arithmetic (the period before, the weeks of a trend) far from the ends of the calendar,
# where it overflows (``?period=0001-W01`` ended in a 500).
FIRST_URL_YEAR, LAST_URL_YEAR = 2000, 2999
_ISO_WEEK = re.compile(r"^\s*(\d{4})-?[Ww](\d{1,2})\s*$")
# ASCII digits: \d would also take other scripts' digits, which int() reads as well.
_URL_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
_URL_RANGE = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})")


class PeriodError(ValueError):
    """A period, week or date that cannot be understood; the message names the input."""


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def week_index(day: date) -> int:
    """Weeks since Monday 1970-01-05 of the week containing ``day``."""
    return (day - EPOCH_MONDAY).days // 7


def monday_of(index: int) -> date:
    return EPOCH_MONDAY + timedelta(weeks=index)


def local_midnight(day: date, time_zone: str) -> datetime:
    """The UTC instant at which ``day`` begins in ``time_zone``."""
    return datetime.combine(day, time(0), tzinfo=zone(time_zone)).astimezone(UTC)


@dataclass(frozen=True, order=True)
class Period:
    """Local calendar days ``start`` (inclusive) to ``end`` (exclusive)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise PeriodError(f"period {self.start}..{self.end} is empty: it ends before it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def is_iso_week(self) -> bool:
        return self.start.weekday() == 0 and self.days == 7

    @property
    def week_aligned(self) -> bool:
        """Whole ISO weeks: Monday to Sunday, one or more."""
        return self.start.weekday() == 0 and self.days % 7 == 0

    @property
    def weeks(self) -> range:
        """Week indexes touched by the period (whole or partial weeks)."""
        return range(week_index(self.start), week_index(self.end - timedelta(days=1)) + 1)

    @property
    def label(self) -> str:
        if self.is_iso_week:
            return iso_week_label(self.start)
        last = self.end - timedelta(days=1)
        if self.week_aligned:
            return f"{iso_week_label(self.start)}..{iso_week_label(last)}"
        return f"{self.start.isoformat()}..{last.isoformat()}"

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def iso_week(self) -> str | None:
        """``2026-W47`` when the period is exactly one ISO week, else None."""
        return iso_week_label(self.start) if self.is_iso_week else None

    @property
    def week_number(self) -> int:
        """The ISO week number of the first day (47 for 2026-W47)."""
        return self.start.isocalendar().week

    @property
    def token(self) -> str:
        """How an address names the period: ``2026-W47`` or ``2026-11-01..2026-11-30``."""
        return self.iso_week or f"{self.start.isoformat()}..{self.last_day.isoformat()}"

    def bounds(self, time_zone: str) -> tuple[datetime, datetime]:
        """The UTC instants ``[first, after)`` of this period in ``time_zone``."""
        return local_midnight(self.start, time_zone), local_midnight(self.end, time_zone)

    def previous(self) -> Period:
        """The period of the same length just before this one (the week before a week)."""
        return Period(self.start - timedelta(days=self.days), self.start)

    def next(self) -> Period:
        """The period of the same length just after this one (the week after a week)."""
        return Period(self.end, self.end + timedelta(days=self.days))

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range(self.days)]

    def widened(self, weeks: int) -> Period:
        """This period extended backwards by ``weeks`` whole weeks."""
        return Period(self.start - timedelta(weeks=weeks), self.end)

    def __str__(self) -> str:
        return self.label


def iso_week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def iso_week(text: str) -> Period:
    """``2026-W47`` (also ``2026W47``, ``2026-w47``) as the period Monday..Sunday."""
    match = _ISO_WEEK.match(text)
    if not match:
        raise PeriodError(f"week {text!r} is not an ISO week; expected a form like 2026-W47")
    year, week = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise PeriodError(f"week {text!r} does not exist: {year} has no week {week}") from None
    return Period(monday, monday + timedelta(days=7))


def week_of(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=7))


def week_period(index: int) -> Period:
    monday = monday_of(index)
    return Period(monday, monday + timedelta(days=7))


def parse_day(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise PeriodError(
            f"{what} {text!r} is not a date; expected a form like 2026-11-16"
        ) from None


def date_range(first: date, last: date) -> Period:
    """The days ``first`` to ``last``, both included."""
    if last < first:
        raise PeriodError(f"the period {first}..{last} ends before it starts")
    return Period(first, last + timedelta(days=1))


def local_today(time_zone: str, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone(time_zone)).date()


def current_week(time_zone: str, now: datetime | None = None) -> Period:
    """The ISO week that is running now in ``time_zone``."""
    return week_of(local_today(time_zone, now))


def last_full_week(time_zone: str, now: datetime | None = None) -> Period:
    """The most recent ISO week that has ended in ``time_zone`` (the default period)."""
    return current_week(time_zone, now).previous()


def recent_weeks(time_zone: str, now: datetime | None, count: int) -> list[Period]:
    """The last ``count`` full weeks in ``time_zone``, newest first (the week picker)."""
    latest = last_full_week(time_zone, now)
    return [
        Period(latest.start - timedelta(weeks=n), latest.end - timedelta(weeks=n))
        for n in range(count)
    ]


# The audit report's span (reports/audit.py), here because the dashboard's button, the
# command line and the report all need it: four full weeks, the span of a monthly meeting.
AUDIT_WEEKS = 4


def audit_period(shown: Period) -> Period:
    """The audit report for what a page shows: a week gives the ``AUDIT_WEEKS`` weeks
    ending with it, a date range is itself."""
    if shown.is_iso_week:
        return Period(shown.end - timedelta(weeks=AUDIT_WEEKS), shown.end)
    return shown


def default_audit_period(time_zone: str, now: datetime | None = None) -> Period:
    """The last ``AUDIT_WEEKS`` full ISO weeks in ``time_zone``."""
    return audit_period(last_full_week(time_zone, now))


def parse_period(text: str) -> Period:
    """A period as an address names it (``token``): ``2026-W47`` or ``A..B``, both days
    included, at most ``MAX_RANGE_DAYS`` long."""
    text = text.strip()
    week = _URL_WEEK.fullmatch(text)
    if week:
        year, number = int(week.group(1)), int(week.group(2))
        _check_url_year(text, year)
        try:
            monday = date.fromisocalendar(year, number, 1)
        except ValueError:
            raise PeriodError(f"{text!r} is not an ISO week of {year}") from None
        return Period(monday, monday + timedelta(days=7))
    span = _URL_RANGE.fullmatch(text)
    if span:
        try:
            first, last = date.fromisoformat(span.group(1)), date.fromisoformat(span.group(2))
        except ValueError:
            raise PeriodError(f"{text!r} contains a date that does not exist") from None
        _check_url_year(text, first.year)
        _check_url_year(text, last.year)
        if last < first:
            raise PeriodError(f"{text!r} ends before it starts")
        if (last - first).days + 1 > MAX_RANGE_DAYS:
            raise PeriodError(f"{text!r} is longer than {MAX_RANGE_DAYS} days")
        return Period(first, last + timedelta(days=1))
    raise PeriodError(f"{text!r} is neither a week like 2026-W47 nor a range like A..B")


def _check_url_year(text: str, year: int) -> None:
    if not FIRST_URL_YEAR <= year <= LAST_URL_YEAR:
        raise PeriodError(f"{text!r} lies outside the years {FIRST_URL_YEAR} to {LAST_URL_YEAR}")


def local_week_index(moment: datetime, time_zone: str) -> int:
    return week_index(moment.astimezone(zone(time_zone)).date())
