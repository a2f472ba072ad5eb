"""Building blocks of the pages: tables, pickers, sections, safe links.

Customer text only ever goes into Dash components as a plain string (children of an
html element), which React renders as text: a ``<script>`` in a comment shows as those
characters and never runs. No component here takes HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from dash import dcc, html

from dashboard.i18n import translate
from dashboard.tables import Table, cell_text
from metrics import formats
from metrics.periods import Period


def safe_href(url: str | None) -> str | None:
    """Only http(s) links from platform data: never ``javascript:`` or ``data:``."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def external_link(label: str, url: str | None) -> Any:
    href = safe_href(url)
    if href is None:
        return formats.MISSING
    return html.A(label, href=href, target="_blank", rel="noopener noreferrer nofollow")


def section(title: str, *children: Any, section_id: str | None = None) -> html.Section:
    props: dict[str, Any] = {"className": "card"}
    if section_id:
        props["id"] = section_id
    return html.Section([html.H2(title), *children], **props)


def notice(text: str, kind: str = "info") -> html.P:
    return html.P(text, className=f"notice notice-{kind}", role="status")


def data_table(
    table: Table,
    language: str,
    *,
    table_id: str,
    sort: str | None = None,
    sort_href: Callable[[str], str] | None = None,
    cells: dict[str, Callable[[dict[str, Any]], Any]] | None = None,
    row_class: Callable[[dict[str, Any]], str | None] | None = None,
) -> html.Div:
    """An HTML table of ``table``. With ``sort_href``, headers are links that sort by
    their column (again: the other way round); ``cells`` overrides how a column shows;
    ``row_class`` gives a row its CSS class."""
    current = (sort or "").lstrip("-")
    descending = bool(sort and sort.startswith("-"))
    header_cells = []
    for column in table.columns:
        label: Any = column.label
        attributes: dict[str, Any] = {"scope": "col", "className": f"col-{column.kind}"}
        if sort_href is not None:
            next_sort = f"-{column.key}" if column.key == current and not descending else column.key
            marker = ""
            if column.key == current:
                marker = " ▼" if descending else " ▲"
                attributes["aria-sort"] = "descending" if descending else "ascending"
            label = dcc.Link(column.label + marker, href=sort_href(next_sort))
        header_cells.append(html.Th(label, **attributes))
    body_rows = []
    for row in table.rows:
        tds = []
        for column in table.columns:
            custom = (cells or {}).get(column.key)
            content = (
                custom(row) if custom else cell_text(row[column.key], column, table.zone, language)
            )
            tds.append(
                html.Td(content, className=f"col-{column.kind}", **{"data-label": column.label})
            )
        css = row_class(row) if row_class is not None else None
        body_rows.append(html.Tr(tds, className=css) if css else html.Tr(tds))
    return html.Div(
        html.Table([html.Thead(html.Tr(header_cells)), html.Tbody(body_rows)], id=table_id),
        className="table-wrap",
    )


GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def graph(graph_id: str, figure: Any) -> Any:
    """A Plotly chart on a page: no logo, resizes with the page."""
    return dcc.Graph(id=graph_id, figure=figure, config=GRAPH_CONFIG)


def client_picker(
    options: Sequence[tuple[int, str]], selected: int | None, language: str, owner: bool = False
) -> Any:
    """The client (for an ``owner``: the business) to look at."""
    label = translate("Business", language) if owner else translate("Client", language)
    return _labelled(
        label,
        dcc.Dropdown(
            id={"picker": "client"},
            options=[{"label": name, "value": client_id} for client_id, name in options],
            value=selected,
            clearable=False,
            searchable=len(options) > 8,
            placeholder=label,
        ),
    )


def account_picker(options: Sequence[tuple[int, str]], selected: int | None, language: str) -> Any:
    choices = [{"label": translate("All accounts", language), "value": "all"}]
    choices += [{"label": label, "value": account_id} for account_id, label in options]
    return _labelled(
        translate("Account", language),
        dcc.Dropdown(
            id={"picker": "account"},
            options=choices,
            value=selected if selected is not None else "all",
            clearable=False,
            searchable=False,
        ),
    )


def week_picker(weeks: Sequence[Period], period: Period, language: str) -> Any:
    offered = list(weeks)
    if period.iso_week and all(week.iso_week != period.iso_week for week in offered):
        offered.insert(0, period)
    options = [
        {
            "label": f"{formats.week_label(week.iso_week or '', language)} · "
            f"{formats.date_span(week.start, week.last_day, language)}",
            "value": week.iso_week,
        }
        for week in offered
    ]
    return _labelled(
        translate("Week", language),
        dcc.Dropdown(
            id={"picker": "week"},
            options=options,
            value=period.iso_week,
            clearable=False,
            searchable=False,
            placeholder=translate("Choose a week", language),
        ),
    )


def range_picker(period: Period, language: str, latest: date) -> Any:
    return _labelled(
        translate("or dates", language),
        dcc.DatePickerRange(
            id={"range": "period"},
            start_date=period.start.isoformat(),
            end_date=period.last_day.isoformat(),
            display_format="DD.MM.YYYY" if language == "de" else "YYYY-MM-DD",
            first_day_of_week=1,
            max_date_allowed=latest.isoformat(),
            updatemode="bothdates",
            minimum_nights=0,
        ),
    )


def _labelled(label: str, control: Any) -> html.Div:
    return html.Div([html.Span(label, className="picker-label"), control], className="picker")


def pickers(*controls: Any) -> html.Div:
    return html.Div(list(controls), className="pickers")
