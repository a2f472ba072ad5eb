"""Collection status in the words and tables the account page and its downloads use."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from dashboard.i18n import translate
from dashboard.queries import HEALTHY_OUTCOMES, RunRow
from dashboard.states import OUTCOMES, state_text
from dashboard.tables import Column, Table, make_table
from dashboard.viewmodels import CollectionDay
from metrics.periods import Period


def collection_days(runs: Sequence[RunRow], period: Period, zone: str) -> list[CollectionDay]:
    """One entry per day of the period (local days of ``zone``), days without runs included."""
    tz = ZoneInfo(zone)
    totals = {day: [0, 0, 0] for day in period.each_day()}
    for run in runs:
        day = run.started_at.astimezone(tz).date()
        if day not in totals:
            continue
        entry = totals[day]
        entry[0] += 1
        entry[1] += run.outcome not in HEALTHY_OUTCOMES
        entry[2] += run.items_new
    return [CollectionDay(day, runs, failed, new) for day, (runs, failed, new) in totals.items()]


def outcome_text(outcome: str, language: str) -> str:
    return state_text(OUTCOMES, outcome, language)


def collection_status_table(runs: Sequence[RunRow], zone: str, language: str) -> Table:
    """The runs of an account (newest first): shown on the page and downloaded."""
    columns = (
        Column("started", translate("Started", language), "datetime"),
        Column("finished", translate("Finished", language), "datetime"),
        Column("outcome", translate("Outcome", language)),
        Column("api_calls", translate("API calls", language), "integer"),
        Column("items_new", translate("New items", language), "integer"),
        Column("items_updated", translate("Updated items", language), "integer"),
        Column("problems", translate("Payload problems", language), "integer"),
        Column("error", translate("Error", language)),
    )
    rows = [
        {
            "started": run.started_at,
            "finished": run.finished_at,
            "outcome": outcome_text(run.outcome, language),
            "api_calls": run.api_calls,
            "items_new": run.items_new,
            "items_updated": run.items_updated,
            "problems": run.problems,
            "error": run.error,
        }
        for run in runs
    ]
    return make_table("collection-status", columns, rows, zone)
