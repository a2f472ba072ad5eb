"""What the owner reads, in the owner's language: gettext catalogues compiled by Babel.

The dashboard, the weekly email and the command line write their texts in English in the
code, as gettext message ids; the German catalogue
``metrics/locales/de/LC_MESSAGES/replywatch.po`` translates them (compiled to the ``.mo``
file next to it, which is committed; ``make translations`` extracts, merges and compiles,
and tests/test_translations.py fails while a message id lacks its German translation or
the ``.mo`` is older than the ``.po``). Plural forms come from the catalogue's
``Plural-Forms`` header, which Babel writes from CLDR.

The catalogues live in ``metrics/`` because it is the lowest layer every interface may
import (dashboard and reports import metrics; the command line imports everything), and
metric and verdict names are translated here too.

Values are filled in with ``str.format`` after translation, so a translator may move
``{count}`` or ``{client}`` around but not rename them.
"""

from __future__ import annotations

from functools import cache
from gettext import NullTranslations
from pathlib import Path

from babel.support import Translations

LANGUAGES = ("en", "de")
SOURCE_LANGUAGE = "en"  # the message ids are English
DOMAIN = "replywatch"
LOCALES = Path(__file__).parent / "locales"


def best_language(offered: str | None) -> str:
    """``offered`` when replywatch speaks it, else English."""
    return offered if offered in LANGUAGES else SOURCE_LANGUAGE


def N_(message: str) -> str:
    """Mark a message id for extraction where it is translated later (tables of names)."""
    return message


@cache
def catalogue(language: str) -> NullTranslations:
    """The compiled catalogue of ``language``; English (and anything unknown) is the ids."""
    language = best_language(language)
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    found = Translations.load(str(LOCALES), [language], DOMAIN)
    if not isinstance(found, Translations):
        # Babel hands back NullTranslations when the .mo is missing: an incomplete
        # installation, which would silently show English to German users.
        raise FileNotFoundError(
            f"the {language} translation catalogue {LOCALES}/{language}/LC_MESSAGES/"
            f"{DOMAIN}.mo is missing; reinstall replywatch"
        )
    return found


class Texts:
    """The texts of one language: ``gettext``, ``ngettext``, ``pgettext`` filling values in.

    The method names are gettext's, so that Babel's extractor finds the message ids.
    """

    def __init__(self, language: str) -> None:
        self.language = best_language(language)
        self._catalogue = catalogue(self.language)

    def gettext(self, message: str, /, **values: object) -> str:
        text = self._catalogue.gettext(message)
        return text.format(**values) if values else text

    def ngettext(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """The form for ``count`` (``{count}`` is filled with ``count`` unless given)."""
        text = self._catalogue.ngettext(singular, plural, count)
        return text.format(**{"count": count, **values})

    def pgettext(self, context: str, message: str, /, **values: object) -> str:
        """A message whose translation depends on where it stands (``context``)."""
        text = self._catalogue.pgettext(context, message)
        return text.format(**values) if values else text


@cache
def texts(language: str) -> Texts:
    return Texts(language)
