"""What any request must look like before anything of ours reads it.

No address or form of the dashboard has a NUL character, and PostgreSQL refuses to store
or compare text holding one (a user name typed with one would end in a 500): a request
with a NUL in its path, query or form is answered 400 before the login gate.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, request


def _has_nul(texts: Iterable[str]) -> bool:
    return any("\x00" in text for text in texts)


def _nul_anywhere() -> bool:
    if "\x00" in request.path:
        return True
    if _has_nul(part for pair in request.args.items(multi=True) for part in pair):
        return True
    return request.method == "POST" and _has_nul(
        part for pair in request.form.items(multi=True) for part in pair
    )


def refuse_nul() -> Response | None:
    if _nul_anywhere():
        return Response(
            "the request contains a NUL character (%00); no address or form here has one",
            status=400,
            mimetype="text/plain",
        )
    return None


def install(server: Flask) -> None:
    """Register before the login gate (the first hook runs first)."""
    server.before_request(refuse_nul)
