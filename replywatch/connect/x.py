"""Connecting an X account: OAuth 2.0 authorization code with PKCE, refresh tokens that rotate.

1. The person is sent to ``{platforms.x.authorize_url}/i/oauth2/authorize`` with the client
   id, the redirect URI, the scopes of the registry, a ``state`` and the S256 challenge of
   a fresh verifier (kept sealed in the flow until they come back).
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
from requests.auth import HTTPBasicAuth

from collectors.http import mount
from collectors.redact import register_secret
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
from replywatch.secrets import SecretError, resolve_secret
from storage.platforms import X

# The hosts tweepy and X's documentation name; the adapter sends them to the settings'.
API_BASE = "https://api.twitter.com"
TOKEN_URL = API_BASE + "/2/oauth2/token"
AUTHORIZE_BASE = "https://x.com"
AUTHORIZE_PATH = "/i/oauth2/authorize"
PLATFORM = "X"


class XFlow:
    def _client(self, context: FlowContext) -> tuple[str, HTTPBasicAuth | None]:
        settings = context.settings
        client_id = settings.get("platforms.x.client_id")
        if not client_id:
            raise ConnectError(
                Refusal.NOT_CONFIGURED,
                "connecting X accounts needs your X app's OAuth 2.0 Client ID in "
                "platforms.x.client_id (developer.x.com → your app → Keys and tokens)",
            )
        reference = settings.get("platforms.x.client_secret_ref")
        if not reference:
            return client_id, None
        try:
            secret = resolve_secret(reference, settings.secrets_file)
        except SecretError as exc:
            raise ConnectError(Refusal.NOT_CONFIGURED, str(exc)) from None
        register_secret(secret)
        return client_id, HTTPBasicAuth(client_id, secret)

    def _session(self, context: FlowContext, client_id: str, state: str | None = None) -> Any:
        return oauth2.session(
            client_id,
            redirect_uri=context.redirect_uri or None,
            scopes=list(self._scopes()),
            default_base=API_BASE,
            base_url=context.settings.get("platforms.x.api_url"),
            timeout=context.timeout,
            state=state,
        )

    @staticmethod
    def _scopes() -> tuple[str, ...]:
        assert X.connect is not None
        return X.connect.asked()

    def authorize(self, context: FlowContext, state: str) -> Authorization:
        client_id, _ = self._client(context)
        verifier, challenge = oauth2.pkce_pair()
        url, _ = self._session(context, client_id, state).authorization_url(
            AUTHORIZE_BASE + AUTHORIZE_PATH, code_challenge=challenge, code_challenge_method="S256"
        )
        base = context.settings.get("platforms.x.authorize_url")
        return Authorization(oauth2.rebased(url, AUTHORIZE_BASE, base), {"code_verifier": verifier})

    def exchange(self, context: FlowContext, code: str, remembered: dict[str, str]) -> list[Grant]:
        client_id, auth = self._client(context)
        oauth = self._session(context, client_id)
        token = oauth2.granted(
            lambda: oauth.fetch_token(
                TOKEN_URL,
                code=code,
                code_verifier=remembered.get("code_verifier", ""),
                auth=auth,
                include_client_id=auth is None,
                timeout=context.timeout,
            ),
            PLATFORM,
            "exchanging the authorization code",
        )
        access = str(token.get("access_token") or "")
        scopes = oauth2.scopes_of(token, list(self._scopes()))
        user = self._me(context, access)
        assert X.connect is not None
        missing = tuple(p for p in X.connect.needed_by("x") if p not in scopes)
        secret = {"secret": access}
        if token.get("refresh_token"):
            secret["refresh_token"] = str(token["refresh_token"])
        return [
            Grant(
                platform="x",
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
        mount(
            client.session, API_BASE, context.settings.get("platforms.x.api_url"), context.timeout
        )
        try:
            answer = client.get_me(user_auth=False, user_fields=["name", "username"])
        except tweepy.TooManyRequests:
            raise ConnectError(Refusal.RATE_LIMITED, "X asks to wait (users/me)") from None
        except tweepy.HTTPException as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            raise ConnectError(
                Refusal.PLATFORM, f"X refused to name the account (users/me): HTTP {status}"
            ) from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise ConnectError(
                Refusal.UNREACHABLE, f"X did not answer (users/me): {type(exc).__name__}"
            ) from None
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict) or not data.get("username") or not data.get("id"):
            raise ConnectError(Refusal.PLATFORM, "X's users/me answer names no account")
        return data

    def refresh(self, context: FlowContext, secret: dict[str, str]) -> Renewed | None:
        refresh_token = secret.get("refresh_token")
        if not refresh_token:
            return None
        client_id, auth = self._client(context)
        oauth = self._session(context, client_id)
        extra = {} if auth is not None else {"client_id": client_id}
        token = oauth2.granted(
            lambda: oauth.refresh_token(
                TOKEN_URL,
                refresh_token=refresh_token,
                auth=auth,
                timeout=context.timeout,
                **extra,
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
