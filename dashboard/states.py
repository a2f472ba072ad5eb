"""How the values that collectors store read in the dashboard: outcomes of collection
runs, credential states, kinds of items and why an item was removed.

Each is an English message id, marked for the catalogue and translated when shown; a
value this table does not know is shown as stored.
"""

from __future__ import annotations

from dashboard.i18n import N_, translate
from metrics.labels import OUTCOME_NAMES as OUTCOMES
from metrics.labels import REMOVAL_REASONS, WEEKDAYS

__all__ = [
    "CREDENTIAL_STATES",
    "ITEM_KINDS",
    "OUTCOMES",
    "REMOVAL_REASONS",
    "WEEKDAYS",
    "state_text",
]

CREDENTIAL_STATES = {
    "unchecked": N_("not checked yet"),
    "ok": N_("ok"),
    "needs_renewal": N_("needs renewal"),
    "expired": N_("expired: needs renewal"),
    "revoked": N_("access taken back: needs renewal"),
    "no_permission": N_("a permission is missing: needs renewal"),
}
ITEM_KINDS = {
    "post": N_("post"),
    "reply": N_("reply"),
    "comment": N_("comment"),
    "mention": N_("mention"),
    "visitor_post": N_("visitor post"),
    "repost": N_("repost"),
}


def state_text(table: dict[str, str], value: str | None, language: str) -> str:
    message = table.get(value or "")
    return translate(message, language) if message else (value or "")
