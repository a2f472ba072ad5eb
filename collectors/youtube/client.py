"""google-api-python-client on the configured root URL, with its errors in our words.

- The API's description comes from the discovery document the package ships
  (``static_discovery=True``): building the client sends no request. The root URL is the
  setting ``platforms.youtube.api_url`` (``client_options={"api_endpoint": ...}``), so a
  proxy or the simulated YouTube is reached like the real host.
- The secret is an API key (``key=`` on every call: public data) or, when it has the shape
  of Google's OAuth 2.0 access tokens (``ya29.``), a bearer token sent through google-auth's
  ``AuthorizedHttp``: then the API answers as the channel the token belongs to (its own
  likes of comments, its comments held for review).
- The transport is httplib2, one :class:`collectors.http.BoundedHttp` per client: each
  request bounded (deadline, size limit), counted for the run, and its faults named in the
  one classification of ``collectors.transport``; a 2xx answer that is not JSON, or JSON
  without the ``kind`` every YouTube list answer has, is not the YouTube API's.
- Every call replywatch makes is a ``list`` call, which YouTube
  bills 1 quota unit whether it succeeds or not; :attr:`YouTubeClient.quota_units` adds
  them up per the :data:`QUOTA_COST` of each resource.
- ``HttpError`` texts quote the request URL, API key included: messages here are built
  from the error JSON only (``error.errors[].reason``), never from the exception's text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from collectors.contract import RunContext
from collectors.errors import (
    CollectionError,
    CredentialsRejected,
    MalformedResponse,
    RateLimited,
    TransientError,
)
from collectors.http import BoundedHttp, host_name, origin
from collectors.redact import install_log_filter, register_secret, scrub
from collectors.transport import DEFAULT_LIMITS, Fault, Limits, Service, translate, wrong_json

DEFAULT_ROOT_URL = "https://youtube.googleapis.com"
# The discovery document the package ships (googleapiclient/discovery_cache/documents/).
API_NAME, _, API_VERSION = "youtube.v3".partition(".")
OAUTH_PREFIX = "ya29."  # Google's OAuth 2.0 access tokens start so; API keys with "AIza"
# Quota units per call (developers.google.com/youtube/v3/determine_quota_cost): every
# list method costs 1; replywatch calls nothing else.
QUOTA_COST = {"channels": 1, "playlistItems": 1, "videos": 1, "commentThreads": 1, "comments": 1}
PACIFIC = ZoneInfo("America/Los_Angeles")  # the daily quota resets at midnight there
# A short-term limit (rateLimitExceeded, HTTP 429) says no time; try again after this.
THROTTLE_WAIT = timedelta(minutes=5)
DAILY_QUOTA = {"quotaExceeded", "dailyLimitExceeded", "dailyLimitExceededUnreg"}
THROTTLED = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
CREDENTIALS = {
    "keyInvalid", "keyExpired", "API_KEY_INVALID", "API_KEY_EXPIRED", "authError",
    "forbidden", "accessNotConfigured", "SERVICE_DISABLED", "ipRefererBlocked",
    "API_KEY_HTTP_REFERRER_BLOCKED", "insufficientPermissions",
    "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "accountDelegationForbidden",
    "authenticatedUserAccountClosed", "authenticatedUserAccountSuspended",
    "authenticatedUserNotChannel",
}  # fmt: skip
NOT_FOUND = {"channelNotFound", "videoNotFound", "playlistNotFound", "commentNotFound",
             "notFound"}  # fmt: skip
T = TypeVar("T")
SERVICE = Service("the YouTube Data API", "platforms.youtube.api_url")


class NotFound(CollectionError):
    """404: the channel, playlist, video or comment does not exist (any more)."""


class CommentsDisabled(CollectionError):
    """403 commentsDisabled: the video (or channel) takes no comments."""


class PageTokenRefused(CollectionError):
    """400 invalidPageToken: a stored page token is no longer accepted."""


def next_quota_day(moment: datetime) -> datetime:
    """Midnight Pacific time after ``moment``: when a used-up daily quota comes back."""
    tomorrow = moment.astimezone(PACIFIC).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=PACIFIC).astimezone(UTC)


class YouTubeClient:
    def __init__(
        self,
        secret: str,
        *,
        root_url: str = DEFAULT_ROOT_URL,
        limits: Limits = DEFAULT_LIMITS,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        register_secret(secret)
        install_log_filter()
        self.root_url = root_url.rstrip("/")
        self.origin = origin(self.root_url)
        self.oauth = secret.startswith(OAUTH_PREFIX)
        self.quota_units = 0
        http: Any = BoundedHttp(limits, SERVICE, on_request)
        if self.oauth:
            http = AuthorizedHttp(Credentials(token=secret), http=http)
        self.service = build(
            API_NAME, API_VERSION, http=http, developerKey=None if self.oauth else secret,
            static_discovery=True, cache_discovery=False,
            # A trailing slash keeps a path in the root URL (a proxy's /youtube-api/).
            client_options={"api_endpoint": self.root_url + "/"},
        )  # fmt: skip

    def list(self, run: RunContext, resource: str, *, endpoint: str, **params: Any
             ) -> dict[str, Any]:  # fmt: skip
        """One ``list`` call through ``run.call`` (which retries transient faults)."""
        query = {key: value for key, value in params.items() if value is not None}
        request = getattr(self.service, resource)().list(**query)
        cost = QUOTA_COST[resource]
        body = run.call(
            lambda: self._translate(lambda: request.execute(num_retries=0), endpoint, run, cost),
            endpoint=endpoint,
        )
        if not isinstance(body, dict):
            # googleapiclient hands over what did not parse as it came: a damaged page.
            raise MalformedResponse("the response is not a JSON object", endpoint)
        kind = body.get("kind")
        if not (isinstance(kind, str) and kind.startswith("youtube#")):
            raise wrong_json(SERVICE, host_name(self.origin), 'a "kind" of youtube#…', endpoint)
        return body

    def pages(self, run: RunContext, resource: str, *, endpoint: str, page_token: str | None = None,
              **params: Any) -> Iterable[dict[str, Any]]:  # fmt: skip
        """Every page of a list, following ``nextPageToken``."""
        token = page_token
        while True:
            body = self.list(run, resource, endpoint=endpoint, pageToken=token, **params)
            yield body
            token = next_token(body)
            if token is None:
                return

    def _translate(self, fetch: Callable[[], T], endpoint: str, run: RunContext, cost: int) -> T:
        try:
            result = fetch()
        except HttpError as exc:
            self.quota_units += cost  # refused calls are billed too
            raise classify(exc.resp.status, exc.content, endpoint, run) from None
        except RefreshError as exc:
            # A 401 on a bearer token: google-auth tried to renew it and has no way to.
            self.quota_units += cost
            raise CredentialsRejected(
                f"HTTP 401: the OAuth access token was refused and cannot "
                f"be renewed ({scrub(str(exc))[:200]})",
                endpoint,
            ) from None
        except Exception as exc:
            error = translate(exc, endpoint, self.origin)
            if error is None:
                raise
            raise error from None
        self.quota_units += cost
        return result


def next_token(body: dict[str, Any]) -> str | None:
    token = body.get("nextPageToken")
    return token if isinstance(token, str) and token else None


def _error_object(content: bytes | str) -> dict[str, Any]:
    try:
        data = json.loads(content)
    except (ValueError, TypeError):
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def reasons_of(error: dict[str, Any]) -> set[str]:
    """``error.errors[].reason`` and, in newer answers, ``error.details[].reason``."""
    found = set()
    for key in ("errors", "details"):
        entries = error.get(key)
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("reason"), str):
                found.add(entry["reason"])
    return found


def classify(status: int, content: bytes | str, endpoint: str, run: RunContext) -> CollectionError:
    """An error answer in our words: what it means for the run."""
    error = _error_object(content)
    reasons = reasons_of(error)
    message = re.sub(r"<[^>]+>", "", str(error.get("message") or "")).strip()
    if not error:
        message = "the answer is not an API error object"
    detail = f"HTTP {status} {', '.join(sorted(reasons)) or ''}".rstrip()
    detail = scrub(f"{detail}: {message}" if message else detail)
    if reasons & DAILY_QUOTA:
        return RateLimited(f"{detail} (the daily quota comes back at midnight Pacific time)",
                           endpoint, next_quota_day(run.current_time()))  # fmt: skip
    if status == 429 or reasons & THROTTLED:
        return RateLimited(detail, endpoint, run.current_time() + THROTTLE_WAIT)
    if "commentsDisabled" in reasons:
        return CommentsDisabled(detail, endpoint)
    if "invalidPageToken" in reasons:
        return PageTokenRefused(detail, endpoint)
    if status >= 500:
        return TransientError(detail, endpoint, fault=Fault.SERVER_ERROR)
    if status == 404 or reasons & NOT_FOUND:
        return NotFound(detail, endpoint)
    # "API key not valid" is a 400 with the generic reason badRequest.
    api_key_refused = status == 400 and "API key" in message
    if status in (401, 403) or reasons & CREDENTIALS or api_key_refused:
        return CredentialsRejected(detail, endpoint)
    if not error:
        return MalformedResponse(f"HTTP {status}: {message}", endpoint)
    return CollectionError(detail, endpoint)
