"""The command line's one-shot callback listener on the loopback interface.

``replywatch account connect`` registers ``connect.cli_redirect_uri`` (http://127.0.0.1:PORT
/callback) with the platform and listens there for exactly one request to that path: the
browser coming back with ``code`` and ``state`` (or ``error``). The listener answers it with
a short page, stops, and hands the query to the connect flow, which checks the state. Any
other path (a browser asking for /favicon.ico) is answered 404 and does not count.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_PAGE = (
    b"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>replywatch</title>"
    b"</head><body><p>replywatch received the answer. You can close this tab and go back "
    b"to the command line.</p></body></html>"
)


class ListenerError(Exception):
    """The listener could not start, or nobody came back in time."""


def wait_for_callback(redirect_uri: str, timeout: float) -> dict[str, str]:
    """The query of the first request to ``redirect_uri``'s path within ``timeout``."""
    parts = urlsplit(redirect_uri)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    received: dict[str, str] = {}
    arrived = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            request = urlsplit(self.path)
            if request.path != path or arrived.is_set():
                self.send_error(404)
                return
            received.update({k: v[-1] for k, v in parse_qs(request.query).items()})
            arrived.set()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(_PAGE)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(_PAGE)

        def log_message(self, format: str, *args: object) -> None:
            return  # the query holds the code: never printed

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as exc:
        raise ListenerError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not arrived.wait(0.1):
            if time.monotonic() > deadline:
                raise ListenerError(
                    f"nobody came back to {redirect_uri} within {int(timeout)} seconds"
                )
    finally:
        server.shutdown()
        server.server_close()
    return received
