"""The Kaggle "Customer Support on Twitter" (TWCS) data set as replywatch items.

Columns: ``tweet_id, author_id, inbound, created_at, text, response_tweet_id,
in_response_to_tweet_id``. Brand support accounts (``inbound`` False) keep their handles;
customers are anonymised numbers. Each brand becomes an X account of the client; each
customer tweet belongs to the brand it is addressed to.

Reading is streaming and copes with what real copies of the file contain: ids written as
floats (``3.0``), quoted id lists, an extra unnamed index column, a bare carriage return
inside an unquoted text, quotes that never close, bytes that are not UTF-8, NUL bytes
(removed: PostgreSQL refuses them in text, and they are invisible), and replies to tweets
that are not in the file. Every row that cannot be read is reported with its line
number (the physical line where it starts, the header being line 1).

Linking is done by SQL in temporary tables, so memory stays constant however large the
file is: rows are staged, threads resolved (root of each conversation, brand of each
customer tweet), then written through ``storage.upsert`` page by page.
"""

from __future__ import annotations

import csv
import html
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import BindParameter, Connection, bindparam, select, text
from sqlalchemy.orm import Session

from storage.models import Account, Client
from storage.platforms import HandleError, X, canonical_handle
from storage.records import MENTION_PREFIX, MENTION_TEXT, ItemRecord
from storage.upsert import upsert_items
from storage.writing import lock_for_writing

# Every tweet of the data set is on X; each brand becomes an X account.
PLATFORM = X.name
REQUIRED = ("tweet_id", "author_id", "inbound", "created_at", "text", "in_response_to_tweet_id")
OPTIONAL = ("response_tweet_id",)
# A tweet has at most 280 characters; a "record" longer than this many lines is a quote
# that never closed, swallowing the rows after it.
MAX_RECORD_LINES = 100
# A TWCS row has a few hundred bytes; a longer physical line is skipped unread (a binary
# file without newlines would otherwise be read, held and quoted whole).
MAX_LINE_BYTES = 16 * 1024
QUOTED_CHARACTERS = 60  # of a value a row's error quotes
NOT_UTF8 = "bytes that are not UTF-8 were replaced"
NUL_REMOVED = "NUL bytes were removed"
TOO_LONG = f"the line is longer than {MAX_LINE_BYTES} bytes (a TWCS row has a few hundred)"
_CR = "\ue000"  # stands in for a bare carriage return while the csv module parses
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


class TwcsFormatError(ValueError):
    """The file is not a TWCS CSV at all (missing columns, unreadable header)."""


class TwcsConflict(ValueError):
    """A brand handle belongs to another client's account already."""


class TwcsSeveralBrands(ValueError):
    """A file of several businesses was given one client without saying it is meant."""


@dataclass(frozen=True)
class Problem:
    line: int
    message: str
    skipped: bool = True  # False: the row was read, with a repair worth knowing


@dataclass(frozen=True)
class TweetRow:
    line: int
    tweet_id: str
    author: str
    inbound: bool
    created_at: datetime
    text: str
    parent_id: str | None


# --- values ------------------------------------------------------------------------------


def quoted(value: str) -> str:
    """``value`` as a row's error quotes it: its repr, cut to a few dozen characters."""
    if len(value) <= QUOTED_CHARACTERS:
        return repr(value)
    return f"{value[:QUOTED_CHARACTERS]!r}… ({len(value)} characters)"


def normalise_id(value: str, column: str = "tweet_id") -> str:
    """``119237``, ``119237.0``, ``1.19237e5`` -> ``119237``; ValueError otherwise.

    Excel writes a long number in scientific notation with six significant digits
    (``2.98795E+06`` for 2987953); the digits it dropped cannot be told from zeros, and
    several tweets would become one. Such an id, whose exponent reaches past its written
    digits, is refused.
    """
    cleaned = value.strip().strip('"').strip()
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{quoted(value)} is not a tweet id") from None
    if not number.is_finite() or number != number.to_integral_value() or number <= 0:
        raise ValueError(f"{quoted(value)} is not a tweet id")
    written = number.as_tuple()
    if "e" in cleaned.lower() and isinstance(written.exponent, int) and written.exponent > 0:
        digits = len(written.digits)
        raise ValueError(
            f"{column} {quoted(value)} lost digits: Excel wrote it in scientific notation with "
            f"{digits} of its {digits + written.exponent} digits; export the id columns as text"
        )
    return str(int(number))


def parse_created(value: str) -> datetime:
    """``Tue Oct 31 22:10:47 +0000 2017`` (any locale), or ISO 8601 with an offset."""
    expected = f"created_at {quoted(value)} is not a time like 'Tue Oct 31 22:10:47 +0000 2017'"
    parts = value.split()
    try:
        if len(parts) == 6 and parts[1][:3].lower() in _MONTHS:
            _, month, day, clock, offset, year = parts
            match = _OFFSET.match(offset)
            if match is None:
                raise ValueError(expected)
            hours, minutes, seconds = (int(p) for p in clock.split(":"))
            moment = datetime(
                int(year), _MONTHS[month[:3].lower()], int(day), hours, minutes, seconds
            )
            sign = 1 if match[1] == "+" else -1
            shift = sign * (int(match[2]) * 60 + int(match[3]))
            return (moment - timedelta(minutes=shift)).replace(tzinfo=UTC)
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(expected) from None
    if moment.tzinfo is None:
        raise ValueError(f"created_at {quoted(value)} has no time zone")
    return moment.astimezone(UTC)


def parse_inbound(value: str) -> bool:
    text = value.strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError(f"inbound {quoted(value)} is neither True nor False")


# --- streaming the file ------------------------------------------------------------------


@dataclass
class _Lines:
    """Physical lines of a binary file (split on LF only), with line numbers and pushback.

    Each line comes as (number, text, repairs): ``repairs`` names what had to be mended
    (bytes that are not UTF-8 replaced, NUL bytes removed).
    """

    handle: BinaryIO
    number: int = 0
    bytes_read: int = 0
    bare_returns: int = 0
    pending: deque[tuple[int, str, tuple[str, ...]]] = field(default_factory=deque)

    def next_line(self) -> tuple[int, str, tuple[str, ...]] | None:
        if self.pending:
            return self.pending.popleft()
        raw = self.handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return None
        self.bytes_read += len(raw)
        self.number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            # Too long for a row: skip to the end of the line without holding it.
            while rest := self.handle.readline(MAX_LINE_BYTES):
                self.bytes_read += len(rest)
                if rest.endswith(b"\n"):
                    break
            return self.number, "\n", (TOO_LONG,)
        repairs: tuple[str, ...] = ()
        if b"\x00" in raw:
            raw = raw.replace(b"\x00", b"")
            repairs += (NUL_REMOVED,)
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            line = raw.decode("utf-8", errors="replace")
            repairs = (NOT_UTF8, *repairs)
        if line.endswith("\r\n"):
            line = line[:-2] + "\n"
        if "\r" in line:
            # Inside an unquoted text, the csv module would end the row at a bare CR.
            line = line.replace("\r", _CR)
            self.bare_returns += 1
        return self.number, line, repairs


def read_rows(
    path: Path | str, progress: Callable[[int, int], None] | None = None
) -> Iterator[TweetRow | Problem]:
    """Every row of the file as a TweetRow, or a Problem saying why it could not be read.

    A row read with a repair (bytes that are not UTF-8) comes with a Problem that has
    ``skipped`` False just before it.
    """
    source = Path(path)
    total = source.stat().st_size
    with source.open("rb") as handle:
        lines = _Lines(handle)
        header_line = lines.next_line()
        if header_line is None:
            raise TwcsFormatError(f"{source}: the file is empty; expected a TWCS CSV header")
        if TOO_LONG in header_line[2]:
            raise TwcsFormatError(
                f"{source}: line 1 is longer than {MAX_LINE_BYTES} bytes: not a TWCS CSV "
                f"(expected the header {','.join(REQUIRED + OPTIONAL)})"
            )
        # Excel's "CSV UTF-8" starts with a byte-order mark.
        header = next(csv.reader([header_line[1].removeprefix("\ufeff")]))
        columns = [name.strip().lower() for name in header]
        missing = [name for name in REQUIRED if name not in columns]
        if missing:
            found = quoted(", ".join(header))
            raise TwcsFormatError(
                f"{source}: line 1: missing column(s) {', '.join(missing)}; expected the TWCS "
                f"columns {', '.join(REQUIRED + OPTIONAL)} (found {found})"
            )
        position = {name: columns.index(name) for name in REQUIRED}
        width = len(columns)

        record: list[tuple[int, str, tuple[str, ...]]] = []
        runaway = False

        def feed() -> Iterator[str]:
            nonlocal runaway
            while (found := lines.next_line()) is not None:
                record.append(found)
                if len(record) > MAX_RECORD_LINES:
                    runaway = True
                    yield '"\n'  # close the quote so that parsing can go on
                    continue
                yield found[1]

        reader = csv.reader(feed())
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                # A field over the csv module's limit (128 KiB, a quote left open over long
                # lines): the reader starts afresh at the next line.
                start = record[0][0] if record else lines.number
                record.clear()
                yield Problem(start, f"the row cannot be read ({exc}); skipped")
                continue
            start = record[0][0] if record else lines.number
            end = record[-1][0] if record else start
            if runaway:
                # Report the row that opened the quote; read the swallowed lines again.
                yield Problem(
                    start, f"a quote opened here never closes; lines {start + 1}-{end} read again"
                )
                lines.pending.extendleft(reversed(record[1 : MAX_RECORD_LINES + 1]))
                record.clear()
                runaway = False
                continue
            repairs = [repair for entry in record for repair in entry[2]]
            record.clear()
            if progress is not None:
                progress(lines.bytes_read, total)
            if TOO_LONG in repairs:
                spans = f" (the row spans lines {start}-{end})" if end > start else ""
                yield Problem(start, f"{TOO_LONG}{spans}; skipped")
                continue
            if not any(value.strip() for value in fields):
                continue  # a blank line
            row = _row(start, end, fields, position, width)
            if repairs and isinstance(row, TweetRow):
                for repair in dict.fromkeys(repairs):
                    yield Problem(start, repair, skipped=False)
            yield row


def _row(
    start: int,
    end: int,
    fields: list[str],
    position: dict[str, int],
    width: int,
) -> TweetRow | Problem:
    spans = f" (the row spans lines {start}-{end})" if end > start else ""
    if len(fields) != width:
        return Problem(start, f"expected {width} fields, found {len(fields)}{spans}")

    def value(name: str) -> str:
        return fields[position[name]].replace(_CR, "\n")

    try:
        tweet_id = normalise_id(value("tweet_id"))
        author = value("author_id").strip()
        if not author:
            raise ValueError("author_id is empty")
        inbound = parse_inbound(value("inbound"))
        created = parse_created(value("created_at"))
        parent_text = value("in_response_to_tweet_id").strip()
        parent = normalise_id(parent_text, "in_response_to_tweet_id") if parent_text else None
    except ValueError as exc:
        return Problem(start, f"{exc}{spans}")
    return TweetRow(
        line=start,
        tweet_id=tweet_id,
        author=author,
        inbound=inbound,
        created_at=created,
        text=html.unescape(value("text")),
        parent_id=parent,
    )


# --- importing ---------------------------------------------------------------------------

BATCH = 5000  # rows staged, and items written, at a time: what Python holds in memory
COMMIT_EVERY = 20  # pages of items per commit


@dataclass
class ImportResult:
    rows: int = 0  # rows read (staged), repeated tweet ids included
    unreadable: int = 0  # rows that could not be read at all
    unassigned: int = 0  # rows read but addressed to no brand
    duplicates: int = 0  # rows whose tweet id appeared earlier in the file (the later wins)
    imported: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    missing_parents: int = 0  # replies to tweets not in the file (kept, linked as far as known)
    brands: list[str] = field(default_factory=list)
    accounts_created: list[str] = field(default_factory=list)
    clients_created: list[str] = field(default_factory=list)
    clients: dict[str, str] = field(default_factory=dict)  # brand -> client name
    problems: list[Problem] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return self.unreadable + self.unassigned


_STAGING = {
    "twcs_rows": (
        "line INTEGER NOT NULL UNIQUE, tweet_id VARCHAR(40) PRIMARY KEY, author VARCHAR(200) "
        "NOT NULL, inbound BOOLEAN NOT NULL, created_s {bigint} NOT NULL, text TEXT NOT NULL, "
        "parent_id VARCHAR(40)"
    ),
    "twcs_roots": "tweet_id VARCHAR(40) PRIMARY KEY, root VARCHAR(40) NOT NULL",
    "twcs_brands": "tweet_id VARCHAR(40) PRIMARY KEY, brand VARCHAR(200)",
}


def _create_staging(connection: Connection) -> None:
    bigint = "INTEGER" if connection.dialect.name == "sqlite" else "BIGINT"
    for name, columns in _STAGING.items():
        connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
        connection.execute(text(f"CREATE TEMPORARY TABLE {name} ({columns.format(bigint=bigint)})"))
    connection.execute(text("CREATE INDEX twcs_rows_parent ON twcs_rows (parent_id)"))
    connection.execute(text("CREATE INDEX twcs_roots_root ON twcs_roots (root)"))


def _drop_staging(connection: Connection) -> None:
    for name in _STAGING:
        connection.execute(text(f"DROP TABLE IF EXISTS {name}"))


def _stage(connection: Connection, rows: list[TweetRow]) -> int:
    """Stage a batch; the last row of a tweet id wins. Returns how many ids were known."""
    unique = {row.tweet_id: row for row in rows}
    known = (
        connection.execute(
            text("SELECT tweet_id FROM twcs_rows WHERE tweet_id IN :ids").bindparams(
                _expanding("ids")
            ),
            {"ids": list(unique)},
        )
        .scalars()
        .all()
    )
    if known:
        connection.execute(
            text("DELETE FROM twcs_rows WHERE tweet_id IN :ids").bindparams(_expanding("ids")),
            {"ids": list(known)},
        )
    connection.execute(
        text(
            "INSERT INTO twcs_rows (line, tweet_id, author, inbound, created_s, text, parent_id) "
            "VALUES (:line, :tweet_id, :author, :inbound, :created_s, :text, :parent_id)"
        ),
        [
            {
                "line": row.line,
                "tweet_id": row.tweet_id,
                "author": row.author,
                "inbound": row.inbound,
                "created_s": int(row.created_at.timestamp()),
                "text": row.text,
                "parent_id": row.parent_id,
            }
            for row in unique.values()
        ],
    )
    return len(known) + (len(rows) - len(unique))


def _expanding(name: str) -> BindParameter[Any]:
    return bindparam(name, expanding=True)


_LINK_ROOTS = """
INSERT INTO twcs_roots (tweet_id, root)
WITH RECURSIVE chain (tweet_id, root) AS (
  SELECT t.tweet_id, COALESCE(t.parent_id, t.tweet_id) FROM twcs_rows t
  WHERE t.parent_id IS NULL
     OR NOT EXISTS (SELECT 1 FROM twcs_rows p WHERE p.tweet_id = t.parent_id)
  UNION ALL
  SELECT c.tweet_id, chain.root FROM twcs_rows c JOIN chain ON c.parent_id = chain.tweet_id
)
SELECT tweet_id, root FROM chain
"""

# The brand a customer tweet is addressed to: the brand it replies to, else the first
# brand that replies to it, else a brand handle it mentions, else the first brand that
# speaks in its conversation.
_LINK_BRANDS = r"""
INSERT INTO twcs_brands (tweet_id, brand)
SELECT t.tweet_id,
  CASE WHEN NOT t.inbound THEN t.author ELSE COALESCE(
    (SELECT p.author FROM twcs_rows p WHERE p.tweet_id = t.parent_id AND NOT p.inbound),
    (SELECT c.author FROM twcs_rows c WHERE c.parent_id = t.tweet_id AND NOT c.inbound
     ORDER BY c.created_s, c.tweet_id LIMIT 1),
    (SELECT b.author FROM (SELECT DISTINCT author FROM twcs_rows WHERE NOT inbound) b
     WHERE LOWER(t.text) LIKE '%@' || REPLACE(LOWER(b.author), '_', '\_') || '%' ESCAPE '\'
     ORDER BY b.author LIMIT 1),
    (SELECT o.author FROM twcs_roots q JOIN twcs_rows o ON o.tweet_id = q.tweet_id
     WHERE q.root = r.root AND NOT o.inbound ORDER BY o.created_s, o.tweet_id LIMIT 1)
  ) END
FROM twcs_rows t LEFT JOIN twcs_roots r ON r.tweet_id = t.tweet_id
"""


def _brand_clients(
    session: Session, client_id: int | None, brands: list[str], result: ImportResult
) -> dict[str, Client]:
    """The client of each brand: the one given, or one per brand named after its handle
    (found by that name, else created with the default settings)."""
    if client_id is not None:
        owner = session.get(Client, client_id)
        assert owner is not None
        return dict.fromkeys(brands, owner)
    existing = {
        client.name: client
        for client in session.scalars(select(Client).where(Client.name.in_(brands)))
    }
    clients = {}
    for brand in brands:
        client = existing.get(brand)
        if client is None:
            client = Client(name=brand)
            session.add(client)
            session.flush()
            result.clients_created.append(brand)
        clients[brand] = client
    return clients


def _brand_accounts(
    session: Session, clients: dict[str, Client], brands: list[str], result: ImportResult
) -> dict[str, int]:
    """An X account of its client for every brand handle; conflicts stop the import."""
    handles: dict[str, str] = {}
    for brand in brands:
        try:
            handles[brand] = canonical_handle(PLATFORM, brand)
        except HandleError as exc:
            raise TwcsFormatError(f"brand {brand!r}: {exc}") from None
    existing = {
        account.handle: account
        for account in session.scalars(
            select(Account).where(
                Account.platform == PLATFORM, Account.handle.in_(list(handles.values()))
            )
        )
    }
    for brand, handle in handles.items():
        account = existing.get(handle)
        if account is not None and account.client_id != clients[brand].id:
            owner = session.get(Client, account.client_id)
            raise TwcsConflict(
                f"x account {handle} (brand {brand}) belongs to client "
                f"{owner.name if owner else account.client_id!r}, not to "
                f"{clients[brand].name!r}; import it there (--client with --one-client) or "
                "remove it"
            )
    ids = {}
    for brand, handle in handles.items():
        account = existing.get(handle)
        if account is None:
            account = Account(
                client_id=clients[brand].id,
                platform=PLATFORM,
                handle=handle,
                display_name=brand,
                active=False,
            )
            session.add(account)
            session.flush()
            result.accounts_created.append(handle)
        ids[brand] = account.id
        result.clients[brand] = clients[brand].name
    return ids


def import_twcs(
    connection: Connection,
    path: Path | str,
    client_id: int | None = None,
    on_read: Callable[[int, int], None] | None = None,
    on_write: Callable[[int, int], None] | None = None,
    on_problem: Callable[[Problem], None] | None = None,
    batch_size: int = BATCH,
    one_client: bool = False,
) -> ImportResult:
    """Import a TWCS file; idempotent, resumable by running it again.

    The data set is many businesses: each brand becomes a client of its own, named after
    its handle (so that one brand's replies never answer another brand's customers).
    With ``client_id`` every brand goes to that client; a file of several brands is then
    refused (TwcsSeveralBrands) unless ``one_client`` says it is meant, before anything
    is written.

    ``connection`` must not be inside a transaction: pages of items are committed as they
    are written (the staging tables are temporary tables of this connection).
    """
    result = ImportResult()

    def problem(found: Problem) -> None:
        result.problems.append(found)
        if on_problem is not None:
            on_problem(found)

    _create_staging(connection)
    connection.commit()
    try:
        batch: list[TweetRow] = []
        for found in read_rows(path, on_read):
            if isinstance(found, Problem):
                result.unreadable += found.skipped
                problem(found)
                continue
            batch.append(found)
            if len(batch) >= batch_size:
                result.duplicates += _stage(connection, batch)
                result.rows += len(batch)
                batch.clear()
        if batch:
            result.duplicates += _stage(connection, batch)
            result.rows += len(batch)
        connection.commit()
        _link(connection, result)
        connection.commit()
        _write(connection, client_id, one_client, result, on_write, problem, batch_size)
    finally:
        connection.rollback()
        _drop_staging(connection)
        connection.commit()
    return result


def _link(connection: Connection, result: ImportResult) -> None:
    connection.execute(text(_LINK_ROOTS))
    # Rows in a reply loop are reached by no root: each is its own conversation.
    connection.execute(
        text(
            "INSERT INTO twcs_roots (tweet_id, root) SELECT t.tweet_id, t.tweet_id "
            "FROM twcs_rows t WHERE NOT EXISTS (SELECT 1 FROM twcs_roots r "
            "WHERE r.tweet_id = t.tweet_id)"
        )
    )
    connection.execute(text(_LINK_BRANDS))
    result.missing_parents = int(
        connection.execute(
            text(
                "SELECT COUNT(*) FROM twcs_rows t WHERE t.parent_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM twcs_rows p WHERE p.tweet_id = t.parent_id)"
            )
        ).scalar_one()
    )


def _write(
    connection: Connection,
    client_id: int | None,
    one_client: bool,
    result: ImportResult,
    on_write: Callable[[int, int], None] | None,
    problem: Callable[[Problem], None],
    page_size: int,
) -> None:
    brands = sorted(
        connection.execute(text("SELECT DISTINCT author FROM twcs_rows WHERE NOT inbound"))
        .scalars()
        .all()
    )
    result.brands = brands
    if client_id is not None and len(brands) > 1 and not one_client:
        shown = ", ".join(brands[:5]) + (f" and {len(brands) - 5} more" if len(brands) > 5 else "")
        raise TwcsSeveralBrands(
            f"{len(brands)} brands in the file ({shown}) are several businesses: leave out "
            "--client to import each brand as a client of its own, or add --one-client to "
            "put them all under one client (then each brand's replies count as answers to "
            "every other brand's customers)"
        )
    # The session must begin (and so commit) its own transactions on this connection: one
    # joined from outside would never commit.
    connection.commit()
    with Session(bind=connection) as session:
        clients = _brand_clients(session, client_id, brands, result)
        accounts = _brand_accounts(session, clients, brands, result)
        session.commit()
        after, pages = -1, 0
        while True:
            rows = session.execute(
                text(
                    """
SELECT t.line, t.tweet_id, t.author, t.inbound, t.created_s, t.text, t.parent_id, r.root, b.brand
FROM twcs_rows t
JOIN twcs_roots r ON r.tweet_id = t.tweet_id
JOIN twcs_brands b ON b.tweet_id = t.tweet_id
WHERE t.line > :after ORDER BY t.line LIMIT :limit"""
                ),
                {"after": after, "limit": page_size},
            ).all()
            if not rows:
                break
            after = rows[-1][0]
            by_account: dict[int, list[ItemRecord]] = {}
            for line, tweet_id, author, inbound, created_s, body, parent, root, brand in rows:
                if brand is None:
                    result.unassigned += 1
                    problem(
                        Problem(
                            line,
                            f"tweet {tweet_id} is addressed to no brand: none "
                            "replies to it or is replied to, it mentions none, and its "
                            "conversation has none",
                        )
                    )
                    continue
                by_account.setdefault(accounts[brand], []).append(
                    _record(tweet_id, author, bool(inbound), created_s, body, parent, root, brand)
                )
            # Before the first item row of this transaction: the writers' lock order
            # (storage.writing), so that a metrics refresh meanwhile cannot deadlock it.
            lock_for_writing(session)
            for account_id, records in by_account.items():
                written = upsert_items(session, account_id, records)
                result.new += written.new
                result.updated += written.updated
                result.unchanged += written.unchanged
                result.imported += len(records)
            pages += 1
            if pages % COMMIT_EVERY == 0:
                session.commit()
            if on_write is not None:
                on_write(result.imported, result.rows)
        session.commit()


_LEADING_HANDLES = re.compile(r"(?:\s*@\w+)+")


def brand_mention(text: str, brand: str, is_reply: bool) -> str | None:
    """Where a customer's tweet names its brand (storage.records.MENTION_*), or None.

    The data set has no ``display_text_range``: a reply's leading run of @handles is its
    automatic prefix (the thread's participants), anything after it the author's words.
    A tweet that replies to nothing names the brand in the author's words: the data set
    holds it because it was addressed to the company (its ``inbound`` column).
    """
    if not is_reply:
        return MENTION_TEXT
    named = re.compile(rf"(?<![\w@])@{re.escape(brand)}(?!\w)", re.IGNORECASE)
    prefix = _LEADING_HANDLES.match(text)
    start = prefix.end() if prefix else 0
    if named.search(text, start):
        return MENTION_TEXT
    if named.search(text[:start]):
        return MENTION_PREFIX
    return None


def _record(
    tweet_id: str,
    author: str,
    inbound: bool,
    created_s: int,
    body: str,
    parent: str | None,
    root: str,
    brand_handle: str,
) -> ItemRecord:
    brand = not inbound
    place = brand_mention(body, brand_handle, parent is not None) if inbound else None
    return ItemRecord(
        platform=PLATFORM,
        platform_item_id=tweet_id,
        author_id=author,
        author_handle=author,
        is_own=brand,
        kind=("post" if brand else "mention") if parent is None else "reply",
        created_at=datetime.fromtimestamp(created_s, UTC),
        text=body,
        parent_id=parent,
        root_id=root,
        mentions_account=place is not None,
        mention_place=place,
        permalink=f"https://x.com/i/web/status/{tweet_id}",
    )
