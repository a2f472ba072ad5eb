"""Importing the "Customer Support on Twitter" CSV: quirks, linking, idempotence, the CLI."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from replywatch.importing.twcs import (
    Problem,
    TwcsConflict,
    TwcsFormatError,
    TwcsSeveralBrands,
    TweetRow,
    brand_mention,
    import_twcs,
    normalise_id,
    parse_created,
    read_rows,
)
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import Account, Client, Item
from storage.platforms import canonical_handle
from tests.conftest import FIXTURES
from tests.support.cli import run_main
from tests.support.factories import add_account, add_client

SAMPLE = FIXTURES / "twcs" / "twcs_sample.csv"
QUIRKS = FIXTURES / "twcs" / "handmade_twcs_quirks.csv"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("119237", "119237"), ("119237.0", "119237"), (" 3.0 ", "3"), ('"42"', "42"),
     ("1.19237e5", "119237")],
)  # fmt: skip
def test_ids_written_as_floats_are_read_as_ids(text, expected):
    assert normalise_id(text) == expected


@pytest.mark.parametrize("text", ["", "x11", "3.5", "-4", "nan", "inf"])
def test_values_that_are_not_ids_are_refused(text):
    with pytest.raises(ValueError, match="is not a tweet id"):
        normalise_id(text)


def test_twitter_dates_whatever_the_locale():
    assert parse_created("Tue Oct 31 22:10:47 +0000 2017") == datetime(
        2017, 10, 31, 22, 10, 47, tzinfo=UTC
    )
    assert parse_created("Tue Oct 31 22:10:47 +0200 2017") == datetime(
        2017, 10, 31, 20, 10, 47, tzinfo=UTC
    )
    assert parse_created("2017-10-31T22:10:47+00:00").hour == 22
    with pytest.raises(ValueError):
        parse_created("yesterday")


def test_every_quirk_of_real_copies_is_read_or_reported_by_line():
    found = list(read_rows(QUIRKS))
    rows = [f for f in found if isinstance(f, TweetRow)]
    problems = [(p.line, p.skipped, p.message) for p in found if isinstance(p, Problem)]
    assert [(r.line, r.tweet_id, r.parent_id) for r in rows] == [
        (2, "1", None),
        (3, "2", "1"),
        (4, "3", "1"),
        (5, "4", "2"),
        (6, "5", "999"),  # a reply to a tweet that is not in the file
        (9, "8", None),  # a quoted text over two lines
        (11, "9", "10"),  # a reply before its parent
        (12, "10", None),
        (14, "12", None),
        (15, "2", "1"),  # the same tweet again
    ]
    assert rows[1].text == "@BakeryHelp wann habt ihr offen, auch sonntags?"
    assert rows[2].text == "@BakeryHelp love it\nreally"  # the bare carriage return
    assert rows[5].text == "a quoted text\nspanning two lines"
    assert rows[8].text == "@CoffeeCares caf\ufffd cold"
    assert problems == [
        (7, True, "created_at 'not a date' is not a time like 'Tue Oct 31 22:10:47 +0000 2017'"),
        (8, True, "expected 8 fields, found 6"),
        (13, True, "'x11' is not a tweet id"),
        (14, False, "bytes that are not UTF-8 were replaced"),
    ]


def test_a_quote_that_never_closes_costs_one_row_not_the_rest(tmp_path: Path):
    header = (
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    )
    row = "{n},50{n},True,Mon Nov 16 09:00:00 +0000 2026,@Shop hi {n},,\n"
    broken = '3,503,True,Mon Nov 16 09:00:00 +0000 2026,"@Shop an open quote,,\n'
    lines = [header, row.format(n=1), row.format(n=2), broken]
    lines += [row.format(n=n) for n in range(4, 300)]
    path = tmp_path / "runaway.csv"
    path.write_text("".join(lines), encoding="utf-8")
    found = list(read_rows(path))
    problems = [f for f in found if isinstance(f, Problem)]
    assert [(p.line, p.message) for p in problems] == [
        (4, "a quote opened here never closes; lines 5-104 read again")
    ]
    ids = [f.tweet_id for f in found if isinstance(f, TweetRow)]
    assert ids == ["1", "2", *(str(n) for n in range(4, 300))]


def test_a_file_without_the_columns_is_refused(tmp_path: Path):
    other = tmp_path / "other.csv"
    other.write_text("id,name\n1,x\n", encoding="utf-8")
    with pytest.raises(TwcsFormatError, match=r"missing column.*tweet_id"):
        list(read_rows(other))
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(TwcsFormatError, match="empty"):
        list(read_rows(empty))


def _import(engine, path, client_name=None, **options):
    """Import ``path``: a client per brand, or every brand under ``client_name``."""
    client_id = None
    if client_name is not None:
        with Session(engine) as session:
            client_id = session.scalar(select(Client.id).where(Client.name == client_name))
    with engine.connect() as connection:
        return import_twcs(connection, path, client_id, **options)


def test_importing_the_sample_twice_changes_nothing(engine, session):
    first = _import(engine, SAMPLE)
    assert (first.rows, first.imported, first.new, first.skipped) == (93, 93, 93, 0)
    assert len(first.brands) == 13 and len(first.accounts_created) == 13
    assert first.missing_parents == 2  # 119246 and 119332 answer tweets not in the sample
    # 13 businesses, 13 clients, each named after its brand's handle
    assert sorted(first.clients_created) == sorted(first.brands)
    second = _import(engine, SAMPLE)
    assert (second.imported, second.new, second.updated, second.unchanged) == (93, 0, 0, 93)
    assert second.accounts_created == [] and second.clients_created == []
    assert session.scalar(select(func.count()).select_from(Item)) == 93
    assert session.scalar(select(func.count()).select_from(Client)) == 13
    accounts = session.scalars(select(Account).order_by(Account.handle)).all()
    clients = {c.id: c.name for c in session.scalars(select(Client))}
    assert {clients[a.client_id] for a in accounts} == set(first.brands)
    assert all(canonical_handle("x", clients[a.client_id]) == a.handle for a in accounts)
    assert [a.handle for a in accounts][:3] == [
        "@applesupport",
        "@ask_spectrum",
        "@british_airways",
    ]
    assert not any(a.active for a in accounts)  # history only: nothing to collect
    # customers' tweets went to the brand they are addressed to
    by_id = {i.platform_item_id: i for i in session.scalars(select(Item))}
    apple = next(a.id for a in accounts if a.handle == "@applesupport")
    ups = next(a.id for a in accounts if a.handle == "@upshelp")
    assert by_id["119237"].account_id == apple  # mentions @AppleSupport, no answer in the file
    assert by_id["119331"].account_id == ups  # UPS answers in its conversation
    assert by_id["119329"].root_id == "119331"
    assert by_id["119246"].root_id == "119247"  # its parent is not in the file
    assert by_id["119242"].root_id == "119247"
    assert by_id["119246"].kind == "reply" and by_id["119237"].kind == "mention"
    assert by_id["119242"].text.startswith("@VirginTrains I still haven't heard & the number")


def test_the_quirks_file_imports_what_it_can_and_names_the_rest(engine, session):
    result = _import(engine, QUIRKS)
    assert (result.rows, result.duplicates, result.imported) == (10, 1, 8)
    assert (result.unreadable, result.unassigned, result.skipped) == (3, 1, 4)
    assert [(p.line, p.skipped) for p in result.problems] == [
        (7, True), (8, True), (13, True), (14, False), (9, True)
    ]  # fmt: skip
    assert "tweet 8 is addressed to no brand" in result.problems[-1].message
    assert sorted(result.brands) == ["BakeryHelp", "CoffeeCares"]
    items = {i.platform_item_id: i for i in session.scalars(select(Item))}
    assert sorted(items) == ["1", "10", "12", "2", "3", "4", "5", "9"]
    assert items["5"].root_id == "999" and items["3"].text == "@BakeryHelp love it\nreally"


def test_a_brand_of_another_client_stops_the_import_before_anything_is_written(engine, session):
    other = add_client(session, name="Tesco Group", time_zone="UTC")
    add_account(session, other, handle="@tesco", platform_account_id=None)
    session.commit()
    with pytest.raises(TwcsConflict, match=r"@tesco .*belongs to client 'Tesco Group', not to"):
        _import(engine, SAMPLE)
    assert session.scalar(select(func.count()).select_from(Item)) == 0
    assert session.scalar(select(func.count()).select_from(Account)) == 1
    assert session.scalars(select(Client.name)).all() == ["Tesco Group"]


def test_one_client_for_a_file_of_several_brands_only_when_asked(engine, session):
    add_client(session, name="Support", time_zone="UTC")
    session.commit()
    with pytest.raises(TwcsSeveralBrands, match=r"13 brands in the file \(AppleSupport, "):
        _import(engine, SAMPLE, "Support")
    assert session.scalar(select(func.count()).select_from(Item)) == 0
    assert session.scalar(select(func.count()).select_from(Account)) == 0
    result = _import(engine, SAMPLE, "Support", one_client=True)
    assert result.imported == 93 and result.clients_created == []
    assert set(result.clients.values()) == {"Support"}


def test_a_leading_run_of_handles_is_the_reply_prefix(engine, session):
    """The data set has no display_text_range: a reply's leading @handles are its prefix."""
    assert brand_mention("@105838 @AppleSupport Me too am suffering", "AppleSupport", True) == (
        "prefix"
    )
    assert brand_mention("@105838 ask @applesupport, they know", "AppleSupport", True) == "text"
    assert brand_mention("@105860 I wish Amazon had an option", "UPSHelp", True) is None
    # a tweet that replies to nothing was addressed to the company (the inbound column)
    assert brand_mention("They reschedule my shit for tomorrow", "UPSHelp", False) == "text"
    _import(engine, SAMPLE)
    places = dict(session.execute(select(Item.platform_item_id, Item.mention_place)).all())
    assert (places["119249"], places["119330"], places["119237"]) == ("prefix", None, "text")
    assert places["119238"] is None  # a brand tweet names no brand of its own


@pytest.mark.slow  # over 10 s on the 2-core machine
def test_memory_does_not_grow_with_the_file(tmp_path: Path):
    """Rows are staged in the database: Python holds one batch, whatever the file size.

    Python's own allocations do not depend on the database, so SQLite is enough here.
    """
    engine = make_engine(f"sqlite:///{tmp_path / 'memory.db'}")
    upgrade(engine)
    with Session(engine) as session:
        session.add(Client(name="Support", time_zone="UTC"))
        session.commit()
    header = (
        "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    )

    def file(rows: int) -> Path:
        path = tmp_path / f"twcs_{rows}.csv"
        with path.open("w", encoding="utf-8") as out:
            out.write(header)
            for n in range(1, rows + 1, 2):
                text = "@BigBrand " + "my order is late, please help " * 6
                out.write(
                    f'{n},{700000 + n},True,Mon Nov 16 09:00:00 +0000 2026,"{text}",{n + 1},\n'
                )
                out.write(f"{n + 1},BigBrand,False,Mon Nov 16 09:30:00 +0000 2026,@x sorry,,{n}\n")
        return path

    peaks = []
    for rows in (2_000, 8_000):
        path = file(rows)
        tracemalloc.start()
        result = _import(engine, path, "Support", batch_size=250)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert result.imported == rows
    engine.dispose()
    # four times the rows (1.4 MB more text) must not need more memory: batches of 250
    assert peaks[1] < peaks[0] * 1.3, peaks


def test_the_command_imports_reports_problems_and_refreshes_metrics(capsys, tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run_main(capsys, "--db", db, "init").code == 0
    done = run_main(capsys, "--db", db, "import", "twcs", str(QUIRKS))
    assert done.code == 1
    assert "for 2 brands as 2 clients, one per brand" in done.out
    assert "Added 2 clients: BakeryHelp, CoffeeCares" in done.out
    assert f"{QUIRKS}:7: created_at 'not a date' is not a time like" in done.err
    assert f"{QUIRKS}:14: bytes that are not UTF-8 were replaced (read with a repair)" in done.err
    assert "8 tweets imported" in done.out and "4 rows could not be read" in done.out
    assert "Metrics updated" in done.out
    shown = run_main(capsys, "--db", db, "metrics", "--week", "2026-W47", "--format", "csv")
    assert shown.code == 0
    lines = shown.out.splitlines()
    assert lines[0].startswith("kind,id,label,client")
    bakery = next(line for line in lines if "x @bakeryhelp" in line).split(",")
    header = lines[0].split(",")
    row = dict(zip(header, bakery, strict=False))
    # Tweets 2 and 3 answer the brand's post; 5 answers tweet 999, which is not in the
    # file, and names the brand only in its reply prefix: customer conversation.
    assert (row["posts"], row["own_replies"], row["inbound"], row["answered"]) == (
        "1",
        "1",
        "2",
        "1",
    )
    assert row["customer_conversation"] == "1"


def test_the_command_refuses_bad_input_with_exit_status_2(capsys, tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    run_main(capsys, "--db", db, "init")
    missing = run_main(capsys, "--db", db, "import", "twcs", "nope.csv", "--client", "X")
    assert missing.code == 2 and "'nope.csv' does not exist" in missing.err
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    run_main(capsys, "--db", db, "client", "add", "Support")
    wrong = run_main(capsys, "--db", db, "import", "twcs", str(other), "--client", "Support")
    assert wrong.code == 2 and "missing column(s) tweet_id" in wrong.err
    unknown = run_main(capsys, "--db", db, "import", "twcs", str(SAMPLE), "--client", "Nobody")
    assert unknown.code == 2 and "client 'Nobody' does not exist" in unknown.err
    several = run_main(capsys, "--db", db, "import", "twcs", str(SAMPLE), "--client", "Support")
    assert several.code == 2 and "13 brands in the file" in several.err
    assert "--one-client" in several.err
    alone = run_main(capsys, "--db", db, "import", "twcs", str(SAMPLE), "--one-client")
    assert alone.code == 2 and "--one-client goes with --client" in alone.err
    one = run_main(capsys, "--db", db, "import", "twcs", str(SAMPLE), "--client", "Support",
                   "--one-client")  # fmt: skip
    assert one.code == 0 and "for 13 brands of 'Support'" in one.out
