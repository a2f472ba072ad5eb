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
        "en": "Your clients and the state of their collection.",
        "de": "Ihre Kunden und der Stand ihrer Datenabrufe.",
    },
    "column.client": {"en": "Client", "de": "Kunde"},
    "column.accounts": {"en": "Accounts", "de": "Konten"},
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
    "chart.week": {"en": "Week", "de": "Woche"},
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
    "column.verdict": {"en": "Verdict", "de": "Urteil"},
    "column.change": {"en": "Change", "de": "Veränderung"},
    "column.interval": {"en": "95% interval", "de": "95-%-Intervall"},
}


def translate(key: str, language: str, **values: object) -> str:
    """The text for ``key`` in ``language`` (English when the language is unknown)."""
    entry = CATALOGUE[key]
    text = entry.get(language) or entry["en"]
    return text.format(**values) if values else text


def best_language(offered: str | None) -> str:
    return offered if offered in LANGUAGES else "en"
