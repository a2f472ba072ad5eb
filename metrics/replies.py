"""Answer quality of own replies, from metrics/data/replies.toml: redirects and templates.

A **redirect** sends the customer elsewhere (DM, mail, phone, contact form) and holds no
other content; the file says how a reply is read sentence by sentence. A **template** is
the same normalised text sent to several customers: this module gives each reply the key
of its normalised text (``reply_key``); which replies share a key within 28 days is
decided with the facts (metrics.facts). Both are computed once per own reply, in the
metrics refresh (``items.is_redirect``, ``items.reply_key``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from metrics.wordlists import (
    WordListError,
    compile_words,
    load_toml,
    remove,
    without_handles_and_links,
    word_text,
)

REPLIES_FILE = Path(__file__).parent / "data" / "replies.toml"

# Sentences end at . ! ? … and line breaks, and at emoji (a "😊" often ends one).
_SENTENCE_END = re.compile(r"[.!?…\n]+|[\U0001F300-\U0001FAFF\u2600-\u27BF]+")
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_CAPITALISED = r"[A-ZÄÖÜ][\w'-]*"


@dataclass(frozen=True)
class ReplyPatterns:
    redirects: re.Pattern[str]
    fillers: re.Pattern[str]
    details: re.Pattern[str]
    filler_words: int
    signature: re.Pattern[str]
    salutation: re.Pattern[str]


def load_replies(path: Path | str = REPLIES_FILE) -> ReplyPatterns:
    source = Path(path)
    data = load_toml(source, "reply patterns")
    where = f"reply patterns {source}"
    lists: dict[str, list[str]] = {"redirects": [], "fillers": [], "details": []}
    languages = [name for name, value in data.items() if isinstance(value, dict)]
    if not languages:
        raise WordListError(f"{where}: no language defined")
    for language in languages:
        for name in lists:
            if name not in data[language]:
                raise WordListError(f"{where} [{language}]: needs '{name}'")
            lists[name].extend(data[language][name])
    words = data.get("filler_words", 0)
    if not isinstance(words, int) or words < 0:
        raise WordListError(f"{where}: filler_words must be >= 0")
    signatures = data.get("signature", [])
    salutations = data.get("salutations", [])
    for name, value in (("signature", signatures), ("salutations", salutations)):
        compile_words(value, f"{where}: {name}")  # checks the entries
    signature = (
        re.compile(r"(?:" + "|".join(f"(?:{s})" for s in signatures) + r")\s*$")
        if signatures
        else re.compile(r"(?!)")
    )
    names = "|".join(sorted(salutations, key=len, reverse=True)) or "(?!)"
    salutation = re.compile(
        rf"(?i:\b(?:{names}))\s*,?\s+((?:{_CAPITALISED})(?:\s+{_CAPITALISED})?)(?=\s*[,.!?]|$)"
    )
    return ReplyPatterns(
        redirects=compile_words(lists["redirects"], f"{where}: redirects"),
        fillers=compile_words(lists["fillers"], f"{where}: fillers"),
        details=compile_words(lists["details"], f"{where}: details"),
        filler_words=words,
        signature=signature,
        salutation=salutation,
    )


@cache
def default_replies() -> ReplyPatterns:
    return load_replies()


def _body(text: str | None, patterns: ReplyPatterns) -> str:
    """The reply without handles, links, "1/2" counters and a trailing signature."""
    body = without_handles_and_links(text).strip()
    body = re.sub(r"\s*\b\d/\d\s*$", "", body)  # "... 2/2"
    for _ in range(2):  # "Thanks - Mike 2/2", "... ^ML ^JS"
        body = patterns.signature.sub("", body).rstrip()
    return body


def _split(body: str) -> list[tuple[str, str]]:
    """(sentence, what ends it) pairs; empty sentences left out."""
    result, start = [], 0
    for end in _SENTENCE_END.finditer(body):
        result.append((body[start : end.start()].strip(), end.group(0)))
        start = end.end()
    result.append((body[start:].strip(), ""))
    return [(sentence, ending) for sentence, ending in result if sentence]


def sentences(text: str | None, patterns: ReplyPatterns | None = None) -> list[str]:
    patterns = patterns or default_replies()
    return [sentence for sentence, _ in _split(_body(text, patterns))]


def redirect_reason(text: str | None, patterns: ReplyPatterns | None = None) -> str | None:
    """Why a reply is a redirect (for tests and explanations), or None."""
    patterns = patterns or default_replies()
    found: str | None = None
    for sentence, ending in _split(_body(text, patterns)):
        words = word_text(sentence)
        if not words:
            continue
        match = patterns.redirects.search(words)
        if match is not None:
            found = found or match.group(0)
            continue
        if "?" in ending:
            continue  # a question for the details to send
        rest, _ = remove(patterns.fillers, words)
        rest, _ = remove(patterns.details, rest)
        if len(rest.split()) > patterns.filler_words:
            return None  # a sentence with content: the reply tells the customer something
    return f"sends elsewhere: {found!r}" if found else None


def is_redirect(text: str | None, patterns: ReplyPatterns | None = None) -> bool:
    return redirect_reason(text, patterns) is not None


def normalised(text: str | None, patterns: ReplyPatterns | None = None) -> str:
    """The text two sends of one pasted reply have in common (docs/metrics.md)."""
    patterns = patterns or default_replies()
    body = _body(text, patterns)
    body = patterns.salutation.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)], body)
    # A name alone between a comma and the end of its clause: "Oh no, Anna." "Gerne, Jo!"
    body = re.sub(rf",\s*{_CAPITALISED}(?:\s+{_CAPITALISED})?(?=\s*[.!?,]|\s*$)", ",", body)
    body = _NUMBER.sub(" ", body)
    return word_text(body)


def reply_key(text: str | None, patterns: ReplyPatterns | None = None) -> int | None:
    """A 63-bit key of the normalised text (None when nothing is left of it)."""
    words = normalised(text, patterns)
    if not words:
        return None
    digest = hashlib.blake2b(words.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1
