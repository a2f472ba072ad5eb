"""What every command shares: settings, the database, and how bad input is reported."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import click
from rich.console import Console
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlalchemy.orm import Session

from replywatch.config import ConfigError, Settings, load_settings
from replywatch.portfolio import find_client
from replywatch.validation import InputError
from storage.engine import database_reason, make_engine, session_scope
from storage.migrate import current_revision, head_revision
from storage.models import Account


class BadInput(click.ClickException):
    """Input that cannot be accepted: one line on stderr, exit status 2, nothing written."""

    exit_code = 2


def make_console() -> Console:
    # Piped output (scripts, logs) must not be cut to 80 columns with ellipses.
    width = None if sys.stdout.isatty() else 200
    return Console(highlight=False, soft_wrap=True, width=width)


@dataclass
class AppContext:
    config_file: str | None = None
    database_url: str | None = None
    console: Console = field(default_factory=lambda: make_console())
    _settings: Settings | None = None
    _engine: Engine | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(
                    self.config_file, overrides={"database.url": self.database_url}
                )
            except ConfigError as exc:
                raise BadInput(str(exc)) from None
        return self._settings

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url)
        return self._engine

    def require_schema(self) -> None:
        """Refuse to work on a database that `init` has not prepared or that is outdated."""
        engine = self.engine
        shown = engine.url.render_as_string(hide_password=True)
        try:
            initialised = inspect(engine).has_table("alembic_version")
        except DatabaseError as exc:
            if isinstance(exc, OperationalError):
                raise  # unreachable or locked: an operating problem (replywatch.cli.main)
            # A file that is not an SQLite database (--db pointing at the wrong file).
            reason = database_reason(exc)
            raise BadInput(
                f"database {shown} cannot be used: {reason}; is --db (database.url) right?"
            ) from None
        if not initialised:
            raise BadInput(f"database {shown} is not initialised; run: replywatch init")
        current, head = current_revision(engine), head_revision()
        if current != head:
            raise BadInput(
                f"database schema is at revision {current}, this replywatch needs {head}; "
                "run: replywatch db upgrade"
            )

    @contextmanager
    def session(self) -> Iterator[Session]:
        self.require_schema()
        try:
            with session_scope(self.engine) as session:
                yield session
        except InputError as exc:
            # Raised mid-transaction: session_scope has rolled everything back already.
            raise BadInput(str(exc)) from None


pass_app = click.make_pass_decorator(AppContext)

__all__ = ["AppContext", "BadInput", "find_account", "find_client", "pass_app"]


def find_account(session: Session, reference: str) -> Account:
    """An account by number (as `account list` shows) or as platform:handle."""
    from replywatch import validation

    account: Account | None
    if reference.isdigit():
        account = session.get(Account, int(reference))
    else:
        platform, sep, handle = reference.partition(":")
        if not sep:
            raise InputError(
                f"account {reference!r} is neither a number nor platform:handle like x:@shop"
            )
        canonical = validation.handle(platform.strip().lower(), handle)
        account = session.scalar(
            select(Account).where(Account.platform == platform.lower(), Account.handle == canonical)
        )
    if account is None:
        raise InputError(
            f"account {reference!r} does not exist; `replywatch account list` shows them"
        )
    return account
