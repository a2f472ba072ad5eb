"""A simulated YouTube Data API v3, as youtube.googleapis.com answers it.

Renders a ``World("youtube")`` in the API's wire format, shaped after real responses
(tests/fixtures/youtube): resources with ``kind`` and ``etag``, list responses with
``pageInfo`` and an opaque ``nextPageToken``, statistics as strings, comment threads with
``snippet.topLevelComment`` and a few ``replies``, and errors as Google's JSON
(``error.code``, ``error.message``, ``error.errors[].reason``). Routes are the discovery
document's paths (``/youtube/v3/channels`` ...), so google-api-python-client reaches them
with ``client_options={"api_endpoint": server.url}``::

    server = YouTubeServer(world).start()
    server.url            # stands in for https://youtube.googleapis.com
    server.quota_used(k)  # quota units the key or token ``k`` spent today (Pacific time)

Who calls: an API key (``key=``) reads public data; an OAuth access token (``Authorization:
Bearer``) reads as the channel it belongs to, which also shows ``viewerRating`` "like" on
the comments the channel liked and, with ``moderationStatus=heldForReview``, the comments
held for review on its own videos. Every managed account's token is accepted either way.

How the World maps: a top-level post is a video, a comment on it is a thread's top-level
comment, any reply below is shown under that top-level comment (``parentId``), as on
YouTube. A comment hidden in the World (``hidden_at``) is *held for review*: missing from
the published lists and counts. :attr:`YouTubeServer.comments_disabled` holds videos that
answer ``commentsDisabled``. Every call costs one quota unit (all are ``list`` calls), also
a refused one; the daily quota resets at midnight Pacific time, after which calls answer
403 ``quotaExceeded``. Time is the world's.
"""

from __future__ import annotations

import base64
import hashlib
import html
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sandbox.google_oauth import PATHS as OAUTH_PATHS
from sandbox.google_oauth import GoogleLogin
from sandbox.http import Request, Response, SandboxServer
from sandbox.oauth import ClientApp
from sandbox.world import Actor, Post, World

if TYPE_CHECKING:
    from sandbox.generator.demo import DemoActivity

DEFAULT_DAILY_QUOTA = 10_000  # units a Google Cloud project gets a day by default
# The demo collects months of history in one go; its server grants more.
DEMO_DAILY_QUOTA = 1_000_000
PACIFIC = ZoneInfo("America/Los_Angeles")  # YouTube's quota day
API = "/youtube/v3/"
REPLIES_IN_THREAD = 5  # replies a comment thread shows; comments.list gives the rest


class YouTubeError(Exception):
    """An error the API answers with Google's JSON error object."""

    def __init__(self, code: int, reason: str, message: str, *, domain: str = "global",
                 status: str | None = None, location: str | None = None) -> None:  # fmt: skip
        super().__init__(message)
        self.code, self.reason, self.message, self.domain = code, reason, message, domain
        self.status, self.location = status, location

    def body(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"message": self.message, "domain": self.domain,
                                  "reason": self.reason}  # fmt: skip
        if self.location:
            detail.update(location=self.location, locationType="parameter")
        error: dict[str, Any] = {"code": self.code, "message": self.message, "errors": [detail]}
        if self.status:
            error["status"] = self.status
        return {"error": error}


def quota_exceeded() -> YouTubeError:
    text = ('The request cannot be completed because you have exceeded your <a href="/youtube/'
            'v3/getting-started#quota">quota</a>.')  # fmt: skip
    return YouTubeError(403, "quotaExceeded", text, domain="youtube.quota")


def _parameter(name: str, text: str, reason: str = "invalidParameter") -> YouTubeError:
    return YouTubeError(400, reason, text, location=name, status="INVALID_ARGUMENT")


def youtube_time(moment: datetime) -> str:
    """2026-11-16T09:05:00Z: the form the API uses today (older recordings have .000Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def etag(*values: object) -> str:
    digest = hashlib.sha1(repr(values).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def uploads_playlist(channel_id: str) -> str:
    """A channel's uploads playlist: ``UU`` and the channel id after its ``UC``."""
    return "UU" + channel_id[2:]


class YouTubeServer(SandboxServer):
    """Channels, uploads playlists, videos, comment threads and comments of one World."""

    platform = "youtube"

    @classmethod
    def for_activity(cls, activity: DemoActivity, host: str = "127.0.0.1") -> YouTubeServer:
        return cls(activity.worlds["youtube"], host=host, daily_quota=DEMO_DAILY_QUOTA)

    def __init__(
        self,
        world: World,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        daily_quota: int = DEFAULT_DAILY_QUOTA,
        api_keys: set[str] | frozenset[str] = frozenset(),
        app: ClientApp | None = None,
    ) -> None:
        """``api_keys``: keys accepted besides the managed accounts' tokens (API keys belong
        to a Google Cloud project, not to a channel). ``app``: the OAuth client for Google's
        consent flow (sandbox.google_oauth), served by this same server."""
        if world.platform != "youtube":
            raise ValueError(f"a youtube server cannot render a {world.platform!r} world")
        super().__init__(host, port, clock=world.clock)
        self.world = world
        self.daily_quota = daily_quota
        self.api_keys = set(api_keys)
        self.comments_disabled: set[str] = set()
        self.corrupted: dict[str, set[str]] = {}
        self._units: dict[tuple[str, date], int] = {}
        self._quota_lock = threading.Lock()
        self.login = GoogleLogin(world, app)

    # --- what tests use -----------------------------------------------------------------

    def quota_used(self, credential: str) -> int:
        """Units ``credential`` (an API key or access token) spent on today's quota."""
        with self._quota_lock:
            return self._units.get((credential, self._quota_day()), 0)

    def corrupt(self, object_id: str, *fields: str) -> None:
        """Render this video's or comment's snippet without these fields."""
        self.corrupted.setdefault(object_id, set()).update(fields)

    # --- plumbing -----------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        if request.path in OAUTH_PATHS:
            return self.login.route(request)
        try:
            if request.method != "GET":
                raise YouTubeError(405, "methodNotAllowed", "this simulated API only reads")
            viewer, credential = self._caller(request)
            self._charge(credential)
            resource = request.path[len(API) :] if request.path.startswith(API) else ""
            handler = self._resources().get(resource)
            if handler is None:
                raise YouTubeError(404, "notFound", f"Method not found: {request.path}",
                                   status="NOT_FOUND")  # fmt: skip
            args = {key: values[-1] for key, values in request.query.items()}
            return Response(200, handler(args, viewer))
        except YouTubeError as exc:
            return Response(exc.code, exc.body())

    def _resources(self) -> dict[str, Callable[[dict[str, str], str | None], dict[str, Any]]]:
        return {
            "channels": self._channels,
            "playlistItems": self._playlist_items,
            "videos": self._videos,
            "commentThreads": self._comment_threads,
            "comments": self._comments,
        }

    def _caller(self, request: Request) -> tuple[str | None, str]:
        """(the channel an OAuth token belongs to, or None for an API key; the credential)."""
        bearer, key = request.bearer, request.arg("key")
        with self.world.lock:
            tokens = {managed.token: actor for actor, managed in self.world.managed.items()}
        owner = self.login.token_owner(bearer)
        if owner is not None:
            return owner, bearer or ""
        if bearer is not None:
            if bearer not in tokens:
                raise YouTubeError(
                    401, "authError", "Request had invalid authentication credentials. "
                    "Expected OAuth 2 access token, login cookie or other valid authentication "
                    "credential.", status="UNAUTHENTICATED",
                )  # fmt: skip
            return tokens[bearer], bearer
        if key is None:
            raise YouTubeError(403, "forbidden", "The request is missing a valid API key.",
                               status="PERMISSION_DENIED")  # fmt: skip
        if key not in tokens and key not in self.api_keys:
            raise YouTubeError(400, "badRequest", "API key not valid. Please pass a valid API "
                               "key.", status="INVALID_ARGUMENT")  # fmt: skip
        return None, key

    def _quota_day(self) -> date:
        return self.now.astimezone(PACIFIC).date()

    def _charge(self, credential: str) -> None:
        with self._quota_lock:
            spent = self._units.get((credential, self._quota_day()), 0)
            if spent >= self.daily_quota:
                raise quota_exceeded()
            self._units[(credential, self._quota_day())] = spent + 1

    def error_body(self, status: int) -> Any:
        if status == 401:
            return YouTubeError(401, "authError", "Invalid Credentials",
                                status="UNAUTHENTICATED").body()  # fmt: skip
        if status == 403:
            return quota_exceeded().body()
        if status == 429:
            return YouTubeError(429, "rateLimitExceeded", "The request cannot be completed "
                                "because you have exceeded your quota.",
                                status="RESOURCE_EXHAUSTED").body()  # fmt: skip
        if status >= 500:
            return YouTubeError(status, "backendError", "The service is currently unavailable.",
                                status="UNAVAILABLE").body()  # fmt: skip
        return YouTubeError(status, "badRequest", "Bad Request").body()

    def malformed_body(self, request: Request) -> Any:
        return b'{"kind": "youtube#commentThreadListResponse", "items": [{"id": '

    # --- channels -------------------------------------------------------------------------

    def _channels(self, args: dict[str, str], viewer: str | None) -> dict[str, Any]:
        parts = _parts(args, ("id", "snippet", "contentDetails", "statistics"))
        world = self.world
        if args.get("forHandle"):
            wanted = args["forHandle"].removeprefix("@").lower()
            with world.lock:
                found = [a for a in world.actors.values() if a.handle.lower() == wanted]
        elif args.get("id"):
            found = [world.actors[i] for i in args["id"].split(",") if i in world.actors]
        elif args.get("mine") == "true":
            if viewer is None:
                raise YouTubeError(401, "authError", "Login Required.", status="UNAUTHENTICATED")
            found = [world.actors[viewer]]
        else:
            raise _parameter(
                "part",
                "No filter selected. Expected one of: forHandle, id, mine, "
                "forUsername, managedByMe, categoryId",
                "missingRequiredParameter",
            )
        items = [self._channel(actor, parts) for actor in found]
        body: dict[str, Any] = {
            "kind": "youtube#channelListResponse",
            "etag": etag("channels", [item["etag"] for item in items]),
            "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
        }
        if items:  # the API leaves "items" out when nothing matched
            body["items"] = items
        return body

    def _channel(self, actor: Actor, parts: set[str]) -> dict[str, Any]:
        videos = self._videos_of(actor.id)
        channel: dict[str, Any] = {"kind": "youtube#channel",
                                   "etag": etag(actor.id, actor.followers, len(videos)),
                                   "id": actor.id}  # fmt: skip
        if "snippet" in parts:
            title = actor.name or actor.handle
            channel["snippet"] = {
                "title": title,
                "description": "",
                "customUrl": f"@{actor.handle.lower()}",
                "publishedAt": youtube_time(videos[-1].created_at if videos else self.now),
                "thumbnails": _thumbnails(f"https://yt3.ggpht.com/ytc/{etag(actor.id)}", 88),
                "localized": {"title": title, "description": ""},
            }
        if "contentDetails" in parts:
            channel["contentDetails"] = {
                "relatedPlaylists": {"likes": "", "uploads": uploads_playlist(actor.id)}
            }
        if "statistics" in parts:
            channel["statistics"] = {
                "viewCount": str(sum(self._views(video) for video in videos)),
                "subscriberCount": str(actor.followers),
                "hiddenSubscriberCount": False,
                "videoCount": str(len(videos)),
            }
        return channel

    # --- playlists and videos ---------------------------------------------------------------

    def _videos_of(self, channel_id: str) -> list[Post]:
        """The channel's visible videos, newest first (an uploads playlist's order)."""
        return [p for p in self.world.by_author(channel_id) if p.parent_id is None]

    def _playlist_items(self, args: dict[str, str], viewer: str | None) -> dict[str, Any]:
        parts = _parts(args, ("id", "snippet", "contentDetails", "status"))
        playlist = args.get("playlistId", "")
        channel_id = "UC" + playlist[2:]
        if not playlist.startswith("UU") or channel_id not in self.world.actors:
            raise YouTubeError(
                404, "playlistNotFound", "The playlist identified with the request's "
                "<code>playlistId</code> parameter cannot be found.",
                domain="youtube.playlistItem", location="playlistId",
            )  # fmt: skip
        videos = self._videos_of(channel_id)
        page, token = _page(videos, args, default=5, maximum=50)
        positions = {video.id: number for number, video in enumerate(videos)}
        items = [self._playlist_item(playlist, v, positions[v.id], parts) for v in page]
        return _list("youtube#playlistItemListResponse", items, len(videos), token)

    def _playlist_item(self, playlist: str, video: Post, position: int, parts: set[str]
                       ) -> dict[str, Any]:  # fmt: skip
        channel = self.world.actors[video.author_id]
        item_id = base64.b64encode(f"{playlist}.{etag(video.id)[:16]}".encode()).decode()
        item: dict[str, Any] = {"kind": "youtube#playlistItem",
                                "etag": etag(playlist, video.id), "id": item_id}  # fmt: skip
        published = youtube_time(video.created_at)
        if "snippet" in parts:
            item["snippet"] = {
                "publishedAt": published,
                "channelId": channel.id,
                "title": _title(video),
                "description": video.text,
                "thumbnails": _thumbnails(f"https://i.ytimg.com/vi/{video.id}", 120),
                "channelTitle": channel.name or channel.handle,
                "playlistId": playlist,
                "position": position,
                "resourceId": {"kind": "youtube#video", "videoId": video.id},
                "videoOwnerChannelTitle": channel.name or channel.handle,
                "videoOwnerChannelId": channel.id,
            }
        if "contentDetails" in parts:
            item["contentDetails"] = {"videoId": video.id, "videoPublishedAt": published}
        if "status" in parts:
            item["status"] = {"privacyStatus": "public"}
        return item

    def _videos(self, args: dict[str, str], viewer: str | None) -> dict[str, Any]:
        parts = _parts(args, ("id", "snippet", "statistics", "status"))
        ids = [i for i in args.get("id", "").split(",") if i]
        if not ids:
            raise _parameter("id", "No filter selected. Expected one of: id, chart, myRating",
                             "missingRequiredParameter")  # fmt: skip
        if len(ids) > 50:
            raise _parameter("id", "The request specifies more than 50 ids.")
        found = [p for i in ids if (p := self.world.get(i)) is not None and p.parent_id is None]
        items = [self._video(video, parts) for video in found]
        return _list("youtube#videoListResponse", items, len(items), None)

    def _video(self, video: Post, parts: set[str]) -> dict[str, Any]:
        channel = self.world.actors[video.author_id]
        comments = self._published_comments(video)
        item: dict[str, Any] = {"kind": "youtube#video",
                                "etag": etag(video.id, self.world.like_count(video),
                                             len(comments)),
                                "id": video.id}  # fmt: skip
        if "snippet" in parts:
            snippet = {
                "publishedAt": youtube_time(video.created_at),
                "channelId": channel.id,
                "title": _title(video),
                "description": video.text,
                "thumbnails": _thumbnails(f"https://i.ytimg.com/vi/{video.id}", 120),
                "channelTitle": channel.name or channel.handle,
                "categoryId": "22",
                "liveBroadcastContent": "none",
            }
            item["snippet"] = _without(snippet, self.corrupted.get(video.id))
        if "statistics" in parts:
            item["statistics"] = {
                "viewCount": str(self._views(video)),
                "likeCount": str(self.world.like_count(video)),
                "favoriteCount": "0",
                "commentCount": str(len(comments)),
            }
        if "status" in parts:
            item["status"] = {"uploadStatus": "processed", "privacyStatus": "public"}
        return item

    def _views(self, video: Post) -> int:
        # Views are not simulated; a stable number that grows with the likes will do.
        return 40 * self.world.like_count(video) + 17 * len(video.text) + 3

    # --- comment threads and comments ------------------------------------------------------

    def _top(self, comment: Post) -> Post:
        """The top-level comment a comment hangs under (itself when it is one)."""
        current = comment
        while current.parent_id is not None and current.parent_id != current.root_id:
            current = self.world.posts[current.parent_id]
        return current

    def _published_comments(self, video: Post) -> list[Post]:
        """Every comment of the video that is published: held ones and replies under a held
        comment are not."""
        world = self.world
        return [c for c in world.in_conversation(video.id)
                if not world.is_hidden(c) and not world.is_hidden(self._top(c))]  # fmt: skip

    def _video_for(self, video_id: str) -> Post:
        video = self.world.get(video_id)
        if video is None or video.parent_id is not None:
            raise YouTubeError(
                404, "videoNotFound", 'The video identified by the <code><a href="/youtube/v3/'
                'docs/commentThreads/list#videoId">videoId</a></code> parameter could not be '
                "found.", domain="youtube.commentThread", location="videoId",
            )  # fmt: skip
        if video.id in self.comments_disabled:
            raise YouTubeError(
                403, "commentsDisabled", 'The video identified by the <code><a href="/youtube/'
                'v3/docs/commentThreads/list#videoId">videoId</a></code> parameter has disabled '
                "comments.", domain="youtube.commentThread", location="videoId",
            )  # fmt: skip
        return video

    def _comment_threads(self, args: dict[str, str], viewer: str | None) -> dict[str, Any]:
        parts = _parts(args, ("id", "snippet", "replies"))
        status = args.get("moderationStatus", "published")
        if status not in ("published", "heldForReview", "likelySpam"):
            raise _parameter("moderationStatus", f"Invalid value '{status}'.")
        order = args.get("order", "time")
        if order not in ("time", "relevance"):
            raise _parameter("order", f"Invalid value '{order}'.")
        plain = _plain(args)
        world = self.world
        if args.get("videoId"):
            videos = [self._video_for(args["videoId"])]
        elif args.get("allThreadsRelatedToChannelId"):
            channel = args["allThreadsRelatedToChannelId"]
            if channel not in world.actors:
                raise YouTubeError(
                    404, "channelNotFound", "The channel identified by the <code>"
                    "allThreadsRelatedToChannelId</code> parameter could not be found.",
                    domain="youtube.commentThread", location="allThreadsRelatedToChannelId",
                )  # fmt: skip
            videos = [v for v in self._videos_of(channel) if v.id not in self.comments_disabled]
        else:
            raise _parameter("part", "No filter selected. Expected one of: videoId, "
                             "allThreadsRelatedToChannelId, channelId, id",
                             "missingRequiredParameter")  # fmt: skip
        held = status != "published"
        if held and any(viewer != video.author_id for video in videos):
            raise YouTubeError(403, "forbidden", "The comment thread could not be retrieved due "
                               "to insufficient permissions. The request might not be properly "
                               "authorized.", domain="youtube.commentThread")  # fmt: skip
        # likelySpam is never simulated: nothing is taken for spam.
        tops = [c for video in videos for c in world.children(video.id)
                if world.is_hidden(c) == held and status != "likelySpam"]  # fmt: skip
        tops.sort(key=lambda c: (c.created_at, c.id), reverse=True)
        if order == "relevance":
            tops.sort(key=lambda c: world.like_count(c), reverse=True)
        page, token = _page(tops, args, default=20, maximum=100, keyed=order == "time")
        items = [self._render_thread(top, parts, viewer, plain, held) for top in page]
        return _list("youtube#commentThreadListResponse", items, len(items), token,
                     per_page=len(items))  # fmt: skip

    def _replies(self, top: Post) -> list[Post]:
        """Published replies under a top-level comment, newest first."""
        # Every reply under it, also when what it answered in the app was deleted: on
        # YouTube replies hang under the top-level comment, not under each other.
        world = self.world
        replies = [r for r in world.in_conversation(top.root_id or top.id)
                   if r is not top and self._top(r) is top and not world.is_hidden(r)]  # fmt: skip
        return sorted(replies, key=lambda r: (r.created_at, r.id), reverse=True)

    def _render_thread(self, top: Post, parts: set[str], viewer: str | None, plain: bool, held: bool
                ) -> dict[str, Any]:  # fmt: skip
        video = self.world.posts[top.root_id or top.id]
        replies = [] if held else self._replies(top)
        thread: dict[str, Any] = {"kind": "youtube#commentThread",
                                  "etag": etag("thread", top.id, len(replies)),
                                  "id": top.id}  # fmt: skip
        if "snippet" in parts:
            thread["snippet"] = {
                "channelId": video.author_id,
                "videoId": video.id,
                "topLevelComment": self._comment(top, viewer, plain, held=held),
                "canReply": not held,
                "totalReplyCount": len(replies),
                "isPublic": True,
            }
        if "replies" in parts and replies:
            shown = replies[:REPLIES_IN_THREAD]
            thread["replies"] = {"comments": [self._comment(r, viewer, plain) for r in shown]}
        return thread

    def _comment(self, comment: Post, viewer: str | None, plain: bool, held: bool = False
                 ) -> dict[str, Any]:  # fmt: skip
        world = self.world
        author = world.actors[comment.author_id]
        video = world.posts[comment.root_id or comment.id]
        top = self._top(comment)
        text = comment.text
        snippet: dict[str, Any] = {
            "channelId": video.author_id,
            "videoId": video.id,
            "textDisplay": text if plain else html.escape(text).replace("\n", "<br>"),
            "textOriginal": text,
            "authorDisplayName": f"@{author.handle}",
            "authorProfileImageUrl": f"https://yt3.ggpht.com/ytc/{etag(author.id)}=s48-c-k-"
            "c0x00ffffff-no-rj",
            "authorChannelUrl": f"http://www.youtube.com/@{author.handle}",
            "authorChannelId": {"value": author.id},
            "canRate": True,
            "viewerRating": "like" if viewer and self._liked_by(comment, viewer) else "none",
            "likeCount": world.like_count(comment),
            "publishedAt": youtube_time(comment.created_at),
            "updatedAt": youtube_time(comment.created_at),
        }
        if top.id != comment.id:
            snippet["parentId"] = top.id
        if held:
            snippet["moderationStatus"] = "heldForReview"
        return {"kind": "youtube#comment", "etag": etag("comment", comment.id, snippet),
                "id": comment.id,
                "snippet": _without(snippet, self.corrupted.get(comment.id))}  # fmt: skip

    def _liked_by(self, comment: Post, actor_id: str) -> bool:
        return any(like.actor_id == actor_id for like in self.world.likes_of(comment))

    def _comments(self, args: dict[str, str], viewer: str | None) -> dict[str, Any]:
        _parts(args, ("id", "snippet"))
        plain = _plain(args)
        world = self.world
        if args.get("parentId"):
            top = world.get(args["parentId"])
            if top is None or top.parent_id is None or self._top(top) is not top:
                raise YouTubeError(
                    404, "commentNotFound", "The comment identified by the <code>parentId"
                    "</code> parameter could not be found.", domain="youtube.comment",
                    location="parentId",
                )  # fmt: skip
            found = self._replies(top)
            page, token = _page(found, args, default=20, maximum=100)
        elif args.get("id"):
            page = [c for i in args["id"].split(",") if (c := world.get(i)) is not None
                    and c.parent_id is not None and not world.is_hidden(c)]  # fmt: skip
            token = None
        else:
            raise _parameter("part", "No filter selected. Expected one of: parentId, id",
                             "missingRequiredParameter")  # fmt: skip
        items = [self._comment(comment, viewer, plain) for comment in page]
        return _list("youtube#commentListResponse", items, len(items), token,
                     per_page=len(items), with_total=False)  # fmt: skip


# --- request and response helpers ------------------------------------------------------------


def _parts(args: dict[str, str], known: Sequence[str]) -> set[str]:
    raw = args.get("part")
    if not raw:
        raise _parameter("part", "Required parameter: part", "required")
    parts = {p.strip() for p in raw.split(",") if p.strip()}
    unknown = parts - set(known)
    if unknown:
        raise _parameter("part", f"'{sorted(unknown)[0]}'", "unknownPart")
    return parts


def _plain(args: dict[str, str]) -> bool:
    text_format = args.get("textFormat", "html")
    if text_format not in ("html", "plainText"):
        raise _parameter("textFormat", f"Invalid value '{text_format}'.")
    return text_format == "plainText"


def _page(items: list[Post], args: dict[str, str], *, default: int, maximum: int,
          keyed: bool = True) -> tuple[list[Post], str | None]:  # fmt: skip
    """One page of ``items`` (already in the list's order) and the token of the next.

    A token names the last item shown (newest-first lists: what follows is older), so that
    new items arriving between two pages shift nothing; ranked lists page by position."""
    raw = args.get("maxResults", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise _parameter("maxResults", f"Invalid value '{raw}'. Values must be within the "
                         f"range: [1, {maximum}]", "invalidValue")  # fmt: skip
    size = int(raw)
    start = 0
    token = args.get("pageToken")
    if token:
        try:
            kind, _, anchor = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)
                                                       ).decode().partition("|")  # fmt: skip
        except (ValueError, UnicodeDecodeError):
            kind, anchor = "", ""
        if kind == "at":
            stamp, _, post_id = anchor.partition("|")
            try:
                key = (float(stamp), post_id)
            except ValueError:
                raise _invalid_token() from None
            start = sum(1 for p in items if (p.created_at.timestamp(), p.id) >= key)
        elif kind == "n" and anchor.isdigit():
            start = int(anchor)
        else:
            raise _invalid_token()
    page = items[start : start + size]
    if start + size >= len(items) or not page:
        return page, None
    last = page[-1]
    anchor = f"at|{last.created_at.timestamp()!r}|{last.id}" if keyed else f"n|{start + size}"
    return page, base64.urlsafe_b64encode(anchor.encode()).decode().rstrip("=")


def _invalid_token() -> YouTubeError:
    return _parameter("pageToken", "The request specifies an invalid page token.",
                      "invalidPageToken")  # fmt: skip


def _list(kind: str, items: list[dict[str, Any]], total: int, token: str | None, *,
          per_page: int | None = None, with_total: bool = True) -> dict[str, Any]:  # fmt: skip
    body: dict[str, Any] = {"kind": kind, "etag": etag(kind, [i["etag"] for i in items])}
    if token:
        body["nextPageToken"] = token
    info: dict[str, int] = {}
    if with_total:  # comments.list leaves it out
        info["totalResults"] = total
    info["resultsPerPage"] = per_page if per_page is not None else len(items)
    body["pageInfo"] = info
    body["items"] = items
    return body


def _title(video: Post) -> str:
    first = video.text.strip().splitlines()[0] if video.text.strip() else "Untitled"
    return first[:100]


def _thumbnails(base: str, width: int) -> dict[str, Any]:
    if base.startswith("https://i.ytimg.com"):
        sizes = (("default", 120, 90), ("medium", 320, 180), ("high", 480, 360))
        return {name: {"url": f"{base}/{name}.jpg", "width": w, "height": h}
                for name, w, h in sizes}  # fmt: skip
    return {"default": {"url": f"{base}=s{width}-c-k-c0x00ffffff-no-rj", "width": width,
                        "height": width}}  # fmt: skip


def _without(values: dict[str, Any], dropped: set[str] | None) -> dict[str, Any]:
    if not dropped:
        return values
    return {key: value for key, value in values.items() if key not in dropped}
