"""From an account number to a recorded collection run: the entry point the service calls.

``collect_account(engine, settings, account_id)`` resolves the account's secret — the
token its owner connected (``replywatch.connect.tokens``: opened with the key file,
checked with the platform once a day where it can be, renewed with its refresh token),
else the one its ``credentials_ref`` names (environment variable, then secrets file);
accounts on a platform whose registry entry does not require credentials may have none and
are then read without signing in — builds the platform's
collector through the factory its registry entry names (``storage.platforms``), and runs
it through the collection runner (``collectors.runner``). It

- never raises for platform faults or missing credentials: they are recorded in a
  ``CollectionRun`` and returned in the :class:`RunSummary`;
- returns at once, without calling the platform, while an earlier run's ``resume_after``
  (a rate-limit reset) is still ahead: outcome ``rate_limited``, ``run_id`` None;
- returns outcome ``skipped`` (nothing recorded) for an account that does not exist or is
  inactive, and, when given the :class:`UnreachableHosts` of a one-shot collect, for an
  account whose API host an earlier account's run in that collect could not reach;
- is safe to call concurrently for DIFFERENT accounts (each call has its own sessions,
  HTTP sessions and clients; nothing process-wide is changed). Two calls for the SAME
  account at once are not prevented here: the service's leases do that.

Database errors propagate: they cannot be recorded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from collectors.contract import Collector, CollectorFactory, Progress, RetryPolicy
from collectors.http import host_name, origin
from collectors.runner import RunSummary, latest_resume_after, record_failure, run_collection
from replywatch.config import Settings
from replywatch.connect.tokens import (
    CredentialProblem,
    NotNow,
    collection_secret,
)
from replywatch.privacy_key import key_source
from replywatch.references import load
from replywatch.secrets import SecretError, resolve_secret
from storage.engine import session_factory
from storage.models import Account, Connection
from storage.platforms import PLATFORMS, REGISTRY

# The secret is None for an account without credentials on a platform that allows that.
CollectorBuilder = Callable[[str | None, Settings], Collector]


def _installed() -> dict[str, CollectorFactory]:
    """Each registered platform's collector factory, loaded from its reference."""
    return {spec.name: load(spec.collector) for spec in REGISTRY}


FACTORIES: dict[str, CollectorFactory] = _installed()
# Platform -> how to build its collector from the account's token and the settings.
COLLECTORS: dict[str, CollectorBuilder] = {
    name: factory.build for name, factory in FACTORIES.items()
}


def _credentials_required(platform: str) -> bool:
    spec = PLATFORMS.get(platform)
    return spec is None or spec.credentials.required


def api_origins(platform: str, handle: str, signed_in: bool, settings: Settings) -> frozenset[str]:
    """The hosts (``scheme://host:port``) the platform's collector would send requests to
    for this account: the same settings its factory gives the collector."""
    factory = FACTORIES.get(platform)
    if factory is None:
        return frozenset()
    return frozenset(origin(url) for url in factory.api_urls(handle, signed_in, settings))


@dataclass
class UnreachableHosts:
    """Hosts that did not answer at all during ONE one-shot collect (``replywatch collect``).

    A run that ends ``failed`` because its requests got no answer (refused, reset, DNS,
    timeouts; not a 5xx or 429 from a live server) notes its host here; the accounts after
    it on that host are then skipped instead of each spending its own retry budget on a
    host that is down. It lives as long as the collect: the next collect tries again.
    """

    # origin -> the account whose run found it unreachable
    found: dict[str, int] = field(default_factory=dict)

    def note(self, summary: RunSummary) -> None:
        if summary.outcome == "failed" and summary.run_id is not None and summary.unreachable:
            self.found.setdefault(summary.unreachable, summary.account_id)

    def skip(self, account_id: int, origins: Iterable[str]) -> RunSummary | None:
        """The summary of skipping an account on a host found unreachable, or None."""
        for host in sorted(origins):
            finder = self.found.get(host)
            if finder is not None:
                return RunSummary(
                    account_id,
                    "skipped",
                    # Shown after the outcome "skipped" (stdout and stderr lines, table).
                    error=f"{host_name(host)} did not answer for account {finder} in this "
                    "collect; collect again later",
                    unreachable=host,
                )
        return None


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_retries=settings.get("collect.max_retries"),
        budget_seconds=settings.get("collect.retry_budget_seconds"),
    )


def collect_account(
    engine: Engine,
    settings: Settings,
    account_id: int,
    *,
    now: datetime | None = None,
    progress: Callable[[Progress], None] | None = None,
    retry: RetryPolicy | None = None,
    env: Mapping[str, str] = os.environ,
    collectors: Mapping[str, CollectorBuilder] = COLLECTORS,
    unreachable: UnreachableHosts | None = None,
) -> RunSummary:
    """Collect one account once and record the run; see the module docstring.
    ``collectors`` is the registry to build the collector from (the installed ones).
    ``unreachable`` is shared by the accounts of one one-shot collect (see there)."""
    now = now or datetime.now(UTC)
    with session_factory(engine)() as session:
        # What decides whether and how to start, in one statement (every collection asks).
        found = session.execute(
            select(
                Account.active,
                Account.platform,
                Account.credentials_ref,
                Account.handle,
                select(Connection.account_id).where(Connection.account_id == Account.id).exists(),
                latest_resume_after(Account.id),
            ).where(Account.id == account_id)
        ).one_or_none()
    if found is None:
        return RunSummary(account_id, "skipped", error=f"account {account_id} does not exist")
    active, platform, reference, handle, connected, resume_after = found
    if not active:
        return RunSummary(account_id, "skipped", error=f"account {account_id} is inactive")
    if resume_after is not None and resume_after > now:
        return RunSummary(account_id, "rate_limited", resume_after=resume_after)
    if unreachable is not None:
        # Like the rate-limit skip above: no call, no run recorded, nothing stored touched.
        origins = api_origins(platform, handle, bool(reference) or connected, settings)
        skipped = unreachable.skip(account_id, origins)
        if skipped is not None:
            return skipped
    factory = collectors.get(platform)
    if factory is None:
        return record_failure(
            engine, account_id, "failed", f"no collector for {platform} accounts is installed", now
        )
    token: str | None = None
    if connected:
        try:
            token = collection_secret(engine, settings, account_id, now)
        except CredentialProblem as exc:
            return record_failure(
                engine,
                account_id,
                "credentials",
                exc.message,
                now,
                credential_status=exc.status,
            )
        except NotNow as exc:
            return record_failure(
                engine, account_id, exc.outcome, exc.message, now, resume_after=exc.resume_after
            )
    elif reference:
        try:
            token = resolve_secret(reference, settings.secrets_file, env)
        except SecretError as exc:
            return record_failure(engine, account_id, "credentials", str(exc), now)
    elif _credentials_required(platform):
        return record_failure(
            engine,
            account_id,
            "credentials",
            f"account {account_id} has no credentials reference: the name of the environment "
            "variable or secrets-file key holding its token (account add --credentials NAME)",
            now,
        )
    collector = factory(token, settings)
    summary = run_collection(
        engine,
        account_id,
        collector,
        now=now,
        retry=retry or retry_policy(settings),
        progress=progress,
        # Asked for only once the database holds pseudonyms (collectors/privacy.py).
        privacy_key=key_source(settings, env),
    )
    if unreachable is not None:
        unreachable.note(summary)
    return summary
