"""What the client page and the account page both show about answering customers.

The verdict in plain words with its evidence, the key figures against the period before,
weekly trends, the hours of the week, and the lists behind the numbers (unanswered and
waiting messages oldest first, removed messages, self-likes). Every number is read from
``metrics.api`` (stored rollups and indexed facts) and passed through
``dashboard.metrics_adapter``; nothing is counted here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dashboard.guard import Scope
from dashboard.metrics_adapter import (
    hour_of_week,
    key_figures,
    listed_items,
    self_like_rows,
    trend_span,
    verdict_view,
)
from dashboard.pages.key_figures import figures_section
from dashboard.pages.message_lists import (
    removed_section,
    self_likes_section,
    unanswered_section,
    waiting_section,
)
from dashboard.pages.trends import hours_section, trends_section
from dashboard.pages.unanswered_export import unanswered_export_href
from dashboard.pages.verdict import verdict_section
from dashboard.viewmodels import HourOfWeek, KeyFigures, ListedItem, SelfLikeRow, VerdictView
from metrics import api

LIST_LIMIT = 50  # unanswered and waiting messages shown on the page (downloads have all)
SHORT_LIST = 20  # removed messages and self-likes


@dataclass(frozen=True)
class Conversation:
    """What ``metrics.api`` says about the scope's client or account in its period."""

    metrics: api.Metrics
    verdict: VerdictView
    figures: KeyFigures
    trend_points: list[api.WeekPoint]
    trend_last: api.Period
    hours: HourOfWeek
    coverage: api.Coverage
    missed: list[ListedItem]
    waiting: list[ListedItem]
    removed: list[ListedItem]
    self_likes: list[SelfLikeRow]


def read(scope: Scope, labels: Mapping[int, str]) -> Conversation:
    """Everything for the page, read through the metrics API (``labels``: account names)."""
    db, now = scope.db, scope.now
    period = scope.period
    if scope.account is not None:
        subject: dict[str, int] = {"account_id": scope.account.id}
        current = api.account_metrics(db, scope.account.id, period, now=now)
    else:
        assert scope.client is not None
        subject = {"client_id": scope.client.id}
        current = api.client_metrics(db, scope.client.id, period, now=now)
    comparison = api.compare_with_previous(db, current, now=now)
    last, weeks = trend_span(scope.period)
    points = api.weekly_series(db, **subject, weeks=weeks, last=last, now=now)
    coverage = api.coverage(db, **subject, period=period, now=now)
    missed = api.unanswered_items(db, **subject, period=period, now=now, limit=LIST_LIMIT)
    waiting = api.waiting_items(db, **subject, period=period, now=now, limit=LIST_LIMIT)
    removed = api.removed_items(db, **subject, period=period, now=now, limit=SHORT_LIST)
    likes = api.self_like_list(db, **subject, period=period, now=now, limit=SHORT_LIST)
    return Conversation(
        metrics=current,
        verdict=verdict_view(current, scope.language, labels),
        figures=key_figures(comparison),
        trend_points=points,
        trend_last=last,
        hours=hour_of_week(coverage, current.settings.business_hours),
        coverage=coverage,
        missed=listed_items(missed, labels),
        waiting=listed_items(waiting, labels),
        removed=listed_items(removed, labels),
        self_likes=self_like_rows(likes, labels),
    )


def sections(scope: Scope, conversation: Conversation) -> list[Any]:
    """The page sections, in reading order: judgement first, then why, then the lists."""
    language = scope.language
    zone = scope.zone

    def export_href(file_format: str) -> str:
        return unanswered_export_href(scope, file_format)

    metrics = conversation.metrics
    window = metrics.settings.answer_window.total_seconds() / 60
    return [
        verdict_section(conversation.verdict, zone, language, scope.account is None),
        figures_section(conversation.figures, language),
        trends_section(conversation.trend_points, conversation.trend_last, language),
        hours_section(conversation.hours, conversation.coverage, zone, language),
        unanswered_section(conversation.missed, metrics.missed, zone, language, export_href),
        waiting_section(conversation.waiting, metrics.waiting, window, zone, language),
        removed_section(conversation.removed, metrics.removed_inbound, zone, language),
        self_likes_section(conversation.self_likes, metrics.self_likes, zone, language),
    ]
