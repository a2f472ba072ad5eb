"""Texts of customers and businesses, in German and English, written for this project.

Each text comes from a template with variable parts (a day, an order number, a product),
so the demo reads like real conversations without copying any corpus. Templates are
generic (any business) or belong to one kind of business (bakery, bike shop, bookshop).
Every template carries its *intent* and so whether it asks for something (a question in
the sense of METRICS.md). These labels are the ground truth the demo's question detection
can be compared with:

- questions with "?" and without it ("Wann habt ihr am Samstag offen"), imperative
  requests ("Bitte um Rückruf wegen Bestellung 4711.", "Please DM me ...") and nudges
  ("Hallo??") ask for something;
- complaints, praise, remarks, thanks and giving up do not. Their templates avoid the
  words a question heuristic looks for (wie, wann, bitte, how, please, help ...), so that a
  sound detector agrees with the labels (tests/test_generator.py checks this).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

LANGUAGES = ("de", "en")
BUSINESSES = ("bakery", "bikes", "books")

# Intents of customer messages; the first five ask for something.
QUESTION = "question"  # with a question mark
UNMARKED = "question_unmarked"  # a question without "?"
REQUEST = "request"  # an imperative request: "Bitte um Rückruf", "please DM me"
NUDGE = "nudge"  # a follow-up asking again: "Hallo??"
CRITICAL = "critical"  # a complaint that asks why nobody answers
COMPLAINT = "complaint"
PRAISE = "praise"
REMARK = "remark"
THANKS = "thanks"
GIVE_UP = "give_up"
# Intents of the business's own texts.
OWN_POST = "own_post"
OWN_ANSWER = "own_answer"
OWN_THREAD = "own_thread"  # a continuation of its own post ("2/2")
REPOST = "repost"

ASKING = frozenset({QUESTION, UNMARKED, REQUEST, NUDGE, CRITICAL})
CUSTOMER_INTENTS = (QUESTION, UNMARKED, REQUEST, NUDGE, CRITICAL)  # asking, then the others:
CUSTOMER_INTENTS += (COMPLAINT, PRAISE, REMARK, THANKS, GIVE_UP)

# How often customers write what: the first message of a conversation, a follow-up to an
# answer, a further message while waiting (a burst), another customer joining in.
FIRST_INTENTS = (
    (QUESTION, 0.27),
    (UNMARKED, 0.10),
    (REQUEST, 0.10),
    (COMPLAINT, 0.10),
    (PRAISE, 0.25),
    (REMARK, 0.18),
)
FOLLOW_UP_INTENTS = ((THANKS, 0.55), (QUESTION, 0.30), (UNMARKED, 0.15))
BURST_INTENTS = ((NUDGE, 0.55), (QUESTION, 0.25), (GIVE_UP, 0.20))
BYSTANDER_INTENTS = ((REMARK, 0.5), (PRAISE, 0.3), (QUESTION, 0.2))


@dataclass(frozen=True)
class TextLabel:
    """What a generated text is: its language, its intent, whether it asks something."""

    language: str
    intent: str

    @property
    def question(self) -> bool:
        return self.intent in ASKING


# --- customers, any business -----------------------------------------------------------

GENERIC: dict[str, dict[str, tuple[str, ...]]] = {
    "de": {
        QUESTION: (
            "Bis wann habt ihr am {day} geöffnet?",
            "Ist meine Bestellung {order} schon fertig?",
            "Habt ihr am Feiertag offen?",
            "Kann man bei euch auch mit Karte zahlen?",
            "Gibt es bei euch Gutscheine?",
        ),
        UNMARKED: (
            "Wann habt ihr am {day} offen",
            "Wo kann man bei euch in der Nähe parken",
            "Kann ich auch telefonisch bestellen",
            "Habt ihr am {day} länger auf",
        ),
        REQUEST: (
            "Bitte um Rückruf wegen Bestellung {order}.",
            "Bitte um Rückruf, Nummer habt ihr ja.",
            "Bitte meldet euch wegen meiner Reklamation {order}.",
            "Bitte um kurze Rückmeldung zu Bestellung {order}",
            "Schickt mir bitte eure Öffnungszeiten über die Feiertage per DM.",
        ),
        NUDGE: (
            "Hallo??",
            "Ist da jemand?",
            "Hat jemand meine Nachricht gelesen?",
            "Kann mir hier jemand antworten?",
            "Hallo, ich warte noch auf eine Antwort, bitte meldet euch",
        ),
        CRITICAL: (
            "Seit drei Wochen keine Antwort auf meine Reklamation {order}. Warum antwortet "
            "hier eigentlich nie jemand?",
            "Zum dritten Mal ist meine Bestellung falsch. Was ist bei euch eigentlich los?",
        ),
        COMPLAINT: (
            "Zweimal angerufen, nie jemand erreicht. Schade.",
            "Bestellung {order} kam unvollständig an.",
            "Die Preise sind in letzter Zeit ordentlich gestiegen.",
            "Heute früh stand ich vor verschlossener Tür, obwohl offen sein sollte.",
        ),
        PRAISE: (
            "Super Service heute, vielen Dank an das ganze Team!",
            "Sieht richtig gut aus 😍",
            "Ihr seid großartig ❤️",
            "Top Beratung, gerne jederzeit wieder.",
        ),
        REMARK: (
            "War heute zum ersten Mal da. Schöner Laden.",
            "Wir kommen am {day} vorbei.",
            "Heute ist echt viel los bei euch.",
            "Das Foto ist richtig schön geworden.",
        ),
        THANKS: (
            "Danke für die schnelle Antwort!",
            "Super, danke!",
            "Perfekt, dann komme ich am {day}.",
            "Alles klar, vielen Dank 👍",
            "Danke, hat geklappt.",
        ),
        GIVE_UP: (
            "Schade, keine Antwort.",
            "Dann eben nicht. 🙄",
            "Hat sich erledigt, war woanders.",
            "Gut zu wissen, dass hier niemand liest.",
        ),
    },
    "en": {
        QUESTION: (
            "What time do you close on {day}?",
            "Is my order {order} ready yet?",
            "Are you open on the bank holiday?",
            "Do you take cards?",
            "Do you sell gift vouchers?",
        ),
        UNMARKED: (
            "what time do you open on {day}",
            "is there parking nearby",
            "can I order by phone",
            "wondering if you're open late on {day}",
        ),
        REQUEST: (
            "Please DM me about order {order}.",
            "Please call me back, you have my number.",
            "Need help with my order {order}, please get in touch.",
            "Kindly reply about my refund for order {order}.",
        ),
        NUDGE: (
            "Hello??",
            "Anyone there?",
            "Did anyone read my message?",
            "Still waiting, can someone answer?",
        ),
        CRITICAL: (
            "Three weeks and no reply about order {order}. Why does nobody ever answer here?",
            "Wrong order for the third time. What is going on?",
        ),
        COMPLAINT: (
            "Order {order} arrived incomplete.",
            "Rang twice today and nobody picked up.",
            "Prices have gone up a lot lately.",
            "The shop was closed this morning although it said open.",
        ),
        PRAISE: (
            "Lovely shop, brilliant staff!",
            "Looks amazing 😍",
            "Best little shop around ❤️",
            "Great service today, thanks to the whole team!",
        ),
        REMARK: (
            "Visited for the first time today. Lovely place.",
            "We'll pop by on {day}.",
            "Busy in there today!",
            "That photo came out really nice.",
        ),
        THANKS: (
            "Thanks for the quick reply!",
            "Brilliant, thank you!",
            "Perfect, I'll come by on {day}.",
            "Great, cheers 👍",
            "Thanks, sorted.",
        ),
        GIVE_UP: (
            "No answer then. Shame.",
            "Never mind, got it elsewhere.",
            "Good to know nobody reads this.",
        ),
    },
}

# --- customers of one kind of business ---------------------------------------------------

BUSINESS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "bakery": {
        "de": {
            QUESTION: (
                "Habt ihr am {day} auch Zwetschgendatschi?",
                "Kann ich für {day} zwei Sauerteigbrote vorbestellen?",
                "Was kostet bei euch eine Geburtstagstorte?",
                "Gibt es die Brezen auch glutenfrei?",
                "Sind die Nussschnecken vegan?",
            ),
            UNMARKED: (
                "Gibt es die Kürbiskernsemmeln auch am Sonntag",
                "Wie lange halten sich eure Dinkelbrote",
                "Habt ihr heute noch Krapfen da",
            ),
            REQUEST: ("Bitte um Rückruf wegen der Torte für {day}.",),
            CRITICAL: ("Die Semmeln von heute waren verschimmelt. Wie kann so etwas passieren?",),
            COMPLAINT: (
                "Die Brezen waren heute leider ziemlich trocken.",
                "Samstag um zehn schon alles ausverkauft. Ärgerlich.",
            ),
            PRAISE: (
                "Eure Brezen sind einfach die besten in der Stadt!",
                "Endlich wieder Zwetschgendatschi! Freu mich.",
            ),
            REMARK: (
                "Meine Kinder lieben eure Nussschnecken.",
                "Hab den Apfelstrudel probiert, lecker.",
            ),
        },
        "en": {
            QUESTION: ("Do you have pretzels on {day}?", "Is the rye bread vegan?"),
            UNMARKED: ("can I pre-order a birthday cake for {day}",),
            REQUEST: ("Please call me back about a cake order for {day}.",),
            COMPLAINT: ("The pretzels were a bit dry today.",),
            PRAISE: ("Best pretzels outside Bavaria, honestly!",),
            REMARK: ("Had the plum cake, lovely.",),
        },
    },
    "bikes": {
        "de": {
            QUESTION: (
                "Habt ihr am {day} einen Termin für eine E-Bike-Inspektion frei?",
                "Was kostet bei euch ein neuer Akku?",
                "Kann ich das Lastenrad am Wochenende ausleihen?",
                "Ist mein Rad mit Auftrag {order} schon fertig?",
                "Habt ihr Winterreifen für 28 Zoll?",
            ),
            UNMARKED: (
                "Wie lange dauert eine Inspektion gerade",
                "Gibt es das Gravelbike auch in Rahmengröße M",
                "Könnt ihr auch Kinderräder fit machen",
            ),
            REQUEST: (
                "Bitte um Rückruf wegen meiner Reparatur {order}.",
                "Ich brauche dringend einen Termin für die Bremsen, meldet euch bitte.",
            ),
            CRITICAL: ("Seit zwei Wochen steht mein Rad bei euch. Warum ruft niemand zurück?",),
            COMPLAINT: (
                "Seit einer Woche warte ich auf die Ersatzteile. Echt enttäuschend.",
                "Nach der Inspektion quietscht die Bremse immer noch.",
            ),
            PRAISE: (
                "Beste Werkstatt in Köln, das Rad läuft jetzt einwandfrei!",
                "Super Beratung beim Lastenrad 👍",
            ),
            REMARK: ("Bin heute die erste Tour mit dem neuen Rad gefahren.",),
        },
        "en": {
            QUESTION: ("Do you service Dutch bikes too?", "Any cargo bikes to rent on {day}?"),
            UNMARKED: ("wondering if you stock tubeless tyres",),
            REQUEST: ("Please call me back about repair {order}.",),
            COMPLAINT: ("Brakes still squeak after the service.",),
            PRAISE: ("Great repair job, bike runs like new!",),
            REMARK: ("First ride on the new bike today.",),
        },
    },
    "books": {
        "de": {
            QUESTION: (
                "Habt ihr die signierte Ausgabe noch?",
                "Könnt ihr Bücher auch nach Deutschland schicken?",
            ),
            UNMARKED: ("Gibt es den neuen Krimi auch als Hörbuch",),
            REQUEST: ("Bitte um Rückruf wegen meiner Bestellung {order}.",),
            COMPLAINT: ("Das Paket kam leider mit eingedrückter Ecke an.",),
            PRAISE: ("Schönste Buchhandlung in London!",),
            REMARK: ("Wir waren im Urlaub bei euch, tolle Auswahl.",),
        },
        "en": {
            QUESTION: (
                "Do you still have signed copies of the new crime novel?",
                "Can I reserve this month's book club pick?",
                "How much are tickets for the author evening on {day}?",
                "Do you ship to Ireland?",
                "Is the picture book in stock again?",
            ),
            UNMARKED: (
                "is the audiobook available as well",
                "how do I join the book club",
                "can you order in a book I can't find",
            ),
            REQUEST: (
                "Please put a copy of the new crime novel aside for me.",
                "Please DM me the order number for my gift card.",
            ),
            CRITICAL: ("Ordered in October, still nothing. Why is nobody replying?",),
            COMPLAINT: (
                "The book arrived with a bent cover.",
                "Sold out before I got there. Gutted.",
            ),
            PRAISE: ("Your window display is stunning!", "Best bookshop in London, no contest."),
            REMARK: ("Picked up three books for the holidays.", "Loved the author evening."),
        },
    },
}

# --- the businesses ----------------------------------------------------------------------

OWN_POSTS = {
    ("bakery", "de"): (
        "Frisch aus dem Ofen: Kürbiskernsemmeln! Nur solange der Vorrat reicht. 🥨 #bäckerei",
        "Am {day} gibt es wieder Zwetschgendatschi. Wir freuen uns auf euch! #handwerk",
        "Unser Tipp für das Wochenende: Nussschnecken 😋 #bäckereihuber",
        "Heute im Angebot: Dinkelvollkornbrot zum Aktionspreis. #bäckerei #münchen",
        "Guten Morgen München! Die ersten Brezen sind fertig. ☀️",
        "Neu im Sortiment: Roggenkruste mit Walnuss. Probiert es aus! #neu #bäckerei",
        "Sauerteig braucht Zeit: 48 Stunden Teigruhe für unser Bauernbrot. #handwerk",
    ),
    ("bikes", "de"): (
        "Frühjahrs-Check: E-Bike-Inspektion jetzt zum Festpreis. Termine in der Werkstatt.",
        "Neu eingetroffen: Lastenräder zum Probefahren. Kommt vorbei!",
        "Werkstatt-Tipp der Woche: Kette ölen, Reifendruck prüfen, losfahren. 🚲",
        "Am {day} schließt die Werkstatt wegen Inventur eine Stunde früher.",
        "Gebraucht und geprüft: Stadträder mit sechs Monaten Gewährleistung.",
        "Mit dem Rad zur Arbeit? Wir beraten euch zu Jobrad-Leasing.",
    ),
    ("books", "en"): (
        "Just in: the new crime novel everyone is talking about. Come and browse! 📚",
        "Author evening on {day} at 7pm. Tickets in store.",
        "Staff pick of the week: a quiet, funny novel about a lighthouse keeper.",
        "Rainy day? Perfect for a book and a cup of tea in our reading corner.",
        "Book club meets on {day}: bring your favourite winter read.",
        "New window display is up! Poetry for dark evenings.",
    ),
}

OWN_THREAD = {
    "de": ("1/2 Ab nächster Woche gelten neue Öffnungszeiten.", "2/2 Details gibt es im Laden."),
    "en": ("1/2 New opening hours from next week.", "2/2 Details in store."),
}

# Answers fit whatever the customer asked: a demo cannot understand the question, so the
# business answers the way busy accounts often do, briefly and with the details by DM.
ANSWERS: dict[str, dict[str, tuple[str, ...]]] = {
    "de": {
        QUESTION: (
            "Hallo {first}, gute Frage! Wir haben dir alle Infos per DM geschickt.{sig}",
            "Hi {first}, schau mal in deine DMs, da steht alles.{sig}",
            "Hallo {first}, danke für die Nachricht! Die Details haben wir dir geschickt.{sig}",
            "Hallo {first}, ruf uns am besten kurz an, dann klären wir das direkt.{sig}",
        ),
        REQUEST: (
            "Hallo {first}, wir rufen dich heute noch zurück.{sig}",
            "Danke {first}, wir haben dir eine Nachricht geschickt.{sig}",
            "Hallo {first}, ist notiert, wir melden uns bis morgen.{sig}",
        ),
        COMPLAINT: (
            "Das tut uns leid, {first}! Schick uns die Bestellnummer per DM, wir kümmern uns.{sig}",
            "Oh nein, {first}. Das klären wir, wir melden uns gleich per Nachricht.{sig}",
        ),
        PRAISE: (
            "Danke dir, {first}! Das freut uns sehr.{sig}",
            "Wie schön, {first}, danke fürs Vorbeischauen!{sig}",
        ),
        NUDGE: ("Sorry für die Wartezeit, {first}! Wir haben dir eine DM geschickt.{sig}",),
        THANKS: ("Gerne, {first}! 😊", "Sehr gerne!{sig}", "Immer gern, bis bald!{sig}"),
    },
    "en": {
        QUESTION: (
            "Hi {first}, good question! We've sent you the details by DM.{sig}",
            "Hi {first}, check your DMs for the details.{sig}",
            "Hi {first}, thanks for asking! Give us a ring and we'll sort it out.{sig}",
        ),
        REQUEST: (
            "Hi {first}, we'll call you back today.{sig}",
            "Thanks {first}, we've sent you a DM.{sig}",
        ),
        COMPLAINT: (
            "Sorry to hear that, {first}! DM us your order number and we'll sort it.{sig}",
            "Oh no, {first}. We're on it and will message you shortly.{sig}",
        ),
        PRAISE: (
            "Thank you, {first}! That's lovely to hear.{sig}",
            "Thanks for visiting, {first}!{sig}",
        ),
        NUDGE: ("Sorry for the wait, {first}! We've sent you a DM.{sig}",),
        THANKS: (
            "You're welcome, {first}! 😊",
            "Any time!{sig}",
            "Happy to help, see you soon!{sig}",
        ),
    },
}

# The agency of the fourth story answers everything with these two sentences.
HOLLOW_ANSWER = {
    "de": "Danke für deine Nachricht! Schreib uns gern eine DM, dann kümmern wir uns darum.",
    "en": "Thanks for your message! Send us a DM and we'll take care of it.",
}

DAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"),
}

# The intent an answer to a message of each intent responds with.
_ANSWER_TO = {
    QUESTION: QUESTION,
    UNMARKED: QUESTION,
    REQUEST: REQUEST,
    NUDGE: NUDGE,
    CRITICAL: COMPLAINT,
    COMPLAINT: COMPLAINT,
    PRAISE: PRAISE,
    REMARK: PRAISE,
    THANKS: THANKS,
    GIVE_UP: COMPLAINT,
}


def customer_templates(business: str, language: str, intent: str) -> tuple[str, ...]:
    """The templates a customer of ``business`` writes with ``intent`` in ``language``."""
    special = BUSINESS[business].get(language, {}).get(intent, ())
    return special + GENERIC[language][intent]


class TextMaker:
    """Fills templates for one kind of business from a ``random.Random``."""

    def __init__(self, business: str, rng: random.Random) -> None:
        if business not in BUSINESSES:
            raise ValueError(f"unknown business {business!r}")
        self.business = business
        self.rng = rng
        self._decks: dict[str, list[str]] = {}

    def _fill(self, template: str, language: str, **extra: str) -> str:
        values = {
            "day": self.rng.choice(DAYS[language]),
            "order": str(self.rng.randrange(1000, 99999)),
            **extra,
        }
        return template.format(**values)

    def customer(self, language: str, intent: str) -> tuple[str, TextLabel]:
        template = self.rng.choice(customer_templates(self.business, language, intent))
        return self._fill(template, language), TextLabel(language, intent)

    def own_post(self, language: str) -> tuple[str, TextLabel]:
        """The business's next post: its templates in shuffled rounds, so none repeats soon."""
        deck = self._decks.setdefault(language, [])
        if not deck:
            deck.extend(OWN_POSTS[(self.business, language)])
            self.rng.shuffle(deck)
        return self._fill(deck.pop(), language), TextLabel(language, OWN_POST)

    def answer(
        self, language: str, to_intent: str, first_name: str, signature: str = ""
    ) -> tuple[str, TextLabel]:
        template = self.rng.choice(ANSWERS[language][_ANSWER_TO[to_intent]])
        text = self._fill(template, language, first=first_name, sig=signature)
        return text, TextLabel(language, OWN_ANSWER)
