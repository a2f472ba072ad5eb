"""Names of the metrics and verdicts in the owner's languages (English, German).

The dashboard, the weekly email and the exports all take their wording from here, so an
owner reads the same words for the same number everywhere.
"""

from __future__ import annotations

from enum import StrEnum

LANGUAGES = ("en", "de")


class Verdict(StrEnum):
    NO_CONVERSATION = "no_conversation"
    INSUFFICIENT_DATA = "insufficient_data"
    BROADCAST_ONLY = "broadcast_only"
    RESPONSIVE = "responsive"
    PARTLY_RESPONSIVE = "partly_responsive"
    UNRESPONSIVE = "unresponsive"


VERDICT_NAMES: dict[str, dict[Verdict, str]] = {
    "en": {
        Verdict.NO_CONVERSATION: "no conversation",
        Verdict.INSUFFICIENT_DATA: "insufficient data",
        Verdict.BROADCAST_ONLY: "broadcast-only",
        Verdict.RESPONSIVE: "responsive",
        Verdict.PARTLY_RESPONSIVE: "partly responsive",
        Verdict.UNRESPONSIVE: "unresponsive",
    },
    "de": {
        Verdict.NO_CONVERSATION: "kein Gespräch",
        Verdict.INSUFFICIENT_DATA: "zu wenig Daten",
        Verdict.BROADCAST_ONLY: "nur Senden",
        Verdict.RESPONSIVE: "antwortet",
        Verdict.PARTLY_RESPONSIVE: "antwortet teilweise",
        Verdict.UNRESPONSIVE: "antwortet nicht",
    },
}

# One plain sentence per verdict, for owners who never read a metric definition.
VERDICT_EXPLANATIONS: dict[str, dict[Verdict, str]] = {
    "en": {
        Verdict.NO_CONVERSATION: (
            "The account posts, but nobody talks to it and it talks to nobody."
        ),
        Verdict.INSUFFICIENT_DATA: (
            "Too few customer messages to judge yet; posts and replies are still counted."
        ),
        Verdict.BROADCAST_ONLY: (
            "The account only posts: customers wrote, and none of them got an answer."
        ),
        Verdict.RESPONSIVE: "Customers get answers, and quickly.",
        Verdict.PARTLY_RESPONSIVE: "Most customers get an answer, but not all, or not quickly.",
        Verdict.UNRESPONSIVE: "Most customers who write get no answer.",
    },
    "de": {
        Verdict.NO_CONVERSATION: (
            "Das Konto postet, aber niemand spricht mit ihm, und es spricht mit niemandem."
        ),
        Verdict.INSUFFICIENT_DATA: (
            "Noch zu wenige Kundennachrichten für ein Urteil; Beiträge und Antworten werden "
            "trotzdem gezählt."
        ),
        Verdict.BROADCAST_ONLY: (
            "Das Konto sendet nur: Kunden haben geschrieben, und keiner bekam eine Antwort."
        ),
        Verdict.RESPONSIVE: "Kunden bekommen Antworten, und zwar schnell.",
        Verdict.PARTLY_RESPONSIVE: (
            "Die meisten Kunden bekommen eine Antwort, aber nicht alle oder nicht schnell."
        ),
        Verdict.UNRESPONSIVE: "Die meisten Kunden, die schreiben, bekommen keine Antwort.",
    },
}

METRIC_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "posts": "posts",
        "own_replies": "own replies",
        "inbound": "customer messages",
        "questions": "questions",
        "answered": "answered",
        "missed": "missed",
        "waiting": "waiting",
        "response_ratio": "response ratio",
        "question_response_ratio": "question response ratio",
        "response_time_median": "median response time",
        "response_time_p90": "response time (90th percentile)",
        "business_response_time_median": "median response time in business hours",
        "business_response_time_p90": "response time in business hours (90th percentile)",
        "within_target_ratio": "answered within target",
        "dialogue_share": "dialogue share",
        "interactions_per_post": "interactions per post",
        "engagement_rate": "engagement rate (per post, by followers)",
        "self_likes": "self-likes",
        "liked_not_answered": "liked but not answered",
        "removed_inbound": "removed customer messages",
        "uncovered_share": "messages arriving when nobody ever answers",
        "verdict": "verdict",
    },
    "de": {
        "posts": "Beiträge",
        "own_replies": "eigene Antworten",
        "inbound": "Kundennachrichten",
        "questions": "Fragen",
        "answered": "beantwortet",
        "missed": "verpasst",
        "waiting": "wartend",
        "response_ratio": "Antwortquote",
        "question_response_ratio": "Antwortquote bei Fragen",
        "response_time_median": "mittlere Antwortzeit (Median)",
        "response_time_p90": "Antwortzeit (90. Perzentil)",
        "business_response_time_median": "mittlere Antwortzeit in Geschäftszeiten",
        "business_response_time_p90": "Antwortzeit in Geschäftszeiten (90. Perzentil)",
        "within_target_ratio": "innerhalb der Zielzeit beantwortet",
        "dialogue_share": "Dialoganteil",
        "interactions_per_post": "Interaktionen pro Beitrag",
        "engagement_rate": "Interaktionsrate (pro Beitrag, je Follower)",
        "self_likes": "Selbst-Likes",
        "liked_not_answered": "geliked, aber nicht beantwortet",
        "removed_inbound": "entfernte Kundennachrichten",
        "uncovered_share": "Nachrichten zu Zeiten, in denen nie geantwortet wird",
        "verdict": "Urteil",
    },
}


def verdict_name(verdict: Verdict | str, language: str = "en") -> str:
    return VERDICT_NAMES[_language(language)][Verdict(verdict)]


def verdict_explanation(verdict: Verdict | str, language: str = "en") -> str:
    return VERDICT_EXPLANATIONS[_language(language)][Verdict(verdict)]


def metric_name(key: str, language: str = "en") -> str:
    return METRIC_NAMES[_language(language)][key]


def _language(language: str) -> str:
    return language if language in LANGUAGES else "en"
