"""Callback requests are checked against the callback they name before Dash reads them.

For the callback named by ``output``, Dash's renderer sends that callback's outputs, one
entry per input and per state (a list of entries for a pattern-matching ``ALL``), and
which of the inputs changed. A request of any other shape (forged, or from a page loaded
before an upgrade) is answered 400 here; Dash itself would fail on it with a 500. The
values in the entries may still be any JSON: the callbacks read them defensively
(``dashboard.state``, ``dashboard.navigation``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from dash import Dash
from flask import Flask, Response, request

DISPATCH_PATH = "/_dash-update-component"
_WILDCARDS = ("ALL", "ALLSMALLER", "MATCH")
_SCALARS = (str, int, float, bool)


class MalformedCallbackRequest(ValueError):
    """The body is not a request for one of this dashboard's callbacks."""


def _pattern(declared_id: str) -> dict[str, Any] | None:
    """A pattern-matching id (``{"picker":["ALL"]}``) as a dict; None for a plain id."""
    return json.loads(declared_id) if declared_id.startswith("{") else None


def _wildcard(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 1 and value[0] in _WILDCARDS


def _matches(sent_id: Any, declared_id: str) -> bool:
    pattern = _pattern(declared_id)
    if pattern is None:
        return sent_id == declared_id
    if not isinstance(sent_id, dict) or set(sent_id) != set(pattern):
        return False
    return all(
        isinstance(sent_id[key], _SCALARS) if _wildcard(value) else sent_id[key] == value
        for key, value in pattern.items()
    )


def _entry(sent: Any, declared: Mapping[str, str], where: str) -> tuple[Any, str]:
    if (
        not isinstance(sent, dict)
        or sent.get("property") != declared["property"]
        or not _matches(sent.get("id"), declared["id"])
    ):
        raise MalformedCallbackRequest(f"{where} is not {declared['id']}.{declared['property']}")
    return sent["id"], sent["property"]


def _entries(sent: Any, declared: list[Mapping[str, str]], where: str) -> list[tuple[Any, str]]:
    """Check one list of the body (inputs, state) entry by entry; returns (id, property)
    of every entry."""
    if not isinstance(sent, list) or len(sent) != len(declared):
        raise MalformedCallbackRequest(f"{where} must list {len(declared)} entries")
    found: list[tuple[Any, str]] = []
    for number, (item, dependency) in enumerate(zip(sent, declared, strict=True)):
        pattern = _pattern(dependency["id"])
        several = pattern is not None and any(
            _wildcard(value) and value[0] != "MATCH" for value in pattern.values()
        )
        if several:
            if not isinstance(item, list):
                raise MalformedCallbackRequest(f"{where}[{number}] must be a list")
            found += [_entry(part, dependency, f"{where}[{number}]") for part in item]
        else:
            found.append(_entry(item, dependency, f"{where}[{number}]"))
    return found


def _declared_outputs(output: str) -> list[dict[str, str]]:
    # "page.children", or "..a.b...c.d.." for several outputs
    names = output.strip(".").split("...") if output.startswith("..") else [output]
    return [dict(zip(("id", "property"), name.rsplit(".", 1), strict=True)) for name in names]


def _changed(sent: Any, inputs: list[tuple[Any, str]]) -> None:
    if not isinstance(sent, list):
        raise MalformedCallbackRequest("changedPropIds must be a list")
    for prop_id in sent:
        if not isinstance(prop_id, str):
            raise MalformedCallbackRequest("changedPropIds must name inputs")
        component, _, prop = prop_id.rpartition(".")
        try:
            parsed = json.loads(component) if component.startswith("{") else component
        except ValueError:
            parsed = None
        if (parsed, prop) not in inputs:
            raise MalformedCallbackRequest(f"changedPropIds names {prop_id[:80]!r}, no input")


def check_callback_request(body: Any, callback_map: Mapping[str, Any]) -> None:
    """Raise MalformedCallbackRequest unless ``body`` has the shape of a request for the
    callback it names."""
    if not isinstance(body, dict):
        raise MalformedCallbackRequest("the body must be a JSON object")
    output = body.get("output")
    callback = callback_map.get(output) if isinstance(output, str) else None
    if callback is None:
        raise MalformedCallbackRequest("output names no callback of this dashboard")
    declared = _declared_outputs(output)
    outputs = body.get("outputs")
    _entries(outputs if output.startswith("..") else [outputs], declared, "outputs")
    inputs = _entries(body.get("inputs"), callback["inputs"], "inputs")
    _entries(body.get("state", []), callback["state"], "state")
    _changed(body.get("changedPropIds", []), inputs)


def install(server: Flask, app: Dash) -> None:
    """Register the check; it runs after the login gate, so only logged-in viewers learn
    anything about the shape of the callbacks (which their pages show them anyway)."""

    def check() -> Response | None:
        if request.path != DISPATCH_PATH or request.method != "POST":
            return None
        try:
            body = request.get_json(silent=True)
        except RecursionError:  # "[[[[…": deeper than Python's JSON parser goes
            body = None
        try:
            check_callback_request(body, app.callback_map)
        except MalformedCallbackRequest as exc:
            return Response(f"not a callback request: {exc}", status=400, mimetype="text/plain")
        return None

    server.before_request(check)
