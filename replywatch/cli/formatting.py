"""How the command line shows times and tables (durations and percentages: metrics.formats)."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def table(*columns: str, title: str | None = None) -> Table:
    result = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        result.add_column(column)
    return result
