"""Idempotent, batched writes of items, likes, follower counts and cursors.

The same batch written twice leaves the same rows: ``first_seen`` stays, ``last_seen``
moves, counts and texts take the newest values. Both SQLite and PostgreSQL get a real
``INSERT ... ON CONFLICT DO UPDATE``, so two writers never race into duplicates.

A later sighting never erases a known value with an unknown one (``None`` in a record,
see ``storage.records``): an answer that lacks the author's handle, the counts or the text
updates what it knows and keeps the rest. This is decided inside the ``ON CONFLICT``
clause itself, so it holds when two writers race too.
Every new or changed item marks its day dirty for the metrics rollups, in the same
transaction.

Nor does a later sighting bring back what privacy removed (storage/privacy.py): a purged
item keeps its empty text, handle and link, and an author id that is a pseudonym stays one.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import (
    CollectionCursor,
    FollowerSnapshot,
    Item,
    Like,
    RollupDirty,
)
from storage.privacy import PSEUDONYM_PREFIX
from storage.records import ItemRecord, LikeRecord
from storage.types import utcnow

# What privacy removed from a purged item and no later sighting may fill in again.
_PURGED_FIELDS = frozenset({"author_id", "author_handle", "text", "permalink"})

BATCH_SIZE = 500

# Columns a later sighting may change. first_seen, created_at and account_id never change:
# an item belongs to the account that first collected it.
_MUTABLE_ITEM_FIELDS = (
    "author_id",
    "author_handle",
    "is_own",
    "kind",
    "parent_id",
    "root_id",
    "text",
    "permalink",
    "like_count",
    "reply_count",
    "repost_count",
)
# Columns that cannot be NULL: a record that does not know them inserts this value for a new
# item, and leaves them out of the update of a known one.
_FILLED_WHEN_UNKNOWN: dict[str, Any] = {
    "text": "",
    "like_count": 0,
    "reply_count": 0,
    "repost_count": 0,
}


@dataclass
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    # platform_item_id -> items.id for every record written
    ids: dict[str, int] = field(default_factory=dict)

    def __iadd__(self, other: UpsertResult) -> UpsertResult:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.ids.update(other.ids)
        return self


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_for(session: Session, table: Any) -> Any:
    """An INSERT that can take ON CONFLICT clauses, for the session's database."""
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERTS:
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    return _INSERTS[dialect](table)


def _chunks(rows: Sequence[Any], size: int = BATCH_SIZE) -> Iterable[Sequence[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _keys_condition(keys: Iterable[tuple[str, str]]) -> ColumnElement[bool]:
    """(platform, platform_item_id) IN keys, spelled so that SQLite uses the unique index.

    A row-value IN list makes SQLite scan the whole index (every item, for every chunk);
    one ``platform = ? AND platform_item_id IN (...)`` per platform is an index search.
    """
    by_platform: dict[str, list[str]] = {}
    for platform, platform_item_id in keys:
        by_platform.setdefault(platform, []).append(platform_item_id)
    return or_(
        *(
            and_(Item.platform == platform, Item.platform_item_id.in_(ids))
            for platform, ids in sorted(by_platform.items())
        )
    )


def mark_dirty(session: Session, marks: Iterable[tuple[int, date]]) -> None:
    """Record that these (account, UTC day) pairs need their rollups recomputed."""
    rows = [{"account_id": account_id, "day": day} for account_id, day in set(marks)]
    for chunk in _chunks(rows):
        statement = insert_for(session, RollupDirty).values(list(chunk))
        session.execute(statement.on_conflict_do_nothing(index_elements=["account_id", "day"]))


def item_row(record: ItemRecord, account_id: int, seen_at: datetime) -> dict[str, Any]:
    """The items-table row for a record first seen at ``seen_at``; unknown values (None) of
    columns that cannot be NULL are filled in (see :func:`unknown_fields`)."""
    row = _raw_row(record, account_id, seen_at)
    for name, filler in _FILLED_WHEN_UNKNOWN.items():
        if row[name] is None:
            row[name] = filler
    return row


def unknown_fields(record: ItemRecord) -> frozenset[str]:
    """The mutable columns whose value this sighting does not know."""
    return frozenset(name for name in _MUTABLE_ITEM_FIELDS if getattr(record, name) is None)


def _raw_row(record: ItemRecord, account_id: int, seen_at: datetime) -> dict[str, Any]:
    return {
        "platform": record.platform,
        "platform_item_id": record.platform_item_id,
        "account_id": account_id,
        "author_id": record.author_id,
        "author_handle": record.author_handle,
        "is_own": record.is_own,
        "kind": record.kind,
        "mentions_account": record.mentions_account,
        "mention_place": record.mention_place,
        "parent_id": record.parent_id,
        "root_id": record.root_id,
        "created_at": record.created_at,
        "text": record.text,
        "permalink": record.permalink,
        "like_count": record.like_count,
        "reply_count": record.reply_count,
        "repost_count": record.repost_count,
        "first_seen": seen_at,
        "last_seen": seen_at,
        "removed_at": seen_at if record.hidden else None,
        "removed_reason": "hidden" if record.hidden else None,
        "purged_at": seen_at if record.purged else None,
        "purge_reason": record.purged,
    }


def _kept(existing: Any) -> frozenset[str]:
    """The columns of a stored item that privacy has settled (see the module docstring)."""
    if existing.purged_at is not None:
        return _PURGED_FIELDS
    if existing.author_id is not None and existing.author_id.startswith(PSEUDONYM_PREFIX):
        return frozenset({"author_id"})
    return frozenset()


def _changed(existing: Any, row: dict[str, Any], unknown: frozenset[str]) -> bool:
    kept = _kept(existing)
    for name in _MUTABLE_ITEM_FIELDS:
        if name in unknown or name in kept:
            continue  # a sighting that does not know a value keeps the stored one
        if getattr(existing, name) != row[name]:
            return True
    if row["mentions_account"] and not existing.mentions_account:
        return True
    if row["mention_place"] is not None and row["mention_place"] != existing.mention_place:
        return True
    return (existing.removed_at is None) != (row["removed_at"] is None)


def upsert_items(
    session: Session,
    account_id: int,
    records: Iterable[ItemRecord],
    seen_at: datetime | None = None,
) -> UpsertResult:
    """Insert new items and refresh known ones; returns how many were new or changed."""
    seen_at = seen_at or utcnow()
    by_key: dict[tuple[str, str], ItemRecord] = {}
    for record in records:
        by_key[(record.platform, record.platform_item_id)] = record  # last sighting wins
    result = UpsertResult()
    for chunk in _chunks(list(by_key.values())):
        result += _upsert_item_chunk(session, account_id, chunk, seen_at)
    return result


def _upsert_item_chunk(
    session: Session, account_id: int, chunk: Sequence[ItemRecord], seen_at: datetime
) -> UpsertResult:
    keys = [(r.platform, r.platform_item_id) for r in chunk]
    existing = {
        (row.platform, row.platform_item_id): row
        for row in session.execute(
            select(
                Item.platform,
                Item.platform_item_id,
                Item.account_id,
                Item.created_at,
                Item.mentions_account,
                Item.mention_place,
                Item.removed_at,
                Item.purged_at,
                *(getattr(Item, name) for name in _MUTABLE_ITEM_FIELDS),
            ).where(_keys_condition(keys))
        )
    }
    rows = [item_row(record, account_id, seen_at) for record in chunk]
    unknowns = [unknown_fields(record) for record in chunk]
    result = UpsertResult()
    dirty: set[tuple[int, date]] = set()
    for row, unknown in zip(rows, unknowns, strict=True):
        known = existing.get((row["platform"], row["platform_item_id"]))
        if known is None:
            result.new += 1
            dirty.add((account_id, row["created_at"].date()))
        elif _changed(known, row, unknown):
            result.updated += 1
            dirty.add((known.account_id, known.created_at.date()))
        else:
            result.unchanged += 1

    # Rows that lack the same non-NULL columns share one statement whose update leaves those
    # columns out (usually one group per chunk). Executed with a list of rows it is compiled
    # once and sent as batched multi-row INSERTs (SQLAlchemy "insertmanyvalues").
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row, unknown in zip(rows, unknowns, strict=True):
        groups.setdefault(unknown & frozenset(_FILLED_WHEN_UNKNOWN), []).append(row)
    for kept, group in groups.items():
        statement = _item_upsert(session, kept)
        for platform_item_id, item_id in session.execute(statement, group):
            result.ids[platform_item_id] = item_id
    reappeared = [
        r["platform_item_id"]
        for r in rows
        if r["removed_at"] is None
        and (known := existing.get((r["platform"], r["platform_item_id"]))) is not None
        and known.removed_at is not None
    ]
    if reappeared:
        session.execute(
            update(Item)
            .where(Item.platform == chunk[0].platform, Item.platform_item_id.in_(reappeared))
            .values(removed_at=None, removed_reason=None)
        )
    mark_dirty(session, dirty)
    return result


def _item_upsert(session: Session, kept: frozenset[str]) -> Any:
    """INSERT ... ON CONFLICT DO UPDATE for items; the columns in ``kept`` are not updated."""
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERTS:
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    return _built_item_upsert(dialect, kept)


@functools.cache
def _built_item_upsert(dialect: str, kept: frozenset[str]) -> Any:
    # Built once per dialect and set of kept columns (a handful in all): building the
    # statement cost more CPU than sending it, for every batch of every collection.
    items = Item.__table__
    statement = _INSERTS[dialect](items)
    excluded = statement.excluded
    set_: dict[str, Any] = {}
    purged = items.c.purged_at.is_not(None)
    for name in _MUTABLE_ITEM_FIELDS:
        if name in kept:
            continue
        if name in _FILLED_WHEN_UNKNOWN:
            value = getattr(excluded, name)
        else:
            # NULL in a sighting means "not known": the stored value stays (the root of a
            # Mastodon reply that names only its parent, the handle of a suspended author).
            value = func.coalesce(getattr(excluded, name), getattr(items.c, name))
        if name == "author_id":
            settled = purged | items.c.author_id.startswith(PSEUDONYM_PREFIX)
            value = case((settled, items.c.author_id), else_=value)
        elif name in _PURGED_FIELDS:
            value = case((purged, getattr(items.c, name)), else_=value)
        set_[name] = value
    set_["purged_at"] = func.coalesce(items.c.purged_at, excluded.purged_at)
    set_["purge_reason"] = func.coalesce(items.c.purge_reason, excluded.purge_reason)
    set_["last_seen"] = excluded.last_seen
    # Once seen as a mention, an item stays one even when later seen only in a thread.
    set_["mentions_account"] = or_(items.c.mentions_account, excluded.mentions_account)
    # A sighting that cannot tell where the account is mentioned keeps what one that could
    # found; one that can tell is the platform's current word (an edited text).
    set_["mention_place"] = func.coalesce(excluded.mention_place, items.c.mention_place)
    if "text" not in kept:
        # Classifications of the text (metrics fill them in) are redone when it changed;
        # a purged item's are final (its text is gone, metrics never classify it again).
        same_text = purged | (items.c.text == excluded.text)
        for name in ("is_question", "is_ack_text", "is_redirect", "reply_key"):
            set_[name] = case((same_text, items.c[name]), else_=None)
    # A hidden item keeps the time it was first seen hidden; an item seen again in the
    # open (unhidden, or a transient miss) is no longer removed.
    set_["removed_at"] = func.coalesce(items.c.removed_at, excluded.removed_at)
    set_["removed_reason"] = func.coalesce(items.c.removed_reason, excluded.removed_reason)
    return statement.on_conflict_do_update(
        index_elements=["platform", "platform_item_id"], set_=set_
    ).returning(items.c.platform_item_id, items.c.id)


def mark_removed(
    session: Session,
    platform: str,
    platform_item_ids: Iterable[str],
    reason: str = "deleted",
    at: datetime | None = None,
) -> int:
    """Mark items as gone from the platform. Rows are never deleted; returns how many."""
    at = at or utcnow()
    ids = list(set(platform_item_ids))
    marked = 0
    for chunk in _chunks(ids):
        condition = and_(
            Item.platform == platform,
            Item.platform_item_id.in_(chunk),
            Item.removed_at.is_(None),
        )
        touched = session.execute(select(Item.account_id, Item.created_at).where(condition)).all()
        if not touched:
            continue
        session.execute(update(Item).where(condition).values(removed_at=at, removed_reason=reason))
        mark_dirty(session, {(row.account_id, row.created_at.date()) for row in touched})
        marked += len(touched)
    return marked


def forget_items(session: Session, platform: str, platform_item_ids: Iterable[str]) -> int:
    """Delete stored items (with their likes and facts) that must not be kept at all.

    For private messages found stored from before replywatch dropped them. The days of
    every item in their threads are marked dirty, so that the refresh recomputes the
    threads they were part of (an answer to a deleted message answers nothing now).
    Returns how many were deleted.
    """
    deleted = 0
    for chunk in _chunks(sorted(set(platform_item_ids))):
        condition = and_(Item.platform == platform, Item.platform_item_id.in_(chunk))
        found = session.execute(select(Item.platform_item_id, Item.root_id).where(condition)).all()
        if not found:
            continue
        threads = sorted({row.root_id or row.platform_item_id for row in found})
        touched = session.execute(
            select(Item.account_id, Item.created_at).where(
                Item.platform == platform,
                or_(Item.root_id.in_(threads), Item.platform_item_id.in_(threads)),
            )
        ).all()
        mark_dirty(session, {(row.account_id, row.created_at.date()) for row in touched})
        session.execute(Item.__table__.delete().where(condition))
        deleted += len(found)
    return deleted


def set_roots(session: Session, platform: str, roots: dict[str, str]) -> int:
    """Give replies whose conversation was not known their root; a known root stays.

    For platforms whose payloads name only the parent (Mastodon), the root is worked out
    after the reply was stored. Returns how many items got one.
    """
    changed = 0
    for item_id, root_id in sorted(roots.items()):
        condition = and_(
            Item.platform == platform,
            Item.platform_item_id == item_id,
            Item.root_id.is_(None),
        )
        touched = session.execute(select(Item.account_id, Item.created_at).where(condition)).all()
        if not touched:
            continue
        session.execute(update(Item).where(condition).values(root_id=root_id))
        mark_dirty(session, {(row.account_id, row.created_at.date()) for row in touched})
        changed += len(touched)
    return changed


def mark_missing_from_thread(
    session: Session,
    platform: str,
    root_id: str,
    seen_ids: Iterable[str],
    at: datetime | None = None,
) -> int:
    """After a *full* view of a thread, mark the stored items missing from it as deleted."""
    seen = set(seen_ids)
    stored = session.scalars(
        select(Item.platform_item_id).where(
            Item.platform == platform,
            Item.root_id == root_id,
            Item.platform_item_id != root_id,
            Item.removed_at.is_(None),
        )
    ).all()
    return mark_removed(session, platform, [i for i in stored if i not in seen], "deleted", at)


@dataclass
class LikeUpsertResult:
    new: int = 0
    known: int = 0
    # Likes whose item is not stored: the caller decides whether that is a problem.
    unknown_items: list[str] = field(default_factory=list)


def upsert_likes(
    session: Session, records: Iterable[LikeRecord], seen_at: datetime | None = None
) -> LikeUpsertResult:
    seen_at = seen_at or utcnow()
    by_key: dict[tuple[str, str, str], LikeRecord] = {}
    for record in records:
        by_key[(record.platform, record.item_platform_id, record.liker_id)] = record
    result = LikeUpsertResult()
    for chunk in _chunks(list(by_key.values())):
        item_keys = {(r.platform, r.item_platform_id) for r in chunk}
        items = {
            (row.platform, row.platform_item_id): row
            for row in session.execute(
                select(
                    Item.id, Item.platform, Item.platform_item_id, Item.account_id, Item.created_at
                ).where(_keys_condition(item_keys))
            )
        }
        rows = []
        for record in chunk:
            item = items.get((record.platform, record.item_platform_id))
            if item is None:
                result.unknown_items.append(record.item_platform_id)
                continue
            rows.append(
                {
                    "item_id": item.id,
                    "liker_id": record.liker_id,
                    "liker_handle": record.liker_handle,
                    "is_own": record.is_own,
                    "liked_at": record.liked_at,
                    "first_seen": seen_at,
                    "last_seen": seen_at,
                }
            )
        if not rows:
            continue
        known = {
            (row.item_id, row.liker_id): row.is_own
            for row in session.execute(
                select(Like.item_id, Like.liker_id, Like.is_own).where(
                    Like.item_id.in_({r["item_id"] for r in rows})
                )
            )
        }
        new_rows = [r for r in rows if (r["item_id"], r["liker_id"]) not in known]
        # A known like whose own-side flag flips changes self-likes: mark it like a new one.
        flipped = [
            r
            for r in rows
            if (key := (r["item_id"], r["liker_id"])) in known and known[key] != r["is_own"]
        ]
        result.new += len(new_rows)
        result.known += len(rows) - len(new_rows)
        statement = insert_for(session, Like).values(rows)
        excluded = statement.excluded
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["item_id", "liker_id"],
                set_={
                    "last_seen": excluded.last_seen,
                    "liker_handle": func.coalesce(excluded.liker_handle, Like.liker_handle),
                    "is_own": excluded.is_own,
                    "liked_at": func.coalesce(Like.liked_at, excluded.liked_at),
                },
            )
        )
        new_item_ids = {r["item_id"] for r in new_rows + flipped}
        mark_dirty(
            session,
            {
                (item.account_id, item.created_at.date())
                for item in items.values()
                if item.id in new_item_ids
            },
        )
    return result


def record_followers(
    session: Session, account_id: int, followers: int, taken_at: datetime | None = None
) -> None:
    session.add(
        FollowerSnapshot(account_id=account_id, followers=followers, taken_at=taken_at or utcnow())
    )


def get_cursor(session: Session, account_id: int, endpoint: str) -> str | None:
    cursor = session.get(CollectionCursor, (account_id, endpoint))
    return cursor.value if cursor else None


def set_cursor(session: Session, account_id: int, endpoint: str, value: str) -> None:
    """Advance a cursor. Call it in the transaction that commits the items it covers."""
    statement = insert_for(session, CollectionCursor).values(
        account_id=account_id, endpoint=endpoint, value=value, updated_at=utcnow()
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["account_id", "endpoint"],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
    )
