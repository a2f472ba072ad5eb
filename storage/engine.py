"""Engines and sessions for SQLite (embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.private_files import create_private_file, make_private_folder

SQLITE_BUSY_TIMEOUT_MS = 30_000


class DatabaseURLError(ValueError):
    """The database URL names no engine replywatch supports."""


def normalise_url(url: str | URL) -> URL:
    """Accept the URLs people paste (``postgres://``, ``postgresql://``) and pick psycopg 3."""
    try:
        parsed = make_url(str(url)) if not isinstance(url, URL) else url
    except Exception as exc:  # SQLAlchemy raises ArgumentError with a long text
        raise DatabaseURLError(
            f"database URL {str(url)!r} is not a URL; expected sqlite:///PATH or "
            "postgresql://USER@HOST/DB"
        ) from exc
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite")
    raise DatabaseURLError(
        f"database URL {parsed.render_as_string(hide_password=True)!r} uses {backend!r}; "
        "expected sqlite:///PATH or postgresql://USER@HOST/DB"
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _tune_sqlite(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # WAL lets the dashboard read while the service writes; foreign keys are off by
    # default in SQLite and must be switched on for every connection.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sqlite_file(url: str | URL) -> Path | None:
    """The file of an SQLite database URL; None for other engines and in-memory ones."""
    parsed = normalise_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database:
        return None
    if database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _create_privately(path: Path) -> Callable[..., None]:
    # SQLite would create a missing database file with the umask's permissions (0644 as a
    # rule); created empty 0600 before it opens it, the database and its -wal and -shm
    # files (which SQLite gives the database file's permissions) are the owner's only.
    def before_connect(*_args: object) -> None:
        create_private_file(path)

    return before_connect


def make_engine(url: str | URL, **kwargs: object) -> Engine:
    """Create an engine with the settings replywatch relies on for this database."""
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(parsed)
        if path is not None:
            make_private_folder(path.parent)
        engine = create_engine(
            parsed,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,  # type: ignore[arg-type]
        )
        if path is not None:
            event.listen(engine, "do_connect", _create_privately(path))
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(parsed, pool_pre_ping=True, **kwargs)  # type: ignore[arg-type]


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with session_factory(engine)() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def database_reason(exc: BaseException) -> str:
    """The database's own reason for a failed statement, in one line (the driver's message
    behind SQLAlchemy's wrapper; its first line, or the exception's name when it is empty)."""
    message = str(getattr(exc, "orig", None) or exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__
