"""The portfolio's comparison of clients: one bar per client, drawn in HTML.

Why not a Plotly chart like the other pages: on the portfolio it was the only chart, and
the browser spent about 0.9 s of its main thread evaluating Plotly's 4.8 MB bundle before
drawing ten bars (Chromium trace, bench/dashboard.py data, December 2026) — more than the
rest of the page together. Bars of a ratio between 0 and 100% need no charting library:
each is a box as wide as its ratio, coloured like the verdict badges of the table above
it, with a line for its 95% interval. Screen readers read each row as text (name, ratio,
verdict), and a client's name is a text node, so nothing in it can become markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import html

from dashboard.i18n import translate
from dashboard.viewmodels import LeagueRow
from metrics import formats
from metrics.labels import metric_name, verdict_name

AXIS_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)


def comparison_bars(rows: Sequence[LeagueRow], language: str, chart_id: str) -> html.Figure:
    """Response ratio of each row (a client or an account) with its 95% interval, best
    first, coloured by verdict. Rows without a ratio get no bar and are named in a note."""
    known = sorted(
        (row for row in rows if row.response_ratio is not None),
        key=lambda row: (-(row.response_ratio or 0.0), _label(row)),
    )
    missing = [_label(row) for row in rows if row.response_ratio is None]
    parts: list[Any] = [
        html.Figcaption(formats.heading(metric_name("response_ratio", language))),
        html.Ol([_bar(row, language) for row in known], className="bar-rows"),
        _axis(language),
    ]
    if missing:
        parts.append(
            html.P(translate("no data", language) + ": " + ", ".join(missing), className="bar-note")
        )
    return html.Figure(parts, id=chart_id, className="bar-chart")


def _bar(row: LeagueRow, language: str) -> html.Li:
    ratio = row.response_ratio or 0.0
    verdict = verdict_name(row.verdict, language) if row.verdict else formats.MISSING
    shown = formats.percent(ratio, language)
    track: list[Any] = [
        html.Span(
            className="bar "
            + (f"verdict-{row.verdict.value}" if row.verdict else "verdict-insufficient_data"),
            style={"width": _share(ratio)},
        )
    ]
    if row.ratio_low is not None and row.ratio_high is not None:
        track.append(
            html.Span(
                className="bar-interval",
                style={
                    "left": _share(row.ratio_low),
                    "width": _share(row.ratio_high - row.ratio_low),
                },
                title=translate("95% interval", language)
                + ": "
                + formats.interval(row.ratio_low, row.ratio_high, language),
            )
        )
    return html.Li(
        [
            html.Span(_label(row), className="bar-label"),
            html.Span(track, className="bar-track"),
            html.Span(shown, className="bar-value"),
            html.Span(f" – {verdict}", className="bar-verdict"),
        ],
        className="bar-row",
        title=f"{_label(row)}: {shown} – {verdict}",
        **{"data-ratio": repr(ratio)},
    )


def _axis(language: str) -> html.Div:
    """0%, 25% … 100% under the bars, in the bars' grid column; the track's gridlines (CSS)
    sit at the same places."""
    ticks = [
        html.Span(formats.percent(tick, language), style={"left": _share(tick)})
        for tick in AXIS_TICKS
    ]
    return html.Div(
        [html.Span(), html.Span(ticks, className="bar-ticks"), html.Span()],
        className="bar-axis",
        **{"aria-hidden": "true"},
    )


def _label(row: LeagueRow) -> str:
    return f"{row.client_name} · {row.account_label}" if row.account_label else row.client_name


def _share(ratio: float) -> str:
    """A ratio (0 to 1: the view model refuses others) as a CSS length along the track."""
    return f"{ratio * 100:.2f}%"
