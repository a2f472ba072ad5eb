"""Connecting a Mastodon account: replywatch registers itself on the instance, once, then the
authorization code flow with the scope ``read``.

1. The person types their address (``@shop@social.example``): the instance is its domain
   (or ``platforms.mastodon.api_url`` when set, as for collecting).
2. ``POST /api/v1/apps`` registers replywatch on that instance for the redirect URI, the
   first time only: client id and (sealed) secret are kept in ``oauth_apps`` and used for
   every later connect on that instance.
3. Mastodon.py builds the authorize URL (with the ``state``) and exchanges the code
   (``POST /oauth/token``); ``verify_credentials`` names the account.

Mastodon's tokens do not expire; one that was revoked is refused with 401.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonRatelimitError,
)
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from collectors.redact import install_log_filter, register_secret
from replywatch.connect.grants import (
    Authorization,
    ConnectError,
    FlowContext,
    Grant,
    Inspection,
    Refusal,
    Renewed,
)
from storage.engine import session_factory
from storage.handles import fediverse_instance
from storage.models import OAuthApp
from storage.platforms import MASTODON, canonical_handle

APP_NAME = "replywatch"
APP_WEBSITE = "https://github.com/replywatch/replywatch"
PLATFORM = "Mastodon"
T = TypeVar("T")


def instance_of(context: FlowContext) -> tuple[str, str]:
    """(the instance's base URL, its domain) for the address the person typed."""
    try:
        handle = canonical_handle(MASTODON.name, context.hint or "")
    except ValueError:
        raise ConnectError(
            Refusal.BAD_INPUT,
            f"{context.hint!r} is not a Mastodon address; expected one like "
            f"{MASTODON.handle.example}",
        ) from None
    domain = fediverse_instance(handle)
    forced = context.settings.get("platforms.mastodon.api_url")
    return (forced or f"https://{domain}").rstrip("/"), domain


class MastodonFlow:
    def _scopes(self) -> list[str]:
        assert MASTODON.connect is not None
        return list(MASTODON.connect.asked())

    def _registration(self, context: FlowContext, server: str) -> tuple[str, str]:
        """(client id, client secret) of replywatch on ``server``: registered once."""
        sessions = session_factory(context.engine)
        query = select(OAuthApp).where(
            OAuthApp.platform == MASTODON.name,
            OAuthApp.server == server,
            OAuthApp.redirect_uri == context.redirect_uri,
        )
        with sessions() as session:
            known = session.scalar(query)
            if known is not None:
                return known.client_id, str(context.vault.open(known.sealed_secret)["secret"])
        client_id, client_secret = _call(
            lambda: Mastodon.create_app(
                APP_NAME,
                scopes=self._scopes(),
                redirect_uris=context.redirect_uri,
                website=APP_WEBSITE,
                api_base_url=server,
                request_timeout=context.timeout,
            ),
            "registering replywatch on the instance (POST /api/v1/apps)",
        )
        register_secret(client_secret)
        try:
            with sessions.begin() as session:
                session.add(
                    OAuthApp(
                        platform=MASTODON.name,
                        server=server,
                        redirect_uri=context.redirect_uri,
                        client_id=client_id,
                        sealed_secret=context.vault.seal({"secret": client_secret}),
                        created_at=context.now,
                    )
                )
        except IntegrityError:
            # Another connect registered at the same moment: theirs is the one kept.
            with sessions() as session:
                known = session.scalar(query)
                assert known is not None
                return known.client_id, str(context.vault.open(known.sealed_secret)["secret"])
        return client_id, client_secret

    def _api(self, context: FlowContext, server: str, **credentials: Any) -> Mastodon:
        install_log_filter()
        return Mastodon(
            api_base_url=server,
            request_timeout=context.timeout,
            version_check_mode="none",
            ratelimit_method="throw",
            **credentials,
        )

    def authorize(self, context: FlowContext, state: str) -> Authorization:
        server, domain = instance_of(context)
        client_id, client_secret = self._registration(context, server)
        api = self._api(context, server, client_id=client_id, client_secret=client_secret)
        url = _call(
            lambda: api.auth_request_url(
                redirect_uris=context.redirect_uri,
                scopes=self._scopes(),
                state=state,
                allow_http=server.startswith("http://"),
            ),
            "building the authorization address",
        )
        return Authorization(url, {"server": server, "domain": domain})

    def exchange(self, context: FlowContext, code: str, remembered: dict[str, str]) -> list[Grant]:
        server, domain = remembered["server"], remembered["domain"]
        client_id, client_secret = self._registration(context, server)
        api = self._api(context, server, client_id=client_id, client_secret=client_secret)
        try:
            token = api.log_in(
                code=code,
                redirect_uri=context.redirect_uri,
                scopes=self._scopes(),
                allow_http=server.startswith("http://"),
            )
        except MastodonIllegalArgumentError as exc:
            raise ConnectError(
                Refusal.CODE_REFUSED,
                f"{PLATFORM} refused the authorization code ({_reason(exc)}); it works once "
                "and only for a few minutes: start the connect again",
            ) from None
        except MastodonAPIError as exc:  # granted fewer scopes than asked
            raise ConnectError(Refusal.PERMISSION, f"{PLATFORM}: {_reason(exc)}") from None
        except MastodonNetworkError as exc:
            raise ConnectError(
                Refusal.UNREACHABLE, f"{PLATFORM} did not answer: {_reason(exc)}"
            ) from None
        register_secret(token)
        me = _call(
            lambda: self._api(context, server, access_token=token).account_verify_credentials(),
            "naming the account (verify_credentials)",
        )
        acct = str(me.get("acct") or me.get("username") or "")
        address = f"@{acct}" if "@" in acct else f"@{acct}@{domain}"
        try:
            handle = canonical_handle(MASTODON.name, address)
        except ValueError:
            raise ConnectError(Refusal.PLATFORM, f"{PLATFORM} named no account: {acct!r}") from None
        return [
            Grant(
                platform=MASTODON.name,
                handle=handle,
                platform_account_id=str(me.get("id") or "") or None,
                display_name=str(me.get("display_name") or "") or None,
                secret={"secret": token, "server": server},
                scopes=tuple(self._scopes()),
                label=f"Mastodon {handle}",
            )
        ]

    def refresh(self, context: FlowContext, secret: dict[str, str]) -> Renewed | None:
        return None

    def inspect(self, context: FlowContext, secret: dict[str, str]) -> Inspection | None:
        return None


def _reason(exc: Exception) -> str:
    text = " ".join(str(arg) for arg in exc.args if isinstance(arg, str | int))
    return text[:300] or type(exc).__name__


def _call(fetch: Callable[[], T], what: str) -> T:
    try:
        return fetch()
    except MastodonRatelimitError:
        raise ConnectError(Refusal.RATE_LIMITED, f"{PLATFORM} asks to wait ({what})") from None
    except (MastodonNetworkError, requests.ConnectionError, requests.Timeout) as exc:
        raise ConnectError(
            Refusal.UNREACHABLE, f"{PLATFORM} did not answer ({what}): {_reason(exc)}"
        ) from None
    except (MastodonAPIError, MastodonIllegalArgumentError, KeyError, ValueError) as exc:
        raise ConnectError(Refusal.PLATFORM, f"{PLATFORM}: {what}: {_reason(exc)}") from None


FLOW = MastodonFlow()
