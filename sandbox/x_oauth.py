"""X's OAuth 2.0 authorization code flow with PKCE, as the simulated X API answers it.

=========================================  ===============================================
GET  /i/oauth2/authorize                   the consent screen (x.com/i/oauth2/authorize):
                                           response_type=code, client_id, redirect_uri,
                                           scope, state, code_challenge (S256 or plain)
POST /i/oauth2/authorize                   the person's decision: 302 to the redirect URI
                                           with code and state, or error=access_denied
POST /2/oauth2/token                       grant_type=authorization_code (code,
                                           redirect_uri, code_verifier) or refresh_token;
                                           a confidential client authenticates with HTTP
                                           Basic, a public one sends client_id
POST /2/oauth2/revoke                      token (access or refresh), client authentication
GET  /2/users/me                           the signed-in user (users.read)
=========================================  ===============================================

Tokens answer like X: ``{"token_type": "bearer", "expires_in": 7200, "access_token": …,
"scope": "tweet.read users.read …", "refresh_token": …}`` (a refresh token only with
``offline.access``); access tokens last two hours of the server's clock; refresh tokens
rotate (a used one is refused, so two processes refreshing with the same one cannot both
succeed). Errors are ``400 {"error": "invalid_request", "error_description": "Value passed
for the authorization code was invalid."}`` and the like, as X sends them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sandbox.http import Request, Response
from sandbox.oauth import (
    ClientApp,
    OAuthError,
    WorldLogin,
    basic_credentials,
    consent_page,
    form_value,
    pkce_challenge,
    redirect,
)

if TYPE_CHECKING:
    pass

ACCESS_LIFETIME = timedelta(hours=2)
SCOPES = frozenset(
    {
        "tweet.read",
        "users.read",
        "like.read",
        "offline.access",
        "follows.read",
        "list.read",
        "bookmark.read",
        "tweet.write",
    }
)
PATHS = frozenset({"/i/oauth2/authorize", "/2/oauth2/token", "/2/oauth2/revoke"})

_INVALID_CODE = "Value passed for the authorization code was invalid."
_INVALID_TOKEN = "Value passed for the token was invalid."


class XLogin(WorldLogin):
    """The authorization server beside a simulated X API; ``app`` is the registered app."""

    def route(self, request: Request) -> Response:
        if request.path == "/i/oauth2/authorize":
            return self._decision(request) if request.method == "POST" else self._dialog(request)
        try:
            if request.path == "/2/oauth2/token" and request.method == "POST":
                return self._token(request)
            if request.path == "/2/oauth2/revoke" and request.method == "POST":
                return self._revoke(request)
        except OAuthError as exc:
            return Response(400, {"error": exc.error, "error_description": exc.description})
        return Response(404, {"title": "Not Found", "status": 404, "detail": request.path})

    # --- the consent screen -------------------------------------------------------------

    def _checked_request(self, request: Request) -> tuple[ClientApp, str, list[str]]:
        app = self._app(form_value(request, "client_id"))
        redirect_uri = form_value(request, "redirect_uri") or ""
        app.check_redirect(redirect_uri)
        scopes = (form_value(request, "scope") or "").split()
        unknown = [scope for scope in scopes if scope not in SCOPES]
        if not scopes or unknown:
            raise OAuthError("invalid_scope", f"unknown scopes: {' '.join(unknown) or '(none)'}")
        if form_value(request, "response_type") != "code":
            raise OAuthError("unsupported_response_type", "response_type must be code")
        if not form_value(request, "code_challenge"):
            raise OAuthError("invalid_request", "code_challenge is required")
        return app, redirect_uri, scopes

    def _dialog(self, request: Request) -> Response:
        try:
            app, _, scopes = self._checked_request(request)
        except OAuthError as exc:
            # X shows an error page; nothing goes back to an unverified redirect URI.
            return Response(
                400,
                f"<p>{exc.description}</p>".encode(),
                {"Content-Type": "text/html; charset=utf-8"},
            )
        hidden = {
            name: form_value(request, name) or ""
            for name in (
                "response_type",
                "client_id",
                "redirect_uri",
                "scope",
                "state",
                "code_challenge",
                "code_challenge_method",
            )
        }
        who = self.signed_in()
        return consent_page(
            platform="X",
            app_name=app.name,
            action="/i/oauth2/authorize",
            hidden=hidden,
            who=who,
            permissions=scopes,
            approve="Authorize app",
            deny="Cancel",
        )

    def _decision(self, request: Request) -> Response:
        try:
            app, redirect_uri, scopes = self._checked_request(request)
        except OAuthError as exc:
            return Response(400, {"error": exc.error, "error_description": exc.description})
        state = form_value(request, "state") or ""
        if form_value(request, "decision") != "approve":
            return redirect(redirect_uri, {"error": "access_denied", "state": state})
        who = form_value(request, "who") or ""
        if who not in self.world.managed:
            return Response(400, {"error": "invalid_request", "error_description": "who?"})
        challenge = form_value(request, "code_challenge") or ""
        if (form_value(request, "code_challenge_method") or "plain") == "plain":
            # A plain challenge is the verifier itself: kept as its S256, one check for both.
            challenge_value = pkce_challenge(challenge)
        else:
            challenge_value = challenge
        code = self.grants.issue_code(app.client_id, redirect_uri, who, scopes, challenge_value)
        return redirect(redirect_uri, {"state": state, "code": code})

    # --- the token endpoint ------------------------------------------------------------

    def _client(self, request: Request) -> ClientApp:
        basic = basic_credentials(request)
        client_id = basic[0] if basic else form_value(request, "client_id")
        app = self._app(client_id)
        if app.client_secret is not None:
            app.check_secret(basic[1] if basic else None)
        return app

    def _app(self, client_id: str | None) -> ClientApp:
        if self.app is None or client_id != self.app.client_id:
            raise OAuthError("invalid_request", "Missing valid authorization header")
        return self.app

    def _token(self, request: Request) -> Response:
        app = self._client(request)
        grant_type = form_value(request, "grant_type")
        if grant_type == "authorization_code":
            try:
                grant = self.grants.take_code(
                    form_value(request, "code") or "",
                    app.client_id,
                    form_value(request, "redirect_uri") or "",
                    form_value(request, "code_verifier"),
                )
            except OAuthError:
                raise OAuthError("invalid_request", _INVALID_CODE) from None
            token = self.grants.issue_token(
                grant.subject,
                app.client_id,
                grant.scopes,
                lifetime=ACCESS_LIFETIME,
                refreshable="offline.access" in grant.scopes,
            )
        elif grant_type == "refresh_token":
            try:
                token = self.grants.refresh(
                    form_value(request, "refresh_token") or "",
                    app.client_id,
                    lifetime=ACCESS_LIFETIME,
                )
            except OAuthError:
                raise OAuthError("invalid_request", _INVALID_TOKEN) from None
        else:
            raise OAuthError("invalid_request", "Missing required parameter [grant_type].")
        body = {
            "token_type": "bearer",
            "expires_in": int(ACCESS_LIFETIME.total_seconds()),
            "access_token": token.access_token,
            "scope": " ".join(token.scopes),
        }
        if token.refresh_token:
            body["refresh_token"] = token.refresh_token
        return Response(200, body)

    def _revoke(self, request: Request) -> Response:
        self._client(request)
        value = form_value(request, "token") or ""
        found = self.grants.token(value)
        if found is not None:
            self.grants.revoke(value)
        return Response(200, {"revoked": True})
