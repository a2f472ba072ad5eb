"""What can go wrong between replywatch and a platform's host, in one classification.

Every platform's client (tweepy, facebook-sdk and Mastodon.py on ``requests``, atproto on
``httpx``, google-api-python-client on ``httplib2``) reaches its host through the
transports in ``collectors.http``, which bound each request and name what went wrong with
one of these :class:`Fault` kinds:

==================  ==================================================  ============  ========
fault               what happened                                       retried       answered
==================  ==================================================  ============  ========
``timeout``         no complete answer within the request's deadline    yes           no
                    (connecting, waiting and reading the whole body:
                    a host that trickles its answer times out too)
``refused``         no connection: refused, name not found, TLS failed  yes           no
``cut off``         the connection closed before the answer was whole   yes           *
``redirect loop``   more than ``MAX_REDIRECTS`` redirects               no            yes
``too large``       the body passed the size limit; reading stopped     no            yes
``not JSON``        a 2xx answer that is no API answer: HTML (a         no            yes
                    captive portal, a web server), an empty body, text,
                    JSON of another shape
``4xx``             the request was refused (401/403: credentials)      no            yes
``5xx``             the server failed                                   yes           yes
``429``             rate limited: the run stops and resumes after the   no            yes
                    reset (each client reads the platform's reset)
==================  ==================================================  ============  ========

\\* "answered" is False when the connection closed before any answer came back.

One retry policy follows from it (``collectors.contract.RetryPolicy``, applied by
``RunContext.call``): the retried kinds become :class:`~collectors.errors.TransientError`,
the others end the call at once. A run whose last request got no answer at any attempt
names the host as unreachable, and ``replywatch collect`` skips the other accounts on it.

The texts say what the host did, in words, never with the request URL (it can carry a
token); the runner puts the endpoint and the part of the run in front.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import socket
import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import httplib2
import httpx
import requests
import urllib3.exceptions

from collectors.errors import CollectionError, CredentialsRejected, TransientError, UnusableAnswer
from collectors.redact import scrub

MAX_REDIRECTS = 5  # an API answers where it is asked; a longer chain is a loop
MEGABYTE = 1024 * 1024
DEFAULT_DEADLINE_SECONDS = 30.0
DEFAULT_MAX_BYTES = 32 * MEGABYTE
CHUNK_BYTES = 64 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}


class Fault(StrEnum):
    TIMEOUT = "timeout"
    REFUSED = "refused"
    CUT_OFF = "cut off"
    REDIRECT_LOOP = "redirect loop"
    TOO_LARGE = "too large"
    NOT_JSON = "not JSON"
    CLIENT_ERROR = "4xx"
    SERVER_ERROR = "5xx"
    RATE_LIMITED = "429"


RETRIED = frozenset({Fault.TIMEOUT, Fault.REFUSED, Fault.CUT_OFF, Fault.SERVER_ERROR})


@dataclass(frozen=True)
class Limits:
    """What one request may take: ``deadline_seconds`` in all (connecting, waiting for the
    answer, reading the whole body) and ``max_bytes`` of body."""

    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """From ``collect.request_timeout`` and ``collect.max_response_mb``."""
        return cls(
            deadline_seconds=float(settings.get("collect.request_timeout")),
            max_bytes=int(settings.get("collect.max_response_mb")) * MEGABYTE,
        )


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Service:
    """Whose API a base URL should be, for messages: ``Service("the X API",
    "platforms.x.api_url")`` gives "… answered HTML, not the X API: is platforms.x.api_url
    right?"."""

    api: str
    setting: str

    def not_the_api(self, host: str, what: str) -> str:
        return f"{host} answered {what}, not {self.api}: is {self.setting} right?"


class TransportFailure(Exception):
    """A request that failed on the way; raised by the transports of ``collectors.http``.

    It passes through the platform libraries (some wrap it; :func:`classify` finds it in
    the chain) to the client, which turns it into a :mod:`collectors.errors` error with
    :func:`to_error`.
    """

    def __init__(self, fault: Fault, detail: str, *, answered: bool = True) -> None:
        super().__init__(detail)
        self.fault = fault
        self.detail = detail
        self.answered = answered


def to_error(failure: TransportFailure, endpoint: str, origin: str) -> CollectionError:
    """The collection error for a transport failure at ``endpoint`` on ``origin``."""
    if failure.fault in RETRIED:
        return TransientError(
            failure.detail, endpoint, answered=failure.answered, origin=origin, fault=failure.fault
        )
    if failure.fault is Fault.CLIENT_ERROR and failure.detail.startswith(("HTTP 401", "HTTP 403")):
        return CredentialsRejected(failure.detail, endpoint)
    return UnusableAnswer(failure.detail, endpoint, fault=failure.fault)


def status_fault(status: int) -> Fault | None:
    """The fault an HTTP status stands for (None for a success or a redirect)."""
    if status == 429:
        return Fault.RATE_LIMITED
    if status >= 500:
        return Fault.SERVER_ERROR
    if status >= 400:
        return Fault.CLIENT_ERROR
    return None


# --- the deadline: a watchdog that closes the request's sockets -------------------------


class SocketRegistry:
    """The sockets one client's connections use (weakly held).

    One client sends one request at a time (a run is one thread), so when that request's
    deadline passes, shutting its client's sockets down ends exactly that request: a
    blocked read returns at once, whichever library waits in it.
    """

    def __init__(self) -> None:
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._lock = threading.Lock()

    def add(self, sock: socket.socket | None) -> None:
        if sock is not None:
            with self._lock:
                self._sockets.add(sock)

    def shut_down(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            # Closed already, or never connected: nothing to wake up.
            with contextlib.suppress(OSError):
                # The plain socket's shutdown, also for a TLS socket: it wakes up a read
                # blocked in another thread without touching the TLS object's state.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Deadline:
    """``with Deadline(seconds, sockets) as deadline:`` around one request.

    When the time is up before :meth:`finish`, the sockets are shut down; the library's
    read fails or ends early, and :attr:`expired` tells the transport that it was the
    deadline, not the server, that ended it.
    """

    def __init__(self, seconds: float, sockets: SocketRegistry) -> None:
        self.seconds = seconds
        self._sockets = sockets
        self._lock = threading.Lock()
        self._expired = False
        self._finished = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.finish()

    def _expire(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._expired = True
        self._sockets.shut_down()

    def finish(self) -> bool:
        """Stop the watchdog; True when the deadline had passed before."""
        with self._lock:
            self._finished = True
        self._timer.cancel()
        return self._expired

    @property
    def expired(self) -> bool:
        with self._lock:
            return self._expired


def timed_out(host: str, seconds: float, received: int | None = None) -> TransportFailure:
    if received:
        detail = f"{host} did not finish its answer within {seconds:g} s ({received} bytes came)"
    else:
        detail = f"{host} did not answer within {seconds:g} s"
    return TransportFailure(Fault.TIMEOUT, detail, answered=False)


# --- reading a body within the limits -----------------------------------------------------


def declared_length(headers: Any) -> int | None:
    value = headers.get("content-length") if headers is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def too_large(host: str, max_bytes: int, declared: int | None = None) -> TransportFailure:
    size = f" ({declared / MEGABYTE:.0f} MB announced)" if declared else ""
    return TransportFailure(
        Fault.TOO_LARGE,
        f"{host} sent an answer larger than {max_bytes / MEGABYTE:g} MB{size}; reading stopped "
        "(collect.max_response_mb)",
    )


def read_limited(chunks: Iterable[bytes], max_bytes: int, host: str) -> bytes:
    """The whole body from ``chunks``; TOO_LARGE as soon as it passes ``max_bytes``."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_bytes:
            raise too_large(host, max_bytes)
        parts.append(chunk)
    return b"".join(parts)


class Progress:
    """Counts what arrived of a body, for the messages of a deadline or a cut-off."""

    def __init__(self) -> None:
        self.received = 0

    def count(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.received += len(chunk)
            yield chunk


# --- answers that are no API answer ------------------------------------------------------


def sniff_answer(
    status: int, content_type: str | None, body: bytes, host: str, service: Service
) -> TransportFailure | None:
    """NOT_JSON for a 2xx body that cannot be an API answer: empty, HTML, other text.

    A body that starts like JSON passes, even when it does not parse (a damaged page of
    the platform's own, which the collector records as a problem of its section).
    """
    if not 200 <= status < 300 or status == 204:
        return None
    start = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        return TransportFailure(Fault.NOT_JSON, service.not_the_api(host, "with an empty body"))
    if start[:1] in (b"{", b"["):
        return None
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml") or start[:1] == b"<":
        return TransportFailure(Fault.NOT_JSON, service.not_the_api(host, "HTML"))
    described = kind or "no content type"
    return TransportFailure(
        Fault.NOT_JSON, service.not_the_api(host, f"text that is not JSON ({described})")
    )


def wrong_json(service: Service, host: str, expected: str, endpoint: str) -> UnusableAnswer:
    """JSON of a shape the platform never answers (``expected`` says what it answers)."""
    return UnusableAnswer(
        service.not_the_api(host, f"JSON without {expected}"), endpoint, fault=Fault.NOT_JSON
    )


# --- exceptions of the HTTP libraries ------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what caused it: __cause__/__context__ and urllib3's wrapped reasons."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for linked in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(linked, BaseException):
                pending.append(linked)
        pending.extend(arg for arg in current.args if isinstance(arg, BaseException))


def no_connection(exc: BaseException, host: str) -> TransportFailure:
    """REFUSED, in words: what stopped the connection from being made."""
    reason = "could not connect"
    for cause in _chain(exc):
        if isinstance(cause, ConnectionRefusedError):
            reason = "connection refused"
            break
        if isinstance(cause, (socket.gaierror, httplib2.ServerNotFoundError)) or (
            type(cause).__name__ == "NameResolutionError"
        ):
            reason = "its name does not resolve"
            break
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            reason = "no route to it"
            break
        if isinstance(cause, (requests.exceptions.SSLError, urllib3.exceptions.SSLError)):
            reason = f"TLS failed ({scrub(str(cause))[:160]})"
            break
    return TransportFailure(Fault.REFUSED, f"{host} did not answer: {reason}", answered=False)


def closed_early(host: str, received: int | None) -> TransportFailure:
    """CUT_OFF: the connection ended before the answer (or its body) was complete."""
    if received is None:
        return TransportFailure(
            Fault.CUT_OFF, f"{host} closed the connection without answering", answered=False
        )
    return TransportFailure(
        Fault.CUT_OFF, f"{host} cut its answer off after {received} bytes of the body"
    )


_REDIRECT_LOOPS = (
    requests.exceptions.TooManyRedirects,
    httpx.TooManyRedirects,
    httplib2.RedirectLimit,
)
# Order matters: urllib3's NewConnectionError is a ConnectTimeoutError, and requests'
# ConnectTimeout a ConnectionError; the most precise cause in the chain decides.
_NO_CONNECTION = (
    ConnectionRefusedError,
    socket.gaierror,
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.NameResolutionError,
    httplib2.ServerNotFoundError,
)
_TIMEOUTS = (
    requests.exceptions.Timeout,
    urllib3.exceptions.TimeoutError,
    httpx.TimeoutException,
    TimeoutError,
)
_CUT = (
    http.client.RemoteDisconnected,
    http.client.IncompleteRead,
    ConnectionResetError,
    BrokenPipeError,
    urllib3.exceptions.ProtocolError,
    requests.exceptions.ChunkedEncodingError,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    httpx.WriteError,
)
_CONNECT = (requests.exceptions.ConnectionError, httpx.ConnectError, httpx.ProxyError)


def redirect_loop(host: str) -> TransportFailure:
    return TransportFailure(
        Fault.REDIRECT_LOOP,
        f"{host} redirects in a loop (more than {MAX_REDIRECTS} redirects): is the API's "
        "base URL right?",
    )


def failure_of(
    exc: BaseException, host: str, seconds: float, received: int | None = None
) -> TransportFailure | None:
    """The transport failure an HTTP library's exception stands for, or None when it is
    none (a bug, an invalid URL). ``received``: bytes of the body read so far, None while
    no answer had come."""
    chain = list(_chain(exc))
    for cause in chain:
        if isinstance(cause, TransportFailure):
            return cause
    if any(isinstance(cause, _REDIRECT_LOOPS) for cause in chain):
        return redirect_loop(host)
    if any(isinstance(cause, _NO_CONNECTION) for cause in chain):
        return no_connection(exc, host)
    if any(isinstance(cause, _TIMEOUTS) for cause in chain):
        return timed_out(host, seconds, received)
    if any(isinstance(cause, _CUT) for cause in chain):
        return closed_early(host, received)
    if any(isinstance(cause, _CONNECT) for cause in chain):
        return no_connection(exc, host)
    return None


def translate(exc: BaseException, endpoint: str, origin_text: str) -> CollectionError | None:
    """What a client raises for a library's exception at ``endpoint`` on ``origin_text``:
    the collection error of the transport failure behind it, or None when there is none
    (the client lets the exception pass: a bug is not a fault of the host)."""
    failure = classify(exc, host_name(origin_text))
    return None if failure is None else to_error(failure, endpoint, origin_text)


def classify(exc: BaseException, host: str) -> TransportFailure | None:
    """The :class:`TransportFailure` behind an exception a platform library raised (it may
    wrap ours, as Mastodon.py does), or a redirect loop its session detected above the
    transport (``host`` is named in its message)."""
    for cause in _chain(exc):
        if isinstance(cause, TransportFailure):
            return cause
    if any(isinstance(cause, _REDIRECT_LOOPS) for cause in _chain(exc)):
        return redirect_loop(host)
    return None


# --- where a request went -------------------------------------------------------------------


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
