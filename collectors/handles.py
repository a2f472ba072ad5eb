"""Handle syntax per platform, checked before anything is stored.

Handles are kept in the canonical form shown here (lower case; X and Instagram with a
leading @, Mastodon as @user@instance), so that the same account typed two ways is
recognised as one.
"""

from __future__ import annotations

import re

PLATFORMS = ("x", "facebook", "instagram", "mastodon", "bluesky")

_X = re.compile(r"^@?([A-Za-z0-9_]{1,15})$")
_FACEBOOK = re.compile(r"^(\d{5,20}|[A-Za-z0-9.]{5,50})$")
_INSTAGRAM = re.compile(r"^@?([A-Za-z0-9_](?:[A-Za-z0-9._]{0,28}[A-Za-z0-9_])?)$")
_MASTODON = re.compile(r"^@?([A-Za-z0-9_]{1,30})@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}|localhost)$")
_BLUESKY_DOMAIN = re.compile(
    r"^@?((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,})$"
)
_BLUESKY_DID = re.compile(r"^did:(plc:[a-z2-7]{24}|web:[a-z0-9.-]+)$")

EXPECTED = {
    "x": "an X handle like @shop_name (1-15 letters, digits or _)",
    "facebook": "a Facebook Page id (digits) or username like shopname (5+ letters, digits, .)",
    "instagram": "an Instagram username like @shop.name (1-30 letters, digits, . or _)",
    "mastodon": "a Mastodon address like @shop@mastodon.social",
    "bluesky": "a Bluesky handle like shop.bsky.social, or a DID like did:plc:…",
}


class HandleError(ValueError):
    pass


def canonical_handle(platform: str, handle: str) -> str:
    """Return the canonical form of ``handle`` on ``platform`` or raise HandleError."""
    text = handle.strip()
    if platform not in PLATFORMS:
        raise HandleError(f"platform {platform!r} is not one of {', '.join(PLATFORMS)}")
    if platform == "x" and (match := _X.match(text)):
        return "@" + match[1].lower()
    if platform == "facebook" and _FACEBOOK.match(text):
        return text.lower()
    if platform == "instagram" and (match := _INSTAGRAM.match(text)) and ".." not in text:
        return "@" + match[1].lower()
    if platform == "mastodon" and (match := _MASTODON.match(text)):
        return f"@{match[1].lower()}@{match[2].lower()}"
    if platform == "bluesky":
        if match := _BLUESKY_DID.match(text):
            return text
        if match := _BLUESKY_DOMAIN.match(text):
            return match[1].lower()
    raise HandleError(
        f"handle {handle!r} is not valid on {platform}; expected {EXPECTED[platform]}"
    )


def mastodon_instance(handle: str) -> str:
    """The instance host of a canonical Mastodon handle ``@user@instance``."""
    return handle.rsplit("@", 1)[1]
