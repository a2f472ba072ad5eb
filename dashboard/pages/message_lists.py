"""The lists behind the numbers: missed and waiting customer messages (oldest first, with
their age), removed messages and self-likes. Customer text is always a plain string
child, which React shows as text whatever characters it holds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dash import html

from dashboard.components import external_link, notice, section
from dashboard.i18n import N_, translate
from dashboard.states import REMOVAL_REASONS, state_text
from dashboard.viewmodels import ListedItem, SelfLikeRow
from metrics import formats
from metrics.labels import shown_text


def _n(value: int | float | None, language: str) -> str:
    return formats.number(value, language)


def item_entry(item: ListedItem, zone: str, language: str, *extra: Any) -> html.Li:
    """A customer message: when, who, on which account, the text as text, the link."""
    meta: list[Any] = [
        html.Time(formats.date_time(item.created_at, zone, language)),
        html.Span(item.author_handle or formats.MISSING, className="author"),
        html.Span(item.account_label, className="kind"),
        *extra,
    ]
    if item.is_question:
        meta.append(html.Span(translate("question", language), className="badge"))
    meta.append(
        html.Span(
            external_link(translate("open", language), item.permalink),
            className="item-link",
        )
    )
    return html.Li(
        [
            html.Div(meta, className="item-meta"),
            # Plain string child: React shows it as text, whatever characters it holds.
            html.P(shown_text(item.text, item.purge_reason, language), className="item-text"),
        ],
        className="item" + (" item-removed" if item.removed_at else ""),
    )


def _age(item: ListedItem, language: str) -> html.Span:
    age = formats.duration(item.age_minutes, language)
    return html.Span(translate("{age} ago", language, age=age), className="age")


def _shown(shown: int, total: int, language: str) -> Any:
    if total <= shown:
        return None
    return html.P(
        translate(
            "The first {shown} of {total}.",
            language,
            shown=_n(shown, language),
            total=_n(total, language),
        ),
        className="muted",
    )


def _listing(list_id: str, entries: list[Any], empty: str, language: str) -> Any:
    if not entries:
        return notice(translate(empty, language))
    return html.Ol(entries, className="items", id=list_id)


def unanswered_section(
    items: Sequence[ListedItem],
    total: int,
    zone: str,
    language: str,
    export_href: Callable[[str], str] | None = None,
) -> html.Section:
    """The missed messages (the first of ``total``), with the downloads of all of them."""
    entries = []
    for item in items:
        extra: list[Any] = [_age(item, language)]
        if item.liked_by_own:
            extra.append(
                html.Span(translate("liked, not answered", language), className="badge badge-warn")
            )
        entries.append(item_entry(item, zone, language, *extra))
    parts: list[Any] = [
        html.P(
            translate(
                "Missed in this period (their answer window has passed), oldest first.", language
            ),
            className="muted",
        ),
        _shown(len(items), total, language),
        _listing(
            "unanswered", entries, N_("No customer message of this period was missed."), language
        ),
    ]
    if export_href is not None:
        parts.append(
            html.P(
                [
                    html.Span(
                        translate("Every unanswered and waiting message of the period:", language)
                    ),
                    html.A(translate("Download CSV", language), href=export_href("csv"),
                           className="button", id="unanswered-csv", download=""),
                    html.A(translate("Download Excel", language), href=export_href("xlsx"),
                           className="button", id="unanswered-xlsx", download=""),
                ],
                className="exports",
            )
        )  # fmt: skip
    return section(
        translate("Unanswered customer messages", language),
        *[part for part in parts if part is not None],
        section_id="unanswered-items",
    )


def waiting_section(
    items: Sequence[ListedItem], total: int, window_minutes: float, zone: str, language: str
) -> html.Section:
    """Messages inside their answer window (``window_minutes`` long), not answered yet."""
    window = formats.duration(window_minutes, language)
    entries = [
        item_entry(
            item,
            zone,
            language,
            _age(item, language),
            html.Span(
                translate(
                    "counts as missed from {moment}",
                    language,
                    moment=formats.date_time(item.settles_at, zone, language),
                ),
                className="settles",
            ),
        )
        for item in items
    ]
    parts = [
        html.P(
            translate(
                "Not answered yet but still inside the answer window of {window}, oldest first.",
                language,
                window=window,
            ),
            className="muted",
        ),
        _shown(len(entries), total, language),
        _listing("waiting", entries, N_("Nothing is waiting."), language),
    ]
    return section(
        translate("Waiting for an answer", language),
        *[part for part in parts if part is not None],
        section_id="waiting-items",
    )


def removed_section(
    items: Sequence[ListedItem], total: int, zone: str, language: str
) -> html.Section:
    entries = []
    for item in items:
        reason = state_text(REMOVAL_REASONS, item.removed_reason or "deleted", language)
        entries.append(
            item_entry(
                item,
                zone,
                language,
                html.Span(
                    translate(
                        "{reason} {moment}",
                        language,
                        reason=reason,
                        moment=formats.date_time(item.removed_at, zone, language),
                    ),
                    className="badge badge-warn",
                ),
            )
        )
    parts = [
        html.P(
            translate(
                "Customer messages of this period deleted or hidden after they were collected.",
                language,
            ),
            className="muted",
        ),
        _shown(len(entries), total, language),
        _listing(
            "removed", entries, N_("No customer message of this period was removed."), language
        ),
    ]
    return section(
        translate("Removed customer messages", language),
        *[part for part in parts if part is not None],
        section_id="removed-items",
    )


def self_likes_section(
    likes: Sequence[SelfLikeRow], total: int, zone: str, language: str
) -> html.Section:
    entries = [
        item_entry(
            like.item,
            zone,
            language,
            html.Span(
                translate("liked by {who}", language, who=like.liker_handle or formats.MISSING),
                className="badge",
            ),
        )
        for like in likes
    ]
    parts = [
        html.P(
            translate(
                "Likes by the account itself or its staff on its own items of this period.",
                language,
            ),
            className="muted",
        ),
        _shown(len(entries), total, language),
        _listing("self-likes", entries, N_("No self-likes in this period."), language),
    ]
    return section(
        translate("Self-likes", language),
        *[part for part in parts if part is not None],
        section_id="self-likes-section",
    )
