"""An :class:`~reports.audit.Audit` as a printable HTML page in the reader's language.

Every value is formatted here (``metrics.formats``) and every sentence comes from the
catalogue (``metrics.texts``); the template (``templates/audit.html.j2``) only places
them. Jinja2 escapes everything it is given, so a customer's ``<script>`` prints as those
characters. Two things are not escaped by Jinja2 and are made safe here instead: the
chart SVGs (drawn by Plotly and by ``reports.audit_charts`` from our own labels and
numbers) and the footer's text, which lives in a CSS string (``css_string``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from metrics import api, formats
from metrics.evidence import verdict_evidence
from metrics.labels import OUTCOME_NAMES, REMOVAL_REASONS, metric_name, shown_text
from metrics.texts import texts
from reports.audit import Audit
from reports.render import safe_url
from storage.platforms import display_name

TEMPLATES = Path(__file__).parent / "templates"
TEXT_LIMIT = 1200  # characters of one customer message; an entry must fit on a page
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CSS_PLAIN = re.compile(r"[\w .,:;()/–—·-]", re.UNICODE)


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string: letters, digits and a few marks as they are,
    everything else (quotes, backslashes, ``<``, line breaks) as a CSS hex escape, so
    nothing can end the string or the style element."""
    escaped = "".join(char if _CSS_PLAIN.fullmatch(char) else f"\\{ord(char):06x}" for char in text)
    return Markup(f'"{escaped}"')


def page_counter(template: str) -> Markup:
    """A CSS ``content`` value from "Page {page} of {pages}" in the reader's language."""
    parts: list[str] = []
    for piece in re.split(r"(\{page\}|\{pages\})", template):
        if piece == "{page}":
            parts.append("counter(page)")
        elif piece == "{pages}":
            parts.append("counter(pages)")
        elif piece:
            parts.append(str(css_string(piece)))
    return Markup(" ".join(parts))


def clean(text: str, limit: int = TEXT_LIMIT) -> str:
    """A customer's text for print: no control characters, at most ``limit`` characters."""
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Entry:
    """One message of the evidence, formatted."""

    when: str
    account: str
    author: str
    text: str
    link: str | None
    notes: tuple[str, ...]


def account_label(platform: str, handle: str) -> str:
    return f"{display_name(platform)} {handle}"


class AuditPage:
    """The formatted values of one audit in one language (what the template reads)."""

    def __init__(self, audit: Audit, language: str) -> None:
        self.audit = audit
        self.wording = texts(language)
        self.language = self.wording.language
        self.zone = audit.time_zone
        self.labels = {a.account_id: account_label(a.platform, a.handle) for a in audit.accounts}

    # -- values ---------------------------------------------------------------------------

    def _(self, message: str, /, **values: object) -> str:
        return self.wording.gettext(message, **values)

    def ngettext(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        return self.wording.ngettext(
            singular, plural, count, count=formats.number(count, self.language), **values
        )

    def number(self, value: float | None, decimals: int = 0) -> str:
        return formats.number(value, self.language, decimals)

    def percent(self, value: float | None) -> str:
        return formats.percent(value, self.language)

    def duration(self, value: Any) -> str:
        return formats.duration(value, self.language)

    def moment(self, value: datetime | None) -> str:
        return formats.date_time(value, self.zone, self.language)

    def day(self, value: Any) -> str:
        return formats.day(value, self.language)

    def metric(self, key: str) -> str:
        return formats.heading(metric_name(key, self.language))

    @property
    def span(self) -> str:
        period = self.audit.period
        return formats.date_span(period.start, period.last_day, self.language)

    @property
    def weeks(self) -> str:
        days = self.audit.period.days
        if days % 7:
            return self.ngettext("{count} day", "{count} days", days)
        return self.ngettext("{count} week", "{count} weeks", days // 7)

    @property
    def footer(self) -> Markup:
        return css_string(f"{self.audit.client_name} · {self.span}")

    @property
    def page_numbers(self) -> Markup:
        return page_counter(self._("Page {page} of {pages}"))

    # -- the verdict and the contract ----------------------------------------------------

    @property
    def verdict(self) -> api.VerdictResult:
        return self.audit.metrics.verdict

    @property
    def evidence(self) -> str:
        return verdict_evidence(self.verdict, self.audit.settings, self.language)

    @property
    def window_note(self) -> str | None:
        verdict = self.verdict
        if not verdict.widened:
            return None
        return self._(
            "Judged {window} ({span}): the period alone had too few customer messages.",
            window=verdict.window_text(self.language) or "",
            span=formats.date_span(verdict.window.start, verdict.window.last_day, self.language),
        )

    def contract(self) -> list[tuple[str, str]]:
        settings = self.audit.settings
        return [
            (self._("Response-time target"), self._(
                "{target} in business hours", target=self.duration(settings.response_target)
            ) if settings.business_hours else self.duration(settings.response_target)),
            (self._("Answer window"), self.duration(settings.answer_window)),
            (
                self._("Business hours"),
                settings.business_hours or self._("around the clock"),
            ),
            (self._("Public holidays"), settings.holiday_region or self._("none")),
            (self._("Time zone"), settings.time_zone),
            (
                self._("Verdict thresholds"),
                self._(
                    "responsive: at least {responsive} answered and the median within the "
                    "target; partly responsive: at least {partly}; judged on at least "
                    "{settled} settled messages",
                    responsive=self.percent(settings.responsive_ratio),
                    partly=self.percent(settings.partly_responsive_ratio),
                    settled=self.number(settings.min_settled),
                ),
            ),
        ]  # fmt: skip

    def account_rows(self) -> list[dict[str, str]]:
        by_id = {m.subject.id: m for m in self.audit.metrics.accounts}
        rows = []
        for account in self.audit.accounts:
            found = by_id.get(account.account_id)
            rows.append(
                {
                    "account": self.labels[account.account_id],
                    "verdict": found.verdict.name(self.language) if found else formats.MISSING,
                    "verdict_key": str(found.verdict.verdict) if found else "",
                    "ratio": self.percent(found.response_ratio if found else None),
                    "median": self.duration(found.response_time.median if found else None),
                    "missed": self.number(found.missed if found else None),
                    "inbound": self.number(found.inbound if found else None),
                }
            )
        return rows

    # -- key figures against the target --------------------------------------------------

    def key_figures(self) -> list[dict[str, str]]:
        m, settings = self.audit.metrics, self.audit.settings
        interval = m.response_ratio_interval
        met, missed_target = self._("met"), self._("not met")

        def status(ok: bool | None) -> str:
            return "" if ok is None else (met if ok else missed_target)

        business = m.business_response_time.median
        target = settings.response_target
        rows = [
            {
                "name": self.metric("response_ratio"),
                "value": self.percent(m.response_ratio),
                "note": self._(
                    "95% interval {interval}",
                    interval=formats.interval(interval.low, interval.high, self.language),
                )
                if interval
                else "",
                "target": self._("at least {ratio}", ratio=self.percent(settings.responsive_ratio)),
                "status": status(
                    None
                    if m.response_ratio is None
                    else m.response_ratio >= settings.responsive_ratio
                ),
            },
            {
                "name": self.metric("business_response_time_median")
                if settings.business_hours
                else self.metric("response_time_median"),
                "value": self.duration(business),
                "note": self._("on the clock: {value}", value=self.duration(m.response_time.median))
                if settings.business_hours
                else "",
                "target": self._("at most {target}", target=self.duration(target)),
                "status": status(None if business is None else business <= target),
            },
            {
                "name": self.metric("within_target_ratio"),
                "value": self.percent(m.within_target_ratio),
                "note": self._(
                    "{count} of {settled} settled messages",
                    count=self.number(m.within_target),
                    settled=self.number(m.settled),
                ),
                "target": self._("within {target}", target=self.duration(target)),
                "status": "",
            },
            {
                "name": self.metric("question_response_ratio"),
                "value": self.percent(m.question_response_ratio),
                "note": self._(
                    "{answered} of {questions} questions answered",
                    answered=self.number(m.answered_questions),
                    questions=self.number(m.answered_questions + m.missed_questions),
                ),
                "target": "",
                "status": "",
            },
        ]
        plain = [
            ("inbound", self.number(m.inbound)),
            ("answered", self.number(m.answered)),
            ("missed", self.number(m.missed)),
            ("waiting", self.number(m.waiting)),
            ("response_time_p90", self.duration(m.response_time.p90)),
            ("posts", self.number(m.posts)),
            ("own_replies", self.number(m.own_replies)),
            ("dialogue_share", self.percent(m.dialogue_share)),
            ("uncovered_share", self.percent(m.uncovered_share)),
            ("liked_not_answered", self.number(m.liked_not_answered)),
            ("removed_inbound", self.number(m.removed_inbound)),
            ("self_likes", self.number(m.self_likes)),
        ]
        rows += [
            {"name": self.metric(key), "value": value, "note": "", "target": "", "status": ""}
            for key, value in plain
        ]
        return rows

    # -- coverage -------------------------------------------------------------------------

    @property
    def uncovered_sentence(self) -> str | None:
        share = self.audit.coverage.uncovered_share
        if share is None:
            return None
        return self._(
            "{share} of the customer messages arrived in hours in which nobody ever answers.",
            share=self.percent(share),
        )

    @property
    def coverage_reference(self) -> str:
        reference = self.audit.coverage.reference
        return formats.date_span(reference.start, reference.last_day, self.language)

    # -- evidence ------------------------------------------------------------------------

    def entries(self, items: Sequence[api.ItemRef], removed: bool = False) -> list[Entry]:
        found = []
        for item in items:
            notes = []
            if item.is_question:
                notes.append(self._("question"))
            if item.liked_by_own and not removed:
                notes.append(self._("liked, not answered"))
            if removed and item.removed_at is not None:
                reason = REMOVAL_REASONS.get(item.removed_reason or "")
                notes.append(
                    self._(
                        "removed {when} ({reason})",
                        when=self.moment(item.removed_at),
                        reason=self._(reason) if reason else (item.removed_reason or "–"),
                    )
                )
            if (
                item.settles_at is not None
                and not removed
                and item.settles_at > self.audit.generated_at
            ):
                notes.append(
                    self._("answer window open until {when}", when=self.moment(item.settles_at))
                )
            found.append(
                Entry(
                    when=self.moment(item.created_at),
                    account=self.labels.get(item.account_id, item.platform),
                    author=item.author_handle or formats.MISSING,
                    text=clean(shown_text(item.text, item.purge_reason, self.language)),
                    link=safe_url(item.permalink),
                    notes=tuple(notes),
                )
            )
        return found

    def more(self, shown: int, total: int) -> str | None:
        if total <= shown:
            return None
        return self._(
            "The first {shown} of {total}; the dashboard's downloads list every one.",
            shown=self.number(shown),
            total=self.number(total),
        )

    # -- method ---------------------------------------------------------------------------

    @property
    def platforms(self) -> str:
        names = sorted({display_name(a.platform) for a in self.audit.accounts})
        return ", ".join(names) or formats.MISSING

    def collection_rows(self) -> list[dict[str, str]]:
        return [
            {
                "account": self.labels[found.account_id],
                "runs": self.number(found.runs),
                "complete": self.number(found.complete),
                "partial": self.number(found.partial),
                "gaps": self.number(found.gaps),
                "first": self.moment(found.first_run),
                "last": self.moment(found.last_run),
            }
            for found in self.audit.collection
        ]

    def gap_lines(self, limit: int = 60) -> list[str]:
        """Failed and rate-limited runs of the period (the first ``limit``), then the
        accounts whose collection began after the period began or ended before it did."""
        lines = []
        for gap in self.audit.gaps[:limit]:
            outcome = OUTCOME_NAMES.get(gap.outcome)
            lines.append(
                f"{self.moment(gap.started_at)} · {self.labels.get(gap.account_id, '')} · "
                f"{self._(outcome) if outcome else gap.outcome}"
            )
        if len(self.audit.gaps) > limit:
            lines.append(
                self._("… and {count} more runs.", count=self.number(len(self.audit.gaps) - limit))
            )
        for found in self.audit.collection:
            account = self.labels[found.account_id]
            if found.first_collected is None:
                lines.append(self._("{account}: never collected successfully", account=account))
                continue
            if found.started_late:
                lines.append(
                    self._(
                        "{account}: first collected on {date}; what was deleted before then "
                        "was never seen",
                        account=account,
                        date=self.moment(found.first_collected),
                    )
                )
            if found.stopped_early:
                lines.append(
                    self._(
                        "{account}: last collected on {date}; later messages are missing",
                        account=account,
                        date=self.moment(found.last_collected),
                    )
                )
        return lines


def render_audit_html(audit: Audit, language: str, charts: Mapping[str, str]) -> str:
    """The whole page; ``charts`` are SVG documents by name (ratio, messages, times,
    inbound_hours, reply_hours) drawn from this same audit."""
    page = AuditPage(audit, language)
    context = {
        "a": audit,
        "p": page,
        "_": page._,
        "ngettext": page.ngettext,
        "charts": {name: Markup(svg) for name, svg in charts.items()},
        "missed": page.entries(audit.missed),
        "waiting": page.entries(audit.waiting),
        "removed": page.entries(audit.removed, removed=True),
    }
    return _environment().get_template("audit.html.j2").render(context)
