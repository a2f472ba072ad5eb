"""What a connect flow works with: the request it starts from, what the platform grants,
and what can go wrong, in words every platform's flow shares."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Engine

from replywatch.config import Settings
from replywatch.connect.vault import Vault


class Refusal(StrEnum):
    """Why a connect did not end with a stored token."""

    DENIED = "denied"  # the person said no on the platform's consent screen
    FORGED = "forged"  # a callback with a state nobody sent
    REPLAYED = "replayed"  # a callback whose state was used already
    WRONG_HOLDER = "wrong_holder"  # the state belongs to another login or process
    STALE = "stale"  # the connect was started too long ago
    CODE_REFUSED = "code_refused"  # the platform refused the code (expired, used)
    NOT_CONFIGURED = "not_configured"  # the operator has not registered the app
    PERMISSION = "permission"  # granted without a permission the collectors need
    OTHER_CLIENT = "other_client"  # the account belongs to another client
    NOTHING = "nothing"  # the login gave access to no account
    PLATFORM = "platform"  # the platform failed or answered nonsense
    RATE_LIMITED = "rate_limited"
    UNREACHABLE = "unreachable"
    BAD_INPUT = "bad_input"  # a handle, an address or an app password that is not one
    REJECTED = "rejected"  # the platform refused the credentials themselves


class ConnectError(Exception):
    """A connect that stops here; ``message`` says what happened and what to do, in words
    for the person connecting (never a token)."""

    def __init__(self, refusal: Refusal, message: str) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.message = message


@dataclass(frozen=True)
class Grant:
    """One account the person gave access to, with the secret to store for it."""

    platform: str
    handle: str  # canonical
    platform_account_id: str | None
    display_name: str | None
    secret: dict[str, str]  # "secret" is what the collector gets; sealed as a whole
    scopes: tuple[str, ...]
    access_expires_at: datetime | None = None
    expires_at: datetime | None = None  # when the grant itself ends
    label: str = ""  # what the person reads when choosing
    missing: tuple[str, ...] = ()  # permissions the collectors need that were not granted

    @property
    def key(self) -> str:
        """Stable name for choosing: ``facebook:1234``."""
        return f"{self.platform}:{self.platform_account_id or self.handle}"

    def public(self) -> dict[str, Any]:
        """Everything but the secret: what may be shown and kept unsealed."""
        return {
            "key": self.key,
            "platform": self.platform,
            "handle": self.handle,
            "display_name": self.display_name,
            "label": self.label,
            "missing": list(self.missing),
        }


@dataclass(frozen=True)
class Authorization:
    """Where to send the person, and what to remember until they come back."""

    url: str
    remember: dict[str, str] = field(default_factory=dict)  # sealed: a PKCE verifier


@dataclass(frozen=True)
class Renewed:
    """A refreshed secret and the access token's new end."""

    secret: dict[str, str]
    access_expires_at: datetime | None


@dataclass(frozen=True)
class Inspection:
    """What the platform says about a stored token (Meta: debug_token)."""

    valid: bool
    expires_at: datetime | None
    scopes: tuple[str, ...]
    problem: str | None = None  # expired, revoked: the status it should get
    detail: str | None = None


@dataclass
class FlowContext:
    """What a platform's flow may use: the settings, the database (Mastodon remembers its
    app registrations), the vault and the time."""

    settings: Settings
    engine: Engine
    vault: Vault
    now: datetime
    redirect_uri: str = ""
    # What the person typed to start (asks_for of the registry): a Mastodon address.
    hint: str | None = None
    timeout: float = 30.0


class OAuthFlow(Protocol):
    """A platform's consent-screen flow (module attribute ``FLOW`` named in the registry)."""

    def authorize(self, context: FlowContext, state: str) -> Authorization: ...

    def exchange(
        self, context: FlowContext, code: str, remembered: dict[str, str]
    ) -> list[Grant]: ...

    def refresh(self, context: FlowContext, secret: dict[str, str]) -> Renewed | None: ...

    def inspect(self, context: FlowContext, secret: dict[str, str]) -> Inspection | None: ...
