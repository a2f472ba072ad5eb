"""The counts behind a verdict in one sentence, as the dashboard and the audit report say it.

A business-hours median of "0 min" is true and misleading: it means at least half of the
answers came before the business opened (the clock of an item that arrives while closed
starts at the next opening, and an answer before then takes no business time). The
sentence says so, and quotes the median on the wall clock beside it; without business
hours the two clocks are one and the sentence says "median response time" plainly.
"""

from __future__ import annotations

from datetime import timedelta

from metrics import formats
from metrics.labels import Verdict
from metrics.results import VerdictResult
from metrics.settings import SettingsInForce
from metrics.texts import texts

# A business-hours median below this shows as "0 min": answered before the opening.
BEFORE_OPENING = timedelta(seconds=30)


def verdict_evidence(verdict: VerdictResult, settings: SettingsInForce, language: str) -> str:
    """The sentence under the verdict's name: the counts of its window."""
    wording = texts(language)
    inputs = verdict.inputs

    def n(value: int | float | None) -> str:
        return formats.number(value, language)

    match verdict.verdict:
        case Verdict.NO_CONVERSATION:
            return wording.gettext(
                "{posts} posts and not a single customer message. Interactions per "
                "post: {interactions}; likes by the own side on its own posts: "
                "{self_likes}.",
                posts=n(inputs.posts),
                interactions=formats.number(verdict.interactions_per_post, language, decimals=1),
                self_likes=n(verdict.self_likes),
            )
        case Verdict.INSUFFICIENT_DATA:
            return wording.ngettext(
                "Only {count} customer message could be judged; a verdict needs "
                "at least {needed}. {posts} posts and {own_replies} own replies.",
                "Only {count} customer messages could be judged; a verdict needs "
                "at least {needed}. {posts} posts and {own_replies} own replies.",
                inputs.settled,
                count=n(inputs.settled),
                needed=n(settings.min_settled),
                posts=n(inputs.posts),
                own_replies=n(inputs.own_replies),
            )
        case Verdict.BROADCAST_ONLY:
            return wording.gettext(
                "{posts} posts and not one reply, while {missed} customer messages "
                "went unanswered.",
                posts=n(inputs.posts),
                missed=n(inputs.missed),
            )
    values = {
        "answered": n(inputs.answered),
        "settled": n(inputs.settled),
        "ratio": formats.percent(inputs.response_ratio, language),
        "target": formats.duration(settings.response_target, language),
    }
    business, wall = inputs.business_median, inputs.wall_median
    if business is None:
        return wording.gettext(
            "{answered} of {settled} customer messages answered ({ratio}); without an "
            "answer there is no response time (target: {target}).",
            **values,
        )
    if not settings.business_hours:
        return wording.gettext(
            "{answered} of {settled} customer messages answered ({ratio}); "
            "median response time {median} (target: {target}).",
            median=formats.duration(business, language),
            **values,
        )
    quoted = {
        "median": formats.duration(business, language),
        "wall": formats.duration(wall, language),
        **values,
    }
    if business < BEFORE_OPENING and wall is not None and wall >= BEFORE_OPENING:
        return wording.gettext(
            "{answered} of {settled} customer messages answered ({ratio}); median "
            "response time in business hours {median}: at least half of the answers "
            "came before the business opened. On the clock the median is {wall} "
            "(target: {target}, in business hours).",
            **quoted,
        )
    return wording.gettext(
        "{answered} of {settled} customer messages answered ({ratio}); median "
        "response time in business hours {median}, on the clock {wall} (target: "
        "{target}, in business hours).",
        **quoted,
    )
