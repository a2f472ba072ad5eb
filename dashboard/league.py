"""The portfolio's league table: clients with their accounts, sorted and split into pages.

Clients are sorted by the chosen column, and each client's accounts by the same column
under it, so a client and its accounts stay together. Rows without a value (no ratio in a
quiet week) come last in either direction; ties go by name. A consultant with hundreds
of clients gets them in pages of ``PAGE_SIZE`` clients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dashboard.viewmodels import LeagueRow
from metrics.labels import Verdict

# Ten clients with their accounts (about 30 lines) fit a screen; the browser's work grows
# with the rows shown (Dash renders every cell as a component): a page of 25 clients took
# Chromium about a second longer to show than one of five (bench/dashboard.py).
PAGE_SIZE = 10
DEFAULT_SORT = "-response_ratio"  # a league: the best first
SORT_KEYS = (
    "client",
    "account",
    "verdict",
    "response_ratio",
    "interval",
    "response_time_median",
    "dialogue_share",
    "substantive_ratio",
    "waiting",
    "ratio_change",
)
# Best first when sorted ascending; the last two say nothing about answering.
VERDICT_ORDER = (
    Verdict.RESPONSIVE,
    Verdict.PARTLY_RESPONSIVE,
    Verdict.UNRESPONSIVE,
    Verdict.BROADCAST_ONLY,
    Verdict.NO_CONVERSATION,
    Verdict.INSUFFICIENT_DATA,
)


@dataclass(frozen=True)
class LeagueGroup:
    client: LeagueRow
    accounts: tuple[LeagueRow, ...]

    @property
    def rows(self) -> tuple[LeagueRow, ...]:
        return (self.client, *self.accounts)


@dataclass(frozen=True)
class LeaguePage:
    groups: tuple[LeagueGroup, ...]
    number: int  # 1-based
    pages: int
    clients: int  # in the whole table
    size: int  # clients per page

    @property
    def rows(self) -> list[LeagueRow]:
        return [row for group in self.groups for row in group.rows]

    @property
    def first(self) -> int:
        """Position of the page's first client in the whole table, from 1."""
        return (self.number - 1) * self.size + 1

    @property
    def last(self) -> int:
        return self.first + len(self.groups) - 1


def group(rows: Sequence[LeagueRow]) -> list[LeagueGroup]:
    """Rows as ``league_rows`` gives them (a client, then its accounts) into groups."""
    groups: list[LeagueGroup] = []
    for row in rows:
        if row.account_id is None:
            groups.append(LeagueGroup(row, ()))
        elif groups and groups[-1].client.client_id == row.client_id:
            last = groups[-1]
            groups[-1] = LeagueGroup(last.client, (*last.accounts, row))
        else:
            raise ValueError(f"account {row.account_id} comes before its client's row")
    return groups


def valid_sort(sort: str | None) -> str:
    if sort and sort.lstrip("-") in SORT_KEYS:
        return sort
    return DEFAULT_SORT


def _value(row: LeagueRow, key: str) -> Any:
    match key:
        case "client":
            return (row.account_label or row.client_name).casefold()
        case "verdict":
            return VERDICT_ORDER.index(row.verdict) if row.verdict is not None else None
        case "interval":
            # The interval's low end: a ratio from few messages ranks below a sure one.
            return row.ratio_low
        case "response_time_median":
            return row.response_time_median_minutes
        case _:
            return getattr(row, key)


def _sorted(rows: Sequence[Any], key: str, descending: bool, row_of: Any) -> list[Any]:
    present = [r for r in rows if _value(row_of(r), key) is not None]
    empty = [r for r in rows if _value(row_of(r), key) is None]
    # Ties by name, always A to Z, whichever way the column goes.
    present.sort(key=lambda r: _value(row_of(r), "client"))
    present.sort(key=lambda r: _value(row_of(r), key), reverse=descending)
    empty.sort(key=lambda r: _value(row_of(r), "client"))
    return present + empty


def sort_groups(groups: Sequence[LeagueGroup], sort: str | None) -> list[LeagueGroup]:
    sort = valid_sort(sort)
    key, descending = sort.lstrip("-"), sort.startswith("-")
    # By account: clients by name, accounts by their label ("client" reads the label of
    # an account row).
    key = "client" if key == "account" else key
    ordered = _sorted(groups, key, descending, lambda g: g.client)
    return [
        LeagueGroup(g.client, tuple(_sorted(g.accounts, key, descending, lambda r: r)))
        for g in ordered
    ]


def page_of(groups: Sequence[LeagueGroup], number: int | None, size: int = PAGE_SIZE) -> LeaguePage:
    """Page ``number`` (1-based; out of range: the nearest page that exists)."""
    pages = max(1, -(-len(groups) // size))
    number = min(max(1, number or 1), pages)
    chosen = tuple(groups[(number - 1) * size : number * size])
    return LeaguePage(chosen, number, pages, len(groups), size)


def flatten(groups: Sequence[LeagueGroup]) -> list[LeagueRow]:
    return [row for g in groups for row in g.rows]
