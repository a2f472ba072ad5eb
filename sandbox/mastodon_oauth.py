"""A Mastodon instance's application registration and OAuth, as the simulated instance
answers them (Mastodon 4.5, Doorkeeper underneath).

=============================================  ==========================================
POST /api/v1/apps                              client_name, redirect_uris (one per line or
                                               a list), scopes, website -> the Application
                                               with client_id and client_secret
GET  /.well-known/oauth-authorization-server   RFC 8414 metadata (Mastodon.py reads the
                                               authorize and token endpoints from it)
GET  /oauth/authorize                          the consent screen: response_type=code,
                                               client_id, redirect_uri, scope, state
POST /oauth/authorize                          the decision: 302 with code and state, or
                                               error=access_denied
POST /oauth/token                              grant_type=authorization_code: code,
                                               client_id, client_secret, redirect_uri
POST /oauth/revoke                             token, client_id, client_secret
=============================================  ==========================================

Tokens do not expire (Mastodon's do not); a revoked one is refused with "The access token
was revoked". Codes last ten minutes of the instance's clock and work once.
"""

from __future__ import annotations

import secrets
from datetime import UTC
from typing import TYPE_CHECKING, Any

from sandbox.http import Request, Response
from sandbox.oauth import (
    ClientApp,
    OAuthError,
    WorldLogin,
    basic_credentials,
    consent_page,
    form_value,
    redirect,
)

if TYPE_CHECKING:
    from sandbox.world import World

SCOPES = ("read", "write", "follow", "push", "profile")
PATHS = frozenset(
    {
        "/api/v1/apps",
        "/.well-known/oauth-authorization-server",
        "/oauth/authorize",
        "/oauth/token",
        "/oauth/revoke",
    }
)
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not "
    "match the redirection URI used in the authorization request, or was issued "
    "to another client."
)
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client "
    "authentication included, or unsupported authentication method."
)
DENIED = "The resource owner or authorization server denied the request."
REVOKED = "The access token was revoked"


class MastodonLogin(WorldLogin):
    """The OAuth side of one simulated instance."""

    def __init__(self, world: World, base_url: Any) -> None:
        super().__init__(world)
        self._base_url = base_url  # a callable: the server's URL is known once it listens
        self.apps: dict[str, ClientApp] = {}

    @property
    def registrations(self) -> int:
        """How many applications were registered (replywatch registers once per instance)."""
        return len(self.apps)

    def refusal(self, access_token: str | None) -> str | None:
        """What the instance says about a token it issued and no longer takes."""
        token = self.grants.token(access_token)
        if token is not None and token.revoked:
            return REVOKED
        return None

    def route(self, request: Request) -> Response:
        try:
            if request.path == "/api/v1/apps" and request.method == "POST":
                return self._register(request)
            if request.path == "/.well-known/oauth-authorization-server":
                return Response(200, self._metadata())
            if request.path == "/oauth/authorize":
                if request.method == "POST":
                    return self._decision(request)
                return self._dialog(request)
            if request.path == "/oauth/token" and request.method == "POST":
                return self._token(request)
            if request.path == "/oauth/revoke" and request.method == "POST":
                self._client(request)
                self.grants.revoke(form_value(request, "token") or "")
                return Response(200, {})
        except OAuthError as exc:
            status = 401 if exc.error == "invalid_client" else 400
            return Response(status, {"error": exc.error, "error_description": exc.description})
        return Response(404, {"error": "Record not found"})

    def _metadata(self) -> dict[str, Any]:
        base = self._base_url()
        return {
            "issuer": f"{base}/",
            "service_documentation": "https://docs.joinmastodon.org/",
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "app_registration_endpoint": f"{base}/api/v1/apps",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "none",
            ],
        }

    # --- registration ----------------------------------------------------------------

    def _register(self, request: Request) -> Response:
        if "json" in request.headers.get("content-type", ""):
            raw = request.json() or {}
            name, uris, scopes = raw.get("client_name"), raw.get("redirect_uris"), raw.get("scopes")
        else:
            name = form_value(request, "client_name")
            uris = form_value(request, "redirect_uris")
            scopes = form_value(request, "scopes")
        if not name:
            return Response(422, {"error": "Validation failed: Application name can't be blank"})
        if isinstance(uris, str):
            uris = [line.strip() for line in uris.splitlines() if line.strip()]
        if not uris:
            return Response(422, {"error": "Validation failed: Redirect URI can't be blank"})
        granted = tuple((scopes or "read").split())
        if any(scope.split(":")[0] not in SCOPES for scope in granted):
            return Response(422, {"error": "Validation failed: Scopes are not valid"})
        app = ClientApp(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            list(uris),
            name=name,
            scopes=granted,
        )
        self.apps[app.client_id] = app
        body = {
            "id": str(len(self.apps)),
            "name": name,
            "website": form_value(request, "website"),
            "scopes": list(granted),
            "redirect_uris": list(uris),
            "redirect_uri": "\n".join(uris),
            "vapid_key": "",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "client_secret_expires_at": 0,
        }
        return Response(200, body)

    # --- the consent screen -------------------------------------------------------------

    def _checked(self, request: Request) -> tuple[ClientApp, str, list[str]]:
        app = self.apps.get(form_value(request, "client_id") or "")
        if app is None:
            raise OAuthError("invalid_client", INVALID_CLIENT)
        redirect_uri = form_value(request, "redirect_uri") or ""
        app.check_redirect(redirect_uri)
        scopes = (form_value(request, "scope") or "read").split()
        if not set(scopes) <= set(app.scopes):
            raise OAuthError(
                "invalid_scope", "The requested scope is invalid, unknown, or malformed."
            )
        if form_value(request, "response_type") != "code":
            raise OAuthError(
                "unsupported_response_type",
                "The authorization server does not support this response type.",
            )
        return app, redirect_uri, scopes

    def _dialog(self, request: Request) -> Response:
        try:
            app, _, scopes = self._checked(request)
        except OAuthError as exc:
            return Response(
                400,
                f"<p>{exc.description}</p>".encode(),
                {"Content-Type": "text/html; charset=utf-8"},
            )
        hidden = {
            name: form_value(request, name) or ""
            for name in ("response_type", "client_id", "redirect_uri", "scope", "state")
        }
        who = self.signed_in()
        return consent_page(
            platform="Mastodon",
            app_name=app.name,
            action="/oauth/authorize",
            hidden=hidden,
            who=who,
            permissions=scopes,
            approve="Authorize",
            deny="Deny",
        )

    def _decision(self, request: Request) -> Response:
        app, redirect_uri, scopes = self._checked(request)
        state = form_value(request, "state") or ""
        if form_value(request, "decision") != "approve":
            refusal = {"error": "access_denied", "error_description": DENIED, "state": state}
            return redirect(redirect_uri, refusal)
        who = form_value(request, "who") or ""
        if who not in self.world.managed:
            raise OAuthError("invalid_request", "nobody is signed in")
        code = self.grants.issue_code(app.client_id, redirect_uri, who, scopes)
        return redirect(redirect_uri, {"code": code, "state": state})

    # --- tokens --------------------------------------------------------------------------

    def _client(self, request: Request) -> ClientApp:
        basic = basic_credentials(request)
        client_id = basic[0] if basic else form_value(request, "client_id")
        secret = basic[1] if basic else form_value(request, "client_secret")
        app = self.apps.get(client_id or "")
        if app is None:
            raise OAuthError("invalid_client", INVALID_CLIENT)
        try:
            app.check_secret(secret)
        except OAuthError:
            raise OAuthError("invalid_client", INVALID_CLIENT) from None
        return app

    def _token(self, request: Request) -> Response:
        app = self._client(request)
        if form_value(request, "grant_type") != "authorization_code":
            raise OAuthError(
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server.",
            )
        try:
            grant = self.grants.take_code(
                form_value(request, "code") or "",
                app.client_id,
                form_value(request, "redirect_uri") or "",
            )
        except OAuthError:
            raise OAuthError("invalid_grant", INVALID_GRANT) from None
        token = self.grants.issue_token(grant.subject, app.client_id, grant.scopes, lifetime=None)
        return Response(
            200,
            {
                "access_token": token.access_token,
                "token_type": "Bearer",
                "scope": " ".join(token.scopes),
                "created_at": int(token.issued_at.astimezone(UTC).timestamp()),
            },
        )
