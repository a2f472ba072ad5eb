"""The only place that knows Bluesky's JSON (the app.bsky lexicons): views become records.

Responses arrive as plain JSON (``collectors.bluesky.client`` asks atproto for the raw
answer), and each object is checked here with atproto's own lexicon models, one at a time:
a single damaged post in a feed page becomes a :class:`PayloadProblem` naming its AT-URI
instead of failing the whole page, as parsing the page with the response model would.
atproto turns an open-union member it does not recognise (no ``$type``) into a plain
DotDict without complaint, so every union member is checked for its class here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from atproto import models
from atproto_client.exceptions import ModelError
from atproto_client.models.utils import get_or_create

from collectors.errors import MalformedResponse, PayloadProblem
from storage import platforms
from storage.models import ItemKind
from storage.own_side import OwnSide
from storage.records import MENTION_TEXT, ItemRecord, LikeRecord

PLATFORM = platforms.BLUESKY.name
Defs = models.AppBskyFeedDefs
THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"
NOT_FOUND = "app.bsky.feed.defs#notFoundPost"
BLOCKED = "app.bsky.feed.defs#blockedPost"
M = TypeVar("M")

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def parse_time(value: Any, item_id: str | None, name: str = "createdAt") -> datetime:
    if not isinstance(value, str):
        raise PayloadProblem(f"{name} is missing", item_id)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadProblem(f"{name} {value!r} is not a time", item_id) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def record_key(uri: str) -> str:
    """The last part of an AT-URI (at://did/collection/rkey): short, unique per author."""
    return uri.rstrip("/").rsplit("/", 1)[-1]


def author_of(uri: str) -> str:
    """The DID (or handle) an AT-URI belongs to."""
    return uri.removeprefix("at://").split("/", 1)[0]


def tid_time(key: str) -> datetime | None:
    """When a record with this TID record key was written (likes, posts); None if the key is
    not a TID."""
    if len(key) != 13 or any(c not in _TID_ALPHABET for c in key):
        return None
    value = 0
    for char in key:
        value = value * 32 + _TID_ALPHABET.index(char)
    return datetime.fromtimestamp((value >> 10) / 1_000_000, UTC)


def _model(payload: Any, model: type[M], what: str, item_id: str | None) -> M:
    if not isinstance(payload, Mapping):
        raise PayloadProblem(f"{what} is not an object", item_id)
    try:
        parsed = get_or_create(dict(payload), model, strict=True)
    except ModelError as exc:
        first = str(exc).splitlines()
        detail = first[1].strip() if len(first) > 1 else str(exc)[:120]
        raise PayloadProblem(f"{what} does not match the lexicon ({detail})", item_id) from None
    assert isinstance(parsed, model)
    return parsed


def _uri(payload: Any, *path: str) -> str | None:
    for name in path:
        if not isinstance(payload, Mapping):
            return None
        payload = payload.get(name)
    return payload if isinstance(payload, str) and payload else None


def permalink(handle: str | None, uri: str) -> str:
    return platforms.BLUESKY.link(handle or author_of(uri), record_key(uri))


def _mentions(record: models.AppBskyFeedPost.Record, did: str) -> bool:
    for facet in record.facets or ():
        for feature in facet.features:
            if isinstance(feature, models.AppBskyRichtextFacet.Mention) and feature.did == did:
                return True
    return False


def post_view(payload: Any) -> Defs.PostView:
    return _model(payload, Defs.PostView, "a post view", _uri(payload, "uri"))


def post_record(view: Defs.PostView) -> models.AppBskyFeedPost.Record:
    if not isinstance(view.record, models.AppBskyFeedPost.Record):
        raise PayloadProblem("the post's record is not an app.bsky.feed.post", view.uri)
    return view.record


def item_from_view(
    view: Defs.PostView, own: OwnSide, account_did: str, *, mentions_account: bool = False
) -> ItemRecord:
    """A post view as an item: a reply when its record answers another post; a top-level
    post by someone else is only ever collected because it names the account."""
    record = post_record(view)
    author = view.author
    is_own = own.includes(author.did, author.handle)
    parent_id = root_id = None
    if record.reply is not None:
        kind, parent_id, root_id = ItemKind.REPLY, record.reply.parent.uri, record.reply.root.uri
    else:
        kind, root_id = (ItemKind.POST if is_own else ItemKind.MENTION), view.uri
    return ItemRecord(
        platform=PLATFORM,
        platform_item_id=view.uri,
        author_id=author.did,
        author_handle=author.handle,
        is_own=is_own,
        kind=kind.value,
        created_at=parse_time(record.created_at, view.uri),
        text=record.text,
        parent_id=parent_id,
        root_id=root_id,
        mentions_account=mentions_account or _mentions(record, account_did),
        # Bluesky puts no @handles in front of a reply: a mention facet is always written
        # by the author.
        mention_place=MENTION_TEXT if _mentions(record, account_did) else None,
        permalink=permalink(author.handle, view.uri),
        like_count=view.like_count,
        reply_count=view.reply_count,
        repost_count=_reposts(view),
    )


def _reposts(view: Defs.PostView) -> int | None:
    """Reposts and quotes together; None when the view carries neither (older AppViews
    and some embeds leave counts out: unknown, not zero)."""
    counts = [c for c in (view.repost_count, view.quote_count) if c is not None]
    return sum(counts) if counts else None


def addressed_to(view: Defs.PostView, account_did: str) -> bool:
    """Whether a post speaks to the account: it answers one of its posts (or sits in a
    thread it started) or mentions it."""
    record = view.record
    if not isinstance(record, models.AppBskyFeedPost.Record):
        return False
    if record.reply is not None and account_did in (
        author_of(record.reply.parent.uri),
        author_of(record.reply.root.uri),
    ):
        return True
    return _mentions(record, account_did)


@dataclass(frozen=True)
class FeedEntry:
    item: ItemRecord
    sort_at: datetime  # where the entry sits in the feed (newest first)


def feed_entry(payload: Any, own: OwnSide, account_did: str) -> FeedEntry:
    """An author-feed entry: a post or reply of the account, or a repost (its reason)."""
    uri = _uri(payload, "post", "uri")
    entry = _model(payload, Defs.FeedViewPost, "a feed entry", uri)
    view = entry.post
    if isinstance(entry.reason, Defs.ReasonRepost):
        reason = entry.reason
        post = item_from_view(view, own, account_did)
        # Older AppViews do not name the repost record: a stable id is made up from the post.
        made_up = f"at://{reason.by.did}/app.bsky.feed.repost/{record_key(uri or '')}"
        repost_id = reason.uri or made_up
        reposted_at = parse_time(reason.indexed_at, repost_id, "indexedAt")
        item = ItemRecord(
            platform=PLATFORM,
            platform_item_id=repost_id,
            author_id=reason.by.did,
            author_handle=reason.by.handle,
            is_own=own.includes(reason.by.did, reason.by.handle),
            kind=ItemKind.REPOST.value,
            created_at=reposted_at,
            text=post.text,
            root_id=repost_id,
            permalink=post.permalink,
        )
        return FeedEntry(item, reposted_at)
    item = item_from_view(view, own, account_did)
    indexed = parse_time(view.indexed_at, view.uri, "indexedAt")
    # The AppView sorts a post by the earlier of its two times (a backdated post sits low).
    return FeedEntry(item, min(indexed, item.created_at))


def liked_entry(payload: Any) -> tuple[Defs.PostView, datetime | None]:
    """An entry of the account's likes: the post, and when the account liked it (from the
    TID of its like record, which the viewer state names)."""
    uri = _uri(payload, "post", "uri")
    entry = _model(payload, Defs.FeedViewPost, "a liked post", uri)
    like = entry.post.viewer.like if entry.post.viewer is not None else None
    return entry.post, tid_time(record_key(like)) if like else None


def like_from_payload(payload: Any, post_uri: str, own: OwnSide) -> LikeRecord:
    """One entry of ``getLikes`` as a like of ``post_uri``."""
    like = _model(payload, models.AppBskyFeedGetLikes.Like, "a like", post_uri)
    actor = like.actor
    return LikeRecord(
        platform=PLATFORM,
        item_platform_id=post_uri,
        liker_id=actor.did,
        liker_handle=actor.handle,
        is_own=own.includes(actor.did, actor.handle),
        liked_at=parse_time(like.created_at, post_uri),
    )


def own_like(post_uri: str, account_did: str, handle: str) -> LikeRecord:
    return LikeRecord(
        platform=PLATFORM,
        item_platform_id=post_uri,
        liker_id=account_did,
        liker_handle=handle,
        is_own=True,
    )


@dataclass(frozen=True)
class NotificationInfo:
    uri: str
    reason: str
    indexed_at: datetime


def notification_from_payload(payload: Any) -> NotificationInfo:
    uri = _uri(payload, "uri")
    note = _model(payload, models.AppBskyNotificationListNotifications.Notification,
                  "a notification", uri)  # fmt: skip
    return NotificationInfo(note.uri, note.reason, parse_time(note.indexed_at, note.uri))


@dataclass(frozen=True)
class Profile:
    did: str
    handle: str
    name: str | None
    followers: int | None


def profile_from_payload(body: Any, endpoint: str) -> Profile:
    if not isinstance(body, Mapping):
        raise MalformedResponse("the response is not a JSON object", endpoint)
    try:
        profile = _model(body, models.AppBskyActorDefs.ProfileViewDetailed, "the profile", None)
    except PayloadProblem as problem:
        raise MalformedResponse(problem.detail, endpoint) from None
    return Profile(profile.did, profile.handle, profile.display_name or None,
                   profile.followers_count)  # fmt: skip


def page_list(body: Any, name: str, endpoint: str) -> tuple[list[Any], str | None]:
    """The list ``name`` of a paged response and its cursor (None at the end)."""
    if not isinstance(body, Mapping) or not isinstance(body.get(name), list):
        raise MalformedResponse(f"the response has no {name} list", endpoint)
    cursor = body.get("cursor")
    return body[name], cursor if isinstance(cursor, str) and cursor else None


@dataclass
class ThreadWalk:
    """A post thread taken apart: its posts (views), what was seen, and whether the view
    is complete enough to mark missing replies removed."""

    views: list[Defs.PostView] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    hidden: set[str] = field(default_factory=set)
    complete: bool = True
    problems: list[PayloadProblem] = field(default_factory=list)


def walk_thread(body: Any, endpoint: str, depth_limit: int) -> ThreadWalk:
    """Every post of a getPostThread answer, at every depth the answer reaches."""
    if not isinstance(body, Mapping) or not isinstance(body.get("thread"), Mapping):
        raise MalformedResponse("the response has no thread", endpoint)
    walk = ThreadWalk()
    gate = body.get("threadgate")
    hidden = gate.get("record", {}).get("hiddenReplies") if isinstance(gate, Mapping) else None
    if isinstance(hidden, list):
        walk.hidden = {uri for uri in hidden if isinstance(uri, str)}
    for node, depth in _nodes(body["thread"], 0):
        kind = node.get("$type") if isinstance(node, Mapping) else None
        uri = _uri(node, "post", "uri") or _uri(node, "uri")
        if kind == NOT_FOUND:
            continue  # deleted: nothing to store, and not seen
        if kind == BLOCKED:
            # Blocks hide the post and everything below it: the view is not complete.
            walk.complete = False
            if uri:
                walk.seen.add(uri)
            continue
        if kind != THREAD_VIEW:
            walk.complete = False
            walk.problems.append(PayloadProblem(f"a thread node of unknown type {kind!r}", uri))
            continue
        if uri:
            walk.seen.add(uri)
        try:
            view = post_view(node.get("post"))
        except PayloadProblem as problem:
            walk.problems.append(problem)
            continue
        walk.views.append(view)
        replies = node.get("replies")
        if depth >= depth_limit and replies is None and (view.reply_count or 0) > 0:
            walk.complete = False  # the answer stopped at the depth asked for
    return walk


def _nodes(node: Any, depth: int) -> Iterator[tuple[Any, int]]:
    stack = [(node, depth)]
    while stack:
        current, level = stack.pop()
        yield current, level
        replies = current.get("replies") if isinstance(current, Mapping) else None
        if isinstance(replies, list):
            stack.extend((reply, level + 1) for reply in reversed(replies))


def hidden(item: ItemRecord) -> ItemRecord:
    """The item as the root's author hid it (threadgate ``hiddenReplies``)."""
    return replace(item, hidden=True)
