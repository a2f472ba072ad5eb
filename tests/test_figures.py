"""Figure functions: the data each figure carries, checked value by value (not pictures)."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.figures import (
    collection_activity,
    hour_of_week_heatmap,
    league_table,
    posts_vs_replies,
    ratio_trend,
    response_time_trend,
)
from dashboard.tables import sort_table
from dashboard.viewmodels import (
    CollectionDay,
    DurationWeek,
    HourOfWeek,
    LeagueRow,
    PostsRepliesWeek,
    RatioWeek,
)
from metrics.labels import Verdict

WEEKS = [
    RatioWeek("2026-W45", 0.5, 0.3, 0.7, denominator=10),
    RatioWeek("2026-W46", None),
    RatioWeek("2026-W47", 0.9, 0.75, 0.97, denominator=20),
]


def test_ratio_trend_has_the_ratio_its_band_and_gaps():
    figure = ratio_trend(WEEKS, "response_ratio", "de")
    high, low, line = figure.data
    assert list(line.x) == ["KW 45", "KW 46", "KW 47"]
    assert list(line.y) == [0.5, None, 0.9]  # the empty week stays a gap
    assert line.connectgaps is False
    assert list(high.y) == [0.7, None, 0.97] and list(low.y) == [0.3, None, 0.75]
    assert low.fill == "tonexty"
    assert [c[0] for c in line.customdata] == [10, 0, 20]
    assert line.name == "Antwortquote"
    assert figure.layout.separators == ",."
    assert figure.layout.yaxis.tickformat == ".0%"


def test_week_labels_carry_the_year_only_across_a_new_year():
    weeks = [RatioWeek("2026-W52", 0.5), RatioWeek("2026-W53", None), RatioWeek("2027-W01", 1.0)]
    assert list(ratio_trend(weeks, "response_ratio", "en").data[-1].x) == [
        "W52/26",
        "W53/26",
        "W1/27",
    ]
    assert ratio_trend(weeks, "response_ratio", "de").data[-1].x[2] == "KW 1/27"


def test_ratio_trend_without_intervals_draws_only_the_line():
    figure = ratio_trend([RatioWeek("2026-W47", 0.25, denominator=4)], "dialogue_share", "en")
    assert len(figure.data) == 1
    assert figure.data[0].name == "dialogue share"
    assert figure.layout.separators == ".,"


def test_response_time_trend_is_in_hours():
    weeks = [DurationWeek("2026-W46", 90, 600, 5), DurationWeek("2026-W47", None, None, 0)]
    figure = response_time_trend(weeks, "en")
    median, p90 = figure.data
    assert list(median.y) == [1.5, None]
    assert list(p90.y) == [10.0, None]
    assert median.name == "median response time"


def test_posts_vs_replies_groups_two_bars_per_week():
    figure = posts_vs_replies(
        [PostsRepliesWeek("2026-W46", 7, 0), PostsRepliesWeek("2026-W47", 5, 3)], "de"
    )
    posts, replies = figure.data
    assert list(posts.y) == [7, 5] and list(replies.y) == [0, 3]
    assert posts.name == "Beiträge" and replies.name == "eigene Antworten"
    assert figure.layout.barmode == "group"


def _grid(value_at):
    return tuple(tuple(value_at(day, hour) for hour in range(24)) for day in range(7))


def test_heatmap_places_counts_and_marks_uncovered_and_closed_hours():
    grid = HourOfWeek(
        inbound=_grid(lambda d, h: 3 if (d, h) == (5, 22) else 0),
        own_replies=_grid(lambda d, h: 1 if (d, h) == (0, 9) else 0),
        uncovered=frozenset({(5, 22), (6, 10)}),
        closed=frozenset({(6, h) for h in range(24)}),
    )
    figure = hour_of_week_heatmap(grid, "en")
    inbound, replies, uncovered, closed = figure.data
    assert inbound.z[5][22] == 3 and sum(map(sum, inbound.z)) == 3
    assert replies.z[0][9] == 1
    assert list(inbound.y) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert list(zip(uncovered.y, uncovered.x, strict=True)) == [("Sat", "22"), ("Sun", "10")]
    assert len(closed.x) == 24 and set(closed.y) == {"Sun"}
    assert uncovered.name == "never answered in this hour"


def _colour_at(trace, value):
    """The colour Plotly gives ``value`` on a heatmap trace: its colour scale between
    ``zmin`` and ``zmax`` (where a scale's first stop is the colour of the lowest)."""
    share = (value - trace.zmin) / (trace.zmax - trace.zmin)
    stops = [stop for stop in trace.colorscale if stop[0] <= share]
    return stops[-1][1]


def test_an_hour_with_nothing_is_white_and_an_empty_panel_says_so():
    # Before: a panel of zeros had zmin == zmax and Plotly painted it all in the scale's
    # middle, a solid green block of "own replies" for an account that never replied.
    grid = HourOfWeek(
        inbound=_grid(lambda d, h: 2 if (d, h) == (2, 12) else 0),
        own_replies=_grid(lambda d, h: 0),
        reference_weeks=8,
        reference_replies=0,
    )
    figure = hour_of_week_heatmap(grid, "en")
    inbound, replies = figure.data[:2]
    assert (replies.zmin, replies.zmax) == (0, 1)
    assert _colour_at(replies, 0) == "#ffffff"
    assert _colour_at(inbound, 0) == "#ffffff" and _colour_at(inbound, 2) != "#ffffff"
    notes = [a.text for a in figure.layout.annotations]
    assert "No own reply in these 8 weeks." in notes
    assert "No customer message in this period." not in notes

    german = hour_of_week_heatmap(grid, "de")
    assert "Keine eigene Antwort in diesen 8 Wochen." in [a.text for a in german.layout.annotations]


def test_an_empty_period_with_replies_before_it_says_only_the_period_is_empty():
    grid = HourOfWeek(
        inbound=_grid(lambda d, h: 0), own_replies=_grid(lambda d, h: 0), reference_replies=4
    )
    notes = [a.text for a in hour_of_week_heatmap(grid, "en").layout.annotations]
    assert "No own reply in this period." in notes
    assert "No customer message in this period." in notes


def test_a_median_chart_without_answers_says_so_instead_of_empty_axes():
    weeks = [DurationWeek(f"2026-W{n}", None, None, 0) for n in range(40, 48)]
    figure = response_time_trend(weeks, "en")
    assert figure.layout.xaxis.visible is False and figure.layout.yaxis.visible is False
    assert [a.text for a in figure.layout.annotations] == [
        "No customer message was answered in these 8 weeks, so there is no response time."
    ]
    answered = [DurationWeek("2026-W47", 30.0, 60.0, 3)]
    assert not response_time_trend(answered, "en").layout.annotations


def test_heatmap_rejects_a_wrong_shape():
    with pytest.raises(ValueError, match="7 rows"):
        HourOfWeek(inbound=((0,) * 24,) * 6, own_replies=_grid(lambda d, h: 0))
    with pytest.raises(ValueError, match="out of range"):
        HourOfWeek(_grid(lambda d, h: 0), _grid(lambda d, h: 0), uncovered=frozenset({(7, 0)}))


ROWS = [
    LeagueRow(
        1, "Bäckerei Huber", None, None, Verdict.RESPONSIVE, 0.95, 0.85, 0.99, 45, 0.6, 1, 0.05
    ),
    LeagueRow(
        2, "Café Lindner", None, None, Verdict.UNRESPONSIVE, 0.2, 0.1, 0.35, 900, 0.1, 7, -0.1
    ),
    LeagueRow(
        3,
        "Harbour Books",
        None,
        None,
        Verdict.INSUFFICIENT_DATA,
        None,
        None,
        None,
        None,
        0.3,
        0,
        None,
    ),
]


def test_league_table_rows_labels_and_sorting():
    table = league_table(ROWS, "de")
    assert [c.label for c in table.columns][:3] == ["Kunde / Konto", "Urteil", "Antwortquote"]
    first = table.rows[0]
    assert first["verdict"] == "antwortet" and first["interval"] == "85–99\u00a0%"
    assert table.rows[2]["verdict"] == "zu wenig Daten" and table.rows[2]["interval"] is None
    ranked = sort_table(table, "-response_ratio")
    assert [r["client"] for r in ranked.rows] == ["Bäckerei Huber", "Café Lindner", "Harbour Books"]


def test_league_table_for_files_has_numbers_not_text():
    table = league_table(ROWS, "en", export=True)
    labels = [c.label for c in table.columns]
    assert labels[:4] == ["Client", "Account", "Verdict", "Verdict over weeks"]
    assert "95% interval from" in labels and "95% interval to" in labels
    assert "Median response time (minutes)" in labels
    assert "95% interval" not in labels  # the text form is for the page only
    first = table.rows[0]
    assert (first["ratio_low"], first["ratio_high"]) == (0.85, 0.99)
    assert first["response_time_median"] == 45 and first["verdict_weeks"] == 1


def test_view_models_refuse_percentages_given_as_whole_numbers():
    with pytest.raises(ValueError, match="fraction"):
        RatioWeek("2026-W47", 87)
    with pytest.raises(ValueError, match="both low and high"):
        RatioWeek("2026-W47", 0.5, low=0.4)


def test_collection_activity_shows_new_items_and_failed_runs():
    days = [
        CollectionDay(date(2026, 11, 16), 4, 0, 12),
        CollectionDay(date(2026, 11, 17), 4, 2, 3),
    ]
    bars, failures = collection_activity(days, "de").data
    assert list(bars.y) == [12, 3]
    assert list(bars.x) == ["Mo., 16. Nov.", "Di., 17. Nov."]
    assert list(failures.y) == [None, 2]
    assert failures.showlegend is True
    quiet = collection_activity([CollectionDay(date(2026, 11, 16), 4, 0, 12)], "en")
    assert quiet.data[1].showlegend is False and quiet.layout.yaxis2.visible is False
