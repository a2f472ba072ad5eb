"""The weekly email's one chart: customer messages and answers per week, as a PNG.

Drawn with plotly and exported by kaleido in Debian's Chromium, offline: plotly.js comes
from the installed plotly package and MathJax is switched off (kaleido would load it from
a CDN). Starting Chromium takes about a second and a half; a :class:`ChartRenderer`
keeps one browser for a whole batch of emails (about 0.1 s per image after the first).
"""

from __future__ import annotations

import os
import threading
from types import TracebackType

import kaleido
import plotly.graph_objects as go

from reports.catalog import Wording
from reports.snapshot import Snapshot

WIDTH, HEIGHT, SCALE = 600, 260, 2
INBOUND_COLOUR = "#9ab8d8"
ANSWERED_COLOUR = "#0b5cad"

# kaleido's sync server is one per process and not safe for concurrent calls: the
# service's worker threads take turns, and the browser lives while any batch is open.
_server_lock = threading.Lock()
_call_lock = threading.Lock()
_open_batches = 0


class ChartError(RuntimeError):
    """The chart image could not be drawn (no browser, browser crashed, timed out)."""


def check_browser(path: str, setting: str = "email.chart_browser") -> None:
    """ChartError unless ``path`` (the value of ``setting``) is a program this user may run.

    kaleido starts its browser in a thread of its own: when the browser is missing that
    thread dies and every later image request waits forever, so the path is checked first.
    """
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise ChartError(
            f"no browser to draw the chart at {path} ({setting}); install Chromium "
            f"(Debian: apt-get install chromium) or set {setting} to its path"
        )


def chart_figure(snapshot: Snapshot) -> go.Figure:
    wording = Wording(snapshot.language, snapshot.generated_at)
    series = snapshot.series
    weeks = [wording.week_label(point.week) for point in series]
    figure = go.Figure(
        [
            go.Bar(
                name=wording.metric("inbound"),
                x=weeks,
                y=[point.inbound for point in series],
                marker_color=INBOUND_COLOUR,
            ),
            go.Bar(
                name=wording.metric("answered"),
                x=weeks,
                y=[point.answered for point in series],
                marker_color=ANSWERED_COLOUR,
            ),
        ]
    )
    figure.update_layout(
        template="simple_white",
        barmode="group",
        title={
            "text": wording.gettext("Customer messages and answers per week"),
            "xref": "paper",
            "x": 0,
            "font": {"size": 15},
        },
        legend={"orientation": "h", "x": 0, "y": -0.15},
        margin={"l": 40, "r": 10, "t": 40, "b": 50},
        font={"family": "DejaVu Sans, Liberation Sans, Arial, sans-serif", "size": 12},
        width=WIDTH,
        height=HEIGHT,
        yaxis={"rangemode": "tozero", "tickformat": ",d"},
        separators=",." if snapshot.language == "en" else ".,",
    )
    return figure


class ChartRenderer:
    """``with ChartRenderer(browser) as charts: charts.png(snapshot)``; ``charts.svg(figure)``
    for the vector charts of a printed report."""

    def __init__(
        self,
        browser_path: str = "/usr/bin/chromium",
        timeout: float = 60,
        setting: str = "email.chart_browser",
    ) -> None:
        self.browser_path = browser_path
        self.timeout = timeout
        self.setting = setting  # where the browser's path was configured, for messages
        self._entered = False

    def __enter__(self) -> ChartRenderer:
        global _open_batches
        check_browser(self.browser_path, self.setting)
        with _server_lock:
            if _open_batches == 0:
                kaleido.start_sync_server(
                    path=self.browser_path, mathjax=False, timeout=self.timeout,
                    silence_warnings=True,
                )  # fmt: skip
            _open_batches += 1
        self._entered = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        global _open_batches
        if not self._entered:
            return
        self._entered = False
        with _server_lock:
            _open_batches -= 1
            if _open_batches == 0:
                kaleido.stop_sync_server(silence_warnings=True)

    def png(self, snapshot: Snapshot) -> bytes:
        options = {"format": "png", "width": WIDTH, "height": HEIGHT, "scale": SCALE}
        image = self._draw(chart_figure(snapshot), options)
        if not image.startswith(b"\x89PNG"):
            raise ChartError("the chart renderer returned no PNG image")
        return image

    def svg(self, figure: go.Figure, width: int, height: int) -> str:
        """``figure`` as an SVG document (vector: lines, bars and text stay sharp in print)."""
        image = self._draw(figure, {"format": "svg", "width": width, "height": height})
        text = image.decode("utf-8")
        if not text.lstrip().startswith("<svg"):
            raise ChartError("the chart renderer returned no SVG image")
        return text

    def _draw(self, figure: go.Figure, options: dict[str, object]) -> bytes:
        if not self._entered:
            raise RuntimeError("use ChartRenderer as a context manager (one browser per batch)")
        try:
            with _call_lock:
                image = kaleido.calc_fig_sync(figure, opts=options)
        except Exception as exc:
            raise ChartError(
                f"the chart could not be drawn with the browser {self.browser_path}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(image, bytes):
            raise ChartError("the chart renderer returned no image")
        return image
