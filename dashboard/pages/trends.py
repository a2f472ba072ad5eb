"""Weekly trends and the hours of the week: the charts of a client or account page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import html

from dashboard.components import graph, section
from dashboard.figures import (
    hour_of_week_heatmap,
    posts_vs_replies,
    ratio_trend,
    response_time_trend,
)
from dashboard.i18n import translate
from dashboard.metrics_adapter import (
    dialogue_share_weeks,
    posts_replies_weeks,
    response_ratio_weeks,
    response_time_weeks,
)
from dashboard.viewmodels import HourOfWeek
from metrics import api, formats


def _n(value: int | float | None, language: str) -> str:
    return formats.number(value, language)


def trends_section(
    points: Sequence[api.WeekPoint], last: api.Period, language: str
) -> html.Section:
    """Response ratio (with its band), response time, dialogue share, posts and replies:
    one point per week up to ``last``."""
    intro = translate(
        "{weeks} weeks up to {week}, each week on its own; weeks without data are gaps.",
        language,
        weeks=_n(len(points), language),
        week=formats.week_label(last.label, language),
    )
    posts = posts_vs_replies(posts_replies_weeks(points), language)
    posts.update_layout(title={"text": translate("Posts and own replies per week", language)})
    charts = [
        ("trend-ratio", ratio_trend(response_ratio_weeks(points), "response_ratio", language)),
        ("trend-time", response_time_trend(response_time_weeks(points), language)),
        ("trend-dialogue", ratio_trend(dialogue_share_weeks(points), "dialogue_share", language)),
        ("trend-posts", posts),
    ]
    return section(
        translate("Weekly trends", language),
        html.P(intro, className="muted"),
        # Each chart in its own box: a grid cell would stretch Plotly's responsive height.
        html.Div(
            [html.Div(graph(*chart), className="chart") for chart in charts], className="charts"
        ),
        section_id="trends",
    )


def hours_section(
    hours: HourOfWeek, coverage: api.Coverage, zone: str, language: str
) -> html.Section:
    """The heatmap of inbound messages and own replies by local hour of the week."""
    reference = coverage.reference
    span = formats.date_span(reference.start, reference.last_day, language)
    parts: list[Any] = [
        html.P(
            translate(
                "Customer messages and own replies of the period by local hour "
                "({zone}). A cross marks an hour in which the own side never "
                "replied over {reference}; a dot, an hour outside business hours.",
                language,
                zone=zone,
                reference=translate("{span}", language, span=span),
            ),
            className="muted",
        )
    ]
    share = coverage.uncovered_share
    if share is not None:
        parts.append(
            html.P(
                translate(
                    "{share} of the customer messages arrived in hours in which nobody "
                    "ever answers.",
                    language,
                    share=formats.percent(share, language),
                ),
                id="uncovered-share",
            )
        )
    parts.append(graph("hour-heatmap", hour_of_week_heatmap(hours, language)))
    return section(translate("Hours of the week", language), *parts, section_id="hours")
