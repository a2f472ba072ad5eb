"""What every page starts with: where you are, the period, problems with the address."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboard import formats
from dashboard.components import notice
from dashboard.guard import Scope
from dashboard.i18n import translate
from dashboard.state import PageState, href


def link_to(scope: Scope, page: str, **ids: int | None) -> str:
    return href(PageState(page=page, period=scope.period.token, **ids))  # type: ignore[arg-type]


def breadcrumbs(scope: Scope) -> html.Nav:
    language = scope.language
    trail: list[Any] = [
        dcc.Link(translate("nav.portfolio", language), href=link_to(scope, "portfolio"))
    ]
    if scope.client is not None:
        trail.append(
            dcc.Link(scope.client.name, href=link_to(scope, "client", client_id=scope.client.id))
        )
    if scope.account is not None:
        trail.append(
            dcc.Link(
                account_label(scope.account.platform, scope.account.handle),
                href=link_to(scope, "account", account_id=scope.account.id),
            )
        )
    items = []
    for position, link in enumerate(trail):
        last = position == len(trail) - 1
        items.append(html.Li(link, **({"aria-current": "page"} if last else {})))
    return html.Nav(
        html.Ol(items), className="breadcrumbs", **{"aria-label": translate("nav.label", language)}
    )


def account_label(platform: str, handle: str) -> str:
    return f"{platform_name(platform)} {handle}"


PLATFORM_NAMES = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
}


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


def heading(scope: Scope, title: str) -> list[Any]:
    language = scope.language
    span = formats.date_span(scope.period.start, scope.period.end, language)
    if scope.period.iso_week:
        span = f"{formats.week_label(scope.period.iso_week, language)} · {span}"
    parts: list[Any] = [
        breadcrumbs(scope),
        html.H1(title, id="page-title"),
        html.P(translate("period.shown", language, span=span), className="muted", id="period"),
    ]
    if scope.period_problem:
        parts.append(
            notice(
                translate("period.bad", language, problem=scope.period_problem, shown=span),
                "warn",
            )
        )
    return parts


def denied_panel(language: str) -> list[Any]:
    return [
        html.Section(
            [
                html.H1(translate("denied.title", language), id="page-title"),
                html.P(translate("denied.text", language)),
                dcc.Link(translate("denied.back", language), href="/"),
            ],
            className="card denied",
            id="denied",
        )
    ]
