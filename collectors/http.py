"""The HTTP transports every platform library goes through: one for ``requests``, one for
``httpx``.

tweepy hard-codes ``https://api.twitter.com``; facebook-sdk builds its URLs from the
module constant ``facebook.FACEBOOK_GRAPH_URL``. Instead of patching either library (or
changing a module constant that every GraphAPI object in the process shares), each client
gets its own session with a :class:`PlatformAdapter` mounted on the platform's default host
(Mastodon.py gets one on its instance, without rewriting). The adapter

- rewrites the default host to the configured base URL (the real host, api.x.com, a
  corporate proxy, a simulated platform), per session, so two base URLs in one process
  never clash;
- bounds each request (see ``collectors.transport``): one deadline for connecting, waiting
  and reading the whole body (the libraries' own timeouts are per read, so a host that
  trickles its answer would hold a run forever), and a size limit on the body, read in
  chunks so that an oversized answer is never held whole;
- refuses a 2xx answer that cannot be the API's (HTML, an empty body, text);
- names every failure with the one classification of ``collectors.transport``;
- counts every request it sends, for the collection run's ``api_calls``;
- remembers the last response's status and headers (facebook-sdk hides them, and the
  Graph API reports throttling in ``x-app-usage`` / ``x-business-use-case-usage``).

atproto (Bluesky) uses httpx: :class:`BoundedTransport` does the same for an
``httpx.Client``; google-api-python-client (YouTube) uses httplib2: :class:`BoundedHttp`.
:func:`origin` and :func:`host_name` (from ``collectors.transport``) say which host a
request went to.
"""

from __future__ import annotations

import http.client
import io
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httplib2
import httpx
import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies, should_bypass_proxies
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from collectors.errors import TransientError
from collectors.redact import scrub
from collectors.transport import (
    CHUNK_BYTES,
    MAX_REDIRECTS,
    Deadline,
    Limits,
    Progress,
    Service,
    SocketRegistry,
    TransportFailure,
    closed_early,
    declared_length,
    failure_of,
    host_name,
    origin,
    read_limited,
    sniff_answer,
    timed_out,
    too_large,
)


def _pool_classes(sockets: SocketRegistry) -> dict[str, type[HTTPConnectionPool]]:
    """urllib3 pool classes whose connections register their sockets in ``sockets``."""

    class Connection(HTTPConnection):
        def connect(self) -> None:
            super().connect()
            sockets.add(self.sock)

    class SecureConnection(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            sockets.add(self.sock)

    class Pool(HTTPConnectionPool):
        ConnectionCls = Connection

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = SecureConnection

    return {"http": Pool, "https": SecurePool}


class PlatformAdapter(HTTPAdapter):
    def __init__(
        self,
        default_base: str,
        base_url: str,
        limits: Limits,
        service: Service,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        self.sockets = SocketRegistry()  # before HTTPAdapter builds its pool manager
        super().__init__()
        self.default_base = default_base.rstrip("/")
        self.base_url = base_url.rstrip("/")
        self.limits = limits
        self.service = service
        self.on_request = on_request
        self.requests_sent = 0
        self.last_status: int | None = None
        self.last_headers: Mapping[str, str] = {}
        # The first byte of the last body that is not white space: "{" for a JSON object,
        # "[" for a list (Mastodon.py turns an object into a list of its keys).
        self.last_opening = b""
        self.last_refusal = b""
        self._direct: bool | None = None

    def _reached_directly(self, url: str) -> bool:
        # Asked once: the answer is the base URL's host's, and reading NO_PROXY scans the
        # whole environment (see read_environment_once).
        if self._direct is None:
            self._direct = bool(should_bypass_proxies(url, no_proxy=None))
        return self._direct

    @property
    def timeout(self) -> float:
        return self.limits.deadline_seconds

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.sockets)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = _pool_classes(self.sockets)
        return manager

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
            if proxies and self._reached_directly(request.url):
                proxies = {}
        self.requests_sent += 1
        if self.on_request is not None:
            self.on_request()
        host = host_name(origin(request.url or url))
        seconds = self.limits.deadline_seconds
        progress: Progress | None = None
        with Deadline(seconds, self.sockets) as deadline:
            try:
                # The library's own timeout (per read) gives way to the deadline (in all).
                response = super().send(request, stream=True, timeout=(seconds, seconds),
                                        verify=verify, cert=cert, proxies=proxies)  # fmt: skip
                self.last_status = response.status_code
                self.last_headers = response.headers
                declared = declared_length(response.headers)
                if declared is not None and declared > self.limits.max_bytes:
                    response.close()
                    raise too_large(host, self.limits.max_bytes, declared)
                progress = Progress()
                chunks = response.raw.stream(CHUNK_BYTES, decode_content=True)
                body = read_limited(progress.count(chunks), self.limits.max_bytes, host)
                response.raw.release_conn()
            except TransportFailure:
                raise
            except Exception as exc:
                received = progress.received if progress is not None else None
                if deadline.finish():
                    raise timed_out(host, seconds, received) from exc
                failure = failure_of(exc, host, seconds, received)
                if failure is None:
                    raise
                raise failure from exc
            if deadline.finish():
                # A body read "until the server closes" ends quietly when the deadline
                # shuts the socket: it is incomplete all the same.
                raise timed_out(host, seconds, len(body))
        # The libraries read .content/.json() from this: the body as it was decoded.
        response.raw = io.BytesIO(body)
        self.last_opening = body[:64].lstrip()[:1]
        # The start of a refusal's body: some libraries drop the platform's explanation
        # (Mastodon.py casts an error body to the type the call expected, losing "error").
        self.last_refusal = body[:1000] if response.status_code >= 400 else b""
        failure = sniff_answer(response.status_code, response.headers.get("content-type"),
                               body, host, self.service)  # fmt: skip
        if failure is not None:
            raise failure
        return response


def mount(
    session: requests.Session,
    default_base: str,
    base_url: str,
    limits: Limits,
    service: Service,
    on_request: Callable[[], None] | None = None,
) -> PlatformAdapter:
    """Mount a PlatformAdapter for ``default_base`` on ``session`` and return it."""
    adapter = PlatformAdapter(default_base, base_url, limits, service, on_request)
    session.mount(adapter.default_base + "/", adapter)
    read_environment_once(session, adapter.default_base + "/")
    session.max_redirects = MAX_REDIRECTS
    return adapter


def read_environment_once(session: requests.Session, url: str) -> None:
    """Settle now what ``requests`` would read from the environment before every request.

    With ``trust_env`` (the default) a session looks up the proxies and the CA bundle in
    the environment for each request, and the proxy lookup goes through every environment
    variable twice. An installation that keeps its accounts' tokens in environment
    variables has thousands of them: with 3,000, that lookup took about 6 ms of CPU per
    request (bench/collection_cost.py). A platform client's session talks to its
    platform's host (``url``) only, so the environment is read once, for that host, with
    requests' own functions and precedence (the environment's proxies before the session's,
    the CA bundle of REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE). ``.netrc`` is no longer
    consulted: the platform libraries send their own credentials.
    """
    if not session.trust_env:
        return
    session.proxies.update(get_environ_proxies(url, no_proxy=session.proxies.get("no_proxy")))
    if session.verify is True:
        session.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
    session.trust_env = False


class BoundedTransport(httpx.BaseTransport):
    """An httpx transport with the same bounds and classification as PlatformAdapter.

    The sockets are learnt from httpcore's documented ``trace`` request extension (the
    events of opening a connection and of starting TLS on it).
    """

    def __init__(self, limits: Limits, service: Service) -> None:
        self.limits = limits
        self.service = service
        self.sockets = SocketRegistry()
        self._inner = httpx.HTTPTransport()

    def _trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            if stream is not None:
                self.sockets.add(stream.get_extra_info("socket"))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.extensions = {**request.extensions, "trace": self._trace}
        host = host_name(origin(str(request.url)))
        seconds = self.limits.deadline_seconds
        progress: Progress | None = None
        with Deadline(seconds, self.sockets) as deadline:
            try:
                answer = self._inner.handle_request(request)
                declared = declared_length(answer.headers)
                if declared is not None and declared > self.limits.max_bytes:
                    answer.close()
                    raise too_large(host, self.limits.max_bytes, declared)
                # Decoded (gzip and the like) before counting: the limit is on memory.
                decoding = httpx.Response(answer.status_code, headers=answer.headers,
                                          stream=answer.stream, request=request)  # fmt: skip
                progress = Progress()
                chunks = _closing(decoding.iter_bytes(CHUNK_BYTES), decoding)
                body = read_limited(progress.count(chunks), self.limits.max_bytes, host)
            except TransportFailure:
                raise
            except Exception as exc:
                received = progress.received if progress is not None else None
                if deadline.finish():
                    raise timed_out(host, seconds, received) from exc
                failure = failure_of(exc, host, seconds, received)
                if failure is None:
                    raise
                raise failure from exc
            if deadline.finish():
                raise timed_out(host, seconds, len(body))
        failure = sniff_answer(answer.status_code, answer.headers.get("content-type"), body,
                               host, self.service)  # fmt: skip
        if failure is not None:
            raise failure
        headers = [(name, value) for name, value in answer.headers.multi_items()
                   if name.lower() not in ("content-encoding", "content-length",
                                           "transfer-encoding")]  # fmt: skip
        return httpx.Response(answer.status_code, headers=headers, content=body,
                              extensions=answer.extensions, request=request)  # fmt: skip

    def close(self) -> None:
        self._inner.close()


def _closing(chunks: Iterator[bytes], response: httpx.Response) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        response.close()


def _limited_response(max_bytes: int, host: str) -> type[http.client.HTTPResponse]:
    """An http.client response class whose whole-body read stops at ``max_bytes`` and
    tells a body cut off (http.client's reads in parts end quietly there)."""

    class LimitedResponse(http.client.HTTPResponse):
        def read(self, amt: int | None = None) -> bytes:
            if amt is not None:
                return super().read(amt)
            if self.length is not None and self.length > max_bytes:
                declared = self.length
                self.close()
                raise too_large(host, max_bytes, declared)
            parts: list[bytes] = []
            size = 0
            while True:
                try:
                    chunk = super().read(CHUNK_BYTES)
                except http.client.IncompleteRead as exc:
                    raise closed_early(host, size + len(exc.partial)) from exc
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    self.close()
                    raise too_large(host, max_bytes)
                parts.append(chunk)
            if self.length:  # announced bytes that never came
                raise closed_early(host, size)
            return b"".join(parts)

    return LimitedResponse


def _connection_types(
    sockets: SocketRegistry, max_bytes: int, host: str
) -> dict[str, type[http.client.HTTPConnection]]:
    """httplib2 connection classes that register their sockets, limit their bodies, and
    name a connection closed before any answer.

    httplib2 sends a request once more by itself when the connection closes without an
    answer (meant for a kept-alive connection gone stale); that is a retry outside the one
    retry policy, so it is a cut-off instead, retried by the policy on a new connection.
    """
    response = _limited_response(max_bytes, host)

    class Bounded(http.client.HTTPConnection):
        response_class = response

        def connect(self) -> None:
            super().connect()
            sockets.add(self.sock)

        def getresponse(self) -> http.client.HTTPResponse:
            try:
                return super().getresponse()
            except http.client.BadStatusLine as exc:  # RemoteDisconnected too
                self.close()
                raise closed_early(host, None) from exc

    class Connection(Bounded, httplib2.HTTPConnectionWithTimeout):
        pass

    class SecureConnection(Bounded, httplib2.HTTPSConnectionWithTimeout):
        pass

    return {"http": Connection, "https": SecureConnection}


class BoundedHttp(httplib2.Http):
    """httplib2 with the bounds and the classification of :class:`PlatformAdapter`.

    Each call of :meth:`request` (a redirect hop too) is counted; the deadline covers the
    whole call, redirects included. httplib2 follows at most ``MAX_REDIRECTS`` redirects.
    The size limit is on the body as sent (httplib2 decompresses afterwards).
    """

    def __init__(
        self, limits: Limits, service: Service, on_request: Callable[[], None] | None = None
    ) -> None:
        super().__init__(timeout=limits.deadline_seconds)
        self.limits = limits
        self.service = service
        self.on_request = on_request
        self.sockets = SocketRegistry()
        self._deadline: Deadline | None = None

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if self.on_request is not None:
            self.on_request()
        host = host_name(origin(uri))
        kwargs.setdefault("redirections", MAX_REDIRECTS)
        kwargs.setdefault("connection_type", None)
        if kwargs["connection_type"] is None:
            scheme = uri.partition(":")[0].lower()
            kwargs["connection_type"] = _connection_types(
                self.sockets, self.limits.max_bytes, host
            ).get(scheme)
        if self._deadline is not None:  # a redirect hop, inside the first call's deadline
            return super().request(uri, method, *args, **kwargs)
        seconds = self.limits.deadline_seconds
        with Deadline(seconds, self.sockets) as deadline:
            self._deadline = deadline
            try:
                response, content = super().request(uri, method, *args, **kwargs)
            except Exception as exc:
                # The connection may be half-read or closed by the host: the next request
                # (a retry) starts on a new one.
                for connection in self.connections.values():
                    connection.close()
                if deadline.finish():
                    # Whatever the read saw, it was the deadline that ended it.
                    raise timed_out(host, seconds) from exc
                if isinstance(exc, TransportFailure):
                    raise
                failure = failure_of(exc, host, seconds)
                if failure is None:
                    raise
                raise failure from exc
            finally:
                self._deadline = None
            if deadline.finish():
                raise timed_out(host, seconds, len(content))
        failure = sniff_answer(response.status, response.get("content-type"), content, host,
                               self.service)  # fmt: skip
        if failure is not None:
            raise failure
        return response, content


def describe(exc: BaseException) -> str:
    """A network exception in words, without anything secret."""
    return f"{type(exc).__name__}: {scrub(str(exc))}"


def unreachable(detail: str, endpoint: str, base_url: str) -> TransientError:
    """A request to ``base_url`` that got no answer (refused, reset, DNS, timeout)."""
    return TransientError(detail, endpoint, answered=False, origin=origin(base_url))
