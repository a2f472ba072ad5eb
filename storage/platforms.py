"""What a platform is, declared once: the registry every layer reads.

Each :class:`PlatformSpec` holds the facts that more than one layer needs: the stored
name and the name people read, the handle rule, the shape of its comment threads, whether
credentials are required, how a link to an item looks, which loggers may carry its
secrets, its API base URL settings, and where its collector and its simulated server are.
The last two are ``module:attribute`` references, not imports: storage sits at the bottom
and imports nothing above it; the layer that runs collectors or servers loads them.

Adding a platform is one entry here plus its collector package, its simulated server and
its documentation (docs/platforms.md, "Adding a platform"). No other module lists
platforms by name; tests/test_platform_registry.py fails when an entry lacks a part.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from storage.handles import (
    HandleError,
    domain_or_did_handle,
    fediverse_handle,
    instagram_handle,
    page_handle,
    x_handle,
    youtube_handle,
)
from storage.models import ItemKind


class ThreadShape(StrEnum):
    # Replies name the item they answer, at any depth; an answer anywhere below counts.
    TREE = "tree"
    # Comments under a post, replies one level down under a top-level comment: an answer
    # sits under the same top-level comment (METRICS.md rule 3).
    FLAT = "flat"


@dataclass(frozen=True)
class HandleRule:
    canonical: Callable[[str], str | None]  # the canonical form, or None if not a handle
    expected: str  # what a valid handle looks like, for error messages
    example: str  # a valid handle in canonical form, for help texts


@dataclass(frozen=True)
class Credentials:
    required: bool  # False: public posts, threads and likes can be read without any
    secret: str  # what the operator's secret is, as a phrase: "an app password"


@dataclass(frozen=True)
class ApiSetting:
    """A configuration setting of the platform's API (replywatch.config reads these)."""

    key: str  # dotted TOML key
    env: str  # environment variable
    default: str | None
    help: str
    # "url": a base URL requests go to (the demo points it at the simulated server);
    # "graph_version": a Graph API version like v24.0; "text": an identifier (an app id);
    # "secret_name": the name of a secret (replywatch.secrets), never the secret.
    form: str = "url"
    # What the default means when it is decided at run time (``default`` is then None).
    default_text: str | None = None


@dataclass(frozen=True)
class Permission:
    """A permission (OAuth scope) the connect flow asks for, and why the collectors need it."""

    name: str
    why: str
    # Platforms whose collectors cannot work without it (Meta's login serves two).
    needed_by: tuple[str, ...] = ()
    # False: not asked for by default; the manual says when an operator adds it.
    asked: bool = True


@dataclass(frozen=True)
class ConnectFacts:
    """How an owner connects an account themselves (replywatch.connect)."""

    # "oauth": the platform's own consent screen; "app_password": typed in, then verified.
    method: str
    grant: str  # stored in connections.method
    name: str  # what the owner reads: "Facebook Login for Business"
    permissions: tuple[Permission, ...]
    # The operator's app registration and the endpoints of the login (base URLs, so that a
    # proxy or the simulated platform can stand in like for the APIs).
    settings: tuple[ApiSetting, ...]
    flow: str  # "module:attribute" of its flow in replywatch.connect
    # What the owner types to start: a Mastodon address names the instance, a Bluesky
    # handle the account; None when the platform's login decides who it is.
    asks_for: str | None = None

    def asked(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.permissions if p.asked)

    def needed_by(self, platform: str) -> tuple[str, ...]:
        return tuple(p.name for p in self.permissions if platform in p.needed_by)


@dataclass(frozen=True)
class PlatformSpec:
    name: str  # as stored in accounts.platform and items.platform
    display_name: str  # as people read it on pages, in emails and on the command line
    handle: HandleRule
    thread_shape: ThreadShape
    credentials: Credentials
    # Link to an item built from ``{author}`` (handle without @) and ``{item_id}``; None
    # when the API hands each item its link.
    permalink: str | None
    # Loggers of the platform's client library and HTTP stack: their records pass
    # collectors.redact's filter, because those libraries log URLs and headers.
    log_names: tuple[str, ...]
    api_settings: tuple[ApiSetting, ...]
    collector: str  # "module:attribute" of its collectors.contract.CollectorFactory
    simulated_server: str  # "module:Class" of its sandbox.http.SandboxServer
    # Item ids that contain their author's id (Bluesky's at://DID/... URIs): a regular
    # expression whose group ``author`` is that id. Forgetting an author replaces it there
    # too (storage/privacy.py); None when item ids say nothing about their author.
    author_in_item_id: str | None = None
    # How an owner connects an account of this platform; None: by --credentials NAME only.
    connect: ConnectFacts | None = None

    @property
    def settings(self) -> tuple[ApiSetting, ...]:
        """Its API settings and its connect flow's."""
        return self.api_settings + (self.connect.settings if self.connect else ())

    @property
    def reply_kind(self) -> ItemKind:
        """The stored kind of what customers write under a post on this platform."""
        return ItemKind.COMMENT if self.thread_shape is ThreadShape.FLAT else ItemKind.REPLY

    def link(self, author: str, item_id: str) -> str:
        """The link to an item on a platform whose links follow ``permalink``."""
        if self.permalink is None:
            raise ValueError(f"{self.name} items carry their links; none is built for them")
        return self.permalink.format(author=author, item_id=item_id)

    def item_id_author(self, item_id: str) -> str | None:
        """The author id an item id contains (see ``author_in_item_id``), or None."""
        if self.author_in_item_id is None:
            return None
        found = re.match(self.author_in_item_id, item_id)
        return found.group("author") if found else None

    def item_id_with_author(self, item_id: str, author: str) -> str:
        """``item_id`` with the author id it contains replaced by ``author``."""
        found = re.match(self.author_in_item_id, item_id) if self.author_in_item_id else None
        if found is None:
            return item_id
        start, end = found.span("author")
        return item_id[:start] + author + item_id[end:]


# requests and urllib3 quote URLs (Graph tokens travel in the query) in errors and at
# debug level; filters on a logger do not see its children's records, hence those too.
_REQUESTS_LOGGERS = ("requests", "urllib3", "urllib3.connectionpool", "urllib3.util.retry")

_GRAPH_SETTINGS = (
    ApiSetting(
        "platforms.graph.api_url",
        "REPLYWATCH_GRAPH_API_URL",
        "https://graph.facebook.com",
        "base URL of the Graph API (Facebook, Instagram)",
    ),
    ApiSetting(
        "platforms.graph.version",
        "REPLYWATCH_GRAPH_API_VERSION",
        "v24.0",
        "Graph API version for every Facebook and Instagram call",
        form="graph_version",
    ),
)

_META_LOGIN = ConnectFacts(
    method="oauth",
    grant="meta_login",
    name="Facebook Login for Business",
    permissions=(
        Permission(
            "pages_show_list",
            "lists the Pages you manage (me/accounts), so that you pick the ones to audit",
            ("facebook", "instagram"),
        ),
        Permission(
            "pages_read_engagement",
            "reads the Page's posts, their reaction and comment counts and follower count, "
            "and which Instagram business account is linked to the Page",
            ("facebook", "instagram"),
        ),
        Permission(
            "pages_read_user_content",
            "reads what others write on the Page: visitors' posts and every comment and "
            "reply, with who wrote it",
            ("facebook",),
        ),
        Permission(
            "instagram_basic",
            "reads the Instagram business account's profile, media and their counts",
            ("instagram",),
        ),
        Permission(
            "instagram_manage_comments",
            "reads the comments and replies under the Instagram media (the Graph API shows "
            "them only with this permission; replywatch never writes any)",
            ("instagram",),
        ),
        Permission(
            "business_management",
            "only when the Pages belong to a business portfolio and your access to them "
            "comes through it: without it they are missing from the list of Pages",
            asked=False,
        ),
    ),
    settings=(
        ApiSetting(
            "platforms.graph.app_id",
            "REPLYWATCH_GRAPH_APP_ID",
            None,
            "the App ID of your Meta app (for connecting accounts)",
            form="text",
        ),
        ApiSetting(
            "platforms.graph.app_secret_ref",
            "REPLYWATCH_GRAPH_APP_SECRET_REF",
            None,
            "name of the secret holding the Meta app's App Secret",
            form="secret_name",
        ),
        ApiSetting(
            "platforms.graph.login_config_id",
            "REPLYWATCH_GRAPH_LOGIN_CONFIG_ID",
            None,
            "configuration ID of Facebook Login for Business (its permissions are the "
            "configuration's); without it the permissions are asked by scope",
            form="text",
        ),
        ApiSetting(
            "platforms.graph.dialog_url",
            "REPLYWATCH_GRAPH_DIALOG_URL",
            "https://www.facebook.com",
            "base URL of Facebook's login dialog",
        ),
    ),
    flow="replywatch.connect.meta:FLOW",
)

X = PlatformSpec(
    name="x",
    display_name="X",
    handle=HandleRule(
        x_handle, "an X handle like @shop_name (1-15 letters, digits or _)", "@shop_name"
    ),
    thread_shape=ThreadShape.TREE,
    credentials=Credentials(required=True, secret="a token"),
    permalink="https://x.com/{author}/status/{item_id}",
    log_names=(
        "tweepy",
        "tweepy.client",
        # The connect flow's token requests and answers, logged at debug level.
        "requests_oauthlib",
        "requests_oauthlib.oauth2_session",
        "oauthlib",
        *_REQUESTS_LOGGERS,
    ),
    api_settings=(
        ApiSetting(
            "platforms.x.api_url",
            "REPLYWATCH_X_API_URL",
            "https://api.twitter.com",
            "base URL of the X API v2 (e.g. `https://api.x.com`, a proxy)",
        ),
    ),
    collector="collectors.x.factory:FACTORY",
    simulated_server="sandbox.x_api:XApiServer",
    connect=ConnectFacts(
        method="oauth",
        grant="x_oauth2",
        name="X (OAuth 2.0 with PKCE)",
        permissions=(
            Permission(
                "tweet.read",
                "reads the account's posts, replies and mentions and the conversations they are in",
                ("x",),
            ),
            Permission(
                "users.read",
                "finds the account and reads its follower count (X asks "
                "for it together with tweet.read)",
                ("x",),
            ),
            Permission(
                "like.read",
                "reads which posts the account liked (liked, not "
                "answered); X shows likes only to the account itself",
                ("x",),
            ),
            Permission(
                "offline.access",
                "gives a refresh token, so that collecting goes on "
                "after the access token's two hours without signing in again",
                ("x",),
            ),
        ),
        settings=(
            ApiSetting(
                "platforms.x.client_id",
                "REPLYWATCH_X_CLIENT_ID",
                None,
                "OAuth 2.0 Client ID of your X app (for connecting accounts)",
                form="text",
            ),
            ApiSetting(
                "platforms.x.client_secret_ref",
                "REPLYWATCH_X_CLIENT_SECRET_REF",
                None,
                'name of the secret holding the Client Secret (a confidential "Web '
                'App"); none for a public "Native App"',
                form="secret_name",
            ),
            ApiSetting(
                "platforms.x.authorize_url",
                "REPLYWATCH_X_AUTHORIZE_URL",
                "https://x.com",
                "base URL of X's consent screen (/i/oauth2/authorize)",
            ),
        ),
        flow="replywatch.connect.x:FLOW",
    ),
)

FACEBOOK = PlatformSpec(
    name="facebook",
    display_name="Facebook",
    handle=HandleRule(
        page_handle,
        "a Facebook Page id (digits) or username like shopname (5+ letters, digits, .)",
        "shopname",
    ),
    thread_shape=ThreadShape.FLAT,
    credentials=Credentials(required=True, secret="a token"),
    permalink=None,  # permalink_url of each post and comment
    log_names=("facebook", *_REQUESTS_LOGGERS),
    api_settings=_GRAPH_SETTINGS,
    collector="collectors.graph.factory:FACEBOOK",
    simulated_server="sandbox.graph_api:GraphApiServer",
    connect=_META_LOGIN,
)

INSTAGRAM = PlatformSpec(
    name="instagram",
    display_name="Instagram",
    handle=HandleRule(
        instagram_handle,
        "an Instagram username like @shop.name (1-30 letters, digits, . or _)",
        "@shop.name",
    ),
    thread_shape=ThreadShape.FLAT,
    credentials=Credentials(required=True, secret="a token"),
    permalink=None,  # permalink of each media object
    log_names=("facebook", *_REQUESTS_LOGGERS),
    api_settings=_GRAPH_SETTINGS,
    collector="collectors.graph.factory:INSTAGRAM",
    simulated_server="sandbox.graph_api:GraphApiServer",
    connect=_META_LOGIN,
)

MASTODON = PlatformSpec(
    name="mastodon",
    display_name="Mastodon",
    handle=HandleRule(
        fediverse_handle, "a Mastodon address like @shop@mastodon.social", "@shop@mastodon.social"
    ),
    thread_shape=ThreadShape.TREE,
    credentials=Credentials(required=False, secret="an access token"),
    permalink=None,  # url of each status (its instance's page)
    # Mastodon.py logs nothing itself; it sends through requests.
    log_names=_REQUESTS_LOGGERS,
    api_settings=(
        ApiSetting(
            "platforms.mastodon.api_url",
            "REPLYWATCH_MASTODON_API_URL",
            None,
            "force one Mastodon API base URL",
            default_text="the instance of each handle",
        ),
    ),
    collector="collectors.mastodon.factory:FACTORY",
    simulated_server="sandbox.mastodon_api:MastodonServer",
    connect=ConnectFacts(
        method="oauth",
        grant="mastodon_oauth",
        name="Mastodon (OAuth)",
        permissions=(
            Permission(
                "read",
                "reads the account's statuses, mention notifications, "
                "favourites and threads; nothing that could write",
                ("mastodon",),
            ),
        ),
        settings=(),  # replywatch registers itself on each instance (POST /api/v1/apps)
        flow="replywatch.connect.mastodon:FLOW",
        asks_for="address",
    ),
)

BLUESKY = PlatformSpec(
    name="bluesky",
    display_name="Bluesky",
    handle=HandleRule(
        domain_or_did_handle,
        "a Bluesky handle like shop.bsky.social, or a DID like did:plc:…",
        "shop.bsky.social",
    ),
    thread_shape=ThreadShape.TREE,
    credentials=Credentials(required=False, secret="an app password"),
    permalink="https://bsky.app/profile/{author}/post/{item_id}",  # item_id: the record key
    log_names=("httpx", "httpcore", "atproto", "atproto_client"),  # atproto's HTTP is httpx
    api_settings=(
        ApiSetting(
            "platforms.bluesky.appview_url",
            "REPLYWATCH_BLUESKY_APPVIEW_URL",
            "https://public.api.bsky.app",
            "Bluesky AppView for public reads",
        ),
        ApiSetting(
            "platforms.bluesky.pds_url",
            "REPLYWATCH_BLUESKY_PDS_URL",
            "https://bsky.social",
            "Bluesky PDS for app-password logins",
        ),
    ),
    collector="collectors.bluesky.factory:FACTORY",
    simulated_server="sandbox.bluesky_api:BlueskyServer",
    author_in_item_id=r"^at://(?P<author>[^/]+)/",  # at://did:plc:…/app.bsky.feed.post/…
    connect=ConnectFacts(
        method="app_password",
        grant="bluesky_app_password",
        name="Bluesky app password",
        permissions=(),  # an app password can do what the account can, but not change it
        settings=(),
        flow="replywatch.connect.bluesky:FLOW",
        asks_for="handle",
    ),
)

YOUTUBE = PlatformSpec(
    name="youtube",
    display_name="YouTube",
    handle=HandleRule(
        youtube_handle,
        "a YouTube channel handle like @shopname (3-30 letters, digits, _ - .) or a channel "
        "id like UC…",
        "@shopname",
    ),
    # Comments under a video, replies one level down under the top-level comment.
    thread_shape=ThreadShape.FLAT,
    credentials=Credentials(required=True, secret="an API key or an OAuth access token"),
    permalink=None,  # a comment's link needs its video: the collector builds each link
    # googleapiclient logs request URLs (with the API key) at debug level; its HTTP stack
    # is httplib2, or google-auth's wrapper of it for OAuth tokens.
    log_names=(
        "googleapiclient",
        "googleapiclient.discovery",
        "googleapiclient.http",
        "googleapiclient.model",
        "google_auth_httplib2",
        "httplib2",
        # Its connect flow's token requests and answers, logged at debug level.
        "requests_oauthlib",
        "requests_oauthlib.oauth2_session",
        "oauthlib",
        *_REQUESTS_LOGGERS,
    ),
    api_settings=(
        ApiSetting(
            "platforms.youtube.api_url",
            "REPLYWATCH_YOUTUBE_API_URL",
            "https://youtube.googleapis.com",
            "root URL of the YouTube Data API v3 (the discovery document's `rootUrl`)",
        ),
    ),
    collector="collectors.youtube.factory:FACTORY",
    simulated_server="sandbox.youtube_api:YouTubeServer",
    connect=ConnectFacts(
        method="oauth",
        grant="google_oauth",
        name="Google (OAuth 2.0)",
        permissions=(
            Permission(
                "https://www.googleapis.com/auth/youtube.force-ssl",
                "reads the "
                "channel's videos and comments, the comments YouTube holds for review "
                "(commentThreads with moderationStatus needs this scope) and the "
                "channel's own likes of comments",
                ("youtube",),
            ),
        ),
        settings=(
            ApiSetting(
                "platforms.youtube.client_id",
                "REPLYWATCH_YOUTUBE_CLIENT_ID",
                None,
                "OAuth client ID of your Google Cloud project (for connecting channels)",
                form="text",
            ),
            ApiSetting(
                "platforms.youtube.client_secret_ref",
                "REPLYWATCH_YOUTUBE_CLIENT_SECRET_REF",
                None,
                "name of the secret holding that OAuth client's secret",
                form="secret_name",
            ),
            ApiSetting(
                "platforms.youtube.authorize_url",
                "REPLYWATCH_YOUTUBE_AUTHORIZE_URL",
                "https://accounts.google.com",
                "base URL of Google's consent screen (/o/oauth2/v2/auth)",
            ),
            ApiSetting(
                "platforms.youtube.token_url",
                "REPLYWATCH_YOUTUBE_TOKEN_URL",
                "https://oauth2.googleapis.com",
                "base URL of Google's token endpoint",
            ),
        ),
        flow="replywatch.connect.youtube:FLOW",
    ),
)

REGISTRY: tuple[PlatformSpec, ...] = (X, FACEBOOK, INSTAGRAM, MASTODON, BLUESKY, YOUTUBE)
PLATFORMS: Mapping[str, PlatformSpec] = {spec.name: spec for spec in REGISTRY}
NAMES: tuple[str, ...] = tuple(PLATFORMS)


class UnknownPlatform(ValueError):
    pass


def platform(name: str) -> PlatformSpec:
    """The registered platform ``name``; UnknownPlatform names the registered ones."""
    spec = PLATFORMS.get(name)
    if spec is None:
        raise UnknownPlatform(f"platform {name!r} is not one of {', '.join(NAMES)}")
    return spec


def display_name(name: str) -> str:
    """The platform's own spelling ("Facebook"); an unregistered name as it is stored."""
    spec = PLATFORMS.get(name)
    return spec.display_name if spec is not None else name


def canonical_handle(platform_name: str, handle: str) -> str:
    """The canonical form of ``handle`` on ``platform_name``, or HandleError."""
    spec = PLATFORMS.get(platform_name)
    if spec is None:
        raise HandleError(f"platform {platform_name!r} is not one of {', '.join(NAMES)}")
    canonical = spec.handle.canonical(handle.strip())
    if canonical is None:
        raise HandleError(
            f"handle {handle!r} is not valid on {platform_name}; expected {spec.handle.expected}"
        )
    return canonical


def api_settings() -> tuple[ApiSetting, ...]:
    """Every platform's API and connect settings once, in registry order (Graph's are
    shared)."""
    seen: dict[str, ApiSetting] = {}
    for spec in REGISTRY:
        for setting in spec.settings:
            seen.setdefault(setting.key, setting)
    return tuple(seen.values())


def log_names() -> tuple[str, ...]:
    """Every logger that may carry a platform's secrets, once."""
    return tuple(dict.fromkeys(name for spec in REGISTRY for name in spec.log_names))


__all__ = [
    "NAMES",
    "PLATFORMS",
    "REGISTRY",
    "ApiSetting",
    "ConnectFacts",
    "Credentials",
    "HandleError",
    "HandleRule",
    "Permission",
    "PlatformSpec",
    "ThreadShape",
    "UnknownPlatform",
    "api_settings",
    "canonical_handle",
    "display_name",
    "log_names",
    "platform",
]
