"""Login attempts and dashboard sessions are stored, counted and ended on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.logins import (
    AttemptOutcome,
    address_failures,
    count_attempt,
    end_dashboard_session,
    find_dashboard_session,
    prune_dashboard_sessions,
    prune_login_attempts,
    record_login_attempt,
    settle_login_attempt,
    start_dashboard_session,
    token_hash,
    username_failures,
)
from storage.models import DashboardSession, LoginAttempt, LoginCounter, User

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _attempt(session, username, address, outcome, minutes_ago):
    record_login_attempt(
        session, username=username, address=address, outcome=outcome,
        at=NOW - timedelta(minutes=minutes_ago),
    )  # fmt: skip


def test_failures_count_per_username_and_address(session):
    for minutes in (30, 10, 5, 1):
        _attempt(session, "Anna", "10.0.0.1", AttemptOutcome.FAILED, minutes)
    _attempt(session, " anna ", "10.0.0.2", AttemptOutcome.FAILED, 2)
    _attempt(session, "bob", "10.0.0.1", AttemptOutcome.REFUSED, 1)
    session.commit()
    window = NOW - timedelta(minutes=15)

    by_name = username_failures(session, "ANNA", window)
    assert by_name.count == 4  # 10, 5, 2, 1 minutes ago; case and spaces ignored
    assert by_name.oldest == NOW - timedelta(minutes=10)
    by_address = address_failures(session, "10.0.0.1", window)
    assert by_address.count == 3  # refused attempts are not failures
    assert username_failures(session, "bob", window).count == 0


def test_a_success_resets_the_username_count_but_not_the_address_count(session):
    for minutes in (9, 8, 7):
        _attempt(session, "anna", "10.0.0.1", AttemptOutcome.FAILED, minutes)
    _attempt(session, "anna", "10.0.0.1", AttemptOutcome.OK, 6)
    _attempt(session, "anna", "10.0.0.1", AttemptOutcome.FAILED, 3)
    session.commit()
    window = NOW - timedelta(minutes=15)
    assert username_failures(session, "anna", window).count == 1
    assert address_failures(session, "10.0.0.1", window).count == 4


def test_an_attempt_being_checked_counts_as_a_failure_until_settled(session):
    checking = record_login_attempt(
        session, username="Anna", address="::1", outcome=AttemptOutcome.CHECKING, at=NOW
    )
    session.commit()
    window = NOW - timedelta(minutes=15)
    assert username_failures(session, "anna", window).count == 1
    assert address_failures(session, "::1", window).count == 1
    settle_login_attempt(session, checking, AttemptOutcome.OK)
    session.commit()
    assert username_failures(session, "anna", window).count == 0
    assert address_failures(session, "::1", window).count == 0
    assert session.scalar(select(LoginAttempt.outcome)) == AttemptOutcome.OK


def test_attempts_are_counted_per_canonical_name_and_per_address(session):
    count_attempt(session, username="Anna", address="10.0.0.1", at=NOW)
    count_attempt(session, username=" ANNA ", address="10.0.0.2", at=NOW)
    count_attempt(session, username="bob", address="10.0.0.1", at=NOW + timedelta(minutes=1))
    session.commit()
    counters = {
        (row.kind, row.value): (row.attempts, row.last_attempt_at)
        for row in session.scalars(select(LoginCounter))
    }
    assert counters == {
        ("username", "anna"): (2, NOW),
        ("username", "bob"): (1, NOW + timedelta(minutes=1)),
        ("address", "10.0.0.1"): (2, NOW + timedelta(minutes=1)),
        ("address", "10.0.0.2"): (1, NOW),
    }
    # Counters of names and addresses not tried for a day are forgotten with the attempts.
    prune_login_attempts(session, NOW + timedelta(seconds=30))
    session.commit()
    assert {(row.kind, row.value) for row in session.scalars(select(LoginCounter))} == {
        ("username", "bob"),
        ("address", "10.0.0.1"),
    }


def test_user_names_differing_only_in_case_cannot_both_exist(session):
    session.add(User(username="Anna", password_hash="x", role="owner"))
    session.commit()
    session.add(User(username="anna", password_hash="x", role="owner"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    stored = session.scalars(select(User)).one()
    assert (stored.username, stored.username_key) == ("Anna", "anna")
    stored.username = "ANNA-B"  # a new name keeps its key in step
    session.commit()
    assert session.scalar(select(User.username_key)) == "anna-b"


def test_long_typed_names_are_cut_not_refused(session):
    typed = "x" * 500
    _attempt(session, typed, "::1", AttemptOutcome.FAILED, 1)
    session.commit()
    stored = session.scalars(select(LoginAttempt)).one()
    assert stored.username == "x" * 64
    assert username_failures(session, typed, NOW - timedelta(hours=1)).count == 1


def test_prune_login_attempts(session):
    _attempt(session, "anna", "::1", AttemptOutcome.FAILED, 60 * 25)
    _attempt(session, "anna", "::1", AttemptOutcome.FAILED, 5)
    session.commit()
    assert prune_login_attempts(session, NOW - timedelta(hours=24)) == 1
    session.commit()
    assert session.scalar(select(LoginAttempt.attempted_at)) == NOW - timedelta(minutes=5)


def test_sessions_store_only_a_hash_and_end_on_logout(session):
    user = User(username="anna", password_hash="x", role="owner")
    session.add(user)
    session.flush()
    token = start_dashboard_session(session, user.id, NOW)
    session.commit()
    stored = session.scalars(select(DashboardSession)).one()
    assert stored.token_hash == token_hash(token) and token not in stored.token_hash
    found = find_dashboard_session(session, token)
    assert found is not None and found[1].username == "anna"
    assert find_dashboard_session(session, token + "x") is None
    end_dashboard_session(session, token)
    session.commit()
    assert find_dashboard_session(session, token) is None


def test_removing_a_user_ends_their_sessions(session):
    user = User(username="anna", password_hash="x", role="owner")
    session.add(user)
    session.flush()
    token = start_dashboard_session(session, user.id, NOW)
    session.commit()
    session.delete(user)
    session.commit()
    assert find_dashboard_session(session, token) is None
    assert session.scalars(select(DashboardSession)).all() == []


def test_prune_sessions_by_idle_and_age(session):
    user = User(username="anna", password_hash="x", role="owner")
    session.add(user)
    session.flush()
    idle = start_dashboard_session(session, user.id, NOW - timedelta(hours=20))
    old = start_dashboard_session(session, user.id, NOW - timedelta(days=40))
    fresh = start_dashboard_session(session, user.id, NOW)
    found_old = find_dashboard_session(session, old)
    assert found_old is not None
    found_old[0].last_seen_at = NOW  # active, but older than the absolute limit
    session.commit()
    removed = prune_dashboard_sessions(
        session, idle_before=NOW - timedelta(hours=12), created_before=NOW - timedelta(days=30)
    )
    session.commit()
    assert removed == 2
    assert find_dashboard_session(session, fresh) is not None
    assert find_dashboard_session(session, idle) is None
