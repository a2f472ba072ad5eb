"""A run whose process is gone (issue 18.9): ``status`` shows it interrupted at once, and a
service taking over the scheduler collects its account at once.

The account's claim tells: whoever collects holds ``collect:account:N``. A killed process
leaves a claim that is free after it expires, or (on this machine) one whose process no
longer exists.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from replywatch.service import make_scheduler, reconcile_jobs, resume_interrupted, stop_scheduler
from storage import leases
from storage.engine import session_scope
from storage.leases import collection_key, new_owner
from storage.models import Account, CollectionRun, Lease
from storage.running import running_runs
from tests.support.cli import run_main
from tests.support.factories import add_account, add_client
from tests.support.settings import settings_for


def _dead_owner() -> str:
    """The name a process of this machine held its leases under, after it ended."""
    ended = subprocess.Popen(["true"])
    ended.wait()
    return f"collect@{new_owner().split('@')[0].split(':')[0]}:{ended.pid}:deadbeef"


@pytest.fixture
def three_runs(engine):
    """Accounts 1-3, each with a run `running` since `started`: 1 without a claim (it
    expired), 2 claimed by a live process, 3 claimed by a process that was killed."""
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    with session_scope(engine) as session:
        client = add_client(session, "Bäckerei Huber")
        for number in (1, 2, 3):
            add_account(session, client, "x", f"@huber{number}", str(100 + number))
        session.flush()
        for account_id in session.scalars(select(Account.id).order_by(Account.id)):
            session.add(CollectionRun(account_id=account_id, started_at=started,
                                      outcome="running", problems=[]))  # fmt: skip
    live, dead = new_owner("service"), _dead_owner()
    now = datetime.now(UTC)
    with engine.begin() as connection:
        assert leases.try_acquire(connection, collection_key(2), live, timedelta(minutes=2), now)
        assert leases.try_acquire(connection, collection_key(3), dead, timedelta(minutes=2), now)
    return engine, started, live, dead


def test_runs_whose_process_is_gone_are_told_from_the_claim(three_runs):
    engine, _, live, _ = three_runs
    with engine.connect() as connection:
        found = running_runs(connection, datetime.now(UTC))
    assert [(run.account_id, run.orphaned) for run in found] == [(1, True), (2, False), (3, True)]
    assert found[1].claim is not None and found[1].claim.owner == live


def test_status_shows_a_run_whose_process_is_gone_as_interrupted(
    three_runs, database_url, monkeypatch, tmp_path, capsys
):
    _, started, _, dead = three_runs
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    shown = run_main(capsys, "status")
    assert shown.code == 0, shown.err
    rows = {line.split("│")[4].strip(): line for line in shown.out.splitlines()
            if line.count("│") > 5 and "@huber" in line}  # fmt: skip
    assert "interrupted" in rows["@huber1"] and "running" not in rows["@huber1"]
    assert "running" in rows["@huber2"]
    assert "interrupted" in rows["@huber3"]
    attention = shown.out.split("Needs attention:")[1].strip().splitlines()
    since = started.strftime("%Y-%m-%d %H:%M UTC")
    assert [line.strip() for line in attention] == [
        f"- account 1 @huber1: last run interrupted: started {since}, its process is gone "
        "(nothing stored is lost; the next collection continues)",
        f"- account 3 @huber3: last run interrupted: started {since}, its process ({dead}) is "
        "gone (nothing stored is lost; the next collection continues)",
    ]


def test_a_new_leader_collects_at_once_what_the_old_one_was_collecting(three_runs):
    engine = three_runs[0]
    settings = settings_for(engine.url.render_as_string(hide_password=False))
    scheduler = make_scheduler(engine, settings)
    scheduler.start(paused=True)
    try:
        reconcile_jobs(scheduler, engine, settings)
        now = datetime.now(UTC).replace(microsecond=0)
        later = now + timedelta(hours=1)  # the old leader had moved the jobs on already
        for number in (1, 2, 3):
            scheduler.modify_job(f"collect:{number}", next_run_time=later)
        with engine.connect() as connection:
            claim_2 = connection.scalar(select(Lease.expires_at).where(
                Lease.key == collection_key(2)))  # fmt: skip
        due = resume_interrupted(scheduler, engine, now, own_owner=new_owner("service"))
        assert due == {1: now, 2: claim_2, 3: now}
        assert scheduler.get_job("collect:1").next_run_time == now
        # A live holder (a stalled ex-leader still at work): due when its claim runs out.
        assert scheduler.get_job("collect:2").next_run_time == claim_2
        assert scheduler.get_job("collect:3").next_run_time == now
    finally:
        stop_scheduler(scheduler)
