"""Numbers, percentages, dates and durations as each language writes them: the one place.

The dashboard, the exports, the weekly email and the command line all format through this
module (Babel, CLDR data), so the same value reads the same everywhere it is shown in the
same language.

- English follows British conventions (day before month, 24-hour clock): replywatch's
  owners are mostly European small businesses. German uses decimal commas and ``KW``.
- Durations pick their unit by one rule (``duration_unit``): minutes under an hour, hours
  under two days, then days — what an owner would say. The dashboard writes them with
  Babel's short units ("31 min"), an email sentence with its long ones ("6 days"), the
  command line compactly ("6 h 18 min"), which it writes in English only.
- A week inside a sentence of the email is written as CLDR's default interval for the
  language ("Nov 16 – 22, 2026", "16.–22. Nov. 2026"); tables and pickers use
  ``date_span`` ("16–22 Nov 2026").
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_interval,
    format_skeleton,
    format_timedelta,
    get_datetime_format,
)
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_percent
from babel.units import format_unit

from metrics.texts import best_language

LOCALES = {"en": "en_GB", "de": "de_DE"}
MISSING = "–"


def locale_for(language: str) -> Locale:
    return _locale(best_language(language))


@cache
def _locale(language: str) -> Locale:
    # Parsed once: Babel parses a locale given by name again on every call, which was
    # half the time of formatting a number (a league table page formats about a thousand).
    return Locale.parse(LOCALES[language])


def heading(text: str) -> str:
    """A metric name (written for use inside a sentence) as a title: first letter up."""
    return text[:1].upper() + text[1:]


# -- numbers -------------------------------------------------------------------------------


def number(value: float | int | None, language: str, decimals: int = 0) -> str:
    if value is None:
        return MISSING
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale_for(language))


def percent(ratio: float | None, language: str, decimals: int = 0) -> str:
    """A ratio in [0, 1] as a percentage: 0.873 -> "87%" / "87 %"."""
    if ratio is None:
        return MISSING
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
    if best_language(language) == "de":
        pattern = pattern.replace("%", "\u00a0%")
    return babel_percent(ratio, format=pattern, locale=locale_for(language))


def points(change: float | None, language: str) -> str:
    """A change of a ratio in percentage points: 0.05 -> "+5 pts" / "+5 Pp."."""
    if change is None:
        return MISSING
    value = round(change * 100)
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    unit = "Pp." if best_language(language) == "de" else "pts"
    return f"{sign}{number(abs(value), language)}\u00a0{unit}"


def interval(low: float | None, high: float | None, language: str) -> str:
    """A ratio's confidence interval: "72–91%"."""
    if low is None or high is None:
        return MISSING
    return f"{percent(low, language).rstrip('%').rstrip()}–{percent(high, language)}"


# -- dates and weeks -----------------------------------------------------------------------


def date_time(value: datetime | None, zone: str, language: str) -> str:
    """A UTC time shown in the client's time zone: "20 Nov 2026, 13:00"."""
    if value is None:
        return MISSING
    locale = locale_for(language)
    local = value.astimezone(ZoneInfo(zone))
    day_text = format_skeleton("yMMMd", local, locale=locale)
    time_text = format_skeleton("Hm", local, locale=locale)
    # The locale's way of joining a date and a time, e.g. "{1}, {0}".
    return (
        get_datetime_format("medium", locale=locale)
        .replace("{1}", day_text)
        .replace("{0}", time_text)
    )


def day(value: date | None, language: str) -> str:
    if value is None:
        return MISSING
    return format_date(value, "medium", locale=locale_for(language))


def short_day(value: date, language: str) -> str:
    """An axis label: "Mon 16 Nov" / "Mo., 16. Nov."."""
    return format_skeleton("MMMEd", value, locale=locale_for(language))


def date_span(start: date, end: date, language: str) -> str:
    """First to last day, both included: "16–22 Nov 2026" / "16.–22. Nov. 2026"."""
    if start == end:
        return day(start, language)
    return format_interval(start, end, "yMMMd", locale=locale_for(language))


def sentence_date_span(start: date, end: date, language: str) -> str:
    """First to last day inside a sentence of the email: "Nov 16 – 22, 2026"."""
    return format_interval(start, end, "yMMMd", locale=best_language(language))


def week_label(iso_week: str, language: str) -> str:
    """``2026-W47`` as people say it: "Week 47, 2026" / "KW 47/2026"."""
    year, _, week = iso_week.partition("-W")
    if best_language(language) == "de":
        return f"KW {int(week)}/{year}"
    return f"Week {int(week)}, {year}"


def week_short(iso_week: str, language: str, with_year: bool = False) -> str:
    """An axis label: "W47" / "KW 47"; with the year ("W1/27") where a chart crosses years."""
    year, _, week = iso_week.partition("-W")
    text = f"KW {int(week)}" if best_language(language) == "de" else f"W{int(week)}"
    return f"{text}/{year[2:]}" if with_year else text


# -- durations -----------------------------------------------------------------------------


def duration_unit(minutes: float) -> str:
    """The unit an owner would say: minutes under an hour, hours under two days, then days."""
    if minutes < 60:
        return "minute"
    if minutes < 48 * 60:
        return "hour"
    return "day"


def duration(value: timedelta | float | None, language: str, *, long: bool = False) -> str:
    """A response time or an age, in minutes (a number) or as a timedelta.

    Short (the dashboard): "31 min", "4.5 hrs", "3.2 days" — hours and days to one decimal.
    Long (a sentence of the email): "31 minutes", "38 hours", "6 days" — whole units.
    """
    if value is None:
        return MISSING
    minutes = value.total_seconds() / 60 if isinstance(value, timedelta) else value
    unit = duration_unit(minutes)
    if long:
        return format_timedelta(
            value if isinstance(value, timedelta) else timedelta(minutes=value),
            granularity=unit,
            threshold=1_000_000,
            format="long",
            locale=best_language(language),
        )
    locale = locale_for(language)
    if unit == "minute":
        return format_unit(round(minutes), "duration-minute", length="short", locale=locale)
    if unit == "hour":
        return format_unit(round(minutes / 60, 1), "duration-hour", length="short", locale=locale)
    return format_unit(round(minutes / 1440, 1), "duration-day", length="short", locale=locale)


def ago(age: timedelta, language: str) -> str:
    """How long ago, in whole units: "6 days ago" / "vor 6 Tagen" (at least a minute)."""
    age = max(age, timedelta(minutes=1))
    return format_timedelta(
        -age,
        granularity=duration_unit(age.total_seconds() / 60),
        threshold=1_000_000,
        add_direction=True,
        locale=best_language(language),
    )


def plotly_separators(language: str) -> str:
    """Plotly's ``layout.separators``: decimal mark then thousands mark."""
    return ",." if best_language(language) == "de" else ".,"


# -- the command line (English, plain text for terminals and logs) ------------------------


def compact_duration(value: timedelta | None) -> str:
    """A measured time on the command line: "45 s", "13 min", "6 h 18 min", "2.5 d"."""
    if value is None:
        return "-"
    minutes = value.total_seconds() / 60
    if minutes < 1:
        return f"{value.total_seconds():.0f} s"
    unit = duration_unit(minutes)
    if unit == "minute":
        return f"{minutes:.0f} min"
    if unit == "hour":
        hours, rest = divmod(round(minutes), 60)
        return f"{hours} h {rest:02d} min" if rest else f"{hours} h"
    return f"{minutes / 1440:.1f} d"


def setting_duration(minutes: float) -> str:
    """A configured interval or target, exactly as set: "30 min", "1.5 h", "3 d"."""
    if minutes >= 1440 and minutes % 1440 == 0:
        return f"{minutes / 1440:g} d"
    if minutes >= 60:
        return f"{minutes / 60:g} h"
    return f"{minutes:g} min"


def compact_percent(ratio: float | None) -> str:
    """A ratio on the command line: "77 %"."""
    return "-" if ratio is None else f"{ratio * 100:.0f} %"
