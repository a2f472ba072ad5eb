"""Collection status in the words and tables the account page and its downloads use."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from dashboard.i18n import translate
from dashboard.period import Period
from dashboard.queries import HEALTHY_OUTCOMES, RunRow
from dashboard.tables import Column, Table, make_table
from dashboard.viewmodels import CollectionDay


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
    key = f"outcome.{outcome}"
    try:
        return translate(key, language)
    except KeyError:
        return outcome


def collection_status_table(runs: Sequence[RunRow], zone: str, language: str) -> Table:
    """The runs of an account (newest first): shown on the page and downloaded."""
    columns = (
        Column("started", translate("column.started", language), "datetime"),
        Column("finished", translate("column.finished", language), "datetime"),
        Column("outcome", translate("column.outcome", language)),
        Column("api_calls", translate("column.api_calls", language), "integer"),
        Column("items_new", translate("column.items_new", language), "integer"),
        Column("items_updated", translate("column.items_updated", language), "integer"),
        Column("problems", translate("column.problems", language), "integer"),
        Column("error", translate("column.error", language)),
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
