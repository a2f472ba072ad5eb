"""What a dashboard URL says: which page, client, account, period and sort order.

The URL is the only place ids enter the dashboard: pickers write it, every data callback
reads it through the access guard. So a link can be shared and restores the same view.

    /                                  portfolio
    /client?client=3&period=2026-W47   a client
    /account?account=12&period=2026-11-01..2026-11-30
    /?period=2026-W47&sort=-waiting&page=2   the portfolio's league table, sorted, page 2
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

PAGES = {"/": "portfolio", "/client": "client", "/account": "account"}
PATHS = {page: path for path, page in PAGES.items()}
MAX_ID = 2**63 - 1
MAX_URL_PART = 8192  # far longer than any address the dashboard makes
MAX_PERIOD = 40  # "2026-11-01..2026-11-30" is 22 characters
_ID = re.compile(r"[0-9]{1,19}")
_PAGE = re.compile(r"[0-9]{1,6}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PageState:
    page: str = "portfolio"  # portfolio | client | account | unknown
    client_id: int | None = None
    account_id: int | None = None
    period: str | None = None  # as written in the URL; parsed by the guard
    sort: str | None = None  # a column key; a leading "-" sorts descending
    table_page: int | None = None  # page of a long table (the portfolio's league), from 1
    # Parameters that were present but unreadable (e.g. client=abc): such a URL names
    # nothing the viewer may see, and is answered like a forbidden one.
    malformed: tuple[str, ...] = ()

    def with_changes(self, **changes: object) -> PageState:
        return replace(self, **changes)  # type: ignore[arg-type]


def _identifier(values: list[str]) -> int | str | None:
    text = values[-1].strip()
    if not text:
        return None
    # ASCII digits only, at most as many as the largest id has: int() would also take "²"
    # or "١٢", and refuses numbers of more than 4,300 digits with an error.
    if not _ID.fullmatch(text) or int(text) > MAX_ID:
        return "malformed"
    return int(text)


def _page_number(values: list[str] | None) -> int | None:
    # A page number names no data: an unreadable one just means the first page.
    text = values[-1].strip() if values else ""
    return int(text) if _PAGE.fullmatch(text) and int(text) > 0 else None


def _text(value: object) -> str | None:
    """URL parts come from the browser (or a forged callback): anything but text of a
    sensible length, without control characters, is unreadable."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_URL_PART or _CONTROL.search(value):
        return None
    return value


def parse_location(pathname: object, search: object) -> PageState:
    """Never raises, whatever it is given: anything unreadable is recorded in
    ``malformed`` (an unreadable path makes the page ``unknown``)."""
    path_text, search_text = _text(pathname), _text(search)
    if path_text is None:
        return PageState(page="unknown", malformed=("path",))
    page = PAGES.get(path_text.rstrip("/") or "/", "unknown")
    if search_text is None:
        return PageState(page=page, malformed=("query",))
    query = parse_qs(search_text.lstrip("?"), keep_blank_values=True)
    malformed: list[str] = []
    ids: dict[str, int | None] = {}
    for name in ("client", "account"):
        value = _identifier(query[name]) if name in query else None
        if value == "malformed":
            malformed.append(name)
            value = None
        ids[name] = value  # type: ignore[assignment]
    period = query["period"][-1].strip()[:MAX_PERIOD] if "period" in query else None
    sort = query["sort"][-1].strip()[:40] if "sort" in query else None
    return PageState(
        page=page,
        client_id=ids["client"],
        account_id=ids["account"],
        period=period or None,
        sort=sort or None,
        table_page=_page_number(query.get("page")),
        malformed=tuple(malformed),
    )


def href(state: PageState) -> str:
    """The URL of a state; the account page needs no client (the account names it)."""
    query: dict[str, str] = {}
    if state.page == "client" and state.client_id is not None:
        query["client"] = str(state.client_id)
    if state.page == "account" and state.account_id is not None:
        query["account"] = str(state.account_id)
    if state.period:
        query["period"] = state.period
    if state.sort:
        query["sort"] = state.sort
    if state.table_page and state.table_page > 1:
        query["page"] = str(state.table_page)
    path = PATHS.get(state.page, "/")
    return path + ("?" + urlencode(query) if query else "")
