"""The one way callbacks are registered: every one of them checks access on the server.

``data_callback`` is for anything that reads stored data. Its callback never sees a raw
id: the guard reads the page URL (``url.pathname`` and ``url.search`` are always its first
two inputs), checks the client or account it names against the logged-in viewer, and hands
the callback a :class:`Scope` holding the checked objects and an open read session. A URL
naming something the viewer may not see never reaches the callback; the guard answers
with the callback's ``denied`` output instead (the same for "forbidden" and "does not
exist"). A forged request to ``/_dash-update-component`` goes through the same path.

``ui_callback`` is for callbacks that read no data (turning picker choices into a URL);
they still need a logged-in viewer.

Both mark the function they register, and a test checks that every callback of the app
carries one of the marks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from dash import Dash, Input
from sqlalchemy.orm import Session

from dashboard.access import AccessDenied, Viewer, account_for, client_for
from dashboard.runtime import current_viewer, runtime
from dashboard.state import PageState, parse_location
from metrics.periods import Period, PeriodError, last_full_week, parse_period
from storage.models import Account, Client

GUARD_MARK = "__replywatch_guard__"
URL_INPUTS = (Input("url", "pathname"), Input("url", "search"))


@dataclass
class Scope:
    """What a data callback may use: all of it checked against the viewer."""

    viewer: Viewer
    db: Session
    state: PageState
    client: Client | None
    account: Account | None
    period: Period
    # Set when the URL's period could not be read and the default week is shown instead.
    period_problem: str | None
    now: datetime

    @property
    def language(self) -> str:
        return self.viewer.language

    @property
    def zone(self) -> str:
        return self.client.time_zone if self.client is not None else "UTC"


def resolve_scope(db: Session, viewer: Viewer, state: PageState, now: datetime) -> Scope:
    """Check what the URL names; raises AccessDenied for anything the viewer may not see."""
    if state.malformed or state.page == "unknown":
        raise AccessDenied("unreadable address")
    state = landing(viewer, state)
    client: Client | None = None
    account: Account | None = None
    if state.page == "account":
        if state.account_id is None:
            raise AccessDenied("no account")
        account = account_for(db, viewer, state.account_id)
        client = client_for(db, viewer, account.client_id)
    elif state.page == "client":
        if state.client_id is None:
            raise AccessDenied("no client")
        client = client_for(db, viewer, state.client_id)
    zone = client.time_zone if client is not None else "UTC"
    problem = None
    if state.period:
        try:
            period = parse_period(state.period)
        except PeriodError as exc:
            period, problem = last_full_week(zone, now), str(exc)
    else:
        period = last_full_week(zone, now)
    return Scope(viewer, db, state, client, account, period, problem, now)


def landing(viewer: Viewer, state: PageState) -> PageState:
    """The portfolio for whoever has one; an owner of a single business has none, so the
    overview address shows that business's page (verdict, evidence, trends) instead."""
    if state.page != "portfolio" or viewer.is_consultant or len(viewer.granted_client_ids) != 1:
        return state
    (client_id,) = viewer.granted_client_ids
    return PageState(page="client", client_id=client_id, period=state.period)


def data_callback(
    app: Dash,
    outputs: Sequence[Any] | Any,
    inputs: Sequence[Any] = (),
    states: Sequence[Any] = (),
    *,
    denied: Callable[[str], Any],
    **options: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``function(scope, *inputs, *states)`` with the URL as its first inputs."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(function)
        def guarded(pathname: str | None, search: str | None, *values: Any) -> Any:
            viewer = current_viewer()
            context = runtime()
            state = parse_location(pathname, search)
            with context.sessions() as db:
                try:
                    scope = resolve_scope(db, viewer, state, context.clock())
                except AccessDenied:
                    return denied(viewer.language)
                try:
                    return function(scope, *values)
                finally:
                    db.rollback()  # callbacks read; nothing they touch is kept

        setattr(guarded, GUARD_MARK, "data")
        app.callback(outputs, [*URL_INPUTS, *inputs], list(states), **options)(guarded)
        return guarded

    return register


def ui_callback(
    app: Dash,
    outputs: Sequence[Any] | Any,
    inputs: Sequence[Any],
    states: Sequence[Any] = (),
    **options: Any,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``function(viewer, *inputs, *states)``: no data, but a viewer is required."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(function)
        def guarded(*values: Any) -> Any:
            return function(current_viewer(), *values)

        setattr(guarded, GUARD_MARK, "ui")
        app.callback(outputs, list(inputs), list(states), **options)(guarded)
        return guarded

    return register
