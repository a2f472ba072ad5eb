"""Session tokens of the simulated Bluesky PDS.

A PDS answers ``createSession`` (handle + app password) with two JWTs signed with its own
secret (HS256): an access token (scope ``com.atproto.appPass``, two hours) and a refresh token
(scope ``com.atproto.refresh``, 90 days). The atproto client reads ``exp`` from the access
token and refreshes a quarter of an hour before it runs out, so the times here are real
clock times, not the world's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

ACCESS_SCOPE = "com.atproto.appPass"
REFRESH_SCOPE = "com.atproto.refresh"


class TokenRejected(Exception):
    """A bearer token the PDS does not take; ``expired`` tells the two XRPC errors apart."""

    def __init__(self, message: str, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class Tokens:
    access_jwt: str
    refresh_jwt: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionIssuer:
    """Signs and checks the JWTs of one server; a restarted server forgets its sessions."""

    def __init__(
        self,
        audience: str,
        access_lifetime: timedelta = timedelta(hours=2),
        refresh_lifetime: timedelta = timedelta(days=90),
    ) -> None:
        self.audience = audience
        self.access_lifetime = access_lifetime
        self.refresh_lifetime = refresh_lifetime
        self._secret = secrets.token_bytes(32)

    def issue(self, did: str) -> Tokens:
        now = int(time.time())
        access = self._sign(
            {"typ": "at+jwt", "alg": "HS256"},
            {
                "scope": ACCESS_SCOPE,
                "sub": did,
                "iat": now,
                "exp": now + int(self.access_lifetime.total_seconds()),
                "aud": self.audience,
            },
        )
        refresh = self._sign(
            {"typ": "refresh+jwt", "alg": "HS256"},
            {
                "scope": REFRESH_SCOPE,
                "sub": did,
                "aud": self.audience,
                "jti": _b64(secrets.token_bytes(24)),
                "iat": now,
                "exp": now + int(self.refresh_lifetime.total_seconds()),
            },
        )
        return Tokens(access, refresh)

    def subject(self, token: str, scope: str) -> str:
        """The DID a valid token of ``scope`` was issued to; raises TokenRejected."""
        try:
            header, payload, signature = token.split(".")
            expected = hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256)
            if not hmac.compare_digest(_unb64(signature), expected.digest()):
                raise TokenRejected("Token could not be verified")
            claims = json.loads(_unb64(payload))
        except (ValueError, UnicodeDecodeError) as exc:
            raise TokenRejected("Token could not be verified") from exc
        if claims.get("scope") != scope:
            raise TokenRejected("Invalid token type")
        if int(claims.get("exp", 0)) <= time.time():
            raise TokenRejected("Token has expired", expired=True)
        return str(claims["sub"])

    def _sign(self, header: dict[str, str], claims: dict[str, object]) -> str:
        signing_input = (
            _b64(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"
