"""What every request of one dashboard app shares: the database, the options, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from flask import current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dashboard.access import NotLoggedIn, Viewer
from metrics.periods import Period

EXTENSION = "replywatch"
SECURE_COOKIE_MODES = ("auto", "always", "never")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DashboardOptions:
    """How one dashboard runs; the command line fills this from the settings."""

    secret_key: bytes
    # auto: cookies are Secure when the request came over https (directly, or through a
    # trusted proxy that says so); always / never force it.
    secure_cookies: str = "auto"
    session_idle_hours: int = 12
    debug: bool = False

    def __post_init__(self) -> None:
        if len(self.secret_key) < 32:
            raise ValueError("the session-signing key must be at least 32 bytes long")
        if self.secure_cookies not in SECURE_COOKIE_MODES:
            raise ValueError(f"secure_cookies must be one of {', '.join(SECURE_COOKIE_MODES)}")

    def __repr__(self) -> str:  # the key must never end up in a log or a traceback
        return (
            f"DashboardOptions(secure_cookies={self.secure_cookies!r}, "
            f"session_idle_hours={self.session_idle_hours}, debug={self.debug})"
        )


class AuditPdf(Protocol):
    """Prints a client's audit report; the command line hands the dashboard one
    (``reports.audit_pdf.audit_pdf``: the dashboard layer does not import reports)."""

    def __call__(
        self, session: Session, client_id: int, period: Period, language: str, now: datetime
    ) -> bytes: ...


@dataclass
class Runtime:
    engine: Engine
    options: DashboardOptions
    clock: Callable[[], datetime] = utc_now
    # None: no "PDF report" button (a dashboard started without a report printer).
    audit_pdf: AuditPdf | None = None
    # None: no "Connect an account" (a dashboard started without the connect flows);
    # a dashboard.connect_page.AccountConnector.
    connector: Any = None
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)


def runtime() -> Runtime:
    return current_app.extensions[EXTENSION]


def current_viewer() -> Viewer:
    viewer = g.get("viewer")
    if viewer is None:
        raise NotLoggedIn()
    return viewer
