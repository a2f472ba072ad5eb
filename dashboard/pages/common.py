"""What every page starts with: where you are, the period, problems with the address."""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboard.components import notice
from dashboard.guard import Scope
from dashboard.i18n import translate
from dashboard.names import account_label, platform_name
from dashboard.state import PageState, href
from metrics import formats
from metrics.labels import quality_qualifier

__all__ = [
    "account_label",
    "breadcrumbs",
    "denied_panel",
    "for_owner",
    "heading",
    "link_to",
    "overview_title",
    "platform_name",
    "verdict_cell",
]


def link_to(scope: Scope, page: str, **ids: int | None) -> str:
    return href(PageState(page=page, period=scope.period.token, **ids))  # type: ignore[arg-type]


def for_owner(scope: Scope) -> bool:
    """Whether the page speaks to an owner about their own businesses. In German an
    owner's businesses are "Betriebe": "Kunden" are always the business's customers."""
    return not scope.viewer.is_consultant


def overview_title(scope: Scope) -> str:
    if for_owner(scope):
        return translate("Your businesses", scope.language)
    return translate("Portfolio", scope.language)


def breadcrumbs(scope: Scope) -> html.Nav:
    trail: list[Any] = []
    # An owner of a single business has no overview: "/" is that business's page.
    if not (for_owner(scope) and len(scope.viewer.granted_client_ids) == 1):
        trail.append(dcc.Link(overview_title(scope), href=link_to(scope, "portfolio")))
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
        html.Ol(items),
        className="breadcrumbs",
        **{"aria-label": translate("Where you are", scope.language)},
    )


def heading(scope: Scope, title: str) -> list[Any]:
    language = scope.language
    span = formats.date_span(scope.period.start, scope.period.last_day, language)
    if scope.period.iso_week:
        span = f"{formats.week_label(scope.period.iso_week, language)} · {span}"
    parts: list[Any] = [
        breadcrumbs(scope),
        html.H1(title, id="page-title"),
        html.P(translate("Period: {span}", language, span=span), className="muted", id="period"),
    ]
    if scope.period_problem:
        parts.append(
            notice(
                translate(
                    "The period in the address could not be read ({problem}); showing {shown}.",
                    language,
                    problem=scope.period_problem,
                    shown=span,
                ),
                "warn",
            )
        )
    return parts


def denied_panel(language: str) -> list[Any]:
    return [
        html.Section(
            [
                html.H1(translate("Not available", language), id="page-title"),
                html.P(
                    translate("This page does not exist, or your login may not see it.", language)
                ),
                dcc.Link(translate("Back to the overview", language), href="/"),
            ],
            className="card denied",
            id="denied",
        )
    ]


def verdict_cell(row: dict[str, Any], language: str) -> Any:
    """A table cell with a verdict (row keys ``verdict``, ``verdict_key``, ``verdict_weeks``):
    its name on its colour, and the weeks it was judged over when a thin period was widened."""
    if row["verdict_key"] is None:
        return formats.MISSING
    parts: list[Any] = [
        html.Span(row["verdict"], className=f"verdict-badge verdict-{row['verdict_key'].value}")
    ]
    if row["verdict_weeks"] > 1:
        weeks = translate("{weeks} wk", language, weeks=row["verdict_weeks"])
        parts.append(html.Span(f" ({weeks})", className="muted"))
    if row.get("hollow"):
        # beside the verdict: most answers send customers elsewhere or repeat one text
        parts.append(" ")
        parts.append(html.Span(quality_qualifier(language), className="quality-badge"))
    return parts
