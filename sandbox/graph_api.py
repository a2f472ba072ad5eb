"""A simulated Graph API: Facebook Pages and Instagram business accounts, as graph.facebook.com.

Renders a ``World("facebook")`` and/or a ``World("instagram")`` in the Graph API's wire
format, shaped after real responses (tests/fixtures/graph-api): versioned paths
(``/v24.0/...``), ``fields`` with nested selections and modifiers
(``comments.filter(stream).summary(true).limit(0)``, ``from{id,name}``), edges with
``paging.cursors`` and a ``paging.next`` URL that carries the ``access_token`` (the
facebook-sdk deletes it from the query and fails without it), error JSON with Graph codes
(100, 190, 4/17/32/613 for throttling, 1/2 for transient faults), ``x-app-usage`` and
``x-business-use-case-usage`` headers, and ``Content-Type: application/json`` always.

    server = GraphApiServer(facebook=fb_world, instagram=ig_world).start()
    server.url        # stands in for https://graph.facebook.com
    server.tokens     # access token -> the managed actor (page or IG user) it belongs to

A comment's ``user_likes`` and a reactions summary's ``viewer_reaction`` say whether the
token's owner (with a page token: the page) liked the comment or post.

A Facebook page's token also reads the Instagram business account linked to that page
(the IG world's ``Managed.page_id``), as on the real platform. Time is the world's:
usage windows are one hour of world time. :meth:`corrupt` drops fields from one object.

A Page post's ``updated_time`` moves when it gets a comment, as Meta documents it ("the
time the post was last updated, which occurs when the post was created, edited, or a user
comments on a post"); ``comments.summary(true)`` counts every comment of the edge (with
``filter(stream)`` the replies too), and ``comments_count`` of a media every comment and
reply. With ``posts_without_from=True`` Page posts come without ``from`` (what real Page
feeds answer to some tokens and apps); comments keep theirs.
"""

from __future__ import annotations

import base64
import json
import math
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sandbox.http import Request, Response, SandboxServer
from sandbox.meta_login import MetaLogin, MetaPerson, TokenRefused, missing_permission
from sandbox.oauth import ClientApp
from sandbox.world import Actor, Managed, Post, World

if TYPE_CHECKING:
    from sandbox.generator.demo import DemoActivity

DEFAULT_HOURLY_CALLS = 4_800  # per token and hour before code 32/4 throttling
# The demo collects months of history in one go and must not wait for the wall clock,
# so a server it starts (for_activity) announces a generous budget.
DEMO_HOURLY_CALLS = 100_000
USAGE_WINDOW = timedelta(hours=1)
DEFAULT_LIMIT = 25
MAX_LIMIT = 100

_TRANSIENT = {"message": "An unexpected error has occurred. Please retry your request later.",
              "type": "OAuthException", "is_transient": True, "code": 2}  # fmt: skip


class GraphError(Exception):
    """An error the Graph API answers with its JSON error object."""

    def __init__(self, status: int, code: int, message: str, kind: str = "OAuthException",
                 subcode: int | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.status, self.code, self.message, self.kind, self.subcode = (
            status, code, message, kind, subcode,
        )  # fmt: skip

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.kind, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = "AsandboxTrace"
        return {"error": error}


# --- the fields syntax: a,b{c,d},e.limit(0).summary(true){f} ---------------------------


@dataclass
class FieldSpec:
    name: str
    modifiers: dict[str, str] = field(default_factory=dict)
    children: list[FieldSpec] | None = None


def parse_fields(text: str) -> list[FieldSpec]:
    """Parse a Graph ``fields`` value; raises GraphError(100) on a syntax error."""
    specs, position = _parse_list(text, 0)
    if position != len(text):
        raise GraphError(400, 100, f'Syntax error "Expected end of string" at {position}.')
    return specs


def _parse_list(text: str, position: int) -> tuple[list[FieldSpec], int]:
    specs: list[FieldSpec] = []
    while position < len(text):
        spec, position = _parse_one(text, position)
        specs.append(spec)
        if position < len(text) and text[position] == ",":
            position += 1
            continue
        break
    return specs, position


def _parse_one(text: str, position: int) -> tuple[FieldSpec, int]:
    start = position
    while position < len(text) and (text[position].isalnum() or text[position] == "_"):
        position += 1
    if position == start:
        raise GraphError(400, 100, f'Syntax error "Expected field name" at {position}.')
    spec = FieldSpec(text[start:position].strip())
    while position < len(text) and text[position] == ".":
        end = text.find("(", position)
        close = text.find(")", end)
        if end < 0 or close < 0:
            raise GraphError(400, 100, f'Syntax error "Expected modifier" at {position}.')
        spec.modifiers[text[position + 1 : end]] = text[end + 1 : close]
        position = close + 1
    if position < len(text) and text[position] == "{":
        children, position = _parse_list(text, position + 1)
        if position >= len(text) or text[position] != "}":
            raise GraphError(400, 100, f'Syntax error "Expected }}" at {position}.')
        spec.children = children
        position += 1
    return spec, position


# --- the server -------------------------------------------------------------------------


@dataclass
class _Usage:
    started: datetime
    calls: int = 0


@dataclass(frozen=True)
class _Call:
    """What rendering needs to know about the request: next URLs repeat version and token."""

    version: str
    token: str
    viewer: str = ""  # the actor the token belongs to: a page token reads as the page
    # The permissions of a token issued by the login (sandbox.meta_login); None: a managed
    # account's own token, which reads everything.
    granted: tuple[str, ...] | None = None


class GraphApiServer(SandboxServer):
    """Facebook Page and Instagram business account reads over one or two worlds."""

    platform = "graph"

    @classmethod
    def for_activity(cls, activity: DemoActivity, host: str = "127.0.0.1") -> GraphApiServer:
        # One server for both platforms, as graph.facebook.com is.
        return cls(
            facebook=activity.worlds.get("facebook"),
            instagram=activity.worlds.get("instagram"),
            host=host,
            hourly_calls=DEMO_HOURLY_CALLS,
        )

    def __init__(
        self,
        facebook: World | None = None,
        instagram: World | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        hourly_calls: int = DEFAULT_HOURLY_CALLS,
        posts_without_from: bool = False,
        app: ClientApp | None = None,
        login_configs: dict[str, tuple[str, ...]] | None = None,
        people: list[MetaPerson] | None = None,
    ) -> None:
        """``app``, ``login_configs`` and ``people``: the Meta app, its Facebook Login for
        Business configurations and who can log in (sandbox.meta_login)."""
        if facebook is None and instagram is None:
            raise ValueError("GraphApiServer needs a facebook world, an instagram world, or both")
        if facebook is not None and facebook.platform != "facebook":
            raise ValueError(f"facebook= must be a facebook world, not {facebook.platform!r}")
        if instagram is not None and instagram.platform != "instagram":
            raise ValueError(f"instagram= must be an instagram world, not {instagram.platform!r}")
        super().__init__(host, port)
        self.facebook = facebook
        self.instagram = instagram
        self.hourly_calls = hourly_calls
        self.posts_without_from = posts_without_from
        self.corrupted: dict[str, set[str]] = {}
        self._usage: dict[str, _Usage] = {}
        self._usage_lock = threading.Lock()
        self.login = MetaLogin(facebook, instagram, app, login_configs, people)

    # --- what tests and the demo use --------------------------------------------------

    @property
    def tokens(self) -> dict[str, str]:
        """Access token -> the managed actor (Facebook page or IG user) it belongs to."""
        found: dict[str, str] = {}
        for world in (self.instagram, self.facebook):
            if world is not None:
                found.update({m.token: actor for actor, m in world.managed.items()})
        return found

    def corrupt(self, object_id: str, *fields: str) -> None:
        """Render this post, comment or media without these fields."""
        self.corrupted.setdefault(object_id, set()).update(fields)

    @property
    def now(self) -> datetime:
        worlds = [w for w in (self.facebook, self.instagram) if w is not None]
        return max(w.now for w in worlds)

    # --- plumbing -------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        form = request.form()
        token = (form.get("access_token") or [None])[-1]
        if token is None and request.headers.get("authorization", "").startswith("OAuth "):
            token = request.headers["authorization"][6:]
        try:
            version, path = self._split_version(request.path)
            answered = self.login.route(request, path)  # the dialog, tokens, me/accounts
            if answered is not None:
                return answered
            principal, granted = self._principal_and_grant(token)
            self._consume(token or "")
            if request.method != "GET":
                raise GraphError(400, 100, "this simulated Graph API only reads")
            args = {key: values[-1] for key, values in form.items()}
            call = _Call(version=version, token=token or "", viewer=principal.actor_id,
                         granted=granted)  # fmt: skip
            return Response(200, self._get(principal, call, path, args))
        except GraphError as exc:
            return Response(exc.status, exc.body())

    def _principal(self, token: str | None) -> Managed:
        return self._principal_and_grant(token)[0]

    def _principal_and_grant(self, token: str | None) -> tuple[Managed, tuple[str, ...] | None]:
        if not token:
            raise GraphError(400, 2500, "An active access token must be used to query "
                             "information about the current user.")  # fmt: skip
        for world in (self.facebook, self.instagram):
            if world is None:
                continue
            for managed in world.managed.values():
                if managed.token == token:
                    return managed, None
        try:
            issued = self.login.page_principal(token)
        except TokenRefused as exc:
            error = exc.response.body["error"]  # type: ignore[index]
            raise GraphError(exc.response.status, error["code"], error["message"],
                             subcode=error.get("error_subcode")) from None  # fmt: skip
        if issued is not None:
            page_id, granted = issued
            return Managed(actor_id=page_id, token=token), granted
        raise GraphError(401, 190, "Invalid OAuth access token - Cannot parse access token")

    def _split_version(self, path: str) -> tuple[str, list[str]]:
        parts = [p for p in path.split("/") if p]
        if not parts or not parts[0].startswith("v") or "." not in parts[0]:
            raise GraphError(400, 2635, "You are calling a deprecated version of the Ads API. "
                             "Please update to the latest version.")  # fmt: skip
        if len(parts) < 2:
            raise GraphError(400, 100, "Unsupported get request.")
        return parts[0], parts[1:]

    def _consume(self, token: str) -> None:
        with self._usage_lock:
            usage = self._current_usage(token)
            if usage.calls >= self.hourly_calls:
                raise GraphError(400, 32, "(#32) Page request limit reached")
            usage.calls += 1

    def _current_usage(self, token: str) -> _Usage:
        now = self.now
        usage = self._usage.get(token)
        if usage is None or now >= usage.started + USAGE_WINDOW:
            usage = self._usage[token] = _Usage(started=now)
        return usage

    def rate_limit_headers(self, request: Request, reset_at: float | None) -> dict[str, str]:
        token = (request.form().get("access_token") or [""])[-1]
        with self._usage_lock:
            usage = self._current_usage(token)
            percent = min(100 * usage.calls // max(self.hourly_calls, 1), 100)
            regain = 0
            if usage.calls >= self.hourly_calls:
                left = (usage.started + USAGE_WINDOW - self.now).total_seconds()
                regain = max(math.ceil(left / 60), 1)
        if reset_at is not None:
            percent, regain = 100, max(math.ceil((reset_at - self.now.timestamp()) / 60), 1)
        app_usage = {"call_count": percent, "total_cputime": percent // 2,
                     "total_time": percent // 2}  # fmt: skip
        headers = {"x-app-usage": json.dumps(app_usage)}
        try:
            managed = self._principal(token)
        except GraphError:
            return headers
        business = managed.page_id or managed.actor_id
        use_case = {"type": "pages", **app_usage, "estimated_time_to_regain_access": regain}
        headers["x-business-use-case-usage"] = json.dumps({business: [use_case]})
        headers["facebook-api-version"] = request.path.strip("/").split("/")[0] or "v24.0"
        return headers

    def error_body(self, status: int) -> Any:
        if status in (401, 403):
            return GraphError(status, 190, "Error validating access token: The session has "
                              "been invalidated because the user changed their password or "
                              "Facebook has changed the session for security reasons.",
                              subcode=460).body()  # fmt: skip
        if status == 429:
            return GraphError(status, 4, "(#4) Application request limit reached").body()
        if status >= 500:
            return {"error": {**_TRANSIENT, "fbtrace_id": "AsandboxTrace"}}
        return GraphError(status, 100, "Invalid parameter").body()

    def malformed_body(self, request: Request) -> Any:
        return b'{"data": [{"id": "1", "message": '

    # --- objects --------------------------------------------------------------------

    def _get(self, principal: Managed, call: _Call, path: list[str], args: dict[str, str]
             ) -> dict[str, Any]:  # fmt: skip
        node_id = path[0]
        if node_id == "me":
            node_id = self._me(principal)
        kind, node = self._lookup(node_id)
        if call.granted is not None:
            missing = missing_permission(kind, path[1] if len(path) == 2 else None, call.granted)
            if missing is not None:
                raise GraphError(
                    403,
                    10,
                    f"(#10) This endpoint requires the '{missing}' permission or the 'Page "
                    "Public Content Access' feature.",
                )
        fields = parse_fields(args["fields"]) if args.get("fields") else None
        if len(path) == 1:
            return self._render(kind, node, fields, call)
        if len(path) == 2:
            spec = FieldSpec(path[1], _edge_modifiers(args), fields)
            return self._edge(kind, node, spec, call, args)
        raise GraphError(400, 100, "Unsupported get request.")

    def _me(self, principal: Managed) -> str:
        if self.facebook is not None and principal.actor_id in self.facebook.managed:
            return principal.actor_id
        return principal.page_id or principal.actor_id

    def _lookup(self, node_id: str) -> tuple[str, Any]:
        fb, ig = self.facebook, self.instagram
        if fb is not None:
            page = fb.actors.get(node_id) or next(
                (a for a in fb.actors.values() if a.handle.lower() == node_id.lower()), None
            )
            if page is not None:
                return "page", page
            post = fb.get(node_id)
            if post is not None:
                return ("post" if post.parent_id is None else "comment"), post
        if ig is not None:
            managed = next((m for m in ig.managed.values() if m.page_id == node_id), None)
            if managed is not None:
                return "page", Actor(id=node_id, handle=node_id, name=node_id)
            if node_id in ig.actors:
                return "ig_user", ig.actors[node_id]
            post = ig.get(node_id)
            if post is not None:
                return ("media" if post.parent_id is None else "ig_comment"), post
        if not node_id.replace("_", "").isdigit():
            raise GraphError(404, 803, f"(#803) Some of the aliases you requested do not "
                             f"exist: {node_id}")  # fmt: skip
        raise GraphError(400, 100, f"Unsupported get request. Object with ID '{node_id}' does "
                         "not exist, cannot be loaded due to missing permissions, or does not "
                         "support this operation. Please read the Graph API documentation at "
                         "https://developers.facebook.com/docs/graph-api",
                         kind="GraphMethodException", subcode=33)  # fmt: skip

    _DEFAULTS = {
        "page": ["name", "id"],
        "ig_user": ["id"],
        "post": ["created_time", "message", "id"],
        "comment": ["created_time", "from", "message", "id"],
        "media": ["id"],
        "ig_comment": ["timestamp", "text", "id"],
    }
    _EDGES = {
        "page": ("feed", "posts", "published_posts"),
        "ig_user": ("media",),
        "post": ("comments", "reactions"),
        "comment": ("comments",),
        "media": ("comments",),
        "ig_comment": ("replies",),
    }

    def _render(self, kind: str, node: Any, fields: list[FieldSpec] | None, call: _Call
                ) -> dict[str, Any]:  # fmt: skip
        specs = fields or [FieldSpec(name) for name in self._DEFAULTS[kind]]
        values: dict[str, Any] = {}
        dropped = self.corrupted.get(getattr(node, "id", ""), set())
        for spec in specs:
            if spec.name in dropped:
                continue
            if spec.name in self._EDGES[kind]:
                edge = self._edge(kind, node, spec, call, None)
                # Graph leaves out an expanded edge that has nothing to show.
                if edge["data"] or "summary" in edge:
                    values[spec.name] = edge
                continue
            value = self._field(kind, node, spec, call)
            if value is not None:
                values[spec.name] = value
        return values

    def _field(self, kind: str, node: Any, spec: FieldSpec, call: _Call) -> Any:
        if kind == "comment" and spec.name == "user_likes":
            # Whether the token's owner (with a page token: the page) liked the comment.
            return self._liked_by(node, call.viewer)
        getter = getattr(self, f"_{kind}_field")
        value = getter(node, spec.name)
        if value is _UNKNOWN:
            raise GraphError(400, 100, f"(#100) Tried accessing nonexisting field "
                             f"({spec.name}) on node type ({_NODE_TYPES[kind]})")  # fmt: skip
        if isinstance(value, dict) and spec.children is not None:
            value = {c.name: value[c.name] for c in spec.children if c.name in value}
        elif isinstance(value, dict) and spec.name in _NODE_REFERENCES:
            value = {"id": value["id"]}  # a node named without subfields: just its id
        return value

    def _liked_by(self, post: Post, actor_id: str) -> bool:
        world = self._world_of("facebook")
        return any(like.actor_id == actor_id for like in world.likes_of(post))

    def _page_field(self, page: Actor, name: str) -> Any:
        ig_account = None
        if self.instagram is not None:
            managed = next((m for m in self.instagram.managed.values()
                            if m.page_id == page.id), None)  # fmt: skip
            if managed is not None:
                ig_actor = self.instagram.actors.get(managed.actor_id)
                username = ig_actor.handle if ig_actor else managed.actor_id
                ig_account = {"id": managed.actor_id, "username": username}
        values = {
            "id": page.id,
            "name": page.name or page.handle,
            "username": page.handle,
            "fan_count": page.followers,
            "followers_count": page.followers,
            "link": f"https://www.facebook.com/{page.handle}",
            "instagram_business_account": ig_account,
        }
        return values.get(name, _UNKNOWN)

    def _ig_user_field(self, user: Actor, name: str) -> Any:
        assert self.instagram is not None
        media = [p for p in self.instagram.by_author(user.id) if p.parent_id is None]
        values = {
            "id": user.id,
            "username": user.handle,
            "name": user.name or user.handle,
            "followers_count": user.followers,
            "media_count": len(media),
            "biography": "",
        }
        return values.get(name, _UNKNOWN)

    def _post_field(self, post: Post, name: str) -> Any:
        world = self._world_of("facebook")
        page_id, _, number = post.id.partition("_")
        author = world.actors[post.author_id]
        latest = max((c.created_at for c in world.descendants(post.id)), default=post.created_at)
        values = {
            "id": post.id,
            "message": post.text or None,
            "created_time": _graph_time(post.created_at),
            "updated_time": _graph_time(max(latest, post.created_at)),
            "permalink_url": f"https://www.facebook.com/{page_id}/posts/{number}/",
            "status_type": "mobile_status_update",
            "from": None
            if self.posts_without_from
            else {"name": author.name or author.handle, "id": author.id},
            "shares": {"count": post.reposts} if post.reposts else None,
            "is_hidden": world.is_hidden(post),
        }
        return values.get(name, _UNKNOWN)

    def _comment_field(self, comment: Post, name: str) -> Any:
        world = self._world_of("facebook")
        top = self._top_comment(world, comment)
        root = world.posts[comment.root_id or comment.id]
        page_id, _, number = root.id.partition("_")
        author = world.actors[comment.author_id]
        link = f"https://www.facebook.com/{page_id}/posts/{number}/?comment_id={_tail(top.id)}"
        if top.id != comment.id:
            link += f"&reply_comment_id={_tail(comment.id)}"
        values = {
            "id": comment.id,
            "message": comment.text,
            "created_time": _graph_time(comment.created_at),
            "from": {"name": author.name or author.handle, "id": author.id},
            "parent": {"id": top.id} if top.id != comment.id else None,
            "comment_count": len(list(world.descendants(comment.id)))
            if top.id == comment.id
            else 0,
            "like_count": world.like_count(comment),
            "is_hidden": world.is_hidden(comment),
            "can_hide": True,
            "can_like": True,
            "permalink_url": link,
            "message_tags": self._message_tags(world, comment),
        }
        return values.get(name, _UNKNOWN)

    @staticmethod
    def _message_tags(world: World, comment: Post) -> list[dict[str, Any]]:
        """The people and Pages a comment tags, where their names stand in the message
        (a reply to someone's comment tags them, as Facebook's reply box does)."""
        tags = []
        for actor_id in comment.mentions:
            actor = world.actors.get(actor_id)
            name = actor.name or actor.handle if actor is not None else None
            offset = comment.text.find(name) if name else -1
            if actor is None or name is None or offset < 0:
                continue
            kind = "page" if world.managed.get(actor_id) is not None else "user"
            tags.append(
                {"id": actor.id, "name": name, "type": kind, "offset": offset, "length": len(name)}
            )
        return tags

    def _media_field(self, media: Post, name: str) -> Any:
        world = self._world_of("instagram")
        author = world.actors[media.author_id]
        values = {
            "id": media.id,
            "caption": media.text or None,
            "media_type": media.media_type,
            "permalink": f"https://www.instagram.com/p/{_shortcode(media.id)}/",
            "timestamp": _graph_time(media.created_at),
            "like_count": world.like_count(media),
            "comments_count": sum(1 for _ in world.descendants(media.id)),
            "username": author.handle,
            "owner": {"id": author.id},
            "is_comment_enabled": True,
        }
        return values.get(name, _UNKNOWN)

    def _ig_comment_field(self, comment: Post, name: str) -> Any:
        world = self._world_of("instagram")
        top = self._top_comment(world, comment)
        author = world.actors[comment.author_id]
        values = {
            "id": comment.id,
            "text": comment.text,
            "timestamp": _graph_time(comment.created_at),
            "username": author.handle,
            "from": {"id": author.id, "username": author.handle},
            "like_count": world.like_count(comment),
            "hidden": world.is_hidden(comment),
            "parent_id": top.id if top.id != comment.id else None,
            "media": {"id": comment.root_id},
        }
        return values.get(name, _UNKNOWN)

    def _world_of(self, platform: str) -> World:
        world = self.facebook if platform == "facebook" else self.instagram
        assert world is not None
        return world

    @staticmethod
    def _top_comment(world: World, comment: Post) -> Post:
        """The comment directly under the post: Graph hangs deeper replies there."""
        current = comment
        while current.parent_id is not None and current.parent_id != current.root_id:
            current = world.posts[current.parent_id]
        return current

    # --- edges ---------------------------------------------------------------------

    def _edge(
        self, kind: str, node: Any, spec: FieldSpec, call: _Call, args: dict[str, str] | None
    ) -> dict[str, Any]:
        """One page of an edge; ``args`` are the query of a direct edge request, None when
        the edge is expanded inside ``fields``."""  # fmt: skip
        if spec.name not in self._EDGES[kind]:
            raise GraphError(400, 100, f"(#100) Tried accessing nonexisting field "
                             f"({spec.name}) on node type ({_NODE_TYPES[kind]})")  # fmt: skip
        modifiers = spec.modifiers if args is None else {**spec.modifiers, **_edge_modifiers(args)}
        items, child_kind, order = self._edge_items(kind, node, spec.name, modifiers)
        total = len(items)
        items = _window(items, modifiers, child_kind)
        limit = _limit(modifiers.get("limit"))
        after = modifiers.get("after")
        if after:
            key = _decode_cursor(after)
            items = [item for item in items if _after(item, key, order)]
        page = items[:limit]
        if spec.name == "reactions":
            world = self._world_of("facebook")
            data = [{"id": like.actor_id, "name": world.actors[like.actor_id].name
                     or world.actors[like.actor_id].handle, "type": "LIKE"}
                    for like in page]  # fmt: skip
        else:
            data = [self._render(child_kind, item, spec.children, call) for item in page]
        body: dict[str, Any] = {"data": data}
        if page and spec.name != "reactions":
            body["paging"] = {"cursors": {"before": _encode_cursor(page[0]),
                                          "after": _encode_cursor(page[-1])}}  # fmt: skip
            if len(items) > limit:
                body["paging"]["next"] = self._next_url(node, spec, page[-1], call, args)
        summary = modifiers.get("summary")
        if summary in ("true", "1", "total_count"):
            if spec.name == "reactions":
                reacted = self._liked_by(node, call.viewer)
                body["summary"] = {"total_count": total,
                                   "viewer_reaction": "LIKE" if reacted else "NONE"}  # fmt: skip
            else:
                body["summary"] = {"order": order, "total_count": total, "can_comment": True}
        return body

    def _edge_items(self, kind: str, node: Any, edge: str, modifiers: dict[str, str]
                    ) -> tuple[list[Any], str, str]:  # fmt: skip
        if kind == "page":
            world = self._world_of("facebook") if self.facebook is not None else None
            if world is None:
                return [], "post", "reverse_chronological"
            prefix = f"{node.id}_"
            with world.lock:
                posts = [p for p in world.posts.values() if p.parent_id is None
                         and p.id.startswith(prefix) and world.visible(p)]  # fmt: skip
            if edge in ("posts", "published_posts"):
                posts = [p for p in posts if p.author_id == node.id]
            return _newest_first(posts), "post", "reverse_chronological"
        if kind == "ig_user":
            world = self._world_of("instagram")
            media = [p for p in world.by_author(node.id) if p.parent_id is None]
            return media, "media", "reverse_chronological"
        if kind == "post" and edge == "reactions":
            world = self._world_of("facebook")
            likes = sorted(world.likes_of(node), key=lambda like: like.at, reverse=True)
            return likes, "reaction", "reverse_chronological"
        if kind in ("post", "comment"):
            world = self._world_of("facebook")
            stream = modifiers.get("filter") == "stream" and kind == "post"
            found = list(world.descendants(node.id)) if stream else world.children(node.id)
            if kind == "comment":
                found = list(world.descendants(node.id))
            order = modifiers.get("order", "chronological")
            found = sorted(found, key=lambda p: (p.created_at, p.id),
                           reverse=order == "reverse_chronological")  # fmt: skip
            return found, "comment", order
        if kind == "media":
            world = self._world_of("instagram")
            return _newest_first(world.children(node.id)), "ig_comment", "reverse_chronological"
        if kind == "ig_comment":
            world = self._world_of("instagram")
            replies = sorted(world.descendants(node.id), key=lambda p: (p.created_at, p.id))
            return replies, "ig_comment", "chronological"
        raise GraphError(400, 100, "Unsupported get request.")

    def _next_url(self, node: Any, spec: FieldSpec, last: Any, call: _Call,
                  args: dict[str, str] | None) -> str:  # fmt: skip
        query: dict[str, str] = {}
        if args is not None:
            query.update({k: v for k, v in args.items() if k not in ("after", "before")})
        else:
            query["access_token"] = call.token
            if spec.children:
                query["fields"] = _unparse(spec.children)
            query.update({k: v for k, v in spec.modifiers.items()
                          if k in ("filter", "order", "summary", "since", "until")})  # fmt: skip
        query["limit"] = str(_limit(spec.modifiers.get("limit")))
        query["after"] = _encode_cursor(last)
        query.setdefault("access_token", call.token)
        return f"{self.url}/{call.version}/{node.id}/{spec.name}?{urlencode(query)}"


_UNKNOWN = object()
_NODE_REFERENCES = ("instagram_business_account", "owner", "media")
_NODE_TYPES = {"page": "Page", "ig_user": "IGUser", "post": "Post", "comment": "Comment",
               "media": "IGMedia", "ig_comment": "IGComment"}  # fmt: skip


def _edge_modifiers(args: dict[str, str]) -> dict[str, str]:
    keys = ("limit", "after", "filter", "order", "summary", "since", "until")
    return {key: args[key] for key in keys if key in args}


def _unparse(specs: list[FieldSpec]) -> str:
    parts = []
    for spec in specs:
        text = spec.name + "".join(f".{k}({v})" for k, v in spec.modifiers.items())
        if spec.children is not None:
            text += "{" + _unparse(spec.children) + "}"
        parts.append(text)
    return ",".join(parts)


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit():
        raise GraphError(400, 100, f"(#100) The parameter limit must be a number, got {raw!r}")
    return min(int(raw), MAX_LIMIT)


def _timestamp(raw: str, name: str) -> datetime:
    if raw.isdigit():
        return datetime.fromtimestamp(int(raw), UTC)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise GraphError(400, 100, f"(#100) Invalid {name} value: {raw}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _window(items: list[Any], modifiers: dict[str, str], kind: str) -> list[Any]:
    since, until = modifiers.get("since"), modifiers.get("until")
    if not (since or until) or kind not in ("post", "media"):
        return items
    low = _timestamp(since, "since") if since else None
    high = _timestamp(until, "until") if until else None
    return [p for p in items if (low is None or p.created_at >= low)
            and (high is None or p.created_at <= high)]  # fmt: skip


def _newest_first(posts: list[Post]) -> list[Post]:
    return sorted(posts, key=lambda p: (p.created_at, p.id), reverse=True)


def _key(item: Any) -> tuple[float, str]:
    if isinstance(item, Post):
        return item.created_at.timestamp(), item.id
    return item.at.timestamp(), item.actor_id  # a like


def _encode_cursor(item: Any) -> str:
    stamp, ident = _key(item)
    return base64.urlsafe_b64encode(f"{stamp!r}|{ident}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, ident = text.split("|", 1)
        return float(stamp), ident
    except (ValueError, UnicodeDecodeError):
        raise GraphError(400, 100, "(#100) The after cursor is not valid") from None


def _after(item: Any, key: tuple[float, str], order: str) -> bool:
    if order == "chronological":
        return _key(item) > key
    return _key(item) < key


def _graph_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _tail(graph_id: str) -> str:
    return graph_id.rsplit("_", 1)[-1]


def _shortcode(media_id: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    number, code = int(media_id), ""
    while number:
        number, digit = divmod(number, 64)
        code = alphabet[digit] + code
    return code[-11:]
