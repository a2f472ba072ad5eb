"""The verdict of docs/metrics.md: the rules, in their order, over a window's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from metrics.labels import Verdict
from metrics.settings import SettingsInForce
from metrics.stats import ratio


@dataclass(frozen=True)
class VerdictInputs:
    posts: int
    own_replies: int
    inbound: int
    answered: int
    missed: int
    business_median: timedelta | None
    # The same answers on the wall clock: quoted beside the business-hours median, which
    # is 0 when most answers came before the business opened.
    wall_median: timedelta | None = None

    @property
    def settled(self) -> int:
        return self.answered + self.missed

    @property
    def response_ratio(self) -> float | None:
        return ratio(self.answered, self.settled)


def decide(inputs: VerdictInputs, settings: SettingsInForce) -> Verdict:
    """Rules 1-6 in order; the response-time target is measured on the business clock."""
    if inputs.posts >= settings.no_conversation_min_posts and inputs.inbound == 0:
        return Verdict.NO_CONVERSATION
    if inputs.settled < settings.min_settled:
        return Verdict.INSUFFICIENT_DATA
    if inputs.posts >= 1 and inputs.own_replies == 0 and inputs.missed > 0:
        return Verdict.BROADCAST_ONLY
    response_ratio = inputs.response_ratio or 0.0
    fast = inputs.business_median is not None and inputs.business_median <= settings.response_target
    if response_ratio >= settings.responsive_ratio and fast:
        return Verdict.RESPONSIVE
    if response_ratio >= settings.partly_responsive_ratio:
        return Verdict.PARTLY_RESPONSIVE
    return Verdict.UNRESPONSIVE


# "mostly redirects and templates" (docs/metrics.md, "Answer quality"): at least this many
# answering replies in the verdict's window, and at least this share of them redirects or
# templates.
QUALITY_MIN_ANSWERS = 5
QUALITY_HOLLOW_SHARE = 0.5


def mostly_redirects_and_templates(answering: int, redirects: int, templates: int) -> bool:
    """The qualifier beside the verdict; ``templates`` excludes redirects."""
    return answering >= QUALITY_MIN_ANSWERS and (redirects + templates) >= (
        QUALITY_HOLLOW_SHARE * answering
    )


def extra_weeks_allowed(period_days: int, settings: SettingsInForce) -> int:
    """How many whole weeks a thin period may be widened backwards.

    The widened window stays within ``widen_max_weeks`` weeks (8: a week may look back
    seven more); a period that long or longer is never widened.
    """
    return max(0, (settings.widen_max_weeks * 7 - period_days) // 7)
