"""What collectors need to know about what is already stored, as small read queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import FollowerSnapshot, Item, ItemKind


@dataclass(frozen=True)
class StoredItem:
    platform_item_id: str
    kind: str
    is_own: bool
    created_at: datetime
    first_seen: datetime
    like_count: int
    reply_count: int = 0


def recent_items(
    session: Session,
    account_id: int,
    since: datetime,
    *,
    own_top_level_only: bool = False,
    include_reposts: bool = False,
) -> list[StoredItem]:
    """Items of the account created at or after ``since`` and not removed, oldest first."""
    query = select(
        Item.platform_item_id,
        Item.kind,
        Item.is_own,
        Item.created_at,
        Item.first_seen,
        Item.like_count,
        Item.reply_count,
    ).where(
        Item.account_id == account_id,
        Item.created_at >= since,
        Item.removed_at.is_(None),
    )
    if own_top_level_only:
        query = query.where(Item.is_own.is_(True), Item.parent_id.is_(None))
    if not include_reposts:
        query = query.where(Item.kind != ItemKind.REPOST)
    query = query.order_by(Item.created_at, Item.platform_item_id)
    return [StoredItem(*row) for row in session.execute(query)]


def recent_own_posts(session: Session, account_id: int, since: datetime) -> list[StoredItem]:
    """The account's own top-level posts (no replies, no reposts) since ``since``."""
    posts = recent_items(session, account_id, since, own_top_level_only=True)
    return [post for post in posts if post.kind == ItemKind.POST]


def recent_mentions(session: Session, account_id: int, since: datetime) -> list[StoredItem]:
    """Posts by others that mention the account and reply to nothing (the top of their own
    conversation), created at or after ``since`` and not removed, oldest first."""
    query = (
        select(
            Item.platform_item_id,
            Item.kind,
            Item.is_own,
            Item.created_at,
            Item.first_seen,
            Item.like_count,
            Item.reply_count,
        )
        .where(
            Item.account_id == account_id,
            Item.kind == ItemKind.MENTION,
            Item.is_own.is_(False),
            Item.parent_id.is_(None),
            Item.created_at >= since,
            Item.removed_at.is_(None),
        )
        .order_by(Item.created_at, Item.platform_item_id)
    )
    return [StoredItem(*row) for row in session.execute(query)]


def top_level_posts(
    session: Session, account_id: int, since: datetime, until: datetime | None = None
) -> list[str]:
    """Ids of the account's stored, not removed top-level posts created in [since, until]."""
    query = select(Item.platform_item_id).where(
        Item.account_id == account_id,
        Item.parent_id.is_(None),
        Item.kind.in_((ItemKind.POST, ItemKind.VISITOR_POST)),
        Item.created_at >= since,
        Item.removed_at.is_(None),
    )
    if until is not None:
        query = query.where(Item.created_at <= until)
    return list(session.scalars(query))


def reply_counts(session: Session, account_id: int, ids: Iterable[str]) -> dict[str, int]:
    """The stored reply counts of those of ``ids`` that are the account's items."""
    return _by_id(session, Item.reply_count, Item.account_id == account_id, ids)


def last_follower_count_at(session: Session, account_id: int) -> datetime | None:
    return session.scalar(
        select(func.max(FollowerSnapshot.taken_at)).where(FollowerSnapshot.account_id == account_id)
    )


def stored_roots(session: Session, platform: str, ids: Iterable[str]) -> dict[str, str | None]:
    """Stored items among ``ids`` with their root (None where it is not known yet)."""
    return _by_id(session, Item.root_id, Item.platform == platform, ids)


def _by_id(session: Session, column: Any, scope: Any, ids: Iterable[str]) -> dict[str, Any]:
    """``column`` of the stored items in ``scope`` among ``ids``, 500 ids per query."""
    wanted = sorted(set(ids))
    found: dict[str, Any] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(Item.platform_item_id, column).where(scope, Item.platform_item_id.in_(chunk))
        found.update((item_id, value) for item_id, value in session.execute(query))
    return found


def unrooted_replies(session: Session, account_id: int, limit: int) -> list[tuple[str, str]]:
    """(id, parent id) of the account's stored replies whose conversation is not known,
    newest first (recent weeks matter most)."""
    query = (
        select(Item.platform_item_id, Item.parent_id)
        .where(
            Item.account_id == account_id,
            Item.parent_id.is_not(None),
            Item.root_id.is_(None),
        )
        .order_by(Item.created_at.desc(), Item.platform_item_id.desc())
        .limit(limit)
    )
    return [(item_id, parent) for item_id, parent in session.execute(query) if parent]
