"""Who speaks for a client on a platform: the account itself plus its identities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import ColumnElement, case, false, func, select, union_all, update
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


class _OnPlatform(Protocol):
    """An account as far as its own side goes (a stored Account, or a run's view of one)."""

    @property
    def client_id(self) -> int: ...

    @property
    def platform(self) -> str: ...


def own_side_for(session: Session, account: _OnPlatform) -> OwnSide:
    """The own side of ``account``: its id and handle, and its client's identities there."""
    # Two accounts of one client on one platform answer for each other. A consultant's
    # client may have thousands of accounts: plain columns in one statement, not objects
    # (every collection asks this at its start).
    accounts = select(Account.platform_account_id, Account.handle).where(
        Account.client_id == account.client_id, Account.platform == account.platform
    )
    identities = select(Identity.platform_user_id, Identity.handle).where(
        Identity.client_id == account.client_id, Identity.platform == account.platform
    )
    ids: set[str] = set()
    handles: set[str] = set()
    for platform_id, handle in session.execute(union_all(accounts, identities)):
        if platform_id:
            ids.add(platform_id)
        handles.add(normalise_handle(handle))
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
