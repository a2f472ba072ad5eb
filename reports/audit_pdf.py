"""The audit report as a PDF: ``audit_pdf(session, client_id, period, language, now)``.

Built from the metrics (``reports.audit``), its charts drawn as SVG by kaleido in
Chromium (``reports.audit_charts``), the page written in the reader's language
(``reports.audit_render``) and printed by Chromium (``reports.pdf``). The dashboard's
"PDF report" button and ``replywatch report --pdf`` both come here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from metrics import formats
from metrics.periods import Period
from metrics.schedule import ScheduleError, parse_schedule
from metrics.texts import texts
from reports.audit import Audit, build_audit
from reports.audit_charts import (
    INBOUND_SHADES,
    REPLY_SHADES,
    TREND_HEIGHT,
    WIDTH,
    coverage_grid,
    messages_figure,
    ratio_figure,
    response_time_figure,
)
from reports.chart import ChartError, ChartRenderer
from reports.pdf import DEFAULT_BROWSER, PdfError, print_to_pdf

BROWSER_SETTING = "reports.browser"


def closed_hours(audit: Audit) -> frozenset[int]:
    """Hours of the week (0 = Monday 00:00) without an open minute; none for 24/7."""
    try:
        schedule = parse_schedule(audit.settings.business_hours)
    except ScheduleError:
        return frozenset()  # validated when stored; never lose the chart over it
    return frozenset(day * 24 + hour for day, hour in schedule.closed_hours())


def coverage_grids(audit: Audit, language: str) -> dict[str, str]:
    """The two hour-of-week grids; an empty one says what is missing."""
    wording = texts(language)
    coverage = audit.coverage
    inbound_note = (
        None if any(coverage.inbound) else wording.gettext("No customer message in this period.")
    )
    reply_note = None
    if not any(coverage.own_replies):
        weeks = -(-coverage.reference.days // 7)
        reply_note = (
            wording.ngettext(
                "No own reply in this week.",
                "No own reply in these {count} weeks.",
                weeks,
                count=formats.number(weeks, language),
            )
            if not any(coverage.reference_own_replies)
            else wording.gettext("No own reply in this period.")
        )
    return {
        "inbound_hours": coverage_grid(
            coverage.inbound,
            INBOUND_SHADES,
            formats.heading(wording.gettext("customer messages")),
            language,
            crossed=frozenset(coverage.uncovered_hours),
            empty_note=inbound_note,
        ),
        "reply_hours": coverage_grid(
            coverage.own_replies,
            REPLY_SHADES,
            formats.heading(wording.gettext("own replies")),
            language,
            dotted=closed_hours(audit),
            empty_note=reply_note,
        ),
    }


def draw_charts(audit: Audit, language: str, browser: str = DEFAULT_BROWSER) -> dict[str, str]:
    """Every chart of the report as an SVG document, by name."""
    trend, period = audit.trend, audit.period
    figures = {
        "ratio": ratio_figure(trend, period, language),
        "messages": messages_figure(trend, period, language),
        "times": response_time_figure(trend, period, language),
    }
    try:
        with ChartRenderer(browser, setting=BROWSER_SETTING) as renderer:
            charts = {
                name: renderer.svg(figure, WIDTH, TREND_HEIGHT) for name, figure in figures.items()
            }
    except ChartError as exc:
        raise PdfError(str(exc)) from None
    return {**charts, **coverage_grids(audit, language)}


def render_audit_pdf(audit: Audit, language: str, browser: str = DEFAULT_BROWSER) -> bytes:
    from reports.audit_render import render_audit_html

    page = render_audit_html(audit, language, draw_charts(audit, language, browser))
    return print_to_pdf(page, browser, setting=BROWSER_SETTING)


def audit_pdf(
    session: Session,
    client_id: int,
    period: Period,
    language: str,
    now: datetime,
    *,
    browser: str = DEFAULT_BROWSER,
) -> bytes:
    """The report of ``client_id`` for ``period`` in ``language`` (raises
    ``api.UnknownSubject`` for a client that does not exist, ``PdfError`` when the browser
    cannot draw or print)."""
    return render_audit_pdf(build_audit(session, client_id, period, now), language, browser)
