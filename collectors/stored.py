"""What collectors need to know about what is already stored, as small read queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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


def last_follower_count_at(session: Session, account_id: int) -> datetime | None:
    return session.scalar(
        select(func.max(FollowerSnapshot.taken_at)).where(FollowerSnapshot.account_id == account_id)
    )
