"""Google's OAuth 2.0 for the simulated YouTube: accounts.google.com's consent screen and
oauth2.googleapis.com's token endpoint, in Google's wire format.

=====================================  =================================================
GET  /o/oauth2/v2/auth                 client_id, redirect_uri, response_type=code,
                                       scope, state, access_type=offline, prompt,
                                       code_challenge (S256)
POST /o/oauth2/v2/auth                 the decision: 302 with code, scope and state, or
                                       error=access_denied
POST /token                            grant_type=authorization_code (code, client_id,
                                       client_secret, redirect_uri, code_verifier) or
                                       refresh_token
POST /revoke                           token=
=====================================  =================================================

Access tokens start with ``ya29.`` and last an hour of the server's clock; with
``access_type=offline`` the first exchange also gives a refresh token, which Google does
not rotate (a refresh answers without ``refresh_token``). A revoked or unknown refresh
token answers ``400 {"error": "invalid_grant", "error_description": "Token has been expired
or revoked."}``.
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
    redirect,
)

if TYPE_CHECKING:
    pass

ACCESS_LIFETIME = timedelta(hours=1)
TOKEN_PREFIX = "ya29."
SCOPES = frozenset(
    {
        "https://www.googleapis.com/auth/youtube.readonly",
        "https://www.googleapis.com/auth/youtube.force-ssl",
        "https://www.googleapis.com/auth/youtube",
    }
)
PATHS = frozenset({"/o/oauth2/v2/auth", "/token", "/revoke"})
EXPIRED_OR_REVOKED = "Token has been expired or revoked."


class GoogleLogin(WorldLogin):
    """The OAuth side beside a simulated YouTube Data API; ``app`` is the OAuth client."""

    def route(self, request: Request) -> Response:
        try:
            if request.path == "/o/oauth2/v2/auth":
                if request.method == "POST":
                    return self._decision(request)
                return self._dialog(request)
            if request.path == "/token" and request.method == "POST":
                return self._token(request)
            if request.path == "/revoke" and request.method == "POST":
                self.grants.revoke(form_value(request, "token") or "")
                return Response(200, {})
        except OAuthError as exc:
            status = 401 if exc.error == "invalid_client" else 400
            return Response(status, {"error": exc.error, "error_description": exc.description})
        return Response(404, {"error": "not_found"})

    def _checked(self, request: Request) -> tuple[ClientApp, str, list[str]]:
        if self.app is None or form_value(request, "client_id") != self.app.client_id:
            raise OAuthError("invalid_client", "The OAuth client was not found.")
        redirect_uri = form_value(request, "redirect_uri") or ""
        self.app.check_redirect(redirect_uri)
        scopes = (form_value(request, "scope") or "").split()
        if not scopes or not set(scopes) <= SCOPES:
            raise OAuthError("invalid_scope", "Some requested scopes were invalid.")
        return self.app, redirect_uri, scopes

    def _dialog(self, request: Request) -> Response:
        try:
            app, _, scopes = self._checked(request)
        except OAuthError as exc:
            return Response(
                400,
                f"<p>Error 400: {exc.error}</p>".encode(),
                {"Content-Type": "text/html; charset=utf-8"},
            )
        names = (
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
            "access_type",
            "prompt",
            "code_challenge",
            "code_challenge_method",
        )
        hidden = {name: form_value(request, name) or "" for name in names}
        who = self.signed_in(by_name=True)
        return consent_page(
            platform="Google",
            app_name=app.name,
            action=request.path,
            hidden=hidden,
            who=who,
            permissions=scopes,
            approve="Allow",
            deny="Cancel",
        )

    def _decision(self, request: Request) -> Response:
        app, redirect_uri, scopes = self._checked(request)
        state = form_value(request, "state") or ""
        if form_value(request, "decision") != "approve":
            return redirect(redirect_uri, {"error": "access_denied", "state": state})
        who = form_value(request, "who") or ""
        if who not in self.world.managed:
            raise OAuthError("invalid_request", "nobody is signed in")
        offline = form_value(request, "access_type") == "offline"
        code = self.grants.issue_code(
            app.client_id,
            redirect_uri,
            who,
            [*scopes, "offline"] if offline else scopes,
            form_value(request, "code_challenge") or None,
        )
        return redirect(redirect_uri, {"state": state, "code": code, "scope": " ".join(scopes)})

    def _client(self, request: Request) -> ClientApp:
        basic = basic_credentials(request)
        client_id = basic[0] if basic else form_value(request, "client_id")
        secret = basic[1] if basic else form_value(request, "client_secret")
        if self.app is None or client_id != self.app.client_id:
            raise OAuthError("invalid_client", "The OAuth client was not found.")
        try:
            self.app.check_secret(secret)
        except OAuthError:
            raise OAuthError("invalid_client", "Unauthorized") from None
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
                raise OAuthError("invalid_grant", "Bad Request") from None
            offline = "offline" in grant.scopes
            scopes = tuple(s for s in grant.scopes if s != "offline")
            token = self.grants.issue_token(
                grant.subject,
                app.client_id,
                scopes,
                lifetime=ACCESS_LIFETIME,
                refreshable=offline,
                prefix=TOKEN_PREFIX,
            )
        elif grant_type == "refresh_token":
            try:
                token = self.grants.refresh(
                    form_value(request, "refresh_token") or "",
                    app.client_id,
                    lifetime=ACCESS_LIFETIME,
                    prefix=TOKEN_PREFIX,
                    rotate=False,
                )
            except OAuthError:
                raise OAuthError("invalid_grant", EXPIRED_OR_REVOKED) from None
        else:
            raise OAuthError("unsupported_grant_type", "Invalid grant_type: " + str(grant_type))
        body = {
            "access_token": token.access_token,
            "expires_in": int(ACCESS_LIFETIME.total_seconds()) - 1,
            "scope": " ".join(token.scopes),
            "token_type": "Bearer",
        }
        if token.refresh_token:
            body["refresh_token"] = token.refresh_token
        return Response(200, body)
