"""Build small, explicit fixture databases in code (clients, accounts, records)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from storage.models import Account, Client
from storage.records import ItemRecord

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday


def add_client(session: Session, name: str = "Bäckerei Huber", **fields) -> Client:
    client = Client(name=name, time_zone=fields.pop("time_zone", "Europe/Berlin"), **fields)
    session.add(client)
    session.flush()
    return client


def add_account(
    session: Session,
    client: Client,
    platform: str = "x",
    handle: str = "@huber",
    platform_account_id: str | None = "100",
) -> Account:
    account = Account(
        client_id=client.id,
        platform=platform,
        handle=handle,
        platform_account_id=platform_account_id,
    )
    session.add(account)
    session.flush()
    return account


def item(
    item_id: str,
    *,
    author: str = "900",
    handle: str | None = None,
    own: bool = False,
    kind: str = "reply",
    parent: str | None = None,
    root: str | None = None,
    minutes: float = 0,
    platform: str = "x",
    **fields,
) -> ItemRecord:
    return ItemRecord(
        platform=platform,
        platform_item_id=item_id,
        author_id=author,
        author_handle=handle or f"user{author}",
        is_own=own,
        kind=kind,
        created_at=T0 + timedelta(minutes=minutes),
        parent_id=parent,
        root_id=root if root is not None else (parent or item_id),
        **fields,
    )


def own(item_id: str, **fields) -> ItemRecord:
    """An item of the account itself (its author id is the account's, "100")."""
    return item(item_id, author="100", own=True, **fields)


def conversation(
    prefix: str, minutes: float, answered_after: float | None, author: str = "900"
) -> list[ItemRecord]:
    """An own post with a customer's comment, answered after some minutes (or never)."""
    records = [
        own(f"{prefix}p", kind="post", minutes=minutes),
        item(f"{prefix}c", author=author, parent=f"{prefix}p", minutes=minutes + 1,
             text="Wann habt ihr offen?", permalink=f"https://x.com/i/web/status/{prefix}c"),
    ]  # fmt: skip
    if answered_after is not None:
        records.append(
            own(f"{prefix}a", parent=f"{prefix}c", root=f"{prefix}p",
                minutes=minutes + 1 + answered_after)
        )  # fmt: skip
    return records


def changed(record: ItemRecord, **fields) -> ItemRecord:
    return replace(record, **fields)
