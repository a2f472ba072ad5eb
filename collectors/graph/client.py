"""facebook-sdk's GraphAPI, on the configured version and host, with its errors in our words.

Two facts about facebook-sdk 3.1.0 shape this module:

- Its constructor accepts only versions 2.8–3.1 and defaults to the dead v2.8. The one
  place that sets the version is :func:`make_graph`: construct without ``version``, then
  assign ``graph.version``.
- Every call builds its URL from the module constant ``facebook.FACEBOOK_GRAPH_URL``,
  read at call time. Changing that constant would change it for every GraphAPI object in
  the process (two accounts collected concurrently against two hosts would clash). So the
  constant is left alone and each GraphAPI gets its own session with a
  :class:`collectors.http.PlatformAdapter` that sends ``https://graph.facebook.com/...`` to
  the configured base URL. Per object, no shared state.

The library never looks at HTTP status and hides the response headers; the adapter keeps
the last status and headers so that throttling (``x-business-use-case-usage``) and 5xx
answers are understood. The adapter also bounds every request and names transport faults
(``collectors.transport``); an object without ``id`` or a page without ``data`` is not the
Graph API's answer ("not JSON": a proxy's or a captive portal's JSON).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse

import facebook
import requests

from collectors.contract import RunContext
from collectors.errors import (
    EXPIRED,
    NO_PERMISSION,
    REFUSED,
    REVOKED,
    AccountNotFound,
    CollectionError,
    CredentialsRejected,
    MalformedResponse,
    RateLimited,
    TransientError,
)
from collectors.http import PlatformAdapter, mount
from collectors.redact import install_log_filter, register_secret, scrub
from collectors.transport import (
    DEFAULT_LIMITS,
    Fault,
    Limits,
    Service,
    host_name,
    origin,
    translate,
    wrong_json,
)

DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_VERSION = "v24.0"
# Graph error codes, from Meta's error reference.
THROTTLED = {4, 17, 32, 613, 80001, 80002, 80004, 80005, 80006, 80008}
CREDENTIALS = {102, 190, 10} | set(range(200, 300))
TRANSIENT = {1, 2}
NOT_FOUND = {803}
# Throttling lasts until usage over the rolling hour falls; without an estimate, wait that.
FALLBACK_WAIT = timedelta(hours=1)
T = TypeVar("T")
SERVICE = Service("the Graph API", "platforms.graph.api_url")


def make_graph(
    access_token: str, version: str, timeout: float
) -> facebook.GraphAPI:  # the one place the Graph API version is set
    graph = facebook.GraphAPI(access_token=access_token, timeout=timeout)
    graph.version = version
    return graph


class GraphClient:
    def __init__(
        self,
        access_token: str,
        *,
        version: str = DEFAULT_VERSION,
        base_url: str = DEFAULT_BASE_URL,
        limits: Limits = DEFAULT_LIMITS,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        register_secret(access_token)
        install_log_filter()
        self.graph = make_graph(access_token, version, limits.deadline_seconds)
        self.adapter: PlatformAdapter = mount(
            self.graph.session, DEFAULT_BASE_URL, base_url, limits, SERVICE, on_request
        )
        self.origin = origin(base_url)

    def get(self, run: RunContext, node: str, *, endpoint: str, **args: Any) -> dict[str, Any]:
        """One object (``GET /{node}?fields=...``)."""
        body = run.call(
            lambda: self._translate(lambda: self.graph.get_object(node, **args), endpoint, run),
            endpoint=endpoint,
        )
        # A node read answers its id (Graph adds it unasked) or at least a requested field.
        known = {"id", *requested_fields(str(args.get("fields", "")))}
        if not isinstance(body, dict) or not known & body.keys():
            raise wrong_json(SERVICE, host_name(self.origin), "an id", endpoint)
        return body

    def pages(
        self, run: RunContext, node: str, edge: str, *, endpoint: str, **args: Any
    ) -> Iterator[dict[str, Any]]:
        """The pages of an edge, following ``paging.next`` like facebook-sdk's
        ``get_all_connections`` does, but one page at a time so each can be committed."""
        while True:
            body = self._edge_page(run, node, edge, endpoint, dict(args))
            if not isinstance(body, dict) or "data" not in body:
                raise wrong_json(SERVICE, host_name(self.origin), "a data list", endpoint)
            if not isinstance(body["data"], list):
                raise MalformedResponse("the response's data is not a list", endpoint)
            yield body
            next_url = next_page(body)
            if next_url is None:
                return
            node, edge, args = parse_next(next_url, endpoint)

    def _edge_page(
        self, run: RunContext, node: str, edge: str, endpoint: str, query: dict[str, Any]
    ) -> Any:
        def fetch() -> Any:
            return self.graph.get_connections(node, edge, **query)

        return run.call(lambda: self._translate(fetch, endpoint, run), endpoint=endpoint)

    def _translate(self, fetch: Callable[[], T], endpoint: str, run: RunContext) -> T:
        try:
            return fetch()
        except facebook.GraphAPIError as exc:
            raise self._classify(exc, endpoint, run) from None
        except requests.exceptions.JSONDecodeError:
            if (self.adapter.last_status or 200) >= 500:
                raise TransientError(
                    f"HTTP {self.adapter.last_status}", endpoint, fault=Fault.SERVER_ERROR
                ) from None
            # The adapter let it through because it starts like JSON: a damaged page.
            raise MalformedResponse("the response is not valid JSON", endpoint) from None
        except KeyError as exc:
            # facebook-sdk reads headers["content-type"] and paging URLs unchecked.
            raise MalformedResponse(f"the response lacks {exc}", endpoint) from None
        except Exception as exc:
            error = translate(exc, endpoint, self.origin)
            if error is None:
                raise
            raise error from None

    def _classify(
        self, exc: facebook.GraphAPIError, endpoint: str, run: RunContext
    ) -> CollectionError:
        result = exc.result if isinstance(exc.result, dict) else {}
        error = result.get("error") if isinstance(result.get("error"), dict) else {}
        code = exc.code if isinstance(exc.code, int) else None
        message = scrub(str(exc.message))
        detail = f"Graph error {code}: {message}" if code is not None else message
        status = self.adapter.last_status or 0
        if code in THROTTLED:
            return RateLimited(detail, endpoint, run.now + self._regain_after())
        if code in CREDENTIALS or (code is None and status in (401, 403)):
            return CredentialsRejected(
                detail, endpoint, reason=credential_reason(code, error.get("error_subcode"))
            )
        if code in TRANSIENT or error.get("is_transient") or status >= 500:
            return TransientError(detail, endpoint, fault=Fault.SERVER_ERROR)
        if code in NOT_FOUND or (code == 100 and error.get("error_subcode") == 33):
            return AccountNotFound(detail, endpoint)
        if code is None:
            # Not an error object: a body facebook-sdk could not place (an image, a token).
            return MalformedResponse(f"unexpected response: {message[:200]}", endpoint)
        return CollectionError(detail, endpoint)

    def _regain_after(self) -> timedelta:
        """Meta's estimate of when throttling ends, from x-business-use-case-usage."""
        raw = self.adapter.last_headers.get("x-business-use-case-usage")
        minutes = 0
        try:
            usage = json.loads(raw) if raw else {}
            for entries in usage.values():
                for entry in entries:
                    minutes = max(minutes, int(entry.get("estimated_time_to_regain_access", 0)))
        except (ValueError, TypeError, AttributeError):
            minutes = 0
        return timedelta(minutes=minutes) if minutes > 0 else FALLBACK_WAIT


def requested_fields(fields: str) -> set[str]:
    """The top-level names of a ``fields`` value: ``a,b{c,d},e.limit(0)`` -> a, b, e."""
    names, depth, current = set(), 0, []
    for char in fields + ",":
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
        elif char == "," and depth == 0:
            names.add("".join(current).split(".")[0].strip())
            current = []
            continue
        if depth == 0 and char not in "})":
            current.append(char)
    return {name for name in names if name}


def next_page(body: dict[str, Any]) -> str | None:
    paging = body.get("paging")
    if isinstance(paging, dict) and isinstance(paging.get("next"), str):
        return paging["next"]
    return None


def parse_next(url: str, endpoint: str) -> tuple[str, str, dict[str, Any]]:
    """Node, edge and query of a ``paging.next`` URL; its host is ignored (facebook-sdk
    does the same), and its access_token is dropped: the library adds its own."""
    parsed = urlparse(url)
    parts = [p for p in parsed.path.split("/") if p]
    if len(parts) < 3:
        raise MalformedResponse(f"paging.next {parsed.path!r} names no edge", endpoint)
    args = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
    args.pop("access_token", None)
    return parts[-2], parts[-1], args


# Meta's access token error subcodes: 463 the token expired; 458 the app was removed,
# 459/464 the person must log in to Facebook, 460 the password changed, 492 the person
# lost their role on the Page. Codes 10 and 200-299: a permission is missing.
EXPIRED_SUBCODES = frozenset({463})
REVOKED_SUBCODES = frozenset({458, 459, 460, 464, 492})


def credential_reason(code: int | None, subcode: object) -> str:
    """What a refused Graph call says about the token (collectors.errors' reasons)."""
    if code == 10 or (code is not None and 200 <= code <= 299):
        return NO_PERMISSION
    if subcode in EXPIRED_SUBCODES:
        return EXPIRED
    if subcode in REVOKED_SUBCODES:
        return REVOKED
    return REFUSED
