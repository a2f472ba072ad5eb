"""Checks of what operators type: time zones, durations, holiday regions, languages.

Each check returns the value in canonical form or raises InputError whose message names
the input and the expected form. The command line turns InputError into exit status 2.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime
from functools import cache

from metrics.schedule import ScheduleError, parse_schedule
from storage.platforms import HandleError, canonical_handle


class InputError(ValueError):
    """Input that cannot be accepted; the message says what was expected."""


LANGUAGES = ("en", "de")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|min|s)", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone(value: str) -> str:
    name = value.strip()
    if name not in _time_zones():
        raise InputError(
            f"time zone {value!r} is not an IANA time zone name; expected a name like "
            "Europe/Berlin or America/New_York"
        )
    return name


def business_hours(value: str) -> str | None:
    """Canonical schedule text, or None for around the clock."""
    try:
        schedule = parse_schedule(value)
    except ScheduleError as exc:
        raise InputError(str(exc)) from None
    return None if schedule.always_open else schedule.canonical()


def holiday_region(value: str) -> str | None:
    """``DE`` or ``DE-BY`` checked against the holidays package; empty means none."""
    import holidays

    text = value.strip().upper()
    if not text or text == "NONE":
        return None
    country, _, subdivision = text.partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise InputError(
            f"holiday region {value!r}: {country!r} is not a supported country code; expected "
            "an ISO 3166 code like DE, AT, CH, US, optionally with a region like DE-BY"
        )
    if subdivision:
        regions = supported[country]
        if subdivision not in regions:
            listed = ", ".join(regions[:20]) + (" …" if len(regions) > 20 else "")
            raise InputError(
                f"holiday region {value!r}: {subdivision!r} is not a region of {country}; "
                f"expected one of {listed}"
            )
    return text


def duration_minutes(value: str, what: str) -> float:
    """``72h``, ``30m``, ``1h30m``, ``2d``, or a bare number of minutes."""
    text = value.strip().replace(" ", "")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        minutes = float(text)
    else:
        parts = _DURATION.findall(text)
        if not parts or "".join(n + u for n, u in parts).lower() != text.lower():
            raise InputError(
                f"{what} {value!r} is not a duration; expected a form like 30m, 4h, 1h30m or 3d"
            )
        factor = {"d": 1440, "h": 60, "m": 1, "min": 1, "s": 1 / 60}
        minutes = sum(float(number) * factor[unit.lower()] for number, unit in parts)
    if minutes <= 0:
        raise InputError(f"{what} {value!r} must be longer than zero")
    return minutes


def ratio(value: str, what: str) -> float:
    """``90%``, ``0.9`` or ``90`` → 0.9."""
    text = value.strip().rstrip("%")
    try:
        number = float(text)
    except ValueError:
        raise InputError(
            f"{what} {value!r} is not a ratio; expected a form like 90% or 0.9"
        ) from None
    if number > 1:
        number /= 100
    if not 0 < number <= 1:
        raise InputError(f"{what} {value!r} must lie between 0 and 100 %")
    return number


def positive_int(value: int, what: str, maximum: int = 10_000) -> int:
    if not 1 <= value <= maximum:
        raise InputError(f"{what} {value} must be a whole number from 1 to {maximum}")
    return value


def handle(platform: str, value: str) -> str:
    try:
        return canonical_handle(platform, value)
    except HandleError as exc:
        raise InputError(str(exc)) from None


def language(value: str) -> str:
    text = value.strip().lower()
    if text not in LANGUAGES:
        raise InputError(f"language {value!r} is not supported; expected one of en, de")
    return text


def email(value: str) -> str:
    text = value.strip()
    if not _EMAIL.match(text):
        raise InputError(
            f"email address {value!r} is not valid; expected a form like name@example.com"
        )
    return text


def client_name(value: str) -> str:
    text = " ".join(value.split())
    if not 1 <= len(text) <= 200:
        raise InputError(f"client name {value!r} must have 1 to 200 characters")
    return text


def display_name(value: str) -> str | None:
    """A name shown instead of a handle; empty means none (the handle is shown)."""
    text = " ".join(value.split())
    if len(text) > 200:
        raise InputError(f"display name {value[:20]!r}… must have at most 200 characters")
    return text or None


def username(value: str) -> str:
    text = value.strip()
    if not re.fullmatch(r"[A-Za-z0-9._@-]{3,64}", text):
        raise InputError(
            f"user name {value!r} is not valid; expected 3-64 letters, digits or . _ @ -"
        )
    return text


def moment(value: str, what: str) -> datetime:
    """An ISO 8601 moment with its UTC offset (``2026-11-18T09:30Z``, ``…+01:00``), in UTC."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{what} {value!r} is not a moment; expected ISO 8601 with a UTC offset like "
            "2026-11-18T09:30Z or 2026-11-18T10:30+01:00"
        ) from None
    if parsed.tzinfo is None:
        raise InputError(f"{what} {value!r} has no UTC offset; add Z (UTC) or one like +01:00")
    return parsed.astimezone(UTC)
