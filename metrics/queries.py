"""The metrics' queries: stored rollups first, facts where a period or a median needs them.

Everything here reads; nothing recomputes facts and nothing turns figures into metrics
(that is ``metrics.compute``). A single ISO week of an account or a
client is one row of ``account_weeks`` / ``client_weeks``. Other periods, widened verdict
windows and lists are indexed queries over ``item_facts`` (account, week, time). The only
part that depends on the clock is which unanswered items are still *waiting* (their
answer window has not passed); those are few, recent, and read separately.

Queries are batched over many subjects, so a portfolio page costs a handful of queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from metrics.facts import engine_dialect
from metrics.periods import Period, week_index
from metrics.sql import COUNT_NAMES, MEDIAN_NAMES, TIME_NAMES, figures_select, from_us, to_us
from storage.among import among, among_text
from storage.models import AccountWeek, ClientWeek, HourCount
from storage.types import UTCDateTime

from metrics.results import HOURS_PER_WEEK, ItemRef, RepeatedReply, Subject  # isort: skip


@dataclass(frozen=True)
class Figures:
    """Raw figures of a subject and period, as stored in a rollup row."""

    posts: int = 0
    own_replies: int = 0
    own_thread: int = 0
    reposts: int = 0
    inbound: int = 0
    questions: int = 0
    answered: int = 0
    answered_questions: int = 0
    unanswered: int = 0
    unanswered_questions: int = 0
    liked_unanswered: int = 0
    within_target: int = 0
    interactions: int = 0
    self_likes: int = 0
    removed_inbound: int = 0
    acknowledgments: int = 0
    customer_conversation: int = 0
    answering_replies: int = 0
    redirect_replies: int = 0
    template_replies: int = 0
    substantive_answered: int = 0
    response_median_us: int | None = None
    response_p90_us: int | None = None
    business_median_us: int | None = None
    business_p90_us: int | None = None
    open_until_us: int | None = None
    first_unanswered_us: int | None = None

    @classmethod
    def from_row(cls, row: Any) -> Figures:
        get = row.get if isinstance(row, Mapping) else lambda name: getattr(row, name)
        values: dict[str, Any] = {name: int(get(name) or 0) for name in COUNT_NAMES}
        for name in (*MEDIAN_NAMES, *TIME_NAMES):
            value = get(name)
            values[name] = None if value is None else int(value)
        return cls(**values)

    def __add__(self, other: Figures) -> Figures:
        """Counts add up; medians do not (None: read them from the facts)."""
        values: dict[str, Any] = {
            name: getattr(self, name) + getattr(other, name) for name in COUNT_NAMES
        }
        opens = [v for v in (self.open_until_us, other.open_until_us) if v is not None]
        firsts = [v for v in (self.first_unanswered_us, other.first_unanswered_us) if v is not None]
        values["open_until_us"] = max(opens) if opens else None
        values["first_unanswered_us"] = min(firsts) if firsts else None
        return Figures(**values)


_FIGURE_FIELDS = [f.name for f in fields(Figures)]


@dataclass(frozen=True)
class Open:
    """An inbound item not answered yet whose answer window has not passed."""

    account_id: int
    client_id: int
    item_id: int
    created_us: int
    is_question: bool
    liked_by_own: bool


def subject_key(kind: str) -> str:
    """The facts' column that names a subject of ``kind``."""
    return "account_id" if kind == "account" else "client_id"


class Reader:
    """Batched queries over rollups and facts, at one moment ``now``."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.now_us = to_us(now)
        self.dialect = engine_dialect(session)
        self._longest_window: int | None = None

    # --- figures ---------------------------------------------------------------------

    def rollups(
        self, kind: str, ids: Sequence[int], weeks: Iterable[int]
    ) -> dict[tuple[int, int], Figures]:
        table = AccountWeek if kind == "account" else ClientWeek
        key = table.account_id if kind == "account" else table.client_id  # type: ignore[attr-defined]
        weeks = list(weeks)
        if not ids or not weeks:
            return {}
        # Plain columns, not ORM objects: a portfolio reads thousands of these rows.
        columns = [key, table.week, *(getattr(table, name) for name in _FIGURE_FIELDS)]
        rows = self.session.execute(
            select(*columns).where(
                among(self.session, key, ids), table.week.between(min(weeks), max(weeks))
            )
        )
        return {(getattr(row, subject_key(kind)), row.week): Figures.from_row(row) for row in rows}

    def facts(
        self, kind: str, subjects: Sequence[Subject], period: Period, time_zone: str
    ) -> dict[int, Figures]:
        """Figures (with medians) of each subject over ``period``, from the facts."""
        if not subjects:
            return {}
        first, after = period.bounds(time_zone)
        statement = among_text(
            figures_select(
                self.dialect,
                [subject_key(kind)],
                "item_facts f",
                where=(
                    "f.account_id IN :account_ids AND f.local_week BETWEEN :w0 AND :w1 "
                    "AND f.created_us >= :first AND f.created_us < :after"
                ),
            ),
            self.dialect.name,
            "account_ids",
        )
        rows = self.session.execute(
            statement,
            {
                "account_ids": sorted({a for s in subjects for a in s.account_ids}),
                "w0": week_index(period.start),
                "w1": week_index(period.last_day),
                "first": to_us(first),
                "after": to_us(after),
            },
        ).mappings()
        wanted, key = {s.id for s in subjects}, subject_key(kind)
        return {row[key]: Figures.from_row(row) for row in rows if row[key] in wanted}

    def figures(
        self, kind: str, subjects: Sequence[Subject], period: Period, time_zone: str
    ) -> dict[int, Figures]:
        """A single ISO week comes from its rollup row; any other period from the facts."""
        if period.is_iso_week:
            week = week_index(period.start)
            rows = self.rollups(kind, [s.id for s in subjects], [week])
            return {s.id: rows.get((s.id, week), Figures()) for s in subjects}
        found = self.facts(kind, subjects, period, time_zone)
        return {s.id: found.get(s.id, Figures()) for s in subjects}

    # --- what is still waiting -----------------------------------------------------------

    def longest_window_us(self) -> int:
        if self._longest_window is None:
            value = self.session.execute(
                text("SELECT MAX(answer_window_seconds) FROM metric_settings")
            ).scalar()
            self._longest_window = int(value or 0) * 1_000_000
        return self._longest_window

    def open_items(self, account_ids: Sequence[int], period: Period, time_zone: str) -> list[Open]:
        first, after = period.bounds(time_zone)
        # Only items younger than the longest answer window can still be waiting.
        first_us = max(to_us(first), self.now_us - self.longest_window_us() - 1)
        after_us = to_us(after)
        if not account_ids or first_us >= after_us:
            return []
        statement = among_text(
            """
SELECT f.account_id, f.client_id, f.item_id, f.created_us, f.is_question, f.liked_by_own
FROM item_facts f
WHERE f.account_id IN :account_ids AND f.local_week BETWEEN :w0 AND :w1
  AND f.created_us >= :first AND f.created_us < :after
  AND f.role = 'inbound' AND NOT f.answered AND f.settles_us > :now""",
            self.dialect.name,
            "account_ids",
        )
        rows = self.session.execute(
            statement,
            {
                "account_ids": sorted(account_ids),
                "w0": week_index(from_us(first_us).date()) - 1,
                "w1": week_index(period.last_day),
                "first": first_us,
                "after": after_us,
                "now": self.now_us,
            },
        )
        return [Open(row[0], row[1], row[2], row[3], bool(row[4]), bool(row[5])) for row in rows]

    # --- lists ---------------------------------------------------------------------------

    def item_list(
        self,
        kind: str,
        subjects: Sequence[Subject],
        period: Period,
        time_zone: str,
        condition: str,
        limit: int | None,
        newest_first: bool = False,
    ) -> dict[int, tuple[list[ItemRef], int]]:
        """Per subject: the facts matching ``condition`` in the period, and their count."""
        if not subjects:
            return {}
        first, after = period.bounds(time_zone)
        order = "f.created_us DESC, f.item_id DESC" if newest_first else "f.created_us, f.item_id"
        key = subject_key(kind)
        statement = among_text(
            f"""
SELECT x.subject_id, x.total, x.item_id, x.settles_us, x.first_response_us, x.liked_by_own,
  i.account_id, i.platform, i.platform_item_id, i.author_handle, i.text, i.permalink,
  i.created_at, i.is_question, i.removed_at, i.removed_reason, i.purge_reason
FROM (
  SELECT f.{key} AS subject_id, f.item_id, f.settles_us, f.first_response_us, f.liked_by_own,
    ROW_NUMBER() OVER (PARTITION BY f.{key} ORDER BY {order}) AS rn,
    COUNT(*) OVER (PARTITION BY f.{key}) AS total
  FROM item_facts f
  WHERE f.account_id IN :account_ids AND f.local_week BETWEEN :w0 AND :w1
    AND f.created_us >= :first AND f.created_us < :after AND ({condition})
) x
JOIN items i ON i.id = x.item_id
WHERE x.rn <= :limit
ORDER BY x.subject_id, x.rn""",
            self.dialect.name,
            "account_ids",
        )
        typed = statement.columns(created_at=UTCDateTime(), removed_at=UTCDateTime())
        rows = self.session.execute(
            typed,
            {
                "account_ids": sorted({a for s in subjects for a in s.account_ids}),
                "w0": week_index(period.start),
                "w1": week_index(period.last_day),
                "first": to_us(first),
                "after": to_us(after),
                "now": self.now_us,
                "limit": limit if limit is not None else 2**62,
            },
        ).mappings()
        result: dict[int, tuple[list[ItemRef], int]] = {s.id: ([], 0) for s in subjects}
        for row in rows:
            subject_id = row["subject_id"]
            if subject_id not in result:
                continue
            created, removed = row["created_at"], row["removed_at"]
            reference = ItemRef(
                item_id=row["item_id"],
                account_id=row["account_id"],
                platform=row["platform"],
                platform_item_id=row["platform_item_id"],
                author_handle=row["author_handle"],
                text=row["text"] or "",
                permalink=row["permalink"],
                created_at=created,
                age=self.now - created,
                is_question=None if row["is_question"] is None else bool(row["is_question"]),
                liked_by_own=bool(row["liked_by_own"]),
                removed_at=removed,
                removed_reason=row["removed_reason"],
                purge_reason=row["purge_reason"],
                settles_at=from_us(row["settles_us"]) if row["settles_us"] is not None else None,
                answered_at=(
                    from_us(row["first_response_us"])
                    if row["first_response_us"] is not None
                    else None
                ),
            )
            items, _ = result[subject_id]
            items.append(reference)
            result[subject_id] = (items, int(row["total"]))
        return result

    def repeated_replies(
        self, kind: str, subjects: Sequence[Subject], period: Period, time_zone: str, limit: int
    ) -> dict[int, list[RepeatedReply]]:
        """Per subject: the answering replies sent most often with the same normalised
        text in the period (at least twice), most repeated first, each with its latest."""
        if not subjects:
            return {}
        first, after = period.bounds(time_zone)
        key = subject_key(kind)
        statement = among_text(
            f"""
SELECT subject_id, n, item_id FROM (
  SELECT f.{key} AS subject_id, f.item_id, f.created_us,
    COUNT(*) OVER (PARTITION BY f.{key}, f.reply_key) AS n,
    ROW_NUMBER() OVER (
      PARTITION BY f.{key}, f.reply_key ORDER BY f.created_us DESC, f.item_id DESC) AS rn
  FROM item_facts f
  WHERE f.account_id IN :account_ids AND f.local_week BETWEEN :w0 AND :w1
    AND f.created_us >= :first AND f.created_us < :after
    AND f.answering AND f.reply_key IS NOT NULL
) texts
WHERE rn = 1 AND n >= 2
ORDER BY subject_id, n DESC, created_us DESC, item_id DESC""",
            self.dialect.name,
            "account_ids",
        )
        rows = self.session.execute(
            statement,
            {
                "account_ids": sorted({a for s in subjects for a in s.account_ids}),
                "w0": week_index(period.start),
                "w1": week_index(period.last_day),
                "first": to_us(first),
                "after": to_us(after),
            },
        ).all()
        chosen: dict[int, list[tuple[int, int]]] = {s.id: [] for s in subjects}
        for subject_id, count, item_id in rows:
            if subject_id in chosen and len(chosen[subject_id]) < limit:
                chosen[subject_id].append((int(count), int(item_id)))
        ids = sorted({item_id for found in chosen.values() for _, item_id in found})
        if not ids:
            return {subject_id: [] for subject_id in chosen}
        listed = self.item_list(
            kind,
            subjects,
            period,
            time_zone,
            f"f.item_id IN ({', '.join(str(i) for i in ids)})",
            None,
        )
        result: dict[int, list[RepeatedReply]] = {}
        for subject_id, found in chosen.items():
            refs = {ref.item_id: ref for ref in listed.get(subject_id, ([], 0))[0]}
            result[subject_id] = [
                RepeatedReply(refs[item_id].text, count, refs[item_id])
                for count, item_id in found
                if item_id in refs
            ]
        return result

    # --- followers and hours -------------------------------------------------------------

    def followers(
        self, account_ids: Sequence[int], moment: datetime
    ) -> dict[int, tuple[int, datetime]]:
        """Per account the follower count closest to ``moment``: before it, else after."""
        if not account_ids:
            return {}
        statement = among_text(
            """
SELECT account_id, followers, taken_at FROM (
  SELECT account_id, followers, taken_at,
    ROW_NUMBER() OVER (
      PARTITION BY account_id
      ORDER BY CASE WHEN taken_at <= :moment THEN 0 ELSE 1 END,
        CASE WHEN taken_at <= :moment THEN taken_at END DESC, taken_at
    ) AS rn
  FROM follower_snapshots WHERE account_id IN :account_ids
) ranked WHERE rn = 1""",
            self.dialect.name,
            "account_ids",
        ).bindparams(bindparam("moment", type_=UTCDateTime()))
        result = {}
        for account_id, followers, taken_at in self.session.execute(
            statement.columns(taken_at=UTCDateTime()),
            {"account_ids": sorted(account_ids), "moment": moment},
        ):
            result[account_id] = (int(followers), taken_at)
        return result

    def hours(
        self, account_ids: Sequence[int], period: Period, time_zone: str
    ) -> dict[int, tuple[list[int], list[int]]]:
        """Per account: inbound and own replies by local hour of week over ``period``."""
        result: dict[int, tuple[list[int], list[int]]] = {
            a: ([0] * HOURS_PER_WEEK, [0] * HOURS_PER_WEEK) for a in account_ids
        }
        if not account_ids:
            return result
        if period.week_aligned:
            rows = self.session.execute(
                select(
                    HourCount.account_id, HourCount.hour, HourCount.inbound, HourCount.own_replies
                ).where(
                    among(self.session, HourCount.account_id, account_ids),
                    HourCount.week.between(week_index(period.start), week_index(period.last_day)),
                )
            )
        else:
            first, after = period.bounds(time_zone)
            rows = self.session.execute(
                among_text(
                    """
SELECT f.account_id, f.hour_of_week,
  SUM(CASE WHEN f.role = 'inbound' THEN 1 ELSE 0 END),
  SUM(CASE WHEN f.role = 'own_reply' THEN 1 ELSE 0 END)
FROM item_facts f
WHERE f.account_id IN :account_ids AND f.local_week BETWEEN :w0 AND :w1
  AND f.created_us >= :first AND f.created_us < :after
  AND f.role IN ('inbound', 'own_reply')
GROUP BY f.account_id, f.hour_of_week""",
                    self.dialect.name,
                    "account_ids",
                ),
                {
                    "account_ids": sorted(account_ids),
                    "w0": week_index(period.start),
                    "w1": week_index(period.last_day),
                    "first": to_us(first),
                    "after": to_us(after),
                },
            )
        for account_id, hour, inbound, own_replies in rows:
            result[account_id][0][hour] += int(inbound)
            result[account_id][1][hour] += int(own_replies)
        return result


__all__ = ["Figures", "Open", "Reader"]
