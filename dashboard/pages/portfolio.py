"""Portfolio: the clients the viewer may see, and the state of their collection."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboard import formats
from dashboard.access import visible_clients
from dashboard.components import client_picker, data_table, notice, pickers, section
from dashboard.guard import Scope
from dashboard.i18n import translate
from dashboard.pages.common import heading, link_to, platform_name
from dashboard.pages.period_pickers import period_pickers
from dashboard.queries import ClientSummary, client_summaries
from dashboard.state import href
from dashboard.tables import Column, Table, make_table, sort_table


def clients_table(summaries: list[ClientSummary], language: str) -> Table:
    columns = (
        Column("client", translate("column.client", language)),
        Column("accounts", translate("column.accounts", language), "integer"),
        Column("platforms", translate("column.platforms", language)),
        Column("last_collection", translate("column.last_collection", language), "datetime"),
        Column("attention", translate("column.attention", language), "integer"),
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


def _attention(row: dict[str, Any], language: str) -> Any:
    parts = []
    if row["renew"]:
        parts.append(translate("attention.renew", language, count=row["renew"]))
    if row["failing"]:
        parts.append(translate("attention.failing", language, count=row["failing"]))
    if not parts:
        return translate("attention.none", language)
    return html.Span(", ".join(parts), className="attention")


def render(scope: Scope) -> list[Any]:
    language = scope.language
    clients = visible_clients(scope.db, scope.viewer)
    parts = heading(scope, translate("portfolio.title", language))
    parts.append(
        pickers(
            client_picker([(c.id, c.name) for c in clients], None, language),
            *period_pickers(scope),
        )
    )
    if not clients:
        parts.append(notice(translate("empty.no_clients", language)))
        return parts
    table = sort_table(
        clients_table(client_summaries(scope.db, clients), language), scope.state.sort or "client"
    )
    parts.append(
        section(
            translate("portfolio.title", language),
            html.P(translate("portfolio.intro", language), className="muted"),
            data_table(
                table,
                language,
                table_id="clients-table",
                sort=scope.state.sort or "client",
                sort_href=lambda key: href(
                    scope.state.with_changes(sort=key, period=scope.period.token)
                ),
                cells={
                    "client": lambda row: dcc.Link(
                        row["client"], href=link_to(scope, "client", client_id=row["client_id"])
                    ),
                    "last_collection": lambda row: formats.date_time(
                        row["last_collection"], row["zone"], language
                    ),
                    "attention": lambda row: _attention(row, language),
                },
            ),
            section_id="clients",
        )
    )
    return parts
