"""The weekly email's words in English and German, and numbers and dates formatted by Babel.

Verdict and metric names come from metrics.labels, so the email uses the dashboard's
words. Everything here returns plain text; the HTML template escapes it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from babel import Locale
from babel.dates import format_interval, format_timedelta
from babel.numbers import format_decimal, format_percent

from metrics.labels import metric_name, verdict_explanation, verdict_name
from reports.snapshot import AccountVerdict, IsoWeek, Summary, VerdictChange
from storage.platforms import display_name

# One entry per phrase; a dict entry has plural forms (CLDR categories via Babel).
MESSAGES: dict[str, dict[str, str | dict[str, str]]] = {
    "en": {
        "subject.owner": "{client}, week {number}: {answered} of {inbound} customer messages "
        "answered",
        "subject.owner.quiet": "{client}, week {number}: no customer messages",
        "subject.digest": "Weekly digest, week {number}: {clients}",
        "clients": {"one": "1 client", "other": "{count} clients"},
        "greeting.named": "Hello {name},",
        "greeting": "Hello,",
        "intro.owner": "this is how {client} answered its customers on social media in week "
        "{number} ({dates}).",
        "intro.digest": "this is how your clients answered their customers on social media in "
        "week {number} ({dates}).",
        "summary.quiet": "No customer wrote this week.",
        "summary.inbound": {
            "one": "1 customer message came in",
            "other": "{count} customer messages came in",
        },
        "summary.all.one": "it got an answer",
        "summary.all": "all got an answer",
        "summary.none.one": "it got no answer",
        "summary.none": "none got an answer",
        "summary.some": "{answered} got an answer",
        "summary.oldest": "the oldest unanswered one has waited {age}",
        "heading.chart": "The last weeks",
        "chart.title": "Customer messages and answers per week",
        "chart.week": "W{number}",
        "heading.accounts": "Accounts",
        "heading.unanswered": "Still without an answer",
        "heading.client": "{client}",
        "change.new": "first week",
        "change.same": "unchanged",
        "change.better": "better than last week ({previous})",
        "change.worse": "worse than last week ({previous})",
        "change.changed": "last week: {previous}",
        "ratio": "{name} {ratio}",
        "ratio.previous": "{name} {ratio} (last week {previous})",
        "weeks_considered": "over the last {count} weeks",
        "item.by": "{author} on {platform}, {ago}",
        "item.someone": "someone",
        "item.quote": "“{text}”",
        "item.open": "Open on {platform}",
        "more": {"one": "and 1 more", "other": "and {count} more"},
        "dashboard": "Open the dashboard",
        "footer.owner": "You receive this email every Monday because you have access to "
        "{client} in replywatch. Times are in {time_zone}.",
        "footer.digest": "You receive this digest every Monday as a replywatch consultant.",
    },
    "de": {
        "subject.owner": "{client}, KW {number}: {answered} von {inbound} Kundennachrichten "
        "beantwortet",
        "subject.owner.quiet": "{client}, KW {number}: keine Kundennachrichten",
        "subject.digest": "Wochenübersicht KW {number}: {clients}",
        "clients": {"one": "1 Unternehmen", "other": "{count} Unternehmen"},
        "greeting.named": "Guten Tag {name},",
        "greeting": "Guten Tag,",
        "intro.owner": "so hat {client} in der Kalenderwoche {number} ({dates}) auf Kunden in "
        "den sozialen Medien geantwortet.",
        "intro.digest": "so haben Ihre Unternehmen in der Kalenderwoche {number} ({dates}) auf "
        "Kunden in den sozialen Medien geantwortet.",
        "summary.quiet": "Diese Woche hat kein Kunde geschrieben.",
        "summary.inbound": {
            "one": "1 Kundennachricht kam herein",
            "other": "{count} Kundennachrichten kamen herein",
        },
        "summary.all.one": "sie bekam eine Antwort",
        "summary.all": "alle bekamen eine Antwort",
        "summary.none.one": "sie bekam keine Antwort",
        "summary.none": "keine bekam eine Antwort",
        "summary.some": "{answered} bekamen eine Antwort",
        "summary.some.one": "1 bekam eine Antwort",
        "summary.oldest": "die älteste unbeantwortete wartet schon {age}",
        "heading.chart": "Die letzten Wochen",
        "chart.title": "Kundennachrichten und Antworten pro Woche",
        "chart.week": "KW {number}",
        "heading.accounts": "Konten",
        "heading.unanswered": "Noch ohne Antwort",
        "heading.client": "{client}",
        "change.new": "erste Woche",
        "change.same": "unverändert",
        "change.better": "besser als letzte Woche ({previous})",
        "change.worse": "schlechter als letzte Woche ({previous})",
        "change.changed": "letzte Woche: {previous}",
        "ratio": "{name} {ratio}",
        "ratio.previous": "{name} {ratio} (letzte Woche {previous})",
        "weeks_considered": "über die letzten {count} Wochen",
        "item.by": "{author} auf {platform}, {ago}",
        "item.someone": "jemand",
        "item.quote": "„{text}“",
        "item.open": "Auf {platform} öffnen",
        "more": {"one": "und 1 weitere", "other": "und {count} weitere"},
        "dashboard": "Dashboard öffnen",
        "footer.owner": "Sie erhalten diese E-Mail jeden Montag, weil Sie in replywatch Zugriff "
        "auf {client} haben. Zeiten in {time_zone}.",
        "footer.digest": "Sie erhalten diese Übersicht jeden Montag als Berater in replywatch.",
    },
}

TEXT_LIMIT = 280
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Wording:
    """Phrases and formatted values for one language, relative to one moment (ages)."""

    def __init__(self, language: str, now: datetime) -> None:
        self.language = language if language in MESSAGES else "en"
        self.locale = Locale.parse(self.language)
        self.now = now

    # -- catalogue lookups --------------------------------------------------------------

    def __call__(self, key: str, **values: object) -> str:
        entry = MESSAGES[self.language].get(key)
        if entry is None:
            entry = MESSAGES["en"][key]
        if isinstance(entry, dict):
            raise KeyError(f"{key} has plural forms; use plural()")
        return entry.format(**values)

    def plural(self, key: str, count: int, **values: object) -> str:
        forms = MESSAGES[self.language][key]
        assert isinstance(forms, dict)
        form = forms.get(self.locale.plural_form(count), forms["other"])
        return form.format(count=self.number(count), **values)

    def has(self, key: str) -> bool:
        return key in MESSAGES[self.language]

    # -- numbers, dates, durations ------------------------------------------------------

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, ratio: float) -> str:
        return format_percent(ratio, locale=self.locale)

    def week_dates(self, week: IsoWeek) -> str:
        return format_interval(week.monday, week.sunday, "yMMMd", locale=self.locale)

    def duration(self, delta: timedelta) -> str:
        unit, _ = _unit_for(delta)
        return format_timedelta(
            delta, granularity=unit, threshold=1_000_000, format="long", locale=self.locale
        )

    def ago(self, moment: datetime) -> str:
        delta = max(self.now - moment, timedelta(minutes=1))
        unit, _ = _unit_for(delta)
        return format_timedelta(
            -delta, granularity=unit, threshold=1_000_000, add_direction=True, locale=self.locale
        )

    def week_label(self, week: IsoWeek) -> str:
        return self("chart.week", number=week.week)

    # -- sentences ----------------------------------------------------------------------

    def summary(self, summary: Summary) -> str:
        """ "12 customer messages came in, 3 got an answer; the oldest … has waited 6 days." """
        if summary.inbound == 0:
            return self("summary.quiet")
        inbound = self.plural("summary.inbound", summary.inbound)
        if summary.answered == summary.inbound:
            answered = self("summary.all.one" if summary.inbound == 1 else "summary.all")
        elif summary.answered == 0:
            answered = self("summary.none.one" if summary.inbound == 1 else "summary.none")
        elif summary.answered == 1 and self.has("summary.some.one"):
            answered = self("summary.some.one")
        else:
            answered = self("summary.some", answered=self.number(summary.answered))
        sentence = f"{inbound}, {answered}"
        if summary.oldest_unanswered_age is not None and summary.answered < summary.inbound:
            oldest = self("summary.oldest", age=self.duration(summary.oldest_unanswered_age))
            sentence += f"; {oldest}"
        return sentence + "."

    def platform(self, platform: str) -> str:
        return display_name(platform)

    def verdict(self, account: AccountVerdict) -> str:
        return verdict_name(account.verdict, self.language)

    def explanation(self, account: AccountVerdict) -> str:
        return verdict_explanation(account.verdict, self.language)

    def change(self, account: AccountVerdict) -> str:
        change = account.change
        previous = (
            verdict_name(account.previous_verdict, self.language)
            if account.previous_verdict is not None
            else ""
        )
        return self(f"change.{change.value}", previous=previous)

    def change_symbol(self, account: AccountVerdict) -> str:
        return {VerdictChange.BETTER: "▲", VerdictChange.WORSE: "▼"}.get(account.change, "")

    def ratio(self, account: AccountVerdict) -> str | None:
        if account.response_ratio is None:
            return None
        name = metric_name("response_ratio", self.language)
        ratio = self.percent(account.response_ratio)
        if account.previous_response_ratio is None:
            return self("ratio", name=name, ratio=ratio)
        previous = self.percent(account.previous_response_ratio)
        return self("ratio.previous", name=name, ratio=ratio, previous=previous)

    def weeks_considered(self, account: AccountVerdict) -> str | None:
        if account.weeks_considered <= 1:
            return None
        return self("weeks_considered", count=self.number(account.weeks_considered))

    def metric(self, key: str) -> str:
        return metric_name(key, self.language)


def _unit_for(delta: timedelta) -> tuple[str, float]:
    # Minutes under an hour, hours under two days, then days: what an owner would say.
    seconds = delta.total_seconds()
    if seconds < 3600:
        return "minute", seconds / 60
    if seconds < 48 * 3600:
        return "hour", seconds / 3600
    return "day", seconds / 86400


def clean_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """Customer text for an email line: no control characters, one line, shortened."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"
