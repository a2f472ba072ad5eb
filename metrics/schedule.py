"""Weekly business-hours schedules: ``mon-fri 08:00-18:00, sat 09:00-12:00``.

Grammar (case-insensitive), entries separated by commas or semicolons:

    entry  := days range (" " range)*
    days   := day | day "-" day          (mon-fri; fri-mon wraps over the weekend)
    range  := HH:MM "-" HH:MM            (end may be 24:00; end after start)

``24/7`` (or an empty text) means always open. Ranges of one day that overlap or touch
are merged. The canonical text groups consecutive days with equal hours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = ("24/7", "always", "")

_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


class ScheduleError(ValueError):
    pass


EXPECTED = 'expected entries like "mon-fri 08:00-18:00, sat 09:00-12:00" or "24/7"'


@dataclass(frozen=True)
class WeeklySchedule:
    """Open intervals per weekday (0 = Monday) in minutes since local midnight."""

    days: tuple[tuple[tuple[int, int], ...], ...]

    @property
    def always_open(self) -> bool:
        return all(day == ((0, 1440),) for day in self.days)

    def canonical(self) -> str:
        if self.always_open:
            return "24/7"
        groups: list[tuple[int, int, tuple[tuple[int, int], ...]]] = []
        for index, ranges in enumerate(self.days):
            if not ranges:
                continue
            if groups and groups[-1][1] == index - 1 and groups[-1][2] == ranges:
                groups[-1] = (groups[-1][0], index, ranges)
            else:
                groups.append((index, index, ranges))
        parts = []
        for first, last, ranges in groups:
            days = DAYS[first] if first == last else f"{DAYS[first]}-{DAYS[last]}"
            parts.append(days + " " + " ".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in ranges))
        return ", ".join(parts) if parts else "closed"

    def closed_hours(self) -> frozenset[tuple[int, int]]:
        """(weekday, hour) of the week without a single open minute (charts dot them)."""
        return frozenset(
            (day, hour)
            for day, ranges in enumerate(self.days)
            for hour in range(24)
            if not any(opens < hour * 60 + 60 and closes > hour * 60 for opens, closes in ranges)
        )

    def open_minutes_per_week(self) -> int:
        return sum(end - start for ranges in self.days for start, end in ranges)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_time(text: str, source: str) -> int:
    match = _TIME.match(text)
    if not match:
        raise ScheduleError(f"business hours {source!r}: {text!r} is not a time HH:MM; {EXPECTED}")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ScheduleError(f"business hours {source!r}: {text!r} is not a time of day")
    return hours * 60 + minutes


def _parse_days(text: str, source: str) -> list[int]:
    first, _, last = text.partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise ScheduleError(
            f"business hours {source!r}: {text!r} is not a day or day range like mon-fri; "
            f"{EXPECTED}"
        )
    start = DAYS.index(first)
    end = DAYS.index(last) if last else start
    span = (end - start) % 7
    return [(start + offset) % 7 for offset in range(span + 1)]


def _merge(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def parse_schedule(text: str | None) -> WeeklySchedule:
    source = (text or "").strip()
    if source.lower() in ALWAYS_OPEN:
        return WeeklySchedule(days=tuple(((0, 1440),) for _ in DAYS))
    per_day: list[list[tuple[int, int]]] = [[] for _ in DAYS]
    for entry in re.split(r"[,;]", source.lower()):
        words = entry.split()
        if not words:
            raise ScheduleError(f"business hours {source!r}: an entry is empty; {EXPECTED}")
        if len(words) < 2:
            raise ScheduleError(
                f"business hours {source!r}: {entry.strip()!r} has no hours; {EXPECTED}"
            )
        days = _parse_days(words[0], source)
        for word in words[1:]:
            start_text, dash, end_text = word.partition("-")
            if not dash:
                raise ScheduleError(
                    f"business hours {source!r}: {word!r} is not a range HH:MM-HH:MM; {EXPECTED}"
                )
            start, end = _parse_time(start_text, source), _parse_time(end_text, source)
            if end <= start:
                raise ScheduleError(
                    f"business hours {source!r}: {word!r} ends before it starts; split "
                    "overnight hours into two days"
                )
            for day in days:
                per_day[day].append((start, end))
    return WeeklySchedule(days=tuple(_merge(ranges) for ranges in per_day))
