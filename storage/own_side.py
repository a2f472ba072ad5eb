"""Who speaks for a client on a platform: the account itself plus its identities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, case, false, func, select, update
from sqlalchemy.orm import Session

from storage.models import Account, Identity, Item, Like


def normalise_handle(handle: str | None) -> str:
    """Compare handles the way platforms do: without a leading @, case-insensitively."""
    return (handle or "").strip().lstrip("@").lower()


@dataclass(frozen=True)
class OwnSide:
    ids: frozenset[str] = field(default_factory=frozenset)
    handles: frozenset[str] = field(default_factory=frozenset)

    def includes(self, author_id: str | None, author_handle: str | None) -> bool:
        if author_id is not None and author_id in self.ids:
            return True
        return bool(author_handle) and normalise_handle(author_handle) in self.handles


def own_side_for(session: Session, account: Account) -> OwnSide:
    """The own side of ``account``: its id and handle, and its client's identities there."""
    ids: set[str] = set()
    handles: set[str] = set()
    for other in session.scalars(
        select(Account).where(
            Account.client_id == account.client_id, Account.platform == account.platform
        )
    ):
        # Two accounts of one client on one platform answer for each other.
        if other.platform_account_id:
            ids.add(other.platform_account_id)
        handles.add(normalise_handle(other.handle))
    for identity in session.scalars(
        select(Identity).where(
            Identity.client_id == account.client_id, Identity.platform == account.platform
        )
    ):
        if identity.platform_user_id:
            ids.add(identity.platform_user_id)
        handles.add(normalise_handle(identity.handle))
    return OwnSide(frozenset(ids), frozenset(handles))


def _own_condition(id_column: Any, handle_column: Any, side: OwnSide) -> ColumnElement[bool]:
    """SQL for "this author (or liker) is on the own side", matching OwnSide.includes."""
    condition: ColumnElement[bool] = false()
    if side.ids:
        condition = condition | id_column.in_(sorted(side.ids))
    if side.handles:
        condition = condition | func.lower(func.ltrim(handle_column, "@")).in_(sorted(side.handles))
    return condition


def refresh_own_flags(session: Session, client_id: int) -> int:
    """Re-decide ``is_own`` on a client's items and likes after its own side changed.

    Adding an agency-staff identity turns that person's replies into answers, also for
    history; the touched days are marked dirty so the rollups follow. Returns the number
    of items whose flag changed.
    """
    from storage.upsert import mark_dirty  # upsert must not import this module back

    changed = 0
    for account in session.scalars(select(Account).where(Account.client_id == client_id)):
        side = own_side_for(session, account)
        liker_decided = case(
            (_own_condition(Like.liker_id, Like.liker_handle, side), True), else_=False
        )
        like_condition = Like.item_id.in_(select(Item.id).where(Item.account_id == account.id)) & (
            Like.is_own != liker_decided
        )
        # A like turning into a self-like changes the liked item's metrics: mark its day.
        liked = (
            session.execute(
                select(Item.created_at).join(Like, Like.item_id == Item.id).where(like_condition)
            )
            .scalars()
            .all()
        )
        if liked:
            session.execute(update(Like).where(like_condition).values(is_own=liker_decided))
            mark_dirty(session, {(account.id, created.date()) for created in liked})
        decided = case(
            (_own_condition(Item.author_id, Item.author_handle, side), True), else_=False
        )
        condition = (Item.account_id == account.id) & (Item.is_own != decided)
        touched = session.execute(select(Item.created_at).where(condition)).scalars().all()
        if touched:
            session.execute(update(Item).where(condition).values(is_own=decided))
            mark_dirty(session, {(account.id, created.date()) for created in touched})
            changed += len(touched)
    return changed
