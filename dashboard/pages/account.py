"""Account: the same as a client page for one account (verdict, figures, trends, hours,
lists), plus its collection status (runs, errors, credentials) and the latest items."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from dash import html

from dashboard.collection import collection_days, collection_status_table, outcome_text
from dashboard.components import data_table, external_link, graph, notice, section
from dashboard.figures import collection_activity
from dashboard.guard import Scope
from dashboard.i18n import translate
from dashboard.pages.client import scope_pickers
from dashboard.pages.common import account_label, heading
from dashboard.pages.conversation import read, sections
from dashboard.queries import AccountSummary, ItemRow, account_summaries, latest_items, runs_between
from dashboard.renewal_text import connect_method, credentials_text, reconnect_href
from dashboard.runtime import runtime
from dashboard.states import CREDENTIAL_STATES, ITEM_KINDS, state_text
from dashboard.tables import sort_table
from metrics import formats
from metrics.labels import shown_text
from storage.renewal import Standing

RUNS_SHOWN = 20
ITEMS_SHOWN = 20


def export_href(scope: Scope, file_format: str) -> str:
    assert scope.account is not None
    query = urlencode({"account": scope.account.id, "period": scope.period.token})
    return f"/export/collection-status.{file_format}?{query}"


def _status_lines(scope: Scope, summary: AccountSummary) -> list[Any]:
    assert scope.account is not None and scope.client is not None
    language = scope.language
    lines: list[Any] = []
    if summary.needs_renewal:
        renewal = summary.renewal
        if renewal is not None and renewal.standing is Standing.RENEW_SOON and renewal.ends:
            text = translate(
                "The access ends on {date}: reconnect the account before then.",
                language,
                date=renewal.ends.strftime("%Y-%m-%d"),
            )
        elif summary.credential_error:
            text = translate(
                "The credentials need renewal: {reason}", language, reason=summary.credential_error
            )
        else:
            text = translate("The credentials need renewal.", language)
        lines.append(notice(text, "warn"))
        if runtime().connector is not None and connect_method(summary.platform):
            lines.append(
                html.A(
                    translate("Reconnect", language),
                    href=reconnect_href(scope.client.id, summary.platform),
                    id="reconnect",
                    className="button",
                )
            )
    state = (
        translate("collected", language)
        + ", "
        + translate(
            "every {interval}",
            language,
            interval=formats.duration(summary.collect_interval_minutes, language),
        )
        if summary.active
        else translate("not collected any more", language)
    )
    run = summary.last_run
    if run is None:
        last = translate("never collected yet", language)
    else:
        last = (
            f"{formats.date_time(run.started_at, scope.client.time_zone, language)} – "
            f"{outcome_text(run.outcome, language)}"
        )
    lines.append(
        html.Dl(
            [
                html.Dt(translate("Credentials", language)),
                html.Dd(
                    credentials_text(summary.renewal, language)
                    if summary.renewal is not None
                    else state_text(CREDENTIAL_STATES, summary.credential_status, language),
                    id="credentials",
                ),
                html.Dt(translate("Collection status", language)),
                html.Dd(state),
                html.Dt(translate("Last run", language)),
                html.Dd(last, id="last-run"),
            ],
            className="settings",
        )
    )
    if run is not None and run.error and run.outcome not in ("ok", "running"):
        lines.append(notice(run.error, "warn"))
    return lines


def _item(row: ItemRow, zone: str, language: str) -> html.Li:
    meta = [
        html.Time(formats.date_time(row.created_at, zone, language)),
        html.Span(row.author_handle or formats.MISSING, className="author"),
        html.Span(state_text(ITEM_KINDS, row.kind, language), className="kind"),
    ]
    if row.is_own:
        meta.append(html.Span(translate("own", language), className="badge badge-own"))
    link = external_link(translate("open", language), row.permalink)
    return html.Li(
        [
            html.Div(meta, className="item-meta"),
            # Plain string child: React shows it as text, whatever characters it holds.
            html.P(shown_text(row.text, row.purge_reason, language), className="item-text"),
            html.Div(link, className="item-link"),
        ],
        className="item" + (" item-removed" if row.removed else ""),
    )


def render(scope: Scope) -> list[Any]:
    assert scope.account is not None and scope.client is not None
    language = scope.language
    account = scope.account
    zone = scope.client.time_zone
    start, end = scope.period.bounds(zone)
    label = account_label(account.platform, account.handle)
    parts = heading(scope, label)
    parts.append(scope_pickers(scope))
    summary = account_summaries(scope.db, [account], scope.now)[0]
    if summary.needs_renewal or summary.failing:
        # The numbers below are only as fresh as the last collection: say so up front.
        parts.append(
            notice(
                translate(
                    "Collection of this account has a problem (see the collection "
                    "status below): the numbers may be missing the latest messages.",
                    language,
                ),
                "warn",
            )
        )
    parts += sections(scope, read(scope, {account.id: label}))

    runs = runs_between(scope.db, account.id, start, end)
    status: list[Any] = _status_lines(scope, summary)
    status.append(html.H3(translate("New items collected per day", language)))
    status.append(
        graph(
            "collection-chart",
            collection_activity(collection_days(runs, scope.period, zone), language),
        )
    )
    status.append(html.H3(translate("Collection runs", language)))
    if runs:
        table = collection_status_table(runs[:RUNS_SHOWN], zone, language)
        status.append(
            html.P(
                translate(
                    "The latest {shown} of {total} runs in this period.",
                    language,
                    shown=len(table.rows),
                    total=len(runs),
                ),
                className="muted",
            )
        )
        status.append(data_table(sort_table(table, None), language, table_id="runs-table"))
    else:
        status.append(notice(translate("No collection runs in this period.", language)))
    status.append(
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
    parts.append(section(translate("Collection status", language), *status, section_id="status"))

    items = latest_items(scope.db, account.id, start, end, ITEMS_SHOWN)
    listing: Any = (
        html.Ol([_item(row, zone, language) for row in items], className="items", id="items")
        if items
        else notice(translate("Nothing was collected for this period.", language))
    )
    parts.append(
        section(translate("Latest collected items", language), listing, section_id="latest-items")
    )
    return parts
