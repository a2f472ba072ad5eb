"""The dashboard application: ``create_app(engine, options)`` returns a Dash app whose
``.server`` is the WSGI application (``replywatch serve`` runs it under waitress).

Offline by construction: Dash serves its JavaScript and CSS from the installed packages
(``serve_locally=True``), our own stylesheet comes from ``dashboard/assets``, and no page
refers to another host.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from flask import Flask, g
from sqlalchemy import Engine

from dashboard import (
    auth,
    callback_requests,
    connect_page,
    downloads,
    edge,
    security,
    static_files,
)
from dashboard.connect_page import AccountConnector
from dashboard.guard import Scope, data_callback, ui_callback
from dashboard.i18n import translate
from dashboard.navigation import picked_values, target
from dashboard.pages import account, client, portfolio
from dashboard.pages.common import denied_panel
from dashboard.runtime import EXTENSION, AuditPdf, DashboardOptions, Runtime, runtime, utc_now
from dashboard.state import href, parse_location

ASSETS = Path(__file__).parent / "assets"
PAGES: dict[str, Callable[[Scope], list[Any]]] = {
    "portfolio": portfolio.render,
    "client": client.render,
    "account": account.render,
}


class DashboardDash(Dash):
    def interpolate_index(self, **kwargs: Any) -> str:
        # The <html lang> follows the viewer's language (screen readers, hyphenation).
        page = super().interpolate_index(**kwargs)
        viewer = g.get("viewer")
        language = viewer.language if viewer is not None else "en"
        return page.replace("<html>", f'<html lang="{language}">', 1)


def create_app(
    engine: Engine,
    options: DashboardOptions,
    *,
    clock: Callable[[], datetime] = utc_now,
    audit_pdf: AuditPdf | None = None,
    connector: AccountConnector | None = None,
) -> Dash:
    """``audit_pdf`` prints the client page's "PDF report"; without it there is no button.
    ``connector`` runs the "Connect an account" flows; without it there is no such page."""
    # No static folder: Flask's default would serve static/ from the working directory.
    # Our files are Dash's assets folder; root_path keeps Flask from looking anywhere else.
    server = Flask(
        "replywatch_dashboard",
        root_path=str(Path(__file__).parent),
        static_folder=None,
        template_folder=None,
    )
    server.secret_key = options.secret_key
    server.extensions[EXTENSION] = Runtime(engine, options, clock, audit_pdf, connector)
    # Our checks are registered before Dash's own hooks, so they run first on every request.
    edge.install(server)
    auth.install(server)
    downloads.install(server)
    if connector is not None:
        connect_page.install(server)
    app = DashboardDash(
        __name__,
        server=server,
        assets_folder=str(ASSETS),
        serve_locally=True,
        title="replywatch",
        update_title=None,
        suppress_callback_exceptions=True,
        csrf_token_name=auth.CSRF_COOKIE,
        csrf_header_name=auth.CSRF_HEADER,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = shell
    register_callbacks(app)
    if options.debug:
        app.enable_dev_tools(debug=True, dev_tools_hot_reload=False)
    static_files.install(server)
    callback_requests.install(server, app)
    security.install(server, app.csp_hashes())
    return app


def shell() -> Any:
    """The frame around every page; the page itself is filled by ``render_page``."""
    viewer = g.get("viewer")
    if viewer is None:  # the gate lets no anonymous request get here; be safe anyway
        return html.Div()
    language = viewer.language
    csrf = auth.csrf_token()
    role = (
        translate("consultant", language) if viewer.is_consultant else translate("owner", language)
    )
    language_buttons = [
        html.Button(
            label,
            type="submit",
            name="language",
            value=code,
            className="link-button" + (" current" if code == language else ""),
            disabled=code == language,
            lang=code,
        )
        for code, label in (("en", "English"), ("de", "Deutsch"))
    ]
    return html.Div(
        [
            dcc.Location(id="url", refresh="callback-nav"),
            html.Header(
                [
                    dcc.Link("replywatch", href="/", className="brand"),
                    html.Div(
                        [
                            html.Span(
                                translate("Signed in as {name}", language, name=viewer.username)
                                + f" ({role})",
                                className="whoami",
                                id="whoami",
                            ),
                            *connect_link(language),
                            html.Form(
                                [dcc.Input(type="hidden", name="csrf", value=csrf),
                                 *language_buttons],
                                action="/language",
                                method="POST",
                                className="inline-form",
                                id="language-form",
                                **{"aria-label": translate("Language", language)},
                            ),
                            html.Form(
                                [dcc.Input(type="hidden", name="csrf", value=csrf),
                                 html.Button(translate("Log out", language),
                                             type="submit", id="logout", className="link-button")],
                                action="/logout",
                                method="POST",
                                className="inline-form",
                            ),
                        ],
                        className="account-menu",
                    ),
                ],
                className="topbar",
            ),
            html.Main(id="page", className="page"),
        ],
        className="app",
    )  # fmt: skip


def connect_link(language: str) -> list[Any]:
    """The way to "Connect an account" (a plain link: those pages are not Dash's)."""
    if runtime_connector() is None:
        return []
    return [html.A(translate("Connect an account", language), href="/connect", id="connect-link",
                   className="link-button")]  # fmt: skip


def runtime_connector() -> Any:
    return runtime().connector


def register_callbacks(app: Dash) -> None:
    @data_callback(app, Output("page", "children"), denied=denied_panel)
    def render_page(scope: Scope) -> list[Any]:
        return PAGES[scope.state.page](scope)

    @ui_callback(
        app,
        Output("url", "href"),
        inputs=[
            Input({"picker": ALL}, "value"),
            Input({"range": ALL}, "start_date"),
            Input({"range": ALL}, "end_date"),
        ],
        states=[State({"picker": ALL}, "id"), State("url", "pathname"), State("url", "search")],
        prevent_initial_call=True,
    )
    def navigate(
        _viewer: Any,
        values: list[Any],
        starts: list[Any],
        ends: list[Any],
        ids: list[Any],
        pathname: Any,
        search: Any,
    ) -> Any:
        # When a page is rendered, its new pickers all report their values at once; that is
        # not a choice. A person changes one picker at a time.
        changed = {json.dumps(i, sort_keys=True) for i in ctx.triggered_prop_ids.values()}
        trigger = ctx.triggered_id
        if len(changed) != 1 or not isinstance(trigger, dict):
            return no_update
        name = trigger.get("picker") or ("range" if "range" in trigger else None)
        picked = picked_values(ids, values)
        if picked is None:
            return no_update
        current = parse_location(pathname, search)
        chosen = target(
            current, name or "", picked, starts[0] if starts else None, ends[0] if ends else None
        )
        if chosen is None:
            return no_update
        new = href(chosen)
        return no_update if new == href(current) else new
