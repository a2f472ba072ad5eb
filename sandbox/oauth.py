"""What the simulated platforms' authorization servers share: codes, tokens, consent pages.

Each simulated platform that lets people connect an account through OAuth (Meta, X,
Mastodon, Google for YouTube) answers in its own wire format, but the bookkeeping is the
same everywhere and lives here:

- an :class:`Authorizations` book per server: authorization codes (single use, expiring
  after ten minutes of the server's clock, bound to the client, the redirect URI and a
  PKCE challenge when one was sent), access tokens with their end, refresh tokens that
  rotate (a used one is dead), and revocation;
- :func:`consent_page`: the HTML page a person sees at the platform, with a "signed in as"
  choice standing in for the platform's own login, the permissions asked for, and the
  approve and deny buttons (stable element ids for the browser tests);
- :func:`redirect`: the 302 back to the application's redirect URI.

Time is the server's (its sandbox clock): tests move it to let codes and tokens expire.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from sandbox.clock import SandboxClock
from sandbox.http import Request, Response

if TYPE_CHECKING:
    from sandbox.world import World

CODE_LIFETIME = timedelta(minutes=10)


class OAuthError(Exception):
    """An RFC 6749 error (``invalid_grant`` …); each platform words it its own way."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass
class ClientApp:
    """An application registered with the platform (its developer portal, or POST /apps)."""

    client_id: str
    client_secret: str | None = None  # None: a public client (PKCE only)
    redirect_uris: list[str] = field(default_factory=list)
    name: str = "replywatch"
    scopes: tuple[str, ...] = ()

    def check_redirect(self, redirect_uri: str) -> None:
        # Exact match, as X, Meta, Google and Mastodon compare registered redirect URIs.
        if redirect_uri not in self.redirect_uris:
            raise OAuthError(
                "invalid_request",
                f"redirect_uri {redirect_uri!r} is not registered for client {self.client_id}",
            )

    def check_secret(self, secret: str | None) -> None:
        if self.client_secret is not None and not (
            secret and secrets.compare_digest(secret, self.client_secret)
        ):
            raise OAuthError("invalid_client", "Client authentication failed")


@dataclass
class Grant:
    code: str
    client_id: str
    redirect_uri: str
    subject: str  # whose account: an actor id, or a Meta person's id
    scopes: tuple[str, ...]
    issued_at: datetime
    challenge: str | None = None
    used: bool = False


@dataclass
class Token:
    access_token: str
    subject: str
    client_id: str
    scopes: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime | None
    refresh_token: str | None = None
    revoked: bool = False
    extra: dict[str, str] = field(default_factory=dict)  # platform details (a Page id)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class Authorizations:
    """The codes and tokens of one simulated authorization server."""

    def __init__(self, clock: SandboxClock, code_lifetime: timedelta = CODE_LIFETIME) -> None:
        self.clock = clock
        self.code_lifetime = code_lifetime
        self._codes: dict[str, Grant] = {}
        self._tokens: dict[str, Token] = {}
        self._refresh: dict[str, Token] = {}
        self._dead_refresh: set[str] = set()
        self._lock = threading.Lock()
        self.refreshes = 0  # refresh grants answered successfully

    # --- codes ------------------------------------------------------------------------

    def issue_code(
        self,
        client_id: str,
        redirect_uri: str,
        subject: str,
        scopes: Sequence[str],
        challenge: str | None = None,
    ) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = Grant(
                code, client_id, redirect_uri, subject, tuple(scopes), self.clock.now(), challenge
            )
        return code

    def take_code(
        self, code: str, client_id: str, redirect_uri: str, verifier: str | None = None
    ) -> Grant:
        """The grant behind ``code``, used up; OAuthError names what is wrong."""
        with self._lock:
            grant = self._codes.get(code)
            if grant is None:
                raise OAuthError("invalid_grant", "unknown authorization code")
            if grant.used:
                raise OAuthError("invalid_grant", "authorization code already used")
            grant.used = True
        if self.clock.now() >= grant.issued_at + self.code_lifetime:
            raise OAuthError("invalid_grant", "authorization code expired")
        if grant.client_id != client_id:
            raise OAuthError("invalid_grant", "authorization code issued to another client")
        if grant.redirect_uri != redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri differs from the authorization")
        if grant.challenge is not None and (
            verifier is None or pkce_challenge(verifier) != grant.challenge
        ):
            raise OAuthError("invalid_grant", "code_verifier does not match the challenge")
        return grant

    # --- tokens -----------------------------------------------------------------------

    def issue_token(
        self,
        subject: str,
        client_id: str,
        scopes: Sequence[str],
        *,
        lifetime: timedelta | None,
        refreshable: bool = False,
        prefix: str = "",
        extra: dict[str, str] | None = None,
    ) -> Token:
        now = self.clock.now()
        token = Token(
            access_token=prefix + secrets.token_urlsafe(32),
            subject=subject,
            client_id=client_id,
            scopes=tuple(scopes),
            issued_at=now,
            expires_at=now + lifetime if lifetime is not None else None,
            refresh_token=secrets.token_urlsafe(32) if refreshable else None,
            extra=dict(extra or {}),
        )
        with self._lock:
            self._tokens[token.access_token] = token
            if token.refresh_token:
                self._refresh[token.refresh_token] = token
        return token

    def token(self, access_token: str | None) -> Token | None:
        """The token as issued (expired and revoked ones too); None if never issued."""
        if not access_token:
            return None
        with self._lock:
            return self._tokens.get(access_token)

    def valid(self, access_token: str | None) -> Token | None:
        found = self.token(access_token)
        if found is None or found.revoked or found.expired(self.clock.now()):
            return None
        return found

    def refresh(
        self,
        refresh_token: str,
        client_id: str,
        *,
        lifetime: timedelta | None,
        prefix: str = "",
        rotate: bool = True,
    ) -> Token:
        """A new access token. With ``rotate`` (X) a new refresh token too, and the old one
        dies; without (Google) the refresh token stays and serves again."""
        with self._lock:
            old = self._refresh.get(refresh_token)
            if old is None:
                reused = refresh_token in self._dead_refresh
                raise OAuthError(
                    "invalid_grant",
                    "refresh token already used" if reused else "unknown refresh token",
                )
            if old.revoked:
                raise OAuthError("invalid_grant", "the grant was revoked")
            if old.client_id != client_id:
                raise OAuthError("invalid_grant", "refresh token issued to another client")
            if rotate:
                del self._refresh[refresh_token]
                self._dead_refresh.add(refresh_token)
        fresh = self.issue_token(
            old.subject,
            client_id,
            old.scopes,
            lifetime=lifetime,
            refreshable=rotate,
            prefix=prefix,
            extra=old.extra,
        )
        with self._lock:
            if not rotate:
                # The refresh token stays; revoking the grant reaches it through this token.
                fresh.refresh_token = None
                self._refresh[refresh_token] = fresh
            self.refreshes += 1
        return fresh

    def revoke(self, access_token: str | None = None, *, subject: str | None = None) -> int:
        """Revoke one token, or every token of ``subject`` (the person removed the app)."""
        count = 0
        with self._lock:
            for token in self._tokens.values():
                if token.access_token == access_token or (
                    subject is not None and token.subject == subject
                ):
                    token.revoked = True
                    count += 1
        return count

    def tokens_of(self, subject: str) -> list[Token]:
        with self._lock:
            return [t for t in self._tokens.values() if t.subject == subject and not t.revoked]

    def current_refresh_tokens(self) -> set[str]:
        with self._lock:
            return set(self._refresh)


class WorldLogin:
    """An authorization server beside a simulated API: the registered ``app`` (None until
    an operator registers one), the codes and tokens, on the world's clock."""

    def __init__(self, world: World, app: ClientApp | None = None) -> None:
        self.world = world
        self.app = app
        self.grants = Authorizations(world.clock)

    def token_owner(self, access_token: str | None) -> str | None:
        """The actor a valid token it issued belongs to."""
        token = self.grants.valid(access_token)
        return token.subject if token is not None else None

    def revoke_all(self, actor_id: str) -> int:
        """The person removes the app from their account: every token of theirs dies."""
        return self.grants.revoke(subject=actor_id)

    def signed_in(self, by_name: bool = False) -> list[tuple[str, str]]:
        """(actor id, what the consent page calls them) for the managed accounts a person
        at the consent page can act as: the @handle, or the display name ``by_name``."""
        with self.world.lock:
            actors = [self.world.actors[actor_id] for actor_id in self.world.managed]
        return [
            (actor.id, (actor.name if by_name else "") or "@" + actor.handle) for actor in actors
        ]


# --- what the person sees ---------------------------------------------------------------


def consent_page(
    *,
    platform: str,
    app_name: str,
    action: str,
    hidden: dict[str, str],
    who: Iterable[tuple[str, str]],
    permissions: Iterable[str],
    choices: Iterable[tuple[str, str]] = (),
    approve: str = "Authorize",
    deny: str = "Cancel",
    permissions_optional: bool = False,
) -> Response:
    """The platform's consent screen. ``who`` are the accounts one could be signed in as
    (value, label); ``choices`` optional checkboxes (Meta: which Pages to share); with
    ``permissions_optional`` each permission is a checkbox the person may clear (Meta lets
    people decline single permissions)."""
    esc = html.escape
    fields = "".join(
        f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">'
        for name, value in hidden.items()
    )
    options = "".join(f'<option value="{esc(value)}">{esc(label)}</option>' for value, label in who)
    if permissions_optional:
        asked = "".join(
            f'<li><label><input type="checkbox" name="permission" value="{esc(name)}" '
            f'id="permission-{esc(name)}" checked> {esc(name)}</label></li>'
            for name in permissions
        )
    else:
        asked = "".join(f"<li>{esc(name)}</li>" for name in permissions)
    boxes = "".join(
        f'<label><input type="checkbox" name="asset" value="{esc(value)}" '
        f'id="asset-{esc(value)}" checked> '
        f"{esc(label)}</label><br>"
        for value, label in choices
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{esc(platform)}: authorize {esc(app_name)}</title></head><body>
<h1>{esc(platform)} (simulated)</h1>
<p><strong>{esc(app_name)}</strong> asks for access to your account.</p>
<form method="post" action="{esc(action)}">
{fields}
<label for="who">Signed in as</label>
<select id="who" name="who">{options}</select>
<p>It will be able to:</p><ul id="permissions">{asked}</ul>
{boxes}
<button type="submit" id="approve" name="decision" value="approve">{esc(approve)}</button>
<button type="submit" id="deny" name="decision" value="deny">{esc(deny)}</button>
</form></body></html>"""
    return Response(200, page.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})


def redirect(redirect_uri: str, params: dict[str, str]) -> Response:
    """302 to the application's redirect URI with ``params`` added to its query."""
    separator = "&" if urlsplit(redirect_uri).query else "?"
    location = redirect_uri + separator + urlencode(params)
    return Response(302, b"", {"Location": location, "Content-Type": "text/plain"})


def form_value(request: Request, name: str) -> str | None:
    values = request.form().get(name)
    return values[-1] if values else None


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """``client_id:client_secret`` of an HTTP Basic ``Authorization`` header."""
    value = request.headers.get("authorization", "")
    if not value.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(value[6:]).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None
