"""How replywatch builds the Facebook and Instagram collectors (named in storage.platforms)."""

from __future__ import annotations

from collections.abc import Sequence

from collectors.contract import CollectorFactory, SettingsReader
from collectors.graph.facebook import FacebookCollector
from collectors.graph.instagram import InstagramCollector
from collectors.transport import Limits


def _options(settings: SettingsReader) -> dict[str, object]:
    return {
        "version": settings.get("platforms.graph.version"),
        "base_url": settings.get("platforms.graph.api_url"),
        "limits": Limits.from_settings(settings),
        "history_days": settings.get("collect.history_days"),
        "thread_days": settings.get("collect.thread_days"),
        "older_posts_days": settings.get("collect.older_posts_days"),
    }


def _token(token: str | None) -> str:
    if token is None:
        raise ValueError("the Graph API collectors need a token")
    return token


def build_facebook(token: str | None, settings: SettingsReader) -> FacebookCollector:
    return FacebookCollector(_token(token), **_options(settings))  # type: ignore[arg-type]


def build_instagram(token: str | None, settings: SettingsReader) -> InstagramCollector:
    return InstagramCollector(_token(token), **_options(settings))  # type: ignore[arg-type]


def api_urls(handle: str, signed_in: bool, settings: SettingsReader) -> Sequence[str]:
    return [settings.get("platforms.graph.api_url")]


FACEBOOK = CollectorFactory(build=build_facebook, api_urls=api_urls)
INSTAGRAM = CollectorFactory(build=build_instagram, api_urls=api_urls)
