"""Connecting a YouTube channel: Google's OAuth 2.0 for web server applications, with PKCE.

1. ``{platforms.youtube.authorize_url}/o/oauth2/v2/auth`` with the OAuth client of the
   operator's Google Cloud project, the scope of the registry, ``access_type=offline``
   (for a refresh token), ``prompt=consent`` and a PKCE challenge.
2. ``{platforms.youtube.token_url}/token``: code, verifier and client secret give an access
   token (``ya29.…``, an hour) and a refresh token, which Google does not rotate.
3. ``channels?mine=true`` names the channel: its ``@handle`` and id.

Before each collection an access token that has run out is renewed with the refresh token
(replywatch.connect.tokens); a refresh token Google no longer takes (revoked, or a project
in "testing" status after 7 days) makes the account "revoked".
"""

from __future__ import annotations

from typing import Any

import httplib2
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

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
from storage.platforms import YOUTUBE, canonical_handle

TOKEN_BASE = "https://oauth2.googleapis.com"
TOKEN_URL = TOKEN_BASE + "/token"
AUTHORIZE_BASE = "https://accounts.google.com"
AUTHORIZE_PATH = "/o/oauth2/v2/auth"
PLATFORM = "Google"


class YouTubeFlow:
    def _client(self, context: FlowContext) -> tuple[str, str]:
        client_id, secret = oauth2.app_credentials(
            context,
            "platforms.youtube.client_id",
            "platforms.youtube.client_secret_ref",
            "connecting YouTube channels needs an OAuth client of your Google Cloud "
            "project: its client ID in platforms.youtube.client_id and the name of the "
            "secret holding its client secret in platforms.youtube.client_secret_ref",
        )
        assert secret is not None
        return client_id, secret

    @staticmethod
    def _scopes() -> list[str]:
        assert YOUTUBE.connect is not None
        return list(YOUTUBE.connect.asked())

    def _session(self, context: FlowContext, client_id: str, state: str | None = None) -> Any:
        return oauth2.session(
            client_id,
            context,
            scopes=self._scopes(),
            default_base=TOKEN_BASE,
            setting="platforms.youtube.token_url",
            api="Google's token endpoint",
            state=state,
        )

    def authorize(self, context: FlowContext, state: str) -> Authorization:
        client_id, _ = self._client(context)
        verifier, challenge = oauth2.pkce_pair()
        url, _ = self._session(context, client_id, state).authorization_url(
            AUTHORIZE_BASE + AUTHORIZE_PATH,
            access_type="offline",
            prompt="consent",
            code_challenge=challenge,
            code_challenge_method="S256",
        )
        base = context.settings.get("platforms.youtube.authorize_url")
        return Authorization(oauth2.rebased(url, AUTHORIZE_BASE, base), {"code_verifier": verifier})

    def exchange(self, context: FlowContext, code: str, remembered: dict[str, str]) -> list[Grant]:
        client_id, client_secret = self._client(context)
        oauth = self._session(context, client_id)
        token = oauth2.granted(
            lambda: oauth.fetch_token(
                TOKEN_URL,
                code=code,
                code_verifier=remembered.get("code_verifier", ""),
                include_client_id=True,
                client_secret=client_secret,
                timeout=context.timeout,
            ),
            PLATFORM,
            "exchanging the authorization code",
            code=True,
        )
        access = str(token.get("access_token") or "")
        scopes = oauth2.scopes_of(token, self._scopes())
        channel = self._channel(context, access)
        assert YOUTUBE.connect is not None
        missing = tuple(p for p in YOUTUBE.connect.needed_by(YOUTUBE.name) if p not in scopes)
        snippet = channel.get("snippet") or {}
        custom = snippet.get("customUrl")
        try:
            handle = canonical_handle(YOUTUBE.name, str(custom) if custom else str(channel["id"]))
        except ValueError:
            handle = canonical_handle(YOUTUBE.name, str(channel["id"]))
        secret = {"secret": access}
        if token.get("refresh_token"):
            secret["refresh_token"] = str(token["refresh_token"])
        title = snippet.get("title")
        return [
            Grant(
                platform=YOUTUBE.name,
                handle=handle,
                platform_account_id=str(channel["id"]),
                display_name=str(title) if title else None,
                secret=secret,
                scopes=scopes,
                access_expires_at=oauth2.ends(token, context.now),
                expires_at=oauth2.ends(token, context.now, "refresh_token_expires_in"),
                label=f"YouTube {handle}" + (f" ({title})" if title else ""),
                missing=missing,
            )
        ]

    def _channel(self, context: FlowContext, access_token: str) -> dict[str, Any]:
        root = context.settings.get("platforms.youtube.api_url").rstrip("/") + "/"
        http = AuthorizedHttp(
            Credentials(token=access_token), http=httplib2.Http(timeout=context.timeout)
        )
        service = build(
            YOUTUBE.name,
            "v3",
            http=http,
            static_discovery=True,
            cache_discovery=False,
            client_options={"api_endpoint": root},
        )
        try:
            answer = service.channels().list(part="id,snippet", mine=True).execute(num_retries=0)
        except HttpError as exc:
            raise ConnectError(
                Refusal.PLATFORM, f"YouTube refused to name the channel (HTTP {exc.status_code})"
            ) from None
        except (OSError, httplib2.HttpLib2Error) as exc:
            raise ConnectError(
                Refusal.UNREACHABLE, f"YouTube did not answer: {type(exc).__name__}"
            ) from None
        items = answer.get("items") if isinstance(answer, dict) else None
        if not items or not isinstance(items[0], dict) or not items[0].get("id"):
            raise ConnectError(
                Refusal.NOTHING, "the Google account has no YouTube channel to connect"
            )
        return items[0]

    def refresh(self, context: FlowContext, secret: dict[str, str]) -> Renewed | None:
        refresh_token = secret.get("refresh_token")
        if not refresh_token:
            return None
        client_id, client_secret = self._client(context)
        oauth = self._session(context, client_id)
        token = oauth2.granted(
            lambda: oauth.refresh_token(
                TOKEN_URL,
                refresh_token=refresh_token,
                client_id=client_id,
                client_secret=client_secret,
                timeout=context.timeout,
            ),
            PLATFORM,
            "refreshing the access token",
        )
        renewed = {"secret": str(token.get("access_token") or "")}
        # Google keeps the refresh token; requests-oauthlib hands the old one back then.
        renewed["refresh_token"] = str(token.get("refresh_token") or refresh_token)
        return Renewed(renewed, oauth2.ends(token, context.now))

    def inspect(self, context: FlowContext, secret: dict[str, str]) -> Inspection | None:
        return None


FLOW = YouTubeFlow()
