"""TWCS files as Excel leaves them (issue 18.8): ids Excel shortened, its byte-order mark,
and files that are no CSV at all (a binary without newlines) cost bounded memory and words.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import func, select

from replywatch.importing.twcs import (
    MAX_LINE_BYTES,
    Problem,
    TwcsFormatError,
    TweetRow,
    normalise_id,
    read_rows,
)
from storage.engine import make_engine
from storage.models import Item
from tests.support.cli import run_main

HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"


def _found(path: Path) -> tuple[list[tuple[int, str, str | None]], list[tuple[int, bool, str]]]:
    found = list(read_rows(path))
    rows = [(r.line, r.tweet_id, r.parent_id) for r in found if isinstance(r, TweetRow)]
    problems = [(p.line, p.skipped, p.message) for p in found if isinstance(p, Problem)]
    return rows, problems


@pytest.mark.parametrize("text", ["2.98795E+06", "2.98795e6", "3E+2", "1.2e+18"])
def test_ids_excel_shortened_in_scientific_notation_are_refused(text):
    with pytest.raises(ValueError, match="lost digits") as refused:
        normalise_id(text)
    assert repr(text) in str(refused.value)


@pytest.mark.parametrize(
    ("text", "expected"), [("1.19237e5", "119237"), ("2.987953E+06", "2987953")]
)
def test_ids_in_scientific_notation_with_all_their_digits_are_read(text, expected):
    assert normalise_id(text) == expected


def test_rows_with_shortened_ids_are_refused_with_their_lines(tmp_path: Path):
    """Three tweets 2987951-2987953 shortened alike by Excel: before, one item replying to itself."""
    path = tmp_path / "excel.csv"
    path.write_text(
        HEADER
        + "2.98795E+06,BakeryHelp,False,Mon Nov 16 09:00:00 +0000 2026,@501 hello,,\n"
        + "2.98795E+06,501,True,Mon Nov 16 09:05:00 +0000 2026,@BakeryHelp hi,,2.98795E+06\n"
        + "2987960,501,True,Mon Nov 16 09:06:00 +0000 2026,@BakeryHelp yo,,2.98795E+06\n"
        + "2987961,BakeryHelp,False,Mon Nov 16 09:07:00 +0000 2026,@501 fine,,2987960\n",
        encoding="utf-8",
    )
    rows, problems = _found(path)
    assert rows == [(5, "2987961", "2987960")]
    assert [line for line, _, _ in problems] == [2, 3, 4]
    assert all(skipped for _, skipped, _ in problems)
    assert problems[0][2] == (
        "tweet_id '2.98795E+06' lost digits: Excel wrote it in scientific notation with 6 of "
        "its 7 digits; export the id columns as text"
    )


def test_a_byte_order_mark_before_the_header_is_accepted(tmp_path: Path):
    """Excel's "CSV UTF-8" starts the file with a byte-order mark."""
    path = tmp_path / "bom.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + HEADER.encode()
        + b"1,BakeryHelp,False,Mon Nov 16 09:00:00 +0000 2026,@501 hello,,\n"
    )  # fmt: skip
    rows, problems = _found(path)
    assert (rows, problems) == ([(2, "1", None)], [])


def test_a_binary_file_without_newlines_is_refused_in_a_short_message(tmp_path: Path):
    path = tmp_path / "binary.csv"
    path.write_bytes(bytes(range(1, 256)).replace(b"\n", b"") * (4 * 1024 * 1024 // 254))
    tracemalloc.start()
    try:
        with pytest.raises(TwcsFormatError) as refused:
            list(read_rows(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    message = str(refused.value)
    assert message.startswith(f"{path}: line 1 is longer than {MAX_LINE_BYTES} bytes")
    assert len(message) < 500
    assert peak < 8 * MAX_LINE_BYTES  # not the 4 MB line, nor a copy of it


def test_an_overlong_row_is_skipped_by_its_line_and_the_rest_is_read(tmp_path: Path):
    path = tmp_path / "long.csv"
    long_text = "A" * (3 * MAX_LINE_BYTES)
    path.write_text(
        HEADER
        + "1,BakeryHelp,False,Mon Nov 16 09:00:00 +0000 2026,@501 hello,,\n"
        + f"2,501,True,Mon Nov 16 09:05:00 +0000 2026,{long_text},,1\n"
        + "3,501,True,Mon Nov 16 09:06:00 +0000 2026,@BakeryHelp yo,,1\n",
        encoding="utf-8",
    )
    rows, problems = _found(path)
    assert rows == [(2, "1", None), (4, "3", "1")]
    assert problems == [
        (3, True, f"the line is longer than {MAX_LINE_BYTES} bytes (a TWCS row has a few "
                  "hundred); skipped")
    ]  # fmt: skip


def test_a_row_over_the_csv_field_limit_is_a_problem_not_a_crash(tmp_path: Path):
    path = tmp_path / "open.csv"
    swallowed = ("B" * 10_000 + "\n") * 20  # a quote open over 200 KB of lines
    path.write_text(
        HEADER
        + f'1,BakeryHelp,False,Mon Nov 16 09:00:00 +0000 2026,"{swallowed}",,\n'
        + "3,BakeryHelp,False,Mon Nov 16 09:06:00 +0000 2026,@501 yo,,\n",
        encoding="utf-8",
    )
    _, problems = _found(path)
    assert problems[0] == (
        2, True, "the row cannot be read (field larger than field limit (131072)); skipped"
    )  # fmt: skip
    assert all(skipped for _, skipped, _ in problems)
    assert max(len(message) for _, _, message in problems) < 200


def test_a_row_error_quotes_a_bounded_part_of_the_value(tmp_path: Path):
    path = tmp_path / "date.csv"
    junk = "x" * 5000
    path.write_text(HEADER + f"1,BakeryHelp,False,{junk},@501 hello,,\n", encoding="utf-8")
    _, problems = _found(path)
    assert len(problems) == 1
    line, skipped, message = problems[0]
    assert (line, skipped) == (2, True)
    assert message.startswith("created_at 'xxxx") and "… (5000 characters)" in message
    assert len(message) < 300


def test_the_command_exits_1_for_shortened_ids_and_imports_the_rest(capsys, tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    assert run_main(capsys, "--db", db, "init").code == 0
    assert run_main(capsys, "--db", db, "client", "add", "Support", "--time-zone", "UTC").code == 0
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"\xef\xbb\xbf" + HEADER.encode()
        + b"2.98795E+06,BakeryHelp,False,Mon Nov 16 09:00:00 +0000 2026,@501 hello,,\n"
        + b"2987960,BakeryHelp,False,Mon Nov 16 09:06:00 +0000 2026,@501 good morning,,\n"
    )  # fmt: skip
    done = run_main(capsys, "--db", db, "import", "twcs", str(path), "--client", "Support",
                    "--no-refresh")  # fmt: skip
    assert done.code == 1
    assert f"{path}:2: tweet_id '2.98795E+06' lost digits" in done.err
    assert "1 tweets imported" in done.out
    engine = make_engine(db)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Item)) == 1
    engine.dispose()
