"""Response headers that keep the dashboard's pages to themselves.

The Content-Security-Policy allows scripts only from this server (Dash serves its own
files from the installed packages) plus the hashes of Dash's few inline scripts, so an
injected ``<script>`` would not run even if one slipped through. Plotly adds ``<style>``
elements at run time, hence ``style-src 'unsafe-inline'``.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import Flask, Response, request

from dashboard.static_files import is_static_path


def content_security_policy(script_hashes: Sequence[str]) -> str:
    # Dash gives the hashes already quoted: 'sha256-…'
    scripts = " ".join(["'self'", *script_hashes])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def install(server: Flask, script_hashes: Sequence[str]) -> None:
    policy = content_security_policy(script_hashes)

    def add_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        # Pages and callback answers hold a client's data: never keep them in a cache.
        if not is_static_path(request.path):
            headers["Cache-Control"] = "no-store"
        return response

    server.after_request(add_headers)
