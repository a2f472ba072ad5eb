"""Downloads of tables as CSV or Excel, checked like every callback.

``/export/<table>.<csv|xlsx>?<the page's query>``: the query names the client or account
and the period exactly as the page URL does, and goes through the same access guard; a
table the viewer may not see is answered "not found".

``/report/audit.pdf?client=N&period=…``: a client's audit report, printed by the report
printer the command line hands the dashboard, behind the same guard as the client page.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from flask import Flask, Response, abort, request

from dashboard.access import AccessDenied, visible_clients
from dashboard.collection import collection_status_table
from dashboard.exports import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, to_csv, to_xlsx
from dashboard.figures import league_table
from dashboard.guard import Scope, resolve_scope
from dashboard.i18n import translate
from dashboard.league import flatten
from dashboard.pages.portfolio import league
from dashboard.pages.unanswered_export import unanswered_table
from dashboard.queries import runs_between
from dashboard.runtime import current_viewer, runtime
from dashboard.state import PATHS, parse_location
from dashboard.tables import Table
from metrics.periods import default_audit_period

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Export:
    page: str  # whose URL parameters the download takes: "account", "client", "portfolio"
    build: Callable[[Scope], Table]


def _collection_status(scope: Scope) -> Table:
    assert scope.account is not None and scope.client is not None
    start, end = scope.period.bounds(scope.client.time_zone)
    runs = runs_between(scope.db, scope.account.id, start, end)
    return collection_status_table(runs, scope.client.time_zone, scope.language)


def _portfolio(scope: Scope) -> Table:
    # The whole league (every page), in the order the page shows it.
    groups = league(scope, visible_clients(scope.db, scope.viewer))
    return league_table(
        flatten(groups), scope.language, export=True, owner=not scope.viewer.is_consultant
    )


EXPORTS: dict[str, Export] = {
    "collection-status": Export("account", _collection_status),
    "portfolio": Export("portfolio", _portfolio),
    "unanswered": Export("client", unanswered_table),
    "account-unanswered": Export("account", unanswered_table),
}


def install(server: Flask) -> None:
    server.add_url_rule(
        "/export/<name>.<file_format>", "replywatch_export", download, methods=["GET"]
    )
    server.add_url_rule(
        "/report/audit.pdf", "replywatch_audit_pdf", audit_download, methods=["GET"]
    )


def _slug(text: str) -> str:
    # "Bäckerei Huber" -> "Backerei-Huber": letters without their accents, then ASCII only.
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", plain).strip("-.")[:60] or "export"


def file_name(name: str, scope: Scope, file_format: str) -> str:
    parts = [name]
    if scope.account is not None:
        parts.append(_slug(scope.account.handle))
    elif scope.client is not None:
        parts.append(_slug(scope.client.name))
    parts.append(scope.period.token.replace("..", "_"))
    return "-".join(parts) + "." + file_format


def download(name: str, file_format: str) -> Response:
    export = EXPORTS.get(name)
    if export is None or file_format not in ("csv", "xlsx"):
        abort(404)
    viewer = current_viewer()
    context = runtime()
    state = parse_location(PATHS[export.page], request.query_string.decode("latin-1"))
    with context.sessions() as db:
        try:
            scope = resolve_scope(db, viewer, state, context.clock())
        except AccessDenied:
            abort(404)
        if scope.period_problem:
            return Response(f"period: {scope.period_problem}", status=400, mimetype="text/plain")
        table = export.build(scope)
        filename = file_name(name, scope, file_format)
        db.rollback()
    if file_format == "csv":
        body, media_type = to_csv(table), CSV_MEDIA_TYPE
    else:
        body, media_type = to_xlsx(table), XLSX_MEDIA_TYPE
    response = Response(body, content_type=media_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


def audit_download() -> Response:
    """``/report/audit.pdf?client=N&period=…``: the client's audit report, checked by the
    same guard as the client page (an owner gets only their own business's). Without a
    period: the last four full weeks."""
    context = runtime()
    if context.audit_pdf is None:
        abort(404)
    viewer = current_viewer()
    state = parse_location(PATHS["client"], request.query_string.decode("latin-1"))
    with context.sessions() as db:
        try:
            scope = resolve_scope(db, viewer, state, context.clock())
        except AccessDenied:
            abort(404)
        if scope.period_problem:
            return Response(f"period: {scope.period_problem}", status=400, mimetype="text/plain")
        assert scope.client is not None
        period = (
            scope.period
            if state.period
            else default_audit_period(scope.client.time_zone, scope.now)
        )
        try:
            document = context.audit_pdf(db, scope.client.id, period, scope.language, scope.now)
        except RuntimeError as exc:  # no browser, or it crashed: the operator's to fix
            LOG.error(
                "the audit report of client %s could not be printed: %s", scope.client.id, exc
            )
            message = translate(
                "The PDF report could not be printed; the reason is in the dashboard's log.",
                scope.language,
            )
            return Response(message, status=503, mimetype="text/plain")
        filename = f"audit-{_slug(scope.client.name)}-{period.token.replace('..', '_')}.pdf"
        db.rollback()
    response = Response(document, content_type="application/pdf")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
