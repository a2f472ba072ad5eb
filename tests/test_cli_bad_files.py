"""Files that are not what the command line expects (issue 18.9): one line, exit 2."""

from __future__ import annotations

import pytest

from tests.support.cli import run_main


def test_a_config_file_that_is_not_utf8_is_one_line_with_exit_2(tmp_path, capsys):
    config = tmp_path / "replywatch.toml"
    config.write_bytes('[database]\nurl = "sqlite:///x.db"\n# Bäckerei\n'.encode("latin-1"))
    outcome = run_main(capsys, "--config", str(config), "status")
    assert outcome.code == 2
    assert outcome.err.splitlines() == [
        f"replywatch: error: configuration file {config} is not UTF-8 text: byte 0xe4 on line "
        "3; save it as UTF-8"
    ]


@pytest.mark.parametrize("command", [("init",), ("db", "upgrade"), ("status",), ("client", "list")])
def test_a_db_file_that_is_not_a_database_is_one_line_with_exit_2(tmp_path, capsys, command):
    path = tmp_path / "photo.jpg"
    content = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 16
    path.write_bytes(content)
    outcome = run_main(capsys, "--db", f"sqlite:///{path}", *command)
    assert outcome.code == 2
    lines = outcome.err.splitlines()
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("replywatch: error: ")
    assert lines[0].endswith(
        "cannot be used: file is not a database; is --db (database.url) right?"
    )
    assert path.read_bytes() == content  # nothing written into somebody's file
