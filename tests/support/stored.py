"""What a collection left in storage, read back for the collector tests' assertions."""

from __future__ import annotations

from sqlalchemy import Engine, select

from storage.engine import session_factory
from storage.models import CollectionCursor, Item, Like


def stored_items(engine: Engine) -> dict[str, Item]:
    """Every stored item by its platform id (detached, attributes loaded)."""
    with session_factory(engine)() as session:
        return {item.platform_item_id: item for item in session.scalars(select(Item))}


def stored_cursors(engine: Engine) -> dict[str, str]:
    with session_factory(engine)() as session:
        return {c.endpoint: c.value for c in session.scalars(select(CollectionCursor))}


def stored_likes(engine: Engine) -> set[tuple[str, str, bool]]:
    """(liked item's platform id, liker id, liked by the own side) of every stored like."""
    with session_factory(engine)() as session:
        rows = session.execute(select(Item.platform_item_id, Like.liker_id, Like.is_own)
                               .join(Item, Item.id == Like.item_id))  # fmt: skip
        return {tuple(row) for row in rows}
