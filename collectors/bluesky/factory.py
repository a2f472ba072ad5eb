"""How replywatch builds the Bluesky collector for an account (named in storage.platforms)."""

from __future__ import annotations

from collections.abc import Sequence

from collectors.bluesky.collect import BlueskyCollector
from collectors.contract import CollectorFactory, SettingsReader
from collectors.transport import Limits


def build(app_password: str | None, settings: SettingsReader) -> BlueskyCollector:
    # Without an app password the collector reads public data from the AppView.
    return BlueskyCollector(
        app_password,
        appview_url=settings.get("platforms.bluesky.appview_url"),
        pds_url=settings.get("platforms.bluesky.pds_url"),
        limits=Limits.from_settings(settings),
        history_days=settings.get("collect.history_days"),
        thread_days=settings.get("collect.thread_days"),
    )


def api_urls(handle: str, signed_in: bool, settings: SettingsReader) -> Sequence[str]:
    # The PDS only for a login with the app password; public reads use the AppView.
    urls = [settings.get("platforms.bluesky.appview_url")]
    if signed_in:
        urls.append(settings.get("platforms.bluesky.pds_url"))
    return urls


FACTORY = CollectorFactory(build=build, api_urls=api_urls)
