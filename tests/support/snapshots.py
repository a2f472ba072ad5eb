"""Hand-made snapshots for rendering and delivery tests, with fixed, known content.

The product builds snapshots from the metrics (reports/builder.py, tested in
tests/test_report_builder.py); these let a test choose every value directly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from metrics.labels import Verdict
from metrics.periods import Period, iso_week
from reports.snapshot import (
    AccountVerdict,
    ClientSnapshot,
    Snapshot,
    SnapshotKind,
    Summary,
    UnansweredItem,
    WeekPoint,
)

WEEK = iso_week("2026-W47")
GENERATED = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 07:00 in Berlin
INJECTION = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


def series(week: Period = WEEK, weeks: int = 8) -> tuple[WeekPoint, ...]:
    points = []
    current = week
    for n in range(weeks):
        points.append(WeekPoint(current, inbound=12 - n, answered=max(3 - n % 3, 0) + n // 2))
        current = current.previous()
    return tuple(reversed(points))


def huber(week: Period = WEEK, *, text: str = "Habt ihr am Sonntag geöffnet?") -> ClientSnapshot:
    return ClientSnapshot(
        client_name="Bäckerei Huber",
        time_zone="Europe/Berlin",
        summary=Summary(
            inbound=12, answered=3, waiting=2, missed=7, oldest_unanswered_age=timedelta(days=6)
        ),
        accounts=(
            AccountVerdict(
                "x",
                "@baeckereihuber",
                Verdict.UNRESPONSIVE,
                previous_verdict=Verdict.PARTLY_RESPONSIVE,
                response_ratio=0.3,
                previous_response_ratio=0.7,
            ),
            AccountVerdict(
                "instagram",
                "@huber.backt",
                Verdict.INSUFFICIENT_DATA,
                weeks_considered=5,
                response_ratio=0.5,
            ),
        ),
        unanswered=(
            UnansweredItem(
                "x",
                "@baeckereihuber",
                "@kundin_anna",
                text,
                GENERATED - timedelta(days=6),
                "https://x.com/kundin_anna/status/1",
            ),
            UnansweredItem(
                "instagram",
                "@huber.backt",
                None,
                "Wann kommt das Brot?",
                GENERATED - timedelta(hours=5),
                "javascript:alert(1)",
            ),
        ),
        series=series(week),
        dashboard_url="https://replywatch.example/clients/1",
    )


def bagels(week: Period = WEEK) -> ClientSnapshot:
    return ClientSnapshot(
        client_name="Bagel Corner",
        time_zone="America/New_York",
        summary=Summary(inbound=1, answered=1, waiting=0, missed=0),
        accounts=(
            AccountVerdict(
                "bluesky",
                "bagels.bsky.social",
                Verdict.RESPONSIVE,
                previous_verdict=Verdict.UNRESPONSIVE,
                response_ratio=1.0,
            ),
        ),
        series=(
            WeekPoint(week.previous().previous().previous(), 1, 0),
            WeekPoint(week.previous().previous(), 2, 1),
            WeekPoint(week.previous(), 0, 0),
            WeekPoint(week, 1, 1),
        ),
    )


def owner_snapshot(language: str = "en", **fields) -> Snapshot:
    values = {
        "kind": SnapshotKind.OWNER,
        "language": language,
        "recipient_email": "anna@example.com",
        "recipient_name": "Anna Huber",
        "week": WEEK,
        "generated_at": GENERATED,
        "clients": (huber(),),
        "dashboard_url": "https://replywatch.example/",
        **fields,
    }
    return Snapshot(**values)


def digest_snapshot(language: str = "en", **fields) -> Snapshot:
    values = {
        "kind": SnapshotKind.DIGEST,
        "language": language,
        "recipient_email": "carla@agency.example",
        "recipient_name": None,
        "week": WEEK,
        "generated_at": GENERATED,
        "clients": (huber(), bagels()),
        **fields,
    }
    return Snapshot(**values)


def build_for_request(session, request) -> Snapshot:
    """A builder with the product builder's shape, (session, request), and fixed content."""
    kind = SnapshotKind.DIGEST if request.scope == "digest" else SnapshotKind.OWNER
    clients = (
        (huber(request.week), bagels(request.week)) if kind == "digest" else (huber(request.week),)
    )
    return Snapshot(
        kind=kind,
        language=request.language,
        recipient_email=request.recipient,
        recipient_name=request.recipient_name,
        week=request.week,
        generated_at=request.generated_at,
        clients=clients,
    )
