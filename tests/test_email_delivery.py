"""Weekly emails planned on time and sent exactly once, through a real SMTP server."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from replywatch.emailing import send_check_email, send_due_emails, smtp_config
from reports.builder import build_snapshot
from reports.chart import ChartRenderer
from reports.delivery import (
    DeliveryPolicy,
    claim,
    mark_submitting,
    retry_now,
)
from reports.mailer import Fenced, Mailer
from reports.planning import plan_deliveries
from storage.engine import session_scope
from storage.models import Client, EmailDelivery, Role, User, UserClient
from tests.support.clock import ManualClock
from tests.support.factories import add_client
from tests.support.settings import settings_for
from tests.support.smtp import start_smtp
from tests.support.snapshots import build_for_request
from tests.support.test_clock import python_path

ROOT = Path(__file__).resolve().parents[1]
MONDAY_BERLIN = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 07:00 in Berlin, week 48 begins
MONDAY_NEW_YORK = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 07:00 in New York


def _user(session, name, role, email, language="en", clients=()):
    user = User(username=name, password_hash="x", role=role, email=email, language=language)
    session.add(user)
    session.flush()
    for client in clients:
        session.add(UserClient(user_id=user.id, client_id=client.id))
    return user


@pytest.fixture
def people(engine):
    with session_scope(engine) as session:
        huber = add_client(session, "Bäckerei Huber", time_zone="Europe/Berlin")
        bagels = add_client(session, "Bagel Corner", time_zone="America/New_York")
        _user(session, "anna", Role.OWNER, "Anna@Example.com", "de", [huber])
        _user(session, "bob", Role.OWNER, "bob@example.com", "en", [huber, bagels])
        _user(session, "carla", Role.CONSULTANT, "carla@agency.example", "en")
        _user(session, "dora", Role.OWNER, None, "en", [huber])  # no address: no email
    return engine


@pytest.fixture(scope="module", autouse=True)
def one_browser_for_the_module():
    # Batches share the process's chart browser while any is open: start it once here.
    with ChartRenderer("/usr/bin/chromium"):
        yield


@pytest.fixture
def smtp(tmp_path):
    server = start_smtp(tmp_path)
    yield server
    server.stop()


def _settings(engine, smtp_server=None, **values):
    base = {"smtp.sender": "replywatch@agency.example"}
    if smtp_server is not None:
        base.update({"smtp.host": "127.0.0.1", "smtp.port": smtp_server.port,
                     "smtp.security": "none"})  # fmt: skip
    return settings_for(engine.url.render_as_string(hide_password=False), **{**base, **values})


def _deliveries(engine) -> dict[tuple[str, str], EmailDelivery]:
    with session_scope(engine) as session:
        rows = session.scalars(select(EmailDelivery)).all()
        return {(row.recipient, row.scope): row for row in rows}


def _plan(engine, now, late_hours=48):
    with engine.begin() as connection:
        return plan_deliveries(connection, now, "07:00", timedelta(hours=late_hours))


def test_planning_follows_each_clients_monday_morning(people):
    engine = people
    assert _plan(engine, MONDAY_BERLIN - timedelta(minutes=1)) == []
    first = _plan(engine, MONDAY_BERLIN)
    assert sorted((p.recipient, p.scope, str(p.week)) for p in first) == [
        ("anna@example.com", "client:1", "2026-W47"),
        ("bob@example.com", "client:1", "2026-W47"),
    ]
    # New York's Monday morning comes later; the digest waits for the last client.
    assert _plan(engine, MONDAY_NEW_YORK - timedelta(minutes=1)) == []
    second = _plan(engine, MONDAY_NEW_YORK)
    assert sorted((p.recipient, p.scope) for p in second) == [
        ("bob@example.com", "client:2"),
        ("carla@agency.example", "digest"),
    ]
    # Planning again (a misfire, a restart, a second process) plans nothing twice.
    assert _plan(engine, MONDAY_NEW_YORK + timedelta(hours=1)) == []
    assert len(_deliveries(engine)) == 4


def test_a_week_missed_by_more_than_the_late_limit_is_not_planned(people):
    # Berlin's Monday 07:00 is 48 h and a minute ago; New York's only 42 h.
    late = _plan(people, MONDAY_BERLIN + timedelta(hours=48, minutes=1))
    assert sorted((p.recipient, p.scope) for p in late) == [
        ("bob@example.com", "client:2"),
        ("carla@agency.example", "digest"),
    ]
    # An hour earlier Berlin's emails were still due.
    in_time = _plan(people, MONDAY_BERLIN + timedelta(hours=47))
    assert sorted((p.recipient, p.scope) for p in in_time) == [
        ("anna@example.com", "client:1"),
        ("bob@example.com", "client:1"),
    ]


def test_each_email_is_sent_once_across_runs_and_restarts(people, smtp):
    engine = people
    clock = ManualClock(MONDAY_NEW_YORK)
    settings = _settings(engine, smtp)
    report = send_due_emails(engine, settings, build_snapshot=build_for_request, clock=clock)
    assert len(report.sent) == 4 and not report.failed
    messages = smtp.handler.messages()
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == [
        "anna@example.com", "bob@example.com", "bob@example.com", "carla@agency.example",
    ]  # fmt: skip
    subjects = {m["Subject"] for m in messages}
    assert "Bäckerei Huber, KW 47: 3 von 12 Kundennachrichten beantwortet" in subjects
    assert "Weekly digest, week 47: 2 clients" in subjects
    assert all(m["Message-ID"].startswith("<replywatch.") for m in messages)

    # The same run again, later, and a "restarted" process: nothing is sent twice.
    clock.advance(hours=2)
    again = send_due_emails(engine, settings, build_snapshot=build_for_request, clock=clock)
    assert again.sent == [] and len(smtp.handler.received) == 4
    rows = _deliveries(engine)
    assert all(r.status == "sent" and r.attempts == 1 and r.sent_at for r in rows.values())


def test_failed_sends_are_retried_with_backoff_until_they_succeed(people, tmp_path):
    engine = people
    clock = ManualClock(MONDAY_BERLIN)
    down = start_smtp(tmp_path)
    port = down.port
    down.stop()  # nothing listens: connection refused
    settings = _settings(engine, **{"smtp.host": "127.0.0.1", "smtp.port": port,
                                    "smtp.security": "none"})  # fmt: skip
    first = send_due_emails(engine, settings, build_snapshot=build_for_request, clock=clock)
    assert len(first.retrying) == 2 and not first.sent
    row = _deliveries(engine)[("anna@example.com", "client:1")]
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at == MONDAY_BERLIN + timedelta(minutes=5)
    assert f"cannot reach SMTP server 127.0.0.1:{port} (none)" in row.last_error

    clock.advance(minutes=4)
    assert (
        send_due_emails(engine, settings, build_snapshot=build_for_request, clock=clock).retrying
        == []
    )
    clock.advance(minutes=1)
    second = send_due_emails(engine, settings, build_snapshot=build_for_request, clock=clock)
    assert len(second.retrying) == 2
    row = _deliveries(engine)[("anna@example.com", "client:1")]
    assert row.next_attempt_at == clock.now() + timedelta(minutes=15)

    # The server is back (same port): the next due attempt delivers each email once.
    server = start_smtp(tmp_path)
    server.stop()
    from aiosmtpd.controller import Controller

    from tests.support.smtp import RecordingHandler

    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.advance(minutes=15)
        third = send_due_emails(engine, settings, build_snapshot=build_for_request, clock=clock)
        assert len(third.sent) == 2 and len(handler.received) == 2
    finally:
        controller.stop()
    row = _deliveries(engine)[("anna@example.com", "client:1")]
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)


def test_backoff_grows_and_gives_up_after_max_attempts(people, smtp):
    policy = DeliveryPolicy()
    assert [policy.delay(n).total_seconds() / 60 for n in range(1, 7)] == [5, 15, 45, 135, 360, 360]
    engine = people
    smtp.handler.data_reply = "451 4.3.0 try again later"
    clock = ManualClock(MONDAY_BERLIN)
    settings = _settings(engine, smtp, **{"email.max_attempts": 2})
    send_due_emails(engine, settings, build_snapshot=build_for_request, clock=clock)
    clock.advance(minutes=5)
    report = send_due_emails(engine, settings, build_snapshot=build_for_request, clock=clock)
    assert len(report.failed) == 2
    row = _deliveries(engine)[("bob@example.com", "client:1")]
    assert row.status == "failed" and row.next_attempt_at is None
    assert "451 4.3.0 try again later" in row.last_error


def test_a_refused_recipient_fails_at_once(people, smtp):
    smtp.handler.refuse_recipients["bob@example.com"] = "550 5.1.1 no such user"
    report = send_due_emails(people, _settings(people, smtp), build_snapshot=build_for_request,
                             clock=ManualClock(MONDAY_BERLIN))  # fmt: skip
    assert len(report.sent) == 1 and len(report.failed) == 1
    row = _deliveries(people)[("bob@example.com", "client:1")]
    assert row.status == "failed" and row.attempts == 1 and "550 5.1.1" in row.last_error


def test_a_process_that_died_before_data_is_retried(people, smtp):
    engine = people
    clock = ManualClock(MONDAY_BERLIN)
    _plan(engine, clock.now())
    anna = _deliveries(engine)[("anna@example.com", "client:1")].id
    assert claim(engine, anna, clock.now(), DeliveryPolicy()) == 1  # ... and the process died
    report = send_due_emails(engine, _settings(engine, smtp), build_snapshot=build_for_request,
                             clock=clock)  # fmt: skip
    assert report.sent == [_deliveries(engine)[("bob@example.com", "client:1")].id]
    clock.advance(minutes=16)  # the claim ran out
    later = send_due_emails(engine, _settings(engine, smtp), build_snapshot=build_for_request,
                            clock=clock)  # fmt: skip
    assert later.recovered == [anna] and later.sent == [anna]
    assert len(smtp.handler.received) == 2
    assert _deliveries(engine)[("anna@example.com", "client:1")].attempts == 2


def test_a_process_that_died_during_data_is_never_resent_by_itself(people, smtp):
    engine = people
    clock = ManualClock(MONDAY_BERLIN)
    policy = DeliveryPolicy()
    _plan(engine, clock.now())
    anna = _deliveries(engine)[("anna@example.com", "client:1")].id
    fence = claim(engine, anna, clock.now(), policy)
    assert mark_submitting(engine, anna, fence, clock.now(), policy)  # ... then died
    clock.advance(minutes=16)
    settings = _settings(engine, smtp)
    report = send_due_emails(engine, settings, build_snapshot=build_for_request, clock=clock)
    assert report.uncertain == [anna] and anna not in report.sent
    row = _deliveries(engine)[("anna@example.com", "client:1")]
    assert row.status == "uncertain" and "may have been delivered" in row.last_error
    clock.advance(days=1)
    assert (
        anna
        not in send_due_emails(engine, settings, build_snapshot=build_for_request, clock=clock).sent
    )
    # The operator checked the mail server's log and sends it again.
    assert retry_now(engine, anna, clock.now())
    assert send_due_emails(
        engine, settings, build_snapshot=build_for_request, clock=clock
    ).sent == [anna]
    assert [m["To"].addresses[0].addr_spec for m in smtp.handler.messages()].count(
        "anna@example.com"
    ) == 1


def test_a_broken_connection_during_data_is_uncertain(people, smtp):
    engine = people

    async def drop(server, session, envelope):
        server.transport.close()  # accepted or not, the client never hears back
        return "250 OK"

    smtp.handler.handle_DATA = drop
    report = send_due_emails(engine, _settings(engine, smtp), build_snapshot=build_for_request,
                             clock=ManualClock(MONDAY_BERLIN))  # fmt: skip
    assert len(report.uncertain) == 2 and not report.retrying
    assert {r.status for r in _deliveries(engine).values()} == {"uncertain"}


def test_an_overtaken_process_does_not_send(people, smtp):
    engine = people
    clock = ManualClock(MONDAY_BERLIN)
    policy = DeliveryPolicy()
    _plan(engine, clock.now())
    anna = _deliveries(engine)[("anna@example.com", "client:1")].id
    stalled = claim(engine, anna, clock.now(), policy)
    clock.advance(minutes=16)  # stalled past its claim; another process takes over
    send_due_emails(engine, _settings(engine, smtp), build_snapshot=build_for_request, clock=clock)
    assert len(smtp.handler.received) == 2
    # The stalled one wakes up: its fence is outdated, so it never reaches DATA.
    snapshot_message = smtp.handler.received[0].message
    with Mailer(smtp_config(_settings(engine, smtp))) as mailer, pytest.raises(Fenced):
        mailer.send(snapshot_message, "anna@example.com",
                    before_data=lambda: mark_submitting(engine, anna, stalled, clock.now(), policy))  # fmt: skip
    assert len(smtp.handler.received) == 2


def test_without_smtp_settings_every_due_email_says_why(people):
    settings = _settings(people, **{"smtp.sender": None})
    report = send_due_emails(people, settings, build_snapshot=build_for_request,
                             clock=ManualClock(MONDAY_BERLIN))  # fmt: skip
    assert len(report.retrying) == 2
    row = _deliveries(people)[("anna@example.com", "client:1")]
    assert "set smtp.host and smtp.sender" in row.last_error


def test_an_email_that_cannot_be_built_records_why_on_each_attempt(people, smtp):
    # The client was deleted after its emails were planned: the snapshot cannot be built.
    with people.begin() as connection:
        plan_deliveries(connection, MONDAY_BERLIN, "07:00", timedelta(hours=48))
    with session_scope(people) as session:
        session.delete(session.get(Client, 1))
    report = send_due_emails(people, _settings(people, smtp), build_snapshot=build_snapshot,
                             clock=ManualClock(MONDAY_BERLIN))  # fmt: skip
    assert len(report.retrying) == 2 and smtp.handler.received == []
    row = _deliveries(people)[("anna@example.com", "client:1")]
    assert row.last_error == "could not prepare the email: UnknownSubject: client 1 does not exist"
    assert row.status == "pending" and row.next_attempt_at > MONDAY_BERLIN


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_login_with_the_password_from_a_secret(people, tmp_path, security):
    server = start_smtp(tmp_path, security=security, user="mailer", password="s3cret pass")
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('SMTP_PASSWORD = "s3cret pass"\n')
    secrets.chmod(0o600)
    try:
        settings = _settings(
            people,
            **{"smtp.host": "127.0.0.1", "smtp.port": server.port, "smtp.security": security,
               "smtp.user": "mailer", "smtp.password_ref": "SMTP_PASSWORD",
               "smtp.ca_file": str(server.ca_file), "secrets_file": str(secrets)},
        )  # fmt: skip
        report = send_due_emails(people, settings, build_snapshot=build_for_request,
                                 clock=ManualClock(MONDAY_BERLIN))  # fmt: skip
        assert len(report.sent) == 2
        assert server.authenticator.attempts and all(
            a.endswith(":ok") for a in server.authenticator.attempts
        )
        assert (
            send_check_email(settings, "ops@example.com") == f"127.0.0.1:{server.port} ({security})"
        )
        assert server.handler.received[-1].recipients == ["ops@example.com"]

        secrets.write_text('SMTP_PASSWORD = "wrong"\n')
        with pytest.raises(Exception, match="refused the login of 'mailer'") as failure:
            send_check_email(settings, "ops@example.com")
        assert "wrong" not in str(failure.value) and "s3cret" not in str(failure.value)
    finally:
        server.stop()


def test_starttls_with_an_untrusted_certificate_is_refused(people, tmp_path):
    server = start_smtp(tmp_path, security="starttls")
    try:
        settings = _settings(people, **{"smtp.host": "127.0.0.1", "smtp.port": server.port,
                                        "smtp.security": "starttls"})  # fmt: skip
        with pytest.raises(Exception, match=r"TLS with SMTP server .* failed"):
            send_check_email(settings, "ops@example.com")
        assert server.handler.received == []
    finally:
        server.stop()


@pytest.mark.slow
def test_two_processes_send_each_email_once(database_url, engine, smtp, tmp_path):
    with session_scope(engine) as session:
        huber = add_client(session, "Bäckerei Huber", time_zone="Europe/Berlin")
        for n in range(12):
            _user(session, f"owner{n}", Role.OWNER, f"owner{n}@example.com", "en", [huber])
    now = datetime.now(UTC)
    with engine.begin() as connection:
        week_start = now - timedelta(days=now.weekday())
        plan_deliveries(connection, now, "00:00", timedelta(hours=160))
    assert len(_deliveries(engine)) == 12, week_start
    env = {
        **os.environ, "PYTHONPATH": python_path(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "none"),
        "REPLYWATCH_DATABASE_URL": database_url, "REPLYWATCH_SMTP_HOST": "127.0.0.1",
        "REPLYWATCH_SMTP_PORT": str(smtp.port), "REPLYWATCH_SMTP_SECURITY": "none",
        "REPLYWATCH_SMTP_SENDER": "replywatch@agency.example",
    }  # fmt: skip
    go = tmp_path / "go"
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.support.deliver_process", str(go)],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    go.touch()
    outputs = [w.communicate(timeout=180)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    recipients = [r.recipients[0] for r in smtp.handler.received]
    assert sorted(recipients) == sorted(f"owner{n}@example.com" for n in range(12))
    assert {r.status for r in _deliveries(engine).values()} == {"sent"}


def test_one_snapshot_as_eml_file_and_sent_on_request(people, smtp, tmp_path):
    import email as email_module
    import email.policy

    from replywatch.emailing import send_snapshot, write_snapshot_eml
    from tests.support.snapshots import owner_snapshot

    settings = _settings(people, smtp)
    path = tmp_path / "preview.eml"
    write_snapshot_eml(settings, owner_snapshot("de"), path)
    preview = email_module.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert preview["Subject"] == "Bäckerei Huber, KW 47: 3 von 12 Kundennachrichten beantwortet"
    assert smtp.handler.received == [], "a preview sends nothing"

    assert send_snapshot(settings, owner_snapshot("en")) == f"127.0.0.1:{smtp.port} (none)"
    sent = smtp.handler.messages()
    assert len(sent) == 1 and sent[0]["To"].addresses[0].addr_spec == "anna@example.com"
    assert sent[0]["Subject"].startswith("Bäckerei Huber, week 47")
    assert _deliveries(people) == {}, "not a scheduled delivery"
