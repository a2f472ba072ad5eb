"""The demo's own SQLite database: made fresh on every run, never the user's database.

The file is marked with an SQLite ``application_id`` when the demo creates it, so that a
second run replaces only a database the demo made: a file without the mark (the user's
replywatch database, anything else) is refused with a message instead of overwritten.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url

from replywatch.config import default_data_dir
from replywatch.validation import InputError
from storage.engine import sqlite_url
from storage.private_files import create_private_file, make_private_folder

# "RWDm" in the 32-bit application_id field of the SQLite header: made by replywatch demo.
DEMO_APPLICATION_ID = 0x5257446D
DEMO_FILE_NAME = "demo.db"
_COMPANIONS = ("-wal", "-shm", "-journal")


def default_demo_path(env: Mapping[str, str] = os.environ) -> Path:
    return default_data_dir(env) / DEMO_FILE_NAME


def _sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    return Path(url.database).expanduser()


def _same_file(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve() or (
            first.exists() and second.exists() and os.path.samefile(first, second)
        )
    except OSError:
        return False


def is_demo_database(path: Path) -> bool:
    """Whether ``path`` is an SQLite file the demo made (an empty file counts as free)."""
    if path.stat().st_size == 0:
        return True
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (application_id,) = connection.execute("PRAGMA application_id").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        return False
    return application_id == DEMO_APPLICATION_ID


def check_demo_path(path: Path, main_database_url: str | None = None) -> Path:
    """``path`` if the demo may (re)create its database there; InputError for the user's
    main database, a folder, or any file the demo did not make."""
    path = path.expanduser()
    main = _sqlite_path(main_database_url) if main_database_url else None
    if main is not None and _same_file(path, main):
        raise InputError(
            f"{path} is your replywatch database; the demo makes its own, give another "
            "file with --db or leave --db out"
        )
    if path.is_dir():
        raise InputError(f"demo database {path} is a folder; expected a file name like demo.db")
    if path.exists() and not is_demo_database(path):
        raise InputError(
            f"{path} exists and was not made by `replywatch demo`; the demo replaces only its "
            "own database: choose another file with --db, or move this one away"
        )
    return path


def fresh_demo_database(path: Path, main_database_url: str | None = None) -> str:
    """Delete the previous demo database at ``path`` and create an empty marked one.

    Refuses what :func:`check_demo_path` refuses. Returns the SQLAlchemy URL of the new,
    still unmigrated database.
    """
    path = check_demo_path(path, main_database_url)
    make_private_folder(path.parent)
    for suffix in ("", *_COMPANIONS):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    create_private_file(path)  # sqlite3 would make it readable by everybody
    connection = sqlite3.connect(path)
    try:
        connection.execute(f"PRAGMA application_id = {DEMO_APPLICATION_ID}")
        connection.commit()
    finally:
        connection.close()
    return sqlite_url(path)
