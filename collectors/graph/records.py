"""The only place that knows Graph API JSON for Pages and Instagram: payloads -> records.

Facebook: Page posts and visitor posts (``/{page}/feed``), comments with
``filter=stream`` (all levels; a reply's ``parent`` is the top-level comment). Instagram:
media (``/{ig-user}/media``), comments and their ``replies`` (one level). A comment's root
is always its post or media, its parent the comment it answers or the post itself.
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
from storage.own_side import OwnSide
from storage.records import MENTION_TEXT, ItemRecord, LikeRecord

FACEBOOK = platforms.FACEBOOK.name
INSTAGRAM = platforms.INSTAGRAM.name

# user_likes: whether the token's owner liked the comment; with a Page token, the Page.
# message_tags: the people and Pages a comment tags; a reply to the Page's comment tags it.
COMMENT_FIELDS = (
    "id,message,created_time,from{id,name},parent{id},comment_count,like_count,is_hidden,"
    "permalink_url,user_likes,message_tags"
)
POST_FIELDS = (
    "id,message,created_time,permalink_url,status_type,from{id,name},shares,"
    "reactions.summary(true).limit(0),"
    "comments.filter(stream).order(chronological).summary(true).limit(100){" + COMMENT_FIELDS + "}"
)
IG_REPLY_FIELDS = "id,text,timestamp,username,from{id,username},like_count,hidden,parent_id"
IG_COMMENT_FIELDS = (
    "id,text,timestamp,username,from{id,username},like_count,hidden,"
    "replies.limit(50){" + IG_REPLY_FIELDS + "}"
)
MEDIA_FIELDS = (
    "id,caption,media_type,permalink,timestamp,like_count,comments_count,username,"
    "comments.limit(50){" + IG_COMMENT_FIELDS + "}"
)
# What tells cheaply, for many older posts per call, whether their comments changed: the
# comment count (with the same filter as POST_FIELDS, so the numbers compare) and, on Page
# posts, updated_time (moves with every new comment).
POST_SUMMARY_FIELDS = (
    "id,created_time,updated_time,from{id},comments.filter(stream).summary(true).limit(0)"
)
MEDIA_SUMMARY_FIELDS = "id,timestamp,comments_count"


def parse_time(value: Any, item_id: str | None, name: str) -> datetime:
    """Graph times look like ``2021-07-04T19:50:58+0000``."""
    if not isinstance(value, str):
        raise PayloadProblem(f"{name} is missing", item_id)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadProblem(f"{name} {value!r} is not a time", item_id) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _id(payload: Any, what: str) -> str:
    if not isinstance(payload, Mapping) or not payload.get("id"):
        raise PayloadProblem(f"{what} without an id", None)
    return str(payload["id"])


def _summary_total(payload: Mapping[str, Any], edge: str) -> int | None:
    """``total_count`` of an edge's summary; None when the answer carries none (unknown)."""
    value = payload.get(edge)
    if isinstance(value, Mapping):
        summary = value.get("summary")
        if isinstance(summary, Mapping) and isinstance(summary.get("total_count"), int):
            return summary["total_count"]
    return None


def _int(payload: Mapping[str, Any], name: str) -> int | None:
    """A count field; None when the answer did not carry it (unknown, not zero)."""
    value = payload.get(name)
    return value if isinstance(value, int) and value >= 0 else None


@dataclass(frozen=True)
class Author:
    id: str | None
    name: str | None


def facebook_author(payload: Mapping[str, Any]) -> Author:
    author = payload.get("from")
    if isinstance(author, Mapping) and author.get("id"):
        return Author(str(author["id"]), author.get("name"))
    return Author(None, None)


def facebook_is_own(author: Author, own: OwnSide) -> bool:
    # A Facebook handle is a Page id or a username; comments only give the id, so the id is
    # compared with both the known ids and the handles.
    return author.id is not None and own.includes(author.id, author.id)


def post_from_payload(
    payload: Any, page_id: str, own: OwnSide, posted_by_page: bool | None = None
) -> tuple[ItemRecord, PayloadProblem | None]:
    """A Page feed entry: the Page's own post, or a visitor's post on the Page.

    Whose post it is follows ``from.id`` when the payload has it. Without ``from`` (some
    tokens and apps get Page posts without it) ``posted_by_page`` decides: whether the
    Page's own posts endpoint (``/{page-id}/posts``) lists the post. The absence of ``from``
    alone never makes a post a visitor's. Only a post whose author nothing tells (no
    ``from``, ``posted_by_page`` False or not known) is kept as a visitor post with a
    problem to record (a post by a deleted user, or a token that is not the Page's).
    """
    post_id = _id(payload, "a post")
    created_at = parse_time(payload.get("created_time"), post_id, "created_time")
    author = facebook_author(payload)
    problem = None
    if author.id is None and posted_by_page:
        author = Author(page_id, None)  # the Page's name is not in the payload: unknown
    elif author.id is None:
        problem = PayloadProblem("the post's author (from) is missing", post_id)
    shares = payload.get("shares")
    record = ItemRecord(
        platform=FACEBOOK,
        platform_item_id=post_id,
        author_id=author.id,
        author_handle=author.name,
        is_own=facebook_is_own(author, own) or (author.id == page_id),
        kind=(ItemKind.POST if author.id == page_id else ItemKind.VISITOR_POST).value,
        created_at=created_at,
        text=str(payload.get("message") or ""),
        root_id=post_id,
        permalink=payload.get("permalink_url"),
        like_count=_summary_total(payload, "reactions"),
        reply_count=_summary_total(payload, "comments"),
        # The Graph API leaves `shares` out of a post nobody shared: absent means 0 here.
        repost_count=_int(shares, "count") if isinstance(shares, Mapping) else 0,
        hidden=payload.get("is_hidden") is True,
    )
    return record, problem


def tags_page(payload: Mapping[str, Any], page_id: str | None) -> bool:
    """Whether a comment's ``message_tags`` tag the Page.

    Facebook has no reply prefix: a tag is written (or kept) by the author, and a reply
    to the Page's comment tags the Page, which is how a flat thread says whom a reply
    answers.
    """
    tags = payload.get("message_tags")
    if page_id is None or not isinstance(tags, list):
        return False
    return any(isinstance(tag, Mapping) and str(tag.get("id") or "") == page_id for tag in tags)


def comment_from_payload(
    payload: Any, post_id: str, own: OwnSide, page_id: str | None = None
) -> tuple[ItemRecord, PayloadProblem | None]:
    """A comment (or a reply to one) under a Page post."""
    comment_id = _id(payload, "a comment")
    created_at = parse_time(payload.get("created_time"), comment_id, "created_time")
    author = facebook_author(payload)
    problem = None
    if author.id is None:
        problem = PayloadProblem("the comment's author (from) is missing", comment_id)
    parent = payload.get("parent")
    parent_id = str(parent["id"]) if isinstance(parent, Mapping) and parent.get("id") else None
    record = ItemRecord(
        platform=FACEBOOK,
        platform_item_id=comment_id,
        author_id=author.id,
        author_handle=author.name,
        is_own=facebook_is_own(author, own),
        kind=ItemKind.COMMENT.value,
        created_at=created_at,
        text=str(payload.get("message") or ""),
        parent_id=parent_id or post_id,
        root_id=post_id,
        mentions_account=tags_page(payload, page_id),
        mention_place=MENTION_TEXT if tags_page(payload, page_id) else None,
        permalink=payload.get("permalink_url"),
        like_count=_int(payload, "like_count"),
        reply_count=_int(payload, "comment_count"),
        hidden=payload.get("is_hidden") is True,
    )
    return record, problem


def media_from_payload(payload: Any, ig_user_id: str, own: OwnSide) -> ItemRecord:
    """An Instagram media object of the business account: always the account's own post."""
    media_id = _id(payload, "a media object")
    created_at = parse_time(payload.get("timestamp"), media_id, "timestamp")
    username = payload.get("username")
    return ItemRecord(
        platform=INSTAGRAM,
        platform_item_id=media_id,
        author_id=ig_user_id,
        author_handle=username,
        is_own=own.includes(ig_user_id, username),
        kind=ItemKind.POST.value,
        created_at=created_at,
        text=str(payload.get("caption") or ""),
        root_id=media_id,
        permalink=payload.get("permalink"),
        like_count=_int(payload, "like_count"),
        reply_count=_int(payload, "comments_count"),
    )


def names_username(text: str, username: str | None) -> bool:
    """Whether an Instagram text names ``@username``. Instagram puts in front of a reply
    only the person it answers: the business named there is answered, not repeated."""
    if not username:
        return False
    wanted = username.lstrip("@").lower()
    return any(found.lower() == wanted for found in re.findall(r"@([\w.]+\w)", text))


def ig_comment_from_payload(
    payload: Any,
    media_id: str,
    own: OwnSide,
    parent_id: str | None = None,
    account_username: str | None = None,
    media_permalink: str | None = None,
) -> tuple[ItemRecord, PayloadProblem | None]:
    """An Instagram comment, or a reply (``parent_id``: the top-level comment).

    The Graph API gives comments no link of their own: a comment links to its media
    (``media_permalink``), where it is shown."""
    comment_id = _id(payload, "a comment")
    created_at = parse_time(payload.get("timestamp"), comment_id, "timestamp")
    author = payload.get("from")
    author_id = str(author["id"]) if isinstance(author, Mapping) and author.get("id") else None
    username = payload.get("username") or (
        author.get("username") if isinstance(author, Mapping) else None
    )
    problem = None
    if author_id is None and not username:
        problem = PayloadProblem("the comment's author (from, username) is missing", comment_id)
    parent = payload.get("parent_id") or parent_id
    text = str(payload.get("text") or "")
    named = names_username(text, account_username)
    record = ItemRecord(
        platform=INSTAGRAM,
        platform_item_id=comment_id,
        author_id=author_id,
        author_handle=username,
        is_own=own.includes(author_id, username),
        kind=ItemKind.COMMENT.value,
        created_at=created_at,
        text=text,
        parent_id=str(parent) if parent else media_id,
        root_id=media_id,
        mentions_account=named,
        mention_place=MENTION_TEXT if named else None,
        permalink=media_permalink,
        like_count=_int(payload, "like_count"),
        hidden=payload.get("hidden") is True,
    )
    return record, problem


@dataclass(frozen=True)
class PostSummary:
    """What the older-posts listing tells about one post, without its comments."""

    id: str
    created_at: datetime
    comments: int | None  # the comment count (None: the answer did not say)
    updated_at: datetime | None = None  # Page posts only
    author_id: str | None = None


def post_summary(payload: Any) -> PostSummary:
    """A Page post of a POST_SUMMARY_FIELDS listing."""
    post_id = _id(payload, "a post")
    updated = payload.get("updated_time")
    return PostSummary(
        id=post_id,
        created_at=parse_time(payload.get("created_time"), post_id, "created_time"),
        comments=_summary_total(payload, "comments"),
        updated_at=parse_time(updated, post_id, "updated_time") if updated else None,
        author_id=facebook_author(payload).id,
    )


def media_summary(payload: Any) -> PostSummary:
    """A media object of a MEDIA_SUMMARY_FIELDS listing."""
    media_id = _id(payload, "a media object")
    return PostSummary(
        id=media_id,
        created_at=parse_time(payload.get("timestamp"), media_id, "timestamp"),
        comments=_int(payload, "comments_count"),
    )


@dataclass(frozen=True)
class PageInfo:
    id: str
    name: str | None
    followers: int | None
    instagram_id: str | None = None
    instagram_username: str | None = None


def page_from_payload(payload: Mapping[str, Any]) -> PageInfo:
    page_id = _id(payload, "a page")
    followers = payload.get("followers_count", payload.get("fan_count"))
    linked = payload.get("instagram_business_account")
    if not isinstance(linked, Mapping) or not linked.get("id"):
        linked = {}
    return PageInfo(
        id=page_id,
        name=payload.get("name"),
        followers=followers if isinstance(followers, int) else None,
        instagram_id=str(linked["id"]) if linked else None,
        instagram_username=linked.get("username"),
    )


def followers_from_payload(payload: Mapping[str, Any]) -> int | None:
    value = payload.get("followers_count", payload.get("fan_count"))
    return value if isinstance(value, int) else None


def liked_by_page(payload: Any) -> bool:
    """A comment the Page itself liked (``user_likes`` read with the Page's token)."""
    return isinstance(payload, Mapping) and payload.get("user_likes") is True


def reacted_by_page(payload: Any) -> bool:
    """A post the Page itself reacted to (``viewer_reaction`` of the reactions summary)."""
    reactions = payload.get("reactions") if isinstance(payload, Mapping) else None
    summary = reactions.get("summary") if isinstance(reactions, Mapping) else None
    reaction = summary.get("viewer_reaction") if isinstance(summary, Mapping) else None
    return isinstance(reaction, str) and reaction not in ("", "NONE")


def page_like(item_id: str, page_id: str, handle: str) -> LikeRecord:
    """The Page's own like (or reaction) of a post or comment."""
    return LikeRecord(
        platform=FACEBOOK,
        item_platform_id=item_id,
        liker_id=page_id,
        liker_handle=handle,
        is_own=True,
    )
