"""What can go wrong while collecting, in words every platform shares.

A platform's client wrapper translates its library's exceptions into these; the collection
framework (``collectors.runner``) decides what each means for the run. Messages never contain
a token: they are built from the API's answer and the endpoint's name.
"""

from __future__ import annotations

from datetime import datetime


class CollectionError(Exception):
    """Base class. ``endpoint`` names where it happened, e.g. ``GET /2/users/:id/mentions``."""

    def __init__(self, detail: str, endpoint: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.endpoint = endpoint

    def __str__(self) -> str:
        return f"{self.detail} ({self.endpoint})" if self.endpoint else self.detail


class RateLimited(CollectionError):
    """The platform said "not now". The run stops, keeps what it has, resumes after reset."""

    def __init__(self, detail: str, endpoint: str | None, reset_at: datetime) -> None:
        super().__init__(detail, endpoint)
        self.reset_at = reset_at


class CredentialsRejected(CollectionError):
    """401/403 or an invalid token: the account needs new credentials.

    ``reason`` is what the platform said, where it said it: one of :data:`EXPIRED`,
    :data:`REVOKED`, :data:`NO_PERMISSION`, or :data:`REFUSED` when it did not say why.
    """

    def __init__(self, detail: str, endpoint: str | None = None, reason: str = "refused") -> None:
        super().__init__(detail, endpoint)
        self.reason = reason


EXPIRED = "expired"  # the token ran out
REVOKED = "revoked"  # taken back: the app removed, a password changed, a token revoked
NO_PERMISSION = "no_permission"  # valid, but without a permission this read needs
REFUSED = "refused"  # refused, the platform did not say why


class TransientError(CollectionError):
    """5xx, a timeout or a dropped connection: worth retrying after a pause.

    ``fault`` is its kind in ``collectors.transport.Fault`` (timeout, refused, cut off, 5xx).
    ``answered`` says whether the server sent an answer. The platform's transport sets it
    to False, with ``origin`` (``scheme://host:port``, see ``collectors.http.origin``)
    naming where it sent the request, when none came back: connection refused or closed
    before an answer, a DNS failure, no complete answer within the request's deadline.
    Then the host itself is unreachable, not merely failing, and ``replywatch collect``
    does not try the other accounts on it.
    """

    def __init__(
        self,
        detail: str,
        endpoint: str | None = None,
        *,
        answered: bool = True,
        origin: str | None = None,
        fault: str = "5xx",
    ) -> None:
        super().__init__(detail, endpoint)
        self.answered = answered
        self.origin = origin
        self.fault = fault


class UnusableAnswer(CollectionError):
    """The host answered, but with nothing a retry soon would change: HTML or an empty
    body instead of the API's JSON (a captive portal, a wrong base URL), JSON of another
    shape, a redirect loop, a body over the size limit. The call fails and so does the
    run; ``fault`` is its kind in ``collectors.transport.Fault``."""

    def __init__(self, detail: str, endpoint: str | None = None, *, fault: str) -> None:
        super().__init__(detail, endpoint)
        self.fault = fault


class MalformedResponse(CollectionError):
    """A whole response could not be read (not JSON, not the expected shape)."""


class AccountNotFound(CollectionError):
    """The handle or id does not name an account on the platform (or the token cannot see it)."""


class PayloadProblem(CollectionError):
    """One object inside a good response is unusable (missing fields, deleted author).

    ``item_id`` names the object when it has an id; the rest of the response is kept.
    """

    def __init__(self, detail: str, item_id: str | None, endpoint: str | None = None) -> None:
        super().__init__(detail, endpoint)
        self.item_id = item_id
