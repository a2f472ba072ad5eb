"""``serve``: the dashboard under waitress, a production WSGI server."""

from __future__ import annotations

import gc
import ipaddress
import logging
import os
import signal
import sys
from functools import partial
from types import FrameType

import click
import waitress
from sqlalchemy import func, select

from dashboard.app import create_app
from dashboard.runtime import DashboardOptions
from replywatch.cli import cli
from replywatch.cli.context import AppContext, BadInput, pass_app
from replywatch.config import ConfigError
from replywatch.connect.dashboard import DashboardConnector
from replywatch.secrets import SecretError
from replywatch.session_key import dashboard_secret_key
from reports.audit_pdf import audit_pdf
from storage.models import User

LOOPBACK_NAMES = ("localhost",)
# Binding 127.0.0.1 is also the documented set-up behind a reverse proxy, where everybody
# who reaches the proxy would see the tracebacks: --debug needs this as well.
DEBUG_SWITCH = "REPLYWATCH_ALLOW_DEBUG"
DEBUG_BANNER = """\
************************************************************************
WARNING: DEBUG MODE. Whoever is logged in to this dashboard, also through a
reverse proxy, sees tracebacks with source code and stored data, and Dash's
developer tools. Never run it like this where anybody else can reach it.
************************************************************************"""


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _stop(_signal: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@cli.command()
@click.option("--host", help="Address to listen on; default: dashboard.host (127.0.0.1).")
@click.option(
    "--port",
    type=int,
    help="Port to listen on; default: dashboard.port (8050); 0 picks a free port.",
)
@click.option("--threads", type=int, help="Worker threads; default: dashboard.threads (8).")
@click.option(
    "--debug",
    is_flag=True,
    help=(
        "Dash's developer tools and tracebacks in the browser; only on 127.0.0.1 and with "
        f"{DEBUG_SWITCH}=1 in the environment."
    ),
)
@pass_app
def serve(
    app: AppContext, host: str | None, port: int | None, threads: int | None, debug: bool
) -> None:
    """Run the dashboard (login, portfolio, clients, accounts) until stopped."""
    serve_dashboard(app, host, port, threads, debug)


def serve_dashboard(
    app: AppContext,
    host: str | None = None,
    port: int | None = None,
    threads: int | None = None,
    debug: bool = False,
) -> None:
    """What `serve` does (the demo serves its database through here); None: the setting."""
    settings = app.settings
    host = (host or settings.get("dashboard.host")).strip()
    port = settings.get("dashboard.port") if port is None else port
    threads = settings.get("dashboard.threads") if threads is None else threads
    if not 0 <= port <= 65535:
        raise BadInput(f"--port {port} is not a port; expected a whole number from 0 to 65535")
    if not 1 <= threads <= 64:
        raise BadInput(f"--threads {threads} is not valid; expected a whole number from 1 to 64")
    if debug and not is_loopback(host):
        raise BadInput(
            f"--debug shows tracebacks to everybody who reaches {host}; use it only with "
            "--host 127.0.0.1"
        )
    if debug and os.environ.get(DEBUG_SWITCH) != "1":
        raise BadInput(
            "--debug shows tracebacks with source code and data to everybody who reaches the "
            "dashboard, also through a reverse proxy on this machine; when nobody else can, "
            f"set {DEBUG_SWITCH}=1 in the environment as well"
        )
    app.require_schema()
    try:
        key = dashboard_secret_key(settings)
    except (ConfigError, SecretError) as exc:
        raise BadInput(str(exc)) from None
    options = DashboardOptions(
        secret_key=key,
        secure_cookies=settings.get("dashboard.secure_cookies"),
        session_idle_hours=settings.get("dashboard.session_hours"),
        debug=debug,
    )
    # The dashboard cannot import reports; it gets the audit report's printer from here.
    printer = partial(audit_pdf, browser=settings.get("reports.browser"))
    # Likewise the connect flows of the "Connect an account" page.
    connector = DashboardConnector(app.engine, settings)
    dash_app = create_app(app.engine, options, audit_pdf=printer, connector=connector)
    with app.session() as session:
        users = session.scalar(select(func.count()).select_from(User)) or 0
    level = getattr(logging, str(settings.get("log_level")).upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    trusted_proxy = settings.get("dashboard.trusted_proxy")
    proxy_options: dict[str, object] = {}
    if trusted_proxy:
        proxy_options = {
            "trusted_proxy": trusted_proxy,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
            "clear_untrusted_proxy_headers": True,
        }
    try:
        server = waitress.create_server(
            dash_app.server, host=host, port=port, threads=threads, ident="replywatch",
            **proxy_options,
        )  # fmt: skip
    except OSError as exc:
        raise BadInput(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    if debug:
        click.echo(DEBUG_BANNER, err=True)
    effective_port = server.effective_port  # type: ignore[union-attr]
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"replywatch dashboard on http://{shown_host}:{effective_port}/ (Ctrl+C stops it)")
    if users == 0:
        click.echo("No users yet; add one with: replywatch user add NAME --role consultant")
    sys.stdout.flush()
    signal.signal(signal.SIGTERM, _stop)
    # What is loaded by now (Dash, plotly, SQLAlchemy, our modules) lives as long as the
    # process. Frozen, it is left out of the full garbage collections that a page's many
    # short-lived objects trigger: before, one portfolio request in twenty took 160 ms of
    # CPU instead of 70 walking it (bench/dashboard.py).
    gc.collect()
    gc.freeze()
    try:
        server.run()  # returns when interrupted (Ctrl+C, or SIGTERM turned into one)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    click.echo("Dashboard stopped.")
