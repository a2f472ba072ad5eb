"""tweepy.Client, pointed at the configured host, with its errors in our words.

tweepy hard-codes ``https://api.twitter.com``; a :class:`collectors.http.PlatformAdapter`
mounted on ``client.session`` sends its requests to the configured base URL instead
(api.x.com, a proxy, the simulated platform), bounds and counts them. The library itself is
not patched. Responses come back as plain dicts (see ``collectors.x.records``); every answer
of the X API v2 is an object with ``data``, ``meta``, ``errors`` or ``includes``, and one
without any is not the X API's (``collectors.transport``: "not JSON").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import requests
import tweepy

from collectors.contract import RunContext
from collectors.errors import (
    NO_PERMISSION,
    CollectionError,
    CredentialsRejected,
    MalformedResponse,
    RateLimited,
    TransientError,
)
from collectors.http import host_name, mount, origin
from collectors.redact import install_log_filter, register_secret, scrub
from collectors.transport import DEFAULT_LIMITS, Fault, Limits, Service, translate, wrong_json

DEFAULT_BASE_URL = "https://api.twitter.com"
# When X sends a 429 without a reset header (it should not), wait one rate-limit window.
FALLBACK_WAIT = timedelta(minutes=15)
T = TypeVar("T")
SERVICE = Service("the X API", "platforms.x.api_url")
# What every answer of the X API v2 has at least one of.
ANSWER_KEYS = ("data", "meta", "errors", "includes")


class RequestRefused(CollectionError):
    """400 or 404: X refused the request itself (a bad parameter, an expired page token)."""


class XClient:
    def __init__(
        self,
        bearer_token: str,
        base_url: str = DEFAULT_BASE_URL,
        limits: Limits = DEFAULT_LIMITS,
        on_request: Callable[[], None] | None = None,
    ) -> None:
        register_secret(bearer_token)
        install_log_filter()
        self.tweepy = tweepy.Client(
            bearer_token=bearer_token, wait_on_rate_limit=False, return_type=dict
        )
        self.adapter = mount(
            self.tweepy.session, DEFAULT_BASE_URL, base_url, limits, SERVICE, on_request
        )
        self.origin = origin(base_url)

    def get(self, run: RunContext, method: str, *args: Any, endpoint: str, **params: Any) -> Any:
        """One request through ``run.call`` (which retries transient faults)."""
        bound = getattr(self.tweepy, method)
        return run.call(lambda: self._translate(lambda: bound(*args, **params), endpoint, run),
                        endpoint=endpoint)  # fmt: skip

    def pages(
        self,
        run: RunContext,
        method: str,
        *args: Any,
        endpoint: str,
        pagination_token: str | None = None,
        **params: Any,
    ) -> Iterator[Any]:
        """The pages of a paginated endpoint, through tweepy's Paginator.

        The Paginator must get the client's own bound method: it picks ``next_token`` or
        ``pagination_token`` by the method's name. A failed page is asked for again on
        retry, because the Paginator only moves its token after a page arrived.
        """
        bound = getattr(self.tweepy, method)
        iterator = iter(tweepy.Paginator(bound, *args, pagination_token=pagination_token,
                                         **params))  # fmt: skip
        while True:
            page = run.call(
                lambda: self._translate(lambda: next(iterator, None), endpoint, run),
                endpoint=endpoint,
            )
            if page is None:
                return
            yield page

    def _translate(self, fetch: Callable[[], T], endpoint: str, run: RunContext) -> T:
        answer = self._send(fetch, endpoint, run)
        if answer is not None and not (
            isinstance(answer, dict) and any(key in answer for key in ANSWER_KEYS)
        ):
            raise wrong_json(SERVICE, host_name(self.origin), "data, meta or errors", endpoint)
        return answer

    def _send(self, fetch: Callable[[], T], endpoint: str, run: RunContext) -> T:
        try:
            return fetch()
        except tweepy.TooManyRequests as exc:
            reset = (
                datetime.fromtimestamp(exc.reset_time, UTC)
                if exc.reset_time
                else run.current_time() + FALLBACK_WAIT
            )
            raise RateLimited(_describe(exc), endpoint, reset) from None
        except tweepy.Unauthorized as exc:
            raise CredentialsRejected(_describe(exc), endpoint) from None
        except tweepy.Forbidden as exc:
            # A valid token that may not read this (a scope or an access level missing).
            raise CredentialsRejected(_describe(exc), endpoint, reason=NO_PERMISSION) from None
        except tweepy.TwitterServerError as exc:
            raise TransientError(_describe(exc), endpoint, fault=Fault.SERVER_ERROR) from None
        except (tweepy.BadRequest, tweepy.NotFound) as exc:
            raise RequestRefused(_describe(exc), endpoint) from None
        except tweepy.HTTPException as exc:
            raise CollectionError(_describe(exc), endpoint) from None
        except requests.exceptions.JSONDecodeError:
            # The adapter let it through because it starts like JSON: a damaged page.
            raise MalformedResponse("the response is not valid JSON", endpoint) from None
        except RuntimeError as exc:
            # tweepy's Paginator refuses a page that is JSON but not an object.
            if "return type" not in str(exc):
                raise
            raise wrong_json(
                SERVICE, host_name(self.origin), "data, meta or errors", endpoint
            ) from None
        except Exception as exc:
            error = translate(exc, endpoint, self.origin)
            if error is None:
                raise
            raise error from None


def _describe(exc: tweepy.HTTPException) -> str:
    """The status and X's own explanation, never the request (it carries the token)."""
    status = exc.response.status_code if exc.response is not None else "?"
    messages = [m for m in exc.api_messages if m] if exc.api_messages else []
    reason = "; ".join(messages) or (exc.response.reason if exc.response is not None else "")
    return scrub(f"HTTP {status} {reason}".strip())
