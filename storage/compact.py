"""Giving back the space of deleted rows and dropped indexes (``replywatch db compact``).

A SQLite file keeps the pages its deleted rows and dropped indexes used and reuses them,
scattered, for new rows; VACUUM rewrites it without them. PostgreSQL frees a dropped
index's files at once; its VACUUM makes dead rows' space reusable and refreshes the
planner's statistics, without a lock that stops readers or writers (VACUUM FULL would,
and is not run).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from storage.engine import SQLITE_BUSY_TIMEOUT_MS, database_reason, sqlite_file


class DatabaseBusy(Exception):
    """Another process holds a lock the compaction needs (the message says what was done)."""


class CompactionFailed(Exception):
    """The database refused the compaction (its reason in the message); nothing changed."""


@dataclass(frozen=True)
class Compacted:
    before: int  # bytes
    after: int
    # SQLite: another connection still reads the old pages, so the file shrinks only
    # once it closes (the next checkpoint after that).
    readers_waiting: bool = False


def _sqlite_size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def compact(engine: Engine, wait_ms: int = 5000) -> Compacted:
    """Compact the database, waiting at most ``wait_ms`` for another process's lock."""
    if engine.dialect.name == "sqlite":
        return _compact_sqlite(engine, wait_ms)
    return _compact_postgres(engine, wait_ms)


def _compact_sqlite(engine: Engine, wait_ms: int) -> Compacted:
    path = sqlite_file(engine.url)
    if path is None:
        raise CompactionFailed("an in-memory database has nothing to give back")
    before = _sqlite_size(path)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait_ms)}")
        try:
            connection.exec_driver_sql("VACUUM")
            # The rewrite went through the write-ahead log; copy it into the file and
            # empty the log. Busy when another connection still reads the old pages.
            busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
        except OperationalError as exc:
            reason = database_reason(exc)
            if "locked" in reason or "busy" in reason:
                raise DatabaseBusy(
                    "another process is writing to it (nothing was changed)"
                ) from None
            raise CompactionFailed(reason) from None
        finally:
            # The connection goes back to the pool: as every other one, it waits.
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    return Compacted(before, _sqlite_size(path), readers_waiting=bool(busy))


def _compact_postgres(engine: Engine, wait_ms: int) -> Compacted:
    size = text("SELECT pg_database_size(current_database())")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        before = int(connection.execute(size).scalar_one())
        # VACUUM waits for table locks (an index being built, another VACUUM) no longer
        # (0 would mean for ever: at least a millisecond).
        connection.exec_driver_sql(f"SET lock_timeout = {max(1, int(wait_ms))}")
        try:
            connection.exec_driver_sql("VACUUM (ANALYZE)")
        except OperationalError as exc:
            reason = database_reason(exc)
            if "lock timeout" in reason:
                raise DatabaseBusy(
                    "another process holds a lock on a table (VACUUM stopped there; the "
                    "tables before it are done)"
                ) from None
            raise CompactionFailed(reason) from None
        finally:
            connection.exec_driver_sql("RESET lock_timeout")
        after = int(connection.execute(size).scalar_one())
    return Compacted(before, after)


__all__ = ["Compacted", "CompactionFailed", "DatabaseBusy", "compact"]
