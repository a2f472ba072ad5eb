"""``replywatch serve``: the real command, its session key and its refusals."""

from __future__ import annotations

import os
import signal
import stat

import pytest
import requests

from replywatch.config import ConfigError, load_settings
from replywatch.session_key import dashboard_secret_key, read_or_create_key_file
from tests.support.cli import run_process
from tests.support.serve_process import serve_process


@pytest.mark.slow  # over 10 s on the 2-core machine
def test_serve_runs_the_dashboard_and_stops_on_sigterm(tmp_path, sqlite_template):
    database = tmp_path / "rw.db"
    database.write_bytes(sqlite_template.read_bytes())
    with serve_process(f"sqlite:///{database}", tmp_path) as served:
        assert served.url.startswith("http://127.0.0.1:")
        login = requests.get(f"{served.url}/login", timeout=10)
        assert login.status_code == 200 and "replywatch" in login.text
        assert login.headers["Server"] == "replywatch"  # waitress, named
        script = requests.get(f"{served.url}/assets/replywatch.css", timeout=10)
        assert script.status_code == 200
        key_file = tmp_path / "replywatch" / "dashboard-secret-key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        key = key_file.read_text().strip()
        served.process.send_signal(signal.SIGTERM)
        served.process.wait(timeout=15)
        # Read through the same text wrapper as the first lines (communicate() would read
        # the raw pipe and miss what that wrapper has buffered already).
        output = served.process.stdout.read()
    assert served.process.returncode == 0
    assert "Dashboard stopped." in output
    everything = "\n".join(served.first_lines) + output
    assert "No users yet; add one with: replywatch user add" in everything
    assert key not in output and key not in "\n".join(served.first_lines)


def test_the_key_file_is_made_once_and_kept(tmp_path):
    path = tmp_path / "data" / "key"
    first = read_or_create_key_file(path)
    assert len(first) == 64 and read_or_create_key_file(path) == first
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # the data folder it made
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="readable by other users; run: chmod 600"):
        read_or_create_key_file(path)
    os.chmod(path, 0o600)
    path.write_text("short\n")
    with pytest.raises(ConfigError, match="holds no usable key"):
        read_or_create_key_file(path)


def test_the_key_can_come_from_a_named_secret(tmp_path):
    env = {"REPLYWATCH_SECRET_KEY_REF": "DASH_KEY", "DASH_KEY": "s" * 40,
           "XDG_DATA_HOME": str(tmp_path)}  # fmt: skip
    settings = load_settings(env=env)
    assert dashboard_secret_key(settings, env) == b"s" * 40
    assert not (tmp_path / "replywatch").exists()  # no key file made
    env["DASH_KEY"] = "too-short"
    with pytest.raises(ConfigError, match="too short"):
        dashboard_secret_key(load_settings(env=env), env)


@pytest.mark.slow
def test_debug_needs_the_environment_switch_and_warns(tmp_path, sqlite_template, monkeypatch):
    database = tmp_path / "rw.db"
    database.write_bytes(sqlite_template.read_bytes())
    env = {"REPLYWATCH_DATABASE_URL": f"sqlite:///{database}", "XDG_DATA_HOME": str(tmp_path)}
    monkeypatch.delenv("REPLYWATCH_ALLOW_DEBUG", raising=False)
    refused = run_process("serve", "--debug", "--port", "0", env=env)
    assert refused.code == 2
    assert "also through a reverse proxy" in refused.err
    assert "set REPLYWATCH_ALLOW_DEBUG=1 in the environment" in refused.err
    wrong = run_process(
        "serve", "--debug", "--port", "0", env={**env, "REPLYWATCH_ALLOW_DEBUG": "yes"}
    )
    assert wrong.code == 2
    monkeypatch.setenv("REPLYWATCH_ALLOW_DEBUG", "1")
    with serve_process(f"sqlite:///{database}", tmp_path, "--debug") as served:
        banner = "\n".join(served.first_lines)
        assert "WARNING: DEBUG MODE." in banner and "reverse proxy" in banner
        assert requests.get(f"{served.url}/login", timeout=10).status_code == 200


@pytest.mark.slow  # over 10 s on the 2-core machine
def test_serve_refuses_bad_options(tmp_path, sqlite_template):
    database = tmp_path / "rw.db"
    database.write_bytes(sqlite_template.read_bytes())
    env = {"REPLYWATCH_DATABASE_URL": f"sqlite:///{database}", "XDG_DATA_HOME": str(tmp_path)}
    debug = run_process("serve", "--debug", "--host", "0.0.0.0", "--port", "0", env=env)
    assert debug.code == 2 and "--debug shows tracebacks" in debug.err
    port = run_process("serve", "--port", "70000", env=env)
    assert port.code == 2 and "--port 70000 is not a port" in port.err
    empty = {"REPLYWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
             "XDG_DATA_HOME": str(tmp_path)}  # fmt: skip
    uninitialised = run_process("serve", "--port", "0", env=empty)
    assert uninitialised.code == 2 and "replywatch init" in uninitialised.err
    short = run_process(
        "serve", "--port", "0", env={**env, "REPLYWATCH_SECRET_KEY_REF": "K", "K": "x"}
    )
    assert short.code == 2 and "too short" in short.err and "'x'" not in short.err
