"""From an account number to a recorded collection run: the entry point the service calls.

``collect_account(engine, settings, account_id)`` resolves the account's secret (environment
variable, then secrets file; Mastodon and Bluesky accounts may have none and are then read
without signing in), builds the platform's collector with the base URL, Graph API
version, timeout and history settings, and runs it through the collection framework
(``collectors.run``). It

- never raises for platform faults or missing credentials: they are recorded in a
  ``CollectionRun`` and returned in the :class:`RunSummary`;
- returns at once, without calling the platform, while an earlier run's ``resume_after``
  (a rate-limit reset) is still ahead: outcome ``rate_limited``, ``run_id`` None;
- returns outcome ``skipped`` (nothing recorded) for an account that does not exist or is
  inactive;
- is safe to call concurrently for DIFFERENT accounts (each call has its own sessions,
  HTTP sessions and clients; nothing process-wide is changed). Two calls for the SAME
  account at once are not prevented here: the service's leases do that.

Database errors propagate: they cannot be recorded.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from sqlalchemy import Engine

from collectors.bluesky import BlueskyCollector
from collectors.graph import FacebookCollector, InstagramCollector
from collectors.mastodon import MastodonCollector
from collectors.run import (
    Collector,
    Progress,
    RetryPolicy,
    RunSummary,
    record_failure,
    resume_time,
    run_collection,
)
from collectors.x import XCollector
from replywatch.config import Settings
from replywatch.secrets import SecretError, resolve_secret
from storage.engine import session_factory
from storage.models import Account

# The secret is None for an account without credentials on a platform that allows that.
CollectorFactory = Callable[[str | None, Settings], Collector]
# Platforms whose public posts, threads and likes can be read without any credentials.
READ_WITHOUT_CREDENTIALS = frozenset({"mastodon", "bluesky"})


def _required(token: str | None) -> str:
    assert token is not None, "collect_account resolves a token for this platform first"
    return token


def _x(token: str | None, settings: Settings) -> Collector:
    return XCollector(
        _required(token),
        base_url=settings.get("platforms.x.api_url"),
        timeout=settings.get("collect.request_timeout"),
        history_days=settings.get("collect.history_days"),
    )


def _graph_options(settings: Settings) -> dict[str, object]:
    return {
        "version": settings.get("platforms.graph.version"),
        "base_url": settings.get("platforms.graph.api_url"),
        "timeout": settings.get("collect.request_timeout"),
        "history_days": settings.get("collect.history_days"),
        "thread_days": settings.get("collect.thread_days"),
    }


def _facebook(token: str | None, settings: Settings) -> Collector:
    return FacebookCollector(_required(token), **_graph_options(settings))  # type: ignore[arg-type]


def _instagram(token: str | None, settings: Settings) -> Collector:
    return InstagramCollector(_required(token), **_graph_options(settings))  # type: ignore[arg-type]


def _mastodon(token: str | None, settings: Settings) -> Collector:
    return MastodonCollector(
        token,
        base_url=settings.get("platforms.mastodon.api_url"),
        timeout=settings.get("collect.request_timeout"),
        history_days=settings.get("collect.history_days"),
        thread_days=settings.get("collect.thread_days"),
    )


def _bluesky(app_password: str | None, settings: Settings) -> Collector:
    return BlueskyCollector(
        app_password,
        appview_url=settings.get("platforms.bluesky.appview_url"),
        pds_url=settings.get("platforms.bluesky.pds_url"),
        timeout=settings.get("collect.request_timeout"),
        history_days=settings.get("collect.history_days"),
        thread_days=settings.get("collect.thread_days"),
    )


# Platform -> how to build its collector from the account's token and the settings.
# Collectors for further platforms register here.
COLLECTORS: dict[str, CollectorFactory] = {
    "x": _x,
    "facebook": _facebook,
    "instagram": _instagram,
    "mastodon": _mastodon,
    "bluesky": _bluesky,
}


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
    collectors: Mapping[str, CollectorFactory] = COLLECTORS,
) -> RunSummary:
    """Collect one account once and record the run; see the module docstring.
    ``collectors`` is the registry to build the collector from (the installed ones)."""
    now = now or datetime.now(UTC)
    with session_factory(engine)() as session:
        account = session.get(Account, account_id)
        if account is None:
            return RunSummary(account_id, "skipped", error=f"account {account_id} does not exist")
        if not account.active:
            return RunSummary(account_id, "skipped", error=f"account {account_id} is inactive")
        platform, reference = account.platform, account.credentials_ref
    resume_after = resume_time(engine, account_id, now)
    if resume_after is not None:
        return RunSummary(account_id, "rate_limited", resume_after=resume_after)
    factory = collectors.get(platform)
    if factory is None:
        return record_failure(
            engine, account_id, "failed", f"no collector for {platform} accounts is installed", now
        )
    token: str | None = None
    if reference:
        try:
            token = resolve_secret(reference, settings.secrets_file, env)
        except SecretError as exc:
            return record_failure(engine, account_id, "credentials", str(exc), now)
    elif platform not in READ_WITHOUT_CREDENTIALS:
        return record_failure(
            engine,
            account_id,
            "credentials",
            f"account {account_id} has no credentials reference: the name of the environment "
            "variable or secrets-file key holding its token (account add --credentials NAME)",
            now,
        )
    collector = factory(token, settings)
    return run_collection(
        engine,
        account_id,
        collector,
        now=now,
        retry=retry or retry_policy(settings),
        progress=progress,
    )
