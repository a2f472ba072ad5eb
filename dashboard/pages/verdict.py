"""The verdict in plain words: its name, what it means, the counts behind it, and the
unanswered messages that are its evidence (oldest first, linked to the platform)."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboard.components import external_link, section
from dashboard.i18n import translate
from dashboard.viewmodels import VerdictView
from metrics import formats
from metrics.labels import shown_text

EVIDENCE_TEXT = 140  # characters of a message quoted in the verdict's evidence


def _n(value: int | float | None, language: str) -> str:
    return formats.number(value, language)


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
                translate(
                    "Judged {window} ({span}): the period alone had too few customer messages.",
                    language,
                    window=view.window_text,
                    span=span,
                ),
                className="muted",
                id="verdict-window",
            )
        )
    parts.append(html.P(view.evidence, id="verdict-evidence"))
    if view.unanswered:
        parts.append(html.H3(translate("Not answered, oldest first", language)))
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
                            html.Q(_quote(item.text))
                            if item.purge_reason is None
                            else html.Span(
                                shown_text(item.text, item.purge_reason, language),
                                className="muted",
                            ),
                            " ",
                            external_link(translate("open", language), item.permalink),
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
                    translate(
                        "… and {count} more in this window.", language, count=_n(more, language)
                    ),
                    className="muted",
                )
            )
    return section(translate("Verdict", language), *parts, section_id="verdict")
