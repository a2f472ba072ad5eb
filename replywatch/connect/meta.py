"""Connecting Facebook Pages and Instagram business accounts: Facebook Login for Business.

1. The login dialog ``{platforms.graph.dialog_url}/{version}/dialog/oauth`` with the
   operator's App ID (``platforms.graph.app_id``), the redirect URI, a ``state`` and either
   the Facebook Login for Business configuration (``config_id``: its permissions are the
   configuration's) or the registry's permissions as ``scope``.
2. ``oauth/access_token``: the code, with the App Secret (a secret by name,
   ``platforms.graph.app_secret_ref``), gives a short-lived user token; ``grant_type=
   fb_exchange_token`` turns it into a long-lived one (about 60 days).
3. ``me/accounts`` with the long-lived token: the Pages the person shared, each with its
   Page token and its ``instagram_business_account``. Page tokens got this way do not
   expire by date; their *data access* does, 90 days after the person's last grant.
4. ``debug_token`` (with the app token ``APPID|SECRET``) of each Page token: its
   permissions and ``data_access_expires_at``: the date the owner must renew by.

The person then picks which Pages and Instagram accounts to audit; only their Page tokens
are stored (the user token is not: nothing needs it). facebook-sdk does every Graph call,
through the collectors' URL-rewriting adapter like theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import facebook
import requests

from collectors.graph.client import DEFAULT_BASE_URL, make_graph
from collectors.redact import install_log_filter, register_secret
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
from storage.platforms import FACEBOOK, INSTAGRAM, canonical_handle

PLATFORM = "Facebook"
ACCOUNT_FIELDS = "id,name,username,access_token,tasks,instagram_business_account{id,username}"
THROTTLED = {4, 17, 32, 613, 80001}
T = TypeVar("T")


class MetaFlow:
    def _app(self, context: FlowContext) -> tuple[str, str]:
        app_id, secret = oauth2.app_credentials(
            context,
            "platforms.graph.app_id",
            "platforms.graph.app_secret_ref",
            "connecting Facebook Pages needs your Meta app: its App ID in "
            "platforms.graph.app_id and the name of the secret holding its App Secret in "
            "platforms.graph.app_secret_ref (developers.facebook.com → your app → App "
            "settings → Basic)",
        )
        assert secret is not None
        return app_id, secret

    def _graph(self, context: FlowContext, token: str | None = None) -> facebook.GraphAPI:
        install_log_filter()
        register_secret(token)
        # No token: facebook-sdk adds access_token only when it has one (code exchange).
        graph = make_graph(
            token or "", context.settings.get("platforms.graph.version"), context.timeout
        )
        oauth2.bound(graph.session, context, DEFAULT_BASE_URL, "platforms.graph.api_url",
                     "the Graph API")  # fmt: skip
        return graph

    def authorize(self, context: FlowContext, state: str) -> Authorization:
        app_id, _ = self._app(context)
        graph = self._graph(context)
        assert FACEBOOK.connect is not None
        config_id = context.settings.get("platforms.graph.login_config_id")
        extra: dict[str, str] = {"state": state, "response_type": "code"}
        if config_id:
            extra.update(config_id=config_id, override_default_response_type="true")
            permissions = None
        else:
            permissions = list(FACEBOOK.connect.asked())
        url = graph.get_auth_url(app_id, context.redirect_uri, permissions, **extra)
        www = facebook.FACEBOOK_WWW_URL.rstrip("/")
        dialog = context.settings.get("platforms.graph.dialog_url").rstrip("/")
        return Authorization(dialog + url[len(www) :] if url.startswith(www) else url)

    def exchange(self, context: FlowContext, code: str, remembered: dict[str, str]) -> list[Grant]:
        app_id, secret = self._app(context)
        short = _call(
            lambda: self._graph(context).get_access_token_from_code(
                code, context.redirect_uri, app_id, secret
            ),
            "exchanging the authorization code",
            code_exchange=True,
        )
        short_token = str(short.get("access_token") or "")
        register_secret(short_token)
        long = _call(
            lambda: self._graph(context, short_token).extend_access_token(app_id, secret),
            "exchanging for a long-lived token",
        )
        user_token = str(long.get("access_token") or "")
        register_secret(user_token)
        graph = self._graph(context, user_token)
        pages = _call(
            lambda: list(graph.get_all_connections("me", "accounts", fields=ACCOUNT_FIELDS)),
            "listing the Pages (me/accounts)",
        )
        grants: list[Grant] = []
        for page in pages:
            grants.extend(self._grants_of(context, page, app_id, secret))
        if not grants:
            raise ConnectError(
                Refusal.NOTHING,
                "the login gave access to no Facebook Page; connect again and choose the Pages "
                "to share (a Page in a business portfolio may need business_management)",
            )
        return grants

    def _grants_of(
        self, context: FlowContext, page: dict[str, Any], app_id: str, secret: str
    ) -> list[Grant]:
        page_id, page_token = str(page.get("id") or ""), str(page.get("access_token") or "")
        if not page_id or not page_token:
            return []
        register_secret(page_token)
        facts = self._debug(context, page_token, app_id, secret)
        name = str(page.get("name") or page_id)
        username = page.get("username")
        handle = _handle(FACEBOOK.name, str(username) if username else page_id)
        assert FACEBOOK.connect is not None
        common = {
            "secret": {"secret": page_token},
            "scopes": facts.scopes,
            "expires_at": facts.expires_at,
        }
        found = [
            Grant(
                platform=FACEBOOK.name,
                handle=handle,
                platform_account_id=page_id,
                display_name=name,
                label=f"Facebook Page {name}",
                missing=_missing(FACEBOOK.name, facts.scopes),
                **common,  # type: ignore[arg-type]
            )
        ]
        instagram = page.get("instagram_business_account")
        if isinstance(instagram, dict) and instagram.get("id") and instagram.get("username"):
            found.append(
                Grant(
                    platform=INSTAGRAM.name,
                    handle=_handle(INSTAGRAM.name, str(instagram["username"])),
                    platform_account_id=str(instagram["id"]),
                    display_name=name,
                    label=f"Instagram @{instagram['username']} (linked to {name})",
                    missing=_missing(INSTAGRAM.name, facts.scopes),
                    **common,  # type: ignore[arg-type]
                )
            )
        return found

    def _debug(self, context: FlowContext, token: str, app_id: str, secret: str) -> Inspection:
        answer = _call(
            lambda: self._graph(context).debug_access_token(token, app_id, secret),
            "checking the token (debug_token)",
        )
        return inspection_of(answer)

    def refresh(self, context: FlowContext, secret: dict[str, str]) -> Renewed | None:
        return None  # Page tokens are renewed by logging in again, nothing else

    def inspect(self, context: FlowContext, secret: dict[str, str]) -> Inspection | None:
        if not (
            context.settings.get("platforms.graph.app_id")
            and context.settings.get("platforms.graph.app_secret_ref")
        ):
            return None  # without the app, debug_token cannot be asked
        app_id, app_secret = self._app(context)
        return self._debug(context, secret["secret"], app_id, app_secret)


def _handle(platform: str, text: str) -> str:
    try:
        return canonical_handle(platform, text)
    except ValueError:
        raise ConnectError(
            Refusal.PLATFORM, f"{PLATFORM} named an account replywatch cannot read: {text!r}"
        ) from None


def _missing(platform: str, scopes: tuple[str, ...]) -> tuple[str, ...]:
    assert FACEBOOK.connect is not None
    return tuple(p for p in FACEBOOK.connect.needed_by(platform) if p not in scopes)


def _moment(value: Any) -> datetime | None:
    """A Unix time of debug_token; 0 means "never"."""
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


# debug_token error subcodes (Meta's access token error reference).
EXPIRED_SUBCODES = {463}
REVOKED_SUBCODES = {458, 459, 460, 464, 467, 492}


def inspection_of(answer: dict[str, Any]) -> Inspection:
    """debug_token's ``data`` in our words: when the token's access ends and whether it is
    still good; the earlier of ``expires_at`` and ``data_access_expires_at`` is the end."""
    data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
    ends = [
        m
        for m in (_moment(data.get("expires_at")), _moment(data.get("data_access_expires_at")))
        if m
    ]
    scopes = tuple(str(s) for s in data.get("scopes") or [] if isinstance(s, str))
    valid = bool(data.get("is_valid"))
    problem = detail = None
    if not valid:
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        subcode = error.get("subcode")
        detail = str(error.get("message") or "the token is not valid")
        problem = "expired" if subcode in EXPIRED_SUBCODES else "revoked"
    return Inspection(valid, min(ends) if ends else None, scopes, problem, detail)


def _call(fetch: Callable[[], T], what: str, *, code_exchange: bool = False) -> T:
    try:
        return fetch()
    except facebook.GraphAPIError as exc:
        result = exc.result if isinstance(exc.result, dict) else {}
        error = result.get("error") if isinstance(result.get("error"), dict) else {}
        code = error.get("code")
        message = str(error.get("message") or exc)
        if code in THROTTLED:
            raise ConnectError(Refusal.RATE_LIMITED, f"{PLATFORM} asks to wait ({what})") from None
        if code_exchange and code == 100:
            raise ConnectError(
                Refusal.CODE_REFUSED,
                f"{PLATFORM} refused the authorization code ({message}); it works once and "
                "only for a few minutes: start the connect again",
            ) from None
        if code in (1, 101) and code_exchange:
            raise ConnectError(
                Refusal.NOT_CONFIGURED,
                f"{PLATFORM} does not accept the app's id or secret ({message})",
            ) from None
        raise ConnectError(Refusal.PLATFORM, f"{PLATFORM}: {what}: {message}") from None
    except (TransportFailure, requests.RequestException) as exc:
        found = oauth2.trouble(exc, PLATFORM, what)
        if found is None:
            raise ConnectError(Refusal.PLATFORM, f"{PLATFORM}: {what}: {exc}") from None
        raise found from None
    except (requests.exceptions.JSONDecodeError, KeyError) as exc:
        raise ConnectError(
            Refusal.PLATFORM, f"{PLATFORM}: {what}: unreadable answer ({exc})"
        ) from None


FLOW = MetaFlow()
