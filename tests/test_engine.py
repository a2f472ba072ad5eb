"""What make_engine promises for SQLite, read back from the database itself."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from storage.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine
from storage.models import Account, Client


def _pragmas(engine: Engine) -> tuple[str, int, int, int]:
    with engine.connect() as connection:
        return (
            connection.exec_driver_sql("PRAGMA journal_mode").scalar(),
            connection.exec_driver_sql("PRAGMA foreign_keys").scalar(),
            connection.exec_driver_sql("PRAGMA busy_timeout").scalar(),
            connection.exec_driver_sql("PRAGMA synchronous").scalar(),
        )


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(tmp_path):
    path = tmp_path / "nested" / "replywatch.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert path.parent.is_dir(), "the data directory is created"
        # The first connection, and a further one opened while the first is held (each
        # connection gets the settings, which SQLite keeps per connection, except WAL).
        with engine.connect() as first:
            assert first.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            second = _pragmas(engine)
        assert SQLITE_BUSY_TIMEOUT_MS >= 1000
        # synchronous: 1 = NORMAL, safe with WAL and faster than FULL.
        assert second == ("wal", 1, SQLITE_BUSY_TIMEOUT_MS, 1)
        engine.dispose()
        # A connection to the existing file after every earlier one was closed.
        assert _pragmas(engine) == ("wal", 1, SQLITE_BUSY_TIMEOUT_MS, 1)
    finally:
        engine.dispose()
    # WAL is stored in the file: a plain connection without our settings sees it too.
    with sqlite3.connect(path) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert plain.execute("PRAGMA foreign_keys").fetchone() == (0,), "SQLite's default"
    plain.close()


def test_sqlite_refuses_a_foreign_key_violation(sqlite_template, tmp_path):
    path = tmp_path / "replywatch.db"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    try:
        refused = pytest.raises(IntegrityError, match="FOREIGN KEY constraint failed")
        with refused, engine.begin() as connection:
            connection.execute(
                insert(Account).values(client_id=999, platform="x", handle="@orphan")
            )
        with engine.connect() as connection:
            assert connection.scalar(select(Account.id)) is None, "nothing was written"
            assert connection.scalar(select(Client.id)) is None
    finally:
        engine.dispose()


def test_foreign_keys_hold_on_both_engines(engine):
    """The same refusal on PostgreSQL (where it is always on) and SQLite (switched on)."""
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(insert(Account).values(client_id=999, platform="x", handle="@orphan"))
    with engine.begin() as connection:
        client_id = connection.execute(
            insert(Client).values(name="Huber", time_zone="Europe/Berlin").returning(Client.id)
        ).scalar_one()
        connection.execute(insert(Account).values(client_id=client_id, platform="x", handle="@a"))
    with engine.connect() as connection:
        assert connection.scalar(select(Account.handle)) == "@a"
