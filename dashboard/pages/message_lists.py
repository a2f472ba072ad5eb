"""The lists behind the numbers: missed and waiting customer messages (oldest first, with
their age), removed messages and self-likes. Customer text is always a plain string
child, which React shows as text whatever characters it holds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dash import html

from dashboard import formats
from dashboard.components import external_link, notice, section
from dashboard.i18n import translate
from dashboard.viewmodels import ListedItem, SelfLikeRow


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
            extra.append(html.Span(translate("item.liked", language), className="badge badge-warn"))
        entries.append(item_entry(item, zone, language, *extra))
    parts: list[Any] = [
        html.P(translate("unanswered.intro", language), className="muted"),
        _shown(len(items), total, language),
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
                    "item.settles",
                    language,
                    moment=formats.date_time(item.settles_at, zone, language),
                ),
                className="settles",
            ),
        )
        for item in items
    ]
    parts = [
        html.P(translate("waiting.intro", language, window=window), className="muted"),
        _shown(len(entries), total, language),
        _listing("waiting", entries, "empty.no_waiting", language),
    ]
    return section(
        translate("section.waiting", language),
        *[part for part in parts if part is not None],
        section_id="waiting-items",
    )


def removed_section(
    items: Sequence[ListedItem], total: int, zone: str, language: str
) -> html.Section:
    entries = []
    for item in items:
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
        _shown(len(entries), total, language),
        _listing("removed", entries, "empty.no_removed", language),
    ]
    return section(
        translate("section.removed", language),
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
                translate("item.liked_by", language, who=like.liker_handle or formats.MISSING),
                className="badge",
            ),
        )
        for like in likes
    ]
    parts = [
        html.P(translate("self_likes.intro", language), className="muted"),
        _shown(len(entries), total, language),
        _listing("self-likes", entries, "empty.no_self_likes", language),
    ]
    return section(
        translate("section.self_likes", language),
        *[part for part in parts if part is not None],
        section_id="self-likes-section",
    )
