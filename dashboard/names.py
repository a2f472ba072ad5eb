"""How platforms and accounts are named on every page, in every chart and download."""

from __future__ import annotations

from storage.platforms import display_name


def platform_name(platform: str) -> str:
    return display_name(platform)


def account_label(platform: str, handle: str) -> str:
    """ "X @baeckereihuber": the platform's own spelling, then the handle."""
    return f"{platform_name(platform)} {handle}"
