"""Platform-neutral records: what a collector hands to storage.

A collector's ``from_payload`` functions are the only code that knows a platform's JSON;
they produce these records, and storage never sees a payload.

``None`` in a field means "this sighting does not know": an answer without the author's
handle, a lookup without counts, an object whose text was not asked for. Storage never lets
an unknown value replace a known one (``storage.upsert``); a new item stores ``""`` for an
unknown text and 0 for an unknown count.

A record carries no NUL character (U+0000) in any text: PostgreSQL refuses it in a text
column (SQLite takes it), so one such post would fail its account on every run. It is
removed here, where every collector hands text to storage, the same on both databases; it
is invisible where it occurs, so the text reads the same without it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

NUL = "\x00"


def without_nul(text: str) -> str:
    """``text`` with every NUL character removed."""
    return text.replace(NUL, "") if NUL in text else text


def _remove_nul(record: object) -> None:
    """Remove NUL from every text field of a frozen record (in __post_init__)."""
    for field in fields(record):  # type: ignore[arg-type]
        value = getattr(record, field.name)
        if isinstance(value, str) and NUL in value:
            object.__setattr__(record, field.name, value.replace(NUL, ""))


@dataclass(frozen=True, slots=True)
class ItemRecord:
    platform: str
    platform_item_id: str
    author_id: str | None
    author_handle: str | None
    is_own: bool
    kind: str
    created_at: datetime
    text: str | None = ""
    parent_id: str | None = None
    root_id: str | None = None
    mentions_account: bool = False
    permalink: str | None = None
    like_count: int | None = None
    reply_count: int | None = None
    repost_count: int | None = None
    # Set when the payload itself says the item is hidden (Graph API ``is_hidden``).
    hidden: bool = False
    # Set by the collectors' privacy boundary for an author on the erasure list: the record
    # arrives without text, handle and link, and is stored as purged (storage/privacy.py).
    purged: str | None = None
    # Where the account is mentioned (storage.models.Item.mention_place): MENTION_TEXT,
    # MENTION_PREFIX, MENTION_LEADING, or None when the payload does not tell.
    mention_place: str | None = None

    def __post_init__(self) -> None:
        _remove_nul(self)


# The values of ``ItemRecord.mention_place`` (docs/metrics.md, "Who is addressed").
MENTION_TEXT = "text"  # in the author's own words
MENTION_PREFIX = "prefix"  # only in the reply prefix the platform marks as such
MENTION_LEADING = "leading"  # only in the leading @handles of a reply (prefix unmarked)
MENTION_PLACES = (MENTION_TEXT, MENTION_PREFIX, MENTION_LEADING)


@dataclass(frozen=True, slots=True)
class LikeRecord:
    platform: str
    item_platform_id: str
    liker_id: str
    liker_handle: str | None
    is_own: bool
    liked_at: datetime | None = None

    def __post_init__(self) -> None:
        _remove_nul(self)
