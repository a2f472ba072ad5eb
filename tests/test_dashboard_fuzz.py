"""Bad values at every edge of the served dashboard: no route and no callback answers 500.

The routes come from the server's URL map and the callbacks from the app's callback map,
so a route or callback added later is fuzzed too (a route argument without samples here
fails the test). One thing is wrong at a time: each bad value goes into one parameter,
form field, input or state while everything else is valid, so that no earlier refusal
(an unknown client, say) hides what a later check would do with it (the period). As an
anonymous visitor and logged in, on SQLite and on PostgreSQL (which refuses NUL bytes in
text where SQLite does not).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from sqlalchemy import Engine

from dashboard.app import create_app
from dashboard.runtime import DashboardOptions
from storage.engine import session_factory
from storage.models import Role, User
from storage.passwords import hash_password
from tests.support.dashboard_server import TEST_KEY, Clock, form_token, login, running_dashboard
from tests.support.factories import add_account, add_client

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PASSWORD = "fuzz-password-1"

BAD_TEXT = (
    "0001-W01", "2026-W99", "0001-01-01..0001-01-07", "2026-02-30..2026-03-01",
    "2026-11-30..2026-11-01", "1" * 4301, "9" * 20, "-1", "0", "1.5", "²", "١٢", "\x00",
    "x" * 20_000, "", "%", "\ud800", "--waiting", "<b>x</b>", "'; DROP TABLE users; --",
    "//evil.example", "javascript:alert(1)", "http://[::1", "/[", "\r\nSet-Cookie: a=b",
)  # fmt: skip
# A lone surrogate cannot be written into a URL or a form (UTF-8 has no such character);
# it goes into the callbacks, whose JSON can carry it.
WIRE_TEXT = tuple(value for value in BAD_TEXT if value != "\ud800")
BAD_JSON = (None, True, -1, 2**64, 10**400, 1.5, [], {}, ["/client"], {"a": 1}, *BAD_TEXT)
FORM_FIELDS = ("csrf", "username", "password", "next", "language")
# Values for the arguments of the URL rules; the first is a real one.
ROUTE_SAMPLES: dict[str, tuple[str, ...]] = {
    "name": ("portfolio", "unanswered", "account-unanswered", "collection-status", "x" * 300),
    "file_format": ("csv", "xlsx", "pdf"),
    "filename": ("replywatch.css", "nothere.css", "\x00"),
    "package_name": ("dash", "no_such_package", "\x00"),
    "fingerprinted_path": ("deps/react@18.3.1.min.js", "x.js", "\x00"),
    "path": ("client", "nothere/deeper", "\x00", "x" * 5000),
}


@pytest.fixture
def world(engine: Engine) -> dict[str, int]:
    with session_factory(engine)() as session:
        huber = add_client(session, "Bäckerei Huber")
        account = add_account(session, huber, "x", "@huber")
        session.add(
            User(username="clara", password_hash=hash_password(PASSWORD), role=Role.CONSULTANT)
        )
        session.commit()
        return {"client": huber.id, "account": account.id}


def good_query(world: dict[str, int]) -> dict[str, str]:
    """Every parameter the dashboard reads from a query string, with a valid value: those
    of its pages and downloads, then those of the login page."""
    return {
        "client": str(world["client"]), "account": str(world["account"]),
        "period": "2026-W47", "sort": "-waiting", "page": "1",
        "next": "/client", "lang": "de", "bye": "1",
    }  # fmt: skip


PAGE_PARAMETERS = ("client", "account", "period", "sort", "page")


def bad_queries(world: dict[str, int], names: tuple[str, ...] | None = None) -> Iterator[str]:
    """The valid query with one parameter bad at a time; then queries bad as a whole."""
    valid = good_query(world)
    for name in names or tuple(valid):
        for value in WIRE_TEXT:
            yield urlencode({**valid, name: value})
    yield from ("x" * 20_000, "%", "&&=&", "client=1&client=2&client=", "period")


def all_bad_queries(world: dict[str, int]) -> Iterator[str]:
    """Each bad value in every parameter at once: enough where nothing reads the query."""
    for value in WIRE_TEXT:
        yield urlencode(dict.fromkeys(good_query(world), value))


def route_paths(app: Any) -> list[tuple[str, str, bool]]:
    """(method, path, real) for every URL rule: the rule with real argument values, and
    with each other sample of one argument at a time. Logging out comes last: it ends the
    session the other requests are sent in."""
    adapter = app.server.url_map.bind("localhost")
    found: list[tuple[str, str, bool]] = []
    for rule in app.server.url_map.iter_rules():
        missing = set(rule.arguments) - set(ROUTE_SAMPLES)
        assert not missing, f"add samples for {sorted(missing)} of the route {rule.rule}"
        real = {name: ROUTE_SAMPLES[name][0] for name in rule.arguments}
        variants = [(real, True)] + [
            ({**real, name: sample}, False)
            for name in sorted(rule.arguments)
            for sample in ROUTE_SAMPLES[name][1:]
        ]
        for method in sorted(rule.methods & {"GET", "POST"}):
            for values, is_real in variants:
                found.append((method, adapter.build(rule.endpoint, values, method=method), is_real))
    return sorted(found, key=lambda route: route[1] == "/logout")


class Browser:
    """A requests session that knows its CSRF token (from its login page, or the cookie
    the dashboard sets for a logged-in viewer)."""

    def __init__(self, base: str, session: requests.Session | None = None) -> None:
        self.base = base
        self.session = session or requests.Session()
        self.token = self.session.cookies.get("_csrf_token") or form_token(
            self.session.get(f"{base}/login").text
        )
        self.sent = 0

    def send(self, method: str, url: str, what: str, **extra: Any) -> requests.Response:
        headers = {"X-CSRFToken": self.token, **extra.pop("headers", {})}
        answer = self.session.request(method, url, headers=headers, allow_redirects=False, **extra)
        self.sent += 1
        assert answer.status_code < 500, f"{answer.status_code} for {what}: {answer.text[:300]}"
        return answer

    def form(self, field: str | None = None, value: str = "") -> dict[str, str]:
        """A login, logout or language form, valid but for ``field``."""
        form = {"csrf": self.token, "username": "nobody", "password": "wrong-password",
                "next": "/", "language": "de"}  # fmt: skip
        if field is not None:
            form[field] = value
        return form


def fuzz_routes(browser: Browser, app: Any, world: dict[str, int]) -> None:
    for method, path, is_real in route_paths(app):
        url = f"{browser.base}{path}"
        data = browser.form() if method == "POST" else None
        clean = browser.send(method, url, f"{method} {path}", data=data)
        if not is_real:
            continue
        if method == "POST":
            for field in FORM_FIELDS:
                for value in WIRE_TEXT:
                    what = f"POST {path} with {field}={value[:40]!r}"
                    browser.send(method, url, what, data=browser.form(field, value))
        # Where valid parameters change nothing, nothing reads them (static files): there
        # each bad value is sent in all parameters at once. So also to forms, whose few
        # query parameters are read independently of each other (their fields are above).
        valid = browser.send(method, f"{url}?{urlencode(good_query(world))}", path, data=data)
        reads = method == "GET" and (valid.status_code, valid.content) != (
            clean.status_code,
            clean.content,
        )
        for query in bad_queries(world) if reads else all_bad_queries(world):
            what = f"{method} {path}?{query[:120]}"
            browser.send(method, f"{url}?{query}", what, data=data)


def _entry(dependency: dict[str, str], value: Any) -> Any:
    """What the renderer sends for one input or state: an entry, or a list of entries for
    a pattern-matching ALL."""
    if dependency["id"].startswith("{"):
        key = next(iter(json.loads(dependency["id"])))
        component = {key: "client" if key == "picker" else "range"}
        return [{"id": component, "property": dependency["property"], "value": value}]
    return {**dependency, "value": value}


def _good_value(dependency: dict[str, str], world: dict[str, int]) -> Any:
    if dependency["property"] == "pathname":
        return "/client"
    if dependency["property"] == "search":
        return "?" + urlencode(good_query(world))
    if dependency["property"] == "id":
        return {"picker": "client"}
    return world["client"]


def _bad_values(dependency: dict[str, str], world: dict[str, int]) -> Iterator[Any]:
    yield from BAD_JSON
    if dependency["property"] == "search":
        yield from ("?" + query for query in bad_queries(world, PAGE_PARAMETERS))


def _prop_id(entry: Any) -> str:
    single = entry[0] if isinstance(entry, list) else entry
    component = single["id"]
    if not isinstance(component, str):
        component = json.dumps(component, separators=(",", ":"), sort_keys=True)
    return f"{component}.{single['property']}"


def _declared(callback: dict[str, Any]) -> list[tuple[str, dict[str, str]]]:
    return [("inputs", d) for d in callback["inputs"]] + [("state", d) for d in callback["state"]]


def callback_body(
    output: str, callback: dict[str, Any], world: dict[str, int], bad: int = -1, value: Any = None
) -> dict[str, Any]:
    """The request the renderer sends for a callback, with ``value`` in its input or state
    number ``bad`` (inputs first)."""
    parts: dict[str, list[Any]] = {"inputs": [], "state": []}
    for number, (where, dependency) in enumerate(_declared(callback)):
        chosen = value if number == bad else _good_value(dependency, world)
        parts[where].append(_entry(dependency, chosen))
    names = output.strip(".").split("...") if output.startswith("..") else [output]
    outputs = [dict(zip(("id", "property"), n.rsplit(".", 1), strict=True)) for n in names]
    return {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": parts["inputs"],
        "state": parts["state"],
        "changedPropIds": [_prop_id(parts["inputs"][0])],
    }


def value_bodies(app: Any, world: dict[str, int]) -> Iterator[tuple[str, dict[str, Any]]]:
    """For every callback: each bad value in each of its inputs and states, the rest real."""
    for output, callback in app.callback_map.items():
        for number, (_where, dependency) in enumerate(_declared(callback)):
            for value in _bad_values(dependency, world):
                body = callback_body(output, callback, world, number, value)
                yield f"{output} {dependency} = {str(value)[:60]!r}", body


def shape_bodies(app: Any, world: dict[str, int]) -> Iterator[tuple[str, bytes]]:
    """For every callback: the request as the renderer sends it, then requests of the wrong
    shape; then bodies that are no JSON object at all."""
    for output, callback in app.callback_map.items():
        whole = callback_body(output, callback, world)
        bodies = [(f"{output} as the renderer sends it", whole)]
        for key in list(whole):
            bodies.append((f"{output} without {key}", {k: v for k, v in whole.items() if k != key}))
            for value in (None, 5, "x", [], {}, [5], [{}], [[5]], ["{bad.value"]):
                bodies.append((f"{output} with {key} = {value!r}", {**whole, key: value}))
        bodies.append((f"{output} naming no callback", {**whole, "output": "nothere.children"}))
        lengthened = {**whole, "inputs": [*whole["inputs"], whole["inputs"][0]]}
        bodies.append((f"{output} with an input too many", lengthened))
        yield from ((what, json.dumps(body).encode()) for what, body in bodies)
    for raw in (b"{", b"[]", b'"x"', b"null", b"[" * 100_000, b"1" * 5000):
        yield f"the body {raw[:20]!r}", raw


def fuzz_callbacks(browser: Browser, app: Any, world: dict[str, int]) -> None:
    url = f"{browser.base}/_dash-update-component"
    json_type = {"Content-Type": "application/json"}
    gated = False
    for what, raw in shape_bodies(app, world):
        answer = browser.send("POST", url, what, data=raw, headers=json_type)
        gated = gated or answer.status_code == 401
    if gated:
        return  # the login gate answers before anything reads a value
    for what, body in value_bodies(app, world):
        browser.send("POST", url, what, json=body)


def test_no_route_and_no_callback_answers_500_to_bad_values(engine, world):
    clock = Clock(NOW)
    app = create_app(engine, DashboardOptions(secret_key=TEST_KEY))
    with running_dashboard(engine, clock) as base:
        # Logged in first: the fuzzed login forms soon lock this address for a while.
        consultant = Browser(base, login(base, "clara", PASSWORD))
        anonymous = Browser(base)
        fuzz_routes(anonymous, app, world)
        fuzz_callbacks(anonymous, app, world)
        fuzz_callbacks(consultant, app, world)
        fuzz_routes(consultant, app, world)  # the last of them logs out
    assert anonymous.sent > 1000 and consultant.sent > 2000, (anonymous.sent, consultant.sent)
