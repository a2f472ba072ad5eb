"""What a dashboard URL says: which page, client, account, period and sort order.

The URL is the only place ids enter the dashboard: pickers write it, every data callback
reads it through the access guard. So a link can be shared and restores the same view.

    /                                  portfolio
    /client?client=3&period=2026-W47   a client
    /account?account=12&period=2026-11-01..2026-11-30
    /?period=2026-W47&sort=-waiting&page=2   the portfolio's league table, sorted, page 2
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

PAGES = {"/": "portfolio", "/client": "client", "/account": "account"}
PATHS = {page: path for path, page in PAGES.items()}
_MAX_ID = 2**63 - 1


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
    if not text.isdigit() or int(text) > _MAX_ID:
        return "malformed"
    return int(text)


def _page_number(values: list[str] | None) -> int | None:
    # A page number names no data: an unreadable one just means the first page.
    text = values[-1].strip() if values else ""
    return int(text) if text.isdigit() and 0 < int(text) < 1_000_000 else None


def parse_location(pathname: str | None, search: str | None) -> PageState:
    """Never raises: anything unreadable is recorded in ``malformed``."""
    path = (pathname or "/").rstrip("/") or "/"
    page = PAGES.get(path, "unknown")
    query = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    malformed: list[str] = []
    ids: dict[str, int | None] = {}
    for name in ("client", "account"):
        value = _identifier(query[name]) if name in query else None
        if value == "malformed":
            malformed.append(name)
            value = None
        ids[name] = value  # type: ignore[assignment]
    period = query["period"][-1].strip() if "period" in query else None
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
