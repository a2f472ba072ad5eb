"""Platform-neutral records: what a collector hands to storage.

A collector's ``from_payload`` functions are the only code that knows a platform's JSON;
they produce these records, and storage never sees a payload.

``None`` in a field means "this sighting does not know": an answer without the author's
handle, a lookup without counts, an object whose text was not asked for. Storage never lets
an unknown value replace a known one (``storage.upsert``); a new item stores ``""`` for an
unknown text and 0 for an unknown count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
