"""One requests adapter for every platform library that uses a ``requests.Session``.

tweepy hard-codes ``https://api.twitter.com``; facebook-sdk builds its URLs from the
module constant ``facebook.FACEBOOK_GRAPH_URL``. Instead of patching either library (or
changing a module constant that every GraphAPI object in the process shares), each client
gets its own session with this adapter mounted on the platform's default host. The adapter

- rewrites the default host to the configured base URL (the real host, api.x.com, a
  corporate proxy, a simulated platform), per session, so two base URLs in one process
  never clash;
- applies the request timeout (tweepy has no timeout setting);
- counts every request it sends, for the collection run's ``api_calls``;
- remembers the last response's status and headers (facebook-sdk hides them, and the
  Graph API reports throttling in ``x-app-usage`` / ``x-business-use-case-usage``).

:func:`origin` and :func:`unreachable` are shared by every platform's client (the Bluesky
one uses httpx, not this adapter): they say which host gave no answer at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import should_bypass_proxies

from collectors.errors import TransientError
from collectors.redact import scrub

DEFAULT_PORTS = {"http": 80, "https": 443}


class PlatformAdapter(HTTPAdapter):
    def __init__(
        self,
        default_base: str,
        base_url: str,
        timeout: float,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.default_base = default_base.rstrip("/")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.on_request = on_request
        self.requests_sent = 0
        self.last_status: int | None = None
        self.last_headers: Mapping[str, str] = {}

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = request.url or ""
        if self.base_url != self.default_base and url.startswith(self.default_base):
            request.url = self.base_url + url[len(self.default_base) :]
            # Proxies were chosen for the default host; a local simulated platform or a
            # host in NO_PROXY must be reached directly.
            if proxies and should_bypass_proxies(request.url, no_proxy=None):
                proxies = {}
        self.requests_sent += 1
        if self.on_request is not None:
            self.on_request()
        response = super().send(
            request,
            stream=stream,
            timeout=timeout if timeout is not None else self.timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )
        self.last_status = response.status_code
        self.last_headers = response.headers
        return response


def mount(
    session: requests.Session,
    default_base: str,
    base_url: str,
    timeout: float,
    on_request: Callable[[], None] | None = None,
) -> PlatformAdapter:
    """Mount a PlatformAdapter for ``default_base`` on ``session`` and return it."""
    adapter = PlatformAdapter(default_base, base_url, timeout, on_request)
    session.mount(adapter.default_base + "/", adapter)
    return adapter


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, lower case, the port always spelled out: two base
    URLs are on the same host exactly when their origins are equal."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    port = parts.port or DEFAULT_PORTS.get(scheme)
    return f"{scheme}://{host}:{port}" if port else f"{scheme}://{host}"


def host_name(origin_text: str) -> str:
    """The host of an origin as people write it: ``api.x.com``, ``127.0.0.1:8080``."""
    scheme, _, rest = origin_text.partition("://")
    default = DEFAULT_PORTS.get(scheme)
    return rest.removesuffix(f":{default}") if default else rest


def describe(exc: BaseException) -> str:
    """A network exception in words, without anything secret."""
    return f"{type(exc).__name__}: {scrub(str(exc))}"


def unreachable(detail: str, endpoint: str, base_url: str) -> TransientError:
    """A request to ``base_url`` that got no answer (refused, reset, DNS, timeout)."""
    return TransientError(detail, endpoint, answered=False, origin=origin(base_url))
