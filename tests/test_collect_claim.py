"""``replywatch collect`` by hand takes the same per-account claim as the service (issue 18.5).

The claim is the lease ``collect:account:N`` (storage.leases) that the service's collect
job holds while it collects an account. A manual collect that finds it held says so and
skips the account without a call; while a manual collect works on an account, the
service's job finds the claim taken and skips.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from replywatch import jobs
from sandbox.graph_api import GraphApiServer
from sandbox.x_api import XApiServer
from storage.engine import make_engine, session_factory
from storage.leases import LeaseKeeper
from storage.models import CollectionRun, Lease
from tests.support.cli import run_main
from tests.support.platforms import (
    PAGE_TOKEN,
    X_TOKEN,
    add_graph_accounts,
    add_x_account,
    graph_worlds,
    x_world,
)

SERVICE_OWNER = "run@replywatch-host:4242:0badcafe"


@pytest.fixture
def cli_env(database_url, monkeypatch, tmp_path):
    values = {
        "REPLYWATCH_DATABASE_URL": database_url,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "REPLYWATCH_SECRETS_FILE": str(tmp_path / "secrets.toml"),
        "REPLYWATCH_RETRY_BUDGET": "0",
        "HUBER_X_TOKEN": X_TOKEN,
        "HUBER_PAGE_TOKEN": PAGE_TOKEN,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    return values


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    with session_factory(engine).begin() as session:
        assert add_x_account(session).id == 1
        assert add_graph_accounts(session) == (2, 3)
    yield engine
    engine.dispose()


def _now() -> datetime:
    # The worlds start where `replywatch collect` reads the clock: now.
    return datetime.now(UTC).replace(microsecond=0)


def test_an_account_the_service_is_collecting_is_skipped_and_said(
    cli_env, engine, monkeypatch, capsys
):
    service = LeaseKeeper(engine, timedelta(minutes=2), owner=SERVICE_OWNER)
    assert service.try_acquire(jobs.collect_lease_key(1))
    graph = graph_worlds(now=_now())
    with (
        XApiServer(x_world(now=_now()).world) as x_server,
        GraphApiServer(facebook=graph.facebook, instagram=graph.instagram) as graph_server,
    ):
        monkeypatch.setenv("REPLYWATCH_X_API_URL", x_server.url)
        monkeypatch.setenv("REPLYWATCH_GRAPH_API_URL", graph_server.url)
        outcome = run_main(capsys, "collect")
        assert x_server.calls == []  # not one request for the claimed account
    assert outcome.code == 0, outcome.err
    lines = outcome.out.splitlines()
    assert lines[0] == (
        "account 1 x @huber_shop: skipped — 0 calls, 0 new, 0 updated, 0 removed; being "
        f"collected by {SERVICE_OWNER} right now"
    )
    assert lines[1].startswith("account 2 facebook baeckerei.huber: ok")
    assert outcome.err.splitlines() == [
        f"replywatch collect: account 1 x @huber_shop skipped: being collected by "
        f"{SERVICE_OWNER} right now"
    ]
    with session_factory(engine)() as session:
        assert session.scalars(select(CollectionRun.account_id)).all() == [2, 3]
        # The service's claim is untouched.
        assert session.scalars(select(Lease.owner)).all() == [SERVICE_OWNER]


def test_a_manual_collect_holds_the_claim_the_service_job_takes(
    cli_env, engine, monkeypatch, capsys
):
    key = jobs.collect_lease_key(1)
    with XApiServer(x_world(now=_now()).world) as x_server:
        monkeypatch.setenv("REPLYWATCH_X_API_URL", x_server.url)
        x_server.inject(r"^/2/users/\d+/mentions$", kind="slow", delay=3.0)
        done: dict[str, object] = {}
        worker = threading.Thread(
            target=lambda: done.update(outcome=run_main(capsys, "collect", "--account", "1"))
        )
        worker.start()
        try:
            holder = None
            for _ in range(200):
                with session_factory(engine)() as session:
                    holder = session.scalar(select(Lease.owner).where(Lease.key == key))
                if holder is not None:
                    break
                time.sleep(0.05)
            assert holder is not None and holder.startswith("collect@")
            service = LeaseKeeper(engine, timedelta(minutes=2), owner=SERVICE_OWNER)
            assert not service.try_acquire(key)  # the service's job would skip now
        finally:
            worker.join(60)
    assert done["outcome"].code == 0
    with session_factory(engine)() as session:
        assert session.scalars(select(CollectionRun.outcome)).all() == ["ok"]
        assert session.scalars(select(Lease.key)).all() == []  # given back at the end
