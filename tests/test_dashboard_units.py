"""Pure parts of the dashboard: periods, URL state, navigation, formats, tables, exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from dashboard.collection import collection_days, collection_status_table
from dashboard.components import safe_href
from dashboard.exports import to_csv, to_xlsx
from dashboard.i18n import translate, translate_plural
from dashboard.navigation import picked_values, target
from dashboard.pages.portfolio import attention_cell
from dashboard.queries import RunRow
from dashboard.state import PageState, href, parse_location
from dashboard.tables import Column, make_table, sort_table
from metrics import formats
from metrics.periods import Period, PeriodError, last_full_week, parse_period, recent_weeks

# --- periods ---------------------------------------------------------------------------


def test_last_full_week_depends_on_the_client_zone():
    # Monday 00:30 in Berlin is still Sunday in UTC: Berlin's last full week is one later.
    now = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert last_full_week("Europe/Berlin", now).iso_week == "2026-W47"
    assert last_full_week("UTC", now).iso_week == "2026-W46"
    weeks = recent_weeks("Europe/Berlin", now, 3)
    assert [w.iso_week for w in weeks] == ["2026-W47", "2026-W46", "2026-W45"]


def test_parse_period_weeks_and_ranges():
    week = parse_period("2026-W01")
    assert (week.start, week.last_day) == (date(2025, 12, 29), date(2026, 1, 4))
    assert week.token == "2026-W01"
    span = parse_period("2026-11-01..2026-11-30")
    assert span.days == 30 and span.iso_week is None
    assert span.token == "2026-11-01..2026-11-30"
    assert parse_period("2026-11-16..2026-11-22").token == "2026-W47"  # a range that is a week
    assert span.previous() == Period(date(2026, 10, 2), date(2026, 11, 1))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-W54", "not an ISO week"),
        ("2026-02-30..2026-03-01", "does not exist"),
        ("2026-03-01..2026-02-01", "ends before it starts"),
        ("2024-01-01..2026-01-01", "longer than 366 days"),
        ("last week", "neither a week"),
        ("0001-W01", "outside the years 2000 to 2999"),
        ("9999-12-25..9999-12-31", "outside the years 2000 to 2999"),
        ("1999-12-27..2000-01-02", "outside the years 2000 to 2999"),
        ("٢٠٢٦-W47", "neither a week"),
    ],
)
def test_bad_periods_say_what_is_wrong(text, message):
    with pytest.raises(PeriodError, match=message):
        parse_period(text)


def test_utc_bounds_follow_daylight_saving():
    period = parse_period("2026-10-19..2026-10-25")  # summer time ends on 25 October
    start, end = period.bounds("Europe/Berlin")
    assert start == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 25, 23, 0, tzinfo=UTC)


# --- URL state and navigation -----------------------------------------------------------


def test_parse_location_reads_pages_ids_and_period():
    state = parse_location("/account", "?account=12&period=2026-W47&sort=-started")
    assert state == PageState(page="account", account_id=12, period="2026-W47", sort="-started")
    assert href(state) == "/account?account=12&period=2026-W47&sort=-started"
    assert parse_location("/client/", "?client=3").client_id == 3
    assert parse_location(None, None).page == "portfolio"
    assert parse_location("/nowhere", "").page == "unknown"


def test_the_league_page_number_is_read_and_written():
    state = parse_location("/", "?period=2026-W47&sort=-waiting&page=3")
    assert (state.table_page, state.sort) == (3, "-waiting")
    assert href(state) == "/?period=2026-W47&sort=-waiting&page=3"
    assert href(state.with_changes(table_page=1)) == "/?period=2026-W47&sort=-waiting"
    for unreadable in ("page=0", "page=-2", "page=x", "page=99999999"):
        read = parse_location("/", "?" + unreadable)
        assert read.table_page is None and read.malformed == ()  # names no data: page 1


@pytest.mark.parametrize(
    "search",
    [
        "?client=abc", "?client=-1", "?client=1e3", "?client=99999999999999999999",
        "?client=9223372036854775808", "?client=" + "1" * 4301, "?client=²", "?client=١٢",
    ],
)  # fmt: skip
def test_unreadable_ids_are_marked_not_guessed(search):
    state = parse_location("/client", search)
    assert state.client_id is None and state.malformed == ("client",)


def test_parse_location_reads_anything_a_forged_request_sends():
    assert parse_location("/client", "?client=9223372036854775807").client_id == 2**63 - 1
    assert parse_location("/", "?page=" + "1" * 4301).table_page is None
    for pathname in (["/client"], 5, {"a": 1}, "/client\x00", "/" + "x" * 9000):
        assert parse_location(pathname, "?client=1") == PageState("unknown", malformed=("path",))
    for search in ([], 1.5, "?client=1\n", "?" + "x" * 9000):
        assert parse_location("/client", search) == PageState("client", malformed=("query",))


def test_picker_values_pair_up_or_are_ignored():
    assert picked_values([{"picker": "client"}], [3]) == {"client": 3}
    assert picked_values([{"picker": "client"}], [3, 4]) is None  # lists that do not pair
    assert picked_values([5], [3]) is None and picked_values([{"picker": 5}], [3]) is None
    current = PageState(page="portfolio")
    for forged in (-1, 0, 2**63, True, "²", "1" * 4301, 10**400, [1], None):
        assert target(current, "client", {"client": forged}) is None
    assert target(current, "week", {"week": "0001-W01"}) is None
    assert target(current, "range", {}, "0001-01-01", "0001-01-03") is None


def test_navigation_targets():
    on_account = PageState(page="account", account_id=5, period="2026-W46")
    picked = {"client": 2, "account": 5, "week": "2026-W46"}
    assert target(on_account, "client", {**picked, "client": 3}) == PageState(
        page="client", client_id=3, period="2026-W46"
    )
    assert target(on_account, "account", {**picked, "account": "all"}) == PageState(
        page="client", client_id=2, period="2026-W46"
    )
    assert target(on_account, "week", {**picked, "week": "2026-W45"}).period == "2026-W45"
    assert target(on_account, "week", {**picked, "week": "2026-W99"}) is None
    assert target(on_account, "range", picked, "2026-11-02", "2026-11-13").period == (
        "2026-11-02..2026-11-13"
    )
    assert target(on_account, "range", picked, "2026-11-02", None) is None
    assert target(on_account, "range", picked, "2026-11-13", "2026-11-02") is None


# --- formats and words ------------------------------------------------------------------


def test_numbers_and_dates_per_language():
    assert formats.number(12345.5, "en", 1) == "12,345.5"
    assert formats.number(12345.5, "de", 1) == "12.345,5"
    assert formats.percent(0.873, "en") == "87%"
    assert formats.percent(0.873, "de") == "87\u00a0%"
    assert formats.interval(0.72, 0.91, "en") == "72–91%"
    moment = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert formats.date_time(moment, "Europe/Berlin", "en") == "20 Nov 2026, 13:00"
    assert formats.date_time(moment, "Europe/Berlin", "de") == "20. Nov. 2026, 13:00"
    assert formats.week_label("2026-W07", "en") == "Week 7, 2026"
    assert formats.week_label("2026-W07", "de") == "KW 7/2026"
    assert formats.duration(13, "en") == "13 mins"
    assert formats.duration(378, "de") == "6,3 Std."
    assert formats.duration(60 * 60, "en") == "2.5 days"
    assert formats.number(None, "en") == formats.MISSING
    assert formats.points(0.053, "en") == "+5\u00a0pts"
    assert formats.points(-0.1, "de") == "−10\u00a0Pp."
    assert formats.points(0.001, "en") == "±0\u00a0pts"
    assert formats.points(None, "de") == formats.MISSING
    assert formats.week_short("2026-W07", "en") == "W7"
    assert formats.week_short("2027-W01", "de", with_year=True) == "KW 1/27"
    assert formats.heading("response ratio") == "Response ratio"


def test_words_come_from_the_catalogue_with_plural_forms():
    # Completeness of the German catalogue is tests/test_translations.py's job.
    rate_limited = "Too many failed attempts. Try again in {minutes} minutes."
    assert translate(rate_limited, "de", minutes=3).startswith("Zu viele")
    assert translate("Portfolio", "de") == "Übersicht"
    assert translate("Portfolio", "fr") == "Portfolio"  # unknown language: English
    fine = ("The client is collected without problems.",
            "All {count} clients are collected without problems.")  # fmt: skip
    assert translate_plural(*fine, 1, "en") == "The client is collected without problems."
    assert translate_plural(*fine, 3, "en") == "All 3 clients are collected without problems."
    assert translate_plural(*fine, 1, "de") == "Der Kunde wird ohne Probleme abgerufen."
    assert translate_plural(*fine, 3, "de") == "Alle 3 Kunden werden ohne Probleme abgerufen."


@pytest.mark.parametrize(
    ("renew", "failing", "language", "expected"),
    [
        (1, 1, "en", "1 account needs renewal, 1 failing"),
        (2, 0, "en", "2 accounts need renewal"),
        (1, 0, "de", "1 Konto muss erneuert werden"),
        (3, 2, "de", "3 Konten müssen erneuert werden, 2 mit Fehlern"),
        (0, 0, "en", "–"),
    ],
)
def test_the_attention_column_counts_in_words(renew, failing, language, expected):
    cell = attention_cell({"renew": renew, "failing": failing}, language)
    assert (cell if isinstance(cell, str) else cell.children) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.com/a/status/1", "https://x.com/a/status/1"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//evil.example/x", None),
        ("", None),
        (None, None),
    ],
)
def test_links_from_platform_data_must_be_http(url, expected):
    assert safe_href(url) == expected


# --- tables and exports -----------------------------------------------------------------


def _runs() -> list[RunRow]:
    base = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)
    return [
        RunRow(base, base, "ok", 4, 3, 1, 0, None),
        RunRow(base.replace(day=17), None, "failed", 1, 0, 0, 2, "=cmd|' /C calc'!A0"),
        RunRow(
            base.replace(day=18, hour=23), base.replace(day=18, hour=23), "ok", 5, 7, 0, 0, None
        ),
    ]


def test_sort_table_keeps_empty_values_last():
    table = make_table(
        "t",
        [Column("name", "Name"), Column("count", "Count", "integer")],
        [{"name": "b", "count": 2}, {"name": "A", "count": None}, {"name": "c", "count": 1}],
    )
    assert [r["name"] for r in sort_table(table, "count").rows] == ["c", "b", "A"]
    assert [r["name"] for r in sort_table(table, "-count").rows] == ["b", "c", "A"]
    assert [r["name"] for r in sort_table(table, "name").rows] == ["A", "b", "c"]
    assert sort_table(table, "nonsense") == table
    with pytest.raises(ValueError, match="row 1: no value for"):
        make_table("t", [Column("name", "Name")], [{}])


def test_collection_days_use_local_days_and_count_failures():
    period = parse_period("2026-W47")
    days = collection_days(_runs(), period, "Europe/Berlin")
    assert len(days) == 7
    by_day = {d.day: d for d in days}
    assert by_day[date(2026, 11, 16)].items_new == 3
    assert by_day[date(2026, 11, 17)].failed_runs == 1
    # 18 Nov 23:00 UTC is already 19 Nov in Berlin.
    assert by_day[date(2026, 11, 19)].items_new == 7
    assert by_day[date(2026, 11, 18)].runs == 0


def test_csv_export_has_labels_local_times_and_no_formulas():
    table = collection_status_table(_runs(), "Europe/Berlin", "de")
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert rows[0][0] == "Begonnen (Europe/Berlin)"
    assert rows[0][2] == "Ergebnis"
    assert rows[1][0] == "2026-11-16T07:00:00+01:00"
    assert rows[2][1] == ""  # not finished
    assert rows[2][2] == "fehlgeschlagen"
    assert rows[2][7] == "'=cmd|' /C calc'!A0"
    assert len(rows) == 4


def test_xlsx_export_keeps_types_and_defuses_formulas():
    table = collection_status_table(_runs(), "Europe/Berlin", "en")
    sheet = load_workbook(io.BytesIO(to_xlsx(table))).active
    assert [cell.value for cell in sheet[1]][:3] == [
        "Started (Europe/Berlin)",
        "Finished (Europe/Berlin)",
        "Outcome",
    ]
    assert sheet["A2"].value == datetime(2026, 11, 16, 7, 0)
    assert sheet["D2"].value == 4 and sheet["D2"].data_type == "n"
    assert sheet["H3"].value == "'=cmd|' /C calc'!A0"
    assert sheet["H3"].data_type == "s"
    assert sheet.max_row == 4


@pytest.mark.parametrize(
    ("reason", "language", "shown"),
    [
        (None, "de", "Habt ihr offen?"),
        ("retention", "en", "[text removed after the retention period]"),
        ("retention", "de", "[Text nach Ablauf der Aufbewahrungsfrist entfernt]"),
        ("erasure", "de", "[auf Wunsch der Verfasserin oder des Verfassers entfernt]"),
    ],
)
def test_a_listed_message_says_why_its_text_is_gone(reason, language, shown):
    # Issue 22: a purged or forgotten item has no text, handle or link any more.
    from dashboard.pages.message_lists import item_entry
    from dashboard.viewmodels import ListedItem

    purged = reason is not None
    item = ListedItem(
        item_id=1, account_id=1, account_label="X @huber",
        author_handle=None if purged else "anna_k", text="" if purged else "Habt ihr offen?",
        permalink=None if purged else "https://x.com/anna_k/status/1",
        created_at=datetime(2026, 11, 16, 9, tzinfo=UTC), age_minutes=60.0,
        is_question=True, liked_by_own=False, purge_reason=reason,
    )  # fmt: skip
    entry = item_entry(item, "Europe/Berlin", language)
    meta, text = entry.children
    assert text.children == shown
    assert meta.children[1].children == ("anna_k" if not purged else formats.MISSING)
