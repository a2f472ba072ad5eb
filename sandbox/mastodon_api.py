"""A simulated Mastodon instance: a World("mastodon") in the Mastodon REST wire format.

Serves what a collector reads through Mastodon.py 2.3 (``api_base_url=server.url``):

==========================================================  ===================================
GET /api/v1/instance, /api/v2/instance                      version 4.5.0, api_versions
GET /api/v1/accounts/verify_credentials                     needs a token
GET /api/v1/accounts/lookup?acct=name[@domain]              404 when nobody has that handle
GET /api/v1/accounts/:id                                    followers_count, statuses_count
GET /api/v1/accounts/:id/statuses                           max_id, since_id, min_id, limit<=40,
                                                            exclude_replies, exclude_reblogs
GET /api/v1/notifications[/:id]                             needs a token; mention notifications;
                                                            types[], exclude_types[], account_id
GET /api/v1/statuses/:id, /:id/context                      context is cut to 40 ancestors and
                                                            60 descendants (depth 20) without token
GET /api/v1/statuses/:id/favourited_by, /reblogged_by       max_id, since_id, limit<=80
GET /api/v1/favourites                                      needs a token; the viewer's favourited
                                                            statuses, newest favourite first;
                                                            max_id, min_id, since_id, limit<=40
==========================================================  ===================================

Lists page through ids the way Mastodon does (``min_id`` returns the oldest page above it,
``since_id`` the newest) and answer with a ``Link`` header: ``rel="next"`` carries ``max_id``
(on statuses and liker lists only when the page is full), ``rel="prev"`` carries ``min_id``
(``since_id`` on liker lists), and neither carries ``since_id``/``min_id`` forward.

Every answer has ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` (ISO 8601, the end of the
current five-minute window); with ``enforce_rate_limit=True`` the 301st call of a window is
a 429. A token that is not a managed account's is a 401 on every endpoint but the instance
ones; notifications and verify_credentials need one.

Notification and favourite ids are numbered the first time the server sees them, oldest
first, like the rows a real instance creates as activity arrives.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from sandbox.http import Request, Response
from sandbox.mastodon_entities import MastodonRenderer
from sandbox.mastodon_oauth import PATHS as OAUTH_PATHS
from sandbox.mastodon_oauth import MastodonLogin
from sandbox.rate_window import Budget
from sandbox.world import Actor, Like, Post, World
from sandbox.world_server import WorldServer

if TYPE_CHECKING:
    from sandbox.generator.demo import DemoActivity

# The demo collects months of history in one go and must not wait for the wall clock,
# so a server it starts (for_activity) announces a generous budget.
DEMO_CALLS = 100_000
MASTODON_VERSION = "4.5.0"
MASTODON_API_VERSION = 7
# Statuses only their author and the accounts they name can read.
PRIVATE_VISIBILITIES = ("direct", "limited")

STATUSES_LIMIT = 20  # default page sizes; Mastodon allows twice as many when asked
NOTIFICATIONS_LIMIT = 40
ACCOUNTS_LIMIT = 40
FAVOURITES_LIMIT = 20

# Context limits without a token (Mastodon's Api::V1::Statuses::ContextsController).
ANONYMOUS_ANCESTORS = 40
ANONYMOUS_DESCENDANTS = 60
ANONYMOUS_DEPTH = 20
SIGNED_IN_CONTEXT = 4096

INVALID_TOKEN = "The access token is invalid"
NOT_FOUND = "Record not found"

T = TypeVar("T")
Handler = Callable[..., Response]


class MastodonServer(WorldServer):
    """Renders a ``World("mastodon")`` as a Mastodon 4.5 instance on 127.0.0.1."""

    platform = "mastodon"

    @classmethod
    def for_activity(cls, activity: DemoActivity, host: str = "127.0.0.1") -> MastodonServer:
        # The instance the portfolio's handles name (@shop@mastodon.social).
        domain = next(
            (
                account.handle.rsplit("@", 1)[-1]
                for _, account in activity.portfolio.accounts()
                if account.platform == "mastodon"
            ),
            None,
        )
        return cls(activity.worlds["mastodon"], domain=domain, host=host, rate_limit=DEMO_CALLS)

    def __init__(
        self,
        world: World,
        *,
        domain: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: int = 300,
        enforce_rate_limit: bool = False,
    ) -> None:
        super().__init__(
            world,
            host=host,
            port=port,
            rate_limit=rate_limit,
            window_seconds=300,
            enforce_rate_limit=enforce_rate_limit,
        )
        self._domain = domain
        self.login = MastodonLogin(world, lambda: self.url)
        self._numbering = threading.Lock()
        self._notification_ids: dict[tuple[str, str], int] = {}
        self._favourite_ids: dict[tuple[str, str, datetime], int] = {}
        self._last_notification_id = 0
        self._last_favourite_id = 0
        self._routes: list[tuple[re.Pattern[str], Handler, bool]] = [
            (re.compile(pattern), handler, public)
            for pattern, handler, public in (
                (r"/api/v1/instance/?", self._instance_v1, True),
                (r"/api/v2/instance/?", self._instance_v2, True),
                (r"/api/v1/accounts/verify_credentials", self._verify_credentials, False),
                (r"/api/v1/accounts/lookup", self._lookup, False),
                (r"/api/v1/accounts/(?P<account_id>[^/]+)", self._account, False),
                (r"/api/v1/accounts/(?P<account_id>[^/]+)/statuses", self._statuses, False),
                (r"/api/v1/notifications", self._notifications, False),
                (r"/api/v1/favourites", self._favourites, False),
                (r"/api/v1/notifications/(?P<notification_id>[^/]+)", self._notification, False),
                (r"/api/v1/statuses/(?P<status_id>[^/]+)", self._status, False),
                (r"/api/v1/statuses/(?P<status_id>[^/]+)/context", self._context, False),
                (
                    r"/api/v1/statuses/(?P<status_id>[^/]+)/favourited_by",
                    self._favourited_by,
                    False,
                ),
                (
                    r"/api/v1/statuses/(?P<status_id>[^/]+)/reblogged_by",
                    self._reblogged_by,
                    False,
                ),
            )
        ]

    @property
    def domain(self) -> str:
        """The instance's own domain: local accounts' handles have no other."""
        return self._domain or f"{self.host}:{self.port}"

    # --- wire-format details ----------------------------------------------------------

    def budget_headers(self, budget: Budget, window_seconds: int = 300) -> dict[str, str]:
        reset = datetime.fromtimestamp(budget.reset_at, UTC)
        return {
            "X-RateLimit-Limit": str(budget.limit),
            "X-RateLimit-Remaining": str(budget.remaining),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }

    def error_body(self, status: int) -> Any:
        messages = {
            401: INVALID_TOKEN,
            404: NOT_FOUND,
            429: "Too many requests",
            503: "Service Unavailable",
        }
        return {"error": messages.get(status, "Internal Server Error")}

    def malformed_body(self, request: Request) -> Any:
        return b'[{"id":"113500000000000000","created_at":"2026-11-16T09:00:00.000Z","conte'

    # --- dispatch ---------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        window, budget = self.charge(request)
        if window.refuses(budget):
            return _error(429, "Too many requests")
        return self._answer(request)

    def actor_for_secret(self, secret: str | None) -> Actor | None:
        """A managed account's own token, or one the instance issued through OAuth."""
        actor = super().actor_for_secret(secret)
        if actor is None:
            owner = self.login.token_owner(secret)
            actor = self.world.actors.get(owner) if owner is not None else None
        return actor

    def _answer(self, request: Request) -> Response:
        if request.path in OAUTH_PATHS:
            return self.login.route(request)
        for pattern, handler, public in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            if request.method != "GET":
                return _error(404, f"{request.method} {request.path} is not simulated")
            viewer = None
            if request.bearer is not None and not public:
                viewer = self.actor_for_secret(request.bearer)
                if viewer is None:
                    return _error(401, self.login.refusal(request.bearer) or INVALID_TOKEN)
            with self.world.lock:
                renderer = MastodonRenderer(self.world, self.url, self.domain, viewer)
                return handler(request, renderer, **match.groupdict())
        return _error(404, f"{request.path} is not simulated")

    # --- instance ---------------------------------------------------------------------

    def _instance_v1(self, request: Request, renderer: MastodonRenderer) -> Response:
        local = [a for a in self.world.actors.values() if renderer.split_handle(a)[1] is None]
        remote_domains = {
            domain
            for a in self.world.actors.values()
            if (domain := renderer.split_handle(a)[1]) is not None
        }
        body = {
            "uri": self.domain,
            "title": "Mastodon",
            "short_description": "",
            "description": "",
            "email": "",
            "version": MASTODON_VERSION,
            "urls": {"streaming_api": f"ws://{self.host}:{self.port}"},
            "stats": {
                "user_count": len(local),
                "status_count": len(self.world.posts),
                "domain_count": len(remote_domains),
            },
            "thumbnail": f"{self.url}/packs/images/preview.png",
            "languages": ["en"],
            "registrations": False,
            "approval_required": False,
            "invites_enabled": False,
            "configuration": _configuration(),
            "contact_account": None,
            "rules": [],
        }
        # Mastodon marks v1 deprecated since 4.0; Mastodon.py silences the warning itself.
        return Response(body=body, headers={"Deprecation": "@1668384000"})

    def _instance_v2(self, request: Request, renderer: MastodonRenderer) -> Response:
        configuration = _configuration()
        configuration.update(
            urls={"streaming": f"ws://{self.host}:{self.port}", "status": None},
            vapid={"public_key": ""},
            translation={"enabled": False},
            timelines_access={
                feed: {"local": "public", "remote": "public"}
                for feed in ("live_feeds", "hashtag_feeds", "trending_link_feeds")
            },
        )
        body = {
            "domain": self.domain,
            "title": "Mastodon",
            "version": MASTODON_VERSION,
            "source_url": "https://github.com/mastodon/mastodon",
            "description": "",
            "usage": {"users": {"active_month": len(self.world.actors)}},
            "thumbnail": {"url": f"{self.url}/packs/images/preview.png"},
            "icon": [],
            "languages": ["en"],
            "configuration": configuration,
            "registrations": {
                "enabled": False,
                "approval_required": False,
                "message": None,
                "url": None,
            },
            "api_versions": {"mastodon": MASTODON_API_VERSION},
            "contact": {"email": "", "account": None},
            "rules": [],
        }
        return Response(body=body)

    # --- accounts ---------------------------------------------------------------------

    def _verify_credentials(self, request: Request, renderer: MastodonRenderer) -> Response:
        if renderer.viewer is None:
            return _error(401, INVALID_TOKEN)
        return Response(body=renderer.credential_account(renderer.viewer))

    def _lookup(self, request: Request, renderer: MastodonRenderer) -> Response:
        acct = (request.arg("acct") or "").strip().lstrip("@").lower()
        username, _, domain = acct.partition("@")
        if domain in ("", self.domain.lower(), f"{self.host}:{self.port}"):
            wanted = {username, f"{username}@{self.domain.lower()}"}
        else:
            wanted = {acct}
        for actor in self.world.actors.values():
            if actor.handle.lstrip("@").lower() in wanted:
                return Response(body=renderer.account(actor))
        return _error(404, NOT_FOUND)

    def _account(self, request: Request, renderer: MastodonRenderer, account_id: str) -> Response:
        actor = self.world.actors.get(account_id)
        if actor is None:
            return _error(404, NOT_FOUND)
        return Response(body=renderer.account(actor))

    def _statuses(self, request: Request, renderer: MastodonRenderer, account_id: str) -> Response:
        actor = self.world.actors.get(account_id)
        if actor is None:
            return _error(404, NOT_FOUND)
        limit = _limit(request, STATUSES_LIMIT)
        posts = _by_id(p for p in self.world.by_author(actor.id) if self._shown(p, renderer))
        if any(_flag(request, name) for name in ("only_media", "pinned")) or request.arg("tagged"):
            posts = []  # nothing in a simulated world has media, pins or hashtags
        if _flag(request, "exclude_replies"):
            posts = [(i, p) for i, p in posts if not self._answers_someone_else(p)]
        if _flag(request, "exclude_reblogs"):
            posts = [(i, p) for i, p in posts if p.kind != "repost"]
        page = _page(posts, request, limit)
        carried = ("limit", "exclude_replies", "exclude_reblogs", "only_media", "pinned", "tagged")
        return _listing(
            request,
            self.url,
            [renderer.status(post) for _, post in page],
            [status_id for status_id, _ in page],
            carried=carried,
            next_only_when_full=limit,
        )

    def _shown(self, post: Post, renderer: MastodonRenderer) -> bool:
        """False for a boost whose original is gone (Mastodon deletes such boosts), and
        for a private message to anybody but its author and the people it names."""
        if post.visibility in PRIVATE_VISIBILITIES:
            viewer = renderer.viewer
            return viewer is not None and (
                viewer.id == post.author_id
                or any(actor.id == viewer.id for actor in renderer.mentioned(post))
            )
        if post.kind != "repost":
            return True
        original = self.world.get(post.reposted_id or "")
        return original is not None and original.kind != "repost"

    def _answers_someone_else(self, post: Post) -> bool:
        """A reply to another account (Mastodon's exclude_replies keeps self-threads)."""
        if post.parent_id is None:
            return False
        parent = self.world.posts.get(post.parent_id)
        return parent is None or parent.author_id != post.author_id

    # --- notifications ----------------------------------------------------------------

    def _mention_notifications(self, viewer: Actor) -> list[tuple[int, Post]]:
        """The viewer's mention notifications, newest first, numbered as they arrive."""
        posts = self.world.mentioning(viewer.id)
        with self._numbering:
            for post in reversed(posts):  # oldest first, like a live instance would
                key = (viewer.id, post.id)
                if key not in self._notification_ids:
                    self._last_notification_id += 1
                    self._notification_ids[key] = self._last_notification_id
            numbered = [(self._notification_ids[(viewer.id, p.id)], p) for p in posts]
        return sorted(numbered, key=lambda pair: pair[0], reverse=True)

    def _notifications(self, request: Request, renderer: MastodonRenderer) -> Response:
        viewer = renderer.viewer
        if viewer is None:
            return _error(401, INVALID_TOKEN)
        types = set(request.query.get("types[]", []) + request.query.get("types", []))
        excluded = set(request.query.get("exclude_types[]", []))
        notifications = self._mention_notifications(viewer)
        if (types and "mention" not in types) or "mention" in excluded:
            notifications = []  # the simulated instance only raises mention notifications
        from_account = request.arg("account_id")
        if from_account:
            notifications = [(i, p) for i, p in notifications if p.author_id == from_account]
        limit = _limit(request, NOTIFICATIONS_LIMIT)
        page = _page(notifications, request, limit)
        return _listing(
            request,
            self.url,
            [renderer.mention_notification(i, p) for i, p in page],
            [i for i, _ in page],
            carried=("limit", "account_id", "types[]", "exclude_types[]"),
            next_only_when_full=None,
        )

    def _notification(
        self, request: Request, renderer: MastodonRenderer, notification_id: str
    ) -> Response:
        viewer = renderer.viewer
        if viewer is None:
            return _error(401, INVALID_TOKEN)
        for number, post in self._mention_notifications(viewer):
            if str(number) == notification_id:
                return Response(body=renderer.mention_notification(number, post))
        return _error(404, NOT_FOUND)

    # --- statuses ---------------------------------------------------------------------

    def _visible_status(self, status_id: str, renderer: MastodonRenderer) -> Post | None:
        post = self.world.get(status_id)
        return post if post is not None and self._shown(post, renderer) else None

    def _status(self, request: Request, renderer: MastodonRenderer, status_id: str) -> Response:
        post = self._visible_status(status_id, renderer)
        if post is None:
            return _error(404, NOT_FOUND)
        return Response(body=renderer.status(post))

    def _context(self, request: Request, renderer: MastodonRenderer, status_id: str) -> Response:
        post = self._visible_status(status_id, renderer)
        if post is None:
            return _error(404, NOT_FOUND)
        signed_in = renderer.viewer is not None
        ancestors_limit = SIGNED_IN_CONTEXT if signed_in else ANONYMOUS_ANCESTORS
        descendants_limit = SIGNED_IN_CONTEXT if signed_in else ANONYMOUS_DESCENDANTS
        depth_limit = None if signed_in else ANONYMOUS_DEPTH
        ancestors: list[Post] = []
        current = post
        while current.parent_id is not None and len(ancestors) < ancestors_limit:
            parent = self.world.get(current.parent_id)
            if parent is None:
                break  # the chain ends at a deleted status
            ancestors.append(parent)
            current = parent
        descendants = [
            p
            for p in _depth_first(self.world, post.id, descendants_limit, depth_limit)
            if self._shown(p, renderer)
        ]
        return Response(
            body={
                "ancestors": [renderer.status(p) for p in reversed(ancestors)],
                "descendants": [renderer.status(p) for p in descendants],
            }
        )

    def _favourited_by(
        self, request: Request, renderer: MastodonRenderer, status_id: str
    ) -> Response:
        post = self._visible_status(status_id, renderer)
        if post is None:
            return _error(404, NOT_FOUND)
        likes = [like for like in self.world.likes_of(post) if like.actor_id in self.world.actors]
        with self._numbering:
            favourites = sorted(
                (
                    (self._favourite_number(post, like), like)
                    for like in sorted(likes, key=lambda like: (like.at, like.actor_id))
                ),
                key=lambda pair: pair[0],
                reverse=True,
            )
        limit = _limit(request, ACCOUNTS_LIMIT)
        page = _page(favourites, request, limit, use_min_id=False)
        return _listing(
            request,
            self.url,
            [renderer.account(self.world.actors[like.actor_id]) for _, like in page],
            [number for number, _ in page],
            carried=("limit",),
            next_only_when_full=limit,
            prev_key="since_id",
        )

    def _favourite_number(self, post: Post, like: Like) -> int:
        """The id of a favourite: numbered the first time the server sees it, like the row
        a live instance creates when the favourite arrives. Callers hold ``_numbering``."""
        key = (post.id, like.actor_id, like.at)
        if key not in self._favourite_ids:
            self._last_favourite_id += 1
            self._favourite_ids[key] = self._last_favourite_id
        return self._favourite_ids[key]

    def _favourites(self, request: Request, renderer: MastodonRenderer) -> Response:
        """The viewer's favourites, paged by favourite id (not status id), as Mastodon does."""
        viewer = renderer.viewer
        if viewer is None:
            return _error(401, INVALID_TOKEN)
        liked = [
            (like, post)
            for post in self.world.all_posts()
            if post.kind != "repost" and self._visible_status(post.id, renderer) is not None
            for like in self.world.likes_of(post)
            if like.actor_id == viewer.id
        ]
        liked.sort(key=lambda pair: (pair[0].at, pair[1].id))
        with self._numbering:
            favourites = [(self._favourite_number(post, like), post) for like, post in liked]
        favourites.sort(key=lambda pair: pair[0], reverse=True)
        limit = _limit(request, FAVOURITES_LIMIT)
        page = _page(favourites, request, limit)
        return _listing(
            request,
            self.url,
            [renderer.status(post) for _, post in page],
            [number for number, _ in page],
            carried=("limit",),
            next_only_when_full=limit,
        )

    def _reblogged_by(
        self, request: Request, renderer: MastodonRenderer, status_id: str
    ) -> Response:
        post = self._visible_status(status_id, renderer)
        if post is None:
            return _error(404, NOT_FOUND)
        boosts = _by_id(self.world.reposts_of(post.id))
        limit = _limit(request, ACCOUNTS_LIMIT)
        page = _page(boosts, request, limit, use_min_id=False)
        return _listing(
            request,
            self.url,
            [renderer.account(self.world.actors[boost.author_id]) for _, boost in page],
            [number for number, _ in page],
            carried=("limit",),
            next_only_when_full=limit,
            prev_key="since_id",
        )


# --- helpers --------------------------------------------------------------------------


def _error(status: int, message: str) -> Response:
    return Response(status=status, body={"error": message})


def _configuration() -> dict[str, Any]:
    return {
        "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
        "statuses": {
            "max_characters": 500,
            "max_media_attachments": 4,
            "characters_reserved_per_url": 23,
        },
        "media_attachments": {
            "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
            "image_size_limit": 16777216,
            "image_matrix_limit": 33177600,
            "video_size_limit": 103809024,
            "video_frame_rate_limit": 120,
            "video_matrix_limit": 8294400,
        },
        "polls": {
            "max_options": 4,
            "max_characters_per_option": 50,
            "min_expiration": 300,
            "max_expiration": 2629746,
        },
    }


def _flag(request: Request, name: str) -> bool:
    """Rails' boolean cast: anything but 0/f/false/off (and absence) is true."""
    value = request.arg(name)
    return value is not None and value.strip().lower() not in ("", "0", "f", "false", "off")


def _limit(request: Request, default: int) -> int:
    """Mastodon's limit_param: the default, or the asked number up to twice the default."""
    raw = request.arg("limit")
    if raw is None:
        return default
    try:
        asked = abs(int(raw))
    except ValueError:
        return default
    return min(asked, default * 2)


def _id_arg(request: Request, name: str) -> int | None:
    raw = request.arg(name)
    if raw is None or raw == "":
        return None
    return int(raw) if raw.isdigit() else 0


def _by_id(posts: Iterable[Post]) -> list[tuple[int, Post]]:
    """Statuses newest first by id, the order Mastodon pages them in."""
    return sorted(((int(p.id), p) for p in posts), key=lambda pair: pair[0], reverse=True)


def _page(
    items: list[tuple[int, T]],
    request: Request,
    limit: int,
    *,
    use_min_id: bool = True,
) -> list[tuple[int, T]]:
    """One page of ``items`` (newest first): Mastodon's paginate_by_id.

    With ``min_id`` it is the ``limit`` oldest items above it (still shown newest first);
    otherwise the ``limit`` newest below ``max_id`` and above ``since_id``.
    """
    max_id = _id_arg(request, "max_id")
    since_id = _id_arg(request, "since_id")
    min_id = _id_arg(request, "min_id") if use_min_id else None

    if min_id is not None:
        newer = [
            pair
            for pair in reversed(items)
            if pair[0] > min_id and (max_id is None or pair[0] < max_id)
        ]
        return list(reversed(newer[:limit]))
    page = []
    for pair in items:
        if len(page) >= limit:
            break
        if max_id is not None and pair[0] >= max_id:
            continue
        if since_id is not None and pair[0] <= since_id:
            break
        page.append(pair)
    return page


def _listing(
    request: Request,
    base_url: str,
    bodies: list[Any],
    ids: list[int],
    *,
    carried: tuple[str, ...],
    next_only_when_full: int | None,
    prev_key: str = "min_id",
) -> Response:
    """A JSON list with Mastodon's Link header for the pages before and after it."""
    kept = {name: request.query[name] for name in carried if name in request.query}
    links = []
    if ids and (next_only_when_full is None or len(ids) >= next_only_when_full):
        query = urlencode(sorted({**kept, "max_id": [str(ids[-1])]}.items()), doseq=True)
        links.append(f'<{base_url}{request.path}?{query}>; rel="next"')
    if ids:
        query = urlencode(sorted({**kept, prev_key: [str(ids[0])]}.items()), doseq=True)
        links.append(f'<{base_url}{request.path}?{query}>; rel="prev"')
    headers = {"Link": ", ".join(links)} if links else {}
    return Response(body=bodies, headers=headers)


def _depth_first(world: World, root_id: str, limit: int, depth_limit: int | None) -> list[Post]:
    """Replies below ``root_id`` in thread order, oldest first at each level."""
    found: list[Post] = []
    stack = [(child, 1) for child in reversed(world.children(root_id))]
    while stack and len(found) < limit:
        post, depth = stack.pop()
        found.append(post)
        if depth_limit is None or depth < depth_limit:
            stack.extend((child, depth + 1) for child in reversed(world.children(post.id)))
    return found
