"""Shared handling of the EN/DE word lists in metrics/data (acknowledgments, replies).

The lists are regular expressions matched on *word text*: the message lower-cased, with
@handles, links and punctuation removed, words separated by single spaces. Matching on
whole words there keeps the lists short ("thanks" also finds "Thanks!!!" and "@shop
thanks 😊").
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
HANDLE = re.compile(r"(?<![\w@])@[\w.@-]+")
_APOSTROPHES = str.maketrans({"’": "'", "`": "'", "´": "'"})
# A word: letters (any script), digits, and apostrophes inside ("don't", "geht's").
WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


class WordListError(ValueError):
    """A word list file is unusable; the message names the file, the list and the entry."""


def load_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise WordListError(f"{what} {path}: {exc}") from None


def compile_words(words: list[str], where: str) -> re.Pattern[str]:
    """One pattern matching any entry as whole words of word text (nothing when empty)."""
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise WordListError(f"{where}: expected a list of strings")
    if not words:
        return re.compile(r"(?!)")
    # Longest first, so that "thank you so much" is taken before "thank you".
    ordered = sorted(words, key=len, reverse=True)
    try:
        return re.compile(r"(?<![\w'])(?:" + "|".join(f"(?:{w})" for w in ordered) + r")(?![\w'])")
    except re.error:
        pass
    # Only now each entry on its own, to name the one at fault: compiling hundreds of
    # entries one by one took most of the time a refresh spends loading the lists.
    for word in words:
        try:
            re.compile(word)
        except re.error as exc:
            raise WordListError(f"{where}: {word!r} is not a regular expression: {exc}") from None
    raise WordListError(f"{where}: the entries do not combine into one pattern")


def without_handles_and_links(text: str | None) -> str:
    return HANDLE.sub(" ", LINK.sub(" ", text or ""))


def word_text(text: str | None) -> str:
    """Lower-case words separated by single spaces; handles, links, punctuation gone."""
    cleaned = without_handles_and_links(text).translate(_APOSTROPHES).lower()
    return " ".join(WORD.findall(cleaned))


def remove(pattern: re.Pattern[str], words: str) -> tuple[str, int]:
    """``words`` without the matches of ``pattern`` (re-spaced), and how many there were."""
    result, count = pattern.subn(" ", words)
    return " ".join(result.split()), count


def symbols(text: str) -> list[str]:
    """The characters of ``text`` that are symbols (emoji and the like), in order."""
    return [char for char in text if unicodedata.category(char).startswith("S")]
