"""``replywatch db compact``: the space of deleted rows given back, nothing else changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from storage.engine import make_engine
from storage.models import Client
from tests.support.cli import run_main


@pytest.fixture
def cli_env(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    return database_url


def _fill_and_delete(url: str) -> None:
    """Ten thousand clients with long names, all but one deleted again: free pages."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO clients (name, time_zone, answer_window_hours, "
                "response_target_minutes, min_settled, responsive_ratio, "
                "partly_responsive_ratio, no_conversation_min_posts, widen_max_weeks, "
                "created_at) VALUES (:name, 'Europe/Berlin', 72, 240, 5, 0.9, 0.65, 3, 8, "
                "'2026-11-02 09:00:00')"
            ),
            [{"name": f"Bäckerei {n:05d} " + "x" * 170} for n in range(10_000)],
        )
        connection.execute(text("DELETE FROM clients WHERE name <> :kept"),
                           {"kept": "Bäckerei 00007 " + "x" * 170})  # fmt: skip
    engine.dispose()


@pytest.fixture
def sparse_sqlite(tmp_path, monkeypatch, capsys) -> Path:
    """A SQLite database made by `init` with about 2 MB of free pages; its file."""
    path = tmp_path / "replywatch.db"
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    assert run_main(capsys, "init").code == 0
    _fill_and_delete(f"sqlite:///{path}")
    return path


def _sizes(line: str) -> tuple[float, float]:
    # "Compacted … : 1.2 MB → 0.3 MB (0.9 MB given back)."
    before, after = line.split(": ")[-1].split(" (")[0].split(" → ")
    return float(before.removesuffix(" MB").replace(",", "")), float(
        after.removesuffix(" MB").replace(",", "")
    )


def test_compact_gives_back_the_space_of_deleted_rows_and_keeps_the_rest(cli_env, capsys):
    _fill_and_delete(cli_env)
    outcome = run_main(capsys, "db", "compact")
    assert outcome.code == 0, outcome.err
    before, after = _sizes(outcome.out.strip())
    engine = make_engine(cli_env)
    if engine.dialect.name == "sqlite":
        assert outcome.out.startswith("Compacted SQLite database ")
        path = Path(engine.url.database)
        assert after < before - 1.0  # 10,000 rows of 180 characters: about 2 MB of pages
        assert abs(path.stat().st_size / 1_000_000 - after) < 0.1  # the WAL is emptied
    else:
        assert outcome.out.startswith("Vacuumed and analysed database postgresql")
        assert after <= before + 0.5  # VACUUM without FULL keeps the files' size
        with engine.connect() as connection:  # ANALYZE counted the one client left
            counted = connection.execute(
                text("SELECT reltuples FROM pg_class WHERE relname = 'clients'")
            ).scalar_one()
        assert counted == 1
    with engine.connect() as connection:
        names = connection.execute(select(Client.name)).scalars().all()
        assert names == ["Bäckerei 00007 " + "x" * 170]
        assert connection.execute(select(func.count()).select_from(Client)).scalar_one() == 1
    engine.dispose()


def test_compact_refuses_while_another_process_writes_to_sqlite(sparse_sqlite, capsys):
    size = sparse_sqlite.stat().st_size
    writer = sqlite3.connect(sparse_sqlite, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE clients SET name = 'Metzgerei Huber'")
        refused = run_main(capsys, "db", "compact", "--wait", "0")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert refused.code == 2
    assert "cannot compact SQLite database" in refused.err
    assert "another process is writing to it" in refused.err
    assert "nothing was changed" in refused.err
    assert sparse_sqlite.stat().st_size == size
    # Once the other process is done, the same command works.
    done = run_main(capsys, "db", "compact", "--wait", "0")
    assert done.code == 0, done.err
    assert _sizes(done.out.strip())[1] < size / 1_000_000


def test_compact_leaves_the_pooled_connection_waiting_as_before(tmp_path):
    from storage.compact import compact
    from storage.engine import SQLITE_BUSY_TIMEOUT_MS
    from storage.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'replywatch.db'}")
    upgrade(engine)
    done = compact(engine, wait_ms=0)
    assert done.after <= done.before and not done.readers_waiting
    with engine.connect() as connection:
        waits = connection.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
    assert waits == SQLITE_BUSY_TIMEOUT_MS
    engine.dispose()


def test_an_in_memory_database_is_refused_by_name():
    from storage.compact import CompactionFailed, compact

    engine = make_engine("sqlite://")
    with pytest.raises(CompactionFailed, match="in-memory database"):
        compact(engine)
    engine.dispose()


def test_compact_of_a_database_not_initialised_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    refused = run_main(capsys, "db", "compact")
    assert refused.code == 2
    assert "is not initialised; run: replywatch init" in refused.err


def test_a_reader_still_open_is_named_and_the_file_shrinks_after_it(sparse_sqlite, capsys):
    size = sparse_sqlite.stat().st_size
    reader = sqlite3.connect(sparse_sqlite, isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT COUNT(*) FROM clients").fetchone() == (1,)
        shown = run_main(capsys, "db", "compact", "--wait", "0")
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert shown.code == 0, shown.err
    assert "Another process is reading the database" in shown.out
    again = run_main(capsys, "db", "compact", "--wait", "0")
    assert again.code == 0 and "Another process" not in again.out
    assert sparse_sqlite.stat().st_size < size - 1_000_000


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_compact_on_postgresql_gives_up_on_a_locked_table_after_the_wait(
    database_url, monkeypatch, tmp_path, capsys
):
    import psycopg

    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    engine = make_engine(database_url)
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    engine.dispose()
    with psycopg.connect(dsn) as holder:  # a transaction holding what VACUUM needs
        holder.execute("LOCK TABLE clients IN SHARE UPDATE EXCLUSIVE MODE")
        refused = run_main(capsys, "db", "compact", "--wait", "0")
    assert refused.code == 2
    assert "cannot compact database postgresql" in refused.err
    assert "another process holds a lock on a table" in refused.err
    done = run_main(capsys, "db", "compact", "--wait", "0")
    assert done.code == 0, done.err
