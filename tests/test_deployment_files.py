"""The files the operators' pages show (docs/operators/files/) work with the real code.

The systemd units' ExecStart lines are parsed by replywatch's own click commands, the
example configuration is loaded by the real settings loader, and the SQLite backup script
copies a database in WAL mode that another connection is writing to.
"""

from __future__ import annotations

import configparser
import shlex
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import click
import pytest

from replywatch.cli import cli
from replywatch.config import load_settings

FILES = Path(__file__).resolve().parent.parent / "docs" / "operators" / "files"
UNITS = ("replywatch-run.service", "replywatch-serve.service")


def _unit(name: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read(FILES / name, encoding="utf-8")
    return unit


def _parse(argv: list[str]) -> tuple[click.Context, click.Context]:
    """Parse a command line with the real CLI without running it; click raises on any
    unknown command or option, a missing value or a value of the wrong type."""
    group = cli.make_context("replywatch", list(argv))
    remaining = [*getattr(group, "_protected_args", []), *group.args]
    name, command, rest = cli.resolve_command(group, remaining)
    assert command is not None
    return group, command.make_context(name, rest, parent=group)


@pytest.mark.parametrize("name", UNITS)
def test_the_units_start_real_commands(name):
    service = _unit(name)["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0] == "/opt/replywatch/bin/replywatch"
    group, command = _parse(argv[1:])
    assert group.params["config_file"] == "/etc/replywatch/config.toml"
    assert (
        command.info_name
        == {"replywatch-run.service": "run", "replywatch-serve.service": "serve"}[name]
    )
    if command.info_name == "serve":
        assert command.params["host"] == "127.0.0.1" and command.params["port"] == 8050
    # Status 2 (bad input, outdated schema) is not restarted; the service gets the minute
    # that service.stop_seconds gives running jobs, and more.
    assert service["RestartPreventExitStatus"] == "2"
    assert service["Restart"] == "on-failure"
    if command.info_name == "run":
        settings = load_settings(FILES / "config.toml", env={})
        assert int(service["TimeoutStopSec"]) > settings.get("service.stop_seconds")


def test_the_parser_used_above_refuses_what_the_cli_refuses():
    with pytest.raises(click.UsageError):
        _parse(["--config", "/etc/replywatch/config.toml", "serve", "--hots", "127.0.0.1"])
    with pytest.raises(click.BadParameter):
        _parse(["serve", "--port", "eighty"])
    with pytest.raises(click.UsageError):
        _parse(["runn"])


def test_the_example_configuration_loads_with_the_real_settings():
    settings = load_settings(FILES / "config.toml", env={})
    assert settings.database_url == "postgresql://replywatch@localhost/replywatch"
    assert settings.get("dashboard.trusted_proxy") == "127.0.0.1"
    assert settings.get("dashboard.secure_cookies") == "always"
    assert settings.get("smtp.password_ref") == "SMTP_PASSWORD"
    # The unit serves where the configuration and the proxy expect it.
    serve = shlex.split(_unit("replywatch-serve.service")["Service"]["ExecStart"])
    assert serve[serve.index("--port") + 1] == str(settings.get("dashboard.port"))
    proxy = (FILES / "nginx.conf").read_text()
    assert f"proxy_pass http://127.0.0.1:{settings.get('dashboard.port')};" in proxy


def test_the_sqlite_backup_script_copies_a_database_in_use(tmp_path):
    live_path, copy_path = tmp_path / "replywatch.db", tmp_path / "backup.db"
    live = sqlite3.connect(live_path, check_same_thread=False)
    live.execute("PRAGMA journal_mode=wal")
    live.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, text TEXT)")
    live.executemany("INSERT INTO items (text) VALUES (?)", [(f"item {n}",) for n in range(500)])
    live.commit()
    # Committed rows sit in the WAL file, not yet in the database file itself.
    assert (tmp_path / "replywatch.db-wal").stat().st_size > 0

    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.is_set():
            live.execute("INSERT INTO items (text) VALUES ('later')")
            live.commit()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        done = subprocess.run(
            [sys.executable, str(FILES / "sqlite_backup.py"), str(live_path), str(copy_path)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    finally:
        stop.set()
        writer.join()
    assert done.returncode == 0, done.stderr
    copy = sqlite3.connect(copy_path)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("SELECT count(*) FROM items WHERE text LIKE 'item %'").fetchone() == (500,)
    copy.close()
    live.close()


def test_the_backup_script_refuses_a_missing_argument():
    script = str(FILES / "sqlite_backup.py")
    done = subprocess.run([sys.executable, script], capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.startswith("usage: python sqlite_backup.py")
