"""A platform-neutral simulated social network that the sandbox servers render.

One :class:`World` holds the actors and posts of one platform. The servers in this package
render it in their platform's wire format (X API v2, Graph API, Mastodon, Bluesky) and only
show what exists at ``world.now``: a post created later is not there yet, a post deleted
earlier is gone, a hidden comment is flagged. ``now`` is the world's clock
(:mod:`sandbox.clock`), never the machine's: tests and the demo set it and move it forward
to make new activity appear between two collection runs.

Nothing here knows replywatch: the sandbox imports nothing of ours.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sandbox.clock import SandboxClock

# The sandbox imports nothing of replywatch, so it keeps its own list of the wire formats
# it speaks; tests/test_generator.py checks its thread shapes against the registry.
PLATFORMS = ("x", "facebook", "instagram", "mastodon", "bluesky", "youtube")
# Comments under a post, replies one level down (the Graph API, YouTube); the others reply
# in trees.
FLAT_PLATFORMS = frozenset({"facebook", "instagram", "youtube"})

# X ids are "snowflakes": milliseconds since this epoch shifted left by 22 bits, so they
# sort by time, which is what since_id relies on.
_X_EPOCH_MS = 1288834974657
# Mastodon ids sort by time too, but count Unix milliseconds shifted left by 16 bits
# (Mastodon.py turns a datetime passed as since_id/max_id into an id the same way).
_MASTODON_SEQUENCE_BITS = 16


@dataclass
class Actor:
    """Anybody on the platform: the managed account, a customer, an agency employee."""

    id: str
    handle: str  # without @; Mastodon: "name" (local) or "name@other.instance"
    name: str = ""
    followers: int = 0


@dataclass
class Like:
    actor_id: str
    at: datetime


@dataclass
class Post:
    """A post, reply, comment, visitor post or repost.

    ``parent_id`` is what it answers (None for a top-level post); ``root_id`` the top of
    its conversation. On flat comment platforms (Facebook, Instagram) a reply to a reply
    is stored with the real parent; the server flattens it under the top-level comment the
    way the platform does.
    """

    id: str
    author_id: str
    created_at: datetime
    text: str = ""
    parent_id: str | None = None
    root_id: str | None = None
    kind: str = "post"  # post, reply, comment, visitor_post, repost
    reposted_id: str | None = None
    mentions: list[str] = field(default_factory=list)  # actor ids mentioned in the text
    # Characters at the start of ``text`` that the platform's client put there: the
    # @handles of a reply's participants (X shows it as ``display_text_range``).
    prefix: int = 0
    # "public", or "direct" / "limited": only the author and the people named can read it
    # (Mastodon's private messages).
    visibility: str = "public"
    likes: list[Like] = field(default_factory=list)
    # Likes from accounts the platform does not list (liker lists are capped): they count
    # in like_count only.
    anonymous_likes: int = 0
    reposts: int = 0
    quotes: int = 0
    hidden_at: datetime | None = None
    deleted_at: datetime | None = None
    media_type: str = "IMAGE"  # Instagram only

    def __post_init__(self) -> None:
        if self.root_id is None:
            self.root_id = self.id


@dataclass
class Managed:
    """An account the collectors are pointed at, with the token the server accepts."""

    actor_id: str
    token: str
    # Facebook: the Page's actor id; Instagram: the IG user id (its page in page_id).
    page_id: str | None = None


class IdMaker:
    """Platform-shaped ids that sort by creation time where the platform's ids do.

    Ids are never issued twice: where a platform's id leaves little room per millisecond
    (a Facebook number has 10 values, an Instagram id 100), many posts created at the same
    moment move on to the next millisecond instead of repeating an id.
    """

    # How many ids one millisecond holds in each platform's shape.
    SPACE = {"x": 1 << 22, "mastodon": 1 << _MASTODON_SEQUENCE_BITS, "facebook": 10,
             "instagram": 100, "bluesky": 1000, "youtube": 1 << 22}  # fmt: skip

    def __init__(self, platform: str, seed: int = 0) -> None:
        if platform not in self.SPACE:
            raise ValueError(f"unknown platform {platform!r}")
        self.platform = platform
        self._sequence = itertools.count(seed % 1000)
        self._issued: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, created_at: datetime, parent: Post | None = None, owner: str = "") -> str:
        millis = int(created_at.timestamp() * 1000)
        space = self.SPACE[self.platform]
        with self._lock:
            attempt = 0
            while True:
                candidate = self._shape(millis + attempt // space, next(self._sequence),
                                        parent, owner)  # fmt: skip
                if candidate not in self._issued:
                    self._issued.add(candidate)
                    return candidate
                attempt += 1

    def _shape(self, millis: int, sequence: int, parent: Post | None, owner: str) -> str:
        if self.platform == "x":
            snowflake = ((millis - _X_EPOCH_MS) << 22) | (sequence % (1 << 22))
            return str(snowflake)
        if self.platform == "mastodon":
            bits = _MASTODON_SEQUENCE_BITS
            return str((millis << bits) | (sequence % (1 << bits)))
        if self.platform == "facebook":
            # Page posts are "{page}_{n}", comments "{post-number}_{n}", like the Graph API.
            number = str(10**14 + millis * 10 + sequence % 10)
            if parent is None:
                return f"{owner}_{number}"
            return f"{parent.id.split('_')[-1]}_{number}"
        if self.platform == "instagram":
            return str(17_000_000_000_000_000 + millis * 100 + sequence % 100)
        if self.platform == "youtube":
            return _youtube_id(millis, sequence, parent)
        return f"at://{owner}/app.bsky.feed.post/{_tid(millis * 1000 + sequence % 1000)}"


def _youtube_id(millis: int, sequence: int, parent: Post | None) -> str:
    """YouTube's shapes: a video id of 11 URL-safe characters, a top-level comment
    ``Ug…4AaABAg`` (26 characters), a reply ``{top-level comment}.{22 characters}``. They
    do not sort by time (YouTube's do not either); a hash of the moment keeps them unique."""
    digest = hashlib.sha256(f"{millis}:{sequence}".encode()).digest()
    if parent is None:
        return base64.urlsafe_b64encode(digest[:8]).decode()[:11]
    if parent.parent_id is None:  # a comment on a video: the top of its thread
        return "Ug" + "wxyz"[digest[0] % 4] + _b64(digest[1:13]) + "4AaABAg"
    top = parent.id.split(".", 1)[0]  # a reply to a reply hangs under the same top
    return f"{top}.{_b64(digest[13:29])}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def _tid(microseconds: int) -> str:
    """A Bluesky record key (TID): base32-sortable microseconds plus a clock id."""
    value = (microseconds << 10) | 7
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


class World:
    """Actors and posts of one platform, seen at ``now``. Thread-safe for the servers."""

    def __init__(
        self,
        platform: str,
        now: datetime | None = None,
        seed: int = 0,
        *,
        clock: SandboxClock | None = None,
    ) -> None:
        """A world at ``now`` on a clock of its own, or on ``clock`` shared with others."""
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}")
        if (now is None) == (clock is None):
            raise ValueError("a world needs exactly one of now (a moment) or clock (shared)")
        self.platform = platform
        self.clock = clock or SandboxClock(now)  # type: ignore[arg-type]
        self.actors: dict[str, Actor] = {}
        self.posts: dict[str, Post] = {}
        self.managed: dict[str, Managed] = {}
        self.new_id = IdMaker(platform, seed)
        self.lock = threading.RLock()
        # Indexes, so that servers stay fast with a million posts.
        self._children: dict[str, list[str]] = {}
        self._by_author: dict[str, list[str]] = {}
        self._by_root: dict[str, list[str]] = {}
        self._addressed_to: dict[str, list[str]] = {}
        self._reposts_of: dict[str, list[str]] = {}

    # --- building ---------------------------------------------------------------------

    def add_actor(self, actor: Actor) -> Actor:
        with self.lock:
            self.actors[actor.id] = actor
        return actor

    def manage(self, actor_id: str, token: str, page_id: str | None = None) -> Managed:
        with self.lock:
            managed = Managed(actor_id=actor_id, token=token, page_id=page_id)
            self.managed[actor_id] = managed
        return managed

    def add_post(self, post: Post) -> Post:
        with self.lock:
            if post.id in self.posts:
                raise ValueError(f"post {post.id} exists already; ids are never reused")
            if post.author_id not in self.actors:
                raise KeyError(f"post {post.id}: unknown author {post.author_id}")
            if post.parent_id is not None and post.parent_id not in self.posts:
                raise KeyError(f"post {post.id}: unknown parent {post.parent_id}")
            self.posts[post.id] = post
            self._by_author.setdefault(post.author_id, []).append(post.id)
            self._by_root.setdefault(post.root_id or post.id, []).append(post.id)
            addressed = set(post.mentions)
            if post.reposted_id is not None:
                self._reposts_of.setdefault(post.reposted_id, []).append(post.id)
            if post.parent_id is not None:
                self._children.setdefault(post.parent_id, []).append(post.id)
                addressed.add(self.posts[post.parent_id].author_id)
            addressed.discard(post.author_id)
            for actor_id in addressed:
                self._addressed_to.setdefault(actor_id, []).append(post.id)
        return post

    def post(
        self,
        author_id: str,
        at: datetime,
        text: str = "",
        reply_to: str | None = None,
        kind: str | None = None,
        **fields: object,
    ) -> Post:
        """Create a post or reply with a fresh platform id (the usual way to build)."""
        with self.lock:
            parent = self.posts[reply_to] if reply_to else None
            owner = self.actors[author_id].id
            if self.platform == "facebook" and parent is None:
                owner = str(fields.get("page_id", author_id))
            fields.pop("page_id", None)
            new_id = self.new_id(at, parent=parent, owner=owner)
            if kind is None:
                flat = self.platform in FLAT_PLATFORMS
                kind = "post" if parent is None else ("comment" if flat else "reply")
            return self.add_post(
                Post(
                    id=new_id,
                    author_id=author_id,
                    created_at=at,
                    text=text,
                    parent_id=reply_to,
                    root_id=parent.root_id if parent else None,
                    kind=kind,
                    **fields,  # type: ignore[arg-type]
                )
            )

    def like(self, post_id: str, actor_id: str, at: datetime) -> None:
        with self.lock:
            self.posts[post_id].likes.append(Like(actor_id=actor_id, at=at))

    # --- reading as of ``now`` ---------------------------------------------------------

    def visible(self, post: Post) -> bool:
        """Exists at ``now``: created, and not deleted yet. Hidden posts stay visible."""
        if post.created_at > self.now:
            return False
        return post.deleted_at is None or post.deleted_at > self.now

    def is_hidden(self, post: Post) -> bool:
        return post.hidden_at is not None and post.hidden_at <= self.now

    def get(self, post_id: str) -> Post | None:
        post = self.posts.get(post_id)
        return post if post is not None and self.visible(post) else None

    def likes_of(self, post: Post) -> list[Like]:
        return [like for like in post.likes if like.at <= self.now]

    def like_count(self, post: Post) -> int:
        return len(self.likes_of(post)) + (
            post.anonymous_likes if post.created_at <= self.now else 0
        )

    def children(self, post_id: str) -> list[Post]:
        return sorted(
            (p for i in self._children.get(post_id, ()) if self.visible(p := self.posts[i])),
            key=lambda p: (p.created_at, p.id),
        )

    def descendants(self, post_id: str) -> Iterator[Post]:
        """Every visible reply below ``post_id`` at any depth, oldest first per level."""
        for child in self.children(post_id):
            yield child
            yield from self.descendants(child.id)

    def reply_count(self, post: Post) -> int:
        return sum(1 for _ in self.descendants(post.id))

    def _newest_first(self, ids: Iterable[str], exclude: str | None = None) -> list[Post]:
        with self.lock:
            found = [post for i in ids if i != exclude and self.visible(post := self.posts[i])]
        return sorted(found, key=lambda p: (p.created_at, p.id), reverse=True)

    def by_author(self, author_id: str) -> list[Post]:
        """Visible posts of an author, newest first (the order timelines use)."""
        return self._newest_first(self._by_author.get(author_id, ()))

    def mentioning(self, actor_id: str) -> list[Post]:
        """Visible posts by others that mention ``actor_id`` or reply to it, newest first."""
        return self._newest_first(self._addressed_to.get(actor_id, ()))

    def reposts_of(self, post_id: str) -> list[Post]:
        """Visible reposts (boosts) of ``post_id`` in the world, newest first."""
        return self._newest_first(self._reposts_of.get(post_id, ()))

    def in_conversation(self, root_id: str) -> list[Post]:
        """Visible posts of a conversation (root excluded), newest first."""
        return self._newest_first(self._by_root.get(root_id, ()), exclude=root_id)

    @property
    def now(self) -> datetime:
        return self.clock.now()

    @now.setter
    def now(self, moment: datetime) -> None:
        self.clock.set(moment)

    def advance(self, delta: timedelta) -> datetime:
        return self.clock.advance(delta)

    def all_posts(self) -> Iterable[Post]:
        return list(self.posts.values())
