"""Giving back the space of deleted rows and dropped indexes (``replywatch db compact``).

A SQLite file keeps the pages its deleted rows and dropped indexes used and reuses them,
scattered, for new rows: after migration 0014 a refresh at 10^6 items got faster only
once the file was rewritten. PostgreSQL frees a dropped index's files at once; its
VACUUM makes dead rows' space reusable and refreshes statistics, without a lock that
stops readers or writers (VACUUM FULL would, and is not run).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError


class DatabaseBusy(Exception):
    """Another process holds the database (SQLite: a write in progress)."""


def _sqlite_size(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def compact(engine: Engine, wait_ms: int = 5000) -> tuple[int, int]:
    """Compact the database; returns its size in bytes before and after."""
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database or "")
        before = _sqlite_size(path)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait_ms)}")
            try:
                connection.exec_driver_sql("VACUUM")
                # The rewrite passes through the write-ahead log; empty it into the file.
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            except OperationalError as exc:
                if "locked" in str(exc.orig) or "busy" in str(exc.orig):
                    raise DatabaseBusy(
                        "another process is writing to it; stop `replywatch run` and "
                        "`replywatch serve` first (nothing was changed)"
                    ) from None
                raise
        return before, _sqlite_size(path)
    size = text("SELECT pg_database_size(current_database())")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        before = int(connection.execute(size).scalar_one())
        connection.exec_driver_sql("VACUUM (ANALYZE)")
        after = int(connection.execute(size).scalar_one())
    return before, after


__all__ = ["DatabaseBusy", "compact"]
