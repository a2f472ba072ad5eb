"""The portfolio's comparison bars (dashboard/comparison.py), checked value by value on
the component tree; tests/test_dashboard_browser.py checks them drawn in Chromium."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from dashboard.comparison import comparison_bars
from dashboard.viewmodels import LeagueRow
from metrics.labels import Verdict

HUBER = LeagueRow(
    1, "Bäckerei Huber", None, None, Verdict.RESPONSIVE, 0.95, 0.85, 0.99, 45, 0.6, 1, 0.05
)
LINDNER = LeagueRow(
    2, "Café Lindner", None, None, Verdict.UNRESPONSIVE, 0.2, 0.1, 0.35, 900, 0.1, 7, -0.1
)
HARBOUR = LeagueRow(
    3, "Harbour Books", None, None, Verdict.INSUFFICIENT_DATA, *(None,) * 4, 0.3, 0, None
)
MARKUP_NAME = '<b>Bold</b> & <a href="https://evil.example/">click</a>'


def classed(component: Any, name: str) -> list[Any]:
    """Every component under ``component`` (itself included) with CSS class ``name``."""
    found = []
    if name in (getattr(component, "className", None) or "").split():
        found.append(component)
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        for child in children:
            found += classed(child, name)
    elif children is not None and not isinstance(children, str):
        found += classed(children, name)
    return found


def test_best_first_as_wide_as_the_ratio_coloured_by_verdict():
    chart = comparison_bars([LINDNER, HARBOUR, HUBER], "en", "comparison-chart")
    assert chart.id == "comparison-chart"
    rows = classed(chart, "bar-row")
    assert [classed(r, "bar-label")[0].children for r in rows] == [
        "Bäckerei Huber",
        "Café Lindner",
    ]
    assert [float(r.to_plotly_json()["props"]["data-ratio"]) for r in rows] == [0.95, 0.2]
    bars = [classed(r, "bar")[0] for r in rows]
    assert [b.style["width"] for b in bars] == ["95.00%", "20.00%"]
    assert [b.className for b in bars] == ["bar verdict-responsive", "bar verdict-unresponsive"]
    assert [classed(r, "bar-value")[0].children for r in rows] == ["95%", "20%"]


def test_the_interval_spans_low_to_high_and_is_said_with_the_verdict():
    (row,) = classed(comparison_bars([LINDNER], "en", "c"), "bar-row")
    (track,) = classed(row, "bar-track")
    assert track.className == "bar-track with-interval"
    assert track.style == {"--low": "10.00%", "--high": "35.00%"}
    said = "20% – unresponsive; 95% interval: 10–35%"
    assert track.to_plotly_json()["props"]["aria-label"] == said
    assert row.title == f"Café Lindner: {said}"
    (alone,) = classed(
        comparison_bars([replace(HUBER, ratio_low=None, ratio_high=None)], "en", "c"), "bar-track"
    )
    assert alone.className == "bar-track" and not getattr(alone, "style", None)


def test_rows_without_a_ratio_get_no_bar_and_are_named_in_a_note():
    chart = comparison_bars([HUBER, HARBOUR], "de", "c")
    assert len(classed(chart, "bar-row")) == 1
    (note,) = classed(chart, "bar-note")
    assert note.children.endswith(": Harbour Books")
    assert not classed(comparison_bars([HUBER], "de", "c"), "bar-note")


def test_german_percentages_and_a_full_bar():
    wide = LeagueRow(1, "A", None, None, Verdict.RESPONSIVE, 1.0, 0.9, 1.0, 1, 0.5, 0, None)
    chart = comparison_bars([wide], "de", "c")
    (row,) = classed(chart, "bar-row")
    assert classed(row, "bar-value")[0].children == "100\u00a0%"
    assert classed(row, "bar")[0].style["width"] == "100.00%"


def test_an_account_line_names_its_client_and_names_stay_text():
    rows = [
        LeagueRow(1, MARKUP_NAME, None, None, Verdict.RESPONSIVE, 0.9, 0.8, 0.95, 30, 0.5, 0, None),
        LeagueRow(1, MARKUP_NAME, 7, "X @<i>shop</i>", None, 0.5, 0.3, 0.7, 30, 0.5, 0, None),
    ]
    chart = comparison_bars(rows, "en", "c")
    labels = [classed(r, "bar-label")[0].children for r in classed(chart, "bar-row")]
    # Plain strings: Dash puts them into the page as text nodes, never as markup.
    assert labels == [MARKUP_NAME, f"{MARKUP_NAME} · X @<i>shop</i>"]
    (unjudged,) = [r for r in classed(chart, "bar-row") if "shop" in r.title]
    assert classed(unjudged, "bar")[0].className == "bar verdict-insufficient_data"
    assert unjudged.title.endswith(": 50% – –; 95% interval: 30–70%")
