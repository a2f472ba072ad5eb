"""The one rule for when two user names are the same name.

User names are shown as they were written (``Anna``) but are one name whatever their case
and surrounding spaces: ``Anna`` and ``anna`` cannot both exist, a login as ``ANNA`` is a
login as ``Anna``, and failed attempts on either count against the same limit.
"""

from __future__ import annotations

USERNAME_LENGTH = 64


def canonical_username(name: str) -> str:
    """The form a user name is unique and counted under; typed names longer than a user
    name can be are cut, so that guessing with long names is still counted per name."""
    return name.strip().casefold()[:USERNAME_LENGTH]
