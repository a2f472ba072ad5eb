"""The real dashboard under waitress, in a thread of the test process, and a logged-in
``requests`` session: raw HTTP, the way a browser or an attacker talks to it."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import waitress
from sqlalchemy import Engine

from dashboard.app import create_app
from dashboard.runtime import DashboardOptions

TEST_KEY = b"k" * 48


@dataclass
class Clock:
    """A clock the test moves; the app asks it for the time instead of the system."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@contextmanager
def running_dashboard(
    engine: Engine,
    clock: Clock | None = None,
    audit_pdf: Any = None,
    *,
    connector: Any = None,
    threads: int = 4,
    **options: object,
) -> Iterator[str]:
    """``audit_pdf``: the report printer ``replywatch serve`` hands the app (none: no
    "PDF report")."""
    app = create_app(
        engine,
        DashboardOptions(secret_key=TEST_KEY, **options),  # type: ignore[arg-type]
        clock=clock or (lambda: datetime.now(UTC)),
        audit_pdf=audit_pdf,
        connector=connector,
    )
    server = waitress.create_server(app.server, host="127.0.0.1", port=0, threads=threads)
    stop = threading.Event()

    def serve() -> None:
        # waitress's own run() loops until its socket map is empty; loop in short steps
        # instead, so that the server is closed by the thread that serves it.
        while not stop.is_set():
            server.asyncore.loop(timeout=0.05, map=server._map, count=1)  # type: ignore[union-attr]
        server.close()
        server.task_dispatcher.shutdown()  # type: ignore[union-attr]

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    finally:
        stop.set()
        thread.join(timeout=5)


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def login(base: str, username: str, password: str, next_target: str = "/") -> requests.Session:
    browser = requests.Session()
    token = form_token(browser.get(f"{base}/login").text)
    answer = browser.post(
        f"{base}/login",
        data={"csrf": token, "username": username, "password": password, "next": next_target},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:500]
    return browser


def try_login(base: str, username: str, password: str) -> requests.Response:
    browser = requests.Session()
    token = form_token(browser.get(f"{base}/login").text)
    return browser.post(
        f"{base}/login",
        data={"csrf": token, "username": username, "password": password},
        allow_redirects=False,
    )


def page_callback(
    browser: requests.Session, base: str, pathname: str, search: str, csrf: bool = True
) -> requests.Response:
    """What Dash's renderer sends when the URL changes: the page callback's request."""
    body = {
        "output": "page.children",
        "outputs": {"id": "page", "property": "children"},
        "inputs": [
            {"id": "url", "property": "pathname", "value": pathname},
            {"id": "url", "property": "search", "value": search},
        ],
        "changedPropIds": ["url.search"],
        "state": [],
    }
    headers = {"X-CSRFToken": browser.cookies.get("_csrf_token", "")} if csrf else {}
    return browser.post(f"{base}/_dash-update-component", json=body, headers=headers)


def data_callback_requests(app: Any, pathname: str, search: str) -> list[dict[str, Any]]:
    """A request body for every data callback of ``app``, each naming ``pathname`` and
    ``search`` as its URL (the forged part) and leaving its other inputs empty."""
    from dashboard.guard import GUARD_MARK

    bodies = []
    for key, entry in app.callback_map.items():
        if getattr(entry["callback"], GUARD_MARK, None) != "data":
            continue
        if key.startswith(".."):
            names = key.strip(".").split("...")
            outputs: Any = [
                dict(zip(("id", "property"), n.rsplit(".", 1), strict=True)) for n in names
            ]
        else:
            outputs = dict(zip(("id", "property"), key.rsplit(".", 1), strict=True))
        values = [pathname, search] + [None] * (len(entry["inputs"]) - 2)
        bodies.append(
            {
                "output": key,
                "outputs": outputs,
                "inputs": [{**i, "value": v} for i, v in zip(entry["inputs"], values, strict=True)],
                "changedPropIds": ["url.search"],
                "state": [{**s, "value": None} for s in entry.get("state", [])],
            }
        )
    return bodies
