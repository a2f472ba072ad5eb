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
    # "graph_version": a Graph API version like v24.0.
    form: str = "url"
    # What the default means when it is decided at run time (``default`` is then None).
    default_text: str | None = None


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

    @property
    def reply_kind(self) -> ItemKind:
        """The stored kind of what customers write under a post on this platform."""
        return ItemKind.COMMENT if self.thread_shape is ThreadShape.FLAT else ItemKind.REPLY

    def link(self, author: str, item_id: str) -> str:
        """The link to an item on a platform whose links follow ``permalink``."""
        if self.permalink is None:
            raise ValueError(f"{self.name} items carry their links; none is built for them")
        return self.permalink.format(author=author, item_id=item_id)


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

X = PlatformSpec(
    name="x",
    display_name="X",
    handle=HandleRule(
        x_handle, "an X handle like @shop_name (1-15 letters, digits or _)", "@shop_name"
    ),
    thread_shape=ThreadShape.TREE,
    credentials=Credentials(required=True, secret="a token"),
    permalink="https://x.com/{author}/status/{item_id}",
    log_names=("tweepy", "tweepy.client", "requests_oauthlib", *_REQUESTS_LOGGERS),
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
    """Every platform's API settings once, in registry order (Graph's are shared)."""
    seen: dict[str, ApiSetting] = {}
    for spec in REGISTRY:
        for setting in spec.api_settings:
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
    "Credentials",
    "HandleError",
    "HandleRule",
    "PlatformSpec",
    "ThreadShape",
    "UnknownPlatform",
    "api_settings",
    "canonical_handle",
    "display_name",
    "log_names",
    "platform",
]
