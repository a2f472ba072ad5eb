"""The files anybody may fetch without logging in, and nothing else under their paths.

``/assets/`` holds our stylesheet, ``/_dash-component-suites/`` the JavaScript of the
installed Dash and Plotly packages; nothing private is in either. Any other path under
these prefixes answers 404 with an empty body, logged in or not: never Dash's index page
or an error page, which would name the Python, Dash and Plotly versions.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from dash.exceptions import DependencyException
from flask import Flask, Response, request

STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/")


def is_static_path(path: str) -> bool:
    return path.startswith(STATIC_PREFIXES)


def not_found(_error: Exception | None = None) -> Response:
    return Response(b"", status=404, mimetype="text/plain")


def unknown_static_path() -> Response | None:
    """404 for a static path that no static route serves (Dash's catch-all would answer it
    with the index page); None when a static route will look for the file."""
    rule = request.url_rule
    if rule is None or not is_static_path(rule.rule):
        return not_found()
    return None


def _answer_404_for_files_it_does_not_serve(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def serve(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except (DependencyException, OSError):
            # Dash refuses a path its packages did not register (its message lists them all);
            # a registered file that is missing on disk is no more found than that.
            return not_found()

    return serve


def install(server: Flask) -> None:
    """After Dash has added its routes: wrap the one that serves package files."""
    for rule in server.url_map.iter_rules():
        if rule.rule.startswith("/_dash-component-suites/"):
            server.view_functions[rule.endpoint] = _answer_404_for_files_it_does_not_serve(
                server.view_functions[rule.endpoint]
            )
    server.register_error_handler(404, not_found)
