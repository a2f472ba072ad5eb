"""The portfolio's league table, stored per client and week by the refresh.

A consultant's portfolio shows every client with its accounts for one ISO week, with the
change against the week before. Computed per request, that read the rollups of every
account for both weeks and their widened verdict windows: 0.7 to 1 s at 1,000 accounts.
The refresh instead stores each line of the last ``LEAGUE_WEEKS`` full weeks (from the
client's first week with data on) in ``league_weeks``, computed by the same code as any
metrics page (``clients_metrics``), and the portfolio reads them: one indexed read,
whatever the number of stored items.

A stored client week is used only while it is exact:

- nothing of its client changed since: the refresh deletes the lines of every client week
  whose rollups it recomputes and of all later weeks (a verdict window reaches seven
  weeks back, the change column one), and all lines of a client whose settings or time
  zone changed;
- no item of its windows settled since: ``valid_until_us`` is the first moment an
  unanswered item of them stops waiting (NULL: none can), and the lines were computed
  before the moment asked for (``computed_us``);
- the client has the same accounts (``accounts_key``).

Anything else (a month, a range of days, an older week, a line that is no longer exact)
is computed as before, so the table is the same either way; the refresh computes the
missing and expired lines again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, delete, func, insert, select, text
from sqlalchemy.orm import Session

from metrics.labels import Verdict
from metrics.periods import (
    Period,
    last_full_week,
    local_week_index,
    monday_of,
    week_index,
    week_period,
)
from metrics.queries import Reader
from metrics.results import Metrics
from metrics.sql import from_us, to_us
from metrics.subjects import clients_metrics
from storage.among import among, among_text
from storage.models import Account, Client, ClientWeek, LeagueWeek

# The full weeks whose lines are kept: as many as the dashboard's week picker offers.
LEAGUE_WEEKS = 26
# Weeks a refresh (or rebuild) computes at most, the newest first: the lines of one week
# cost about as much as one portfolio request did. The service refreshes after every
# collection, so the week the portfolio opens on is stored by the first refresh and a
# rebuilt table is complete after 26.
WEEKS_PER_REFRESH = 1
_CLIENT = 0  # account_id of a client's own line
CLIENTS_AT_ONCE = 128  # clients whose lines are computed together (fill_league)


@dataclass(frozen=True)
class LeagueLine:
    """One line of the league table: a client as a whole, or one of its accounts."""

    client_id: int
    client_name: str
    account_id: int | None  # None: the client's line
    platform: str | None
    handle: str | None
    verdict: Verdict
    response_ratio: float | None
    ratio_low: float | None
    ratio_high: float | None
    response_time_median: timedelta | None
    dialogue_share: float | None
    waiting: int
    previous_response_ratio: float | None
    verdict_weeks: int
    substantive_ratio: float | None
    redirect_share: float | None
    template_share: float | None
    hollow: bool

    @property
    def ratio_change(self) -> float | None:
        """This period's response ratio minus the previous one's (``Comparison.change``)."""
        if self.response_ratio is None or self.previous_response_ratio is None:
            return None
        return float(self.response_ratio) - float(self.previous_response_ratio)


@dataclass(frozen=True)
class LeagueClient:
    client: LeagueLine
    accounts: tuple[LeagueLine, ...]


def line_of(metrics: Metrics, previous_response_ratio: float | None) -> LeagueLine:
    """The league line of ``metrics``, with the period before's response ratio (the change)."""
    subject = metrics.subject
    interval = metrics.response_ratio_interval
    is_account = subject.kind == "account"
    return LeagueLine(
        client_id=subject.client_id,
        client_name=subject.client_name,
        account_id=subject.id if is_account else None,
        platform=subject.platform if is_account else None,
        handle=subject.handle if is_account else None,
        verdict=metrics.verdict.verdict,
        response_ratio=metrics.response_ratio,
        ratio_low=interval.low if interval else None,
        ratio_high=interval.high if interval else None,
        response_time_median=metrics.response_time.median,
        dialogue_share=metrics.dialogue_share,
        waiting=metrics.waiting,
        previous_response_ratio=previous_response_ratio,
        verdict_weeks=metrics.verdict.weeks,
        substantive_ratio=metrics.substantive_ratio,
        redirect_share=metrics.redirect_share,
        template_share=metrics.template_share,
        hollow=metrics.verdict.quality.hollow,
    )


# --- reading -----------------------------------------------------------------------------


class _Client(NamedTuple):
    id: int
    name: str
    time_zone: str


class _Account(NamedTuple):
    id: int
    client_id: int
    platform: str
    handle: str


# Plain rows, not ORM objects: a portfolio reads thousands of them per request.
def _clients(session: Session, client_ids: Iterable[int] | None) -> list[_Client]:
    statement = select(Client.id, Client.name, Client.time_zone).order_by(Client.name, Client.id)
    if client_ids is not None:
        statement = statement.where(among(session, Client.id, client_ids))
    return [_Client(*row) for row in session.execute(statement)]


def _accounts(session: Session, client_ids: Sequence[int]) -> dict[int, list[_Account]]:
    accounts: dict[int, list[_Account]] = {client_id: [] for client_id in client_ids}
    if client_ids:
        for account_id, client_id, platform, handle in session.execute(
            select(Account.id, Account.client_id, Account.platform, Account.handle)
            .where(among(session, Account.client_id, client_ids))
            .order_by(Account.id)
        ):
            accounts[client_id].append(_Account(account_id, client_id, platform, handle))
    return accounts


def _key(accounts: Sequence[_Account]) -> str:
    return ",".join(str(a.id) for a in accounts)


def _valid(now_us: int) -> ColumnElement[bool]:
    return (LeagueWeek.computed_us <= now_us) & (
        LeagueWeek.valid_until_us.is_(None) | (LeagueWeek.valid_until_us > now_us)
    )


# The stored figures of a line, in the order _line takes them.
_FIGURES = (
    LeagueWeek.verdict,
    LeagueWeek.response_ratio,
    LeagueWeek.ratio_low,
    LeagueWeek.ratio_high,
    LeagueWeek.response_median_us,
    LeagueWeek.dialogue_share,
    LeagueWeek.waiting,
    LeagueWeek.previous_response_ratio,
    LeagueWeek.verdict_weeks,
    LeagueWeek.substantive_ratio,
    LeagueWeek.redirect_share,
    LeagueWeek.template_share,
    LeagueWeek.hollow,
)


def _line(figures: Sequence[Any], client: _Client, account: _Account | None) -> LeagueLine:
    (
        verdict,
        response_ratio,
        ratio_low,
        ratio_high,
        median_us,
        dialogue_share,
        waiting,
        previous_response_ratio,
        verdict_weeks,
        substantive_ratio,
        redirect_share,
        template_share,
        hollow,
    ) = figures
    return LeagueLine(
        client_id=client.id,
        client_name=client.name,
        account_id=account.id if account else None,
        platform=account.platform if account else None,
        handle=account.handle if account else None,
        verdict=Verdict(verdict),
        response_ratio=response_ratio,
        ratio_low=ratio_low,
        ratio_high=ratio_high,
        response_time_median=None if median_us is None else timedelta(microseconds=median_us),
        dialogue_share=dialogue_share,
        waiting=waiting,
        previous_response_ratio=previous_response_ratio,
        verdict_weeks=verdict_weeks,
        substantive_ratio=substantive_ratio,
        redirect_share=redirect_share,
        template_share=template_share,
        hollow=bool(hollow),
    )


def _stored(
    session: Session,
    clients: Sequence[_Client],
    weeks: dict[int, int],
    accounts: dict[int, list[_Account]],
    now_us: int,
) -> dict[int, LeagueClient]:
    """The clients whose stored lines for their week are exact at ``now_us``."""
    by_week: dict[int, list[int]] = defaultdict(list)
    for client in clients:
        if client.id in weeks:
            by_week[weeks[client.id]].append(client.id)
    rows: dict[int, dict[int, tuple[str, Sequence[Any]]]] = defaultdict(dict)
    for week, ids in by_week.items():
        for client_id, account_id, key, *figures in session.execute(
            select(
                LeagueWeek.client_id, LeagueWeek.account_id, LeagueWeek.accounts_key, *_FIGURES
            ).where(
                LeagueWeek.week == week, among(session, LeagueWeek.client_id, ids), _valid(now_us)
            )
        ):
            rows[client_id][account_id] = (key, figures)
    found: dict[int, LeagueClient] = {}
    for client in clients:
        lines = rows.get(client.id, {})
        own = lines.get(_CLIENT)
        mine = accounts[client.id]
        if own is None or own[0] != _key(mine) or any(a.id not in lines for a in mine):
            continue
        found[client.id] = LeagueClient(
            _line(own[1], client, None), tuple(_line(lines[a.id][1], client, a) for a in mine)
        )
    return found


def _computed(
    session: Session, clients: Sequence[Client], period: Period | None, now: datetime
) -> dict[int, LeagueClient]:
    """The league of ``clients`` computed from the rollups and facts."""
    found: dict[int, LeagueClient] = {}
    periods: dict[Period, list[Client]] = defaultdict(list)
    for client in clients:
        periods[period or last_full_week(client.time_zone, now)].append(client)
    for shown, members in periods.items():
        current = clients_metrics(session, members, shown, now, detail=False)
        previous = clients_metrics(session, members, shown.previous(), now, detail=False)
        for metrics, before in zip(current, previous, strict=True):
            found[metrics.subject.id] = LeagueClient(
                line_of(metrics, before.response_ratio),
                tuple(
                    line_of(account, earlier.response_ratio)
                    for account, earlier in zip(metrics.accounts, before.accounts, strict=True)
                ),
            )
    return found


def league(
    session: Session,
    client_ids: Iterable[int] | None = None,
    period: Period | None = None,
    *,
    now: datetime,
) -> list[LeagueClient]:
    """Clients (by name) with their accounts (by id) for ``period`` and the period before.

    With ``period`` None each client shows its own last full ISO week in its own zone.
    Stored lines where they are exact, computed ones for the rest: the same table.
    """
    clients = _clients(session, client_ids)
    weeks: dict[int, int] = {}
    for client in clients:
        shown = period or last_full_week(client.time_zone, now)
        if shown.is_iso_week:
            weeks[client.id] = week_index(shown.start)
    accounts = _accounts(session, [c.id for c in clients])
    stored = _stored(session, clients, weeks, accounts, to_us(now))
    missing = [c.id for c in clients if c.id not in stored]
    computed = {}
    if missing:
        rest = list(session.scalars(select(Client).where(among(session, Client.id, missing))))
        computed = _computed(session, rest, period, now)
    return [stored.get(c.id) or computed[c.id] for c in clients]


# --- keeping it (the refresh) ------------------------------------------------------------


def forget_changed_weeks(session: Session, table: str = "rw_client_weeks") -> None:
    """Delete the lines of the client weeks in ``table`` (the refresh's work table) and of
    every later week of those clients, whose verdict window or previous week may hold it."""
    session.execute(
        text(
            # The first condition lets the primary key find the clients' lines.
            f"DELETE FROM league_weeks WHERE client_id IN (SELECT client_id FROM {table}) "
            f"AND EXISTS (SELECT 1 FROM {table} w "
            "WHERE w.client_id = league_weeks.client_id AND w.week <= league_weeks.week)"
        )
    )


def forget_clients(session: Session, first_weeks: dict[int, int | None]) -> None:
    """Delete the lines of each client from its week on (None: all of them)."""
    for client_id, first_week in first_weeks.items():
        statement = delete(LeagueWeek).where(LeagueWeek.client_id == client_id)
        if first_week is not None:
            statement = statement.where(LeagueWeek.week >= first_week)
        session.execute(statement)


def forget_all(session: Session) -> None:
    session.execute(delete(LeagueWeek))


_NEXT_SETTLING = """
SELECT f.client_id, MIN(f.settles_us) FROM item_facts f
WHERE f.account_id IN :account_ids AND f.local_week BETWEEN :w0 AND :w1
  AND f.created_us >= :since AND f.role = 'inbound' AND NOT f.answered
  AND f.settles_us > :now
GROUP BY f.client_id"""


def _next_settling(
    session: Session,
    reader: Reader,
    week: int,
    clients: Sequence[Client],
    accounts: dict[int, list[_Account]],
) -> dict[int, int]:
    """Per client: when the first unanswered item of the week's windows stops waiting."""
    # Items older than the longest answer window have settled; a week that ended before
    # that (a day of margin for the time zones) has nothing left to settle.
    since = reader.now_us - reader.longest_window_us() - 1
    week_end = to_us(datetime.combine(monday_of(week + 1), time(0), tzinfo=UTC)) + 86_400_000_000
    ids = [a.id for c in clients for a in accounts[c.id]]
    if week_end < since or not ids:
        return {}
    rows = session.execute(
        among_text(_NEXT_SETTLING, session.get_bind().dialect.name, "account_ids"),
        {
            "account_ids": ids,
            # only items created since can still wait, whatever the verdict window
            "w0": week_index(from_us(since).date()) - 1,
            "w1": week,
            "since": since,
            "now": reader.now_us,
        },
    )
    return {int(client_id): int(moment) for client_id, moment in rows}


def _row(
    line: LeagueLine, week: int, key: str, computed_us: int, valid_until_us: int | None
) -> dict[str, object]:
    median = line.response_time_median
    return {
        "client_id": line.client_id,
        "week": week,
        "account_id": line.account_id or _CLIENT,
        "verdict": line.verdict.value,
        "response_ratio": line.response_ratio,
        "ratio_low": line.ratio_low,
        "ratio_high": line.ratio_high,
        "response_median_us": None if median is None else median // timedelta(microseconds=1),
        "dialogue_share": line.dialogue_share,
        "waiting": line.waiting,
        "previous_response_ratio": line.previous_response_ratio,
        "verdict_weeks": line.verdict_weeks,
        "substantive_ratio": line.substantive_ratio,
        "redirect_share": line.redirect_share,
        "template_share": line.template_share,
        "hollow": line.hollow,
        "accounts_key": key if line.account_id is None else "",
        "computed_us": computed_us,
        "valid_until_us": valid_until_us,
    }


def fill_league(
    session: Session,
    now: datetime,
    weeks: int | None = WEEKS_PER_REFRESH,
    clients_at_once: int = CLIENTS_AT_ONCE,
) -> int:
    """Compute the missing and expired lines of every client's last ``LEAGUE_WEEKS`` full
    weeks, of at most ``weeks`` weeks (the newest; None: all); returns how many client
    weeks were computed. Cheap when none is missing."""
    clients = list(session.scalars(select(Client).order_by(Client.id)))
    if not clients:
        return 0
    accounts = _accounts(session, [c.id for c in clients])
    now_us = to_us(now)
    # From the first week with data on: before it a line has nothing to show, and the
    # portfolio computes it when asked (as it does any week not stored).
    first_weeks = {
        client_id: week
        for client_id, week in session.execute(
            select(ClientWeek.client_id, func.min(ClientWeek.week)).group_by(ClientWeek.client_id)
        )
    }
    wanted: dict[int, list[Client]] = defaultdict(list)
    for client in clients:
        running = local_week_index(now, client.time_zone)
        first = max(running - LEAGUE_WEEKS, first_weeks.get(client.id, running))
        for week in range(first, running):
            wanted[week].append(client)
    if not wanted:
        return 0
    keys = {c.id: _key(accounts[c.id]) for c in clients}
    exact = {
        (client_id, week)
        for client_id, week, key in session.execute(
            select(LeagueWeek.client_id, LeagueWeek.week, LeagueWeek.accounts_key).where(
                LeagueWeek.account_id == _CLIENT,
                LeagueWeek.week >= min(wanted),
                _valid(now_us),
            )
        )
        if keys.get(client_id) == key
    }
    todo = {
        week: [c for c in members if (c.id, week) not in exact] for week, members in wanted.items()
    }
    todo = {week: members for week, members in todo.items() if members}
    if weeks is not None:
        # The newest first: the week a portfolio opens on, then back in time.
        todo = {week: todo[week] for week in sorted(todo, reverse=True)[:weeks]}
    if not todo:
        return 0
    # A few clients at a time: the first refresh after a week ends computes a line of every
    # client, and holding all their metrics at once took 15 MB at 511 clients (a refresh
    # of new items otherwise stays at 80 MB).
    chosen_ids = sorted({c.id for members in todo.values() for c in members})
    reader = Reader(session, now)
    written = 0
    for start in range(0, len(chosen_ids), clients_at_once):
        chunk = set(chosen_ids[start : start + clients_at_once])
        part = {week: [c for c in members if c.id in chunk] for week, members in todo.items()}
        part = {week: members for week, members in part.items() if members}
        written += _fill_weeks(session, reader, part, accounts, keys, now)
    return written


def _fill_weeks(
    session: Session,
    reader: Reader,
    todo: dict[int, list[Client]],
    accounts: dict[int, list[_Account]],
    keys: dict[int, str],
    now: datetime,
) -> int:
    """Compute and store the lines of ``todo``'s client weeks; returns how many."""
    now_us = to_us(now)
    # The week before (for the change column) from its stored lines where they hold: a
    # refresh of last week's collections then computes one week, not two.
    earlier: dict[tuple[int, int], dict[int, float | None]] = {}
    for week, members in todo.items():
        shown = {c.id for c in todo.get(week - 1, [])}
        rest = [_Client(c.id, c.name, c.time_zone) for c in members if c.id not in shown]
        found = _stored(session, rest, {c.id: week - 1 for c in rest}, accounts, now_us)
        for client_id, lines in found.items():
            earlier[(client_id, week)] = {
                line.account_id or _CLIENT: line.response_ratio
                for line in (lines.client, *lines.accounts)
            }
    # Each week once, whether shown or needed as the week before another.
    needed: dict[int, dict[int, Client]] = defaultdict(dict)
    for week, members in todo.items():
        for client in members:
            needed[week][client.id] = client
            if (client.id, week) not in earlier:
                needed[week - 1][client.id] = client
    computed: dict[tuple[int, int], Metrics] = {}  # (client, week)
    computed_accounts: dict[tuple[int, int], Metrics] = {}  # (account, week)
    for week, chosen in sorted(needed.items()):
        for metrics in clients_metrics(
            session, list(chosen.values()), week_period(week), now, detail=False
        ):
            computed[(metrics.subject.id, week)] = metrics
            for account in metrics.accounts:
                computed_accounts[(account.subject.id, week)] = account

    def before(client_id: int, week: int, account_id: int) -> float | None:
        if (client_id, week) in earlier:
            return earlier[(client_id, week)].get(account_id)
        if account_id == _CLIENT:
            return computed[(client_id, week - 1)].response_ratio
        return computed_accounts[(account_id, week - 1)].response_ratio

    written = 0
    for week, members in sorted(todo.items()):
        settling = _next_settling(session, reader, week, members, accounts)
        session.execute(
            delete(LeagueWeek).where(
                LeagueWeek.week == week,
                among(session, LeagueWeek.client_id, [c.id for c in members]),
            )
        )
        rows = []
        for client in members:
            current = computed[(client.id, week)]
            until = settling.get(client.id)
            line = line_of(current, before(client.id, week, _CLIENT))
            rows.append(_row(line, week, keys[client.id], now_us, until))
            rows.extend(
                _row(line_of(account, before(client.id, week, account.subject.id)), week, "",
                     now_us, until)
                for account in current.accounts
            )  # fmt: skip
        session.execute(insert(LeagueWeek), rows)
        written += len(members)
    return written


__all__ = [
    "CLIENTS_AT_ONCE",
    "LEAGUE_WEEKS",
    "WEEKS_PER_REFRESH",
    "LeagueClient",
    "LeagueLine",
    "fill_league",
    "forget_all",
    "forget_changed_weeks",
    "forget_clients",
    "league",
    "line_of",
]
