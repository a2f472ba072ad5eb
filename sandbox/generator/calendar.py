"""Local time of a business: its zone, its opening hours and its public holidays.

The stories depend on the local clock (the in-house team answers on weekdays during
business hours only), so the generator needs to know when a business is open. Opening
hours are kept as structured data here; their text form is what replywatch's
``client add --hours`` accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class OpenHours:
    """Open from ``opens`` to ``closes`` on the days ``first_day`` .. ``last_day`` (0 = Mon)."""

    first_day: int
    last_day: int
    opens: time
    closes: time

    @property
    def text(self) -> str:
        days = DAY_NAMES[self.first_day]
        if self.last_day != self.first_day:
            days += "-" + DAY_NAMES[self.last_day]
        return f"{days} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def covers(self, moment: datetime) -> bool:
        """Whether the local ``moment`` lies in these hours (weekday and time of day)."""
        return (
            self.first_day <= moment.weekday() <= self.last_day
            and self.opens <= moment.time() < self.closes
        )


def hours_text(hours: tuple[OpenHours, ...]) -> str:
    """The schedule text for replywatch: "mon-fri 09:00-18:00, sat 10:00-14:00"."""
    return ", ".join(entry.text for entry in hours) if hours else "24/7"


@dataclass(frozen=True)
class Calendar:
    """When a business is open, in its own time zone, with its region's public holidays."""

    time_zone: str
    hours: tuple[OpenHours, ...] = ()
    holiday_region: str | None = None  # "DE-NW", "GB-ENG"
    _cache: dict[date, bool] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase | None:
        if not self.holiday_region:
            return None
        country, _, region = self.holiday_region.partition("-")
        return holidays.country_holidays(country, subdiv=region or None)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def at(self, day: date, clock: time | timedelta) -> datetime:
        """The UTC moment of a local wall-clock time on ``day``."""
        if isinstance(clock, timedelta):
            # Arithmetic on a zoneinfo datetime is wall-clock arithmetic; the offset is that
            # of the resulting local time, also on daylight-saving days.
            local = datetime.combine(day, time(0), tzinfo=self.zone) + clock
        else:
            local = datetime.combine(day, clock, tzinfo=self.zone)
        return local.astimezone(UTC)

    def is_holiday(self, day: date) -> bool:
        if self._holidays is None:
            return False
        if day not in self._cache:
            self._cache[day] = day in self._holidays
        return self._cache[day]

    def is_open(self, moment: datetime) -> bool:
        """Open at ``moment`` (any zone): inside the hours, not on a public holiday."""
        local = self.local(moment)
        if self.is_holiday(local.date()):
            return False
        if not self.hours:
            return True
        return any(entry.covers(local) for entry in self.hours)

    def week_start(self, moment: datetime) -> date:
        """The local Monday of the ISO week ``moment`` falls in."""
        local = self.local(moment).date()
        return local - timedelta(days=local.weekday())
