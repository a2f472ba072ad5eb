"""Question detection in English and German, from the patterns in data/questions.toml.

quintly counts a message as a question when it contains "?"; customers write requests
without one ("Bitte um Rückruf", "please DM me the order number"), so replywatch also
looks for interrogative and request patterns. The patterns are data, not code: the file
says how they are applied. Classification is cheap and runs once per new item, in the
metrics refresh (``items.is_question``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PATTERNS_FILE = Path(__file__).parent / "data" / "questions.toml"

_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@[\w.@-]+")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# Question marks of the scripts customers write in: ASCII "?", Spanish "¿", full-width
# "？" and small "﹖" (Chinese, Japanese, Korean), Arabic "؟" (also Persian and Urdu),
# the Greek question mark U+037E, Armenian "՞", Ethiopic "፧", the reversed "⸮" and the
# interrobangs "‽ ⁇ ⁈ ⁉".
QUESTION_MARKS = "?¿？﹖؟\u037e՞፧⸮‽⁇⁈⁉"
_QUESTION_MARK = re.compile(f"[{re.escape(QUESTION_MARKS)}]")
# Greek writes its question mark as ";" (U+037E is canonically the semicolon, and most
# keyboards type the semicolon); Greek uses "·" for a semicolon. A ";" right after a Greek
# word (closing quotes or brackets between them allowed) is therefore a question mark.
_GREEK_QUESTION = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff][\"'»”’)\]]*\s*;")
_SENTENCES = re.compile(r"[.!?;:\n。！？﹖؟¿¡\u037e]+")
_LEADING_NOISE = re.compile(r"^[\W\d_]+")


class PatternsError(ValueError):
    """The patterns file is unusable; the message names the file, language and pattern."""


@dataclass(frozen=True)
class LanguagePatterns:
    language: str
    markers: frozenset[str]
    exclude: re.Pattern[str] | None
    starts: re.Pattern[str]
    contains: re.Pattern[str]


@dataclass(frozen=True)
class QuestionPatterns:
    languages: tuple[LanguagePatterns, ...]


def _compile(words: list[str], where: str, anchored: bool) -> re.Pattern[str]:
    if not words:
        return re.compile(r"(?!)")  # an empty list matches nothing, not everything
    alternatives = "|".join(f"(?:{word})" for word in words)
    prefix = "^" if anchored else r"\b"
    try:
        return re.compile(f"{prefix}(?:{alternatives})" + r"(?!\w)", re.IGNORECASE)
    except re.error:
        pass
    # Each entry on its own only now, to name the one at fault (cheaper when all are fine).
    for word in words:
        try:
            re.compile(word)
        except re.error as exc:
            raise PatternsError(
                f"{where}: pattern {word!r} is not a regular expression: {exc}"
            ) from None
    raise PatternsError(f"{where}: the patterns do not combine into one expression")


def load_patterns(path: Path | str = PATTERNS_FILE) -> QuestionPatterns:
    source = Path(path)
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PatternsError(f"question patterns {source}: {exc}") from None
    languages = []
    for language, table in data.items():
        where = f"question patterns {source} [{language}]"
        if not isinstance(table, dict) or not {"starts", "contains"} <= table.keys():
            raise PatternsError(f"{where}: needs the lists 'starts' and 'contains'")
        exclude = table.get("exclude") or []
        languages.append(
            LanguagePatterns(
                language=language,
                markers=frozenset(word.lower() for word in table.get("markers", [])),
                exclude=_compile(exclude, where, anchored=False) if exclude else None,
                starts=_compile(table["starts"], where, anchored=True),
                contains=_compile(table["contains"], where, anchored=False),
            )
        )
    if not languages:
        raise PatternsError(f"question patterns {source}: no language defined")
    return QuestionPatterns(tuple(languages))


@cache
def default_patterns() -> QuestionPatterns:
    return load_patterns()


def _clean(text: str) -> str:
    return _HANDLE.sub(" ", _LINK.sub(" ", text))


def _languages_of(words: list[str], patterns: QuestionPatterns) -> tuple[LanguagePatterns, ...]:
    scores = [(sum(word in lang.markers for word in words), lang) for lang in patterns.languages]
    best = max(score for score, _ in scores)
    if best == 0:
        return patterns.languages
    return tuple(lang for score, lang in scores if score == best)


def question_reason(text: str | None, patterns: QuestionPatterns | None = None) -> str | None:
    """Why ``text`` counts as a question (for tests and explanations), or None."""
    patterns = patterns or default_patterns()
    cleaned = _clean(text or "")
    if match := _QUESTION_MARK.search(cleaned):
        return f'"{match.group(0)}"'
    if _GREEK_QUESTION.search(cleaned):
        return '";" (Greek)'
    words = [word.lower() for word in _WORD.findall(cleaned)]
    for lang in _languages_of(words, patterns):
        body = lang.exclude.sub(" ", cleaned) if lang.exclude else cleaned
        for sentence in _SENTENCES.split(body):
            start = _LEADING_NOISE.sub("", sentence.strip())
            if match := lang.starts.match(start):
                return f"{lang.language}: starts with {match.group(0)!r}"
        if match := lang.contains.search(body):
            return f"{lang.language}: contains {match.group(0)!r}"
    return None


def is_question(text: str | None, patterns: QuestionPatterns | None = None) -> bool:
    return question_reason(text, patterns) is not None
