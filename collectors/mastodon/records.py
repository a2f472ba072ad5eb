"""The only place that knows Mastodon's JSON: statuses and accounts become records.

Mastodon.py hands back its entities as dict subclasses whose ``created_at`` may already be a
datetime; its casting never fails (an object it cannot type stays a plain dict), so every
field is checked here and an unusable status becomes a :class:`PayloadProblem` with its id.

Handles: an account local to the instance has an ``acct`` without ``@domain``; records
carry the full ``user@instance`` form, so that the own side (``@shop@social.example``) and
identities are recognised whichever instance shows them.

Mastodon statuses do not say which conversation they belong to, only what they answer
(``in_reply_to_id``). A status read from the context of an own post gets that post as its
root here; for any other reply the collector works the root out (``root_id`` None).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from collectors.errors import MalformedResponse, PayloadProblem
from storage import platforms
from storage.models import ItemKind
from storage.own_side import OwnSide, normalise_handle
from storage.records import MENTION_LEADING, MENTION_TEXT, ItemRecord, LikeRecord

PLATFORM = platforms.MASTODON.name
# Only the people named can read these: a direct message ("direct"), and the "limited"
# visibility some servers give posts to a circle. Followers-only ("private") and
# unlisted posts are stored like public ones.
PRIVATE_VISIBILITIES = frozenset({"direct", "limited"})


class PrivateMessage(Exception):
    """A status only its participants can read: replywatch never stores it."""

    def __init__(self, item_id: str) -> None:
        super().__init__(f"status {item_id} is a private message")
        self.item_id = item_id


def is_private(payload: Any) -> bool:
    return isinstance(payload, Mapping) and payload.get("visibility") in PRIVATE_VISIBILITIES


def full_handle(acct: Any, instance: str) -> str | None:
    """``anna`` on social.example is ``anna@social.example``; remote accts stay as they are."""
    if not isinstance(acct, str) or not acct.strip():
        return None
    acct = acct.strip().lstrip("@")
    return acct if "@" in acct else f"{acct}@{instance}"


def parse_time(value: Any, item_id: str | None, name: str = "created_at") -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        raise PayloadProblem(f"{name} is missing", item_id)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadProblem(f"{name} {value!r} is not a time", item_id) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _TextOfHtml(HTMLParser):
    """Mastodon's status HTML as the text people read: paragraphs, line breaks, no tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(content: Any) -> str:
    if not isinstance(content, str) or not content:
        return ""
    parser = _TextOfHtml()
    parser.feed(content)
    parser.close()
    return html.unescape("".join(parser.parts)).strip()


@dataclass(frozen=True)
class AccountInfo:
    id: str
    handle: str
    name: str | None
    followers: int | None


def account_from_payload(payload: Any, instance: str, endpoint: str) -> AccountInfo:
    """An Account entity (lookup, account by id); a response without an id is malformed."""
    if not isinstance(payload, Mapping) or not payload.get("id"):
        raise MalformedResponse("the account has no id", endpoint)
    followers = payload.get("followers_count")
    return AccountInfo(
        id=str(payload["id"]),
        handle=full_handle(payload.get("acct"), instance) or str(payload["id"]),
        name=payload.get("display_name") or None,
        followers=followers if isinstance(followers, int) and followers >= 0 else None,
    )


def _count(payload: Mapping[str, Any], name: str) -> int | None:
    """A count of the status; None when the answer did not carry it (unknown, not zero)."""
    value = payload.get(name)
    return value if isinstance(value, int) and value >= 0 else None


def _author(payload: Mapping[str, Any], status_id: str, instance: str) -> tuple[str, str | None]:
    account = payload.get("account")
    if not isinstance(account, Mapping) or not account.get("id"):
        raise PayloadProblem("the status has no author (account)", status_id)
    return str(account["id"]), full_handle(account.get("acct"), instance)


def mentions_of(payload: Mapping[str, Any]) -> set[str]:
    """Account ids a status mentions."""
    found = set()
    for mention in payload.get("mentions") or ():
        if isinstance(mention, Mapping) and mention.get("id"):
            found.add(str(mention["id"]))
    return found


_LEADING_HANDLE = re.compile(r"\s*@([\w.-]+(?:@[\w.-]+)?)")


def leading_handles(text: str) -> tuple[list[str], str]:
    """The run of @handles a reply starts with (normalised), and the text after it."""
    handles, position = [], 0
    while match := _LEADING_HANDLE.match(text, position):
        handles.append(normalise_handle(match.group(1)))
        position = match.end()
    return handles, text[position:]


def mention_place(payload: Mapping[str, Any], text: str, account_id: str) -> str | None:
    """Where a status names the account (storage.records.MENTION_*), None if it does not.

    Mastodon does not mark a reply's automatic prefix: the leading mentions repeat the
    participants of the status answered, and are "leading" (metrics decide with the
    thread); the account named after them, or in a status that answers nothing, is in
    the author's own words.
    """
    names: set[str] = set()
    for mention in payload.get("mentions") or ():
        if isinstance(mention, Mapping) and str(mention.get("id") or "") == account_id:
            for field in ("username", "acct"):
                if isinstance(mention.get(field), str):
                    names.add(normalise_handle(mention[field]))
    if not names:
        return None
    if payload.get("in_reply_to_id") is None:
        return MENTION_TEXT
    leading, rest = leading_handles(text)
    named = {handle.split("@", 1)[0] for handle in leading} | set(leading)
    in_rest = any(
        normalise_handle(found) in names or normalise_handle(found).split("@", 1)[0] in names
        for found in re.findall(r"@([\w.-]+(?:@[\w.-]+)?)", rest)
    )
    if in_rest or not names & named:
        return MENTION_TEXT
    return MENTION_LEADING


def addressed_to(payload: Any, account_id: str) -> bool:
    """Whether a status speaks to the account: it answers the account or mentions it."""
    if not isinstance(payload, Mapping):
        return False
    replied_to = payload.get("in_reply_to_account_id")
    return (replied_to is not None and str(replied_to) == account_id) or (
        account_id in mentions_of(payload)
    )


def status_from_payload(
    payload: Any,
    own: OwnSide,
    instance: str,
    account_id: str,
    *,
    root_id: str | None = None,
    mentions_account: bool = False,
) -> ItemRecord:
    """One status as an item. The kind depends on the status alone: a boost is a repost, a
    status answering another is a reply, a top-level status by someone else is only ever
    collected because it names the account (a mention)."""
    if not isinstance(payload, Mapping) or not payload.get("id"):
        raise PayloadProblem("a status without an id", None)
    status_id = str(payload["id"])
    if is_private(payload) or is_private(payload.get("reblog")):
        raise PrivateMessage(status_id)  # before anything of it is read
    created_at = parse_time(payload.get("created_at"), status_id)
    author_id, handle = _author(payload, status_id, instance)
    is_own = own.includes(author_id, handle)
    reblog = payload.get("reblog")
    parent_id = payload.get("in_reply_to_id")
    if isinstance(reblog, Mapping):
        kind, parent_id, root = ItemKind.REPOST, None, status_id
        text = plain_text(reblog.get("content"))
        permalink = reblog.get("url") or reblog.get("uri")
    else:
        text = plain_text(payload.get("content"))
        spoiler = payload.get("spoiler_text")
        if isinstance(spoiler, str) and spoiler.strip():
            # A content warning is what readers see first; a question can hide behind it.
            text = f"{spoiler.strip()}\n\n{text}" if text else spoiler.strip()
        permalink = payload.get("url") or payload.get("uri")
        if parent_id is not None:
            kind, parent_id, root = ItemKind.REPLY, str(parent_id), root_id
        else:
            kind, root = (ItemKind.POST if is_own else ItemKind.MENTION), status_id
    return ItemRecord(
        platform=PLATFORM,
        platform_item_id=status_id,
        author_id=author_id,
        author_handle=handle,
        is_own=is_own,
        kind=kind.value,
        created_at=created_at,
        text=text,
        parent_id=parent_id,
        root_id=root,
        mentions_account=mentions_account or account_id in mentions_of(payload),
        # the content alone: a content warning is not where mentions are written
        mention_place=mention_place(payload, plain_text(payload.get("content")), account_id)
        if kind is not ItemKind.REPOST
        else None,
        permalink=permalink if isinstance(permalink, str) else None,
        like_count=_count(payload, "favourites_count"),
        reply_count=_count(payload, "replies_count"),
        repost_count=_count(payload, "reblogs_count"),
    )


def notification_status(payload: Any) -> Any:
    """The status a mention notification is about (None when it was deleted since)."""
    if not isinstance(payload, Mapping):
        raise PayloadProblem("a notification that is not an object", None)
    return payload.get("status")


def like_from_payload(payload: Any, status_id: str, own: OwnSide, instance: str) -> LikeRecord:
    """One account of ``favourited_by`` as a like of ``status_id``."""
    if not isinstance(payload, Mapping) or not payload.get("id"):
        raise PayloadProblem("a favouriting account without an id", status_id)
    liker_id = str(payload["id"])
    handle = full_handle(payload.get("acct"), instance)
    return LikeRecord(
        platform=PLATFORM,
        item_platform_id=status_id,
        liker_id=liker_id,
        liker_handle=handle,
        is_own=own.includes(liker_id, handle),
    )


def own_like(status_id: str, account_id: str, handle: str) -> LikeRecord:
    """The account's own favourite of a status (from its favourites list)."""
    return LikeRecord(
        platform=PLATFORM,
        item_platform_id=status_id,
        liker_id=account_id,
        liker_handle=handle.lstrip("@"),
        is_own=True,
    )


def snowflake(moment: datetime) -> str:
    """The smallest Mastodon id of a status created at ``moment`` (milliseconds << 16)."""
    return str(int(moment.timestamp() * 1000) << 16)
