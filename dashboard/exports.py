"""CSV and Excel files of a table, with the column labels in the viewer's language.

Values are written for machines, not re-parsed text: numbers as numbers, datetimes in the
table's time zone (ISO 8601 with offset in CSV, real date cells in Excel, the zone named in
the header). Text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``,
tab, carriage return at the start: customer text can contain anything) gets a leading
apostrophe, the usual defence against formula injection.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from dashboard.tables import Column, Table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_ZONED_KINDS = ("datetime",)


def defuse(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def header(column: Column, zone: str) -> str:
    return f"{column.label} ({zone})" if column.kind in _ZONED_KINDS else column.label


def _local(value: datetime, zone: str) -> datetime:
    return value.astimezone(ZoneInfo(zone))


def _csv_value(value: Any, column: Column, zone: str) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _local(value, zone).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Six decimals say everything a ratio or a duration has, without float noise
        # (a 95 % interval ending at 0.9999999999999999).
        return round(value, 6)
    if isinstance(value, int):
        return value
    return defuse(str(value))


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens umlauts correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([header(column, table.zone) for column in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(row[c.key], c, table.zone) for c in table.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_value(value: Any, column: Column, zone: str) -> Any:
    if value is None:
        return None
    if isinstance(value, datetime):
        # Excel has no time zones: the local wall time, with the zone in the header.
        return _local(value, zone).replace(tzinfo=None)
    if isinstance(value, bool | int | float | date):
        return value
    return defuse(str(value))


NUMBER_FORMATS = {
    "datetime": "yyyy-mm-dd hh:mm",
    "date": "yyyy-mm-dd",
    "percent": "0.0%",
    "decimal": "0.0",
    "integer": "0",
}


def to_xlsx(table: Table, sheet_title: str | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = (sheet_title or table.name)[:31]
    sheet.append([header(column, table.zone) for column in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([_xlsx_value(row[c.key], c, table.zone) for c in table.columns])
    for index, column in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        number_format = NUMBER_FORMATS.get(column.kind)
        if number_format:
            for cell in sheet[letter][1:]:
                cell.number_format = number_format
        width = max(
            [len(header(column, table.zone))] + [len(str(c.value or "")) for c in sheet[letter][1:]]
        )
        sheet.column_dimensions[letter].width = min(60, max(10, width + 2))
        # Strings were defused above; make sure openpyxl never reads them as formulas.
        for cell in sheet[letter][1:]:
            if cell.data_type == "f":
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
