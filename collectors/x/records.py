"""The only place that knows X API v2 JSON: responses become platform-neutral records.

tweepy is used with ``return_type=dict`` so that one damaged tweet does not take its whole
page down (``tweepy.Tweet(data)`` raises KeyError on a tweet without ``text``); each object
is checked here and an unusable one becomes a :class:`PayloadProblem` naming its id.

X sends ``text`` HTML-escaped: ``&``, ``<`` and ``>`` arrive as ``&amp;``, ``&lt;`` and
``&gt;``, and nothing else is escaped. :func:`unescape` undoes exactly that, once, here at the
record boundary (a customer who writes ``&amp;`` literally arrives as ``&amp;amp;`` and is
stored as ``&amp;``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from collectors.errors import MalformedResponse, PayloadProblem
from storage import platforms
from storage.models import ItemKind
from storage.own_side import OwnSide, normalise_handle
from storage.records import MENTION_PREFIX, MENTION_TEXT, ItemRecord, LikeRecord

PLATFORM = platforms.X.name
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
_ESCAPED = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}

# Asked for on every tweet read; see PLATFORMS.md.
TWEET_FIELDS = [
    "created_at",
    "author_id",
    "conversation_id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "public_metrics",
    "entities",
    # where the text the author wrote starts: before it, the reply's automatic @handles
    "display_text_range",
]
EXPANSIONS = ["author_id"]
USER_FIELDS = ["username", "name"]


@dataclass(frozen=True)
class ObjectError:
    """One entry of a response's ``errors`` list: an object that could not be returned."""

    resource_type: str
    parameter: str
    resource_id: str
    title: str
    detail: str
    type: str

    @property
    def not_found(self) -> bool:
        return self.type == NOT_FOUND and self.title == "Not Found Error"


@dataclass
class Page:
    """One response of a list endpoint, taken apart."""

    tweets: list[Any] = field(default_factory=list)
    users: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    errors: list[ObjectError] = field(default_factory=list)
    newest_id: str | None = None
    next_token: str | None = None

    def missing(self, resource_type: str, parameter: str) -> set[str]:
        return {
            e.resource_id
            for e in self.errors
            if e.not_found and e.resource_type == resource_type and e.parameter == parameter
        }

    def unavailable_authors(self) -> dict[str, str]:
        """Author ids the response could not include, with the platform's reason."""
        return {
            e.resource_id: e.detail
            for e in self.errors
            if e.resource_type == "user" and e.parameter == "author_id"
        }


def page_from_payload(body: Any, endpoint: str) -> Page:
    """Take a list response apart; raises MalformedResponse if it is not one."""
    if not isinstance(body, Mapping):
        raise MalformedResponse("the response is not a JSON object", endpoint)
    data = body.get("data", [])
    if isinstance(data, Mapping):
        data = [data]
    includes = body.get("includes") or {}
    meta = body.get("meta") or {}
    if not isinstance(data, list) or not isinstance(includes, Mapping):
        raise MalformedResponse("data or includes have the wrong shape", endpoint)
    users = {
        str(user["id"]): user
        for user in includes.get("users", [])
        if isinstance(user, Mapping) and "id" in user
    }
    errors = [_object_error(entry) for entry in body.get("errors", []) if isinstance(entry, dict)]
    return Page(
        tweets=data,
        users=users,
        errors=errors,
        newest_id=_text_or_none(meta.get("newest_id")),
        next_token=_text_or_none(meta.get("next_token")),
    )


def _object_error(entry: Mapping[str, Any]) -> ObjectError:
    return ObjectError(
        resource_type=str(entry.get("resource_type", "")),
        parameter=str(entry.get("parameter", "")),
        resource_id=str(entry.get("resource_id") or entry.get("value") or ""),
        title=str(entry.get("title", "")),
        detail=str(entry.get("detail", "")),
        type=str(entry.get("type", "")),
    )


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def unescape(text: str) -> str:
    """A tweet's text as written: X's three HTML escapes undone in one pass."""
    return _ESCAPED.sub(lambda match: _UNESCAPED[match.group(1)], text)


def parse_time(value: Any, item_id: str | None, name: str = "created_at") -> datetime:
    if not isinstance(value, str):
        raise PayloadProblem(f"{name} is missing", item_id)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadProblem(f"{name} {value!r} is not a time", item_id) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_LEADING_HANDLES = re.compile(r"(?:\s*@\w+)+")


def own_words_start(tweet: Mapping[str, Any], is_reply: bool) -> int:
    """Where the text the author wrote begins (``display_text_range``'s start).

    A reply's automatic prefix (the @handles of the thread's participants) lies before
    it. Without the field, a reply's leading run of @handles is taken for the prefix.
    """
    shown = tweet.get("display_text_range")
    if (
        isinstance(shown, list)
        and len(shown) == 2
        and all(isinstance(n, int) and not isinstance(n, bool) for n in shown)
    ):
        return max(shown[0], 0)
    if not is_reply:
        return 0
    match = _LEADING_HANDLES.match(str(tweet.get("text") or ""))
    return match.end() if match else 0


def mention_place(
    tweet: Mapping[str, Any], account_id: str | None, handle: str | None, is_reply: bool
) -> str | None:
    """Where the tweet names the account (storage.records.MENTION_*), None if it does not.

    X marks the automatic prefix of a reply (outside ``display_text_range``): a mention
    there only is MENTION_PREFIX, anywhere else MENTION_TEXT. Mentions are found in
    ``entities.mentions`` by id, or by username when the id is missing.
    """
    entities = tweet.get("entities")
    mentions = entities.get("mentions") if isinstance(entities, Mapping) else None
    wanted = normalise_handle(handle) if handle else None
    starts = []
    for mention in mentions or ():
        if not isinstance(mention, Mapping) or not isinstance(mention.get("start"), int):
            continue
        same_id = account_id is not None and str(mention.get("id") or "") == account_id
        same_name = wanted and normalise_handle(str(mention.get("username") or "")) == wanted
        if same_id or same_name:
            starts.append(mention["start"])
    if not starts:
        return None
    begins = own_words_start(tweet, is_reply)
    return MENTION_TEXT if any(start >= begins for start in starts) else MENTION_PREFIX


def item_from_payload(
    tweet: Any,
    users: Mapping[str, Mapping[str, Any]],
    own: OwnSide,
    *,
    mentions_account: bool = False,
    account_id: str | None = None,
    account_handle: str | None = None,
) -> ItemRecord:
    """One tweet as an item. The kind depends on the tweet alone, never on the endpoint it
    came from, so that seeing it again elsewhere does not change it."""
    if not isinstance(tweet, Mapping) or not tweet.get("id"):
        raise PayloadProblem("a tweet without an id", None)
    tweet_id = str(tweet["id"])
    created_at = parse_time(tweet.get("created_at"), tweet_id)
    author_id = tweet.get("author_id")
    if not author_id:
        raise PayloadProblem("author_id is missing", tweet_id)
    author_id = str(author_id)
    author = users.get(author_id) or {}
    handle = author.get("username")
    references = {
        ref.get("type"): str(ref.get("id"))
        for ref in tweet.get("referenced_tweets") or []
        if isinstance(ref, Mapping) and ref.get("id")
    }
    is_own = own.includes(author_id, handle)
    parent_id = None
    if "retweeted" in references:
        kind = ItemKind.REPOST
    elif "replied_to" in references:
        kind, parent_id = ItemKind.REPLY, references["replied_to"]
    else:
        # A top-level tweet by someone else is only ever collected because it names the
        # account (mentions endpoint): it is a mention wherever it is seen again.
        kind = ItemKind.POST if is_own else ItemKind.MENTION
    root_id = str(tweet.get("conversation_id") or parent_id or tweet_id)
    if kind == ItemKind.REPOST:
        root_id = tweet_id
    metrics = tweet.get("public_metrics")
    text = tweet.get("text")
    place = None
    if kind != ItemKind.REPOST and (account_id or account_handle):
        place = mention_place(tweet, account_id, account_handle, kind == ItemKind.REPLY)
    return ItemRecord(
        platform=PLATFORM,
        platform_item_id=tweet_id,
        author_id=author_id,
        author_handle=handle,
        is_own=is_own,
        kind=kind.value,
        created_at=created_at,
        text=unescape(text) if isinstance(text, str) else None,
        parent_id=parent_id,
        root_id=root_id,
        mentions_account=mentions_account or place is not None,
        mention_place=place,
        # Without the author (missing from includes.users) the handle, and with it the
        # permalink, are unknown: storage keeps the ones it has.
        permalink=platforms.X.link(handle, tweet_id) if handle else None,
        like_count=_count(metrics, "like_count"),
        reply_count=_count(metrics, "reply_count"),
        repost_count=_count(metrics, "retweet_count"),
    )


def _count(metrics: Any, name: str) -> int | None:
    """A public metric; None when the answer did not carry it (unknown, not zero)."""
    value = metrics.get(name) if isinstance(metrics, Mapping) else None
    return value if isinstance(value, int) and value >= 0 else None


def like_from_payload(user: Any, tweet_id: str, own: OwnSide) -> LikeRecord:
    """One entry of ``liking_users`` as a like of ``tweet_id``."""
    if not isinstance(user, Mapping) or not user.get("id"):
        raise PayloadProblem("a liking user without an id", tweet_id)
    liker_id = str(user["id"])
    handle = user.get("username")
    return LikeRecord(
        platform=PLATFORM,
        item_platform_id=tweet_id,
        liker_id=liker_id,
        liker_handle=handle,
        is_own=own.includes(liker_id, handle),
    )


@dataclass(frozen=True)
class UserInfo:
    id: str
    username: str
    name: str | None
    followers: int | None


def user_from_payload(body: Any, endpoint: str) -> UserInfo | None:
    """The user of a users lookup, or None when the response says it does not exist."""
    if not isinstance(body, Mapping):
        raise MalformedResponse("the response is not a JSON object", endpoint)
    user = body.get("data")
    if user is None:
        return None
    if not isinstance(user, Mapping) or not user.get("id") or not user.get("username"):
        raise MalformedResponse("the user object has no id or username", endpoint)
    metrics = user.get("public_metrics")
    followers = metrics.get("followers_count") if isinstance(metrics, Mapping) else None
    return UserInfo(
        id=str(user["id"]),
        username=str(user["username"]),
        name=user.get("name"),
        followers=followers if isinstance(followers, int) else None,
    )


def lookup_error(body: Any) -> str | None:
    """The platform's reason why a lookup returned no object."""
    if isinstance(body, Mapping):
        for entry in body.get("errors", []):
            if isinstance(entry, Mapping) and entry.get("detail"):
                return str(entry["detail"])
    return None


def addressed_to(tweet: Any, user_id: str) -> bool:
    """Whether a tweet speaks to the account: it replies to the account or mentions it."""
    if not isinstance(tweet, Mapping):
        return False
    if str(tweet.get("in_reply_to_user_id") or "") == user_id:
        return True
    entities = tweet.get("entities")
    mentions = entities.get("mentions") if isinstance(entities, Mapping) else None
    return any(
        isinstance(mention, Mapping) and str(mention.get("id") or "") == user_id
        for mention in mentions or ()
    )


def own_like(tweet_id: str, user_id: str, username: str) -> LikeRecord:
    """The account's own like of a tweet (from its liked tweets)."""
    return LikeRecord(
        platform=PLATFORM,
        item_platform_id=tweet_id,
        liker_id=user_id,
        liker_handle=username.lstrip("@"),
        is_own=True,
    )
