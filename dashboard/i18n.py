"""The dashboard's own words in English and German.

Metric and verdict names are not here: they come from ``metrics.labels`` so that the
dashboard, the email and the exports use the same words for the same numbers.
"""

from __future__ import annotations

LANGUAGES = ("en", "de")

CATALOGUE: dict[str, dict[str, str]] = {
    # login page
    "login.title": {"en": "Log in", "de": "Anmelden"},
    "login.intro": {
        "en": "Log in to see whether your accounts answer their customers.",
        "de": "Melden Sie sich an, um zu sehen, ob Ihre Konten ihren Kunden antworten.",
    },
    "login.username": {"en": "User name", "de": "Benutzername"},
    "login.password": {"en": "Password", "de": "Passwort"},
    "login.submit": {"en": "Log in", "de": "Anmelden"},
    "login.wrong": {
        "en": "Wrong user name or password.",
        "de": "Benutzername oder Passwort ist falsch.",
    },
    "login.rate_limited": {
        "en": "Too many failed attempts. Try again in {minutes} minutes.",
        "de": "Zu viele Fehlversuche. Bitte in {minutes} Minuten erneut versuchen.",
    },
    "login.form_expired": {
        "en": "The form had expired (or cookies are blocked). Please try again.",
        "de": "Das Formular war abgelaufen (oder Cookies sind blockiert). Bitte erneut versuchen.",
    },
    "login.logged_out": {"en": "You are logged out.", "de": "Sie sind abgemeldet."},
    "login.session_ended": {
        "en": "Your session has ended. Please log in again.",
        "de": "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.",
    },
    "login.other_language": {"en": "Deutsch", "de": "English"},
    # shell
    "shell.logout": {"en": "Log out", "de": "Abmelden"},
    "shell.signed_in_as": {"en": "Signed in as {name}", "de": "Angemeldet als {name}"},
    "shell.language": {"en": "Language", "de": "Sprache"},
    "shell.consultant": {"en": "consultant", "de": "Berater:in"},
    "shell.owner": {"en": "owner", "de": "Inhaber:in"},
    "nav.label": {"en": "Where you are", "de": "Wo Sie sind"},
    "nav.portfolio": {"en": "Portfolio", "de": "Übersicht"},
    "nav.client": {"en": "Client", "de": "Kunde"},
    "nav.account": {"en": "Account", "de": "Konto"},
    # pickers
    "picker.client": {"en": "Client", "de": "Kunde"},
    "picker.account": {"en": "Account", "de": "Konto"},
    "picker.all_accounts": {"en": "All accounts", "de": "Alle Konten"},
    "picker.week": {"en": "Week", "de": "Woche"},
    "picker.range": {"en": "or dates", "de": "oder Zeitraum"},
    "picker.choose_week": {"en": "Choose a week", "de": "Woche wählen"},
    "period.bad": {
        "en": "The period in the address could not be read ({problem}); showing {shown}.",
        "de": "Der Zeitraum in der Adresse war nicht lesbar ({problem}); gezeigt wird {shown}.",
    },
    "period.shown": {"en": "Period: {span}", "de": "Zeitraum: {span}"},
    # denied / empty
    "denied.title": {"en": "Not available", "de": "Nicht verfügbar"},
    "denied.text": {
        "en": "This page does not exist, or your login may not see it.",
        "de": "Diese Seite gibt es nicht, oder Ihre Anmeldung darf sie nicht sehen.",
    },
    "denied.back": {"en": "Back to the overview", "de": "Zurück zur Übersicht"},
    "empty.no_clients": {
        "en": "No clients yet. An operator adds them with: replywatch client add",
        "de": "Noch keine Kunden. Sie werden angelegt mit: replywatch client add",
    },
    "empty.no_accounts": {
        "en": "This client has no accounts yet.",
        "de": "Dieser Kunde hat noch keine Konten.",
    },
    "empty.no_runs": {
        "en": "No collection runs in this period.",
        "de": "Keine Abrufe in diesem Zeitraum.",
    },
    "empty.no_items": {
        "en": "Nothing was collected for this period.",
        "de": "Für diesen Zeitraum wurde nichts abgerufen.",
    },
    # portfolio
    "portfolio.title": {"en": "Portfolio", "de": "Übersicht"},
    "portfolio.intro": {
        "en": "Whether your clients answer their customers, side by side.",
        "de": "Ob Ihre Kunden ihren Kunden antworten, nebeneinander.",
    },
    "column.client": {"en": "Client", "de": "Kunde"},
    "column.accounts": {"en": "Accounts", "de": "Konten"},
    "column.client_account": {"en": "Client / account", "de": "Kunde / Konto"},
    "column.platforms": {"en": "Platforms", "de": "Plattformen"},
    "column.last_collection": {"en": "Last collection", "de": "Letzter Abruf"},
    "column.attention": {"en": "Needs attention", "de": "Braucht Aufmerksamkeit"},
    "column.time_zone": {"en": "Time zone", "de": "Zeitzone"},
    # client
    "client.settings": {"en": "Settings", "de": "Einstellungen"},
    "client.time_zone": {"en": "Time zone", "de": "Zeitzone"},
    "client.business_hours": {"en": "Business hours", "de": "Geschäftszeiten"},
    "client.always_open": {"en": "around the clock", "de": "rund um die Uhr"},
    "client.holidays": {"en": "Public holidays", "de": "Feiertage"},
    "client.none": {"en": "none", "de": "keine"},
    "client.target": {"en": "Response-time target", "de": "Zielzeit für Antworten"},
    "client.answer_window": {"en": "Answer window", "de": "Antwortfenster"},
    "client.accounts": {"en": "Accounts", "de": "Konten"},
    # account
    "column.account": {"en": "Account", "de": "Konto"},
    "column.platform": {"en": "Platform", "de": "Plattform"},
    "column.credentials": {"en": "Credentials", "de": "Zugangsdaten"},
    "column.last_outcome": {"en": "Last outcome", "de": "Letztes Ergebnis"},
    "column.started": {"en": "Started", "de": "Begonnen"},
    "column.finished": {"en": "Finished", "de": "Beendet"},
    "column.outcome": {"en": "Outcome", "de": "Ergebnis"},
    "column.api_calls": {"en": "API calls", "de": "API-Aufrufe"},
    "column.items_new": {"en": "New items", "de": "Neue Einträge"},
    "column.items_updated": {"en": "Updated items", "de": "Geänderte Einträge"},
    "column.problems": {"en": "Payload problems", "de": "Datenprobleme"},
    "column.error": {"en": "Error", "de": "Fehler"},
    "column.created": {"en": "Written", "de": "Geschrieben"},
    "column.author": {"en": "Author", "de": "Autor:in"},
    "column.kind": {"en": "Kind", "de": "Art"},
    "column.text": {"en": "Text", "de": "Text"},
    "column.link": {"en": "Link", "de": "Link"},
    "account.status": {"en": "Collection status", "de": "Stand der Abrufe"},
    "account.active": {"en": "collected", "de": "wird abgerufen"},
    "account.inactive": {"en": "not collected any more", "de": "wird nicht mehr abgerufen"},
    "account.interval": {"en": "every {interval}", "de": "alle {interval}"},
    "account.last_run": {"en": "Last run", "de": "Letzter Abruf"},
    "account.never": {"en": "never collected yet", "de": "noch nie abgerufen"},
    "account.renew": {
        "en": "The credentials need renewal: {reason}",
        "de": "Die Zugangsdaten müssen erneuert werden: {reason}",
    },
    "account.renew_no_reason": {
        "en": "The credentials need renewal.",
        "de": "Die Zugangsdaten müssen erneuert werden.",
    },
    "account.runs": {"en": "Collection runs", "de": "Abrufe"},
    "account.runs_chart": {
        "en": "New items collected per day",
        "de": "Neu abgerufene Einträge pro Tag",
    },
    "account.runs_shown": {
        "en": "The latest {shown} of {total} runs in this period.",
        "de": "Die letzten {shown} von {total} Abrufen in diesem Zeitraum.",
    },
    "account.stale": {
        "en": (
            "Collection of this account has a problem (see the collection status below): the "
            "numbers may be missing the latest messages."
        ),
        "de": (
            "Beim Abruf dieses Kontos gibt es ein Problem (siehe Stand der Abrufe unten): Den "
            "Zahlen fehlen womöglich die neuesten Nachrichten."
        ),
    },
    "account.items": {"en": "Latest collected items", "de": "Zuletzt abgerufene Einträge"},
    "account.open": {"en": "open", "de": "öffnen"},
    "export.csv": {"en": "Download CSV", "de": "CSV herunterladen"},
    "export.xlsx": {"en": "Download Excel", "de": "Excel herunterladen"},
    "chart.runs_failed": {"en": "failed runs", "de": "fehlgeschlagene Abrufe"},
    "chart.items_new": {"en": "new items", "de": "neue Einträge"},
    # outcomes and states stored by collectors
    "outcome.running": {"en": "running", "de": "läuft"},
    "outcome.ok": {"en": "ok", "de": "ok"},
    "outcome.partial": {"en": "partial", "de": "unvollständig"},
    "outcome.rate_limited": {"en": "rate limited", "de": "Ratenlimit"},
    "outcome.credentials": {"en": "credentials refused", "de": "Zugangsdaten abgelehnt"},
    "outcome.failed": {"en": "failed", "de": "fehlgeschlagen"},
    "outcome.interrupted": {"en": "interrupted", "de": "unterbrochen"},
    "credential.unchecked": {"en": "not checked yet", "de": "noch nicht geprüft"},
    "credential.ok": {"en": "ok", "de": "ok"},
    "credential.needs_renewal": {"en": "needs renewal", "de": "erneuern"},
    "kind.post": {"en": "post", "de": "Beitrag"},
    "kind.reply": {"en": "reply", "de": "Antwort"},
    "kind.comment": {"en": "comment", "de": "Kommentar"},
    "kind.mention": {"en": "mention", "de": "Erwähnung"},
    "kind.visitor_post": {"en": "visitor post", "de": "Besucherbeitrag"},
    "kind.repost": {"en": "repost", "de": "Repost"},
    "item.own": {"en": "own", "de": "eigen"},
    "attention.renew": {"en": "{count} credentials", "de": "{count} Zugangsdaten"},
    "attention.failing": {"en": "{count} failing", "de": "{count} mit Fehlern"},
    "attention.none": {"en": "–", "de": "–"},
    # charts built by dashboard.figures
    "chart.interval": {"en": "95% interval", "de": "95-%-Intervall"},
    "chart.hour": {"en": "Hour", "de": "Stunde"},
    "chart.uncovered": {
        "en": "never answered in this hour",
        "de": "in dieser Stunde nie beantwortet",
    },
    "chart.closed": {"en": "outside business hours", "de": "außerhalb der Geschäftszeiten"},
    "chart.no_data": {"en": "no data", "de": "keine Daten"},
    "weekday.0": {"en": "Mon", "de": "Mo"},
    "weekday.1": {"en": "Tue", "de": "Di"},
    "weekday.2": {"en": "Wed", "de": "Mi"},
    "weekday.3": {"en": "Thu", "de": "Do"},
    "weekday.4": {"en": "Fri", "de": "Fr"},
    "weekday.5": {"en": "Sat", "de": "Sa"},
    "weekday.6": {"en": "Sun", "de": "So"},
    # portfolio: league table and comparison
    "portfolio.league": {"en": "League table", "de": "Rangliste"},
    "portfolio.league_intro": {
        "en": (
            "Each client with its accounts, every client in its own time zone; the change "
            "is against the period before. Click a column to sort."
        ),
        "de": (
            "Jeder Kunde mit seinen Konten, jeder in seiner eigenen Zeitzone; die "
            "Veränderung bezieht sich auf den Zeitraum davor. Zum Sortieren eine Spalte "
            "anklicken."
        ),
    },
    "portfolio.comparison": {"en": "Clients compared", "de": "Kunden im Vergleich"},
    "portfolio.comparison_intro": {
        "en": (
            "Response ratio of the clients on this page of the table, with its 95% interval; "
            "the colour shows the verdict."
        ),
        "de": (
            "Antwortquote der Kunden auf dieser Seite der Tabelle, mit 95-%-Intervall; die "
            "Farbe zeigt das Urteil."
        ),
    },
    "portfolio.collection": {"en": "Collection", "de": "Datenabrufe"},
    "portfolio.attention_intro": {
        "en": "Clients whose credentials need renewal or whose last collection failed.",
        "de": (
            "Kunden, deren Zugangsdaten erneuert werden müssen oder deren letzter Abruf fehlschlug."
        ),
    },
    "portfolio.all_fine": {
        "en": "All {count} clients are collected without problems.",
        "de": "Alle {count} Kunden werden ohne Probleme abgerufen.",
    },
    "pages.label": {"en": "Pages of the table", "de": "Seiten der Tabelle"},
    "pages.previous": {"en": "‹ Previous", "de": "‹ Zurück"},
    "pages.next": {"en": "Next ›", "de": "Weiter ›"},
    "pages.position": {
        "en": "Clients {first}–{last} of {total}",
        "de": "Kunden {first}–{last} von {total}",
    },
    "verdict.weeks_short": {"en": "{weeks} wk", "de": "{weeks} Wo."},
    # client and account: the verdict
    "section.verdict": {"en": "Verdict", "de": "Urteil"},
    "verdict.evidence.no_conversation": {
        "en": (
            "{posts} posts and not a single customer message. Interactions per post: "
            "{interactions}; likes by the own side on its own posts: {self_likes}."
        ),
        "de": (
            "{posts} Beiträge und keine einzige Kundennachricht. Interaktionen pro Beitrag: "
            "{interactions}; Likes der eigenen Seite auf eigene Beiträge: {self_likes}."
        ),
    },
    "verdict.evidence.insufficient_data": {
        "en": (
            "Only {settled} customer messages could be judged; a verdict needs at least "
            "{needed}. {posts} posts and {own_replies} own replies."
        ),
        "de": (
            "Nur {settled} Kundennachrichten ließen sich beurteilen; für ein Urteil braucht es "
            "mindestens {needed}. {posts} Beiträge und {own_replies} eigene Antworten."
        ),
    },
    "verdict.evidence.broadcast_only": {
        "en": (
            "{posts} posts and not one reply, while {missed} customer messages went unanswered."
        ),
        "de": (
            "{posts} Beiträge und keine einzige Antwort, während {missed} Kundennachrichten "
            "unbeantwortet blieben."
        ),
    },
    "verdict.evidence.answering": {
        "en": (
            "{answered} of {settled} customer messages answered ({ratio}); median response "
            "time in business hours {median} (target: {target})."
        ),
        "de": (
            "{answered} von {settled} Kundennachrichten beantwortet ({ratio}); mittlere "
            "Antwortzeit in Geschäftszeiten {median} (Ziel: {target})."
        ),
    },
    "verdict.widened": {
        "en": "Judged {window} ({span}): the period alone had too few customer messages.",
        "de": (
            "Beurteilt {window} ({span}): Der Zeitraum allein hatte zu wenige Kundennachrichten."
        ),
    },
    "verdict.unanswered": {
        "en": "Not answered, oldest first",
        "de": "Nicht beantwortet, älteste zuerst",
    },
    "verdict.more": {
        "en": "… and {count} more in this window.",
        "de": "… und {count} weitere in diesem Zeitraum.",
    },
    # key figures
    "section.figures": {"en": "Key figures", "de": "Kennzahlen"},
    "figure.interval": {"en": "95% interval {interval}", "de": "95-%-Intervall {interval}"},
    "figure.change": {
        "en": "{change} against the period before ({before})",
        "de": "{change} gegenüber dem Zeitraum davor ({before})",
    },
    "figure.before": {"en": "period before: {value}", "de": "Zeitraum davor: {value}"},
    "figure.business": {
        "en": "in business hours: {value}; target {target}",
        "de": "in Geschäftszeiten: {value}; Ziel {target}",
    },
    "figure.p90": {"en": "90% within {value}", "de": "90 % innerhalb von {value}"},
    "figure.target": {"en": "target {target}", "de": "Ziel {target}"},
    "figure.dialogue": {
        "en": "{replies} own replies, {posts} posts",
        "de": "{replies} eigene Antworten, {posts} Beiträge",
    },
    "figure.questions": {"en": "{questions} of them questions", "de": "davon {questions} Fragen"},
    "figure.oldest_waiting": {
        "en": "the oldest has waited {age}",
        "de": "die älteste wartet seit {age}",
    },
    "figure.followers": {"en": "{followers} followers", "de": "{followers} Follower"},
    "figure.no_followers": {
        "en": "follower count not known",
        "de": "Followerzahl nicht bekannt",
    },
    # trends
    "section.trends": {"en": "Weekly trends", "de": "Wochenverlauf"},
    "trends.intro": {
        "en": "{weeks} weeks up to {week}, each week on its own; weeks without data are gaps.",
        "de": ("{weeks} Wochen bis {week}, jede Woche für sich; Wochen ohne Daten bleiben Lücken."),
    },
    "trends.posts_replies": {
        "en": "Posts and own replies per week",
        "de": "Beiträge und eigene Antworten pro Woche",
    },
    # hours of the week
    "section.hours": {"en": "Hours of the week", "de": "Wochenstunden"},
    "hours.intro": {
        "en": (
            "Customer messages and own replies of the period by local hour ({zone}). A cross "
            "marks an hour in which the own side never replied over {reference}; a dot, an "
            "hour outside business hours."
        ),
        "de": (
            "Kundennachrichten und eigene Antworten des Zeitraums nach Ortszeit ({zone}). Ein "
            "Kreuz markiert eine Stunde, in der die eigene Seite {reference} nie antwortete; "
            "ein Punkt eine Stunde außerhalb der Geschäftszeiten."
        ),
    },
    "hours.reference": {"en": "{span}", "de": "im Zeitraum {span}"},
    "hours.uncovered": {
        "en": "{share} of the customer messages arrived in hours in which nobody ever answers.",
        "de": ("{share} der Kundennachrichten kamen in Stunden, in denen nie jemand antwortet."),
    },
    # lists
    "section.unanswered": {
        "en": "Unanswered customer messages",
        "de": "Unbeantwortete Kundennachrichten",
    },
    "unanswered.intro": {
        "en": "Missed in this period (their answer window has passed), oldest first.",
        "de": "In diesem Zeitraum verpasst (ihr Antwortfenster ist vorbei), älteste zuerst.",
    },
    "section.waiting": {"en": "Waiting for an answer", "de": "Warten auf Antwort"},
    "waiting.intro": {
        "en": "Not answered yet but still inside the answer window of {window}, oldest first.",
        "de": ("Noch nicht beantwortet, aber noch im Antwortfenster von {window}, älteste zuerst."),
    },
    "section.removed": {"en": "Removed customer messages", "de": "Entfernte Kundennachrichten"},
    "removed.intro": {
        "en": "Customer messages of this period deleted or hidden after they were collected.",
        "de": (
            "Kundennachrichten dieses Zeitraums, die nach dem Abruf gelöscht oder verborgen wurden."
        ),
    },
    "section.self_likes": {"en": "Self-likes", "de": "Selbst-Likes"},
    "self_likes.intro": {
        "en": "Likes by the account itself or its staff on its own items of this period.",
        "de": ("Likes des Kontos selbst oder seines Teams auf eigene Einträge dieses Zeitraums."),
    },
    "list.shown": {"en": "The first {shown} of {total}.", "de": "Die ersten {shown} von {total}."},
    "list.download": {
        "en": "Every unanswered and waiting message of the period:",
        "de": "Alle unbeantworteten und wartenden Nachrichten des Zeitraums:",
    },
    "empty.no_missed": {
        "en": "No customer message of this period was missed.",
        "de": "Keine Kundennachricht dieses Zeitraums wurde verpasst.",
    },
    "empty.no_waiting": {"en": "Nothing is waiting.", "de": "Nichts wartet."},
    "empty.no_removed": {
        "en": "No customer message of this period was removed.",
        "de": "Keine Kundennachricht dieses Zeitraums wurde entfernt.",
    },
    "empty.no_self_likes": {
        "en": "No self-likes in this period.",
        "de": "Keine Selbst-Likes in diesem Zeitraum.",
    },
    "item.ago": {"en": "{age} ago", "de": "vor {age}"},
    "item.settles": {
        "en": "counts as missed from {moment}",
        "de": "gilt ab {moment} als verpasst",
    },
    "item.question": {"en": "question", "de": "Frage"},
    "item.liked": {"en": "liked, not answered", "de": "geliked, nicht beantwortet"},
    "item.removed": {"en": "{reason} {moment}", "de": "{reason} {moment}"},
    "item.liked_by": {"en": "liked by {who}", "de": "geliked von {who}"},
    "reason.deleted": {"en": "deleted", "de": "gelöscht"},
    "reason.hidden": {"en": "hidden", "de": "verborgen"},
    # unanswered export and tables
    "column.status": {"en": "Status", "de": "Status"},
    "column.question": {"en": "Question", "de": "Frage"},
    "column.liked": {"en": "Liked by the own side", "de": "Von der eigenen Seite geliked"},
    "column.age_hours": {"en": "Age (hours)", "de": "Alter (Stunden)"},
    "column.settles": {"en": "Counts as missed from", "de": "Gilt als verpasst ab"},
    "column.verdict": {"en": "Verdict", "de": "Urteil"},
    "column.change": {"en": "Change", "de": "Veränderung"},
    "column.interval": {"en": "95% interval", "de": "95-%-Intervall"},
    "column.interval_low": {"en": "95% interval from", "de": "95-%-Intervall von"},
    "column.interval_high": {"en": "95% interval to", "de": "95-%-Intervall bis"},
    "column.in_minutes": {"en": "{name} (minutes)", "de": "{name} (Minuten)"},
    "column.verdict_weeks": {"en": "Verdict over weeks", "de": "Urteil über Wochen"},
}


def translate(key: str, language: str, **values: object) -> str:
    """The text for ``key`` in ``language`` (English when the language is unknown)."""
    entry = CATALOGUE[key]
    text = entry.get(language) or entry["en"]
    return text.format(**values) if values else text


def best_language(offered: str | None) -> str:
    return offered if offered in LANGUAGES else "en"
