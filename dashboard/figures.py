"""Figures as pure functions: view models in, Plotly figures (and tables) out.

No function here reads the database or computes a metric; they only arrange numbers that
the metrics package computed (see ``dashboard.viewmodels`` for the inputs). Weeks are
categorical axis labels ("KW 47/2026"), so Plotly needs no locale files, and numbers use
the language's decimal mark through ``layout.separators``.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.i18n import translate, translate_plural
from dashboard.states import WEEKDAYS as DAY_NAMES
from dashboard.tables import Column, Table, make_table
from dashboard.viewmodels import (
    HOURS,
    CollectionDay,
    DurationWeek,
    HourOfWeek,
    LeagueRow,
    PostsRepliesWeek,
    RatioWeek,
)
from metrics import formats
from metrics.labels import metric_name, quality_qualifier, verdict_name

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"
INK = "#1f2933"
ACCENT = "#0b6e99"
ACCENT_SOFT = "rgba(11, 110, 153, 0.18)"
OWN = "#2f855a"
WARN = "#c05621"
GREY = "#9aa5b1"


def plotly_text(text: str) -> str:
    """A user's text (client name, handle, display name) as Plotly should show it.

    Plotly reads ``<b>``, ``<a href>``, ``<br>`` and the like in labels, titles and hover
    text as markup, and ``&lt;`` as ``<``. Escaped, a client named ``<b>Huber</b>`` is shown
    exactly so, and a link in a name is no link.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def base_layout(language: str, **extra: object) -> dict[str, object]:
    layout: dict[str, object] = {
        "separators": formats.plotly_separators(language),
        "font": {"family": FONT, "color": INK, "size": 13},
        "margin": {"l": 48, "r": 16, "t": 36, "b": 48},
        "height": 320,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "x unified",
    }
    layout.update(extra)
    return layout


def _weeks(iso_weeks: Sequence[str], language: str) -> list[str]:
    """Short week labels for an axis; with the year only when the weeks cross a year."""
    crossing = len({week[:4] for week in iso_weeks}) > 1
    return [formats.week_short(week, language, crossing) for week in iso_weeks]


def ratio_trend(weeks: Sequence[RatioWeek], metric: str, language: str) -> go.Figure:
    """A weekly ratio (``metric`` names it, e.g. ``response_ratio``) with its interval band.

    Weeks without a ratio stay gaps; the band is drawn only where both ends are known.
    """
    labels = _weeks([week.iso_week for week in weeks], language)
    name = metric_name(metric, language)
    figure = go.Figure()
    if any(week.low is not None for week in weeks):
        figure.add_trace(
            go.Scatter(
                x=labels,
                y=[week.high for week in weeks],
                mode="lines",
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                name=translate("95% interval", language),
                connectgaps=False,
            )
        )
        figure.add_trace(
            go.Scatter(
                x=labels,
                y=[week.low for week in weeks],
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=ACCENT_SOFT,
                hoverinfo="skip",
                name=translate("95% interval", language),
                connectgaps=False,
            )
        )
    figure.add_trace(
        go.Scatter(
            x=labels,
            y=[week.ratio for week in weeks],
            mode="lines+markers",
            line={"color": ACCENT, "width": 2},
            name=name,
            connectgaps=False,
            customdata=[[week.denominator] for week in weeks],
            hovertemplate="%{y:.0%} (n=%{customdata[0]})<extra></extra>",
        )
    )
    figure.update_layout(
        base_layout(language, title={"text": formats.heading(name)}),
        yaxis={"range": [0, 1.02], "tickformat": ".0%", "rangemode": "tozero"},
        xaxis={"type": "category"},  # the ticks name the weeks; a title hit the legend
    )
    return figure


def response_time_trend(weeks: Sequence[DurationWeek], language: str) -> go.Figure:
    """Median (and 90th percentile) first response time per week, in hours."""
    labels = _weeks([week.iso_week for week in weeks], language)
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=labels,
            y=[_hours(week.median_minutes) for week in weeks],
            mode="lines+markers",
            name=metric_name("response_time_median", language),
            line={"color": ACCENT, "width": 2},
            connectgaps=False,
        )
    )
    if any(week.p90_minutes is not None for week in weeks):
        figure.add_trace(
            go.Scatter(
                x=labels,
                y=[_hours(week.p90_minutes) for week in weeks],
                mode="lines+markers",
                name=metric_name("response_time_p90", language),
                line={"color": GREY, "width": 1.5, "dash": "dot"},
                connectgaps=False,
            )
        )
    unit = "h" if language == "en" else "Std."
    figure.update_layout(
        base_layout(
            language, title={"text": formats.heading(metric_name("response_time_median", language))}
        ),
        yaxis={"rangemode": "tozero", "ticksuffix": f" {unit}"},
        xaxis={"type": "category"},  # the ticks name the weeks; a title hit the legend
    )
    if all(week.median_minutes is None for week in weeks):
        # Empty axes would read as "no data collected"; say what is true instead.
        figure.update_layout(
            showlegend=False,
            xaxis={"visible": False},
            yaxis={"visible": False},
            annotations=[
                {
                    "text": no_answer_note(len(weeks), language),
                    "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                    "showarrow": False, "font": {"size": 14, "color": INK},
                }
            ],
        )  # fmt: skip
    return figure


def no_answer_note(weeks: int, language: str) -> str:
    """The response-time chart's sentence when no week has an answered message."""
    return translate_plural(
        "No customer message was answered this week, so there is no response time.",
        "No customer message was answered in these {count} weeks, so there is no response time.",
        weeks,
        language,
        count=formats.number(weeks, language),
    )


def _hours(minutes: float | None) -> float | None:
    return None if minutes is None else minutes / 60


def posts_vs_replies(weeks: Sequence[PostsRepliesWeek], language: str) -> go.Figure:
    """Own posts against own replies per week, side by side."""
    labels = _weeks([week.iso_week for week in weeks], language)
    figure = go.Figure(
        [
            go.Bar(
                x=labels,
                y=[week.posts for week in weeks],
                name=metric_name("posts", language),
                marker_color=GREY,
            ),
            go.Bar(
                x=labels,
                y=[week.own_replies for week in weeks],
                name=metric_name("own_replies", language),
                marker_color=OWN,
            ),
        ]
    )
    figure.update_layout(
        base_layout(language, barmode="group"),
        xaxis={"type": "category"},  # the ticks name the weeks; a title hit the legend
        yaxis={"rangemode": "tozero", "tickformat": ",d"},
    )
    return figure


# Empty hours are white, whatever the colour of the counts: a grid of zeros must read as
# "nothing", never as a block of colour (a solid green "own replies" panel read as good).
# Any count above zero starts at a visible tint.
INBOUND_SCALE = [[0.0, "#ffffff"], [0.001, "#d6e6f4"], [1.0, "#08306b"]]
REPLIES_SCALE = [[0.0, "#ffffff"], [0.001, "#d5efcf"], [1.0, "#00441b"]]
GRID_LINES = "#d9dee4"


def _panel_note(text: str, row: int) -> dict[str, object]:
    """A sentence in the middle of an empty heatmap panel (row 1 or 2)."""
    return {
        "text": text,
        "xref": "x domain" if row == 1 else "x2 domain",
        "yref": "y domain" if row == 1 else "y2 domain",
        "x": 0.5,
        "y": 0.5,
        "showarrow": False,
        "font": {"size": 14, "color": INK},
        "bgcolor": "rgba(255, 255, 255, 0.9)",
    }


def empty_heatmap_notes(grid: HourOfWeek, language: str) -> dict[int, str]:
    """What the empty panels of the heatmap say, by panel (1 inbound, 2 own replies)."""
    notes = {}
    if not any(any(day) for day in grid.inbound):
        notes[1] = translate("No customer message in this period.", language)
    if not any(any(day) for day in grid.own_replies):
        if grid.reference_replies == 0:
            notes[2] = translate_plural(
                "No own reply in this week.",
                "No own reply in these {count} weeks.",
                grid.reference_weeks,
                language,
                count=formats.number(grid.reference_weeks, language),
            )
        else:
            notes[2] = translate("No own reply in this period.", language)
    return notes


def hour_of_week_heatmap(grid: HourOfWeek, language: str) -> go.Figure:
    """Two panels, inbound and own replies, by weekday and hour. Hours in which the own
    side never replies are crossed out on the inbound panel; closed hours are dotted.
    An empty panel is an empty grid with a sentence saying what is missing."""
    days = [translate(name, language) for name in DAY_NAMES]
    hours = [f"{hour:02d}" for hour in range(HOURS)]
    inbound_name = metric_name("inbound", language)
    replies_name = metric_name("own_replies", language)
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, subplot_titles=(inbound_name, replies_name),
        vertical_spacing=0.12,
    )  # fmt: skip
    panels = (
        (1, grid.inbound, INBOUND_SCALE, inbound_name),
        (2, grid.own_replies, REPLIES_SCALE, replies_name),
    )
    for row, values, scale, name in panels:
        highest = max(max(day) for day in values)
        figure.add_trace(
            go.Heatmap(
                z=[list(day) for day in values],
                x=hours,
                y=days,
                colorscale=scale,
                zmin=0,
                zmax=max(1, highest),
                xgap=1,
                ygap=1,
                name=name,
                showscale=False,
                hovertemplate="%{y} %{x}:00 – %{z}<extra>" + name + "</extra>",
            ),
            row=row,
            col=1,
        )
    uncovered = sorted(grid.uncovered)
    figure.add_trace(
        go.Scatter(
            x=[hours[hour] for _, hour in uncovered],
            y=[days[day] for day, _ in uncovered],
            mode="markers",
            marker={"symbol": "x-thin-open", "size": 9, "color": WARN, "line": {"width": 2}},
            name=translate("never answered in this hour", language),
            hoverinfo="skip",
        ),
        row=1,
        col=1,
    )
    if grid.closed:
        closed = sorted(grid.closed)
        figure.add_trace(
            go.Scatter(
                x=[hours[hour] for _, hour in closed],
                y=[days[day] for day, _ in closed],
                mode="markers",
                marker={"symbol": "circle", "size": 3, "color": GREY},
                name=translate("outside business hours", language),
                hoverinfo="skip",
            ),
            row=2,
            col=1,
        )
    figure.update_layout(
        base_layout(language, height=460, hovermode="closest", plot_bgcolor=GRID_LINES)
    )
    # The subplot titles are annotations too: add the notes to them, not in their place.
    for row, note in empty_heatmap_notes(grid, language).items():
        figure.add_annotation(_panel_note(note, row))
    # Exactly the 7 x 24 cells: the grey between them is the grid, and nothing around it.
    figure.update_yaxes(range=[6.5, -0.5], type="category", showgrid=False)
    figure.update_xaxes(range=[-0.5, 23.5], type="category", showgrid=False)
    figure.update_xaxes(title_text=translate("Hour", language), row=2)
    return figure


def league_table(
    rows: Sequence[LeagueRow], language: str, *, export: bool = False, owner: bool = False
) -> Table:
    """The portfolio's league table in the given order: for the page, or (``export``) for
    CSV and Excel, where the interval is two numbers and durations are minutes. An
    ``owner`` reads "business" where a consultant reads "client"."""

    def label(key: str) -> str:
        return formats.heading(metric_name(key, language))

    interval: tuple[Column, ...] = (Column("interval", translate("95% interval", language)),)
    median = Column("response_time_median", label("response_time_median"), "duration")
    verdict_columns: tuple[Column, ...] = (Column("verdict", label("verdict")),)
    if export:
        interval = (
            Column("ratio_low", translate("95% interval from", language), "percent"),
            Column("ratio_high", translate("95% interval to", language), "percent"),
        )
        median = Column(
            "response_time_median",
            translate("{name} (minutes)", language, name=label("response_time_median")),
            "decimal",
        )
        verdict_columns += (
            Column("verdict_weeks", translate("Verdict over weeks", language), "integer"),
            Column("qualifier", translate("Qualifier", language)),
        )
    # On the page a client's accounts sit under it in the same column; a file gets both.
    if owner:
        client, client_account = (
            translate("Business", language),
            translate("Business / account", language),
        )
    else:
        client, client_account = (
            translate("Client", language),
            translate("Client / account", language),
        )
    names = (
        (Column("client", client), Column("account", translate("Account", language)))
        if export
        else (Column("client", client_account),)
    )
    columns = (
        *names,
        *verdict_columns,
        Column("response_ratio", label("response_ratio"), "percent"),
        *interval,
        median,
        Column("dialogue_share", label("dialogue_share"), "percent"),
        Column("substantive_ratio", label("substantive_ratio"), "percent"),
        *(
            (
                Column("redirect_share", label("redirect_share"), "percent"),
                Column("template_share", label("template_share"), "percent"),
            )
            if export
            else ()
        ),
        Column("waiting", label("waiting"), "integer"),
        Column("ratio_change", translate("Change", language), "percent"),
    )
    table_rows = [
        {
            "client": row.client_name,
            "client_id": row.client_id,
            "account": row.account_label or "",
            "account_id": row.account_id,
            "verdict": verdict_name(row.verdict, language) if row.verdict else None,
            "verdict_key": row.verdict,
            "verdict_weeks": row.verdict_weeks,
            "response_ratio": row.response_ratio,
            "interval": (
                formats.interval(row.ratio_low, row.ratio_high, language)
                if row.ratio_low is not None
                else None
            ),
            "ratio_low": row.ratio_low,
            "ratio_high": row.ratio_high,
            "response_time_median": row.response_time_median_minutes,
            "dialogue_share": row.dialogue_share,
            "substantive_ratio": row.substantive_ratio,
            "redirect_share": row.redirect_share,
            "template_share": row.template_share,
            "hollow": row.hollow,
            "qualifier": quality_qualifier(language) if row.hollow else None,
            "waiting": row.waiting,
            "ratio_change": row.ratio_change,
        }
        for row in rows
    ]
    return make_table("portfolio", columns, table_rows)


def collection_activity(days: Sequence[CollectionDay], language: str) -> go.Figure:
    """New items collected per local day, with failed runs marked above the bars."""
    labels = [formats.short_day(day.day, language) for day in days]
    any_failed = any(day.failed_runs for day in days)
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(
        go.Bar(
            x=labels,
            y=[day.items_new for day in days],
            name=translate("new items", language),
            marker_color=ACCENT,
        ),
        secondary_y=False,
    )
    figure.add_trace(
        go.Scatter(
            x=labels,
            y=[day.failed_runs if day.failed_runs else None for day in days],
            mode="markers",
            marker={"symbol": "triangle-down", "size": 11, "color": WARN},
            name=translate("failed runs", language),
            showlegend=any_failed,
        ),
        secondary_y=True,
    )
    figure.update_layout(base_layout(language, height=280))
    figure.update_xaxes(type="category")
    figure.update_yaxes(rangemode="tozero", tickformat=",d", secondary_y=False)
    # The failure axis only when something failed: an empty 0-4 scale looks like data.
    figure.update_yaxes(
        rangemode="tozero", tickformat=",d", showgrid=False, visible=any_failed, secondary_y=True
    )
    return figure
