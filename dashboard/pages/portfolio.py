"""Portfolio: the clients the viewer may see side by side (a league table), a chart
comparing them, and the clients whose collection needs attention.

A consultant reads about clients; an owner of several businesses gets the same page about
"your businesses" (an owner of one lands on its page instead: ``dashboard.guard.landing``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from dash import dcc, html

from dashboard.access import visible_clients
from dashboard.comparison import comparison_bars
from dashboard.components import client_picker, data_table, notice, pickers, section
from dashboard.figures import league_table
from dashboard.guard import Scope
from dashboard.i18n import translate, translate_plural
from dashboard.league import LeagueGroup, LeaguePage, group, page_of, sort_groups, valid_sort
from dashboard.metrics_adapter import league_rows
from dashboard.pages.common import (
    for_owner,
    heading,
    link_to,
    overview_title,
    platform_name,
    verdict_cell,
)
from dashboard.pages.period_pickers import period_pickers
from dashboard.queries import ClientSummary, client_summaries
from dashboard.state import href
from dashboard.tables import Column, Table, make_table
from metrics import api, formats
from storage.models import Client


def league(scope: Scope, clients: list[Client]) -> list[LeagueGroup]:
    """Every visible client with its accounts for the period, sorted as the URL says.

    For one of the recent ISO weeks the lines are the ones the metrics refresh stored
    (one indexed read, whatever the number of clients and items); for any other period,
    or a line no longer exact, they are computed from the rollups as summaries.
    """
    lines = api.league(scope.db, [client.id for client in clients], scope.period, now=scope.now)
    return sort_groups(group(league_rows(lines)), scope.state.sort)


def attention_table(summaries: list[ClientSummary], language: str, owner: bool = False) -> Table:
    columns = (
        Column(
            "client",
            translate("Business", language) if owner else translate("Client", language),
        ),
        Column("accounts", translate("Accounts", language), "integer"),
        Column("platforms", translate("Platforms", language)),
        Column("last_collection", translate("Last collection", language), "datetime"),
        Column("attention", translate("Needs attention", language), "integer"),
    )
    rows = [
        {
            "client": summary.name,
            "client_id": summary.client_id,
            "zone": summary.time_zone,
            "accounts": summary.accounts,
            "platforms": ", ".join(platform_name(p) for p in summary.platforms),
            "last_collection": summary.last_collection,
            "attention": summary.credentials_to_renew + summary.failing_accounts,
            "renew": summary.credentials_to_renew,
            "failing": summary.failing_accounts,
        }
        for summary in summaries
    ]
    return make_table("clients", columns, rows)


def attention_cell(row: dict[str, Any], language: str) -> Any:
    """What needs attention in a client's collection, in words: "1 account needs renewal,
    2 failing"."""
    parts = []
    if row["renew"]:
        parts.append(
            translate_plural(
                "{count} account needs renewal",
                "{count} accounts need renewal",
                row["renew"],
                language,
                count=row["renew"],
            )
        )
    if row["failing"]:
        parts.append(translate("{count} failing", language, count=row["failing"]))
    if not parts:
        return translate("–", language)
    return html.Span(", ".join(parts), className="attention")


def export_href(scope: Scope, file_format: str) -> str:
    query = {"period": scope.period.token, "sort": valid_sort(scope.state.sort)}
    return f"/export/portfolio.{file_format}?{urlencode(query)}"


def league_section(scope: Scope, page: LeaguePage) -> html.Section:
    language = scope.language
    sort = valid_sort(scope.state.sort)
    owner = for_owner(scope)
    table = league_table(page.rows, language, owner=owner)

    def sort_href(key: str) -> str:
        return href(scope.state.with_changes(sort=key, table_page=None, period=scope.period.token))

    def name_cell(row: dict[str, Any]) -> Any:
        if row["account_id"] is not None:
            target = link_to(scope, "account", account_id=row["account_id"])
            return dcc.Link(row["account"], href=target)
        return dcc.Link(row["client"], href=link_to(scope, "client", client_id=row["client_id"]))

    parts: list[Any] = [
        html.P(
            translate(
                "Each of your businesses with its accounts, each in its own time zone; "
                "the change is against the period before. Click a column to sort.",
                language,
            )
            if owner
            else translate(
                "Each client with its accounts, every client in its own time zone; "
                "the change is against the period before. Click a column to sort.",
                language,
            ),
            className="muted",
        ),
        data_table(
            table,
            language,
            table_id="league-table",
            sort=sort,
            sort_href=sort_href,
            cells={
                "client": name_cell,
                "verdict": lambda row: verdict_cell(row, language),
                "ratio_change": lambda row: formats.points(row["ratio_change"], language),
            },
            row_class=lambda row: "league-account" if row["account_id"] else "league-client",
        ),
    ]
    if page.pages > 1:
        parts.append(_pager(scope, page))
    parts.append(
        html.P(
            [
                html.A(translate("Download CSV", language), href=export_href(scope, "csv"),
                       className="button", id="export-csv", download=""),
                html.A(translate("Download Excel", language), href=export_href(scope, "xlsx"),
                       className="button", id="export-xlsx", download=""),
            ],
            className="exports",
        )
    )  # fmt: skip
    return section(translate("League table", language), *parts, section_id="league")


def _pager(scope: Scope, page: LeaguePage) -> html.Nav:
    language = scope.language

    def to(number: int) -> str:
        return href(scope.state.with_changes(table_page=number, period=scope.period.token))

    links: list[Any] = []
    if page.number > 1:
        links.append(dcc.Link(translate("‹ Previous", language), href=to(page.number - 1)))
    numbers = {
        "first": formats.number(page.first, language),
        "last": formats.number(page.last, language),
        "total": formats.number(page.clients, language),
    }
    links.append(
        html.Span(
            translate("Businesses {first}–{last} of {total}", language, **numbers)
            if for_owner(scope)
            else translate("Clients {first}–{last} of {total}", language, **numbers),
            className="muted",
        )
    )
    if page.number < page.pages:
        links.append(dcc.Link(translate("Next ›", language), href=to(page.number + 1)))
    return html.Nav(
        links,
        className="pager",
        id="league-pages",
        **{"aria-label": translate("Pages of the table", language)},
    )


def render(scope: Scope) -> list[Any]:
    language = scope.language
    owner = for_owner(scope)
    clients = visible_clients(scope.db, scope.viewer)
    parts = heading(scope, overview_title(scope))
    parts.append(
        pickers(
            client_picker([(c.id, c.name) for c in clients], None, language, owner=owner),
            *period_pickers(scope),
        )
    )
    if not clients:
        parts.append(
            notice(
                translate(
                    "No business is shared with your login yet; ask whoever runs "
                    "replywatch for you to grant it.",
                    language,
                )
                if owner
                else translate(
                    "No clients yet. An operator adds them with: replywatch client add", language
                )
            )
        )
        return parts
    page = page_of(league(scope, clients), scope.state.table_page)
    parts.append(
        html.P(
            translate("Whether your businesses answer their customers, side by side.", language)
            if owner
            else translate("Whether your clients answer their customers, side by side.", language),
            className="muted",
        )
    )
    parts.append(league_section(scope, page))
    parts.append(
        section(
            translate("Your businesses compared", language)
            if owner
            else translate("Clients compared", language),
            html.P(
                translate(
                    "Response ratio of your businesses, with its 95% interval; the colour "
                    "shows the verdict.",
                    language,
                )
                if owner
                else translate(
                    "Response ratio of the clients on this page of the table, with its "
                    "95% interval; the colour shows the verdict.",
                    language,
                ),
                className="muted",
            ),
            comparison_bars([g.client for g in page.groups], language, "comparison-chart"),
            section_id="comparison",
        )
    )
    parts.append(collection_section(scope, clients))
    return parts


def collection_section(scope: Scope, clients: list[Client]) -> html.Section:
    language = scope.language
    owner = for_owner(scope)
    summaries = client_summaries(scope.db, clients, scope.now)
    needing = [s for s in summaries if s.credentials_to_renew or s.failing_accounts]
    content: Any
    count = formats.number(len(summaries), language)
    if not needing:
        content = notice(
            translate_plural(
                "Your business is collected without problems.",
                "All {count} of your businesses are collected without problems.",
                len(summaries),
                language,
                count=count,
            )
            if owner
            else translate_plural(
                "The client is collected without problems.",
                "All {count} clients are collected without problems.",
                len(summaries),
                language,
                count=count,
            )
        )
    else:
        content = [
            html.P(
                translate(
                    "Your businesses whose credentials need renewal or whose last "
                    "collection failed.",
                    language,
                )
                if owner
                else translate(
                    "Clients whose credentials need renewal or whose last collection failed.",
                    language,
                ),
                className="muted",
            ),
            data_table(
                attention_table(needing, language, owner),
                language,
                table_id="clients-table",
                cells={
                    "client": lambda row: dcc.Link(
                        row["client"], href=link_to(scope, "client", client_id=row["client_id"])
                    ),
                    "last_collection": lambda row: formats.date_time(
                        row["last_collection"], row["zone"], language
                    ),
                    "attention": lambda row: attention_cell(row, language),
                },
            ),
        ]
    children = content if isinstance(content, list) else [content]
    return section(translate("Collection", language), *children, section_id="clients")
