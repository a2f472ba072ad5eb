"""The translation catalogues: extract the message ids, merge them into each language's
catalogue, check, compile. ``make translations`` runs ``extract`` then ``compile``.

    python scripts/translations.py extract   # code -> metrics/locales/replywatch.pot -> de.po
    python scripts/translations.py compile   # de.po -> de.mo (refused while incomplete)
    python scripts/translations.py check     # what tests/test_translations.py checks

Everything goes through Babel's own API. Our texts are ``str.format`` templates; Babel
also flags a text like "95% interval" as a %-format string and its %-checker then rejects
the German "95-%-Intervall", so instead of that checker the placeholders ``{name}`` of
each translation are compared with those of its message id.
"""

from __future__ import annotations

import io
import string
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "metrics" / "locales"
DOMAIN = "replywatch"
TEMPLATE = LOCALES / f"{DOMAIN}.pot"
LANGUAGES = ("de",)  # English is the message ids themselves
SOURCES = ("dashboard", "reports", "metrics", "replywatch")
METHODS = [("**/templates/**.j2", "jinja2"), ("**.py", "python")]
KEYWORDS = {
    "translate": (1,),
    "translate_plural": (1, 2),
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "N_": None,
}


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


def extract() -> Catalog:
    """Every message id the code and the email templates use."""
    catalog = Catalog(project="replywatch", domain=DOMAIN, fuzzy=False)
    for source in SOURCES:
        found = extract_from_dir(
            ROOT / source, METHODS, keywords=KEYWORDS, comment_tags=("Translators:",)
        )
        for _filename, _line, message, comments, context in found:
            catalog.add(message, None, auto_comments=comments, context=context)
    return catalog


def read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, no_location=True, sort_output=True)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def problems(language: str, template: Catalog | None = None) -> list[str]:
    """What keeps the catalogue of ``language`` from serving every text of the code."""
    template = template or extract()
    catalog = read(po_path(language))
    found: list[str] = []
    for message in template:
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        name = repr(message.id) + (f" (context {message.context!r})" if message.context else "")
        if entry is None:
            found.append(f"{name} is missing from the {language} catalogue")
            continue
        if entry.fuzzy:
            found.append(f"{name} is marked fuzzy in the {language} catalogue")
        found.extend(_translation_problems(name, message, entry, catalog, language))
    return found


def _translation_problems(
    name: str, message: Message, entry: Message, catalog: Catalog, language: str
) -> list[str]:
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
    if isinstance(message.id, tuple) and len(strings) != catalog.num_plurals:
        return [f"{name} needs {catalog.num_plurals} plural forms in {language}"]
    if not all(text and text.strip() for text in strings):
        return [f"{name} has no {language} translation"]
    allowed = set().union(*(_fields(text) for text in ids))
    wrong = [text for text in strings if not _fields(text) <= allowed]
    if wrong:
        return [f"{name}: the {language} translation uses placeholders the text does not fill"]
    return []


def compiled(language: str) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, read(po_path(language)), use_fuzzy=False)
    return buffer.getvalue()


def command_extract() -> None:
    template = extract()
    write(TEMPLATE, template)
    for language in LANGUAGES:
        path = po_path(language)
        catalog = read(path) if path.exists() else Catalog(locale=language, domain=DOMAIN)
        catalog.update(template, update_header_comment=False)
        write(path, catalog)
        left = problems(language, template)
        print(f"{path.relative_to(ROOT)}: {len(template)} texts, {len(left)} to translate")
        for problem in left:
            print(f"  {problem}")


def command_compile() -> int:
    failed = 0
    for language in LANGUAGES:
        left = problems(language)
        if left:
            failed += 1
            print(f"{po_path(language).relative_to(ROOT)} is not complete:", *left, sep="\n  ")
            continue
        mo_path(language).write_bytes(compiled(language))
        print(f"compiled {mo_path(language).relative_to(ROOT)}")
    return 1 if failed else 0


def command_check() -> int:
    failed = 0
    for language in LANGUAGES:
        for problem in problems(language):
            failed += 1
            print(problem)
        if mo_path(language).read_bytes() != compiled(language):
            failed += 1
            print(f"{mo_path(language).relative_to(ROOT)} is older than its .po: make translations")
    return 1 if failed else 0


if __name__ == "__main__":
    commands = {"extract": command_extract, "compile": command_compile, "check": command_check}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: python {sys.argv[0]} {{{'|'.join(commands)}}}")
    sys.exit(commands[sys.argv[1]]() or 0)
