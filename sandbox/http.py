"""The HTTP machinery shared by the simulated platforms.

A :class:`SandboxServer` listens on 127.0.0.1 (a free port by default), keeps a log of
every call, and can be told to misbehave (:class:`Fault`): answer a route with a status
(429 with reset headers, 500, 401; any body, an HTML page too), with a malformed body,
slowly (a timeout), by dropping the connection, with its normal answer under damaged
headers (``kind="headers"``: a proxy that rewrites ``Date`` or the rate-limit headers, or
strips them; a header set to None is left out), one byte at a time (``"trickle"``: a
host that never times out by the clock of each read), cut off half-way (``"cut_off"``),
with an endless body of ``size`` bytes (``"oversized"``, streamed, never held whole), or
with a redirect to itself (``"redirect_loop"``). Platform servers subclass it and
implement :meth:`SandboxServer.route`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from sandbox.clock import SandboxClock

if TYPE_CHECKING:
    from sandbox.generator.demo import DemoActivity


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def form(self) -> dict[str, list[str]]:
        """Query and url-encoded body together (Graph and Mastodon accept both)."""
        merged = {key: list(values) for key, values in self.query.items()}
        if self.body and "json" not in self.headers.get("content-type", ""):
            for key, values in parse_qs(self.body.decode("utf-8", "replace")).items():
                merged.setdefault(key, []).extend(values)
        return merged

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    @property
    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[7:] if value.lower().startswith("bearer ") else None


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if self.body is None:
            return b""
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    at: float  # the server's time (Unix seconds)


@dataclass
class Fault:
    """One planned misbehaviour for requests whose path matches ``path`` (a regex)."""

    path: str
    # status, malformed, slow, drop, headers, trickle, cut_off, oversized, redirect_loop
    kind: str = "status"
    status: int = 500
    times: int = 1  # how many matching requests it affects; -1 = all
    body: Any = None
    # status: headers added to the answer; headers: replace the answer's (None removes one)
    headers: dict[str, str | None] = field(default_factory=dict)
    reset_in: float = 0.0  # for 429: seconds of the server's time until the window resets
    delay: float = 0.0  # slow: seconds before answering; trickle: seconds between bytes
    skip: int = 0  # let this many matching requests through first
    size: int = 0  # oversized: bytes of body
    announce_length: bool = True  # oversized: send Content-Length (else: until closed)
    # trickle, cut_off, oversized: bytes written before the client hung up or it ended
    sent: int = 0


class SandboxServer:
    """A threaded local HTTP server speaking one platform's wire format.

    Its time is ``now`` (its clock, or the world's it renders): the ``Date`` header, reset
    times and the call log use it, as a real platform uses its own clock, not the caller's.
    """

    platform = "generic"

    @classmethod
    def for_activity(cls, activity: DemoActivity, host: str = "127.0.0.1") -> SandboxServer:
        """A server rendering the generated worlds of ``activity`` that it speaks for, with
        rate budgets generous enough to collect months of history in one go (the demo).
        The platform registry names each platform's server class; the demo starts them
        through here."""
        raise NotImplementedError(f"{cls.__name__} cannot serve a generated activity")

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, clock: SandboxClock | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.clock = clock
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def now(self) -> datetime:
        if self.clock is None:
            raise RuntimeError(f"the {self.platform} server was started without a clock")
        return self.clock.now()

    def start(self) -> SandboxServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle's algorithm the second one
            # waits for the client's delayed ACK, 40 ms per call on a kept-alive connection.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the call log replaces access logging

            def date_time_string(self, timestamp: float | None = None) -> str:
                # The Date header is the platform's clock; Mastodon.py moves reset times
                # onto the caller's clock by it.
                return formatdate(server.now.timestamp(), usegmt=True)

            def _serve(self) -> None:
                server._dispatch(self)

            do_GET = do_POST = do_DELETE = do_PUT = _serve

        self._httpd = ThreadingHTTPServer((self.host, self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        # A short poll interval makes stop() return in milliseconds instead of half a second.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sandbox-{self.platform}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- misbehaviour and inspection ------------------------------------------------

    def inject(self, path: str, **options: Any) -> Fault:
        fault = Fault(path=path, **options)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def calls_to(self, pattern: str) -> list[Call]:
        regex = re.compile(pattern)
        with self._lock:
            return [call for call in self.calls if regex.search(call.path)]

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    # --- the platform's part ----------------------------------------------------------

    def route(self, request: Request) -> Response:
        raise NotImplementedError

    def rate_limit_headers(self, request: Request, reset_at: float | None) -> dict[str, str]:
        """Headers every response carries; platforms that send rate-limit headers override."""
        return {}

    def malformed_body(self, request: Request) -> Any:
        """What a 'malformed' fault sends: by default JSON cut off in the middle."""
        return b'{"data": [{"id": "1", "text": '

    # --- plumbing ---------------------------------------------------------------------

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times == 0 or not re.search(fault.path, path):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                if fault.times > 0:
                    fault.times -= 1
                return fault
        return None

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        request = Request(
            method=handler.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=handler.rfile.read(length) if length else b"",
        )
        fault = self._take_fault(request.path)
        response: Response | None
        if fault is not None and fault.kind == "drop":
            self._log(request, 0)
            handler.close_connection = True
            handler.connection.close()
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay)
        if fault is not None and fault.kind == "oversized":
            self._log(request, 200)
            self._send_oversized(handler, fault)
            return
        if fault is not None and fault.kind == "redirect_loop":
            self._log(request, 302)
            handler.send_response_only(302)
            handler.send_header("Location", handler.path)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if fault is not None and fault.kind == "status":
            reset_at = self.now.timestamp() + fault.reset_in if fault.status == 429 else None
            response = Response(
                status=fault.status,
                body=fault.body if fault.body is not None else self.error_body(fault.status),
                headers={
                    **self.rate_limit_headers(request, reset_at),
                    **{k: v for k, v in fault.headers.items() if v is not None},
                },
            )
        elif fault is not None and fault.kind == "malformed":
            response = Response(
                status=200,
                body=self.malformed_body(request),
                headers=self.rate_limit_headers(request, None),
            )
        else:
            try:
                response = self.route(request)
            except Exception as exc:  # a bug in a simulated server must be visible
                response = Response(status=500, body={"error": f"sandbox bug: {exc!r}"})
            response.headers = {**self.rate_limit_headers(request, None), **response.headers}
        self._log(request, response.status)
        payload = response.encoded()
        try:
            headers = {
                "Server": handler.version_string(),
                "Date": handler.date_time_string(),
                "Content-Type": "application/json; charset=UTF-8",
                **response.headers,
            }
            if fault is not None and fault.kind == "headers":
                headers = _damaged(headers, fault.headers)
            if fault is not None and fault.kind in ("trickle", "cut_off"):
                self._send_damaged(handler, fault, response.status, headers, payload)
                return
            # send_response() without its fixed Date header: a fault may damage or drop it.
            handler.send_response_only(response.status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            if request.method != "HEAD":
                handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a timeout, a killed collector): nobody to answer.
            handler.close_connection = True

    def _send_damaged(
        self,
        handler: BaseHTTPRequestHandler,
        fault: Fault,
        status: int,
        headers: dict[str, str],
        payload: bytes,
    ) -> None:
        """The whole answer one byte per ``fault.delay`` seconds (trickle), or its head and
        half the body, then the connection closed (cut_off)."""
        lines = [f"HTTP/1.1 {status} {handler.responses.get(status, ('',))[0]}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines += [f"Content-Length: {len(payload)}", "", ""]
        answer = "\r\n".join(lines).encode("latin-1") + payload
        handler.close_connection = True
        if fault.kind == "cut_off":
            handler.wfile.write(answer[: len(answer) - len(payload) // 2 - 1])
            handler.wfile.flush()
            fault.sent = len(answer) - len(payload) // 2 - 1
            return
        for index in range(len(answer)):
            handler.wfile.write(answer[index : index + 1])
            handler.wfile.flush()
            fault.sent = index + 1
            time.sleep(fault.delay)

    def _send_oversized(self, handler: BaseHTTPRequestHandler, fault: Fault) -> None:
        """A JSON body of ``fault.size`` bytes (spaces inside a list), in chunks."""
        head, tail = b'{"data": [', b"]}"
        filler = fault.size - len(head) - len(tail)
        handler.close_connection = True
        try:
            handler.send_response_only(200)
            handler.send_header("Content-Type", "application/json; charset=UTF-8")
            if fault.announce_length:
                handler.send_header("Content-Length", str(fault.size))
            handler.end_headers()
            handler.wfile.write(head)
            fault.sent = len(head)
            chunk = b" " * 65536
            while filler > 0:
                part = chunk[: min(filler, len(chunk))]
                handler.wfile.write(part)
                filler -= len(part)
                fault.sent += len(part)
            handler.wfile.write(tail)
            fault.sent += len(tail)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what this fault is for

    def error_body(self, status: int) -> Any:
        return {"title": "Error", "status": status, "detail": f"simulated status {status}"}

    def _log(self, request: Request, status: int) -> None:
        with self._lock:
            self.calls.append(
                Call(request.method, request.path, request.query, status, self.now.timestamp())
            )


def _damaged(headers: dict[str, str], changes: dict[str, str | None]) -> dict[str, str]:
    """``headers`` with ``changes`` applied, names compared case-insensitively."""
    lowered = {name.lower() for name in changes}
    kept = {name: value for name, value in headers.items() if name.lower() not in lowered}
    kept.update({name: value for name, value in changes.items() if value is not None})
    return kept
