"""The translation catalogues: every text of the code is in German, compiled, with plurals.

The message ids are extracted from the code and the email templates exactly as
``make translations`` does (scripts/translations.py, Babel's extractors); a text that is
missing from the German catalogue, untranslated, fuzzy, short of a plural form, or that
uses placeholders its message id does not fill, fails here by name.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from dashboard.i18n import translate, translate_plural
from metrics.texts import LANGUAGES, catalogue, texts
from tests.support.source_trees import parse_files

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location(
        "translations", ROOT / "scripts" / "translations.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tool():
    return _tool()


@pytest.fixture(scope="module")
def template(tool):
    return tool.extract()


def test_every_text_of_the_code_is_translated_into_german(tool, template):
    assert len(template) > 200  # the dashboard, the email, metric and verdict names
    assert tool.problems("de", template) == []


def test_the_texts_of_every_interface_are_extracted(template):
    for message in (
        "Log in",  # dashboard login page
        "Unanswered customer messages",  # dashboard section
        "Still without an answer",  # email template
        "the oldest unanswered one has waited {age}",  # email sentence
        "broadcast-only",  # verdict name (metrics.labels)
        "response ratio",  # metric name
        "credentials refused",  # a stored outcome, marked with N_
    ):
        assert template.get(message) is not None, message
    assert template.get(("{count} client", "{count} clients")) is not None
    assert template.get("over the last {count} weeks", context="email") is not None


def test_a_text_missing_from_the_catalogue_is_named(tool, template):
    extended = Catalog(fuzzy=False)
    for message in template:
        if message.id:
            extended.add(message.id, context=message.context)
    extended.add("A text nobody translated yet")
    extended.add(("{count} new thing", "{count} new things"))
    assert tool.problems("de", extended) == [
        "'A text nobody translated yet' is missing from the de catalogue",
        "('{count} new thing', '{count} new things') is missing from the de catalogue",
    ]


def test_a_translation_with_other_placeholders_is_refused(tool):
    catalog = Catalog(locale="de")
    message = catalog.add("{count} answers", "{anzahl} Antworten")
    problems = tool._translation_problems("'{count} answers'", message, message, catalog, "de")
    assert problems == [
        "'{count} answers': the de translation uses placeholders the text does not fill"
    ]


def test_the_compiled_catalogue_is_up_to_date(tool):
    # The .mo files are committed; make translations compiles them from the .po files.
    for language in tool.LANGUAGES:
        assert tool.mo_path(language).read_bytes() == tool.compiled(language), (
            f"{tool.mo_path(language)} is older than its .po file: run make translations"
        )


def test_plural_forms_are_babels():
    header = catalogue("de").info()["plural-forms"]
    assert header == Catalog(locale="de").plural_forms == "nplurals=2; plural=(n != 1);"
    de = texts("de")
    forms = ("{count} client", "{count} clients")
    assert [de.ngettext(*forms, n) for n in (0, 1, 2)] == [
        "0 Unternehmen", "1 Unternehmen", "2 Unternehmen",
    ]  # fmt: skip
    answered = ("{count} got an answer", "{count} got an answer")
    assert de.ngettext(*answered, 1) == "1 bekam eine Antwort"
    assert de.ngettext(*answered, 3) == "3 bekamen eine Antwort"
    assert texts("en").ngettext(*answered, 1) == "1 got an answer"


def test_the_dashboard_says_one_client_in_the_singular():
    # Before the catalogues: "All 1 clients are collected ..." / "Alle 1 Kunden werden ...".
    fine = (
        "The client is collected without problems.",
        "All {count} clients are collected without problems.",
    )
    assert translate_plural(*fine, 1, "de") == "Der Kunde wird ohne Probleme abgerufen."
    assert translate_plural(*fine, 2, "de") == "Alle 2 Kunden werden ohne Probleme abgerufen."
    assert translate_plural(*fine, 1, "en") == "The client is collected without problems."


def test_english_is_the_message_ids_and_unknown_languages_get_english():
    assert LANGUAGES == ("en", "de")
    assert translate("Log in", "en") == "Log in"
    assert translate("Log in", "de") == "Anmelden"
    assert translate("Log in", "fr") == "Log in"


def _literal_messages(root: Path = ROOT) -> set[object]:
    """Every literal text handed to a translation function, found by Python's own parser
    (which, unlike a token-based extractor, sees through parentheses and line breaks)."""
    import ast

    def literal(node: ast.expr) -> str | None:
        return (
            node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
        )

    found: set[object] = set()
    paths = [
        path
        for package in ("dashboard", "reports", "metrics", "replywatch")
        for path in sorted((root / package).rglob("*.py"))
    ]
    for tree in parse_files(paths).values():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            first = [literal(arg) for arg in node.args[:2]]
            if name in ("translate", "N_", "_", "gettext") and first[0] is not None:
                found.add(first[0])
            elif name in ("translate_plural", "ngettext") and None not in first[:2]:
                found.add(tuple(first))
            elif name == "pgettext" and len(first) == 2 and None not in first:
                found.add((first[0], "\x04", first[1]))
    return found


def test_the_extractor_sees_every_text_the_code_translates(template):
    # A text the extractor misses would be shown in English to German users without any
    # test noticing; compare its findings with the parser's.
    unseen = []
    for message in _literal_messages():
        if isinstance(message, tuple) and len(message) == 3:
            context, _, text = message
            if template.get(text, context=context) is None:
                unseen.append(message)
        elif template.get(message) is None:
            unseen.append(message)
    assert unseen == []
