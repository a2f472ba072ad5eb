"""The dashboard's own words: English in the code, German in the catalogue.

Every text is written in English where it is used, as a gettext message id, and
translated through the catalogues of ``metrics.texts`` (which also hold the metric and
verdict names of ``metrics.labels``, so the dashboard, the email and the exports use the
same words for the same numbers). ``N_`` marks a text that is translated later, where it
is chosen from a table.
"""

from __future__ import annotations

from metrics.texts import LANGUAGES, N_, best_language, texts

__all__ = ["LANGUAGES", "N_", "best_language", "translate", "translate_plural"]


def translate(message: str, language: str, /, **values: object) -> str:
    """``message`` in ``language`` with ``values`` filled in (English when unknown)."""
    return texts(language).gettext(message, **values)


def translate_plural(
    singular: str, plural: str, count: int, language: str, /, **values: object
) -> str:
    """The form of ``language`` for ``count``; ``{count}`` is ``count`` unless given."""
    return texts(language).ngettext(singular, plural, count, **values)
