"""OAuth 2.0 code flows with PKCE (X, Google) on requests-oauthlib's ``OAuth2Session``.

tweepy's ``OAuth2UserHandler`` is an ``OAuth2Session`` with X's two URLs built in and a
``fetch_token`` that parses the callback URL, which oauthlib refuses for the plain-http
loopback redirect of the command line. The session itself does what both X and Google
need: replywatch makes the PKCE pair (the verifier must outlive the process that sent the
person away: the dashboard keeps it sealed in the flow), passes the code it checked itself,
and mounts the same URL-rewriting adapter the collectors use, so that the token endpoint's
https URL reaches the configured host (a proxy, the simulated platform).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

import requests
from oauthlib.oauth2 import OAuth2Error
from requests_oauthlib import OAuth2Session

from collectors.http import mount
from collectors.redact import install_log_filter, register_secret
from collectors.transport import Fault, Limits, Service, TransportFailure, classify
from replywatch.connect.grants import ConnectError, FlowContext, Refusal
from replywatch.secrets import SecretError, resolve_secret

T = TypeVar("T")


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge): 64 random bytes, as RFC 7636 recommends at least 32."""
    verifier = base64.urlsafe_b64encode(secrets.token_bytes(64)).decode("ascii").rstrip("=")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def app_credentials(
    context: FlowContext, id_setting: str, secret_setting: str, needs: str, *, public: bool = False
) -> tuple[str, str | None]:
    """(client id, client secret) of the operator's app from the settings; the secret is
    given by name (replywatch.secrets). ``public``: a client without a secret is fine (PKCE
    only). ``needs`` says what to set, for the refusal when something is missing."""
    settings = context.settings
    client_id = settings.get(id_setting)
    reference = settings.get(secret_setting)
    if not client_id or not (reference or public):
        raise ConnectError(Refusal.NOT_CONFIGURED, needs)
    if not reference:
        return str(client_id), None
    try:
        secret = resolve_secret(reference, settings.secrets_file)
    except SecretError as exc:
        raise ConnectError(Refusal.NOT_CONFIGURED, str(exc)) from None
    register_secret(secret)
    return str(client_id), secret


def bound(
    session: requests.Session,
    context: FlowContext,
    default_base: str,
    setting: str,
    api: str,
) -> requests.Session:
    """``session`` with the collectors' adapter on ``default_base``: requests go to the
    host the setting names (a proxy, the simulated platform), bounded like collection
    requests (``collect.request_timeout``, ``collect.max_response_mb``)."""
    base_url = context.settings.get(setting)
    mount(session, default_base, base_url, Limits.from_settings(context.settings),
          Service(api, setting))  # fmt: skip
    return session


def session(
    client_id: str,
    context: FlowContext,
    *,
    scopes: list[str],
    default_base: str,
    setting: str,
    api: str,
    state: str | None = None,
) -> OAuth2Session:
    install_log_filter()
    oauth = OAuth2Session(
        client_id, redirect_uri=context.redirect_uri or None, scope=scopes, state=state
    )
    bound(oauth, context, default_base, setting, api)
    return oauth


def trouble(exc: BaseException, platform: str, what: str) -> ConnectError | None:
    """The refusal for a request that failed on the way (no answer, a rate limit, an
    answer that is not the platform's), or None when ``exc`` is something else."""
    failure = exc if isinstance(exc, TransportFailure) else classify(exc, platform)
    if failure is None:
        if isinstance(exc, requests.Timeout | requests.ConnectionError):
            return ConnectError(
                Refusal.UNREACHABLE, f"{platform} did not answer ({what}): {type(exc).__name__}"
            )
        return None
    if failure.fault is Fault.RATE_LIMITED:
        return ConnectError(Refusal.RATE_LIMITED, f"{platform} asks to wait ({what})")
    if not failure.answered or failure.fault in (Fault.TIMEOUT, Fault.REFUSED, Fault.CUT_OFF):
        return ConnectError(
            Refusal.UNREACHABLE, f"{platform} did not answer ({what}): {failure.detail}"
        )
    return ConnectError(Refusal.PLATFORM, f"{platform}: {what}: {failure.detail}")


def rebased(url: str, default_base: str, base_url: str) -> str:
    """``url`` on ``base_url`` instead of ``default_base``. oauthlib builds authorization
    addresses only on https; the configured host (a proxy, the simulated platform) takes
    the default's place afterwards, as the adapter does for requests."""
    default_base, base_url = default_base.rstrip("/"), base_url.rstrip("/")
    return base_url + url[len(default_base) :] if url.startswith(default_base) else url


def granted(
    call: Callable[[], Mapping[str, Any]], platform: str, what: str, *, code: bool = False
) -> dict[str, Any]:
    """A token answer, or ConnectError naming what went wrong (never a token).

    oauthlib raises a ``Warning`` when the platform granted other scopes than asked (it
    carries the token); the caller compares scopes itself, so that is an answer too."""
    try:
        token = dict(call())
    except Warning as exc:
        token = dict(getattr(exc, "token", None) or {})
        if not token:
            raise ConnectError(Refusal.PLATFORM, f"{platform}: {what}: {exc}") from None
    except OAuth2Error as exc:
        raise refusal_of(exc, platform, what, code=code) from None
    except (TransportFailure, requests.RequestException) as exc:
        raise (
            trouble(exc, platform, what)
            or ConnectError(Refusal.PLATFORM, f"{platform}: {what}: {type(exc).__name__}")
        ) from None
    except ValueError as exc:  # a body that is neither JSON nor a token
        raise ConnectError(Refusal.PLATFORM, f"{platform}: {what}: {exc}") from None
    for name in ("access_token", "refresh_token"):
        register_secret(token.get(name))
    return token


def refusal_of(exc: OAuth2Error, platform: str, what: str, *, code: bool = False) -> ConnectError:
    """``code``: the request exchanged an authorization code (a refusal is then about the
    code: expired, used, or for another redirect URI)."""
    description = exc.description or exc.error
    status = getattr(exc, "status_code", None)
    if status == 429:
        return ConnectError(Refusal.RATE_LIMITED, f"{platform} asks to wait ({what})")
    if exc.error in ("invalid_grant", "invalid_request") and code:
        return ConnectError(
            Refusal.CODE_REFUSED,
            f"{platform} refused the authorization code ({description}); it works once and "
            "only for a few minutes: start the connect again",
        )
    if exc.error in ("invalid_grant", "invalid_request"):
        return ConnectError(Refusal.REJECTED, f"{platform} refused the token: {description}")
    if exc.error in ("invalid_client", "unauthorized_client"):
        return ConnectError(
            Refusal.NOT_CONFIGURED,
            f"{platform} does not accept replywatch's app registration ({description}); "
            "check the client id and secret settings",
        )
    return ConnectError(Refusal.PLATFORM, f"{platform}: {what}: {exc.error}: {description}")


def ends(token: Mapping[str, Any], now: datetime, field: str = "expires_in") -> datetime | None:
    """``now`` plus the token answer's lifetime in seconds, if it names one."""
    value = token.get(field)
    try:
        seconds = int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return now + timedelta(seconds=seconds) if seconds else None


def scopes_of(token: Mapping[str, Any], asked: list[str]) -> tuple[str, ...]:
    """The scopes granted: the token's ``scope`` (text or list), else those asked for."""
    value = token.get("scope")
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return tuple(asked)
