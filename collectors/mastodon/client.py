"""Mastodon.py on one instance, with its errors in our words.

Mastodon.py takes the instance URL and a ``requests.Session``; the session gets a
:class:`collectors.http.PlatformAdapter` (no rewriting: the URL is already the configured
one) that bounds each request (deadline, size), names transport faults
(``collectors.transport``), counts every request for the run and remembers the last
status. Mastodon.py wraps whatever the session raises in ``MastodonNetworkError``; the
fault is found in its chain, so that a redirect loop is not taken for an unreachable host
and retried. Every answer of the Mastodon API is a list or an object with an ``id`` (or a
thread's ``ancestors``/``descendants``); anything else is not the API's. Two habits of the
library shape this module:

- on a 429 with ``ratelimit_method="throw"`` it raises ``MastodonRatelimitError`` without
  the reset; the reset is in ``ratelimit_reset`` (the ``X-RateLimit-Reset`` header, moved to
  our clock). When the headers say the budget is used up, the next call is not even sent.
- on calls that return a list it loses the server's error message; the status code is kept.
- it parses ``X-RateLimit-Reset`` (and ``Date``, to correct for clock skew) of every answer
  and raises ``MastodonRatelimitError`` ("Rate limit time calculations failed") when either
  cannot be parsed, even on a 200 with data. Instances behind proxies send such headers.
  A response hook on the session (ours) checks them first: an unusable one is logged once
  per run and removed before Mastodon.py sees it, so the answer is used. The calls are then
  counted here, against the budget the instance announced (``X-RateLimit-Limit``, or
  Mastodon's 300 per 5 minutes), so that a run still stops before the budget runs out.
"""

from __future__ import annotations

import json
import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from collectors.contract import RunContext
from collectors.errors import (
    EXPIRED,
    NO_PERMISSION,
    REFUSED,
    REVOKED,
    CollectionError,
    CredentialsRejected,
    MalformedResponse,
    RateLimited,
    TransientError,
)
from collectors.http import PlatformAdapter, mount
from collectors.redact import install_log_filter, register_secret, scrub
from collectors.transport import (
    DEFAULT_LIMITS,
    Fault,
    Limits,
    Service,
    host_name,
    origin,
    translate,
    wrong_json,
)

# Mastodon's budget window is five minutes; without a usable reset header, wait that long.
FALLBACK_WAIT = timedelta(minutes=5)
WINDOW_SECONDS = 300.0
DEFAULT_BUDGET = 300  # Mastodon's calls per window and token when no header says otherwise
T = TypeVar("T")
log = logging.getLogger(__name__)
SERVICE = Service("the Mastodon API", "the account's instance (or platforms.mastodon.api_url)")
OBJECT_KEYS = ("id", "ancestors", "descendants")  # an account, a status, a thread context


class NotFound(CollectionError):
    """404: the account or status does not exist (any more), or is not visible."""


class MastodonClient:
    def __init__(
        self,
        base_url: str,
        access_token: str | None,
        limits: Limits = DEFAULT_LIMITS,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        register_secret(access_token)
        install_log_filter()
        self.base_url = base_url.rstrip("/")
        self.signed_in = bool(access_token)
        self._on_request = on_request
        # Monotonic times of the calls of the last window, counted while the instance's
        # rate-limit headers are missing or unusable.
        self._sent: deque[float] = deque()
        self._announced_limit: int | None = None
        self._reset_known = True  # whether the last answer had a usable X-RateLimit-Reset
        self.unusable_headers: str | None = None  # what the instance sent, once seen
        session = requests.Session()
        session.hooks["response"].append(self._check_rate_headers)
        self.adapter: PlatformAdapter = mount(
            session, self.base_url, self.base_url, limits, SERVICE, self._count
        )
        self.origin = origin(self.base_url)
        self.api = Mastodon(
            access_token=access_token or None,
            api_base_url=self.base_url,
            ratelimit_method="throw",
            request_timeout=limits.deadline_seconds,
            session=session,
            version_check_mode="none",
        )

    def get(self, run: RunContext, method: str, *args: Any, endpoint: str, **params: Any) -> Any:
        """One request through ``run.call`` (which retries transient faults)."""
        bound = getattr(self.api, method)
        return run.call(lambda: self._translate(lambda: bound(*args, **params), endpoint, run),
                        endpoint=endpoint)  # fmt: skip

    def next_page(self, run: RunContext, page: Any, endpoint: str) -> Any:
        """The page after ``page`` by its ``Link: rel="next"`` (None when there is none)."""
        if getattr(page, "_pagination_next", None) is None:
            return None
        return run.call(
            lambda: self._translate(lambda: self.api.fetch_next(page), endpoint, run),
            endpoint=endpoint,
        )

    def _count(self) -> None:
        now = time.monotonic()
        self._sent.append(now)
        while self._sent and now - self._sent[0] >= WINDOW_SECONDS:
            self._sent.popleft()
        if self._on_request is not None:
            self._on_request()

    def _check_rate_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> Any:
        """Remove rate-limit headers Mastodon.py could not parse (it would raise on them)."""
        headers = response.headers
        unusable = []
        reset = headers.get("X-RateLimit-Reset")
        if reset is not None and _reset_time(reset) is None:
            unusable.append(f"X-RateLimit-Reset {reset!r}")
            del headers["X-RateLimit-Reset"]
        date = headers.get("Date")
        if date is not None and "X-RateLimit-Reset" in headers and _http_date(date) is None:
            unusable.append(f"Date {date!r}")
            del headers["Date"]
        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining"):
            value = headers.get(name)
            if value is not None and not value.strip().isdigit():
                unusable.append(f"{name} {value!r}")
                del headers[name]
        limit = headers.get("X-RateLimit-Limit")
        if limit is not None:
            self._announced_limit = int(limit)
        self._reset_known = "X-RateLimit-Reset" in headers
        if unusable and self.unusable_headers is None:
            self.unusable_headers = ", ".join(unusable)
            log.warning(
                "%s sent unusable rate-limit headers (%s, HTTP %s); its answers are used and "
                "replywatch counts the calls against the budget itself",
                self.base_url, scrub(self.unusable_headers)[:300], response.status_code,
            )  # fmt: skip
        return response

    def _translate(self, fetch: Callable[[], T], endpoint: str, run: RunContext) -> T:
        self._refuse_when_spent(run, endpoint)
        answer = self._send(fetch, endpoint, run)
        if answer is None:
            return answer
        # Mastodon.py makes a list of an object's keys when it expects a list: the body's
        # first byte tells which it was.
        if isinstance(answer, list) and self.adapter.last_opening == b"[":
            return answer
        if isinstance(answer, dict) and any(key in answer for key in OBJECT_KEYS):
            return answer
        raise wrong_json(SERVICE, host_name(self.origin), "a list or an id", endpoint)

    def _send(self, fetch: Callable[[], T], endpoint: str, run: RunContext) -> T:
        try:
            return fetch()
        except MastodonRatelimitError as exc:
            status = self.adapter.last_status
            if status is not None and status != 429:
                # Mastodon.py refused an answer for its headers alone (the hook above removes
                # the ones it is known to choke on): say what happened, not "429".
                raise CollectionError(
                    f"HTTP {status}: Mastodon.py refused the answer: {scrub(str(exc))[:200]}",
                    endpoint,
                ) from None
            raise RateLimited(
                f"HTTP 429 (budget of {self.api.ratelimit_limit} calls used up)",
                endpoint,
                self._reset_at(run),
            ) from None
        except MastodonUnauthorizedError as exc:
            described = _describe(exc)
            said = _refusal_text(self.adapter.last_refusal)
            if said and said not in described:
                described = f"{described}: {said}"
            # Mastodon (Doorkeeper) says why: "The access token was revoked" / "… expired".
            reason = REFUSED
            if "revoked" in described:
                reason = REVOKED
            elif "expired" in described:
                reason = EXPIRED
            raise CredentialsRejected(described, endpoint, reason=reason) from None
        except MastodonNotFoundError as exc:
            raise NotFound(_describe(exc), endpoint) from None
        except MastodonServerError as exc:
            raise TransientError(_describe(exc), endpoint, fault=Fault.SERVER_ERROR) from None
        except MastodonNetworkError as exc:
            # Mastodon.py raises this for any exception while sending; the cause is chained.
            error = translate(exc, endpoint, self.origin)
            if error is None:
                error = CollectionError(
                    f"Mastodon.py could not send the request: {scrub(str(exc))[:300]}", endpoint
                )
            raise error from None
        except MastodonAPIError as exc:
            status = _status(exc)
            if status is None:
                # Mastodon.py says "Could not parse response as JSON" this way.
                if (self.adapter.last_status or 200) >= 500:
                    raise TransientError(
                        f"HTTP {self.adapter.last_status}", endpoint, fault=Fault.SERVER_ERROR
                    ) from None
                # The adapter let it through because it starts like JSON: a damaged page.
                raise MalformedResponse("the response is not valid JSON", endpoint) from None
            if status == 403:
                # A token without the read scope, or a suspended account.
                raise CredentialsRejected(_describe(exc), endpoint, reason=NO_PERMISSION) from None
            raise CollectionError(_describe(exc), endpoint) from None

    def _refuse_when_spent(self, run: RunContext, endpoint: str) -> None:
        """Do not send a call the budget has no room for: it could only come back as 429."""
        remaining, wait = self.api.ratelimit_remaining, self._wait()
        if remaining is not None and remaining <= 0 and wait is not None:
            raise RateLimited(
                f"the budget of {self.api.ratelimit_limit} calls is used up", endpoint,
                self._reset_at(run),
            )  # fmt: skip
        if self._reset_known:
            return
        # The instance's account of the budget is missing or unusable: count the calls.
        now = time.monotonic()
        while self._sent and now - self._sent[0] >= WINDOW_SECONDS:
            self._sent.popleft()
        limit = self._announced_limit or DEFAULT_BUDGET
        if len(self._sent) >= limit:
            left = timedelta(seconds=WINDOW_SECONDS - (now - self._sent[0]))
            why = f"unusable: {self.unusable_headers}" if self.unusable_headers else "missing"
            raise RateLimited(
                f"{len(self._sent)} calls counted in 5 minutes, the budget of {limit} (the "
                f"instance's rate-limit headers are {why})",
                endpoint, run.current_time() + left,
            )  # fmt: skip

    def _wait(self) -> timedelta | None:
        """How long until the budget resets, if the instance said so and it is still ahead.

        Mastodon.py keeps the reset on this machine's clock (it moves the instance's by the
        ``Date`` header), so the difference to this machine's clock is the wait."""
        reset = self.api.ratelimit_reset
        if reset is None or reset <= time.time():
            return None
        return timedelta(seconds=reset - time.time())

    def _reset_at(self, run: RunContext) -> datetime:
        """The reset on the run's clock, which is what the run's record compares with."""
        return run.current_time() + (self._wait() or FALLBACK_WAIT)


def _reset_time(value: str) -> datetime | None:
    """``X-RateLimit-Reset``: Unix seconds (GoToSocial) or an ISO 8601 time (Mastodon)."""
    text = value.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def _http_date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _status(exc: MastodonAPIError) -> int | None:
    args = exc.args
    return args[1] if len(args) > 1 and isinstance(args[1], int) else None


def _refusal_text(body: bytes) -> str:
    """The ``error`` of a refusal's JSON body, or ""."""
    try:
        value = json.loads(body.decode("utf-8")) if body else None
    except (ValueError, UnicodeDecodeError):
        return ""
    said = value.get("error") if isinstance(value, dict) else None
    return scrub(said)[:300] if isinstance(said, str) else ""


def _describe(exc: MastodonAPIError) -> str:
    """The status and the instance's own explanation, never the request (it has the token)."""
    args = exc.args
    status = _status(exc)
    reason = args[2] if len(args) > 2 and isinstance(args[2], str) else ""
    message = args[3] if len(args) > 3 and isinstance(args[3], str) else ""
    text = f"HTTP {status} {reason}".strip() if status is not None else "error"
    if message and message != reason:
        text = f"{text}: {message}"
    return scrub(text)
