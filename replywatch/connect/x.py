"""Connecting an X account: OAuth 2.0 authorization code with PKCE, refresh tokens that rotate.

1. tweepy's ``OAuth2UserHandler`` builds the consent address (on
   ``platforms.x.authorize_url`` instead of twitter.com) with the client id, the redirect
   URI, the scopes of the registry, our ``state`` and the S256 challenge of the verifier it
   made (kept sealed in the flow until the person comes back).
2. The code and the verifier go to ``POST /2/oauth2/token`` on the API host
   (``platforms.x.api_url``); a confidential client ("Web App") authenticates with its
   secret (HTTP Basic), a public one ("Native App") sends its client id.
3. ``GET /2/users/me`` names the account: its handle and id.

The access token lasts two hours; ``offline.access`` brings a refresh token. Each refresh
answers with a new refresh token and kills the old one (rotation): replywatch.connect.tokens
makes sure only one process refreshes at a time and stores the new pair atomically.
"""

from __future__ import annotations

from typing import Any

import requests
import tweepy
from requests_oauthlib import OAuth2Session

from collectors.redact import install_log_filter
from collectors.transport import TransportFailure
from replywatch.connect import oauth2
from replywatch.connect.grants import (
    Authorization,
    ConnectError,
    FlowContext,
    Grant,
    Inspection,
    Refusal,
    Renewed,
)
from storage.platforms import X

# The hosts tweepy and X's documentation name; the adapter sends them to the settings'.
API_BASE = "https://api.twitter.com"
TOKEN_URL = API_BASE + "/2/oauth2/token"
AUTHORIZE_BASE = "https://twitter.com"  # where tweepy's handler sends people
AUTHORIZE_PATH = "/i/oauth2/authorize"
PLATFORM = "X"


class XFlow:
    def _handler(self, context: FlowContext, state: str | None = None) -> tweepy.OAuth2UserHandler:
        """tweepy's PKCE handler for the operator's app; its token requests reach the
        configured API host through the collectors' URL-rewriting adapter."""
        client_id, secret = oauth2.app_credentials(
            context,
            "platforms.x.client_id",
            "platforms.x.client_secret_ref",
            "connecting X accounts needs your X app's OAuth 2.0 Client ID in "
            "platforms.x.client_id (developer.x.com → your app → Keys and tokens)",
            public=True,
        )
        install_log_filter()
        handler = tweepy.OAuth2UserHandler(
            client_id=client_id,
            redirect_uri=context.redirect_uri or None,
            scope=list(self._scopes()),
            client_secret=secret,
        )
        if state is not None:
            handler.state = state  # ours, bound to the session (replywatch.connect.pending)
        oauth2.bound(handler, context, API_BASE, "platforms.x.api_url", "the X API")
        return handler

    @staticmethod
    def _scopes() -> tuple[str, ...]:
        assert X.connect is not None
        return X.connect.asked()

    def authorize(self, context: FlowContext, state: str) -> Authorization:
        handler = self._handler(context, state)
        url = handler.get_authorization_url()
        # The verifier tweepy made must outlive this process (the dashboard answers the
        # callback in another request): it is kept sealed in the flow row.
        verifier = str(handler._client.code_verifier)
        base = context.settings.get("platforms.x.authorize_url")
        return Authorization(oauth2.rebased(url, AUTHORIZE_BASE, base), {"code_verifier": verifier})

    def exchange(self, context: FlowContext, code: str, remembered: dict[str, str]) -> list[Grant]:
        handler = self._handler(context)
        # tweepy's own fetch_token parses the callback URL, which oauthlib refuses for the
        # plain-http loopback redirect of the command line; the code was taken from the
        # callback already (its state checked), so the session's fetch_token gets it with
        # the same client authentication tweepy's handler sends.
        token = oauth2.granted(
            lambda: OAuth2Session.fetch_token(
                handler,
                TOKEN_URL,
                code=code,
                code_verifier=remembered.get("code_verifier", ""),
                auth=handler.auth,
                include_client_id=True,
                timeout=context.timeout,
            ),
            PLATFORM,
            "exchanging the authorization code",
            code=True,
        )
        access = str(token.get("access_token") or "")
        scopes = oauth2.scopes_of(token, list(self._scopes()))
        user = self._me(context, access)
        assert X.connect is not None
        missing = tuple(p for p in X.connect.needed_by(X.name) if p not in scopes)
        secret = {"secret": access}
        if token.get("refresh_token"):
            secret["refresh_token"] = str(token["refresh_token"])
        return [
            Grant(
                platform=X.name,
                handle="@" + user["username"],
                platform_account_id=str(user["id"]),
                display_name=user.get("name"),
                secret=secret,
                scopes=scopes,
                access_expires_at=oauth2.ends(token, context.now),
                label=f"X @{user['username']}",
                missing=missing,
            )
        ]

    def _me(self, context: FlowContext, access_token: str) -> dict[str, Any]:
        client = tweepy.Client(bearer_token=access_token, return_type=dict)
        oauth2.bound(client.session, context, API_BASE, "platforms.x.api_url", "the X API")
        try:
            answer = client.get_me(user_auth=False, user_fields=["name", "username"])
        except tweepy.TooManyRequests:
            raise ConnectError(Refusal.RATE_LIMITED, "X asks to wait (users/me)") from None
        except tweepy.HTTPException as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            raise ConnectError(
                Refusal.PLATFORM, f"X refused to name the account (users/me): HTTP {status}"
            ) from None
        except (TransportFailure, requests.RequestException) as exc:
            found = oauth2.trouble(exc, PLATFORM, "users/me")
            if found is None:
                raise
            raise found from None
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict) or not data.get("username") or not data.get("id"):
            raise ConnectError(Refusal.PLATFORM, "X's users/me answer names no account")
        return data

    def refresh(self, context: FlowContext, secret: dict[str, str]) -> Renewed | None:
        refresh_token = secret.get("refresh_token")
        if not refresh_token:
            return None
        handler = self._handler(context)
        token = oauth2.granted(
            lambda: handler.refresh_token(
                TOKEN_URL,
                refresh_token=refresh_token,
                auth=handler.auth,
                timeout=context.timeout,
                **({} if handler.auth is not None else {"client_id": handler.client_id}),
            ),
            PLATFORM,
            "refreshing the access token",
        )
        renewed = {"secret": str(token.get("access_token") or "")}
        if token.get("refresh_token"):
            renewed["refresh_token"] = str(token["refresh_token"])
        return Renewed(renewed, oauth2.ends(token, context.now))

    def inspect(self, context: FlowContext, secret: dict[str, str]) -> Inspection | None:
        return None  # X has no token introspection; a refused call says it all


FLOW = XFlow()
