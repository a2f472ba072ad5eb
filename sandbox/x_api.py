"""A simulated X API v2: renders a ``World("x")`` the way api.twitter.com answers.

Shaped after real responses (tests/fixtures/x-api-v2, x-tweepy-cassettes): ``data`` with
only the requested ``tweet.fields``, ``includes`` for ``expansions``, ``errors`` next to
``data`` for objects that are partly missing, ``meta`` with ``result_count``,
``newest_id``, ``oldest_id`` and ``next_token``. Every response carries
``x-rate-limit-limit``, ``-remaining`` and ``-reset``; a route whose window is used up
answers 429 with the reset, as X does. Like X, a tweet's ``text`` is HTML-escaped: ``&``,
``<`` and ``>`` go out as ``&amp;``, ``&lt;`` and ``&gt;`` (nothing else is escaped).

Start one for a world and point tweepy at it (replywatch mounts a URL-rewriting adapter on
``tweepy.Client.session``)::

    server = XApiServer(world).start()
    server.url        # http://127.0.0.1:PORT, stands in for https://api.twitter.com
    server.tokens     # bearer tokens it accepts: one per managed account
    server.calls_to(r"/mentions$")

Time is the world's: search/recent reaches back 7 days from ``world.now`` and rate-limit
windows reset 15 minutes of world time after they start, so tests move ``world.now``
instead of sleeping. Beyond the base class's faults, :meth:`corrupt` drops fields from one
post and :meth:`suspend` makes an author disappear from ``includes``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sandbox.http import Request, Response, SandboxServer
from sandbox.oauth import ClientApp
from sandbox.world import Actor, Post, World
from sandbox.x_oauth import PATHS as OAUTH_PATHS
from sandbox.x_oauth import XLogin

if TYPE_CHECKING:
    from sandbox.generator.demo import DemoActivity

# Per 15-minute window and token, as X publishes them for app (bearer) authentication.
DEFAULT_LIMITS = {
    "users_tweets": 10_000,
    "users_mentions": 450,
    "search_recent": 450,
    "liking_users": 75,
    "liked_tweets": 75,
    "tweets_lookup": 3_500,
    "users_lookup": 300,
}
WINDOW = timedelta(minutes=15)
SEARCH_REACH = timedelta(days=7)
TIMELINE_REACH = 3_200  # the newest posts a user timeline can page back to
MENTIONS_REACH = 800
LIKERS_REACH = 100  # liking_users lists at most this many users per post, ever

TWEET_FIELDS = (
    "id",
    "text",
    "edit_history_tweet_ids",
    "created_at",
    "author_id",
    "conversation_id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "public_metrics",
    "entities",
    "lang",
    "display_text_range",
)
USER_FIELDS = ("id", "name", "username", "created_at", "description", "public_metrics")
DEFAULT_TWEET_FIELDS = ("id", "text", "edit_history_tweet_ids")
DEFAULT_USER_FIELDS = ("id", "name", "username")
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
INVALID = "https://api.twitter.com/2/problems/invalid-request"

_SNOWFLAKE_EPOCH_MS = 1288834974657
_CONVERSATION = re.compile(r"^conversation_id:(\d+)$")


def _x_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def x_escaped(text: str) -> str:
    """A text the way X v2 sends it: only &, < and > are escaped (& first)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def snowflake_time(tweet_id: str) -> datetime:
    """When an X id was made: the id's top bits are milliseconds since X's epoch."""
    millis = (int(tweet_id) >> 22) + _SNOWFLAKE_EPOCH_MS
    return datetime.fromtimestamp(millis / 1000, UTC)


class InvalidRequest(Exception):
    """A parameter X would reject with 400."""

    def __init__(self, parameter: str, value: str, message: str) -> None:
        super().__init__(message)
        self.parameter, self.value, self.message = parameter, value, message


@dataclass
class _Window:
    started: datetime
    used: int = 0


class XApiServer(SandboxServer):
    """The X API v2 routes a collector needs, over one world."""

    platform = "x"

    @classmethod
    def for_activity(cls, activity: DemoActivity, host: str = "127.0.0.1") -> XApiServer:
        return cls(activity.worlds["x"], host=host)

    def __init__(
        self,
        world: World,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: dict[str, int] | None = None,
        extra_tokens: tuple[str, ...] = (),
        app: ClientApp | None = None,
    ) -> None:
        """``app``: the application registered in X's developer portal, for the OAuth 2.0
        flow (sandbox.x_oauth); the managed accounts' own tokens work without one."""
        if world.platform != "x":
            raise ValueError(f"XApiServer renders an X world, not {world.platform!r}")
        super().__init__(host, port, clock=world.clock)
        self.world = world
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.extra_tokens = set(extra_tokens)
        self.corrupted: dict[str, set[str]] = {}
        self.suspended: set[str] = set()
        self._windows: dict[tuple[str, str], _Window] = {}
        self._window_lock = threading.Lock()
        self._reposts: dict[str, list[Post]] = {}
        self._reposts_indexed = -1
        self.login = XLogin(world, app)

    # --- what tests and the demo use --------------------------------------------------

    @property
    def tokens(self) -> dict[str, str]:
        """Bearer token -> the managed actor it belongs to."""
        found = {managed.token: actor_id for actor_id, managed in self.world.managed.items()}
        found.update({token: "" for token in self.extra_tokens})
        return found

    def token_owner(self, bearer: str | None) -> str | None:
        """The actor a bearer token speaks for ("" for an app-only token), or None."""
        if bearer is None:
            return None
        owner = self.tokens.get(bearer)
        return owner if owner is not None else self.login.token_owner(bearer)

    def corrupt(self, post_id: str, *fields: str) -> None:
        """Render this post without these fields (a malformed object inside a good page)."""
        self.corrupted.setdefault(post_id, set()).update(fields)

    def suspend(self, actor_id: str) -> None:
        """The author vanishes from ``includes.users``; an ``errors`` entry says so."""
        self.suspended.add(actor_id)

    # --- routing ------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        if request.path in OAUTH_PATHS:
            return self.login.route(request)
        owner = self.token_owner(request.bearer)
        if owner is None:
            return Response(401, self.error_body(401))
        if request.path == "/2/users/me":
            if not owner:  # an app-only bearer token has no user
                return Response(403, _unsupported_authentication())
            fields = _fields(request, "user.fields", USER_FIELDS)
            return Response(200, {"data": self._user_object(self.world.actors[owner], fields)})
        key, handler, args = self._resolve(request.path)
        if handler is None:
            return Response(404, {"title": "Not Found", "status": 404, "type": "about:blank",
                                  "detail": f"no route for {request.path}"})  # fmt: skip
        limited = self._consume(request.bearer or "", key)
        if limited is not None:
            return limited
        if key == "liked_tweets" and owner != args[0]:
            # Likes are private on X: only the account itself, with a user-context token.
            return Response(403, _unsupported_authentication())
        try:
            return Response(200, handler(request, *args))
        except InvalidRequest as exc:
            return Response(400, _invalid(exc))

    def _resolve(self, path: str) -> tuple[str, Any, tuple[str, ...]]:
        routes = (
            (r"^/2/users/by/username/([A-Za-z0-9_]{1,15})$", "users_lookup", self._user_by_name),
            (r"^/2/users/(\d+)/tweets$", "users_tweets", self._users_tweets),
            (r"^/2/users/(\d+)/mentions$", "users_mentions", self._users_mentions),
            (r"^/2/users/(\d+)/liked_tweets$", "liked_tweets", self._liked_tweets),
            (r"^/2/users/(\d+)$", "users_lookup", self._user),
            (r"^/2/tweets/search/recent$", "search_recent", self._search_recent),
            (r"^/2/tweets/(\d+)/liking_users$", "liking_users", self._liking_users),
            (r"^/2/tweets/(\d+)$", "tweets_lookup", self._tweet),
            (r"^/2/tweets$", "tweets_lookup", self._tweets),
        )
        for pattern, key, handler in routes:
            match = re.match(pattern, path)
            if match:
                return key, handler, match.groups()
        return "", None, ()

    # --- rate limits --------------------------------------------------------------------

    def _route_key(self, path: str) -> str:
        return self._resolve(path)[0]

    def _window(self, token: str, key: str) -> _Window:
        now = self.world.now
        window = self._windows.get((token, key))
        if window is None or now >= window.started + WINDOW:
            window = self._windows[(token, key)] = _Window(started=now)
        return window

    def _consume(self, token: str, key: str) -> Response | None:
        with self._window_lock:
            window = self._window(token, key)
            if window.used >= self.limits[key]:
                return Response(429, self.error_body(429))
            window.used += 1
        return None

    def rate_limit_headers(self, request: Request, reset_at: float | None) -> dict[str, str]:
        key = self._route_key(request.path)
        if not key:
            return {}
        with self._window_lock:
            window = self._window(request.bearer or "", key)
            limit = self.limits[key]
            remaining = max(limit - window.used, 0)
            reset = (window.started + WINDOW).timestamp()
        if reset_at is not None:  # a planned 429: the budget is gone until reset_at
            reset = reset_at
            remaining = 0
        return {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(remaining),
            "x-rate-limit-reset": str(round(reset)),
        }

    def error_body(self, status: int) -> Any:
        titles = {
            401: ("Unauthorized", "Unauthorized"),
            403: ("Forbidden", "Forbidden"),
            429: ("Too Many Requests", "Too Many Requests"),
            500: ("Internal Server Error", "Internal Server Error"),
            503: ("Service Unavailable", "Service Unavailable"),
        }
        title, detail = titles.get(status, ("Error", f"simulated status {status}"))
        return {"title": title, "detail": detail, "type": "about:blank", "status": status}

    # --- handlers -------------------------------------------------------------------

    def _user_by_name(self, request: Request, username: str) -> dict[str, Any]:
        actor = next(
            (a for a in self.world.actors.values() if a.handle.lower() == username.lower()), None
        )
        if actor is None or actor.id in self.suspended:
            return {"errors": [_missing("user", "username", username)]}
        return {"data": self._user_object(actor, _fields(request, "user.fields", USER_FIELDS))}

    def _user(self, request: Request, user_id: str) -> dict[str, Any]:
        actor = self.world.actors.get(user_id)
        if actor is None or actor.id in self.suspended:
            return {"errors": [_missing("user", "id", user_id)]}
        return {"data": self._user_object(actor, _fields(request, "user.fields", USER_FIELDS))}

    def _users_tweets(self, request: Request, user_id: str) -> dict[str, Any]:
        if user_id not in self.world.actors:
            return {"errors": [_missing("user", "id", user_id)]}
        posts = self.world.by_author(user_id)[:TIMELINE_REACH]
        excluded = set((request.arg("exclude") or "").split(",")) - {""}
        if excluded - {"replies", "retweets"}:
            raise InvalidRequest("exclude", ",".join(sorted(excluded)), "invalid exclude")
        if "replies" in excluded:
            posts = [p for p in posts if p.parent_id is None]
        if "retweets" in excluded:
            posts = [p for p in posts if p.reposted_id is None]
        return self._timeline(request, posts, "pagination_token", (5, 100))

    def _users_mentions(self, request: Request, user_id: str) -> dict[str, Any]:
        if user_id not in self.world.actors:
            return {"errors": [_missing("user", "id", user_id)]}
        posts = self.world.mentioning(user_id)[:MENTIONS_REACH]
        return self._timeline(request, posts, "pagination_token", (5, 100))

    def _liked_tweets(self, request: Request, user_id: str) -> dict[str, Any]:
        """Posts the user liked, most recently liked first, paged like liking_users."""
        if user_id not in self.world.actors:
            return {"errors": [_missing("user", "id", user_id)]}
        with self.world.lock:
            liked = [
                (like.at, post)
                for post in self.world.posts.values()
                if post.reposted_id is None and self.world.visible(post)
                for like in self.world.likes_of(post)
                if like.actor_id == user_id
            ]
        liked.sort(key=lambda pair: (pair[0], pair[1].id), reverse=True)
        size = _max_results(request, (10, 100), default=100)
        token = request.arg("pagination_token")
        start = _decode_offset(token) if token else 0
        page = [post for _, post in liked[start : start + size]]
        meta: dict[str, Any] = {"result_count": len(page)}
        if start + size < len(liked):
            meta["next_token"] = _encode_offset(start + size)
        if start > 0:
            meta["previous_token"] = _encode_offset(max(start - size, 0))
        body = self._render(request, page) if page else {}
        body["meta"] = meta
        return body

    def _search_recent(self, request: Request) -> dict[str, Any]:
        query = (request.arg("query") or "").strip()
        excluded = {match for match in re.findall(r"(?:^|\s)-from:(\w+)", query)}
        rest = re.sub(r"(?:^|\s)-from:\w+", " ", query).strip()
        if rest.startswith("(") and rest.endswith(")"):
            rest = rest[1:-1]
        roots = []
        for term in re.split(r"\s+OR\s+", rest):
            match = _CONVERSATION.match(term.strip())
            if not match:
                raise InvalidRequest(
                    "query",
                    query,
                    "this simulated search understands (conversation_id:N OR ...) -from:USER",
                )
            roots.append(match[1])
        oldest = self.world.now - SEARCH_REACH
        for name in ("since_id", "until_id"):
            value = request.arg(name)
            if value and (not value.isdigit() or snowflake_time(value) < oldest):
                raise InvalidRequest(
                    name,
                    value or "",
                    f"Invalid '{name}':'{value}'. '{name}' must be a tweet id created after "
                    f"{_x_time(oldest)}",
                )
        found: dict[str, Post] = {}
        with self.world.lock:
            for root in roots:
                conversation = self.world.in_conversation(root)
                top = self.world.get(root)
                if top is not None:
                    conversation.append(top)
                for post in conversation:
                    author = self.world.actors[post.author_id]
                    if post.created_at >= oldest and not excluded & {author.id, author.handle}:
                        found[post.id] = post
        posts = sorted(found.values(), key=lambda p: int(p.id), reverse=True)
        return self._timeline(request, posts, "next_token", (10, 100))

    def _liking_users(self, request: Request, tweet_id: str) -> dict[str, Any]:
        post = self.world.get(tweet_id)
        if post is None:
            return {"errors": [_missing("tweet", "id", tweet_id)]}
        likes = sorted(self.world.likes_of(post), key=lambda like: like.at, reverse=True)
        likers = [self.world.actors[like.actor_id] for like in likes][:LIKERS_REACH]
        likers = [actor for actor in likers if actor.id not in self.suspended]
        size = _max_results(request, (1, 100), default=100)
        start = 0
        token = request.arg("pagination_token")
        if token:
            start = _decode_offset(token)
        page = likers[start : start + size]
        fields = _fields(request, "user.fields", USER_FIELDS)
        body: dict[str, Any] = {"meta": {"result_count": len(page)}}
        if page:
            body = {"data": [self._user_object(actor, fields) for actor in page], **body}
        if start + size < len(likers):
            body["meta"]["next_token"] = _encode_offset(start + size)
        return body

    def _tweet(self, request: Request, tweet_id: str) -> dict[str, Any]:
        post = self.world.get(tweet_id)
        if post is None:
            return {"errors": [_missing("tweet", "id", tweet_id)]}
        body = self._render(request, [post])
        body["data"] = body["data"][0]
        return body

    def _tweets(self, request: Request) -> dict[str, Any]:
        ids = [i for i in (request.arg("ids") or "").split(",") if i]
        if not 1 <= len(ids) <= 100 or not all(i.isdigit() for i in ids):
            raise InvalidRequest("ids", request.arg("ids") or "", "1 to 100 numeric ids")
        posts, errors = [], []
        for tweet_id in ids:
            post = self.world.get(tweet_id)
            if post is None:
                errors.append(_missing("tweet", "ids", tweet_id))
            else:
                posts.append(post)
        body = self._render(request, posts) if posts else {}
        if errors:
            body["errors"] = body.get("errors", []) + errors
        return body

    # --- timelines and rendering ------------------------------------------------------

    def _timeline(
        self, request: Request, posts: list[Post], token_name: str, bounds: tuple[int, int]
    ) -> dict[str, Any]:
        """Filter a newest-first list by the request's ids/times and cut out one page."""
        size = _max_results(request, bounds, default=10)
        since_id, until_id = request.arg("since_id"), request.arg("until_id")
        start_time, end_time = request.arg("start_time"), request.arg("end_time")
        for name, value in (("since_id", since_id), ("until_id", until_id)):
            if value is not None and not value.isdigit():
                raise InvalidRequest(name, value, f"'{name}' must be a tweet id")
        selected = [
            p
            for p in posts
            if (since_id is None or int(p.id) > int(since_id))
            and (until_id is None or int(p.id) < int(until_id))
            and (start_time is None or p.created_at >= _parse_time(start_time))
            and (end_time is None or p.created_at < _parse_time(end_time))
        ]
        token = request.arg(token_name)
        if token:
            below = _decode_id(token)
            selected = [p for p in selected if int(p.id) < below]
        page = selected[:size]
        if not page:
            return {"meta": {"result_count": 0}}
        body = self._render(request, page)
        meta: dict[str, Any] = {
            "newest_id": page[0].id,
            "oldest_id": page[-1].id,
            "result_count": len(page),
        }
        if len(selected) > size:
            meta["next_token"] = _encode_id(int(page[-1].id))
        body["meta"] = meta
        return body

    def _render(self, request: Request, posts: list[Post]) -> dict[str, Any]:
        fields = _fields(request, "tweet.fields", TWEET_FIELDS, DEFAULT_TWEET_FIELDS)
        user_fields = _fields(request, "user.fields", USER_FIELDS)
        expansions = set(_split(request.arg("expansions")))
        unknown = expansions - {"author_id", "referenced_tweets.id", "in_reply_to_user_id"}
        if unknown:
            raise InvalidRequest("expansions", ",".join(sorted(unknown)), "unknown expansion")
        body: dict[str, Any] = {"data": [self._tweet_object(p, fields) for p in posts]}
        includes: dict[str, list[Any]] = {}
        errors: list[dict[str, Any]] = []
        if "referenced_tweets.id" in expansions:
            seen: set[str] = set()
            for post in posts:
                for _kind, ref_id in self._references(post):
                    if ref_id in seen:
                        continue
                    seen.add(ref_id)
                    referenced = self.world.get(ref_id)
                    if referenced is None:
                        errors.append(_missing("tweet", "referenced_tweets.id", ref_id))
                    else:
                        includes.setdefault("tweets", []).append(
                            self._tweet_object(referenced, fields)
                        )
        wanted_users: list[tuple[str, str]] = []
        if "author_id" in expansions:
            wanted_users += [(p.author_id, "author_id") for p in posts]
            wanted_users += [(t["author_id"], "author_id") for t in includes.get("tweets", [])
                             if "author_id" in t]  # fmt: skip
        if "in_reply_to_user_id" in expansions:
            wanted_users += [
                (self.world.posts[p.parent_id].author_id, "in_reply_to_user_id")
                for p in posts
                if p.parent_id
            ]
        listed: set[str] = set()
        for user_id, parameter in wanted_users:
            if user_id in listed:
                continue
            listed.add(user_id)
            if user_id in self.suspended:
                errors.append(_suspended(user_id, parameter))
            else:
                actor = self.world.actors[user_id]
                includes.setdefault("users", []).append(self._user_object(actor, user_fields))
        if includes:
            body["includes"] = includes
        if errors:
            body["errors"] = errors
        return body

    def _references(self, post: Post) -> list[tuple[str, str]]:
        references = []
        if post.reposted_id:
            references.append(("retweeted", post.reposted_id))
        if post.parent_id:
            references.append(("replied_to", post.parent_id))
        return references

    def _tweet_object(self, post: Post, fields: tuple[str, ...]) -> dict[str, Any]:
        world = self.world
        text = post.text
        if post.reposted_id:
            original = world.posts.get(post.reposted_id)
            if original is not None:
                author = world.actors[original.author_id].handle
                text = f"RT @{author}: {original.text}"
        values: dict[str, Any] = {
            "id": post.id,
            "text": x_escaped(text),
            "edit_history_tweet_ids": [post.id],
            "created_at": _x_time(post.created_at),
            "author_id": post.author_id,
            "conversation_id": post.id if post.reposted_id else (post.root_id or post.id),
            "lang": "de" if any(c in text for c in "äöüß") else "en",
            # the part the author wrote: after a reply's automatic @handles
            "display_text_range": [0 if post.reposted_id else post.prefix, len(text)],
        }
        if post.parent_id:
            values["in_reply_to_user_id"] = world.posts[post.parent_id].author_id
        references = self._references(post)
        if references:
            values["referenced_tweets"] = [{"type": t, "id": i} for t, i in references]
        values["public_metrics"] = {
            "retweet_count": post.reposts + self._repost_count(post),
            "reply_count": len(world.children(post.id)),
            "like_count": world.like_count(post),
            "quote_count": post.quotes,
            "bookmark_count": 0,
            "impression_count": 0,
        }
        mentions = self._mention_entities(post, text)
        if mentions:
            values["entities"] = {"mentions": mentions}
        dropped = self.corrupted.get(post.id, set())
        return {f: values[f] for f in fields if f in values and f not in dropped}

    def _repost_count(self, post: Post) -> int:
        # Reposts made as posts in the world, counted when visible now. The index is rebuilt
        # when the world grew, so big worlds do not cost a full scan per rendered post.
        with self.world.lock:
            if self._reposts_indexed != len(self.world.posts):
                index: dict[str, list[Post]] = {}
                for other in self.world.posts.values():
                    if other.reposted_id:
                        index.setdefault(other.reposted_id, []).append(other)
                self._reposts, self._reposts_indexed = index, len(self.world.posts)
            return sum(1 for other in self._reposts.get(post.id, ()) if self.world.visible(other))

    def _mention_entities(self, post: Post, text: str) -> list[dict[str, Any]]:
        """Every place a mentioned user's @handle stands, in text order (X lists each)."""
        entities = []
        for actor_id in post.mentions:
            actor = self.world.actors.get(actor_id)
            if actor is None:
                continue
            pattern = re.compile(rf"(?<![\w@])@{re.escape(actor.handle)}(?!\w)", re.IGNORECASE)
            for found in pattern.finditer(text):
                entities.append(
                    {
                        "start": found.start(),
                        "end": found.end(),
                        "username": actor.handle,
                        "id": actor.id,
                    }
                )
        return sorted(entities, key=lambda entity: entity["start"])

    def _user_object(self, actor: Actor, fields: tuple[str, ...]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": actor.id,
            "name": actor.name or actor.handle,
            "username": actor.handle,
            "created_at": "2012-03-01T09:00:00.000Z",
            "description": "",
            "public_metrics": {
                "followers_count": actor.followers,
                "following_count": 0,
                "tweet_count": len(self.world.by_author(actor.id)),
                "listed_count": 0,
            },
        }
        return {f: values[f] for f in fields}


# --- wire helpers --------------------------------------------------------------------


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _fields(
    request: Request,
    parameter: str,
    known: tuple[str, ...],
    default: tuple[str, ...] | None = None,
) -> tuple[str, ...]:
    base = default if default is not None else DEFAULT_USER_FIELDS
    asked = _split(request.arg(parameter))
    unknown = [f for f in asked if f not in known]
    if unknown:
        raise InvalidRequest(parameter, ",".join(unknown), f"unknown {parameter}")
    chosen = set(base) | set(asked)
    return tuple(f for f in known if f in chosen)


def _max_results(request: Request, bounds: tuple[int, int], default: int) -> int:
    raw = request.arg("max_results")
    if raw is None:
        return default
    low, high = bounds
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidRequest(
            "max_results",
            raw,
            f"The `max_results` query parameter value [{raw}] is not between {low} and {high}",
        )
    return int(raw)


def _encode_id(value: int) -> str:
    # Opaque to clients, like X's tokens; it names the last id of the page.
    return "7140" + format(value, "x")


def _decode_id(token: str) -> int:
    if not token.startswith("7140"):
        raise InvalidRequest("pagination_token", token, "invalid pagination token")
    try:
        return int(token[4:], 16)
    except ValueError:
        raise InvalidRequest("pagination_token", token, "invalid pagination token") from None


def _encode_offset(offset: int) -> str:
    return "7zz" + format(offset, "x")


def _decode_offset(token: str) -> int:
    if not token.startswith("7zz"):
        raise InvalidRequest("pagination_token", token, "invalid pagination token")
    try:
        return int(token[3:], 16)
    except ValueError:
        raise InvalidRequest("pagination_token", token, "invalid pagination token") from None


def _missing(resource: str, parameter: str, value: str) -> dict[str, Any]:
    return {
        "value": value,
        "detail": f"Could not find {resource} with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": resource,
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND,
    }


def _suspended(user_id: str, parameter: str) -> dict[str, Any]:
    return {
        "value": user_id,
        "detail": f"User has been suspended: [{user_id}].",
        "title": "Forbidden",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": user_id,
        "type": "https://api.twitter.com/2/problems/resource-not-found",
    }


def _unsupported_authentication() -> dict[str, Any]:
    return {
        "title": "Unsupported Authentication",
        "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this "
        "endpoint.  Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 "
        "User Context].",
        "type": "https://api.twitter.com/2/problems/unsupported-authentication",
        "status": 403,
    }


def _invalid(exc: InvalidRequest) -> dict[str, Any]:
    return {
        "errors": [{"parameters": {exc.parameter: [exc.value]}, "message": exc.message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": INVALID,
    }
