"""The week and date-range pickers, offered in the client's time zone."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from dashboard.components import range_picker, week_picker
from dashboard.guard import Scope
from metrics.api import LEAGUE_WEEKS
from metrics.periods import recent_weeks

# The weeks whose league table the refresh keeps ready (metrics.league).
WEEKS_OFFERED = LEAGUE_WEEKS


def period_pickers(scope: Scope) -> list[Any]:
    today = scope.now.astimezone(ZoneInfo(scope.zone)).date()
    weeks = recent_weeks(scope.zone, scope.now, WEEKS_OFFERED)
    return [
        week_picker(weeks, scope.period, scope.language),
        range_picker(scope.period, scope.language, today),
    ]
