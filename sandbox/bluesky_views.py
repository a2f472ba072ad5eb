"""Bluesky AppView views (app.bsky.* lexicon objects) for posts of a World.

Objects that sit in an open union carry their ``$type`` (a thread node, a reply's parent and
root, a repost reason, a record), exactly where the AppView puts it: the atproto models tell
union members apart by it and silently fall back to a plain dict without it. Everything
else is camelCase without ``$type``.

Blocks are relative to the signed-in viewer (the public AppView applies none): a post by an
account that blocks the viewer, or that the viewer blocks, is shown as ``blockedPost``.
A reply the root's author hid is listed in the thread's threadgate ``hiddenReplies``.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from functools import lru_cache

from sandbox.world import Actor, Like, Post, World
from sandbox.world_server import iso_millis

# The world does not know when its actors signed up: they all joined on one day before any
# simulated activity.
ACCOUNT_CREATED_AT = datetime(2023, 9, 1, tzinfo=UTC)

_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


@lru_cache(maxsize=20_000)
def cid_for(*parts: str) -> str:
    """A CIDv1 (dag-cbor, sha2-256) in base32, derived from ``parts``: stable per record.

    Cached: a thread or a feed page renders the same records again and again.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    raw = bytes([0x01, 0x71, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


@lru_cache(maxsize=20_000)
def record_key(moment: datetime, salt: str) -> str:
    """A TID record key for a record written at ``moment`` (clock id from ``salt``)."""
    clock_id = int.from_bytes(hashlib.sha256(salt.encode()).digest()[:2], "big") & 0x3FF
    value = (int(moment.timestamp() * 1_000_000) << 10) | clock_id
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(13)))


class BlueskyViews:
    """Renders one request's views as the given viewer (None: the public AppView) sees them."""

    def __init__(
        self, world: World, viewer: Actor | None, blocks: set[tuple[str, str]] | None = None
    ) -> None:
        self.world = world
        self.viewer = viewer
        self.blocks = blocks or set()
        self._post_counts: dict[str, int] = {}

    # --- blocks -----------------------------------------------------------------------

    def blocked_by(self, actor_id: str) -> bool:
        return self.viewer is not None and (actor_id, self.viewer.id) in self.blocks

    def blocking(self, actor_id: str) -> bool:
        return self.viewer is not None and (self.viewer.id, actor_id) in self.blocks

    def is_blocked(self, actor_id: str) -> bool:
        return self.blocked_by(actor_id) or self.blocking(actor_id)

    def _actor_viewer(self, actor: Actor) -> dict[str, object]:
        state: dict[str, object] = {"muted": False, "blockedBy": self.blocked_by(actor.id)}
        if self.blocking(actor.id) and self.viewer is not None:
            state["blocking"] = (
                f"at://{self.viewer.id}/app.bsky.graph.block/"
                f"{record_key(ACCOUNT_CREATED_AT, actor.id)}"
            )
        return state

    # --- profiles ---------------------------------------------------------------------

    def profile_basic(self, actor: Actor) -> dict[str, object]:
        view: dict[str, object] = {"did": actor.id, "handle": actor.handle}
        if actor.name:
            view["displayName"] = actor.name
        view.update(
            viewer=self._actor_viewer(actor),
            labels=[],
            createdAt=iso_millis(ACCOUNT_CREATED_AT),
        )
        return view

    def profile(self, actor: Actor) -> dict[str, object]:
        view = self.profile_basic(actor)
        view.update(description="", indexedAt=iso_millis(ACCOUNT_CREATED_AT))
        return view

    def profile_detailed(self, actor: Actor) -> dict[str, object]:
        view = self.profile(actor)
        view.update(
            followersCount=actor.followers,
            followsCount=0,
            postsCount=self.posts_count(actor),
            associated={"lists": 0, "feedgens": 0, "starterPacks": 0, "labeler": False},
        )
        return view

    def posts_count(self, actor: Actor) -> int:
        if actor.id not in self._post_counts:
            self._post_counts[actor.id] = sum(
                1 for post in self.world.by_author(actor.id) if post.kind != "repost"
            )
        return self._post_counts[actor.id]

    # --- posts ------------------------------------------------------------------------

    def cid(self, post: Post) -> str:
        return cid_for(post.id, post.text, post.created_at.isoformat())

    def record(self, post: Post) -> dict[str, object]:
        """The app.bsky.feed.post record: text with a mention facet per mentioned account."""
        text = post.text
        mentioned = [self.world.actors[i] for i in post.mentions if i in self.world.actors]
        missing = [a for a in mentioned if f"@{a.handle}" not in text]
        if missing:
            text = " ".join(f"@{a.handle}" for a in missing) + (f" {text}" if text else "")
        record: dict[str, object] = {
            "$type": "app.bsky.feed.post",
            "createdAt": iso_millis(post.created_at),
            "text": text,
        }
        facets = []
        encoded = text.encode("utf-8")
        for actor in mentioned:
            start = encoded.find(f"@{actor.handle}".encode())
            if start >= 0:
                facets.append(
                    {
                        "$type": "app.bsky.richtext.facet",
                        "index": {
                            "byteStart": start,
                            "byteEnd": start + len(actor.handle.encode("utf-8")) + 1,
                        },
                        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": actor.id}],
                    }
                )
        if facets:
            record["facets"] = facets
        if post.parent_id is not None:
            root = self.world.posts[post.root_id or post.parent_id]
            parent = self.world.posts[post.parent_id]
            record["reply"] = {
                "root": {"uri": root.id, "cid": self.cid(root)},
                "parent": {"uri": parent.id, "cid": self.cid(parent)},
            }
        return record

    def post_view(
        self, post: Post, threadgate: dict[str, object] | None = None
    ) -> dict[str, object]:
        view: dict[str, object] = {
            "uri": post.id,
            "cid": self.cid(post),
            "author": self.profile_basic(self.world.actors[post.author_id]),
            "record": self.record(post),
            "bookmarkCount": 0,
            "replyCount": len(self.world.children(post.id)),
            "repostCount": post.reposts + len(self.world.reposts_of(post.id)),
            "likeCount": self.world.like_count(post),
            "quoteCount": post.quotes,
            "indexedAt": iso_millis(post.created_at),
            "viewer": self._post_viewer(post),
            "labels": [],
        }
        if threadgate is not None:
            view["threadgate"] = threadgate
        return view

    def _post_viewer(self, post: Post) -> dict[str, object]:
        state: dict[str, object] = {"threadMuted": False, "embeddingDisabled": False}
        viewer = self.viewer
        if viewer is None:
            return state
        for like in self.world.likes_of(post):
            if like.actor_id == viewer.id:
                state["like"] = self.like_uri(like, post)
        for repost in self.world.reposts_of(post.id):
            if repost.author_id == viewer.id:
                state["repost"] = self.repost_uri(repost)
        return state

    def in_union(self, post: Post | None, uri: str) -> dict[str, object]:
        """A post where the lexicon allows postView | notFoundPost | blockedPost."""
        if post is None:
            return self.not_found(uri)
        if self.is_blocked(post.author_id):
            return self.blocked(post)
        return {"$type": "app.bsky.feed.defs#postView", **self.post_view(post)}

    def not_found(self, uri: str) -> dict[str, object]:
        return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": uri, "notFound": True}

    def blocked(self, post: Post) -> dict[str, object]:
        author = self.world.actors[post.author_id]
        return {
            "$type": "app.bsky.feed.defs#blockedPost",
            "uri": post.id,
            "blocked": True,
            "author": {"did": author.id, "viewer": self._actor_viewer(author)},
        }

    # --- author feed --------------------------------------------------------------------

    def repost_uri(self, repost: Post) -> str:
        return repost.id.replace("/app.bsky.feed.post/", "/app.bsky.feed.repost/")

    def shown_in_feed(self, post: Post) -> bool:
        """False for a repost of a post that is gone (the AppView drops those)."""
        if post.kind != "repost":
            return True
        original = self.world.get(post.reposted_id or "")
        return original is not None and original.kind != "repost"

    def feed_item(self, post: Post) -> dict[str, object]:
        """A FeedViewPost; a repost shows the original with a reasonRepost."""
        if post.kind == "repost":
            original = self.world.get(post.reposted_id or "")
            if original is None or original.kind == "repost":
                raise ValueError(f"{post.id} reposts a post that is gone")
            item = self._plain_item(original)
            item["reason"] = {
                "$type": "app.bsky.feed.defs#reasonRepost",
                "by": self.profile_basic(self.world.actors[post.author_id]),
                "uri": self.repost_uri(post),
                "cid": self.cid(post),
                "indexedAt": iso_millis(post.created_at),
            }
            return item
        return self._plain_item(post)

    def _plain_item(self, post: Post) -> dict[str, object]:
        item: dict[str, object] = {"post": self.post_view(post)}
        if post.parent_id is not None:
            root_id = post.root_id or post.parent_id
            parent = self.world.get(post.parent_id)
            reply: dict[str, object] = {
                "root": self.in_union(self.world.get(root_id), root_id),
                "parent": self.in_union(parent, post.parent_id),
            }
            if parent is not None and parent.parent_id is not None:
                grandparent = self.world.posts.get(parent.parent_id)
                if grandparent is not None:
                    author = self.world.actors[grandparent.author_id]
                    reply["grandparentAuthor"] = self.profile_basic(author)
            item["reply"] = reply
        return item

    # --- threads ------------------------------------------------------------------------

    def threadgate(self, root: Post) -> dict[str, object] | None:
        """The root's threadgate view when its author hid replies, else None."""
        hidden = [p for p in self.world.in_conversation(root.id) if self.world.is_hidden(p)]
        if not hidden:
            return None
        hidden.sort(key=lambda p: (p.hidden_at, p.id))
        rkey = root.id.rsplit("/", 1)[-1]
        uri = f"at://{root.author_id}/app.bsky.feed.threadgate/{rkey}"
        first_hidden = min(p.hidden_at for p in hidden if p.hidden_at is not None)
        return {
            "uri": uri,
            "cid": cid_for(uri, *(p.id for p in hidden)),
            "record": {
                "$type": "app.bsky.feed.threadgate",
                "post": root.id,
                "createdAt": iso_millis(first_hidden),
                "hiddenReplies": [p.id for p in hidden],
            },
            "lists": [],
        }

    def thread(self, post: Post, depth: int, parent_height: int) -> dict[str, object]:
        """The ThreadViewPost of ``post``: parents up to ``parent_height``, replies to ``depth``."""
        if self.is_blocked(post.author_id):
            return self.blocked(post)
        gate = self.threadgate(post) if post.parent_id is None else None
        node: dict[str, object] = {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": self.post_view(post, threadgate=gate),
        }
        if post.parent_id is not None and parent_height > 0:
            node["parent"] = self._parent(post.parent_id, parent_height)
        if depth > 0:
            node["replies"] = [
                self._reply(child, depth - 1) for child in self.world.children(post.id)
            ]
        return node

    def _parent(self, parent_id: str, height: int) -> dict[str, object]:
        parent = self.world.get(parent_id)
        if parent is None:
            return self.not_found(parent_id)
        if self.is_blocked(parent.author_id):
            return self.blocked(parent)
        node: dict[str, object] = {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": self.post_view(parent),
        }
        if parent.parent_id is not None and height > 1:
            node["parent"] = self._parent(parent.parent_id, height - 1)
        return node

    def _replies(self, post: Post, depth: int) -> list[dict[str, object]]:
        return [self._reply(child, depth) for child in self.world.children(post.id)]

    def _reply(self, post: Post, depth: int) -> dict[str, object]:
        if self.is_blocked(post.author_id):
            return self.blocked(post)
        node: dict[str, object] = {
            "$type": "app.bsky.feed.defs#threadViewPost",
            "post": self.post_view(post),
        }
        if depth > 0:
            node["replies"] = [
                self._reply(child, depth - 1) for child in self.world.children(post.id)
            ]
        return node

    # --- likes and notifications --------------------------------------------------------

    def like_uri(self, like: Like, post: Post) -> str:
        return f"at://{like.actor_id}/app.bsky.feed.like/{record_key(like.at, post.id)}"

    def like(self, like: Like) -> dict[str, object]:
        return {
            "actor": self.profile(self.world.actors[like.actor_id]),
            "createdAt": iso_millis(like.at),
            "indexedAt": iso_millis(like.at),
        }

    def post_notification(
        self, post: Post, reason: str, subject: Post | None = None
    ) -> dict[str, object]:
        """A reply below the viewer's post ``subject``, or a post mentioning the viewer."""
        notification: dict[str, object] = {
            "uri": post.id,
            "cid": self.cid(post),
            "author": self.profile(self.world.actors[post.author_id]),
            "reason": reason,
        }
        if subject is not None:
            notification["reasonSubject"] = subject.id
        notification.update(
            record=self.record(post),
            isRead=False,
            indexedAt=iso_millis(post.created_at),
            labels=[],
        )
        return notification

    def like_notification(self, like: Like, post: Post) -> dict[str, object]:
        uri = self.like_uri(like, post)
        return {
            "uri": uri,
            "cid": cid_for(uri),
            "author": self.profile(self.world.actors[like.actor_id]),
            "reason": "like",
            "reasonSubject": post.id,
            "record": {
                "$type": "app.bsky.feed.like",
                "subject": {"uri": post.id, "cid": self.cid(post)},
                "createdAt": iso_millis(like.at),
            },
            "isRead": False,
            "indexedAt": iso_millis(like.at),
            "labels": [],
        }

    def repost_notification(self, repost: Post, original: Post) -> dict[str, object]:
        return {
            "uri": self.repost_uri(repost),
            "cid": self.cid(repost),
            "author": self.profile(self.world.actors[repost.author_id]),
            "reason": "repost",
            "reasonSubject": original.id,
            "record": {
                "$type": "app.bsky.feed.repost",
                "subject": {"uri": original.id, "cid": self.cid(original)},
                "createdAt": iso_millis(repost.created_at),
            },
            "isRead": False,
            "indexedAt": iso_millis(repost.created_at),
            "labels": [],
        }
