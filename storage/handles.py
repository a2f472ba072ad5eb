"""Handle syntax: the rule of each platform's registry entry (storage.platforms).

Each rule returns the canonical form of a handle, or None when the text is not a handle
on that platform. Canonical forms are lower case (ids that are case-sensitive, a DID or a
YouTube channel id, stay as written); X, Instagram and YouTube handles keep a leading @,
Mastodon is ``@user@instance``, so that the same account typed two ways is one.
"""

from __future__ import annotations

import re

_X = re.compile(r"^@?([A-Za-z0-9_]{1,15})$")
_PAGE = re.compile(r"^(\d{5,20}|[A-Za-z0-9.]{5,50})$")
_INSTAGRAM = re.compile(r"^@?([A-Za-z0-9_](?:[A-Za-z0-9._]{0,28}[A-Za-z0-9_])?)$")
_FEDIVERSE = re.compile(r"^@?([A-Za-z0-9_]{1,30})@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}|localhost)$")
_DOMAIN = re.compile(r"^@?((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,})$")
_DID = re.compile(r"^did:(plc:[a-z2-7]{24}|web:[a-z0-9.-]+)$")
# YouTube handles: 3-30 letters, digits, _ - . ; channel ids: "UC" and 22 URL-safe base64.
_YOUTUBE_HANDLE = re.compile(r"^@([A-Za-z0-9_.-]{3,30})$")
_YOUTUBE_CHANNEL = re.compile(r"^UC[A-Za-z0-9_-]{22}$")


class HandleError(ValueError):
    pass


def x_handle(text: str) -> str | None:
    match = _X.match(text)
    return "@" + match[1].lower() if match else None


def page_handle(text: str) -> str | None:
    """A Facebook Page: its numeric id or its username."""
    return text.lower() if _PAGE.match(text) else None


def instagram_handle(text: str) -> str | None:
    match = _INSTAGRAM.match(text)
    return "@" + match[1].lower() if match and ".." not in text else None


def fediverse_handle(text: str) -> str | None:
    """``@user@instance``: the instance is part of the account's identity."""
    match = _FEDIVERSE.match(text)
    return f"@{match[1].lower()}@{match[2].lower()}" if match else None


def domain_or_did_handle(text: str) -> str | None:
    """An atproto handle (a domain name) or the account's DID, kept as written."""
    if _DID.match(text):
        return text
    match = _DOMAIN.match(text)
    return match[1].lower() if match else None


def youtube_handle(text: str) -> str | None:
    """A channel handle ``@name`` (lower case), or a channel id ``UC…`` kept as written:
    channel ids are case-sensitive. A bare name needs its @, or it could be neither."""
    if _YOUTUBE_CHANNEL.match(text):
        return text
    match = _YOUTUBE_HANDLE.match(text)
    return "@" + match[1].lower() if match else None


def fediverse_instance(handle: str) -> str:
    """The instance host of a canonical ``@user@instance`` handle."""
    return handle.rsplit("@", 1)[1]
