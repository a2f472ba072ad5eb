"""How replywatch builds the YouTube collector for an account (named in storage.platforms)."""

from __future__ import annotations

from collections.abc import Sequence

from collectors.contract import CollectorFactory, SettingsReader
from collectors.transport import Limits
from collectors.youtube.collect import YouTubeCollector


def build(secret: str | None, settings: SettingsReader) -> YouTubeCollector:
    if secret is None:
        raise ValueError("the YouTube collector needs an API key or an OAuth access token")
    return YouTubeCollector(
        secret,
        root_url=settings.get("platforms.youtube.api_url"),
        limits=Limits.from_settings(settings),
        history_days=settings.get("collect.history_days"),
        thread_days=settings.get("collect.thread_days"),
    )


def api_urls(handle: str, signed_in: bool, settings: SettingsReader) -> Sequence[str]:
    return [settings.get("platforms.youtube.api_url")]


FACTORY = CollectorFactory(build=build, api_urls=api_urls)
