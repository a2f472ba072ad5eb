"""Privacy work behind ``replywatch privacy`` and the service's daily purge.

Each function does one privacy action in its own transaction, records it as a
``PrivacyEvent`` (counts and scope, never whose data) and logs one line on the
``replywatch.privacy`` logger, likewise without any handle, id or text. The rules
themselves are in storage/privacy.py.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from metrics import api
from replywatch.config import Settings
from replywatch.portfolio import find_client
from replywatch.privacy_key import pseudonyms
from replywatch.validation import InputError
from storage.engine import session_scope
from storage.models import Client, PrivacyEvent
from storage.platforms import UnknownPlatform, platform
from storage.privacy import (
    ClientPurge,
    ForgetResult,
    KeyMismatch,
    forget_author,
    purge_expired,
    stored_about,
)

log = logging.getLogger("replywatch.privacy")


def _record(
    session: Any,
    action: str,
    moment: datetime,
    counts: dict[str, int],
    *,
    platform_name: str | None = None,
    client: Client | None = None,
) -> None:
    session.add(
        PrivacyEvent(
            happened_at=moment,
            action=action,
            platform=platform_name,
            client_id=client.id if client else None,
            client_name=client.name if client else None,
            counts=counts,
        )
    )


def _platform(name: str) -> str:
    try:
        return platform(name.strip().lower()).name
    except UnknownPlatform as exc:
        raise InputError(str(exc)) from None


def _author(text: str) -> str:
    author = text.strip()
    if not author.lstrip("@"):
        raise InputError("--author is empty; give the author's handle or platform id")
    return author


def purge_expired_data(
    engine: Engine,
    settings: Settings,
    *,
    now: datetime,
    dry_run: bool = False,
    client_name: str | None = None,
    env: Mapping[str, str] = os.environ,
    refresh: bool = True,
) -> list[ClientPurge]:
    """Apply every client's retention period (or one client's): see storage/privacy.py.

    With ``refresh`` the metrics are brought up to date first, so that every item past its
    time has its facts stored before its text goes; the service's job leaves that to its
    own refresh jobs (one refresh at a time, under their lease) and purges what has facts,
    the rest on a later day. A dry run changes nothing.
    """
    with session_scope(engine) as session:
        client_ids = [find_client(session, client_name).id] if client_name else None
    if refresh and not dry_run:
        with session_scope(engine) as session:
            api.refresh(session, now=now)
    keys = None if dry_run else pseudonyms(settings, env)
    try:
        with session_scope(engine) as session:
            results = purge_expired(session, keys, now, dry_run=dry_run, client_ids=client_ids)
            if not dry_run:
                for result in results:
                    if result.anything:
                        _record(session, "purge", now, _purge_counts(result),
                                client=session.get(Client, result.client_id))  # fmt: skip
    except KeyMismatch as exc:
        raise InputError(str(exc)) from None
    for result in results:
        if result.anything or result.waiting:
            log.info(
                "%s: client %s (%d months, before %s): %d items, %d likes, %d younger items "
                "pseudonymised, %d waiting for the metrics",
                "privacy purge (dry run)" if dry_run else "privacy purge",
                result.client, result.retention_months, f"{result.cutoff:%Y-%m-%d}",
                result.items, result.likes, result.related, result.waiting,
            )  # fmt: skip
    return results


def _purge_counts(result: ClientPurge) -> dict[str, int]:
    return {"items": result.items, "likes": result.likes, "related": result.related}


def forget(
    engine: Engine,
    settings: Settings,
    *,
    platform_name: str,
    author: str,
    now: datetime,
    client_name: str | None = None,
    env: Mapping[str, str] = os.environ,
) -> ForgetResult:
    """Remove everything personal of one author (in one client's accounts, or all)."""
    name, typed = _platform(platform_name), _author(author)
    keys = pseudonyms(settings, env)
    try:
        with session_scope(engine) as session:
            client = find_client(session, client_name) if client_name else None
            result = forget_author(session, keys, platform(name), typed, now, client=client)
            counts = {
                "items": result.items,
                "likes": result.likes,
                "mentions": result.mentions,
                "item_ids": result.item_ids,
                "listed": int(result.listed),
            }
            _record(session, "forget", now, counts, platform_name=name, client=client)
    except KeyMismatch as exc:
        raise InputError(str(exc)) from None
    log.info(
        "privacy forget on %s for %s: %d items, %d likes, %d mentions in others' texts, "
        "%d item ids; erasure list %s",
        name, result.client or "every client", result.items, result.likes, result.mentions,
        result.item_ids, "entry added" if result.listed else "already held the author",
    )  # fmt: skip
    return result


def export(
    engine: Engine,
    settings: Settings,
    *,
    platform_name: str,
    author: str,
    now: datetime,
    env: Mapping[str, str] = os.environ,
) -> dict[str, Any]:
    """What is stored about one author, as plain values for JSON (see stored_about)."""
    name, typed = _platform(platform_name), _author(author)
    keys = pseudonyms(settings, env)
    with session_scope(engine) as session:
        data = stored_about(session, keys, name, typed, now)
        counts = {"items": len(data["items"]), "likes": len(data["likes"])}
        _record(session, "export", now, counts, platform_name=name)
    log.info("privacy export on %s: %d items, %d likes", name, counts["items"], counts["likes"])
    return data
