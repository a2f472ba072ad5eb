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
    ]
    if missing:
        parts.append(
            html.P(translate("no data", language) + ": " + ", ".join(missing), className="bar-note")
        )
    return html.Figure(parts, id=chart_id, className="bar-chart")


def _bar(row: LeagueRow, language: str) -> html.Li:
    """Four components a bar: every component costs the browser about a millisecond to
    render in Dash, so the interval is drawn by CSS from the track's variables, and the
    verdict is said to screen readers by the track's label, not by elements of their own.
    The printed value makes an axis unnecessary; the track has gridlines at quarters."""
    ratio = row.response_ratio or 0.0
    verdict = verdict_name(row.verdict, language) if row.verdict else formats.MISSING
    shown = formats.percent(ratio, language)
    said = f"{shown} – {verdict}"
    track: dict[str, Any] = {"className": "bar-track"}
    if row.ratio_low is not None and row.ratio_high is not None:
        interval = formats.interval(row.ratio_low, row.ratio_high, language)
        said += f"; {translate('95% interval', language)}: {interval}"
        track = {
            "className": "bar-track with-interval",
            "style": {"--low": _share(row.ratio_low), "--high": _share(row.ratio_high)},
        }
    colour = f"verdict-{row.verdict.value}" if row.verdict else "verdict-insufficient_data"
    return html.Li(
        [
            html.Span(_label(row), className="bar-label"),
            html.Span(
                html.Span(className=f"bar {colour}", style={"width": _share(ratio)}),
                role="img",
                **{"aria-label": said},
                **track,
            ),
            html.Span(shown, className="bar-value", **{"aria-hidden": "true"}),
        ],
        className="bar-row",
        title=f"{_label(row)}: {said}",
        **{"data-ratio": repr(ratio)},
    )


def _label(row: LeagueRow) -> str:
    return f"{row.client_name} · {row.account_label}" if row.account_label else row.client_name


def _share(ratio: float) -> str:
    """A ratio (0 to 1: the view model refuses others) as a CSS length along the track."""
    return f"{ratio * 100:.2f}%"
