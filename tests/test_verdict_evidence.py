"""The sentence under a verdict (metrics.evidence), shared by the dashboard and the audit
report: a business-hours median of "0 min" explains itself and quotes the wall clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from metrics.evidence import verdict_evidence
from metrics.labels import Verdict
from metrics.periods import Period
from metrics.results import VerdictResult
from metrics.settings import SettingsInForce
from metrics.verdict import VerdictInputs

WEEK = Period(date(2026, 11, 16), date(2026, 11, 23))


def settings(business_hours: str | None = "mon-fri 08:00-18:00") -> SettingsInForce:
    return SettingsInForce(
        time_zone="Europe/Berlin",
        business_hours=business_hours,
        holiday_region=None,
        answer_window=timedelta(hours=72),
        response_target=timedelta(hours=4),
        min_settled=5,
        responsive_ratio=0.9,
        partly_responsive_ratio=0.65,
        no_conversation_min_posts=3,
        widen_max_weeks=8,
    )


def verdict(
    business: timedelta | None, wall: timedelta | None, answered: int = 19
) -> VerdictResult:
    inputs = VerdictInputs(
        posts=6, own_replies=19, inbound=20, answered=answered, missed=20 - answered,
        business_median=business, wall_median=wall,
    )  # fmt: skip
    return VerdictResult(Verdict.RESPONSIVE, WEEK, False, inputs, 3.0, 0)


def test_a_zero_business_median_says_the_answers_came_before_opening():
    # Messages written at night, answered at 07:10 before the 08:00 opening: business
    # time 0, wall clock 9 hours. The old sentence said only "in business hours 0 min".
    sentence = verdict_evidence(verdict(timedelta(0), timedelta(hours=9)), settings(), "en")
    assert sentence == (
        "19 of 20 customer messages answered (95%); median response time in business hours "
        "0 mins: at least half of the answers came before the business opened. On the clock "
        "the median is 9 hrs (target: 4 hrs, in business hours)."
    )
    german = verdict_evidence(verdict(timedelta(0), timedelta(hours=9)), settings(), "de")
    assert "bevor der Betrieb öffnete" in german and "9 Std." in german


def test_business_and_wall_clock_medians_stand_side_by_side():
    sentence = verdict_evidence(
        verdict(timedelta(minutes=25), timedelta(hours=3)), settings(), "en"
    )
    assert sentence.endswith(
        "median response time in business hours 25 mins, on the clock 3 hrs (target: 4 hrs, "
        "in business hours)."
    )


def test_without_business_hours_there_is_one_clock():
    sentence = verdict_evidence(
        verdict(timedelta(minutes=25), timedelta(minutes=25)), settings(None), "en"
    )
    assert sentence == (
        "19 of 20 customer messages answered (95%); median response time 25 mins (target: 4 hrs)."
    )
    assert "business hours" not in sentence


@pytest.mark.parametrize("language", ["en", "de"])
def test_no_answer_no_response_time(language):
    sentence = verdict_evidence(verdict(None, None, answered=0), settings(), language)
    assert "0 min" not in sentence and "0 Min" not in sentence and "–" not in sentence
