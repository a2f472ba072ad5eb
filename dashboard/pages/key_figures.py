"""The key figures of a period as tiles: each value with what it is out of and how it
compares with the period before."""

from __future__ import annotations

from dash import html

from dashboard.components import section
from dashboard.i18n import translate, translate_plural
from dashboard.viewmodels import KeyFigures
from metrics import formats
from metrics.labels import metric_name


def _n(value: int | float | None, language: str) -> str:
    return formats.number(value, language)


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
            "95% interval {interval}",
            language,
            interval=formats.interval(figures.ratio_low, figures.ratio_high, language),
        )
        if figures.ratio_low is not None
        else None,
        translate(
            "{change} against the period before ({before})",
            language,
            change=formats.points(figures.ratio_change, language),
            before=pct(figures.previous_response_ratio),
        )
        if figures.ratio_change is not None
        else translate(
            "period before: {value}", language, value=pct(figures.previous_response_ratio)
        ),
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
                "in business hours: {value}; target {target}",
                language,
                value=minutes(figures.business_median_minutes),
                target=target,
            )
            if figures.business_hours
            else translate("target {target}", language, target=target),
            translate("90% within {value}", language, value=minutes(figures.p90_minutes))
            if figures.p90_minutes is not None
            else None,
            translate(
                "period before: {value}", language, value=minutes(figures.previous_median_minutes)
            ),
        ),
        _tile(
            "within-target",
            name("within_target_ratio"),
            pct(figures.within_target_ratio),
            translate("target {target}", language, target=target),
        ),
        _tile(
            "dialogue-share",
            name("dialogue_share"),
            pct(figures.dialogue_share),
            translate(
                "{replies} own replies, {posts} posts",
                language,
                replies=_n(figures.own_replies, language),
                posts=_n(figures.posts, language),
            ),
            translate(
                "{change} against the period before ({before})",
                language,
                change=formats.points(figures.dialogue_change, language),
                before=pct(figures.previous_dialogue_share),
            )
            if figures.dialogue_change is not None
            else translate(
                "period before: {value}", language, value=pct(figures.previous_dialogue_share)
            ),
        ),
        _tile(
            "inbound",
            name("inbound"),
            _n(figures.inbound, language),
            translate_plural(
                "{count} of them a question",
                "{count} of them questions",
                figures.questions,
                language,
                count=_n(figures.questions, language),
            ),
            translate(
                "besides: {thanks} thanks after an answer, {chat} between customers",
                language,
                thanks=_n(figures.acknowledgments, language),
                chat=_n(figures.customer_conversation, language),
            )
            if figures.acknowledgments or figures.customer_conversation
            else None,
        ),
        _tile(
            "substantive",
            name("substantive_ratio"),
            pct(figures.substantive_ratio),
            translate(
                "of {count} answers: {redirects} sent elsewhere, {templates} pasted texts",
                language,
                count=_n(figures.answering_replies, language),
                redirects=pct(figures.redirect_share),
                templates=pct(figures.template_share),
            )
            if figures.answering_replies
            else None,
        ),
        _tile(
            "outcomes",
            outcomes,
            " · ".join(
                _n(value, language) for value in (figures.answered, figures.missed, figures.waiting)
            ),
            translate(
                "the oldest has waited {age}",
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
            translate_plural(
                "{count} follower",
                "{count} followers",
                figures.followers,
                language,
                count=_n(figures.followers, language),
            )
            if figures.followers is not None
            else translate("follower count not known", language),
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
        translate("Key figures", language),
        html.Div(tiles, className="figures"),
        section_id="key-figures",
    )
