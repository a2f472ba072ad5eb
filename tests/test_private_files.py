"""What replywatch creates is readable by its owner only; status points out what is not.

The umask is set to the usual 022 here, so that the modes checked are what replywatch
chose, not what a strict umask would have given anyway.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.private_files import (
    make_private_folder,
    open_to_others,
    write_private_bytes,
    write_private_text,
)
from tests.support.cli import run_main


@pytest.fixture
def ordinary_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_its_journal_and_its_folder_are_the_owners_only(
    tmp_path, ordinary_umask
):
    database = tmp_path / "data" / "replywatch" / "replywatch.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    with engine.begin() as connection:  # a write, so that the -wal file has something in it
        connection.execute(text("CREATE TABLE notes (body TEXT)"))
        connection.execute(text("INSERT INTO notes VALUES ('a customer wrote')"))
        wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
        assert wal.exists() and shm.exists()
        assert (mode(database), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    engine.dispose()
    assert mode(database.parent) == 0o700
    assert mode(tmp_path / "data") == 0o755  # a parent is an ordinary folder


def test_private_writes_close_a_file_that_was_open_to_others(tmp_path, ordinary_umask):
    preview = tmp_path / "week.html"
    preview.write_text("old")
    assert mode(preview) == 0o644
    write_private_text(preview, "<p>Kundennachricht</p>")
    assert mode(preview) == 0o600 and preview.read_text() == "<p>Kundennachricht</p>"
    write_private_bytes(tmp_path / "chart.png", b"\x89PNG")
    assert mode(tmp_path / "chart.png") == 0o600
    make_private_folder(tmp_path / "emails")
    assert mode(tmp_path / "emails") == 0o700
    existing = tmp_path / "shared"
    existing.mkdir(mode=0o755)
    make_private_folder(existing)  # an existing folder keeps what its owner chose
    assert mode(existing) == 0o755
    assert open_to_others(existing) == 0o055 and open_to_others(tmp_path / "nothing") == 0


def test_status_warns_about_a_database_file_others_can_read(
    tmp_path, sqlite_template, monkeypatch, capsys
):
    database = tmp_path / "rw.db"
    database.write_bytes(sqlite_template.read_bytes())
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    os.chmod(database, 0o644)
    warned = run_main(capsys, "status")
    assert warned.code == 0
    assert "Needs attention:" in warned.out
    assert (
        f"database file {database} is open to other users (permissions 0644); it holds "
        "password hashes, email addresses and customers' messages: chmod 600 "
        f"{database}" in warned.out
    )
    os.chmod(database, 0o600)
    for companion in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        if companion.exists():
            os.chmod(companion, 0o600)
    quiet = run_main(capsys, "status")
    assert "open to other users" not in quiet.out and "Nothing needs attention." in quiet.out
