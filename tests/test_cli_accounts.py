"""``account edit`` (and its neighbours add/remove) through the real entry point, on both
engines, and how a running service picks the changes up (controllable clock, no sleeping).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, func, select

from replywatch import jobs
from replywatch.jobs import Runtime, Work
from replywatch.service import make_scheduler, reconcile_jobs, stop_scheduler, trigger_fingerprint
from storage.engine import make_engine, session_scope
from storage.leases import LeaseKeeper
from storage.models import Account, CollectionRun, CredentialStatus, Item
from storage.upsert import upsert_items
from tests.support.cli import run_main
from tests.support.clock import ManualClock
from tests.support.factories import item
from tests.support.settings import settings_for


@pytest.fixture
def cli_env(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    monkeypatch.delenv("REPLYWATCH_SERVICE_RECONCILE_SECONDS", raising=False)


@pytest.fixture
def huber(cli_env, database_url, capsys):
    """A client with an X account (1, with credentials) and a Mastodon account (2)."""
    steps = [
        ("client", "add", "Huber"),
        ("account", "add", "--client", "Huber", "--platform", "x", "--handle", "@huber",
         "--credentials", "HUBER_X_TOKEN"),
        ("account", "add", "--client", "Huber", "--platform", "mastodon",
         "--handle", "@huber@mastodon.social", "--interval", "30m"),
    ]  # fmt: skip
    for args in steps:
        outcome = run_main(capsys, *args)
        assert outcome.code == 0, outcome.err
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _account(engine, number: int) -> Account:
    with session_scope(engine) as session:
        return session.get(Account, number)


def test_edit_changes_interval_credentials_and_display_name(huber, capsys):
    engine = huber
    # The collector found the token refused.
    with session_scope(engine) as session:
        found = session.get(Account, 1)
        found.credential_status = CredentialStatus.NEEDS_RENEWAL
        found.credential_error = "401 Unauthorized"

    edited = run_main(
        capsys, "account", "edit", "x:@Huber", "--interval", "1h30m",
        "--credentials", "HUBER_X_TOKEN_2026", "--display-name", "  Bäckerei   Huber ",
    )  # fmt: skip
    assert edited.code == 0, edited.err
    assert edited.err == ""
    assert edited.out.splitlines() == [
        "Updated x account @huber (account 1): collection interval 1 h → 1.5 h; "
        "credentials HUBER_X_TOKEN → HUBER_X_TOKEN_2026; credential status needs_renewal → "
        "unchecked; display name none (the handle is shown) → 'Bäckerei Huber'.",
        "A running `replywatch run` picks this up within 60 s (service.reconcile_seconds).",
    ]
    found = _account(engine, 1)
    assert found.collect_interval_minutes == 90
    assert found.credentials_ref == "HUBER_X_TOKEN_2026"
    assert (found.credential_status, found.credential_error) == ("unchecked", None)
    assert found.display_name == "Bäckerei Huber"
    assert found.active is True
    other = _account(engine, 2)
    assert (other.collect_interval_minutes, other.credentials_ref) == (30, None), "untouched"

    # The same values again: nothing changes, and the output says so.
    again = run_main(capsys, "account", "edit", "1", "--interval", "90", "--display-name",
                     "Bäckerei Huber")  # fmt: skip
    assert again.code == 0, again.err
    assert again.out.splitlines() == [
        "Nothing to change for x account @huber (account 1).",
        "Already so: collection interval 1.5 h; display name 'Bäckerei Huber'.",
    ]

    # The same credentials name after renewing the token behind it: checked afresh.
    with session_scope(engine) as session:
        session.get(Account, 1).credential_status = CredentialStatus.NEEDS_RENEWAL
    renewed = run_main(capsys, "account", "edit", "1", "--credentials", "HUBER_X_TOKEN_2026")
    assert renewed.code == 0, renewed.err
    assert "credential status needs_renewal → unchecked" in renewed.out
    assert "Already so: credentials HUBER_X_TOKEN_2026." in renewed.out
    assert _account(engine, 1).credential_status == "unchecked"

    # Forgetting the reference and the display name.
    cleared = run_main(
        capsys, "account", "edit", "mastodon:@huber@mastodon.social", "--no-credentials",
        "--display-name", "",
    )  # fmt: skip
    assert cleared.code == 0, cleared.err
    assert "Already so: credentials -; display name none (the handle is shown)." in cleared.out
    forgotten = run_main(capsys, "account", "edit", "1", "--no-credentials", "--display-name", "")
    assert forgotten.code == 0, forgotten.err
    assert "credentials HUBER_X_TOKEN_2026 → -" in forgotten.out
    found = _account(engine, 1)
    assert (found.credentials_ref, found.display_name) == (None, None)

    listed = run_main(capsys, "account", "list")
    assert "1.5 h" in listed.out and "30 min" in listed.out


def test_a_removed_account_comes_back_with_its_history(huber, database_url, capsys):
    engine = huber
    with session_scope(engine) as session:
        upsert_items(session, 1, [item("5001"), item("5002", minutes=3)])

    removed = run_main(capsys, "account", "remove", "1")
    assert removed.code == 0, removed.err
    assert "`replywatch account edit 1 --active` collects it again" in removed.out
    assert _account(engine, 1).active is False
    twice = run_main(capsys, "account", "remove", "1")
    assert twice.code == 0 and "inactive already" in twice.out

    # Adding it anew is refused with the way back, and writes nothing.
    before = _snapshot(database_url)
    added = run_main(
        capsys, "account", "add", "--client", "Huber", "--platform", "x", "--handle", "@HUBER"
    )
    assert added.code == 2
    assert added.err.strip().splitlines() == [
        "replywatch: error: x account @huber exists already, deactivated (account 1); to "
        "collect it again run: replywatch account edit 1 --active"
    ]
    assert _snapshot(database_url) == before

    back = run_main(capsys, "account", "edit", "1", "--active")
    assert back.code == 0, back.err
    assert back.out.startswith("Updated x account @huber (account 1): collected again.")
    found = _account(engine, 1)
    assert found.active is True
    assert found.credentials_ref == "HUBER_X_TOKEN", "nothing else changed"
    with engine.connect() as connection:
        kept = connection.scalar(select(func.count()).where(Item.account_id == 1))
    assert kept == 2, "the history collected before the removal is still there"

    # --inactive is the same as remove without --purge; activity already as asked is said.
    off = run_main(capsys, "account", "edit", "1", "--inactive", "--interval", "2h")
    assert off.code == 0, off.err
    assert "collection interval 1 h → 2 h; no longer collected." in off.out
    assert "Note: the account is inactive; --active collects it again." in off.out
    already = run_main(capsys, "account", "edit", "1", "--inactive")
    assert already.out.splitlines()[1] == "Already so: inactive."
    found = _account(engine, 1)
    assert (found.active, found.collect_interval_minutes) == (False, 120)


def _snapshot(database_url: str) -> dict[str, list]:
    engine = make_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        snapshot = {
            name: sorted(map(tuple, connection.execute(table.select()).all()), key=repr)
            for name, table in metadata.tables.items()
        }
    engine.dispose()
    return snapshot


BAD_EDITS = [
    (("1",), "account edit: error: nothing to change"),
    (("1", "--interval", "4m"), "collection interval '4m' is shorter than 5 minutes"),
    (("1", "--interval", "0"), "collection interval '0' must be longer than zero"),
    (("1", "--interval", "soon"), "collection interval 'soon' is not a duration"),
    (("1", "--credentials", "AAAAAAAAAAAAAAAAAAAAA%3DEUifiRBkKG5E2"), "not the token itself"),
    (("1", "--credentials", "A", "--no-credentials"), "either --credentials NAME or"),
    (("1", "--display-name", "x" * 201), "at most 200 characters"),
    (("1", "--inactive", "--interval", "4.9m"), "shorter than 5 minutes"),
    (("99", "--inactive"), "account '99' does not exist"),
    (("x:@nobody", "--inactive"), "account 'x:@nobody' does not exist"),
    (("huber", "--inactive"), "neither a number nor platform:handle"),
    (("x:bad handle!", "--inactive"), "not valid on x"),
    (("1", "--interval"), "requires an argument"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "expected"), BAD_EDITS, ids=[" ".join(a)[:40] for a, _ in BAD_EDITS]
)
def test_bad_edits_exit_2_with_one_line_and_write_nothing(
    huber, database_url, capsys, args, expected
):
    with session_scope(huber) as session:
        session.get(Account, 1).credential_status = CredentialStatus.NEEDS_RENEWAL
    before = _snapshot(database_url)
    outcome = run_main(capsys, "account", "edit", *args)
    assert outcome.code == 2
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("replywatch") and expected in lines[0]
    assert outcome.out == ""
    assert _snapshot(database_url) == before


def test_the_service_picks_up_edited_accounts(huber, database_url, capsys):
    """What README promises: a running service follows `account edit` and `remove`."""
    engine = huber
    settings = settings_for(database_url, **{"collect.jitter_seconds": 0})
    scheduler = make_scheduler(engine, settings)
    scheduler.start(paused=True)
    clock = ManualClock(datetime.now(UTC))
    keeper = LeaseKeeper(engine, timedelta(seconds=60), owner="this-process", clock=clock)
    work = Work(
        collect="tests.support.service_work:record_collection",
        refresh_rollups="tests.support.service_work:record_rollup",
        build_snapshot="tests.support.snapshots:build_for_request",
    )
    runtime = Runtime(
        engine=engine, settings=settings, leases=keeper, work=work, clock=clock,
        scheduler=scheduler,
    )  # fmt: skip
    jobs.install(runtime)

    def runs(account_id: int) -> int:
        with engine.connect() as connection:
            return connection.scalar(
                select(func.count()).where(CollectionRun.account_id == account_id)
            )

    try:
        first = reconcile_jobs(scheduler, engine, settings, now=clock.now())
        assert {"collect:1", "collect:2"} <= set(first.added)
        assert trigger_fingerprint(scheduler.get_job("collect:1").trigger) == (
            "interval", 3600.0, None,
        )  # fmt: skip

        # A new interval: the job's schedule changes, its next run comes within it.
        assert run_main(capsys, "account", "edit", "1", "--interval", "15m").code == 0
        clock.advance(minutes=1)
        changed = reconcile_jobs(scheduler, engine, settings, now=clock.now())
        assert changed.changed == ["collect:1"] and not changed.added and not changed.removed
        job = scheduler.get_job("collect:1")
        assert trigger_fingerprint(job.trigger) == ("interval", 900.0, None)
        assert (
            timedelta(minutes=14) < job.next_run_time - datetime.now(UTC) <= timedelta(minutes=15)
        )

        # Credentials and display name are read by each collection: no job changes.
        assert run_main(capsys, "account", "edit", "1", "--credentials", "OTHER").code == 0
        assert not reconcile_jobs(scheduler, engine, settings, now=clock.advance(minutes=1))

        # Deactivated: the job goes, and a run already due does not collect.
        assert run_main(capsys, "account", "edit", "1", "--inactive").code == 0
        jobs.collect(1)
        assert runs(1) == 0, "deactivated before the reconcile: the due run skips it"
        gone = reconcile_jobs(scheduler, engine, settings, now=clock.advance(minutes=1))
        assert gone.removed == ["collect:1"] and scheduler.get_job("collect:1") is None

        # `account remove` (no --purge) does the same for the other account.
        assert run_main(capsys, "account", "remove", "2").code == 0
        gone = reconcile_jobs(scheduler, engine, settings, now=clock.advance(minutes=1))
        assert gone.removed == ["collect:2"]

        # Reactivated: collected again at once (jitter 0), on the edited interval.
        assert run_main(capsys, "account", "edit", "1", "--active").code == 0
        back = reconcile_jobs(scheduler, engine, settings, now=clock.advance(minutes=1))
        assert back.added == ["collect:1"]
        job = scheduler.get_job("collect:1")
        assert trigger_fingerprint(job.trigger) == ("interval", 900.0, None)
        assert abs(job.next_run_time - clock.now()) < timedelta(milliseconds=1)
        jobs.collect(1)
        assert runs(1) == 1
        jobs.collect(2)
        assert runs(2) == 0, "still removed"
    finally:
        jobs.uninstall()
        stop_scheduler(scheduler)
