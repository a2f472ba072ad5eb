"""The audit report's charts, as vector graphics for print.

The weekly trends are Plotly figures, exported as SVG by kaleido (``ChartRenderer.svg``):
lines, bars and labels stay sharp at any zoom. The hour-of-week coverage is drawn here
as an SVG grid of its own (Plotly exports heatmaps as embedded bitmaps): every hour a
square, white when nothing happened, so that an empty grid reads as empty.

Weeks inside the report's period are shaded; the weeks before it give context.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import plotly.graph_objects as go

from metrics import api, formats
from metrics.labels import WEEKDAYS, metric_name
from metrics.texts import texts

WIDTH = 680  # CSS pixels: the A4 page's width inside its margins
TREND_HEIGHT = 230
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
INK = "#1f2933"
ACCENT = "#0b5cad"
ACCENT_SOFT = "rgba(11, 92, 173, 0.16)"
INBOUND = "#9ab8d8"
MISSED = "#c0392b"
GREY = "#8a96a3"
PERIOD_SHADE = "rgba(31, 41, 51, 0.09)"
# Hour-of-week grid: white for nothing, then a visible tint up to the darkest shade.
EMPTY_CELL = "#ffffff"
GRID_LINE = "#c9d1da"
INBOUND_SHADES = ("#d6e6f4", "#08306b")
REPLY_SHADES = ("#d5efcf", "#00441b")
UNCOVERED_MARK = "#c05621"


def _week_labels(points: Sequence[api.WeekPoint], language: str) -> list[str]:
    crossing = len({point.period.label[:4] for point in points}) > 1
    return [formats.week_short(point.period.label, language, crossing) for point in points]


def _week_axis(labels: list[str]) -> dict[str, object]:
    # Numbered positions with week labels: the period's band can then span whole weeks.
    positions = list(range(len(labels)))
    return {
        "tickmode": "array",
        "tickvals": positions,
        "ticktext": labels,
        "range": [-0.5, len(labels) - 0.5],
    }


def _layout(language: str, title: str, **extra: object) -> dict[str, object]:
    layout: dict[str, object] = {
        "template": "simple_white",
        "title": {"text": title, "x": 0, "xref": "paper", "font": {"size": 14}},
        "separators": formats.plotly_separators(language),
        "font": {"family": FONT, "size": 11, "color": INK},
        "margin": {"l": 52, "r": 12, "t": 34, "b": 44},
        "width": WIDTH,
        "height": TREND_HEIGHT,
        "legend": {"orientation": "h", "x": 0, "y": -0.22},
        "showlegend": True,
    }
    layout.update(extra)
    return layout


def _shade_period(figure: go.Figure, labels: list[str], inside: list[bool]) -> None:
    """A light band behind the weeks of the report's period."""
    positions = [index for index, flag in enumerate(inside) if flag]
    if not positions:
        return
    figure.add_vrect(
        x0=positions[0] - 0.5,
        x1=positions[-1] + 0.5,
        fillcolor=PERIOD_SHADE,
        line_width=0,
        layer="below",
    )


def _inside(points: Sequence[api.WeekPoint], period: api.Period) -> list[bool]:
    return [p.period.start < period.end and p.period.end > period.start for p in points]


def ratio_figure(points: Sequence[api.WeekPoint], period: api.Period, language: str) -> go.Figure:
    """Response ratio per week with its 95 % interval."""
    labels = _week_labels(points, language)
    x = list(range(len(points)))
    name = metric_name("response_ratio", language)
    figure = go.Figure()
    intervals = [point.response_ratio_interval for point in points]
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[interval.high if interval else None for interval in intervals],
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[interval.low if interval else None for interval in intervals],
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=ACCENT_SOFT,
            name=texts(language).gettext("95% interval"),
        )
    )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[point.response_ratio for point in points],
            mode="lines+markers",
            line={"color": ACCENT, "width": 2},
            name=name,
        )
    )
    _shade_period(figure, labels, _inside(points, period))
    figure.update_layout(
        _layout(language, formats.heading(name)),
        yaxis={"range": [0, 1.02], "tickformat": ".0%"},
        xaxis={
            "tickmode": "array",
            "tickvals": x,
            "ticktext": labels,
            "range": [-0.5, len(x) - 0.5],
        },
    )
    return figure


def messages_figure(
    points: Sequence[api.WeekPoint], period: api.Period, language: str
) -> go.Figure:
    """Customer messages, answered and missed per week."""
    labels = _week_labels(points, language)
    x = list(range(len(points)))
    figure = go.Figure(
        [
            go.Bar(
                x=x,
                y=[point.inbound for point in points],
                name=metric_name("inbound", language),
                marker_color=INBOUND,
            ),
            go.Bar(
                x=x,
                y=[point.answered for point in points],
                name=metric_name("answered", language),
                marker_color=ACCENT,
            ),
            go.Bar(
                x=x,
                y=[point.missed for point in points],
                name=metric_name("missed", language),
                marker_color=MISSED,
            ),
        ]
    )
    _shade_period(figure, labels, _inside(points, period))
    figure.update_layout(
        _layout(
            language,
            texts(language).gettext("Customer messages and answers per week"),
            barmode="group",
        ),
        yaxis={"rangemode": "tozero", "tickformat": ",d"},
        xaxis={
            "tickmode": "array",
            "tickvals": x,
            "ticktext": labels,
            "range": [-0.5, len(x) - 0.5],
        },
    )
    return figure


def response_time_figure(
    points: Sequence[api.WeekPoint], period: api.Period, language: str
) -> go.Figure:
    """Median first response time per week in hours, on the wall clock and in business
    hours; a sentence instead of empty axes when no week has an answered message."""
    labels = _week_labels(points, language)
    x = list(range(len(points)))
    wording = texts(language)
    title = formats.heading(metric_name("response_time_median", language))
    figure = go.Figure()
    if all(point.response_time.median is None for point in points):
        figure.update_layout(
            _layout(language, title, showlegend=False),
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": wording.ngettext(
                        "No customer message was answered this week, so there is no "
                        "response time.",
                        "No customer message was answered in these {count} weeks, so there "
                        "is no response time.",
                        len(points),
                        count=formats.number(len(points), language),
                    ),
                    "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                    "showarrow": False, "font": {"size": 13, "color": INK},
                }
            ],
        )  # fmt: skip
        return figure

    def hours(value: object) -> float | None:
        return None if value is None else value.total_seconds() / 3600  # type: ignore[attr-defined]

    figure.add_trace(
        go.Scatter(
            x=x,
            y=[hours(point.response_time.median) for point in points],
            mode="lines+markers",
            line={"color": ACCENT, "width": 2},
            name=metric_name("response_time_median", language),
        )
    )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[hours(point.business_response_time.median) for point in points],
            mode="lines+markers",
            line={"color": GREY, "width": 1.5, "dash": "dot"},
            name=metric_name("business_response_time_median", language),
        )
    )
    _shade_period(figure, labels, _inside(points, period))
    unit = "h" if wording.language == "en" else "Std."
    figure.update_layout(
        _layout(language, title),
        yaxis={"rangemode": "tozero", "ticksuffix": f" {unit}"},
        xaxis={
            "tickmode": "array",
            "tickvals": x,
            "ticktext": labels,
            "range": [-0.5, len(x) - 0.5],
        },
    )
    return figure


# --- the hour-of-week grid ---------------------------------------------------------------

CELL = 22
LEFT = 44
TOP = 22


def _mix(low: str, high: str, share: float) -> str:
    a = [int(low[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(high[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


def coverage_grid(
    values: Sequence[int],
    shades: tuple[str, str],
    title: str,
    language: str,
    *,
    crossed: frozenset[int] = frozenset(),
    dotted: frozenset[int] = frozenset(),
    empty_note: str | None = None,
) -> str:
    """168 hours (Monday 00:00 first) as a 7 x 24 SVG grid; ``crossed`` hours get an x
    (nobody ever answers then), ``dotted`` ones a dot (outside business hours)."""
    wording = texts(language)
    highest = max(values) if values else 0
    width = LEFT + 24 * CELL + 2
    height = TOP + 7 * CELL + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="10" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="{LEFT}" y="14" font-size="12" font-weight="bold" fill="{INK}">'
        f"{escape(title)}</text>",
    ]
    for day in range(7):
        y = TOP + day * CELL
        name = escape(wording.gettext(WEEKDAYS[day]))
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 15}" text-anchor="end" fill="{INK}">{name}</text>'
        )
        for hour in range(24):
            index = day * 24 + hour
            count = values[index]
            fill = EMPTY_CELL if count == 0 else _mix(*shades, (count - 1) / max(1, highest - 1))
            x = LEFT + hour * CELL
            parts.append(
                f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{fill}" '
                f'stroke="{GRID_LINE}" stroke-width="1"><title>{count}</title></rect>'
            )
            if index in crossed:
                a, b = x + 6, x + CELL - 6
                parts.append(
                    f'<path d="M{a} {y + 6}L{b} {y + CELL - 6}M{b} {y + 6}L{a} {y + CELL - 6}" '
                    f'stroke="{UNCOVERED_MARK}" stroke-width="1.6"/>'
                )
            elif index in dotted:
                parts.append(
                    f'<circle cx="{x + CELL / 2}" cy="{y + CELL / 2}" r="1.6" fill="{GREY}"/>'
                )
    for hour in range(0, 24, 2):
        x = LEFT + hour * CELL + CELL / 2
        parts.append(
            f'<text x="{x}" y="{TOP + 7 * CELL + 13}" text-anchor="middle" fill="{INK}">'
            f"{hour:02d}</text>"
        )
    if empty_note:
        middle_x, middle_y = LEFT + 12 * CELL, TOP + 3.5 * CELL
        parts.append(
            f'<rect x="{middle_x - 200}" y="{middle_y - 14}" width="400" height="24" '
            f'fill="#ffffff" stroke="{GRID_LINE}"/>'
            f'<text x="{middle_x}" y="{middle_y + 3}" text-anchor="middle" font-size="12" '
            f'fill="{INK}">{escape(empty_note)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
