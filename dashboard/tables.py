"""Tables as data: columns with labels in the viewer's language, rows of plain values.

One table feeds three things: the HTML table on the page, the CSV download and the Excel
download. Values stay typed (numbers, UTC datetimes) until they are shown or written, so
sorting and the spreadsheet see numbers, not text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from metrics import formats

KINDS = ("text", "integer", "decimal", "percent", "datetime", "date", "duration", "link")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key!r}: kind {self.kind!r} is not one of {KINDS}")


@dataclass(frozen=True)
class Table:
    name: str  # stem of the download's file name, e.g. "collection-status"
    columns: tuple[Column, ...]
    rows: tuple[dict[str, Any], ...]
    zone: str = "UTC"  # datetimes are shown and exported in this time zone

    def column(self, key: str) -> Column | None:
        return next((column for column in self.columns if column.key == key), None)


def make_table(
    name: str, columns: Sequence[Column], rows: Sequence[dict[str, Any]], zone: str = "UTC"
) -> Table:
    keys = {column.key for column in columns}
    for number, row in enumerate(rows, start=1):
        missing = keys - row.keys()
        if missing:
            raise ValueError(f"table {name!r}, row {number}: no value for {sorted(missing)}")
    return Table(name, tuple(columns), tuple(rows), zone)


def sort_table(table: Table, sort: str | None) -> Table:
    """Sort by ``key`` or ``-key`` (descending); empty values always last. Stable."""
    if not sort:
        return table
    descending = sort.startswith("-")
    column = table.column(sort.lstrip("-"))
    if column is None:
        return table
    present = [row for row in table.rows if row[column.key] not in (None, "")]
    empty = [row for row in table.rows if row[column.key] in (None, "")]

    def key(row: dict[str, Any]) -> Any:
        value = row[column.key]
        return value.casefold() if isinstance(value, str) else value

    present.sort(key=key, reverse=descending)
    return replace(table, rows=tuple(present + empty))


def cell_text(value: Any, column: Column, zone: str, language: str) -> str:
    """A value as the page shows it, formatted for the language."""
    if value is None or value == "":
        return formats.MISSING
    match column.kind:
        case "integer":
            return formats.number(value, language)
        case "decimal":
            return formats.number(value, language, decimals=1)
        case "percent":
            return formats.percent(value, language)
        case "datetime":
            return formats.date_time(value, zone, language)
        case "date":
            return formats.day(value, language)
        case "duration":
            return formats.duration(value, language)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
