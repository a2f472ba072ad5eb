"""What the client page and the account page both show about answering customers.

The verdict in plain words with its evidence, the key figures against the period before,
weekly trends, the hours of the week, and the lists behind the numbers (unanswered and
waiting messages oldest first, removed messages, self-likes). Every number is read from
``metrics.api`` (stored rollups and indexed facts) and passed through
``dashboard.metrics_adapter``; nothing is counted here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from dash import html

from dashboard import formats
from dashboard.access import visible_accounts
from dashboard.components import external_link, graph, notice, safe_href, section
from dashboard.figures import (
    hour_of_week_heatmap,
    posts_vs_replies,
    ratio_trend,
    response_time_trend,
)
from dashboard.guard import Scope
from dashboard.i18n import translate
from dashboard.metrics_adapter import (
    dialogue_share_weeks,
    hour_of_week,
    key_figures,
    listed_items,
    metrics_period,
    posts_replies_weeks,
    response_ratio_weeks,
    response_time_weeks,
    self_like_rows,
    trend_span,
    verdict_view,
)
from dashboard.names import account_label
from dashboard.tables import Column, Table, make_table
from dashboard.viewmodels import HourOfWeek, KeyFigures, ListedItem, SelfLikeRow, VerdictView
from metrics import api
from metrics.labels import Verdict, metric_name

LIST_LIMIT = 50  # unanswered and waiting messages shown on the page (downloads have all)
SHORT_LIST = 20  # removed messages and self-likes
EVIDENCE_TEXT = 140  # characters of a message quoted in the verdict's evidence


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
    period = metrics_period(scope.period)
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

    return [
        verdict_section(conversation.verdict, zone, language, scope.account is None),
        figures_section(conversation.figures, language),
        trends_section(conversation, language),
        hours_section(conversation, zone, language),
        unanswered_section(conversation, zone, language, export_href),
        waiting_section(conversation, zone, language),
        removed_section(conversation, zone, language),
        self_likes_section(conversation, zone, language),
    ]


# --- the verdict -------------------------------------------------------------------------


def _n(value: int | float | None, language: str) -> str:
    return formats.number(value, language)


def evidence_text(view: VerdictView, language: str) -> str:
    """The counts behind the verdict, in one sentence."""
    match view.verdict:
        case Verdict.NO_CONVERSATION:
            return translate(
                "verdict.evidence.no_conversation",
                language,
                posts=_n(view.posts, language),
                interactions=formats.number(view.interactions_per_post, language, decimals=1),
                self_likes=_n(view.self_likes, language),
            )
        case Verdict.INSUFFICIENT_DATA:
            return translate(
                "verdict.evidence.insufficient_data",
                language,
                settled=_n(view.settled, language),
                needed=_n(view.min_settled, language),
                posts=_n(view.posts, language),
                own_replies=_n(view.own_replies, language),
            )
        case Verdict.BROADCAST_ONLY:
            return translate(
                "verdict.evidence.broadcast_only",
                language,
                posts=_n(view.posts, language),
                missed=_n(view.missed, language),
            )
    return translate(
        "verdict.evidence.answering",
        language,
        answered=_n(view.answered, language),
        settled=_n(view.settled, language),
        ratio=formats.percent(view.response_ratio, language),
        median=formats.duration(view.business_median_minutes, language),
        target=formats.duration(view.target_minutes, language),
    )


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EVIDENCE_TEXT else flat[: EVIDENCE_TEXT - 1].rstrip() + "…"


def verdict_section(
    view: VerdictView, zone: str, language: str, name_accounts: bool = False
) -> html.Section:
    """The verdict, its explanation and counts, and the unanswered messages behind it
    (with the account each was written to when ``name_accounts``: a client's page)."""
    parts: list[Any] = [
        html.P(
            html.Span(view.name, className=f"verdict-badge verdict-{view.verdict.value}"),
            className="verdict-name",
            id="verdict-name",
        ),
        html.P(view.explanation, className="verdict-explanation", id="verdict-explanation"),
    ]
    if view.window_text:
        span = formats.date_span(view.window_start, view.window_end, language)
        parts.append(
            html.P(
                translate("verdict.widened", language, window=view.window_text, span=span),
                className="muted",
                id="verdict-window",
            )
        )
    parts.append(html.P(evidence_text(view, language), id="verdict-evidence"))
    if view.unanswered:
        parts.append(html.H3(translate("verdict.unanswered", language)))
        parts.append(
            html.Ol(
                [
                    html.Li(
                        [
                            html.Time(formats.date_time(item.created_at, zone, language)),
                            " · ",
                            html.Span(item.author_handle or formats.MISSING, className="author"),
                            html.Span(f" ({item.account_label})", className="muted")
                            if name_accounts
                            else "",
                            ": ",
                            html.Q(_quote(item.text)),
                            " ",
                            external_link(translate("account.open", language), item.permalink),
                        ]
                    )
                    for item in view.unanswered
                ],
                className="evidence",
                id="verdict-unanswered",
            )
        )
        more = view.unanswered_total - len(view.unanswered)
        if more > 0:
            parts.append(
                html.P(
                    translate("verdict.more", language, count=_n(more, language)), className="muted"
                )
            )
    return section(translate("section.verdict", language), *parts, section_id="verdict")


# --- key figures -------------------------------------------------------------------------


def _tile(key: str, label: str, value: str, *notes: str | None) -> html.Div:
    return html.Div(
        [
            html.Span(label, className="figure-label"),
            html.Span(value, className="figure-value"),
            *(html.Span(note, className="figure-note") for note in notes if note),
        ],
        className="figure",
        id=f"figure-{key}",
    )


def figures_section(figures: KeyFigures, language: str) -> html.Section:
    def name(key: str) -> str:
        return formats.heading(metric_name(key, language))

    def pct(value: float | None) -> str:
        return formats.percent(value, language)

    def minutes(value: float | None) -> str:
        return formats.duration(value, language)

    target = minutes(figures.target_minutes)
    ratio_notes = [
        translate(
            "figure.interval",
            language,
            interval=formats.interval(figures.ratio_low, figures.ratio_high, language),
        )
        if figures.ratio_low is not None
        else None,
        translate(
            "figure.change",
            language,
            change=formats.points(figures.ratio_change, language),
            before=pct(figures.previous_response_ratio),
        )
        if figures.ratio_change is not None
        else translate("figure.before", language, value=pct(figures.previous_response_ratio)),
    ]
    outcomes = formats.heading(
        " · ".join(metric_name(key, language) for key in ("answered", "missed", "waiting"))
    )
    tiles = [
        _tile("response-ratio", name("response_ratio"), pct(figures.response_ratio), *ratio_notes),
        _tile(
            "response-time",
            name("response_time_median"),
            minutes(figures.median_minutes),
            translate(
                "figure.business",
                language,
                value=minutes(figures.business_median_minutes),
                target=target,
            )
            if figures.business_hours
            else translate("figure.target", language, target=target),
            translate("figure.p90", language, value=minutes(figures.p90_minutes))
            if figures.p90_minutes is not None
            else None,
            translate("figure.before", language, value=minutes(figures.previous_median_minutes)),
        ),
        _tile(
            "within-target",
            name("within_target_ratio"),
            pct(figures.within_target_ratio),
            translate("figure.target", language, target=target),
        ),
        _tile(
            "dialogue-share",
            name("dialogue_share"),
            pct(figures.dialogue_share),
            translate(
                "figure.dialogue",
                language,
                replies=_n(figures.own_replies, language),
                posts=_n(figures.posts, language),
            ),
            translate(
                "figure.change",
                language,
                change=formats.points(figures.dialogue_change, language),
                before=pct(figures.previous_dialogue_share),
            )
            if figures.dialogue_change is not None
            else translate("figure.before", language, value=pct(figures.previous_dialogue_share)),
        ),
        _tile(
            "inbound",
            name("inbound"),
            _n(figures.inbound, language),
            translate("figure.questions", language, questions=_n(figures.questions, language)),
        ),
        _tile(
            "outcomes",
            outcomes,
            " · ".join(
                _n(value, language) for value in (figures.answered, figures.missed, figures.waiting)
            ),
            translate(
                "figure.oldest_waiting",
                language,
                age=minutes(figures.oldest_waiting_minutes),
            )
            if figures.oldest_waiting_minutes is not None
            else None,
        ),
        _tile(
            "question-ratio",
            name("question_response_ratio"),
            pct(figures.question_response_ratio),
        ),
        _tile(
            "interactions",
            name("interactions_per_post"),
            formats.number(figures.interactions_per_post, language, decimals=1),
            translate("figure.followers", language, followers=_n(figures.followers, language))
            if figures.followers is not None
            else translate("figure.no_followers", language),
        ),
        _tile(
            "uncovered",
            name("uncovered_share"),
            pct(figures.uncovered_share),
        ),
        _tile("self-likes", name("self_likes"), _n(figures.self_likes, language)),
        _tile(
            "liked-not-answered",
            name("liked_not_answered"),
            _n(figures.liked_not_answered, language),
        ),
        _tile("removed", name("removed_inbound"), _n(figures.removed_inbound, language)),
    ]
    return section(
        translate("section.figures", language),
        html.Div(tiles, className="figures"),
        section_id="key-figures",
    )


# --- trends and hours --------------------------------------------------------------------


def trends_section(conversation: Conversation, language: str) -> html.Section:
    points = conversation.trend_points
    intro = translate(
        "trends.intro",
        language,
        weeks=_n(len(points), language),
        week=formats.week_label(conversation.trend_last.label, language),
    )
    posts = posts_vs_replies(posts_replies_weeks(points), language)
    posts.update_layout(title={"text": translate("trends.posts_replies", language)})
    charts = [
        ("trend-ratio", ratio_trend(response_ratio_weeks(points), "response_ratio", language)),
        ("trend-time", response_time_trend(response_time_weeks(points), language)),
        ("trend-dialogue", ratio_trend(dialogue_share_weeks(points), "dialogue_share", language)),
        ("trend-posts", posts),
    ]
    return section(
        translate("section.trends", language),
        html.P(intro, className="muted"),
        # Each chart in its own box: a grid cell would stretch Plotly's responsive height.
        html.Div(
            [html.Div(graph(*chart), className="chart") for chart in charts], className="charts"
        ),
        section_id="trends",
    )


def hours_section(conversation: Conversation, zone: str, language: str) -> html.Section:
    reference = conversation.coverage.reference
    span = formats.date_span(reference.start, reference.last_day, language)
    parts: list[Any] = [
        html.P(
            translate(
                "hours.intro",
                language,
                zone=zone,
                reference=translate("hours.reference", language, span=span),
            ),
            className="muted",
        )
    ]
    share = conversation.coverage.uncovered_share
    if share is not None:
        parts.append(
            html.P(
                translate("hours.uncovered", language, share=formats.percent(share, language)),
                id="uncovered-share",
            )
        )
    parts.append(graph("hour-heatmap", hour_of_week_heatmap(conversation.hours, language)))
    return section(translate("section.hours", language), *parts, section_id="hours")


# --- lists -------------------------------------------------------------------------------


def item_entry(item: ListedItem, zone: str, language: str, *extra: Any) -> html.Li:
    """A customer message: when, who, on which account, the text as text, the link."""
    meta: list[Any] = [
        html.Time(formats.date_time(item.created_at, zone, language)),
        html.Span(item.author_handle or formats.MISSING, className="author"),
        html.Span(item.account_label, className="kind"),
        *extra,
    ]
    if item.is_question:
        meta.append(html.Span(translate("item.question", language), className="badge"))
    meta.append(
        html.Span(
            external_link(translate("account.open", language), item.permalink),
            className="item-link",
        )
    )
    return html.Li(
        [
            html.Div(meta, className="item-meta"),
            # Plain string child: React shows it as text, whatever characters it holds.
            html.P(item.text, className="item-text"),
        ],
        className="item" + (" item-removed" if item.removed_at else ""),
    )


def _age(item: ListedItem, language: str) -> html.Span:
    age = formats.duration(item.age_minutes, language)
    return html.Span(translate("item.ago", language, age=age), className="age")


def _shown(shown: int, total: int, language: str) -> Any:
    if total <= shown:
        return None
    return html.P(
        translate("list.shown", language, shown=_n(shown, language), total=_n(total, language)),
        className="muted",
    )


def _listing(list_id: str, entries: list[Any], empty: str, language: str) -> Any:
    if not entries:
        return notice(translate(empty, language))
    return html.Ol(entries, className="items", id=list_id)


def unanswered_section(
    conversation: Conversation,
    zone: str,
    language: str,
    export_href: Callable[[str], str] | None,
) -> html.Section:
    items = conversation.missed
    entries = []
    for item in items:
        extra: list[Any] = [_age(item, language)]
        if item.liked_by_own:
            extra.append(html.Span(translate("item.liked", language), className="badge badge-warn"))
        entries.append(item_entry(item, zone, language, *extra))
    parts: list[Any] = [
        html.P(translate("unanswered.intro", language), className="muted"),
        _shown(len(items), conversation.metrics.missed, language),
        _listing("unanswered", entries, "empty.no_missed", language),
    ]
    if export_href is not None:
        parts.append(
            html.P(
                [
                    html.Span(translate("list.download", language)),
                    html.A(translate("export.csv", language), href=export_href("csv"),
                           className="button", id="unanswered-csv", download=""),
                    html.A(translate("export.xlsx", language), href=export_href("xlsx"),
                           className="button", id="unanswered-xlsx", download=""),
                ],
                className="exports",
            )
        )  # fmt: skip
    return section(
        translate("section.unanswered", language),
        *[part for part in parts if part is not None],
        section_id="unanswered-items",
    )


def waiting_section(conversation: Conversation, zone: str, language: str) -> html.Section:
    window = formats.duration(
        conversation.metrics.settings.answer_window.total_seconds() / 60, language
    )
    entries = [
        item_entry(
            item,
            zone,
            language,
            _age(item, language),
            html.Span(
                translate(
                    "item.settles",
                    language,
                    moment=formats.date_time(item.settles_at, zone, language),
                ),
                className="settles",
            ),
        )
        for item in conversation.waiting
    ]
    parts = [
        html.P(translate("waiting.intro", language, window=window), className="muted"),
        _shown(len(entries), conversation.metrics.waiting, language),
        _listing("waiting", entries, "empty.no_waiting", language),
    ]
    return section(
        translate("section.waiting", language),
        *[part for part in parts if part is not None],
        section_id="waiting-items",
    )


def removed_section(conversation: Conversation, zone: str, language: str) -> html.Section:
    entries = []
    for item in conversation.removed:
        reason_key = f"reason.{item.removed_reason or 'deleted'}"
        try:
            reason = translate(reason_key, language)
        except KeyError:
            reason = item.removed_reason or ""
        entries.append(
            item_entry(
                item,
                zone,
                language,
                html.Span(
                    translate(
                        "item.removed",
                        language,
                        reason=reason,
                        moment=formats.date_time(item.removed_at, zone, language),
                    ),
                    className="badge badge-warn",
                ),
            )
        )
    parts = [
        html.P(translate("removed.intro", language), className="muted"),
        _shown(len(entries), conversation.metrics.removed_inbound, language),
        _listing("removed", entries, "empty.no_removed", language),
    ]
    return section(
        translate("section.removed", language),
        *[part for part in parts if part is not None],
        section_id="removed-items",
    )


def self_likes_section(conversation: Conversation, zone: str, language: str) -> html.Section:
    entries = [
        item_entry(
            like.item,
            zone,
            language,
            html.Span(
                translate("item.liked_by", language, who=like.liker_handle or formats.MISSING),
                className="badge",
            ),
        )
        for like in conversation.self_likes
    ]
    parts = [
        html.P(translate("self_likes.intro", language), className="muted"),
        _shown(len(entries), conversation.metrics.self_likes, language),
        _listing("self-likes", entries, "empty.no_self_likes", language),
    ]
    return section(
        translate("section.self_likes", language),
        *[part for part in parts if part is not None],
        section_id="self-likes-section",
    )


def unanswered_export_href(scope: Scope, file_format: str) -> str:
    """The download of the unanswered and waiting messages of the page's period."""
    if scope.account is not None:
        query = urlencode({"account": scope.account.id, "period": scope.period.token})
        return f"/export/account-unanswered.{file_format}?{query}"
    assert scope.client is not None
    query = urlencode({"client": scope.client.id, "period": scope.period.token})
    return f"/export/unanswered.{file_format}?{query}"


def account_labels(scope: Scope) -> dict[int, str]:
    """Names of the accounts the page is about (id -> "X @handle")."""
    if scope.account is not None:
        return {scope.account.id: account_label(scope.account.platform, scope.account.handle)}
    assert scope.client is not None
    accounts = visible_accounts(scope.db, scope.viewer, scope.client.id)
    return {account.id: account_label(account.platform, account.handle) for account in accounts}


def unanswered_table(scope: Scope) -> Table:
    """Every missed and waiting customer message of the period, oldest first (downloads)."""
    language = scope.language
    labels = account_labels(scope)
    period = metrics_period(scope.period)
    subject = (
        {"account_id": scope.account.id}
        if scope.account is not None
        else {"client_id": scope.client.id if scope.client else 0}
    )
    found = [
        ("missed", item)
        for item in listed_items(
            api.unanswered_items(scope.db, **subject, period=period, now=scope.now, limit=None),
            labels,
        )
    ] + [
        ("waiting", item)
        for item in listed_items(
            api.waiting_items(scope.db, **subject, period=period, now=scope.now, limit=None),
            labels,
        )
    ]
    found.sort(key=lambda entry: (entry[1].created_at, entry[1].item_id))
    columns = (
        Column("status", translate("column.status", language)),
        Column("created", translate("column.created", language), "datetime"),
        Column("account", translate("column.account", language)),
        Column("author", translate("column.author", language)),
        Column("text", translate("column.text", language)),
        Column("question", translate("column.question", language)),
        Column("liked", translate("column.liked", language)),
        Column("age_hours", translate("column.age_hours", language), "decimal"),
        Column("settles", translate("column.settles", language), "datetime"),
        Column("link", translate("column.link", language), "link"),
    )
    rows = [
        {
            "status": metric_name(status, language),
            "created": item.created_at,
            "account": item.account_label,
            "author": item.author_handle,
            "text": item.text,
            "question": item.is_question,
            "liked": item.liked_by_own,
            # Hours for a spreadsheet: a number one can sort and sum.
            "age_hours": round(item.age_minutes / 60, 2),
            "settles": item.settles_at,
            "link": safe_href(item.permalink),
        }
        for status, item in found
    ]
    return make_table("unanswered", columns, rows, scope.zone)
