"""The atproto Client against an AppView (public reads) and a PDS (reads as the account),
with its errors in our words.

Two atproto ``Client`` objects per run: one on the AppView (``platforms.bluesky.appview_url``)
for everything public — feeds, threads, likes, profiles — without a session, and, when the
account has an app password, one logged in at the PDS (``platforms.bluesky.pds_url``) for
what only the account may read (notifications, its own likes). Each gets its own httpx
client on a :class:`collectors.http.BoundedTransport` (the request's deadline and size
limit, transport faults named as ``collectors.transport`` does for every platform), with
event hooks that count every request and keep the rate-limit headers. An answer that is
not an object with the keys the lexicon's output requires (one at least) is not the
service's ("not JSON").

Queries go through ``Client.invoke_query``: the library builds and sends the request and
parses the JSON; the answer's objects are then checked one by one in
``collectors.bluesky.records`` with atproto's lexicon models (see there why).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from atproto import Client
from atproto_client.exceptions import (
    BadRequestError,
    InvokeTimeoutError,
    NetworkError,
    RateLimitExceededError,
    RequestErrorBase,
    RequestException,
    UnauthorizedError,
)
from atproto_client.models.common import XrpcError
from atproto_client.models.utils import get_or_create
from atproto_client.request import Request

from collectors.contract import RunContext
from collectors.errors import (
    CollectionError,
    CredentialsRejected,
    MalformedResponse,
    RateLimited,
    TransientError,
)
from collectors.http import BoundedTransport
from collectors.redact import install_log_filter, register_secret, scrub
from collectors.transport import (
    DEFAULT_LIMITS,
    MAX_REDIRECTS,
    Fault,
    Limits,
    Service,
    host_name,
    origin,
    translate,
    wrong_json,
)

# Bluesky's budgets are per five minutes; without a usable reset header, wait that long.
FALLBACK_WAIT = timedelta(minutes=5)
T = TypeVar("T")
APPVIEW = Service("the Bluesky AppView", "platforms.bluesky.appview_url")
PDS = Service("a Bluesky PDS", "platforms.bluesky.pds_url")


class NotFound(CollectionError):
    """The post or profile does not exist (any more)."""


class _Budget:
    """What the last answer of one service said about the rate budget."""

    def __init__(self, on_request: Callable[[], None] | None) -> None:
        self.on_request = on_request
        self.remaining: int | None = None
        self.reset: float | None = None

    def request(self, request: httpx.Request) -> None:
        if self.on_request is not None:
            self.on_request()

    def response(self, response: httpx.Response) -> None:
        try:
            self.remaining = int(response.headers["ratelimit-remaining"])
            self.reset = float(response.headers["ratelimit-reset"])
        except (KeyError, ValueError):
            self.remaining = self.reset = None


def _client(base_url: str, limits: Limits, service: Service, budget: _Budget) -> Client:
    hooks = {"request": [budget.request], "response": [budget.response]}
    request = Request(
        timeout=limits.deadline_seconds, event_hooks=hooks, max_redirects=MAX_REDIRECTS,
        transport=BoundedTransport(limits, service),
    )  # fmt: skip
    return Client(base_url=base_url, request=request)


def _answer_keys(params_model: Any) -> tuple[str, ...]:
    """The keys the lexicon's output requires, from atproto's Response model next to the
    query's Params (none known: any object passes)."""
    response = getattr(sys.modules.get(params_model.__module__), "Response", None)
    fields = getattr(response, "model_fields", {})
    return tuple(name for name, field in fields.items() if field.is_required())


class BlueskyClient:
    def __init__(
        self,
        appview_url: str,
        pds_url: str,
        limits: Limits = DEFAULT_LIMITS,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        install_log_filter()
        self.appview_url = appview_url
        self.pds_url = pds_url
        self.limits = limits
        self._on_request = on_request
        self._public_budget = _Budget(on_request)
        self._signed_budget = _Budget(on_request)
        self.public = _client(appview_url, limits, APPVIEW, self._public_budget)
        self.signed: Client | None = None

    def login(self, run: RunContext, identifier: str, app_password: str) -> None:
        """A session at the PDS with the account's app password (one createSession call)."""
        register_secret(app_password)
        client = _client(self.pds_url, self.limits, PDS, self._signed_budget)
        endpoint = "POST com.atproto.server.createSession"

        def create() -> None:
            client.login(identifier, app_password, fetch_bsky_profile=False)

        run.call(
            lambda: self._translate(create, endpoint, self._signed_budget, self.pds_url, run),
            endpoint=endpoint,
        )
        self.signed = client

    def query(
        self,
        run: RunContext,
        nsid: str,
        params_model: Any,
        params: Mapping[str, Any],
        *,
        signed: bool = False,
        endpoint: str | None = None,
    ) -> Any:
        """One XRPC query; returns the answer's JSON. ``signed`` sends it as the account."""
        client = self.signed if signed else self.public
        if client is None:
            raise CredentialsRejected("this read needs the account's app password", nsid)
        budget = self._signed_budget if signed else self._public_budget
        url = self.pds_url if signed else self.appview_url
        model = get_or_create({k: v for k, v in params.items() if v is not None}, params_model)
        name = endpoint or f"GET {nsid}"
        service = PDS if signed else APPVIEW
        required = _answer_keys(params_model)

        def fetch() -> Any:
            response = client.invoke_query(nsid, params=model, output_encoding="application/json")
            content = response.content
            if not isinstance(content, dict) or (
                required and not any(key in content for key in required)
            ):
                expected = " or ".join(required) if required else "an object"
                raise wrong_json(service, host_name(origin(url)), expected, name)
            return content

        return run.call(lambda: self._translate(fetch, name, budget, url, run), endpoint=name)

    def _translate(
        self, fetch: Callable[[], T], endpoint: str, budget: _Budget, url: str, run: RunContext
    ) -> T:
        """``url`` is the service the request goes to (AppView or PDS). Its reset times are
        on its own clock, compared with the run's (atproto passes them on unchanged)."""
        spent = budget.remaining is not None and budget.remaining <= 0
        if spent and budget.reset is not None and budget.reset > run.current_time().timestamp():
            # Do not send a call the budget has no room for: it could only come back as 429.
            raise RateLimited("the rate budget is used up", endpoint,
                              datetime.fromtimestamp(budget.reset, UTC))  # fmt: skip
        try:
            return fetch()
        except RateLimitExceededError as exc:
            reset = exc.reset_at or run.current_time() + FALLBACK_WAIT
            raise RateLimited(_describe(exc), endpoint, reset) from None
        except UnauthorizedError as exc:
            raise CredentialsRejected(_describe(exc), endpoint) from None
        except BadRequestError as exc:
            error = _error_name(exc)
            if error == "ExpiredToken":
                raise CredentialsRejected(_describe(exc), endpoint) from None
            if error == "NotFound" or "not found" in _message(exc).lower():
                raise NotFound(_describe(exc), endpoint) from None
            raise CollectionError(_describe(exc), endpoint) from None
        except (NetworkError, InvokeTimeoutError) as exc:
            # atproto raises NetworkError for 409/413/502 answers (with a response) and for
            # httpx's own errors (the transport names its faults itself, see below).
            error = translate(exc, endpoint, origin(url))
            if error is not None:
                raise error from None
            raise TransientError(
                _describe(exc), endpoint, answered=exc.response is not None, origin=origin(url),
                fault=Fault.SERVER_ERROR,
            ) from None  # fmt: skip
        except RequestException as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status >= 500:
                raise TransientError(_describe(exc), endpoint, fault=Fault.SERVER_ERROR) from None
            raise CollectionError(_describe(exc), endpoint) from None
        except CollectionError:
            raise
        except Exception as exc:
            # The transport's faults pass through atproto unwrapped; so does a redirect loop.
            error = translate(exc, endpoint, origin(url))
            if error is not None:
                raise error from None
            if isinstance(exc, ValueError):
                # pydantic_core's JSON parser: a body that starts like JSON but is damaged.
                raise MalformedResponse("the response is not valid JSON", endpoint) from None
            raise


def _error_name(exc: RequestErrorBase) -> str:
    content = exc.response.content if exc.response is not None else None
    return content.error if isinstance(content, XrpcError) and content.error else ""


def _message(exc: RequestErrorBase) -> str:
    content = exc.response.content if exc.response is not None else None
    return content.message if isinstance(content, XrpcError) and content.message else ""


def _describe(exc: RequestErrorBase) -> str:
    """Status, XRPC error name and message; never the request (it has the tokens)."""
    if exc.response is None:
        cause = exc.__cause__ or exc.__context__
        return scrub(f"{type(cause or exc).__name__}: {cause or exc}")[:300]
    parts = [f"HTTP {exc.response.status_code}"]
    if _error_name(exc):
        parts.append(_error_name(exc))
    text = " ".join(parts)
    if _message(exc):
        text = f"{text}: {_message(exc)}"
    return scrub(text)
