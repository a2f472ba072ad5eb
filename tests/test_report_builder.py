"""reports.builder: what the weekly email shows, taken from the metrics API, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from metrics import api
from metrics.labels import Verdict
from metrics.periods import iso_week
from reports.builder import build_snapshot
from reports.delivery import SnapshotRequest
from reports.render import render
from reports.snapshot import TOP_UNANSWERED, SnapshotKind, VerdictChange
from storage.upsert import upsert_items
from tests.support.factories import add_account, add_client, item

WEEK = iso_week("2026-W47")  # T0 of the factories is Monday of this week, 09:00 UTC
MONDAY_AFTER = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
WEEK_MINUTES = 7 * 24 * 60


def _thread(prefix: str, *, week: int = 0, answered: int = 0, unanswered: int = 0):
    """An own post ``week`` weeks after week 47 with customer replies, some answered."""
    shift = week * WEEK_MINUTES
    records = [item(f"{prefix}p", author="100", own=True, kind="post", minutes=shift)]
    for n in range(answered + unanswered):
        question = f"{prefix}q{n}"
        records.append(
            item(
                question,
                author=f"9{n:02d}",
                parent=f"{prefix}p",
                root=f"{prefix}p",
                minutes=shift + 10 + n,
                text=f"Frage {prefix} {n}",
                permalink=f"https://x.com/kunde/status/{prefix}{n}",
            )
        )
        if n < answered:
            records.append(
                item(
                    f"{prefix}a{n}",
                    author="100",
                    own=True,
                    parent=question,
                    root=f"{prefix}p",
                    minutes=shift + 30 + n,
                )
            )
    return records


def _request(client_ids, *, scope=None, language="en", url=None) -> SnapshotRequest:
    return SnapshotRequest(
        delivery_id=None,
        recipient="anna@example.com",
        recipient_name=None,
        user_id=None,
        language=language,
        scope=scope or f"client:{client_ids[0]}",
        client_ids=tuple(client_ids),
        week=WEEK,
        generated_at=MONDAY_AFTER,
        dashboard_url=url,
    )


def _store(session, account_id, records) -> None:
    upsert_items(session, account_id, records)
    api.refresh(session, now=MONDAY_AFTER)


def test_an_owners_snapshot_is_the_clients_metrics(session):
    client = add_client(session, "Bäckerei Huber")
    account = add_account(session, client, "x", "@huber", "100")
    _store(session, account.id, _thread("a", answered=2, unanswered=7))

    snapshot = build_snapshot(session, _request([client.id]))
    metrics = api.client_metrics(session, client.id, api.iso_week(str(WEEK)), now=MONDAY_AFTER)

    assert snapshot.kind == SnapshotKind.OWNER and snapshot.week == WEEK
    (huber,) = snapshot.clients
    summary = huber.summary
    assert (summary.inbound, summary.answered, summary.missed, summary.waiting) == (
        metrics.inbound, metrics.answered, metrics.missed, metrics.waiting,
    ) == (9, 2, 7, 0)  # fmt: skip
    assert summary.oldest_unanswered_age == MONDAY_AFTER - metrics.oldest_unanswered_at
    (verdict,) = huber.accounts
    assert (verdict.platform, verdict.handle, verdict.verdict) == (
        "x",
        "@huber",
        Verdict.UNRESPONSIVE,
    )
    assert verdict.response_ratio == pytest.approx(2 / 9) == metrics.response_ratio
    # Nothing before this week: the verdict is new, not "changed from no conversation".
    assert verdict.previous_verdict is None and verdict.change == VerdictChange.NEW
    # The five oldest unanswered messages, with the count of all of them.
    assert len(huber.unanswered) == TOP_UNANSWERED and huber.unanswered_total == 7
    assert [i.text for i in huber.unanswered] == [f"Frage a {n}" for n in range(2, 7)]
    assert huber.unanswered[0].permalink == "https://x.com/kunde/status/a2"
    assert huber.unanswered[0].account_handle == "@huber"
    assert [(p.week, p.inbound, p.answered) for p in huber.series] == [(WEEK, 9, 2)]
    assert snapshot.dashboard_url is None and huber.dashboard_url is None

    text = render(snapshot, "chart@x").text
    assert "9 customer messages came in, 2 got an answer; the oldest unanswered one has " \
        "waited 7 days." in text  # fmt: skip
    assert "unresponsive - first week" in text
    assert "and 2 more" in text, "7 unanswered, 5 listed"


def test_changes_against_last_week_and_widened_verdicts(session):
    client = add_client(session, "Bäckerei Huber")
    steady = add_account(session, client, "x", "@huber", "100")
    thin = add_account(session, client, "x", "@huber_cafe", "101")
    # @huber: a fine week 46, a poor week 47.
    _store(session, steady.id, [*_thread("s46", week=-1, answered=6),
                                *_thread("s47", answered=3, unanswered=3)])  # fmt: skip
    # @huber_cafe: too few messages in week 47 alone; judged over the weeks before too.
    _store(session, thin.id, [*_thread("t44", week=-3, answered=3),
                              *_thread("t47", answered=1, unanswered=1)])  # fmt: skip

    snapshot = build_snapshot(session, _request([client.id]))
    accounts = {a.handle: a for a in snapshot.clients[0].accounts}

    huber = accounts["@huber"]
    assert (huber.verdict, huber.previous_verdict) == (Verdict.UNRESPONSIVE, Verdict.RESPONSIVE)
    assert huber.change == VerdictChange.WORSE
    assert (huber.response_ratio, huber.previous_response_ratio) == (0.5, 1.0)
    assert huber.weeks_considered == 1

    cafe = accounts["@huber_cafe"]
    metrics = api.account_metrics(session, thin.id, api.iso_week(str(WEEK)), now=MONDAY_AFTER)
    assert metrics.verdict.widened and cafe.weeks_considered == metrics.verdict.weeks == 4
    assert cafe.response_ratio == pytest.approx(4 / 5), "the window's ratio, as judged"
    assert cafe.previous_response_ratio is None, "windows are not compared week by week"
    text = render(snapshot, "chart@x").text
    assert "response ratio 80%, over the last 4 weeks" in text
    assert "response ratio 50% (last week 100%)" in text


def test_inactive_accounts_appear_only_in_weeks_they_had_activity(session):
    client = add_client(session, "Bäckerei Huber")
    active = add_account(session, client, "x", "@huber", "100")
    history = add_account(session, client, "x", "@huber_old", "102")
    history.active = False
    imported = add_account(session, client, "x", "@huber_import", "103")
    imported.active = False
    _store(session, active.id, _thread("a", answered=1))
    _store(session, history.id, _thread("h", week=-2, answered=1))
    _store(session, imported.id, _thread("i", answered=1, unanswered=1))

    snapshot = build_snapshot(session, _request([client.id]))
    assert [a.handle for a in snapshot.clients[0].accounts] == ["@huber", "@huber_import"]
    assert snapshot.clients[0].summary.inbound == 3, "the client's totals count every account"


def test_the_chart_starts_with_the_clients_first_active_week(session):
    client = add_client(session, "Bäckerei Huber")
    account = add_account(session, client, "x", "@huber", "100")
    _store(session, account.id, [*_thread("w45", week=-2, answered=2, unanswered=1),
                                 *_thread("w47", answered=1)])  # fmt: skip
    (huber,) = build_snapshot(session, _request([client.id])).clients
    assert [(str(p.week), p.inbound, p.answered) for p in huber.series] == [
        ("2026-W45", 3, 2), ("2026-W46", 0, 0), ("2026-W47", 1, 1),
    ]  # fmt: skip


def test_a_digest_covers_the_requested_clients_with_links(session):
    huber = add_client(session, "Bäckerei Huber")
    bagels = add_client(session, "Bagel Corner", time_zone="America/New_York")
    account = add_account(session, huber, "x", "@huber", "100")
    _store(session, account.id, _thread("a", answered=1, unanswered=4))

    snapshot = build_snapshot(
        session,
        _request([bagels.id, huber.id], scope="digest", language="de",
                 url="https://replywatch.example/app/"),
    )  # fmt: skip
    assert snapshot.kind == SnapshotKind.DIGEST and snapshot.language == "de"
    assert [c.client_name for c in snapshot.clients] == ["Bagel Corner", "Bäckerei Huber"]
    assert [c.time_zone for c in snapshot.clients] == ["America/New_York", "Europe/Berlin"]
    assert snapshot.clients[0].summary.inbound == 0 and snapshot.clients[0].accounts == ()
    assert snapshot.summary.inbound == 5 and snapshot.summary.answered == 1
    assert snapshot.dashboard_url == "https://replywatch.example/app/?period=2026-W47"
    assert snapshot.clients[1].dashboard_url == (
        f"https://replywatch.example/app/client?client={huber.id}&period=2026-W47"
    )
    text = render(snapshot, "chart@x").text
    assert "und 1 weitere" in text, "the digest lists 3 of 4 unanswered messages"


def test_a_waiting_message_is_listed_with_the_missed_ones(session):
    client = add_client(session, "Bäckerei Huber")
    account = add_account(session, client, "x", "@huber", "100")
    # Sunday 09:00 UTC: its answer window is still open on Monday morning.
    late = item("late", author="950", parent="ap", root="ap", minutes=6 * 24 * 60,
                text="Sonntag offen?")  # fmt: skip
    _store(session, account.id, [*_thread("a", answered=1, unanswered=1), late])
    (huber,) = build_snapshot(session, _request([client.id])).clients
    assert (huber.summary.missed, huber.summary.waiting) == (1, 1)
    assert [i.text for i in huber.unanswered] == ["Frage a 1", "Sonntag offen?"]
    assert huber.unanswered_total == 2


def test_a_deleted_client_cannot_be_built(session):
    with pytest.raises(api.UnknownSubject, match="client 99 does not exist"):
        build_snapshot(session, _request([99]))


def test_the_week_is_read_in_each_clients_zone(session):
    # Sunday 23:30 UTC is already Monday in Berlin (week 48), still Sunday in New York.
    sunday_late = 6 * 24 * 60 + 14 * 60 + 30  # T0 (Monday 09:00 UTC) + 6 d 14.5 h
    counts = {}
    for name, zone, prefix, own_id in (("Huber", "Europe/Berlin", "b", "100"),
                                       ("Bagels", "America/New_York", "n", "200")):  # fmt: skip
        client = add_client(session, name, time_zone=zone)
        account = add_account(session, client, "x", f"@{name.lower()}", own_id)
        records = _thread(prefix, answered=1)
        records.append(item(f"{prefix}late", author="960", parent=f"{prefix}p",
                            root=f"{prefix}p", minutes=sunday_late))  # fmt: skip
        _store(session, account.id, records)
        (built,) = build_snapshot(session, _request([client.id])).clients
        counts[name] = built.summary.inbound
    assert counts == {"Huber": 1, "Bagels": 2}
