"""Answers that say something: what the in-house team and the responsive agency write.

``texts.ANSWERS`` is how busy accounts answer, briefly and "by DM"; the benchmark stream
uses it. The demo's stories whose answers should stand apart from the hollow agency's
(the fourth story) answer from here instead: a fact of the business (which bike or book,
which size, which day) put together from parts, the way a person answering each question
writes, so that two customers rarely get the same sentence.
"""

from __future__ import annotations

import random

from sandbox.generator import texts as t

_PARTS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    ("bikes", "de"): {
        "subject": (
            "das Gravelbike",
            "das Trekkingrad",
            "das Lastenrad",
            "das Kinderrad",
            "das E-Bike",
            "der neue Akku",
            "der Winterreifen",
            "der Fahrradhelm",
            "das Faltrad",
            "der Kindersitz",
        ),
        "fact": (
            "ist am {day} wieder im Laden",
            "ist in Größe {size} da",
            "steht am {day} für eine Probefahrt bereit",
            "liegt an der Kasse für dich bereit",
            "kommt am {day} mit der Lieferung",
            "passt auch an dein Rad",
            "ist am {day} aus der Werkstatt zurück",
        ),
        "open": ("Hallo {first}", "Hi {first}", "Moin {first}", "Gute Frage, {first}"),
        "close": (
            "Bis bald in der Werkstatt!",
            "Sag Bescheid, wenn noch etwas offen ist.",
            "Wir freuen uns auf dich.",
            "Komm gern vorbei.",
            "",
        ),
        "sorry": (
            "Das tut uns leid, {first}.",
            "Oh, das ärgert uns, {first}.",
            "Danke für den Hinweis, {first}.",
        ),
        "fix": (
            "{subject} schauen wir uns am {day} kostenlos an",
            "{subject} tauschen wir dir am {day} aus",
            "für {subject} bekommst du am {day} Ersatz",
        ),
        "praise": (
            "Danke, {first}! Schön, dass dir {subject} gefällt.",
            "Wie toll, {first}, viel Spaß mit {subject}!",
            "Danke dir, {first}, {subject} war auch unser Tipp.",
        ),
    },
    ("bikes", "en"): {
        "subject": (
            "the gravel bike",
            "the trekking bike",
            "the cargo bike",
            "the kids' bike",
            "the e-bike",
            "the new battery",
            "the winter tyre",
            "the helmet",
        ),
        "fact": (
            "is back in the shop on {day}",
            "is in stock in size {size}",
            "is ready for a test ride on {day}",
            "is waiting for you at the till",
            "arrives with {day}'s delivery",
            "fits your frame as well",
        ),
        "open": ("Hi {first}", "Hello {first}", "Good question, {first}"),
        "close": (
            "See you in the workshop!",
            "Let us know if anything is unclear.",
            "Drop by any time.",
            "",
        ),
        "sorry": ("Sorry about that, {first}.", "Thanks for telling us, {first}."),
        "fix": (
            "we will check {subject} for free on {day}",
            "we will replace {subject} on {day}",
        ),
        "praise": (
            "Thanks, {first}! Glad you like {subject}.",
            "Lovely, {first}, enjoy {subject}!",
        ),
    },
    ("books", "en"): {
        "subject": (
            "the new Ishiguro",
            "the signed edition",
            "the audiobook",
            "the gift voucher",
            "the poetry reading",
            "the children's atlas",
            "the book club pick",
            "the second volume",
            "the cookbook",
            "the travel guide",
        ),
        "fact": (
            "is back in stock on {day}",
            "is on the shelf by the till",
            "is reserved for you until {day}",
            "arrives with {day}'s delivery",
            "is still there in paperback",
            "can be collected from {day}",
            "is on the table by the window",
        ),
        "open": ("Hi {first}", "Hello {first}", "Thanks for asking, {first}"),
        "close": (
            "Happy reading!",
            "See you in the shop.",
            "Any other questions, just ask.",
            "",
        ),
        "sorry": ("So sorry, {first}.", "Thanks for telling us, {first}."),
        "fix": (
            "we will set {subject} aside for you on {day}",
            "we will send {subject} again on {day}",
        ),
        "praise": (
            "Thank you, {first}! So glad you enjoyed {subject}.",
            "Lovely to hear, {first}, enjoy {subject}!",
        ),
    },
    ("books", "de"): {
        "subject": (
            "die signierte Ausgabe",
            "das Hörbuch",
            "der Gutschein",
            "die Lesung",
            "der zweite Band",
            "das Kochbuch",
            "der Reiseführer",
        ),
        "fact": (
            "ist am {day} wieder da",
            "liegt an der Kasse bereit",
            "ist bis {day} für dich zurückgelegt",
            "kommt am {day} mit der Lieferung",
            "gibt es auch als Taschenbuch",
        ),
        "open": ("Hallo {first}", "Hi {first}", "Danke für die Frage, {first}"),
        "close": ("Viel Freude beim Lesen!", "Bis bald im Laden.", ""),
        "sorry": ("Das tut uns leid, {first}.", "Danke für den Hinweis, {first}."),
        "fix": (
            "{subject} legen wir dir am {day} zurück",
            "{subject} schicken wir dir am {day} noch einmal",
        ),
        "praise": (
            "Danke, {first}! Schön, dass dir {subject} gefallen hat.",
            "Wie schön, {first}, viel Freude mit {subject}!",
        ),
    },
}
_SIZES = ("S", "M", "L", "XL")
_COMPLAINING = frozenset({t.CRITICAL, t.COMPLAINT, t.GIVE_UP, t.NUDGE})
_PRAISING = frozenset({t.PRAISE, t.REMARK, t.THANKS})


class SubstantiveAnswers:
    """Answers with a fact in them, for one kind of business, from a ``random.Random``."""

    def __init__(self, business: str, rng: random.Random) -> None:
        self.business = business
        self.rng = rng

    def answer(
        self, language: str, to_intent: str, first_name: str, signature: str = ""
    ) -> tuple[str, t.TextLabel]:
        parts = _PARTS.get((self.business, language)) or _PARTS[(self.business, "en")]
        pick = self.rng.choice
        values = {
            "first": first_name,
            "day": pick(t.DAYS[language]),
            "size": pick(_SIZES),
            "subject": pick(parts["subject"]),
        }
        if to_intent in _PRAISING:
            text = pick(parts["praise"]).format(**values)
        elif to_intent in _COMPLAINING:
            fix = pick(parts["fix"]).format(**values)
            text = f"{pick(parts['sorry']).format(**values)} {fix[0].upper()}{fix[1:]}."
        else:
            fact = pick(parts["fact"]).format(**values)
            subject = values["subject"]
            sentence = f"{subject[0].upper()}{subject[1:]} {fact}."
            closing = pick(parts["close"])
            text = f"{pick(parts['open']).format(**values)}, {sentence}"
            text = f"{text} {closing}" if closing else text
        return f"{text}{signature}", t.TextLabel(language, t.OWN_ANSWER)
