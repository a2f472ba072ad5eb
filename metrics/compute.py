"""Computing metrics from figures: splits at ``now``, widened verdict windows, coverage.

The figures come from :class:`metrics.queries.Reader` (rollups and facts); everything
here turns them into :class:`metrics.results.Metrics` and week points, following
docs/metrics.md. Subjects are computed in batches, so a portfolio page costs a handful of
queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from metrics.periods import Period, week_index, week_period
from metrics.queries import Figures, Open, Reader
from metrics.settings import SettingsInForce
from metrics.sql import from_us, to_us
from metrics.stats import ratio, wilson_interval
from metrics.verdict import (
    VerdictInputs,
    decide,
    extra_weeks_allowed,
    mostly_redirects_and_templates,
)

from metrics.results import (  # isort: skip
    HOURS_PER_WEEK,
    AnswerQuality,
    RepeatedReply,
    Coverage,
    ItemRef,
    Metrics,
    ResponseTimes,
    Subject,
    VerdictResult,
    WeekPoint,
)

COVERAGE_WEEKS = 8
EVIDENCE_LIMIT = 10
QUALITY_EXAMPLES = 3  # repeated replies and redirect examples beside the qualifier


def _us(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(microseconds=value)


@dataclass(frozen=True)
class _Split:
    """Figures with the unanswered items split into missed and waiting at ``now``."""

    figures: Figures
    waiting: int
    waiting_questions: int
    waiting_liked: int
    oldest_waiting_us: int | None

    @property
    def missed(self) -> int:
        return self.figures.unanswered - self.waiting

    @property
    def missed_questions(self) -> int:
        return self.figures.unanswered_questions - self.waiting_questions

    @property
    def settled(self) -> int:
        return self.figures.answered + self.missed

    def verdict_inputs(self) -> VerdictInputs:
        return VerdictInputs(
            posts=self.figures.posts,
            own_replies=self.figures.own_replies,
            inbound=self.figures.inbound,
            answered=self.figures.answered,
            missed=self.missed,
            business_median=_us(self.figures.business_median_us),
            wall_median=_us(self.figures.response_median_us),
        )


def _split(figures: Figures, opens: Iterable[Open]) -> _Split:
    opens = list(opens)
    return _Split(
        figures=figures,
        waiting=len(opens),
        waiting_questions=sum(o.is_question for o in opens),
        waiting_liked=sum(o.liked_by_own for o in opens),
        oldest_waiting_us=min((o.created_us for o in opens), default=None),
    )


def _belongs(subject: Subject, item: Open) -> bool:
    if subject.kind == "account":
        return item.account_id == subject.id
    return item.client_id == subject.id


@dataclass
class Request:
    """One subject to compute, with its period and the settings in force."""

    subject: Subject
    period: Period
    settings: SettingsInForce


def compute(
    reader: Reader,
    requests: Sequence[Request],
    evidence_limit: int = EVIDENCE_LIMIT,
    detail: bool = True,
) -> list[Metrics]:
    """Metrics for many subjects; batched per kind, time zone and period.

    ``detail=False`` leaves out what a league table of many subjects does not show and
    what costs most to read for them: the hour-of-week coverage (``uncovered_share`` is
    None) and the verdict's list of unanswered items (``verdict.unanswered`` is empty;
    ``verdict.unanswered_total`` still counts them). Every other figure is the same.
    """
    groups: dict[tuple[str, str, Period], list[Request]] = defaultdict(list)
    for request in requests:
        key = (request.subject.kind, request.subject.time_zone, request.period)
        groups[key].append(request)
    done: dict[tuple[str, int, Period], Metrics] = {}
    for (kind, time_zone, period), members in groups.items():
        computed = _compute_group(
            reader, kind, time_zone, period, members, evidence_limit if detail else None
        )
        for metrics in computed:
            done[(kind, metrics.subject.id, period)] = metrics
    return [done[(r.subject.kind, r.subject.id, r.period)] for r in requests]


def _compute_group(
    reader: Reader,
    kind: str,
    time_zone: str,
    period: Period,
    members: list[Request],
    evidence_limit: int | None,
) -> list[Metrics]:
    """One group of subjects; ``evidence_limit`` None: no item lists, no coverage."""
    subjects = [m.subject for m in members]
    account_ids = sorted({a for s in subjects for a in s.account_ids})
    most_weeks = max(extra_weeks_allowed(period.days, m.settings) for m in members)
    widest = period.widened(most_weeks)
    base = reader.figures(kind, subjects, period, time_zone)
    opens = reader.open_items(account_ids, widest, time_zone)
    first_us, after_us = (to_us(moment) for moment in period.bounds(time_zone))

    def opens_of(subject: Subject, start_us: int) -> list[Open]:
        return [o for o in opens if _belongs(subject, o) and start_us <= o.created_us < after_us]

    splits = {s.id: _split(base[s.id], opens_of(s, first_us)) for s in subjects}

    # Thin periods: widen backwards week by week until enough items are settled.
    windows: dict[int, int] = {}
    thin = [
        m
        for m in members
        if splits[m.subject.id].settled < m.settings.min_settled
        and extra_weeks_allowed(period.days, m.settings) > 0
    ]
    if thin:
        windows = _widen(reader, kind, time_zone, period, thin, opens, opens_of)
    by_window: dict[int, list[Subject]] = defaultdict(list)
    for subject in subjects:
        by_window[windows.get(subject.id, 0)].append(subject)
    window_figures: dict[int, _Split] = {}
    evidence: dict[int, tuple[list[ItemRef], int]] = {}
    repeated: dict[int, list[RepeatedReply]] = {}
    redirects: dict[int, tuple[list[ItemRef], int]] = {}
    for extra, members_of_window in by_window.items():
        window = period.widened(extra)
        if extra:
            figures = reader.facts(kind, members_of_window, window, time_zone)
            start_us = to_us(window.bounds(time_zone)[0])
            for subject in members_of_window:
                window_figures[subject.id] = _split(
                    figures.get(subject.id, Figures()), opens_of(subject, start_us)
                )
        else:
            for subject in members_of_window:
                window_figures[subject.id] = splits[subject.id]
        if evidence_limit is None:
            continue
        evidence.update(
            reader.item_list(
                kind,
                members_of_window,
                window,
                time_zone,
                "f.role = 'inbound' AND NOT f.answered AND f.settles_us <= :now",
                evidence_limit,
            )
        )
        hollow = [s for s in members_of_window if _quality(window_figures[s.id].figures).hollow]
        if hollow:
            repeated.update(
                reader.repeated_replies(kind, hollow, window, time_zone, QUALITY_EXAMPLES)
            )
            redirects.update(
                reader.item_list(
                    kind,
                    hollow,
                    window,
                    time_zone,
                    "f.answering AND f.redirect",
                    QUALITY_EXAMPLES,
                    newest_first=True,
                )
            )
    followers = reader.followers(account_ids, period.bounds(time_zone)[1])
    coverage = coverages(reader, subjects, period, time_zone) if evidence_limit is not None else {}
    results = []
    for member in members:
        subject = member.subject
        extra = windows.get(subject.id, 0)
        window_split = window_figures[subject.id]
        verdict_inputs = window_split.verdict_inputs()
        if evidence_limit is None:
            unanswered, total = [], window_split.missed
        else:
            unanswered, total = evidence.get(subject.id, ([], 0))
        verdict = VerdictResult(
            verdict=decide(verdict_inputs, member.settings),
            window=period.widened(extra),
            widened=extra > 0,
            inputs=verdict_inputs,
            interactions_per_post=ratio(
                window_split.figures.interactions, window_split.figures.posts
            ),
            self_likes=window_split.figures.self_likes,
            unanswered=tuple(unanswered),
            unanswered_total=total,
            quality=_quality(
                window_split.figures,
                repeated.get(subject.id, []),
                redirects.get(subject.id, ([], 0))[0],
            ),
        )
        results.append(_metrics(reader, member, splits[subject.id], verdict, followers, coverage))
    return results


def _quality(
    figures: Figures,
    repeated: Sequence[RepeatedReply] = (),
    redirect_examples: Sequence[ItemRef] = (),
) -> AnswerQuality:
    answering, redirects = figures.answering_replies, figures.redirect_replies
    templates = figures.template_replies
    return AnswerQuality(
        answering=answering,
        redirects=redirects,
        templates=templates,
        hollow=mostly_redirects_and_templates(answering, redirects, templates),
        repeated=tuple(repeated),
        redirect_examples=tuple(redirect_examples),
    )


def _widen(
    reader: Reader,
    kind: str,
    time_zone: str,
    period: Period,
    thin: list[Request],
    opens: list[Open],
    opens_of: Any,
) -> dict[int, int]:
    """Extra weeks each thin subject's verdict window needs (its maximum if never enough)."""
    chosen: dict[int, int] = {}
    pending = {m.subject.id: m for m in thin}
    most = max(extra_weeks_allowed(period.days, m.settings) for m in thin)
    weekly: dict[tuple[int, int], Figures] = {}
    if period.week_aligned:
        first_week = week_index(period.start)
        weekly = reader.rollups(
            kind, list(pending), range(first_week - most, week_index(period.last_day) + 1)
        )
    for extra in range(1, most + 1):
        if not pending:
            break
        window = period.widened(extra)
        members = [
            m for m in pending.values() if extra <= extra_weeks_allowed(period.days, m.settings)
        ]
        if period.week_aligned:
            weeks = list(window.weeks)
            counts = {
                m.subject.id: sum(
                    (weekly.get((m.subject.id, w), Figures()) for w in weeks), Figures()
                )
                for m in members
            }
        else:
            counts = reader.facts(kind, [m.subject for m in members], window, time_zone)
        start_us = to_us(window.bounds(time_zone)[0])
        for member in members:
            split = _split(
                counts.get(member.subject.id, Figures()), opens_of(member.subject, start_us)
            )
            limit = extra_weeks_allowed(period.days, member.settings)
            if split.settled >= member.settings.min_settled or extra == limit:
                chosen[member.subject.id] = extra
                del pending[member.subject.id]
    return chosen


def coverages(
    reader: Reader, subjects: Sequence[Subject], period: Period, time_zone: str
) -> dict[int, Coverage]:
    # Whole weeks back until the window is at least COVERAGE_WEEKS * 7 days: a 10-day range
    # looks back 7 weeks (59 days), not 6 (52 days, less than eight weeks).
    reference = period.widened(max(0, -(-(COVERAGE_WEEKS * 7 - period.days) // 7)))
    account_ids = sorted({a for s in subjects for a in s.account_ids})
    in_period = reader.hours(account_ids, period, time_zone)
    in_reference = reader.hours(account_ids, reference, time_zone)
    result = {}
    for subject in subjects:
        inbound = [0] * HOURS_PER_WEEK
        own = [0] * HOURS_PER_WEEK
        reference_own = [0] * HOURS_PER_WEEK
        for account_id in subject.account_ids:
            for hour in range(HOURS_PER_WEEK):
                inbound[hour] += in_period[account_id][0][hour]
                own[hour] += in_period[account_id][1][hour]
                reference_own[hour] += in_reference[account_id][1][hour]
        result[subject.id] = Coverage(tuple(inbound), tuple(own), reference, tuple(reference_own))
    return result


def _metrics(
    reader: Reader,
    request: Request,
    split: _Split,
    verdict: VerdictResult,
    followers: dict[int, tuple[int, datetime]],
    coverage: dict[int, Coverage],  # empty: coverage not read (uncovered_share None)
) -> Metrics:
    subject, figures = request.subject, split.figures
    settled = split.settled
    answered_questions = figures.answered_questions
    missed_questions = split.missed_questions
    interactions_per_post = ratio(figures.interactions, figures.posts)
    known = [followers[a] for a in subject.account_ids if a in followers]
    follower_count = None
    followers_at = None
    if known and len(known) == len(subject.account_ids):
        follower_count = sum(count for count, _ in known)
        followers_at = max(moment for _, moment in known)
    engagement = (
        interactions_per_post / follower_count
        if interactions_per_post is not None and follower_count
        else None
    )
    return Metrics(
        subject=subject,
        period=request.period,
        settings=request.settings,
        computed_at=reader.now,
        posts=figures.posts,
        own_replies=figures.own_replies,
        own_thread=figures.own_thread,
        reposts=figures.reposts,
        inbound=figures.inbound,
        questions=figures.questions,
        answered=figures.answered,
        missed=split.missed,
        waiting=split.waiting,
        answered_questions=answered_questions,
        missed_questions=missed_questions,
        oldest_unanswered_at=(
            from_us(figures.first_unanswered_us) if figures.first_unanswered_us else None
        ),
        oldest_waiting_at=from_us(split.oldest_waiting_us) if split.oldest_waiting_us else None,
        response_ratio=ratio(figures.answered, settled),
        response_ratio_interval=wilson_interval(figures.answered, settled),
        question_response_ratio=ratio(answered_questions, answered_questions + missed_questions),
        question_response_ratio_interval=wilson_interval(
            answered_questions, answered_questions + missed_questions
        ),
        response_time=ResponseTimes(_us(figures.response_median_us), _us(figures.response_p90_us)),
        business_response_time=ResponseTimes(
            _us(figures.business_median_us), _us(figures.business_p90_us)
        ),
        within_target=figures.within_target,
        within_target_ratio=ratio(figures.within_target, settled),
        dialogue_share=ratio(figures.own_replies, figures.own_replies + figures.posts),
        interactions=figures.interactions,
        interactions_per_post=interactions_per_post,
        followers=follower_count,
        followers_at=followers_at,
        engagement_rate=engagement,
        self_likes=figures.self_likes,
        liked_not_answered=figures.liked_unanswered - split.waiting_liked,
        removed_inbound=figures.removed_inbound,
        uncovered_share=(coverage[subject.id].uncovered_share if subject.id in coverage else None),
        verdict=verdict,
        acknowledgments=figures.acknowledgments,
        customer_conversation=figures.customer_conversation,
        answering_replies=figures.answering_replies,
        redirect_replies=figures.redirect_replies,
        template_replies=figures.template_replies,
        substantive_answered=figures.substantive_answered,
    )


def week_points(
    reader: Reader, subject: Subject, settings: Mapping[int, SettingsInForce]
) -> list[WeekPoint]:
    """One point per week of ``settings`` (week index -> settings in force), oldest first."""
    weeks = sorted(settings)
    most = max(extra_weeks_allowed(7, s) for s in settings.values())
    rows = reader.rollups(subject.kind, [subject.id], range(weeks[0] - most, weeks[-1] + 1))
    span = Period(week_period(weeks[0] - most).start, week_period(weeks[-1]).end)
    opens = [
        o
        for o in reader.open_items(subject.account_ids, span, subject.time_zone)
        if _belongs(subject, o)
    ]

    def split(counts: Figures, window: Period) -> _Split:
        first_us, after_us = (to_us(m) for m in window.bounds(subject.time_zone))
        return _split(counts, [o for o in opens if first_us <= o.created_us < after_us])

    points = []
    for week in weeks:
        period = week_period(week)
        own = split(rows.get((subject.id, week), Figures()), period)
        # The verdict widens a thin week like everywhere else; only the widened window's
        # medians need the facts.
        limit = extra_weeks_allowed(7, settings[week])
        extra, window_split = 0, own
        while window_split.settled < settings[week].min_settled and extra < limit:
            extra += 1
            counts = sum(
                (rows.get((subject.id, w), Figures()) for w in range(week - extra, week + 1)),
                Figures(),
            )
            window_split = split(counts, period.widened(extra))
        if extra:
            window = period.widened(extra)
            found = reader.facts(subject.kind, [subject], window, subject.time_zone)
            window_split = split(found.get(subject.id, Figures()), window)
        figures = own.figures
        points.append(
            WeekPoint(
                period=period,
                posts=figures.posts,
                own_replies=figures.own_replies,
                inbound=figures.inbound,
                questions=figures.questions,
                answered=figures.answered,
                missed=own.missed,
                waiting=own.waiting,
                response_ratio=ratio(figures.answered, own.settled),
                response_ratio_interval=wilson_interval(figures.answered, own.settled),
                response_time=ResponseTimes(
                    _us(figures.response_median_us), _us(figures.response_p90_us)
                ),
                business_response_time=ResponseTimes(
                    _us(figures.business_median_us), _us(figures.business_p90_us)
                ),
                within_target_ratio=ratio(figures.within_target, own.settled),
                dialogue_share=ratio(figures.own_replies, figures.own_replies + figures.posts),
                verdict=decide(window_split.verdict_inputs(), settings[week]),
                verdict_weeks=extra + 1,
            )
        )
    return points


def with_accounts(client: Metrics, accounts: Sequence[Metrics]) -> Metrics:
    return replace(client, accounts=tuple(accounts))


__all__ = ["Request", "compute", "coverages", "week_points", "with_accounts"]
