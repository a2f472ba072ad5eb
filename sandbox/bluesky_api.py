"""A simulated Bluesky service: a World("bluesky") over XRPC, PDS and AppView in one.

atproto's ``Client(base_url=server.url)`` appends ``/xrpc`` itself. Served methods:

=======================================  ===================================================
com.atproto.server.createSession         handle or DID + app password -> accessJwt/refreshJwt;
                                         a wrong one is 401 AuthenticationRequired
com.atproto.server.refreshSession        refresh token -> new tokens
com.atproto.server.getSession            who the access token belongs to
com.atproto.identity.resolveHandle       handle -> did
app.bsky.actor.getProfile(s)             followersCount, postsCount
app.bsky.feed.getAuthorFeed              filter, cursor, limit<=100; reposts carry a reason
app.bsky.feed.getPostThread              depth (default 6), parentHeight (default 80)
app.bsky.feed.getPosts                   up to 25 uris; missing posts are left out
app.bsky.feed.getLikes                   cursor, limit<=100
app.bsky.feed.getActorLikes              needs a session as the actor; its liked posts, newest
                                         like first; cursor, limit<=100
app.bsky.notification.listNotifications needs a session; reasons reply (to the account's post
                                         or up to four levels below it), mention, like, repost
=======================================  ===================================================

Reads work without a session (like public.api.bsky.app); with one, blocks between the
viewer and an author apply (see :meth:`BlueskyServer.block`). Lists are newest first and
page with an opaque ``cursor``: a page that has items carries a cursor, the empty page after
the last one has none (the AppView's keyset behaviour). Errors are XRPC errors
(``{"error": ..., "message": ...}``): 400 InvalidRequest/NotFound, 401 AuthMissing or
InvalidToken, 400 ExpiredToken, 501 MethodNotImplemented, 429 RateLimitExceeded.

Every answer carries ``ratelimit-limit``, ``ratelimit-remaining``, ``ratelimit-reset`` (Unix
seconds) and ``ratelimit-policy`` (``3000;w=300``; createSession has its own ``30;w=300``
budget per account); ``enforce_rate_limit=True`` turns an empty budget into a 429.

:meth:`BlueskyServer.replay` answers a query with a recorded body instead of the world: real
AppView answers (tests/fixtures/bluesky) go through the same HTTP, headers, sessions and
budget as simulated ones, so a collector meets real payloads the way it meets the service.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sandbox.bluesky_sessions import ACCESS_SCOPE, REFRESH_SCOPE, SessionIssuer, TokenRejected
from sandbox.bluesky_views import BlueskyViews
from sandbox.http import Request, Response
from sandbox.rate_window import Budget, RateWindow
from sandbox.world import Actor, Post, World
from sandbox.world_server import WorldServer

if TYPE_CHECKING:
    from sandbox.generator.demo import DemoActivity

# The demo collects months of history in one go and must not wait for the wall clock,
# so a server it starts (for_activity) announces a generous budget.
DEMO_CALLS = 100_000

FEED_LIMIT = 50  # default page size of feeds, likes and notifications; at most 100
MAX_LIMIT = 100
THREAD_DEPTH = 6
THREAD_PARENT_HEIGHT = 80
MAX_BATCH = 25  # getPosts / getProfiles
# Authors of a reply's parent and of the ancestors up to this height (exclusive) are notified.
REPLY_NOTIFICATION_DEPTH = 5

Handler = Callable[[Request, BlueskyViews], Response]
# Queries the AppView answers only with a session (as the account itself).
SIGNED_ONLY = frozenset({"app.bsky.notification.listNotifications", "app.bsky.feed.getActorLikes"})


@dataclass(frozen=True)
class Recorded:
    """A recorded answer to ``nsid`` for queries carrying ``params`` (see ``replay``)."""

    nsid: str
    params: tuple[tuple[str, str], ...]
    body: Any

    def matches(self, nsid: str, request: Request) -> bool:
        if nsid != self.nsid:
            return False
        wanted = dict(self.params)
        if "cursor" not in wanted and request.arg("cursor"):
            return False  # a recording of the first page does not answer the next pages
        return all(request.arg(name) == value for name, value in wanted.items())


class XrpcError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


class BlueskyServer(WorldServer):
    """Renders a ``World("bluesky")`` as the XRPC methods the atproto client calls."""

    platform = "bluesky"

    @classmethod
    def for_activity(cls, activity: DemoActivity, host: str = "127.0.0.1") -> BlueskyServer:
        # PDS and AppView in one.
        return cls(activity.worlds["bluesky"], host=host, rate_limit=DEMO_CALLS)

    def __init__(
        self,
        world: World,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int = 3000,
        session_rate_limit: int = 30,
        enforce_rate_limit: bool = False,
        access_lifetime: timedelta = timedelta(hours=2),
    ) -> None:
        super().__init__(
            world,
            host=host,
            port=port,
            rate_limit=rate_limit,
            window_seconds=300,
            enforce_rate_limit=enforce_rate_limit,
        )
        self.session_window = self.new_rate_window(session_rate_limit, 300, enforce_rate_limit)
        self.sessions = SessionIssuer(f"did:web:{host}", access_lifetime=access_lifetime)
        self.blocks: set[tuple[str, str]] = set()
        self.recorded: list[Recorded] = []
        self._queries: dict[str, Handler] = {
            "com.atproto.server.getSession": self._get_session,
            "com.atproto.identity.resolveHandle": self._resolve_handle,
            "app.bsky.actor.getProfile": self._get_profile,
            "app.bsky.actor.getProfiles": self._get_profiles,
            "app.bsky.feed.getAuthorFeed": self._get_author_feed,
            "app.bsky.feed.getPostThread": self._get_post_thread,
            "app.bsky.feed.getPosts": self._get_posts,
            "app.bsky.feed.getLikes": self._get_likes,
            "app.bsky.feed.getActorLikes": self._get_actor_likes,
            "app.bsky.notification.listNotifications": self._list_notifications,
        }
        self._procedures: dict[str, Handler] = {
            "com.atproto.server.createSession": self._create_session,
            "com.atproto.server.refreshSession": self._refresh_session,
        }

    def replay(self, nsid: str, body: Any, **params: str) -> None:
        """Answer queries to ``nsid`` that carry these ``params`` with ``body`` (recorded
        output of the real AppView) instead of rendering the world. Without a ``cursor``
        param it answers the first page only; the latest matching recording wins."""
        self.recorded.append(Recorded(nsid, tuple(sorted(params.items())), body))

    def block(self, blocker_id: str, blocked_id: str) -> None:
        """``blocker_id`` blocks ``blocked_id``: seen by either of them, the other's posts
        are ``blockedPost`` and their feeds are refused."""
        self.blocks.add((blocker_id, blocked_id))

    # --- wire-format details ----------------------------------------------------------

    def budget_headers(self, budget: Budget, window_seconds: int = 300) -> dict[str, str]:
        return {
            "ratelimit-limit": str(budget.limit),
            "ratelimit-remaining": str(budget.remaining),
            "ratelimit-reset": str(int(budget.reset_at)),
            "ratelimit-policy": f"{budget.limit};w={window_seconds}",
        }

    def error_body(self, status: int) -> Any:
        errors = {
            400: ("InvalidRequest", "Invalid request"),
            401: ("AuthMissing", "Authentication Required"),
            429: ("RateLimitExceeded", "Rate Limit Exceeded"),
            501: ("MethodNotImplemented", "Method Not Implemented"),
            502: ("UpstreamFailure", "Upstream Failure"),
        }
        error, message = errors.get(status, ("InternalServerError", "Internal Server Error"))
        return {"error": error, "message": message}

    def malformed_body(self, request: Request) -> Any:
        return b'{"feed":[{"post":{"uri":"at://did:plc:abcdefghijklmnopqrstuvwx/app.bsky.fe'

    # --- dispatch ---------------------------------------------------------------------

    def window_for(self, request: Request) -> tuple[RateWindow, str]:
        if request.path == "/xrpc/com.atproto.server.createSession":
            return self.session_window, _body_field(request, "identifier").lower() or "anonymous"
        return self.rate_window, self.budget_key(request)

    def route(self, request: Request) -> Response:
        window, budget = self.charge(request)
        try:
            if window.refuses(budget):
                raise XrpcError(429, "RateLimitExceeded", "Rate Limit Exceeded")
            return self._answer(request, request.path.removeprefix("/xrpc/"))
        except XrpcError as exc:
            return Response(exc.status, {"error": exc.error, "message": exc.message})

    def _answer(self, request: Request, nsid: str) -> Response:
        if not request.path.startswith("/xrpc/"):
            raise XrpcError(404, "NotFound", f"{request.path} is not an XRPC path")
        table = self._procedures if request.method == "POST" else self._queries
        handler = table.get(nsid)
        if handler is None:
            if nsid in self._queries or nsid in self._procedures:
                raise XrpcError(400, "InvalidRequest", "Incorrect HTTP method")
            raise XrpcError(501, "MethodNotImplemented", "Method Not Implemented")
        # The session procedures read their own credentials (a password, a refresh token);
        # an old access token sent along with them does not matter.
        viewer = self._viewer(request) if table is self._queries else None
        recorded = next((r for r in reversed(self.recorded) if r.matches(nsid, request)), None)
        if recorded is not None and table is self._queries:
            if nsid in SIGNED_ONLY and viewer is None:
                raise XrpcError(401, "AuthMissing", "Authentication Required")
            return Response(body=recorded.body)
        with self.world.lock:
            return handler(request, BlueskyViews(self.world, viewer, self.blocks))

    def _viewer(self, request: Request) -> Actor | None:
        """The account of the access token, None without one; a bad token is an error."""
        token = request.bearer
        if token is None:
            return None
        try:
            did = self.sessions.subject(token, ACCESS_SCOPE)
        except TokenRejected as exc:
            if exc.expired:
                raise XrpcError(400, "ExpiredToken", str(exc)) from exc
            raise XrpcError(401, "InvalidToken", str(exc)) from exc
        actor = self.world.actors.get(did)
        if actor is None or did not in self.world.managed:
            raise XrpcError(401, "InvalidToken", "Token could not be verified")
        return actor

    # --- sessions ---------------------------------------------------------------------

    def _session_body(self, actor: Actor, tokens_for: str) -> dict[str, object]:
        tokens = self.sessions.issue(tokens_for)
        return {
            "did": actor.id,
            "didDoc": {
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": actor.id,
                "alsoKnownAs": [f"at://{actor.handle}"],
                "service": [
                    {
                        "id": "#atproto_pds",
                        "type": "AtprotoPersonalDataServer",
                        "serviceEndpoint": self.url,
                    }
                ],
            },
            "handle": actor.handle,
            "emailConfirmed": True,
            "emailAuthFactor": False,
            "accessJwt": tokens.access_jwt,
            "refreshJwt": tokens.refresh_jwt,
            "active": True,
        }

    def _create_session(self, request: Request, views: BlueskyViews) -> Response:
        identifier = _body_field(request, "identifier")
        password = _body_field(request, "password")
        if not identifier or not password:
            raise XrpcError(400, "InvalidRequest", 'Input must have the property "identifier"')
        actor = self._find_actor(identifier)
        managed = self.world.managed.get(actor.id) if actor is not None else None
        if actor is None or managed is None or managed.token != password:
            raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
        return Response(body=self._session_body(actor, actor.id))

    def _refresh_session(self, request: Request, views: BlueskyViews) -> Response:
        token = request.bearer
        if token is None:
            raise XrpcError(401, "AuthMissing", "Authentication Required")
        try:
            did = self.sessions.subject(token, REFRESH_SCOPE)
        except TokenRejected as exc:
            raise XrpcError(
                400, "ExpiredToken" if exc.expired else "InvalidToken", str(exc)
            ) from exc
        actor = self.world.actors.get(did)
        if actor is None or did not in self.world.managed:
            raise XrpcError(400, "InvalidToken", "Token has been revoked")
        body = self._session_body(actor, did)
        for absent in ("emailConfirmed", "emailAuthFactor"):
            body.pop(absent)
        return Response(body=body)

    def _get_session(self, request: Request, views: BlueskyViews) -> Response:
        actor = _signed_in(views)
        body = self._session_body(actor, actor.id)
        for absent in ("accessJwt", "refreshJwt"):
            body.pop(absent)
        return Response(body=body)

    # --- identity and profiles --------------------------------------------------------

    def _find_actor(self, identifier: str) -> Actor | None:
        identifier = identifier.strip()
        if identifier.startswith("did:"):
            return self.world.actors.get(identifier)
        wanted = identifier.lstrip("@").lower()
        for actor in self.world.actors.values():
            if actor.handle.lower() == wanted:
                return actor
        return None

    def _actor_arg(self, request: Request, name: str = "actor") -> Actor:
        actor = self._find_actor(_required(request, name))
        if actor is None:
            raise XrpcError(400, "InvalidRequest", "Profile not found")
        return actor

    def _resolve_handle(self, request: Request, views: BlueskyViews) -> Response:
        handle = _required(request, "handle")
        actor = self._find_actor(handle) if not handle.startswith("did:") else None
        if actor is None:
            raise XrpcError(400, "InvalidRequest", "Unable to resolve handle")
        return Response(body={"did": actor.id})

    def _get_profile(self, request: Request, views: BlueskyViews) -> Response:
        return Response(body=views.profile_detailed(self._actor_arg(request)))

    def _get_profiles(self, request: Request, views: BlueskyViews) -> Response:
        wanted = request.query.get("actors", [])
        if not wanted:
            raise XrpcError(400, "InvalidRequest", 'Params must have the property "actors"')
        if len(wanted) > MAX_BATCH:
            raise XrpcError(400, "InvalidRequest", f"actors can not be longer than {MAX_BATCH}")
        found = [a for a in (self._find_actor(i) for i in wanted) if a is not None]
        return Response(body={"profiles": [views.profile_detailed(a) for a in found]})

    # --- feeds ------------------------------------------------------------------------

    def _get_author_feed(self, request: Request, views: BlueskyViews) -> Response:
        actor = self._actor_arg(request)
        if views.blocking(actor.id):
            raise XrpcError(400, "BlockedActor", "Requester has blocked actor")
        if views.blocked_by(actor.id):
            raise XrpcError(400, "BlockedByActor", "Requester is blocked by actor")
        choice = request.arg("filter") or "posts_with_replies"
        entries = [
            (_millis(post), post.id, post)
            for post in self.world.by_author(actor.id)
            if self._in_author_feed(post, actor, choice) and views.shown_in_feed(post)
        ]
        page, cursor = _keyset_page(entries, request)
        body: dict[str, object] = {"feed": [views.feed_item(post) for post in page]}
        if cursor is not None:
            body["cursor"] = cursor
        return Response(body=body)

    def _in_author_feed(self, post: Post, actor: Actor, choice: str) -> bool:
        if choice in ("posts_with_media", "posts_with_video"):
            return False  # nothing in a simulated world has media
        if post.kind == "repost" or post.parent_id is None:
            return True
        if choice == "posts_no_replies":
            return False
        if choice == "posts_and_author_threads":
            parent = self.world.posts.get(post.parent_id)
            root = self.world.posts.get(post.root_id or "")
            return all(p is not None and p.author_id == actor.id for p in (parent, root))
        return True

    def _get_post_thread(self, request: Request, views: BlueskyViews) -> Response:
        uri = _required(request, "uri")
        depth = _bounded(request, "depth", THREAD_DEPTH, 0, 1000)
        height = _bounded(request, "parentHeight", THREAD_PARENT_HEIGHT, 0, 1000)
        post = self.world.get(uri)
        if post is None or post.kind == "repost":
            raise XrpcError(400, "NotFound", f"Post not found: {uri}")
        body: dict[str, object] = {"thread": views.thread(post, depth, height)}
        root = self.world.get(post.root_id or post.id)
        gate = views.threadgate(root) if root is not None else None
        if gate is not None:
            body["threadgate"] = gate
        return Response(body=body)

    def _get_posts(self, request: Request, views: BlueskyViews) -> Response:
        uris = request.query.get("uris", [])
        if not uris:
            raise XrpcError(400, "InvalidRequest", 'Params must have the property "uris"')
        if len(uris) > MAX_BATCH:
            raise XrpcError(400, "InvalidRequest", f"uris can not be longer than {MAX_BATCH}")
        posts = [self.world.get(uri) for uri in uris]
        shown = [p for p in posts if p is not None and p.kind != "repost"]
        return Response(body={"posts": [views.post_view(p) for p in shown]})

    def _get_likes(self, request: Request, views: BlueskyViews) -> Response:
        uri = _required(request, "uri")
        post = self.world.get(uri)
        entries = []
        if post is not None:
            for like in self.world.likes_of(post):
                if like.actor_id in self.world.actors and not views.is_blocked(like.actor_id):
                    entries.append((_millis_of(like.at), like.actor_id, like))
        page, cursor = _keyset_page(entries, request)
        body: dict[str, object] = {"uri": uri}
        if request.arg("cid"):
            body["cid"] = request.arg("cid")
        body["likes"] = [views.like(like) for like in page]
        if cursor is not None:
            body["cursor"] = cursor
        return Response(body=body)

    def _get_actor_likes(self, request: Request, views: BlueskyViews) -> Response:
        """The actor's likes: only the actor may read them (the AppView refuses others)."""
        actor = self._actor_arg(request)
        viewer = _signed_in(views)
        if viewer.id != actor.id:
            raise XrpcError(400, "InvalidRequest", "Profile not found")
        entries = []
        for post in self.world.all_posts():
            if post.kind == "repost" or not self.world.visible(post):
                continue
            if views.is_blocked(post.author_id):
                continue
            for like in self.world.likes_of(post):
                if like.actor_id == actor.id:
                    entries.append((_millis_of(like.at), post.id, post))
        page, cursor = _keyset_page(entries, request)
        body: dict[str, object] = {"feed": [views.feed_item(post) for post in page]}
        if cursor is not None:
            body["cursor"] = cursor
        return Response(body=body)

    # --- notifications ----------------------------------------------------------------

    def _post_notifications(self, viewer: Actor) -> list[tuple[Post, str, Post | None]]:
        """Posts that notify ``viewer``, as the AppView indexes them: a mention facet first;
        otherwise a reply whose parent or an ancestor up to four levels higher is the
        viewer's (the nearest one is the reasonSubject). A hidden reply passes no
        notification to the posts above it."""
        found: dict[str, tuple[Post, str, Post | None]] = {}
        for post in self.world.mentioning(viewer.id):
            if viewer.id in post.mentions and post.author_id != viewer.id:
                found[post.id] = (post, "mention", None)
        nearest: dict[str, tuple[int, Post]] = {}
        for own in self.world.by_author(viewer.id):
            if own.kind == "repost":
                continue
            below = [(child, 1) for child in self.world.children(own.id)]
            while below:
                reply, height = below.pop()
                if reply.author_id != viewer.id and height < nearest.get(reply.id, (5, own))[0]:
                    nearest[reply.id] = (height, own)
                if height < REPLY_NOTIFICATION_DEPTH - 1 and not self.world.is_hidden(reply):
                    below.extend((child, height + 1) for child in self.world.children(reply.id))
        for reply_id, (_, ancestor) in nearest.items():
            if reply_id not in found:
                found[reply_id] = (self.world.posts[reply_id], "reply", ancestor)
        return list(found.values())

    def _list_notifications(self, request: Request, views: BlueskyViews) -> Response:
        viewer = _signed_in(views)
        wanted = set(request.query.get("reasons", [])) or {"reply", "mention", "like", "repost"}
        # (milliseconds, tie-breaker, (reason, subject, liked or reposted post)): keys for
        # all, views for one page only.
        found: list[tuple[int, str, tuple[str, Any, Post | None]]] = []
        for post, reason, subject in self._post_notifications(viewer):
            if reason in wanted and not views.is_blocked(post.author_id):
                found.append((_millis(post), post.id, (reason, post, subject)))
        for own in self.world.by_author(viewer.id) if {"like", "repost"} & wanted else ():
            if own.kind == "repost":
                continue
            for like in self.world.likes_of(own) if "like" in wanted else ():
                liker = like.actor_id
                if (
                    liker != viewer.id
                    and liker in self.world.actors
                    and not views.is_blocked(liker)
                ):
                    key = f"{own.id}|{liker}"
                    found.append((_millis_of(like.at), key, ("like", like, own)))
            for repost in self.world.reposts_of(own.id) if "repost" in wanted else ():
                if repost.author_id != viewer.id and not views.is_blocked(repost.author_id):
                    found.append((_millis(repost), repost.id, ("repost", repost, own)))
        page, cursor = _keyset_page(found, request)
        notifications = []
        for reason, subject, own in page:
            if reason == "like":
                notifications.append(views.like_notification(subject, own))
            elif reason == "repost":
                notifications.append(views.repost_notification(subject, own))
            else:
                notifications.append(views.post_notification(subject, reason, own))
        body: dict[str, object] = {"notifications": notifications}
        if cursor is not None:
            body["cursor"] = cursor
        return Response(body=body)


# --- helpers --------------------------------------------------------------------------


def _signed_in(views: BlueskyViews) -> Actor:
    if views.viewer is None:
        raise XrpcError(401, "AuthMissing", "Authentication Required")
    return views.viewer


def _body_field(request: Request, name: str) -> str:
    try:
        body = request.json()
    except ValueError:
        return ""
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) else ""


def _required(request: Request, name: str) -> str:
    value = request.arg(name)
    if not value:
        raise XrpcError(400, "InvalidRequest", f'Params must have the property "{name}"')
    return value


def _bounded(request: Request, name: str, default: int, lowest: int, highest: int) -> int:
    raw = request.arg(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise XrpcError(400, "InvalidRequest", f"{name} must be an integer") from exc
    if not lowest <= value <= highest:
        raise XrpcError(400, "InvalidRequest", f"{name} must be between {lowest} and {highest}")
    return value


def _millis(post: Post) -> int:
    return _millis_of(post.created_at)


def _millis_of(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


_CURSOR = re.compile(r"(\d+)::([0-9a-f]{16})")


def _digest(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]


def _keyset_page(
    entries: list[tuple[int, str, Any]], request: Request
) -> tuple[list[Any], str | None]:
    """Newest first by time; ``cursor`` is the position of the last item already seen.

    Entries are (milliseconds, tie-breaker, thing); only the things of the page are
    returned, so callers render views for one page, not for everything they sorted. The
    cursor is the time and a short digest of the tie-breaker, opaque like the AppView's.
    """
    limit = _bounded(request, "limit", FEED_LIMIT, 1, MAX_LIMIT)
    entries = sorted(
        ((millis, _digest(key), thing) for millis, key, thing in entries),
        key=lambda entry: (entry[0], entry[1]),
        reverse=True,
    )
    raw_cursor = request.arg("cursor")
    if raw_cursor:
        match = _CURSOR.fullmatch(raw_cursor)
        if match is None:
            raise XrpcError(400, "InvalidRequest", "Malformed cursor")
        after = (int(match.group(1)), match.group(2))
        entries = [entry for entry in entries if (entry[0], entry[1]) < after]
    page = entries[:limit]
    cursor = f"{page[-1][0]}::{page[-1][1]}" if page else None
    return [entry[2] for entry in page], cursor
