"""How platforms and accounts are named on every page, in every chart and download."""

from __future__ import annotations

PLATFORM_NAMES = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "mastodon": "Mastodon",
    "bluesky": "Bluesky",
}


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


def account_label(platform: str, handle: str) -> str:
    """ "X @baeckereihuber": the platform's own spelling, then the handle."""
    return f"{platform_name(platform)} {handle}"
