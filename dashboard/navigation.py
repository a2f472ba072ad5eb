"""Where a picker choice leads: a new page state, written into the URL.

This reads no data. Whatever id a picker (or a forged request) puts into the URL, the
page that the URL then loads checks it through the access guard.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from dashboard.state import MAX_ID, PageState
from metrics.periods import PeriodError, parse_period

_ID = re.compile(r"[0-9]{1,19}")


def _as_id(value: Any) -> int | None:
    """A picker's value as an id; None for anything no id can be (a forged request may
    send any JSON value)."""
    if isinstance(value, str) and _ID.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value <= MAX_ID else None


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def picked_values(ids: list[Any], values: list[Any]) -> dict[str, Any] | None:
    """Each picker's value under its name; None when the ids (the pickers' ``id``, sent as
    state) and the values do not pair up, as in a forged request."""
    names = [identity.get("picker") if isinstance(identity, dict) else None for identity in ids]
    if len(names) != len(values) or not all(isinstance(name, str) for name in names):
        return None
    return dict(zip(names, values, strict=True))


def target(
    current: PageState,
    trigger: str,
    picked: dict[str, Any],
    start: Any = None,
    end: Any = None,
) -> PageState | None:
    """The state after the picker ``trigger`` (client, account, week, range) changed;
    None when the choice is incomplete or changes nothing."""
    period = current.period
    if trigger == "client":
        client_id = _as_id(picked.get("client"))
        if client_id is None:
            return None
        return PageState(page="client", client_id=client_id, period=period)
    if trigger == "account":
        account_id = _as_id(picked.get("account"))
        if account_id is not None:
            return PageState(page="account", account_id=account_id, period=period)
        client_id = _as_id(picked.get("client"))
        if client_id is None:
            return None
        return PageState(page="client", client_id=client_id, period=period)
    if trigger == "week":
        week = picked.get("week")
        if not isinstance(week, str):
            return None
        try:
            parse_period(week)
        except PeriodError:
            return None
        return current.with_changes(period=week)
    if trigger == "range":
        first, last = _day(start), _day(end)
        if first is None or last is None:
            return None
        token = f"{first.isoformat()}..{last.isoformat()}"
        try:
            chosen = parse_period(token)
        except PeriodError:
            return None
        return current.with_changes(period=chosen.token)
    return None
