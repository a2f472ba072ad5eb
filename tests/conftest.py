"""Shared fixtures: every storage test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from storage.engine import make_engine, session_factory
from storage.migrate import upgrade
from tests.support import test_clock
from tests.support.postgres import admin_connection, throwaway_cluster

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    # Before any test module is imported: module-level "now"s must see the moved clock.
    try:
        test_clock.switch_on_for_the_run()
    except test_clock.BadClockSetting as exc:
        raise pytest.UsageError(str(exc)) from None
    test_clock.shift_this_process()


def pytest_report_header(config: pytest.Config) -> str | None:
    setting = os.environ.get(test_clock.SETTING)
    if not setting:
        return None
    return f"clock moved: {test_clock.SETTING}={setting}, the tests see {datetime.now(UTC):%Y-%m-%d %H:%M %Z}"


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    with throwaway_cluster() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_template(postgres_admin_url: str) -> str:
    """A database migrated once; each test copies it (CREATE DATABASE … TEMPLATE)."""
    name = "replywatch_template"
    with admin_connection(postgres_admin_url) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def empty_postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (no schema)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin_connection(postgres_admin_url) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    with admin_connection(postgres_admin_url) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _postgres_copy(request: pytest.FixtureRequest) -> Iterator[str]:
    admin_url = request.getfixturevalue("postgres_admin_url")
    template = request.getfixturevalue("postgres_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    with admin_connection(admin_url) as connection:
        connection.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin_connection(admin_url) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "replywatch.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        path.chmod(0o600)  # as replywatch creates it (a copy gets the umask's permissions)
        yield f"sqlite:///{path}"
    else:
        yield from _postgres_copy(request)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as session:
        yield session


# --- the quick subset stays quick ----------------------------------------------------------

SLOW_SECONDS = 10.0
_setup_seconds: dict[str, float] = {}
_unmarked_slow: list[tuple[float, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Called in the controlling process for every worker's reports too.
    if report.when == "setup":
        _setup_seconds[report.nodeid] = report.duration
    elif report.when == "call" and "slow" not in report.keywords:
        spent = _setup_seconds.pop(report.nodeid, 0.0) + report.duration
        if spent > SLOW_SECONDS:
            _unmarked_slow.append((spent, report.nodeid))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Only a report, never a failure: wall-clock times depend on the machine's load.
    if _unmarked_slow:
        terminalreporter.section(f"tests over {SLOW_SECONDS:g} s without the slow mark")
        for spent, nodeid in sorted(_unmarked_slow, reverse=True):
            terminalreporter.write_line(f"{spent:6.1f} s  {nodeid}")
