"""The download of a client's (or an account's) unanswered messages: every missed and
waiting customer message of the period, oldest first."""

from __future__ import annotations

from urllib.parse import urlencode

from dashboard.access import visible_accounts
from dashboard.components import safe_href
from dashboard.guard import Scope
from dashboard.i18n import translate
from dashboard.metrics_adapter import listed_items
from dashboard.names import account_label
from dashboard.tables import Column, Table, make_table
from metrics import api
from metrics.labels import metric_name, shown_text


def unanswered_export_href(scope: Scope, file_format: str) -> str:
    """The download of the unanswered and waiting messages of the page's period."""
    if scope.account is not None:
        query = urlencode({"account": scope.account.id, "period": scope.period.token})
        return f"/export/account-unanswered.{file_format}?{query}"
    assert scope.client is not None
    query = urlencode({"client": scope.client.id, "period": scope.period.token})
    return f"/export/unanswered.{file_format}?{query}"


def account_labels(scope: Scope) -> dict[int, str]:
    """Names of the accounts the page is about (id -> "X @handle")."""
    if scope.account is not None:
        return {scope.account.id: account_label(scope.account.platform, scope.account.handle)}
    assert scope.client is not None
    accounts = visible_accounts(scope.db, scope.viewer, scope.client.id)
    return {account.id: account_label(account.platform, account.handle) for account in accounts}


def unanswered_table(scope: Scope) -> Table:
    """Every missed and waiting customer message of the period, oldest first (downloads)."""
    language = scope.language
    labels = account_labels(scope)
    period = scope.period
    subject = (
        {"account_id": scope.account.id}
        if scope.account is not None
        else {"client_id": scope.client.id if scope.client else 0}
    )
    found = [
        ("missed", item)
        for item in listed_items(
            api.unanswered_items(scope.db, **subject, period=period, now=scope.now, limit=None),
            labels,
        )
    ] + [
        ("waiting", item)
        for item in listed_items(
            api.waiting_items(scope.db, **subject, period=period, now=scope.now, limit=None),
            labels,
        )
    ]
    found.sort(key=lambda entry: (entry[1].created_at, entry[1].item_id))
    columns = (
        Column("status", translate("Status", language)),
        Column("created", translate("Written", language), "datetime"),
        Column("account", translate("Account", language)),
        Column("author", translate("Author", language)),
        Column("text", translate("Text", language)),
        Column("question", translate("Question", language)),
        Column("liked", translate("Liked by the own side", language)),
        Column("age_hours", translate("Age (hours)", language), "decimal"),
        Column("settles", translate("Counts as missed from", language), "datetime"),
        Column("link", translate("Link", language), "link"),
    )
    rows = [
        {
            "status": metric_name(status, language),
            "created": item.created_at,
            "account": item.account_label,
            "author": item.author_handle,
            "text": shown_text(item.text, item.purge_reason, language),
            "question": item.is_question,
            "liked": item.liked_by_own,
            # Hours for a spreadsheet: a number one can sort and sum.
            "age_hours": round(item.age_minutes / 60, 2),
            "settles": item.settles_at,
            "link": safe_href(item.permalink),
        }
        for status, item in found
    ]
    return make_table("unanswered", columns, rows, scope.zone)
