"""How replywatch builds the Mastodon collector for an account (named in storage.platforms)."""

from __future__ import annotations

from collections.abc import Sequence

from collectors.contract import CollectorFactory, SettingsReader
from collectors.mastodon.collect import MastodonCollector
from collectors.transport import Limits
from storage.handles import fediverse_instance


def build(token: str | None, settings: SettingsReader) -> MastodonCollector:
    # Without a token the collector reads the public timeline and threads.
    return MastodonCollector(
        token,
        base_url=settings.get("platforms.mastodon.api_url"),
        limits=Limits.from_settings(settings),
        history_days=settings.get("collect.history_days"),
        thread_days=settings.get("collect.thread_days"),
    )


def api_urls(handle: str, signed_in: bool, settings: SettingsReader) -> Sequence[str]:
    forced = settings.get("platforms.mastodon.api_url")
    if forced:
        return [forced]
    # A handle without an instance fails in its own run; it shares no host.
    return [f"https://{fediverse_instance(handle)}"] if "@" in handle else []


FACTORY = CollectorFactory(build=build, api_urls=api_urls)
