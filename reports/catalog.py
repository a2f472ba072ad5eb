"""The weekly email's words: English in the code, German in the catalogue (metrics.texts).

Verdict and metric names come from metrics.labels, so the email uses the dashboard's
words; numbers, dates and durations come from metrics.formats. Everything here returns
plain text; the HTML template escapes it. The templates call ``_`` and ``ngettext`` (the
bound ``Wording.gettext`` / ``ngettext``), which is how Babel finds their message ids.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from metrics import formats
from metrics.labels import (
    metric_name,
    quality_qualifier,
    shown_text,
    verdict_explanation,
    verdict_name,
)
from metrics.periods import Period
from metrics.texts import N_, texts
from reports.snapshot import AccountVerdict, Renewal, Summary, VerdictChange
from storage.platforms import display_name

# How an account's verdict moved against the week before.
CHANGES = {
    VerdictChange.NEW: N_("first week"),
    VerdictChange.SAME: N_("unchanged"),
    VerdictChange.BETTER: N_("better than last week ({previous})"),
    VerdictChange.WORSE: N_("worse than last week ({previous})"),
    VerdictChange.CHANGED: N_("last week: {previous}"),
}

TEXT_LIMIT = 280
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Wording:
    """Phrases and formatted values for one language, relative to one moment (ages)."""

    def __init__(self, language: str, now: datetime) -> None:
        self._texts = texts(language)
        self.language = self._texts.language
        self.now = now

    # -- catalogue lookups --------------------------------------------------------------

    def gettext(self, message: str, /, **values: object) -> str:
        return self._texts.gettext(message, **values)

    def ngettext(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """The form for ``count``; ``{count}`` is the number as the language writes it."""
        return self._texts.ngettext(singular, plural, count, count=self.number(count), **values)

    # -- numbers, dates, durations ------------------------------------------------------

    def number(self, value: int) -> str:
        return formats.number(value, self.language)

    def percent(self, ratio: float) -> str:
        return formats.percent(ratio, self.language)

    def week_dates(self, week: Period) -> str:
        return formats.sentence_date_span(week.start, week.last_day, self.language)

    def duration(self, delta: timedelta) -> str:
        return formats.duration(delta, self.language, long=True)

    def ago(self, moment: datetime) -> str:
        return formats.ago(self.now - moment, self.language)

    def week_label(self, week: Period) -> str:
        return formats.week_short(week.label, self.language)

    def quoted(self, text: str, purge_reason: str | None = None) -> str:
        """A customer's words in quotes, or why they are gone (removed for privacy)."""
        if purge_reason is not None:
            return shown_text(text, purge_reason, self.language)
        return self.gettext("“{text}”", text=clean_text(text))

    # -- sentences ----------------------------------------------------------------------

    def summary(self, summary: Summary) -> str:
        """ "12 customer messages came in, 3 got an answer; the oldest … has waited 6 days." """
        if summary.inbound == 0:
            return self.gettext("No customer wrote this week.")
        inbound = self.ngettext(
            "{count} customer message came in", "{count} customer messages came in", summary.inbound
        )
        if summary.answered == summary.inbound:
            answered = self.ngettext("it got an answer", "all got an answer", summary.inbound)
        elif summary.answered == 0:
            answered = self.ngettext("it got no answer", "none got an answer", summary.inbound)
        else:
            answered = self.ngettext(
                "{count} got an answer", "{count} got an answer", summary.answered
            )
        sentence = f"{inbound}, {answered}"
        if summary.oldest_unanswered_age is not None and summary.answered < summary.inbound:
            oldest = self.gettext(
                "the oldest unanswered one has waited {age}",
                age=self.duration(summary.oldest_unanswered_age),
            )
            sentence += f"; {oldest}"
        return sentence + "."

    def platform(self, platform: str) -> str:
        return display_name(platform)

    def renewal(self, renewal: Renewal) -> str:
        """ "X @shop: the access ends on 2027-02-01; reconnect it before then"."""
        date = f"{renewal.ends:%Y-%m-%d}" if renewal.ends is not None else ""
        words = {
            "renew_soon": self.gettext(
                "the access ends on {date}; reconnect it before then", date=date
            ),
            "expired": self.gettext("the access has expired; reconnect it"),
            "revoked": self.gettext("the access was taken back; reconnect it"),
            "no_permission": self.gettext("a permission is missing; reconnect it and allow it"),
        }
        said = words.get(renewal.standing) or self.gettext(
            "the platform refused the access; reconnect it"
        )
        return f"{self.platform(renewal.platform)} {renewal.handle}: {said}"

    def verdict(self, account: AccountVerdict) -> str:
        return verdict_name(account.verdict, self.language)

    def explanation(self, account: AccountVerdict) -> str:
        return verdict_explanation(account.verdict, self.language)

    def change(self, account: AccountVerdict) -> str:
        previous = (
            verdict_name(account.previous_verdict, self.language)
            if account.previous_verdict is not None
            else ""
        )
        return self.gettext(CHANGES[account.change], previous=previous)

    def change_symbol(self, account: AccountVerdict) -> str:
        return {VerdictChange.BETTER: "▲", VerdictChange.WORSE: "▼"}.get(account.change, "")

    def ratio(self, account: AccountVerdict) -> str | None:
        if account.response_ratio is None:
            return None
        name = metric_name("response_ratio", self.language)
        ratio = self.percent(account.response_ratio)
        if account.previous_response_ratio is None:
            return self.gettext("{name} {ratio}", name=name, ratio=ratio)
        previous = self.percent(account.previous_response_ratio)
        return self.gettext(
            "{name} {ratio} (last week {previous})", name=name, ratio=ratio, previous=previous
        )

    def weeks_considered(self, account: AccountVerdict) -> str | None:
        if account.weeks_considered <= 1:
            return None
        # Its own context: in German the email says "über die letzten 4 Wochen" where the
        # dashboard's verdict window says "in den letzten 4 Wochen".
        return self._texts.pgettext(
            "email",
            "over the last {count} weeks",
            count=self.number(account.weeks_considered),
        )

    def qualifier(self, account: AccountVerdict) -> str | None:
        """ "mostly redirects and templates", beside the verdict when it applies."""
        return quality_qualifier(self.language) if account.hollow else None

    def quality(self, account: AccountVerdict) -> str | None:
        """The qualifier's evidence: how many answers said nothing, and the text sent
        most often."""
        if not account.hollow:
            return None
        sentence = self.gettext(
            "{hollow} of {answers} answers sent the customer elsewhere (DM, mail, phone) "
            "or repeated a pasted text.",
            hollow=self.number(account.redirects + account.templates),
            answers=self.number(account.answers),
        )
        if account.most_repeated is not None:
            text, count = account.most_repeated
            sentence += " " + self.gettext(
                "Sent most often ({count}×): “{text}”",
                count=self.number(count),
                text=clean_text(text),
            )
        return sentence

    def metric(self, key: str) -> str:
        return metric_name(key, self.language)


def clean_text(text: str, limit: int = TEXT_LIMIT) -> str:
    """Customer text for an email line: no control characters, one line, shortened."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"
