"""Client: the verdict with its evidence, key figures, trends, hours and lists of its
accounts together; each account's verdict and collection state; the client's settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from dash import dcc, html

from dashboard.access import visible_accounts, visible_clients
from dashboard.collection import outcome_text
from dashboard.components import account_picker, client_picker, data_table, notice, pickers, section
from dashboard.guard import Scope
from dashboard.i18n import N_, translate
from dashboard.pages.common import (
    account_label,
    for_owner,
    heading,
    link_to,
    platform_name,
    verdict_cell,
)
from dashboard.pages.conversation import read, sections
from dashboard.pages.period_pickers import period_pickers
from dashboard.queries import AccountSummary, account_summaries
from dashboard.renewal_text import credentials_text
from dashboard.runtime import runtime
from dashboard.states import CREDENTIAL_STATES, state_text
from dashboard.tables import Column, Table, make_table
from metrics import api, formats
from metrics.labels import metric_name
from metrics.periods import audit_period
from storage.models import Client


def scope_pickers(scope: Scope) -> Any:
    """Client, account and period pickers, restricted to what the viewer may see."""
    assert scope.client is not None
    language = scope.language
    clients = visible_clients(scope.db, scope.viewer)
    accounts = visible_accounts(scope.db, scope.viewer, scope.client.id)
    return pickers(
        client_picker(
            [(c.id, c.name) for c in clients], scope.client.id, language, owner=for_owner(scope)
        ),
        account_picker(
            [(a.id, account_label(a.platform, a.handle)) for a in accounts],
            scope.account.id if scope.account is not None else None,
            language,
        ),
        *period_pickers(scope),
    )


def accounts_table(
    summaries: list[AccountSummary],
    zone: str,
    language: str,
    metrics: Mapping[int, api.Metrics] | None = None,
) -> Table:
    """The client's accounts: their verdict and figures (``metrics`` by account id) and
    the state of their collection."""
    metrics = metrics or {}
    columns = (
        Column("account", translate("Account", language)),
        Column("platform", translate("Platform", language)),
        Column("verdict", formats.heading(metric_name("verdict", language))),
        Column(
            "response_ratio", formats.heading(metric_name("response_ratio", language)), "percent"
        ),
        Column("waiting", formats.heading(metric_name("waiting", language)), "integer"),
        Column("credentials", translate("Credentials", language)),
        Column("last_collection", translate("Last collection", language), "datetime"),
        Column("last_outcome", translate("Last outcome", language)),
    )
    rows = [
        {
            "account": summary.handle,
            "account_id": summary.account_id,
            "platform": platform_name(summary.platform),
            "verdict": (
                found.verdict.name(language) if (found := metrics.get(summary.account_id)) else None
            ),
            "verdict_key": found.verdict.verdict if found else None,
            "verdict_weeks": found.verdict.weeks if found else 1,
            "response_ratio": found.response_ratio if found else None,
            "waiting": found.waiting if found else None,
            "credentials": (
                credentials_text(summary.renewal, language)
                if summary.renewal is not None
                else state_text(CREDENTIAL_STATES, summary.credential_status, language)
            ),
            "needs_renewal": summary.needs_renewal,
            "last_collection": summary.last_run.started_at if summary.last_run else None,
            "last_outcome": (
                outcome_text(summary.last_run.outcome, language) if summary.last_run else None
            ),
            "failing": summary.failing,
        }
        for summary in summaries
    ]
    return make_table("accounts", columns, rows, zone)


def _settings(client: Client, language: str) -> html.Dl:
    def entry(key: str, value: str) -> list[Any]:
        return [html.Dt(translate(key, language)), html.Dd(value)]

    none = translate("none", language)
    return html.Dl(
        [
            *entry(N_("Time zone"), client.time_zone),
            *entry(
                N_("Business hours"),
                client.business_hours or translate("around the clock", language),
            ),
            *entry(N_("Public holidays"), client.holiday_region or none),
            *entry(
                N_("Response-time target"),
                formats.duration(client.response_target_minutes, language),
            ),
            *entry(
                N_("Answer window"), formats.duration(client.answer_window_hours * 60, language)
            ),
        ],
        className="settings",
    )


def audit_href(scope: Scope) -> str:
    """The audit report for the period shown: four weeks up to a week, or the dates."""
    assert scope.client is not None
    period = audit_period(scope.period)
    return "/report/audit.pdf?" + urlencode({"client": scope.client.id, "period": period.token})


def report_button(scope: Scope) -> html.P:
    language = scope.language
    period = audit_period(scope.period)
    span = formats.date_span(period.start, period.last_day, language)
    return html.P(
        [
            html.A(
                translate("PDF report", language),
                href=audit_href(scope),
                className="button",
                id="audit-pdf",
                download="",
            ),
            html.Span(
                translate(
                    "The audit report of {span} to take to a meeting: verdict, figures "
                    "against the contract, trends, hours and every unanswered message.",
                    language,
                    span=span,
                ),
                className="muted",
            ),
        ],
        className="exports report",
    )


def render(scope: Scope) -> list[Any]:
    assert scope.client is not None
    language = scope.language
    client = scope.client
    parts = heading(scope, client.name)
    parts.append(scope_pickers(scope))
    if runtime().audit_pdf is not None:
        parts.append(report_button(scope))
    accounts = visible_accounts(scope.db, scope.viewer, client.id)
    labels = {account.id: account_label(account.platform, account.handle) for account in accounts}
    conversation = read(scope, labels)
    summaries = account_summaries(scope.db, accounts, scope.now)
    per_account = {m.subject.id: m for m in conversation.metrics.accounts}
    table = accounts_table(summaries, client.time_zone, language, per_account)
    verdict, figures, *details = sections(scope, conversation)
    parts += [verdict, figures]

    def status_cell(key: str, flag: str) -> Any:
        def show(row: dict[str, Any]) -> Any:
            text = row[key] or formats.MISSING
            return html.Span(text, className="attention") if row[flag] else text

        return show

    listing: Any = (
        data_table(
            table,
            language,
            table_id="accounts-table",
            cells={
                "account": lambda row: dcc.Link(
                    row["account"], href=link_to(scope, "account", account_id=row["account_id"])
                ),
                "verdict": lambda row: verdict_cell(row, language),
                "credentials": status_cell("credentials", "needs_renewal"),
                "last_outcome": status_cell("last_outcome", "failing"),
            },
        )
        if summaries
        else notice(
            translate("This business has no accounts yet.", language)
            if for_owner(scope)
            else translate("This client has no accounts yet.", language)
        )
    )
    parts.append(section(translate("Accounts", language), listing, section_id="accounts"))
    parts += details
    parts.append(
        section(
            translate("Settings", language),
            _settings(client, language),
            section_id="settings",
        )
    )
    return parts
