"""``status`` shows the service and the weekly emails; ``email check`` and ``email retry``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from replywatch.service import HEARTBEAT_KEY, SCHEDULER_LEASE
from storage.engine import session_scope
from storage.leases import LeaseKeeper
from storage.models import EmailDelivery
from tests.support.cli import run_main
from tests.support.smtp import start_smtp

NOW = datetime.now(UTC)


@pytest.fixture
def cli_env(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)


def _delivery(session, n, status, error=None, attempts=1, week="2026-W47"):
    row = EmailDelivery(
        recipient=f"owner{n}@example.com", scope="client:1", iso_week=week, status=status,
        attempts=attempts, last_error=error,
        next_attempt_at=NOW + timedelta(minutes=15) if status == "pending" else None,
        sent_at=NOW if status == "sent" else None,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row.id


def test_status_lists_emails_needing_attention(cli_env, engine, capsys):
    with session_scope(engine) as session:
        _delivery(session, 1, "sent", week="2026-W46")
        _delivery(session, 2, "sent")
        failed = _delivery(session, 3, "failed", "550 5.1.1 no such user", attempts=1)
        uncertain = _delivery(session, 4, "uncertain", "connection lost during DATA")
        _delivery(session, 5, "pending", "cannot reach SMTP server mail:587", attempts=2)
    outcome = run_main(capsys, "status")
    assert outcome.code == 0, outcome.err
    out = outcome.out
    assert "Service: not running (start it with: replywatch run)." in out
    assert "Weekly emails 2026-W46: 1 sent." in out
    assert "Weekly emails 2026-W47: 1 sent, 1 pending, 1 uncertain, 1 failed." in out
    assert (
        "email 5 to owner5@example.com (client:1, 2026-W47): attempt 2 failed (cannot reach SMTP server mail:587); next attempt"
        in out
    )
    assert (
        f"email {failed} to owner3@example.com (client:1, 2026-W47) failed after 1 attempts: 550 5.1.1 no such user; to send it again: replywatch email retry {failed}"
        in out
    )
    assert (
        f"email {uncertain} to owner4@example.com (client:1, 2026-W47) may or may not have arrived"
        in out
    )
    assert "Nothing needs attention." not in out

    assert run_main(capsys, "email", "retry", str(failed)).code == 0
    with session_scope(engine) as session:
        row = session.get(EmailDelivery, failed)
        assert row.status == "pending" and row.next_attempt_at is not None
    again = run_main(capsys, "email", "retry", str(failed))
    assert again.code == 2 and f"email {failed} is pending; only failed or uncertain" in again.err
    missing = run_main(capsys, "email", "retry", "999")
    assert missing.code == 2 and "email 999 does not exist" in missing.err


def test_status_names_the_running_service(cli_env, engine, capsys):
    keeper = LeaseKeeper(engine, timedelta(minutes=2), owner="service@host:42:abcd")
    assert keeper.try_acquire(SCHEDULER_LEASE)
    # The lease alone: its scheduler has not shown that it works (issue 18.1).
    out = run_main(capsys, "status").out
    assert "Service: service@host:42:abcd holds the scheduler lease, but its scheduler " in out
    assert keeper.try_acquire(HEARTBEAT_KEY)  # what the leader writes while it works
    out = run_main(capsys, "status").out
    assert "Service: running as service@host:42:abcd (lease renewed until" in out
    assert "Weekly emails: none planned yet." in out and "Nothing needs attention." in out


def test_email_check_sends_through_the_configured_server(cli_env, capsys, monkeypatch, tmp_path):
    server = start_smtp(tmp_path)
    try:
        monkeypatch.setenv("REPLYWATCH_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("REPLYWATCH_SMTP_PORT", str(server.port))
        monkeypatch.setenv("REPLYWATCH_SMTP_SECURITY", "none")
        monkeypatch.setenv("REPLYWATCH_SMTP_SENDER", "replywatch@agency.example")
        outcome = run_main(capsys, "email", "check", "--to", "ops@example.com")
        assert outcome.code == 0, outcome.err
        assert f"accepted by 127.0.0.1:{server.port} (none)" in outcome.out
        message = server.handler.messages()[0]
        assert message["Subject"] == "replywatch: test message"
        assert "replywatch can send email through" in message.get_content()

        bad = run_main(capsys, "email", "check", "--to", "not-an-address")
        assert bad.code == 2 and "email address 'not-an-address' is not valid" in bad.err
    finally:
        server.stop()
    refused = run_main(capsys, "email", "check", "--to", "ops@example.com")
    assert refused.code == 1 and "cannot reach SMTP server 127.0.0.1" in refused.err


def test_email_check_without_settings_says_what_to_set(cli_env, capsys):
    outcome = run_main(capsys, "email", "check", "--to", "ops@example.com")
    assert outcome.code == 2
    assert "set smtp.host and smtp.sender" in outcome.err


def test_run_refuses_an_uninitialised_database(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    outcome = run_main(capsys, "run")
    assert outcome.code == 2 and "is not initialised; run: replywatch init" in outcome.err


def test_deliveries_table_is_untouched_by_status(cli_env, engine, capsys):
    with session_scope(engine) as session:
        _delivery(session, 1, "failed", "boom")
    run_main(capsys, "status")
    with engine.connect() as connection:
        assert connection.execute(select(EmailDelivery.status)).scalar() == "failed"
