"""``replywatch run`` as real processes: leading, standing by, taking over, stopping."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from metrics import api
from replywatch.service import SCHEDULER_LEASE
from sandbox.mastodon_api import MastodonServer
from sandbox.world import Actor, World
from storage import leases
from storage.engine import session_scope
from storage.models import (
    Account,
    CollectionRun,
    Lease,
    Role,
    RollupDirty,
    ScheduledJob,
    User,
    UserClient,
)
from tests.support.cli import console_script
from tests.support.factories import add_account, add_client
from tests.support.platforms import MASTODON_DOMAIN, MASTODON_TOKEN
from tests.support.scripted_week import ACCOUNT_HANDLE, ANNA, BEN, SHOP, TOKEN_NAME
from tests.support.test_clock import python_path

ROOT = Path(__file__).resolve().parents[1]

# Real processes with real start-up and lease expiry: seconds each.
pytestmark = pytest.mark.slow


@pytest.fixture
def shop(engine):
    with session_scope(engine) as session:
        client = add_client(session, "Bäckerei Huber", time_zone="Europe/Berlin")
        add_account(session, client, "x", "@huber", "100")
        user = User(username="anna", password_hash="x", role=Role.OWNER, email="anna@example.com")
        session.add(user)
        session.flush()
        session.add(UserClient(user_id=user.id, client_id=client.id))
    return engine


def _env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": python_path(ROOT),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "REPLYWATCH_DATABASE_URL": database_url,
        "REPLYWATCH_SERVICE_LEASE_SECONDS": "3",
        "REPLYWATCH_SERVICE_RECONCILE_SECONDS": "1",
        **extra,
    }


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.handle = log.open("w")
        self.popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.handle,
                                      stderr=subprocess.STDOUT)  # fmt: skip

    def output(self) -> str:
        return self.log.read_text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 90) -> int:
        self.popen.send_signal(sig)
        code = self.popen.wait(timeout=timeout)
        self.handle.close()
        return code

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=30)
        self.handle.close()


def _wait(condition, timeout: float = 90.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} not reached in time"
        time.sleep(0.1)


def _leader(engine) -> str | None:
    with engine.connect() as connection:
        info = leases.holder(connection, SCHEDULER_LEASE, datetime.now(UTC))
    return info.owner if info else None


def _count(engine, model) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def _harness(env: dict[str, str], tmp_path: Path, name: str, *args: str) -> Process:
    return Process([sys.executable, "-m", "tests.support.service_process", *args], env,
                   tmp_path / f"{name}.log")  # fmt: skip


def test_replywatch_run_leads_stands_by_and_hands_over(shop, database_url, tmp_path):
    env = _env(database_url, tmp_path, REPLYWATCH_COLLECT_JITTER="3600")
    first = Process([console_script(), "run"], env, tmp_path / "first.log")
    second = None
    try:
        _wait(lambda: _leader(shop) is not None, what="a leader")
        with shop.connect() as connection:
            _wait(lambda: {"collect:1", "reconcile", "deliver-emails",
                           "weekly-email:Europe/Berlin"} <= set(
                connection.execute(select(ScheduledJob.id)).scalars()), what="jobs")  # fmt: skip
        leader = _leader(shop)
        assert leader.startswith("service@") and leader.split(":")[1] == str(first.popen.pid)

        second = Process([console_script(), "run"], env, tmp_path / "second.log")
        _wait(lambda: "standing by" in second.output(), what="standby")
        assert _leader(shop) == leader

        status = subprocess.run([console_script(), "status"], env=env, capture_output=True,
                                text=True, timeout=60)  # fmt: skip
        assert status.returncode == 0, status.stderr
        assert f"Service: running as {leader}" in status.stdout

        assert first.stop() == 0
        assert "received SIGTERM: stopping" in first.output() and "stopped" in first.output()
        _wait(lambda: (_leader(shop) or "").split(":")[1:2] == [str(second.popen.pid)],
              what="takeover")  # fmt: skip
        assert second.stop(signal.SIGINT) == 0
        assert _count(shop, Lease) == 0
        assert "Traceback" not in first.output() + second.output().split("collection")[0]
    finally:
        first.kill()
        if second is not None:
            second.kill()


def test_sigterm_lets_the_running_collection_finish(shop, database_url, tmp_path):
    env = _env(database_url, tmp_path, REPLYWATCH_COLLECT_JITTER="0",
               REPLYWATCH_TEST_COLLECT_SECONDS="3")  # fmt: skip
    service = _harness(env, tmp_path, "service")
    try:
        _wait(lambda: "collection of account 1 started" in service.output(), what="collection")
        assert service.stop() == 0
    finally:
        service.kill()
    with session_scope(shop) as session:
        runs = session.scalars(select(CollectionRun)).all()
    assert [(run.outcome, run.finished_at is not None) for run in runs] == [("ok", True)]
    assert "waiting for running jobs: collection of account 1" in service.output()
    assert _count(shop, Lease) == 0


def test_a_collection_past_the_stop_timeout_is_abandoned_without_a_trace(
    shop, database_url, tmp_path
):
    env = _env(database_url, tmp_path, REPLYWATCH_COLLECT_JITTER="0",
               REPLYWATCH_TEST_COLLECT_SECONDS="120", REPLYWATCH_SERVICE_STOP_SECONDS="1")  # fmt: skip
    service = _harness(env, tmp_path, "service")
    try:
        _wait(lambda: "collection of account 1 started" in service.output(), what="collection")
        time.sleep(0.5)  # let it write inside its open transaction
        assert service.stop(timeout=60) == 0
    finally:
        service.kill()
    assert "abandoned: collection of account 1" in service.output()
    # Its uncommitted CollectionRun is gone with the process: nothing half-written.
    assert _count(shop, CollectionRun) == 0
    # Its leases are released, or (SQLite held by the dead transaction) expire.
    with shop.connect() as connection:
        later = datetime.now(UTC).replace(year=2100)
        assert leases.active_leases(connection, later) == []


def test_a_killed_leader_is_replaced_and_accounts_never_overlap(shop, database_url, tmp_path):
    env = _env(database_url, tmp_path, REPLYWATCH_COLLECT_JITTER="0",
               REPLYWATCH_TEST_COLLECT_SECONDS="1")  # fmt: skip
    first = _harness(env, tmp_path, "first")
    second = _harness(env, tmp_path, "second")
    try:
        _wait(lambda: _count(shop, CollectionRun) >= 1, what="first collection")
        leader_pid = (_leader(shop) or "").split(":")[1]
        leader, standby = (first, second) if leader_pid == str(first.popen.pid) else (second, first)
        leader.popen.send_signal(signal.SIGKILL)
        leader.popen.wait(timeout=30)
        _wait(lambda: (_leader(shop) or "").split(":")[1:2] == [str(standby.popen.pid)],
              what="takeover after the lease expired")  # fmt: skip
        # The new leader reconciles and runs the job store's jobs, e.g. the pending rollup.
        _wait(lambda: "running the scheduler" in standby.output(), what="leading")
        assert standby.stop() == 0
    finally:
        first.kill()
        second.kill()
    with session_scope(shop) as session:
        runs = session.scalars(select(CollectionRun).order_by(CollectionRun.started_at)).all()
    finished = [run for run in runs if run.finished_at is not None]
    for earlier, later in itertools.pairwise(finished):
        assert later.started_at >= earlier.finished_at, "two collections of one account overlapped"


def _shop_on_mastodon(engine) -> tuple[World, int, int]:
    """A shop on a simulated Mastodon instance: a post an hour ago, one question answered,
    one not (yet). Returns the world, the client id and the account id."""
    now = datetime.now(UTC).replace(microsecond=0)
    world = World("mastodon", now=now)
    for actor in (Actor(SHOP, "baeckerei"), Actor(ANNA, "anna"), Actor(BEN, "ben")):
        world.add_actor(actor)
    world.manage(SHOP, MASTODON_TOKEN)
    post = world.post(SHOP, now - timedelta(minutes=60), "Frische Brezen!")
    question = world.post(ANNA, now - timedelta(minutes=50), "Offen?", reply_to=post.id)
    world.post(SHOP, now - timedelta(minutes=40), "Ja!", reply_to=question.id)
    world.post(BEN, now - timedelta(minutes=30), "Und morgen?", reply_to=post.id)
    with session_scope(engine) as session:
        client = add_client(session, "Bäckerei Huber", time_zone="UTC")
        account = Account(client_id=client.id, platform="mastodon", handle=ACCOUNT_HANDLE,
                          credentials_ref=TOKEN_NAME)  # fmt: skip
        session.add(account)
        session.flush()
        return world, client.id, account.id


def _shop_metrics(engine, client_id: int, now: datetime) -> api.Metrics:
    today = now.date()
    with session_scope(engine) as session:
        return api.client_metrics(
            session, client_id, api.date_range(today - timedelta(days=1), today), now=now
        )


def test_replywatch_run_collects_from_a_simulated_platform_and_refreshes_the_metrics(
    engine, database_url, tmp_path
):
    world, client_id, account_id = _shop_on_mastodon(engine)
    with MastodonServer(world, domain=MASTODON_DOMAIN) as mastodon:
        env = _env(database_url, tmp_path, REPLYWATCH_COLLECT_JITTER="0",
                   REPLYWATCH_MASTODON_API_URL=mastodon.url,
                   **{TOKEN_NAME: MASTODON_TOKEN})  # fmt: skip
        service = Process([console_script(), "run"], env, tmp_path / "service.log")
        try:
            _wait(lambda: "metrics refreshed after the collection of account" in service.output(),
                  what="a collection and its refresh")  # fmt: skip
            assert service.stop() == 0
        finally:
            service.kill()
        assert mastodon.calls_to(r"^/api/v1/accounts/\d+/statuses$"), "it read the instance"
    output = service.output()
    assert f"collection of account {account_id} finished: ok, 4 new" in output
    assert "received SIGTERM: stopping" in output and output.rstrip().endswith("stopped")
    assert "Traceback" not in output and MASTODON_TOKEN not in output

    assert _count(engine, RollupDirty) == 0
    with session_scope(engine) as session:
        runs = session.scalars(select(CollectionRun)).all()
        assert [(run.outcome, run.items_new) for run in runs] == [("ok", 4)]
    metrics = _shop_metrics(engine, client_id, world.now)
    assert (metrics.posts, metrics.inbound, metrics.answered, metrics.waiting) == (1, 2, 1, 1)
    assert _count(engine, Lease) == 0


def test_sigterm_during_a_real_collection_lets_it_finish_and_keeps_its_marks(
    engine, database_url, tmp_path
):
    world, client_id, account_id = _shop_on_mastodon(engine)
    with MastodonServer(world, domain=MASTODON_DOMAIN) as mastodon:
        # The instance answers the timeline slowly: SIGTERM arrives while it is being read.
        mastodon.inject(r"^/api/v1/accounts/\d+/statuses$", kind="slow", delay=2.0, times=-1)
        env = _env(database_url, tmp_path, REPLYWATCH_COLLECT_JITTER="0",
                   REPLYWATCH_MASTODON_API_URL=mastodon.url,
                   **{TOKEN_NAME: MASTODON_TOKEN})  # fmt: skip
        service = Process([console_script(), "run"], env, tmp_path / "service.log")
        try:
            _wait(lambda: f"collection of account {account_id} started" in service.output(),
                  what="a collection")  # fmt: skip
            assert service.stop() == 0
        finally:
            service.kill()
    output = service.output()
    assert f"waiting for running jobs: collection of account {account_id}" in output
    assert f"collection of account {account_id} finished: ok, 4 new" in output
    with session_scope(engine) as session:
        runs = session.scalars(select(CollectionRun)).all()
        assert [(run.outcome, run.items_new) for run in runs] == [("ok", 4)]
    # No rollup job was started while stopping; the collection's marks wait for the next
    # refresh (the next service's first rollup or sweep), which finds everything.
    assert _count(engine, RollupDirty) > 0
    with session_scope(engine) as session:
        api.refresh(session, now=world.now)
    metrics = _shop_metrics(engine, client_id, world.now)
    assert (metrics.posts, metrics.inbound, metrics.answered, metrics.waiting) == (1, 2, 1, 1)
    assert _count(engine, Lease) == 0
