"""The token a collection uses for a connected account: opened, checked, renewed.

:func:`collection_secret` is what ``replywatch.collecting`` asks before building a
collector for an account with a connection (an account without one keeps its
``credentials_ref``). On the way it

- asks the platform about the token at most once a day where it can be asked (Meta's
  ``debug_token``): the end of its data access is recorded as the connection's
  ``expires_at`` (the date owners are told to renew by), and a token the platform calls
  invalid stops here as expired or revoked, without spending collection calls;
- renews an access token that ends within :data:`REFRESH_AHEAD` with its refresh token
  (X, Google). X hands out a new refresh token with every refresh and refuses the old one
  from then on, so two processes must never refresh the same connection at once: a lease
  (``storage.leases``) lets one process refresh while another waits and then reads the
  new token; the new pair replaces the old one only over the version that was read
  (compare-and-swap), in one statement.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, update

from replywatch.config import Settings
from replywatch.connect.grants import ConnectError, FlowContext, Refusal
from replywatch.connect.vault import Vault, VaultError
from replywatch.references import load
from storage import leases
from storage.engine import session_factory
from storage.models import Account, Connection, CredentialStatus
from storage.platforms import PLATFORMS

log = logging.getLogger("replywatch.connect")

REFRESH_AHEAD = timedelta(minutes=5)
CHECK_EVERY = timedelta(days=1)
LEASE = timedelta(seconds=60)
WAIT_FOR_OTHER = 45.0  # seconds to wait for another process's refresh
POLL = 0.05


class CredentialProblem(Exception):
    """The connection cannot be used: ``status`` is what the account's credentials are."""

    def __init__(self, status: CredentialStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class NotNow(Exception):
    """The platform could not be asked right now (rate limit, no answer): try later."""

    def __init__(self, message: str, outcome: str, resume_after: datetime | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.outcome = outcome  # rate_limited or failed
        self.resume_after = resume_after


@dataclass(frozen=True)
class _Row:
    sealed: str
    version: int
    method: str
    scopes: tuple[str, ...]
    access_expires_at: datetime | None
    checked_at: datetime | None


def _read(engine: Engine, account_id: int) -> tuple[str, _Row] | None:
    with session_factory(engine)() as session:
        found = session.get(Connection, account_id)
        account = session.get(Account, account_id)
        if found is None or account is None:
            return None
        return account.platform, _Row(
            found.sealed,
            found.version,
            found.method,
            tuple(found.scopes.split()),
            found.access_expires_at,
            found.checked_at,
        )


def collection_secret(engine: Engine, settings: Settings, account_id: int, now: datetime) -> str:
    """The secret to collect ``account_id`` with; raises CredentialProblem or NotNow."""
    read = _read(engine, account_id)
    if read is None:
        raise CredentialProblem(CredentialStatus.NEEDS_RENEWAL, "the account has no connection")
    platform, row = read
    spec = PLATFORMS.get(platform)
    if spec is None or spec.connect is None:
        raise CredentialProblem(
            CredentialStatus.NEEDS_RENEWAL, f"{platform} accounts cannot be connected"
        )
    vault = Vault(settings.key_file)
    flow = load(spec.connect.flow)
    context = FlowContext(
        settings=settings,
        engine=engine,
        vault=vault,
        now=now,
        timeout=float(settings.get("collect.request_timeout")),
    )
    try:
        secret = vault.open(row.sealed)
    except VaultError as exc:
        raise CredentialProblem(CredentialStatus.NEEDS_RENEWAL, str(exc)) from None
    if hasattr(flow, "inspect") and (row.checked_at is None or now - row.checked_at >= CHECK_EVERY):
        _inspect(engine, flow, context, account_id, platform, secret)
    if hasattr(flow, "refresh") and secret.get("refresh_token") and _ends_soon(row, now):
        secret = _refreshed(engine, flow, context, account_id, row)
    return str(secret["secret"])


def _ends_soon(row: _Row, now: datetime) -> bool:
    return row.access_expires_at is not None and now >= row.access_expires_at - REFRESH_AHEAD


def _inspect(
    engine: Engine,
    flow: object,
    context: FlowContext,
    account_id: int,
    platform: str,
    secret: dict[str, str],
) -> None:
    try:
        inspection = flow.inspect(context, secret)  # type: ignore[attr-defined]
    except ConnectError as exc:
        if exc.refusal in (Refusal.RATE_LIMITED, Refusal.UNREACHABLE, Refusal.PLATFORM):
            # Not a verdict on the token: collect anyway, ask again next time.
            log.info("account %s: the token check was not answered: %s", account_id, exc)
            return
        raise CredentialProblem(CredentialStatus.NEEDS_RENEWAL, exc.message) from None
    if inspection is None:
        return
    with session_factory(engine).begin() as session:
        session.execute(
            update(Connection)
            .where(Connection.account_id == account_id)
            .values(
                checked_at=context.now,
                expires_at=inspection.expires_at,
                scopes=" ".join(inspection.scopes)[:1000],
            )
        )
    if not inspection.valid:
        status = (
            CredentialStatus.EXPIRED
            if inspection.problem == "expired"
            else CredentialStatus.REVOKED
        )
        raise CredentialProblem(
            status, f"the platform says the token is not valid any more: {inspection.detail}"
        )
    spec = PLATFORMS[platform]
    assert spec.connect is not None
    missing = [p for p in spec.connect.needed_by(platform) if p not in inspection.scopes]
    if missing:
        raise CredentialProblem(
            CredentialStatus.NO_PERMISSION,
            f"the permission {', '.join(missing)} was taken back; connect the account again "
            "and allow it",
        )


def _refreshed(
    engine: Engine, flow: object, context: FlowContext, account_id: int, row: _Row
) -> dict[str, str]:
    """The connection's secret after a refresh by this process or by another one."""
    key = f"connection:refresh:{account_id}"
    owner = leases.new_owner("refresh")
    deadline = time.monotonic() + WAIT_FOR_OTHER
    vault = context.vault
    while True:
        with engine.begin() as connection:
            taken = leases.try_acquire(connection, key, owner, LEASE, context.now)
        if taken:
            break
        # Another process is refreshing: once it has stored the new token, use that.
        current = _read(engine, account_id)
        if current is not None and current[1].version != row.version:
            return vault.open(current[1].sealed)
        if time.monotonic() > deadline:
            raise NotNow("another process has been refreshing the token for too long", "failed")
        time.sleep(POLL)
    try:
        current = _read(engine, account_id)
        if current is None:
            raise CredentialProblem(CredentialStatus.NEEDS_RENEWAL, "the connection was removed")
        _, latest = current
        if latest.version != row.version and not _ends_soon(latest, context.now):
            return vault.open(latest.sealed)  # refreshed meanwhile
        secret = vault.open(latest.sealed)
        try:
            renewed = flow.refresh(context, secret)  # type: ignore[attr-defined]
        except ConnectError as exc:
            if exc.refusal == Refusal.RATE_LIMITED:
                raise NotNow(
                    exc.message, "rate_limited", context.now + timedelta(minutes=15)
                ) from None
            if exc.refusal in (Refusal.UNREACHABLE, Refusal.PLATFORM):
                raise NotNow(exc.message, "failed") from None
            raise CredentialProblem(
                CredentialStatus.REVOKED,
                f"{exc.message}; the owner has to connect the account again",
            ) from None
        if renewed is None:
            return secret
        with session_factory(engine).begin() as session:
            written = session.execute(
                update(Connection)
                .where(Connection.account_id == account_id, Connection.version == latest.version)
                .values(
                    sealed=vault.seal(renewed.secret),
                    version=latest.version + 1,
                    access_expires_at=renewed.access_expires_at,
                    refreshed_at=context.now,
                )
            )
            if written.rowcount != 1:  # type: ignore[attr-defined]
                again = session.get(Connection, account_id)
                if again is None:
                    raise CredentialProblem(
                        CredentialStatus.NEEDS_RENEWAL, "the connection was removed"
                    )
                theirs = vault.open(again.sealed)
                if theirs.get("refresh_token") != secret.get("refresh_token"):
                    # The owner connected again meanwhile: their new grant wins.
                    return theirs
                # A key rotation re-sealed the token just refreshed away: keep ours.
                again.sealed = vault.seal(renewed.secret)
                again.version = again.version + 1
                again.access_expires_at = renewed.access_expires_at
                again.refreshed_at = context.now
        log.info("account %s: access token renewed", account_id)
        return renewed.secret
    finally:
        with engine.begin() as connection:
            leases.release(connection, key, owner)
