"""Names of the metrics and verdicts, translated through the catalogues of metrics.texts.

The dashboard, the weekly email, the exports and the command line all take their wording
from here, so an owner reads the same words for the same number everywhere. The English
names are the message ids; the German ones are in the catalogue.
"""

from __future__ import annotations

from enum import StrEnum

from metrics.texts import LANGUAGES, N_, texts

__all__ = [
    "LANGUAGES",
    "METRIC_NAMES",
    "OUTCOME_NAMES",
    "PURGE_NOTES",
    "QUALITY_QUALIFIER",
    "REMOVAL_REASONS",
    "VERDICT_EXPLANATIONS",
    "VERDICT_NAMES",
    "WEEKDAYS",
    "Verdict",
    "metric_name",
    "quality_qualifier",
    "shown_text",
    "verdict_explanation",
    "verdict_name",
    "weeks_judged",
]


class Verdict(StrEnum):
    NO_CONVERSATION = "no_conversation"
    INSUFFICIENT_DATA = "insufficient_data"
    BROADCAST_ONLY = "broadcast_only"
    RESPONSIVE = "responsive"
    PARTLY_RESPONSIVE = "partly_responsive"
    UNRESPONSIVE = "unresponsive"


VERDICT_NAMES: dict[Verdict, str] = {
    Verdict.NO_CONVERSATION: N_("no conversation"),
    Verdict.INSUFFICIENT_DATA: N_("insufficient data"),
    Verdict.BROADCAST_ONLY: N_("broadcast-only"),
    Verdict.RESPONSIVE: N_("responsive"),
    Verdict.PARTLY_RESPONSIVE: N_("partly responsive"),
    Verdict.UNRESPONSIVE: N_("unresponsive"),
}

# One plain sentence per verdict, for owners who never read a metric definition.
VERDICT_EXPLANATIONS: dict[Verdict, str] = {
    Verdict.NO_CONVERSATION: N_(
        "The account posts, but nobody talks to it and it talks to nobody."
    ),
    Verdict.INSUFFICIENT_DATA: N_(
        "Too few customer messages to judge yet; posts and replies are still counted."
    ),
    Verdict.BROADCAST_ONLY: N_(
        "The account only posts: customers wrote, and none of them got an answer."
    ),
    Verdict.RESPONSIVE: N_("Customers get answers, and quickly."),
    Verdict.PARTLY_RESPONSIVE: N_("Most customers get an answer, but not all, or not quickly."),
    Verdict.UNRESPONSIVE: N_("Most customers who write get no answer."),
}

METRIC_NAMES: dict[str, str] = {
    "posts": N_("posts"),
    "own_replies": N_("own replies"),
    "inbound": N_("customer messages"),
    "questions": N_("questions"),
    "answered": N_("answered"),
    "missed": N_("missed"),
    "waiting": N_("waiting"),
    "response_ratio": N_("response ratio"),
    "question_response_ratio": N_("question response ratio"),
    "response_time_median": N_("median response time"),
    "response_time_p90": N_("response time (90th percentile)"),
    "business_response_time_median": N_("median response time in business hours"),
    "business_response_time_p90": N_("response time in business hours (90th percentile)"),
    "within_target_ratio": N_("answered within target"),
    "dialogue_share": N_("dialogue share"),
    "interactions_per_post": N_("interactions per post"),
    "engagement_rate": N_("engagement rate (per post, by followers)"),
    "self_likes": N_("self-likes"),
    "liked_not_answered": N_("liked but not answered"),
    "removed_inbound": N_("removed customer messages"),
    "acknowledgments": N_("acknowledgments"),
    "customer_conversation": N_("customers among themselves"),
    "answering_replies": N_("answers"),
    "redirect_share": N_("redirects"),
    "template_share": N_("templates"),
    "substantive_ratio": N_("substantively answered"),
    "uncovered_share": N_("messages arriving when nobody ever answers"),
    "verdict": N_("verdict"),
}


# How a collection run ended (``CollectionRun.outcome``), and why an item is gone: the
# dashboard's collection status and the audit report's method section say the same.
OUTCOME_NAMES: dict[str, str] = {
    "running": N_("running"),
    "ok": N_("ok"),
    "partial": N_("partial"),
    "rate_limited": N_("rate limited"),
    "credentials": N_("credentials refused"),
    "failed": N_("failed"),
    "interrupted": N_("interrupted"),
}
REMOVAL_REASONS: dict[str, str] = {"deleted": N_("deleted"), "hidden": N_("hidden")}
# What stands where a text was removed for privacy (Item.purge_reason, storage/privacy.py).
PURGE_NOTES: dict[str, str] = {
    "retention": N_("[text removed after the retention period]"),
    "erasure": N_("[removed at the author's request]"),
}
# Monday first, as ISO weeks and the hour-of-week charts count.
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def verdict_name(verdict: Verdict | str, language: str = "en") -> str:
    return texts(language).gettext(VERDICT_NAMES[Verdict(verdict)])


def verdict_explanation(verdict: Verdict | str, language: str = "en") -> str:
    return texts(language).gettext(VERDICT_EXPLANATIONS[Verdict(verdict)])


def metric_name(key: str, language: str = "en") -> str:
    return texts(language).gettext(METRIC_NAMES[key])


def shown_text(text: str, purge_reason: str | None, language: str = "en") -> str:
    """An item's text, or what says why it is gone when privacy removed it."""
    if purge_reason is None:
        return text
    note = PURGE_NOTES.get(purge_reason, PURGE_NOTES["erasure"])
    return texts(language).gettext(note)


# Beside the verdict when most answers send the customer elsewhere or repeat one text.
QUALITY_QUALIFIER = N_("mostly redirects and templates")


def quality_qualifier(language: str = "en") -> str:
    return texts(language).gettext(QUALITY_QUALIFIER)


def weeks_judged(weeks: int, language: str = "en") -> str:
    """A widened verdict's window: "over the last 5 weeks" / "in den letzten 5 Wochen"."""
    return texts(language).ngettext("over the last week", "over the last {count} weeks", weeks)
