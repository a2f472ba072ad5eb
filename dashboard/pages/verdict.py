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
    name: list[Any] = [
        html.Span(view.name, className=f"verdict-badge verdict-{view.verdict.value}")
    ]
    if view.qualifier:
        name += [" ", html.Span(view.qualifier, className="quality-badge", id="verdict-qualifier")]
    parts: list[Any] = [
        html.P(name, className="verdict-name", id="verdict-name"),
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
    if view.qualifier:
        parts.extend(quality_evidence(view, zone, language))
    return section(translate("Verdict", language), *parts, section_id="verdict")


def quality_evidence(view: VerdictView, zone: str, language: str) -> list[Any]:
    """Why the verdict says "mostly redirects and templates": the counts, the replies sent
    most often, and the latest redirects, each with a link to the platform."""
    parts: list[Any] = [
        html.P(
            translate(
                "{hollow} of {answers} answers sent the customer elsewhere (DM, mail, "
                "phone) or repeated a pasted text: {redirects} redirects, {templates} "
                "templates.",
                language,
                hollow=_n(view.redirects + view.templates, language),
                answers=_n(view.answering, language),
                redirects=_n(view.redirects, language),
                templates=_n(view.templates, language),
            ),
            id="verdict-quality",
        )
    ]
    if view.repeated:
        parts.append(html.H3(translate("Sent most often", language)))
        parts.append(
            html.Ol(
                [
                    html.Li(
                        [
                            html.Span(
                                translate("{count}×", language, count=_n(r.count, language)),
                                className="repeat-count",
                            ),
                            " ",
                            html.Q(_quote(r.latest.text)),
                            " ",
                            external_link(translate("open", language), r.latest.permalink),
                        ]
                    )
                    for r in view.repeated
                ],
                className="evidence",
                id="verdict-repeated",
            )
        )
    if view.redirect_examples:
        parts.append(html.H3(translate("Sent elsewhere, newest first", language)))
        parts.append(
            html.Ol(
                [
                    html.Li(
                        [
                            html.Time(formats.date_time(item.created_at, zone, language)),
                            ": ",
                            html.Q(_quote(item.text)),
                            " ",
                            external_link(translate("open", language), item.permalink),
                        ]
                    )
                    for item in view.redirect_examples
                ],
                className="evidence",
                id="verdict-redirects",
            )
        )
    return parts
