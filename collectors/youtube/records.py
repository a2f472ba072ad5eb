"""The only place that knows YouTube Data API JSON: payloads -> records.

A channel's videos are its posts. A comment thread under a video is flat, as on Facebook:
the top-level comment is a ``comment`` whose parent and root are the video, and every
reply (``snippet.parentId``, whatever it answered in the app) hangs under the top-level
comment. A thread without a video (an old channel discussion comment) is a
``visitor_post`` with its replies under it. Counts arrive as strings (``"1234"``).

Because every reply's parent is the top-level comment, who a reply answers is only told by
its text: the app puts ``@handle`` of the one answered in front of it. A customer's second
question after the channel's answer starts with the channel's ``@handle`` and is stored
with that mention ``leading`` (docs/metrics.md, "Who is addressed"); without it, it would
look like a chat under the customer's own comment. An account added by its channel id
(``UC…``) has no handle to find in texts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collectors.errors import PayloadProblem
from storage import platforms
from storage.models import ItemKind
from storage.own_side import OwnSide, normalise_handle
from storage.records import MENTION_LEADING, MENTION_TEXT, ItemRecord, LikeRecord

PLATFORM = platforms.YOUTUBE.name
# A comment the channel has not published: held for review, taken for spam, or rejected.
NOT_PUBLISHED = ("heldForReview", "likelySpam", "rejected")
_HANDLE = re.compile(r"@([A-Za-z0-9_.-]{3,30})")
_LEADING_HANDLE = re.compile(r"\s*@([A-Za-z0-9_.-]{3,30})")


def parse_time(value: Any, item_id: str | None, name: str) -> datetime:
    """``2022-12-17T04:19:11Z`` (today) or ``2019-06-23T02:49:00.000Z`` (older answers)."""
    if not isinstance(value, str):
        raise PayloadProblem(f"{name} is missing", item_id)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadProblem(f"{name} {value!r} is not a time", item_id) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def count(values: Any, name: str) -> int:
    """A statistic: the API sends 64-bit numbers as strings; a hidden one is missing."""
    value = values.get(name) if isinstance(values, Mapping) else None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value if isinstance(value, int) and value >= 0 else 0


def _mapping(payload: Any, name: str) -> Mapping[str, Any]:
    value = payload.get(name) if isinstance(payload, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _id(payload: Any, what: str) -> str:
    if not isinstance(payload, Mapping) or not payload.get("id"):
        raise PayloadProblem(f"{what} without an id", None)
    return str(payload["id"])


def items_of(body: Any) -> list[Any]:
    """The ``items`` of a list response; the API leaves the key out when nothing matched."""
    items = body.get("items", []) if isinstance(body, Mapping) else None
    return items if isinstance(items, list) else []


# --- the channel ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    id: str
    title: str | None
    uploads: str | None  # the playlist of its uploads ("UU...")
    subscribers: int | None  # None when the channel hides the number


def channel_from_payload(payload: Any) -> Channel:
    channel_id = _id(payload, "a channel")
    snippet = _mapping(payload, "snippet")
    playlists = _mapping(_mapping(payload, "contentDetails"), "relatedPlaylists")
    statistics = _mapping(payload, "statistics")
    hidden = statistics.get("hiddenSubscriberCount") is True or "subscriberCount" not in statistics
    uploads = playlists.get("uploads")
    return Channel(
        id=channel_id,
        title=snippet.get("title") if isinstance(snippet.get("title"), str) else None,
        uploads=uploads if isinstance(uploads, str) and uploads else None,
        subscribers=None if hidden else count(statistics, "subscriberCount"),
    )


# --- videos ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """An entry of the uploads playlist: which video, published when."""

    video_id: str
    published_at: datetime


def upload_from_payload(payload: Any) -> Upload:
    details = _mapping(payload, "contentDetails")
    snippet = _mapping(payload, "snippet")
    video_id = details.get("videoId") or _mapping(snippet, "resourceId").get("videoId")
    if not isinstance(video_id, str) or not video_id:
        raise PayloadProblem("a playlist item without a video id", payload_id(payload))
    published = details.get("videoPublishedAt") or snippet.get("publishedAt")
    return Upload(video_id, parse_time(published, video_id, "videoPublishedAt"))


def payload_id(payload: Any) -> str | None:
    return str(payload["id"]) if isinstance(payload, Mapping) and payload.get("id") else None


def video_link(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


def video_from_payload(payload: Any, own: OwnSide) -> ItemRecord:
    """A video of the channel (``videos.list`` with ``snippet,statistics``)."""
    video_id = _id(payload, "a video")
    snippet = _mapping(payload, "snippet")
    statistics = _mapping(payload, "statistics")
    channel_id = snippet.get("channelId")
    if not isinstance(channel_id, str) or not channel_id:
        raise PayloadProblem("the video's channelId is missing", video_id)
    title = str(snippet.get("title") or "")
    description = str(snippet.get("description") or "")
    channel_title = snippet.get("channelTitle")
    return ItemRecord(
        platform=PLATFORM,
        platform_item_id=video_id,
        author_id=channel_id,
        author_handle=channel_title if isinstance(channel_title, str) else None,
        is_own=own.includes(channel_id, None),
        kind=ItemKind.POST.value,
        created_at=parse_time(snippet.get("publishedAt"), video_id, "publishedAt"),
        text=f"{title}\n\n{description}".strip(),
        root_id=video_id,
        permalink=video_link(video_id),
        # viewCount has no place among the stored counts (no platform's views are kept).
        like_count=count(statistics, "likeCount"),
        reply_count=count(statistics, "commentCount"),
    )


def channel_of_video(payload: Any) -> str | None:
    channel_id = _mapping(payload, "snippet").get("channelId")
    return channel_id if isinstance(channel_id, str) else None


# --- comments -------------------------------------------------------------------------------


def mention_place(text: str, own: OwnSide, is_reply: bool) -> str | None:
    """Where a comment names the own channel by its @handle (storage.records.MENTION_*).

    In a reply, handles in front are the app's "answering @someone" (``leading``: counted
    unless the own side took part in the message answered); anywhere else, and in a
    top-level comment, they are the author's own words.
    """
    position, leading = 0, []
    while is_reply and (match := _LEADING_HANDLE.match(text, position)):
        leading.append(normalise_handle(match[1]))
        position = match.end()
    if any(normalise_handle(found) in own.handles for found in _HANDLE.findall(text[position:])):
        return MENTION_TEXT
    return MENTION_LEADING if own.handles.intersection(leading) else None


def comment_from_payload(
    payload: Any,
    own: OwnSide,
    *,
    root_id: str,
    parent_id: str | None = None,
    video_id: str | None = None,
    kind: ItemKind = ItemKind.COMMENT,
    reply_count: int = 0,
) -> tuple[ItemRecord, PayloadProblem | None]:
    """A top-level comment or a reply; ``parent_id`` None for the top of a thread.

    Returns the record and, when its author is missing (a channel that no longer
    exists), a problem to record; the comment is kept."""
    comment_id = _id(payload, "a comment")
    snippet = _mapping(payload, "snippet")
    created_at = parse_time(snippet.get("publishedAt"), comment_id, "publishedAt")
    author = _mapping(snippet, "authorChannelId").get("value")
    author_id = author if isinstance(author, str) and author else None
    handle = snippet.get("authorDisplayName")
    handle = handle if isinstance(handle, str) and handle else None
    problem = None
    if author_id is None:
        problem = PayloadProblem("the comment's author (authorChannelId) is missing", comment_id)
    text = snippet.get("textDisplay")
    if not isinstance(text, str):
        text = snippet.get("textOriginal")
    reply_to = snippet.get("parentId") or parent_id
    place = mention_place(str(text or ""), own, is_reply=bool(reply_to))
    if not reply_to and kind is not ItemKind.VISITOR_POST:
        reply_to = root_id  # a top-level comment answers the video
    record = ItemRecord(
        platform=PLATFORM,
        platform_item_id=comment_id,
        author_id=author_id,
        author_handle=handle,
        is_own=own.includes(author_id, handle),
        kind=kind.value,
        created_at=created_at,
        text=str(text or ""),
        parent_id=str(reply_to) if reply_to else None,
        root_id=root_id,
        mentions_account=place is not None,
        mention_place=place,
        permalink=f"{video_link(video_id)}&lc={comment_id}" if video_id else None,
        like_count=count(snippet, "likeCount"),
        reply_count=reply_count,
        hidden=snippet.get("moderationStatus") in NOT_PUBLISHED,
    )
    return record, problem


def viewer_liked(payload: Any) -> bool:
    """Whether whoever's OAuth token read the comment liked it (``viewerRating``). With an
    API key nobody is the viewer and the value is always "none"."""
    return _mapping(payload, "snippet").get("viewerRating") == "like"


@dataclass(frozen=True)
class Thread:
    """A comment thread: its top-level comment and the replies the response included."""

    id: str
    video_id: str | None  # None: a comment on the channel itself, not on a video
    top: Any  # the top-level comment's payload
    replies: list[Any]  # at most a few: ``total_replies`` says how many there are
    total_replies: int
    public: bool


def thread_from_payload(payload: Any) -> Thread:
    thread_id = _id(payload, "a comment thread")
    snippet = _mapping(payload, "snippet")
    top = snippet.get("topLevelComment")
    if not isinstance(top, Mapping):
        raise PayloadProblem("the thread has no topLevelComment", thread_id)
    video_id = snippet.get("videoId")
    replies = _mapping(payload, "replies").get("comments")
    return Thread(
        id=thread_id,
        video_id=video_id if isinstance(video_id, str) and video_id else None,
        top=top,
        replies=[r for r in replies if isinstance(r, Mapping)] if isinstance(replies, list) else [],
        total_replies=count(snippet, "totalReplyCount"),
        public=snippet.get("isPublic") is not False,
    )


def channel_like(item_id: str, channel_id: str, handle: str) -> LikeRecord:
    """The channel's own like of a comment."""
    return LikeRecord(
        platform=PLATFORM, item_platform_id=item_id, liker_id=channel_id, liker_handle=handle,
        is_own=True,
    )  # fmt: skip
