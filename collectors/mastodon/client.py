"""Mastodon.py on one instance, with its errors in our words.

Mastodon.py takes the instance URL and a ``requests.Session``; the session gets a
:class:`collectors.http.PlatformAdapter` (no rewriting: the URL is already the configured
one) that applies the timeout, counts every request for the run and remembers the last
status. Two habits of the library shape this module:

- on a 429 with ``ratelimit_method="throw"`` it raises ``MastodonRatelimitError`` without
  the reset; the reset is in ``ratelimit_reset`` (the ``X-RateLimit-Reset`` header, moved to
  our clock). When the headers say the budget is used up, the next call is not even sent.
- on calls that return a list it loses the server's error message; the status code is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
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
    CollectionError,
    CredentialsRejected,
    MalformedResponse,
    RateLimited,
    TransientError,
)
from collectors.http import PlatformAdapter, mount, unreachable
from collectors.redact import install_log_filter, register_secret, scrub

# Mastodon's budget window is five minutes; without a usable reset header, wait that long.
FALLBACK_WAIT = timedelta(minutes=5)
T = TypeVar("T")


class NotFound(CollectionError):
    """404: the account or status does not exist (any more), or is not visible."""


class MastodonClient:
    def __init__(
        self,
        base_url: str,
        access_token: str | None,
        timeout: float = 30.0,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        register_secret(access_token)
        install_log_filter()
        self.base_url = base_url.rstrip("/")
        self.signed_in = bool(access_token)
        session = requests.Session()
        self.adapter: PlatformAdapter = mount(
            session, self.base_url, self.base_url, timeout, on_request
        )
        self.api = Mastodon(
            access_token=access_token or None,
            api_base_url=self.base_url,
            ratelimit_method="throw",
            request_timeout=timeout,
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

    def _translate(self, fetch: Callable[[], T], endpoint: str, run: RunContext) -> T:
        self._refuse_when_spent(run, endpoint)
        try:
            return fetch()
        except MastodonRatelimitError:
            raise RateLimited(
                f"HTTP 429 (budget of {self.api.ratelimit_limit} calls used up)",
                endpoint,
                self._reset_at(run),
            ) from None
        except MastodonUnauthorizedError as exc:
            raise CredentialsRejected(_describe(exc), endpoint) from None
        except MastodonNotFoundError as exc:
            raise NotFound(_describe(exc), endpoint) from None
        except MastodonServerError as exc:
            raise TransientError(_describe(exc), endpoint) from None
        except MastodonNetworkError as exc:
            # Mastodon.py raises this for any exception while sending: no answer came back.
            raise unreachable(scrub(str(exc))[:300], endpoint, self.base_url) from None
        except MastodonAPIError as exc:
            status = _status(exc)
            if status is None:
                # Mastodon.py says "Could not parse response as JSON" this way.
                if (self.adapter.last_status or 200) >= 500:
                    raise TransientError(f"HTTP {self.adapter.last_status}", endpoint) from None
                raise MalformedResponse("the response is not valid JSON", endpoint) from None
            if status == 403:
                # A token without the read scope, or a suspended account.
                raise CredentialsRejected(_describe(exc), endpoint) from None
            raise CollectionError(_describe(exc), endpoint) from None

    def _refuse_when_spent(self, run: RunContext, endpoint: str) -> None:
        """Do not send a call the budget has no room for: it could only come back as 429."""
        remaining, wait = self.api.ratelimit_remaining, self._wait()
        if remaining is not None and remaining <= 0 and wait is not None:
            raise RateLimited(
                f"the budget of {self.api.ratelimit_limit} calls is used up", endpoint,
                self._reset_at(run),
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


def _status(exc: MastodonAPIError) -> int | None:
    args = exc.args
    return args[1] if len(args) > 1 and isinstance(args[1], int) else None


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
