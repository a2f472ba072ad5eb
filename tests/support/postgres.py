"""A throwaway PostgreSQL cluster for the test session: initdb + pg_ctl, gone afterwards.

Runs the server binaries as the ``postgres`` user when the tests run as root (PostgreSQL
refuses to run as root), otherwise as the current user. Set REPLYWATCH_TEST_POSTGRES_URL
to use an existing server instead.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if not candidates:
        raise RuntimeError(
            "PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql or set "
            "REPLYWATCH_TEST_POSTGRES_URL"
        )
    return Path(candidates[0]).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Yield an admin URL ``postgresql://postgres@127.0.0.1:PORT/postgres``."""
    existing = os.environ.get("REPLYWATCH_TEST_POSTGRES_URL")
    if existing:
        yield existing
        return
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="replywatch-pg-"))
    data = root / "data"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True}
    try:
        subprocess.run(
            _as_server_user(
                [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                 "-E", "UTF8", "--no-sync", "--locale=C"]
            ),
            **run,
        )  # fmt: skip
        options = (
            f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_server_user(
                [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                 str(data / "server.log"), "-w", "-t", "60", "start"]
            ),
            **run,
        )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        log = data / "server.log"
        detail = log.read_text() if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {exc.stderr}\n{detail}") from exc
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def admin_connection(url: str) -> psycopg.Connection:
    """An autocommit connection to the cluster of ``url`` (its database, or postgres)."""
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port,
        user=parsed.username,
        dbname=parsed.database or "postgres",
        autocommit=True,
    )


def fresh_database(admin_url: str, name: str) -> str:
    """Database ``name`` dropped (connections and all) and made again; returns its URL."""
    with admin_connection(admin_url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)
