"""Numbers, dates and durations written the way each interface language writes them.

English follows British conventions (day before month, 24-hour clock): replywatch's owners
are mostly European small businesses. German uses decimal commas and ``KW`` week labels.
All formatting goes through Babel so that the dashboard and the exports agree.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_interval, format_skeleton, get_datetime_format
from babel.numbers import format_decimal
from babel.numbers import format_percent as babel_percent
from babel.units import format_unit

LOCALES = {"en": "en_GB", "de": "de_DE"}
MISSING = "–"


def locale_for(language: str) -> str:
    return LOCALES.get(language, LOCALES["en"])


def heading(text: str) -> str:
    """A metric name (written for use inside a sentence) as a title: first letter up."""
    return text[:1].upper() + text[1:]


def number(value: float | int | None, language: str, decimals: int = 0) -> str:
    if value is None:
        return MISSING
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=locale_for(language))


def percent(ratio: float | None, language: str, decimals: int = 0) -> str:
    """A ratio in [0, 1] as a percentage: 0.873 -> "87%" / "87 %"."""
    if ratio is None:
        return MISSING
    locale = locale_for(language)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
    if language == "de":
        pattern = pattern.replace("%", "\u00a0%")
    return babel_percent(ratio, format=pattern, locale=locale)


def points(change: float | None, language: str) -> str:
    """A change of a ratio in percentage points: 0.05 -> "+5 pts" / "+5 Pp."."""
    if change is None:
        return MISSING
    value = round(change * 100)
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    unit = "Pp." if language == "de" else "pts"
    return f"{sign}{number(abs(value), language)}\u00a0{unit}"


def interval(low: float | None, high: float | None, language: str) -> str:
    """A ratio's confidence interval: "72–91%"."""
    if low is None or high is None:
        return MISSING
    return f"{percent(low, language).rstrip('%').rstrip()}–{percent(high, language)}"


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
    if start == end:
        return day(start, language)
    return format_interval(start, end, "yMMMd", locale=locale_for(language))


def week_label(iso_week: str, language: str) -> str:
    """``2026-W47`` as people say it: "Week 47, 2026" / "KW 47/2026"."""
    year, _, week = iso_week.partition("-W")
    if language == "de":
        return f"KW {int(week)}/{year}"
    return f"Week {int(week)}, {year}"


def week_short(iso_week: str, language: str, with_year: bool = False) -> str:
    """An axis label: "W47" / "KW 47"; with the year ("W1/27") where a chart crosses years."""
    year, _, week = iso_week.partition("-W")
    text = f"KW {int(week)}" if language == "de" else f"W{int(week)}"
    return f"{text}/{year[2:]}" if with_year else text


def duration(minutes: float | None, language: str) -> str:
    """A response time: minutes below an hour, hours below two days, then days."""
    if minutes is None:
        return MISSING
    locale = locale_for(language)
    if minutes < 60:
        return format_unit(round(minutes), "duration-minute", length="short", locale=locale)
    hours = minutes / 60
    if hours < 48:
        rounded = round(hours, 1)
        return format_unit(rounded, "duration-hour", length="short", locale=locale)
    return format_unit(round(hours / 24, 1), "duration-day", length="short", locale=locale)


def plotly_separators(language: str) -> str:
    """Plotly's ``layout.separators``: decimal mark then thousands mark."""
    return ",." if language == "de" else ".,"
