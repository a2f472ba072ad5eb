"""Acknowledgment texts in English and German, from metrics/data/acknowledgments.toml.

"Perfect, I'll come by on Wednesday." after the shop's answer expects no answer; a
"thanks, but it still does not work" does. This module decides the *text* half of the
rule (the file says how); whether the message comes after an answer to its author in
the same thread is decided with the facts (metrics.facts). Classification is cheap and
runs once per item, in the metrics refresh (``items.is_ack_text``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from metrics.wordlists import (
    WordListError,
    compile_words,
    load_toml,
    remove,
    symbols,
    without_handles_and_links,
    word_text,
)

ACKNOWLEDGMENTS_FILE = Path(__file__).parent / "data" / "acknowledgments.toml"
_INVISIBLE = re.compile("[\ufe0f\ufe0e\u200d\U0001f3fb-\U0001f3ff]")  # variation, joiner, skin


@dataclass(frozen=True)
class AcknowledgmentPatterns:
    phrases: re.Pattern[str]
    fillers: re.Pattern[str]
    vetoes: re.Pattern[str]
    emoji: frozenset[str]
    max_other_words: int


def load_acknowledgments(path: Path | str = ACKNOWLEDGMENTS_FILE) -> AcknowledgmentPatterns:
    source = Path(path)
    data = load_toml(source, "acknowledgment list")
    lists: dict[str, list[str]] = {"phrases": [], "fillers": [], "vetoes": []}
    languages = [name for name, value in data.items() if isinstance(value, dict)]
    if not languages:
        raise WordListError(f"acknowledgment list {source}: no language defined")
    for language in languages:
        table = data[language]
        for name in lists:
            if name not in table:
                raise WordListError(f"acknowledgment list {source} [{language}]: needs '{name}'")
            lists[name].extend(table[name])
    maximum = data.get("max_other_words", 0)
    if not isinstance(maximum, int) or maximum < 0:
        raise WordListError(f"acknowledgment list {source}: max_other_words must be >= 0")
    where = f"acknowledgment list {source}"
    return AcknowledgmentPatterns(
        phrases=compile_words(lists["phrases"], f"{where}: phrases"),
        fillers=compile_words(lists["fillers"], f"{where}: fillers"),
        vetoes=compile_words(lists["vetoes"], f"{where}: vetoes"),
        emoji=frozenset(_INVISIBLE.sub("", e) for e in data.get("emoji", [])),
        max_other_words=maximum,
    )


@cache
def default_acknowledgments() -> AcknowledgmentPatterns:
    return load_acknowledgments()


def acknowledgment_reason(
    text: str | None, patterns: AcknowledgmentPatterns | None = None
) -> str | None:
    """Why ``text`` reads as an acknowledgment (for tests and explanations), or None.

    The caller decides the rest of the rule (not a question, after an answer).
    """
    patterns = patterns or default_acknowledgments()
    words = word_text(text)
    rest, phrases = remove(patterns.phrases, words)
    if phrases == 0:
        if words:
            return None
        marks = [_INVISIBLE.sub("", m) for m in symbols(without_handles_and_links(text))]
        marks = [m for m in marks if m]
        if marks and all(mark in patterns.emoji for mark in marks):
            return f"only the emoji {''.join(marks)}"
        return None
    rest, _ = remove(patterns.fillers, rest)
    if patterns.vetoes.search(rest):
        return None
    others = len(rest.split())
    if others > patterns.max_other_words:
        return None
    found = patterns.phrases.search(words)
    assert found is not None
    tail = f" and {others} other word{'s' if others != 1 else ''}" if others else ""
    return f"{found.group(0)!r}{tail}"


def is_acknowledgment_text(
    text: str | None, patterns: AcknowledgmentPatterns | None = None
) -> bool:
    return acknowledgment_reason(text, patterns) is not None
