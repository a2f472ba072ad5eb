"""Made-up people: names, handles and platform-shaped ids of customers.

Everything here is chosen through a ``random.Random`` handed in by the caller, so the same
seed gives the same people. Handles follow each platform's syntax (the forms replywatch's
handle checks accept); ids look like the platform's ids.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FIRST_NAMES = {
    "de": (
        "Lena", "Jonas", "Mia", "Felix", "Sophie", "Lukas", "Hannah", "Paul", "Emma", "Leon",
        "Marie", "Tim", "Laura", "Max", "Julia", "Niklas", "Clara", "Moritz", "Greta", "Jan",
        "Ida", "Finn", "Frieda", "Karl", "Nele", "Ole", "Romy", "Theo", "Lotte", "Emil",
    ),
    "en": (
        "Amelia", "Jack", "Isla", "Harry", "Ava", "Oscar", "George", "Grace", "Noah", "Freya",
        "Leo", "Chloe", "Arthur", "Ella", "Theo", "Ruby", "Alfie", "Evie", "Henry", "Poppy",
        "Jacob", "Daisy", "Archie", "Phoebe", "Samir", "Aisha", "Tom", "Lucy", "Ethan", "Maya",
    ),
}  # fmt: skip

LAST_NAMES = {
    "de": (
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
        "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Lange", "Krause", "Vogel",
    ),
    "en": (
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
        "Patel", "Wright", "Walker", "Evans", "Thomas", "Roberts", "Green", "Hall", "Wood",
        "Clarke", "Khan", "Lewis", "Hughes", "Turner", "Moore", "Baker",
    ),
}  # fmt: skip

# Other Mastodon servers customers may write from (reserved .example names: nobody real).
MASTODON_REMOTE = ("social.example", "toot.example", "norden.example")

_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "'": ""})
_DID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_CHANNEL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def ascii_name(text: str) -> str:
    """Lower-case ASCII letters for handles: "Müller" -> "mueller"."""
    return text.lower().translate(_TRANSLITERATION)


@dataclass(frozen=True)
class Person:
    """A customer on one platform: id and handle as the World stores them."""

    actor_id: str
    handle: str  # without @; Mastodon "name" (local) or "name@instance"
    name: str
    first_name: str
    language: str  # "de" or "en"


class PeopleMaker:
    """Unique people for one World: ids and handles never repeat within the platform."""

    def __init__(self, platform: str, rng: random.Random) -> None:
        self.platform = platform
        self.rng = rng
        self._ids: set[str] = set()
        self._handles: set[str] = set()

    def person(self, language: str) -> Person:
        first = self.rng.choice(FIRST_NAMES[language])
        last = self.rng.choice(LAST_NAMES[language])
        return Person(
            actor_id=self.new_id(),
            handle=self._unique_handle(first, last),
            name=f"{first} {last}",
            first_name=first,
            language=language,
        )

    def new_id(self) -> str:
        while True:
            candidate = platform_user_id(self.platform, self.rng)
            if candidate not in self._ids:
                self._ids.add(candidate)
                return candidate

    def reserve(self, actor_id: str, handle: str) -> None:
        """Keep an id and handle given by the portfolio from being handed out again."""
        self._ids.add(actor_id)
        self._handles.add(handle)

    def _unique_handle(self, first: str, last: str) -> str:
        first, last = ascii_name(first), ascii_name(last)
        styles = (
            f"{first}_{last}",
            f"{first}.{last}",
            f"{first}{last[:1]}",
            f"{last}_{first[:1]}",
        )
        base = self.rng.choice(styles)
        remote = self.platform == "mastodon" and self.rng.random() < 0.3
        candidate = self._shape(base, "", remote)
        number = self.rng.randrange(2, 99)
        while candidate in self._handles:
            candidate = self._shape(base, str(number), remote)
            number += 1
        self._handles.add(candidate)
        return candidate

    def _shape(self, base: str, suffix: str, remote: bool) -> str:
        """``base`` + ``suffix`` in the platform's handle syntax and length."""
        if self.platform == "x":
            return base.replace(".", "_")[: 15 - len(suffix)] + suffix
        if self.platform == "mastodon":
            local = base.replace(".", "_")[: 30 - len(suffix)] + suffix
            return (
                f"{local}@{MASTODON_REMOTE[len(base) % len(MASTODON_REMOTE)]}" if remote else local
            )
        if self.platform == "bluesky":
            return base.replace("_", "-").replace(".", "-") + suffix + ".bsky.social"
        if self.platform == "instagram":
            return base[: 30 - len(suffix)] + suffix
        if self.platform == "youtube":
            return base.replace("_", "-")[: 30 - len(suffix)] + suffix
        # Facebook shows names, not handles; this is the profile's username.
        return base + suffix


def platform_user_id(platform: str, rng: random.Random) -> str:
    """A user id of the shape the platform uses."""
    if platform == "x":
        return str(rng.randrange(10**17, 10**19))
    if platform == "facebook":
        return str(rng.randrange(10**15, 10**16))
    if platform == "instagram":
        return str(rng.randrange(17_841_400_000_000_000, 17_841_499_999_999_999))
    if platform == "mastodon":
        return str(rng.randrange(10**17, 10**18))
    if platform == "bluesky":
        return "did:plc:" + "".join(rng.choice(_DID_ALPHABET) for _ in range(24))
    if platform == "youtube":
        return "UC" + "".join(rng.choice(_CHANNEL_ALPHABET) for _ in range(22))
    raise ValueError(f"unknown platform {platform!r}")
