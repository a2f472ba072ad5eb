"""How replywatch builds the X collector for an account (named in storage.platforms)."""

from __future__ import annotations

from collections.abc import Sequence

from collectors.contract import CollectorFactory, SettingsReader
from collectors.transport import Limits
from collectors.x.collect import XCollector


def build(token: str | None, settings: SettingsReader) -> XCollector:
    if token is None:
        raise ValueError("the X collector needs a token")
    return XCollector(
        token,
        base_url=settings.get("platforms.x.api_url"),
        limits=Limits.from_settings(settings),
        history_days=settings.get("collect.history_days"),
    )


def api_urls(handle: str, signed_in: bool, settings: SettingsReader) -> Sequence[str]:
    return [settings.get("platforms.x.api_url")]


FACTORY = CollectorFactory(build=build, api_urls=api_urls)
