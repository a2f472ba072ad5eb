"""Question detection: realistic customer messages in English and German.

Each case is (text, expected). Questions include requests without a question mark
(imperatives, "I need ...", "Bitte um Rückruf"); non-questions include thanks and
compliments that contain a request word ("thanks for your help", "bitte weiter so").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.questions import PatternsError, is_question, load_patterns, question_reason

ENGLISH = [
    # questions with a question mark
    ("@shop When do you open on Sunday?", True),
    ("Is the gluten-free loaf available today?", True),
    ("Do you deliver to Bristol??", True),
    ("@AppleSupport my phone restarts every hour since 11.0.2, any fix?", True),
    ("Hey, what time does the store close tonight?", True),
    ("Ordered on Monday, still nothing. Where is my parcel?", True),
    # questions without a question mark
    ("How do I change the delivery address on my order", True),
    ("When will my refund arrive, it has been two weeks", True),
    ("Why is the app logging me out all the time", True),
    ("what's the best way to reach your support team", True),
    ("Can you check order 48213 for me", True),
    ("Could someone look into this asap", True),
    ("Is there a discount for students", True),
    ("Any update on my complaint from last week", True),
    ("Does the offer apply to online orders too", True),
    ("anyone know if the Camden branch is open on bank holidays", True),
    ("wondering whether you still sell the rye sourdough", True),
    ("Is it possible to collect in store instead", True),
    # imperative requests
    ("please DM me the order number", True),
    ("Please call me back on the number I sent", True),
    ("Pls fix the checkout, it keeps failing", True),
    ("DM me, I need to change my booking", True),
    ("Let me know when the blue one is back in stock", True),
    ("Help! The payment went through twice", True),
    ("Need help with my account, I cannot log in", True),
    ("Send me the invoice for October", True),
    ("I need a replacement charger, mine arrived broken", True),
    ("Still waiting for a reply to my email from Tuesday", True),
    ("I would like to know why my card was charged twice", True),
    ("Kindly refund the missing item", True),
    ("Can I return this without the receipt", True),
    ("Tell me how to cancel the subscription", True),
    # non-questions
    ("Thanks for the quick help!", False),
    ("Thank you so much for your help, all sorted now", False),
    ("Love the new cinnamon buns 😍", False),
    ("Best coffee in town, as always", False),
    ("Great service today, the staff were lovely", False),
    ("My order arrived this morning. Everything perfect.", False),
    ("Happy birthday to the whole team!", False),
    ("The delivery was late again. Not impressed.", False),
    ("Was great, thanks!", False),
    ("You have been a great help, cheers", False),
    ("Keep up the good work", False),
    ("Just picked up my cake, it looks amazing", False),
    ("Worst experience ever with your courier https://t.co/abc?ref=x", False),
    ("Shared this with my friends @anna_b @tom", False),
    ("Wow 😍😍", False),
]

GERMAN = [
    # Fragen mit Fragezeichen
    ("Habt ihr am Samstag geöffnet?", True),
    ("@baeckerei Gibt es die Dinkelbrötchen auch glutenfrei?", True),
    ("Wo bleibt meine Bestellung??", True),
    ("Ist der Laden an Ostern offen?", True),
    ("Könnt ihr auch nach Augsburg liefern?", True),
    ("Was kostet die Torte für 12 Personen?", True),
    # Fragen ohne Fragezeichen
    ("Wann habt ihr morgen offen", True),
    ("Wie lange dauert die Lieferung nach Österreich", True),
    ("Warum ist die App schon wieder down", True),
    ("Wieso wurde mein Paket zurückgeschickt", True),
    ("Welche Filiale hat sonntags geöffnet", True),
    ("Kann ich die Torte auch morgen abholen", True),
    ("Können Sie mir die Rechnung noch einmal schicken", True),
    ("Gibt es noch Karten für Freitag", True),
    ("Wo finde ich die Öffnungszeiten", True),
    ("Haben Sie heute noch Brezen", True),
    ("Ich möchte gerne wissen, ob das Angebot noch gilt", True),
    ("Ich habe eine Frage zu meiner Bestellung", True),
    # Aufforderungen und Bitten
    ("Bitte um Rückruf", True),
    ("Bitte um Rückruf unter der bekannten Nummer, danke", True),
    ("Rufen Sie mich bitte zurück", True),
    ("Bitte melden Sie sich bei mir, es ist dringend", True),
    ("Meldet euch bitte per DM", True),
    ("Schickt mir bitte die Bestellnummer", True),
    ("Ich brauche dringend einen neuen Termin", True),
    ("Brauche Hilfe bei der Anmeldung", True),
    ("Ich warte immer noch auf meine Erstattung", True),
    ("Seit drei Wochen noch keine Antwort von euch", True),
    ("Wäre nett, wenn sich mal jemand meldet", True),
    ("Ich hätte gern eine Auskunft zu den Allergenen", True),
    ("Ich bitte um eine Stornierung meiner Bestellung", True),
    ("Hilfe, mein Konto ist gesperrt", True),
    ("Ich suche ein Geschenk für meine Mutter, was empfehlt ihr", True),
    # keine Fragen
    ("Danke für die schnelle Hilfe!", False),
    ("Vielen Dank, alles angekommen", False),
    ("Super leckere Brezen, wie immer", False),
    ("Bester Kuchen der Stadt 😍", False),
    ("Danke, bitte weiter so!", False),
    ("Heute wieder sehr freundlich bedient worden", False),
    ("Die Lieferung war leider zu spät. Schade.", False),
    ("Frohe Weihnachten an das ganze Team", False),
    ("Ihr wart eine große Hilfe, danke", False),
    ("Keine Frage, der beste Bäcker im Viertel", False),
    ("Gern geschehen 🙂", False),
    ("Hab gerade meine Torte abgeholt, sieht toll aus", False),
    ("Mega Service, danke euch", False),
    ("Leider war die Filiale heute schon zu", False),
    ("Schaut mal @anna_b https://t.co/xyz?lang=de", False),
]


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_english(text, expected):
    assert is_question(text) is expected, question_reason(text)


@pytest.mark.parametrize(("text", "expected"), GERMAN)
def test_german(text, expected):
    assert is_question(text) is expected, question_reason(text)


def test_reason_names_the_rule():
    assert question_reason("Bitte um Rückruf") == "de: starts with 'Bitte'"
    assert question_reason("Open on Sunday?") == '"?"'
    assert question_reason("please DM me the order number") == "en: starts with 'please'"
    assert question_reason("Thanks!") is None
    assert question_reason("") is None
    assert question_reason(None) is None


def test_a_question_mark_inside_a_link_does_not_count():
    assert not is_question("look https://example.com/page?id=3")
    assert is_question("look https://example.com/page?id=3 is this yours?")


def test_patterns_come_from_the_data_file(tmp_path: Path):
    custom = tmp_path / "patterns.toml"
    custom.write_text('[xx]\nstarts = ["zork"]\ncontains = ["frobnicate"]\n', encoding="utf-8")
    patterns = load_patterns(custom)
    assert is_question("zork the door", patterns)
    assert is_question("we must frobnicate it", patterns)
    assert not is_question("how do I open it", patterns)


def test_a_broken_patterns_file_names_file_language_and_pattern(tmp_path: Path):
    broken = tmp_path / "broken.toml"
    broken.write_text('[de]\nstarts = ["wie("]\ncontains = []\n', encoding="utf-8")
    with pytest.raises(PatternsError, match=r"broken.toml \[de\]: pattern 'wie\('"):
        load_patterns(broken)
    missing = tmp_path / "missing.toml"
    missing.write_text("[de]\nstarts = []\n", encoding="utf-8")
    with pytest.raises(PatternsError, match="needs the lists"):
        load_patterns(missing)


def test_an_empty_pattern_list_matches_nothing(tmp_path: Path):
    sparse = tmp_path / "sparse.toml"
    sparse.write_text('[en]\nstarts = []\ncontains = ["refund"]\n', encoding="utf-8")
    patterns = load_patterns(sparse)
    assert not is_question("lovely bread", patterns)
    assert is_question("where is my refund", patterns)


OTHER_SCRIPTS = [
    # Issue 14.6: question marks that are not the ASCII "?"
    ("你们今天开门吗？", True, '"？"'),  # full-width, Chinese
    ("明日は営業していますか？", True, '"？"'),  # full-width, Japanese
    ("내일 영업하세요﹖", True, '"﹖"'),  # small question mark
    ("هل أنتم مفتوحون اليوم؟", True, '"؟"'),  # Arabic
    ("آیا امروز باز هستید؟", True, '"؟"'),  # Persian
    ("¿Tienen pan sin gluten", True, '"¿"'),  # only the opening mark
    ("Είστε ανοιχτά σήμερα;", True, '";" (Greek)'),  # Greek, typed as a semicolon
    ("Είστε ανοιχτά σήμερα\u037e", True, '"\u037e"'),  # the Greek question mark itself
    ("Πότε ανοίγετε «αύριο»;", True, '";" (Greek)'),  # a closing quote before it
    ("Դուք բաց եք՞", True, '"՞"'),  # Armenian
    ("You did WHAT‽", True, '"‽"'),
    # not questions
    ("We loved the bread; thanks a lot", False, None),  # a semicolon in English
    ("Ευχαριστούμε πολύ· τα λέμε αύριο.", False, None),  # Greek semicolon is "·"
    ("谢谢！非常好吃。", False, None),
    ("شكرا جزيلا", False, None),
    ("look https://example.com/a？b", False, None),  # inside a link
]


@pytest.mark.parametrize(("text", "expected", "reason"), OTHER_SCRIPTS)
def test_question_marks_of_other_scripts(text, expected, reason):
    assert is_question(text) is expected
    assert question_reason(text) == reason


def test_a_full_width_mark_ends_a_sentence_for_the_start_patterns():
    # "！" and "？" split sentences like "!" and "?": the second one starts with "Wann".
    assert question_reason("Danke！Wann habt ihr morgen offen") == "de: starts with 'Wann'"
