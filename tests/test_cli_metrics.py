"""``replywatch metrics``, ``metrics refresh`` and ``metrics rebuild`` as users type them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.support.cli import run_main, run_process

SAMPLE = FIXTURES / "twcs" / "twcs_sample.csv"


@pytest.fixture
def db(capsys, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    assert run_main(capsys, "--db", url, "init").code == 0
    # 13 brands, a client each (named after the handle, UTC)
    imported = run_main(capsys, "--db", url, "import", "twcs", str(SAMPLE))
    assert imported.code == 0, imported.err
    return url


def test_table_per_account_with_the_answers_quality(capsys, db):
    shown = run_main(capsys, "--db", db, "metrics", "--week", "2017-W41")
    assert shown.code == 0, shown.err
    assert "Tesco - 2017-W41 (UTC)" in shown.out and "AppleSupport - 2017-W41 (UTC)" in shown.out
    lines = shown.out.splitlines()
    tesco = next(line for line in lines if "x @tesco" in line)
    assert "88 % (53-98)" in tesco and "partly responsive" in tesco
    assert "29 %" in tesco and "62 %" in tesco  # 2 of 7 replies redirects; 5 of 8 substantive
    apple = next(line for line in lines if "x @applesupport" in line)
    assert "92 %" in apple and "partly responsive ·" in apple
    assert "mostly redirects and templates" in shown.out


def test_csv_and_json_carry_every_metric(capsys, db):
    shown = run_main(capsys, "--db", db, "metrics", "--week", "2017-W41", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(shown.out)))
    assert len(rows) == 26  # 13 accounts and their 13 clients
    spotify = next(r for r in rows if r["label"] == "x @spotifycares")
    assert spotify["response_time_median_s"] == "1082.0"  # 18.03 minutes (test_twcs_figures)
    assert spotify["verdict"] == "responsive" and spotify["verdict_window"] == "2017-W41"
    for name in ("response_ratio_low", "question_response_ratio", "within_target_ratio",
                 "dialogue_share", "interactions_per_post", "engagement_rate", "self_likes",
                 "liked_not_answered", "removed_inbound", "uncovered_share",
                 "business_response_time_p90_s", "acknowledgments", "customer_conversation",
                 "redirect_share", "template_share", "substantive_ratio",
                 "verdict_qualifier"):  # fmt: skip
        assert name in spotify
    assert (spotify["acknowledgments"], spotify["redirect_share"]) == ("2", "0.0")
    apple = next(r for r in rows if r["label"] == "x @applesupport")
    assert apple["verdict_qualifier"] == "mostly_redirects_and_templates"
    shown = run_main(
        capsys, "--db", db, "metrics", "--account", "x:@applesupport", "--from", "2017-10-10",
        "--to", "2017-10-12", "--format", "json",
    )  # fmt: skip
    payload = json.loads(shown.out)
    assert [entry["label"] for entry in payload] == ["x @applesupport"]
    apple = payload[0]
    assert (apple["inbound"], apple["answered"], apple["missed"]) == (15, 12, 3)
    assert (apple["acknowledgments"], apple["customer_conversation"]) == (1, 1)
    assert apple["period"] == "2017-10-10..2017-10-12"
    assert [i["platform_item_id"] for i in apple["unanswered"]] == [
        "119250", "119237", "119290"
    ]  # fmt: skip
    # the evidence of "mostly redirects and templates": the pasted reply, the redirects
    assert [(r["count"], r["platform_item_id"]) for r in apple["repeated_replies"]] == [
        (3, "119252")
    ]
    assert [i["platform_item_id"] for i in apple["redirect_examples"]] == [
        "119323", "119289", "119252"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2017-41"], "is not an ISO week; expected a form like 2026-W47"),
        (["--week", "2017-W41", "--from", "2017-10-01"], "either --week or --from/--to"),
        (["--from", "2017-10-01"], "--from and --to go together"),
        (["--from", "2017-10-05", "--to", "2017-10-01"], "ends before it starts"),
        (["--from", "5.10.2017", "--to", "2017-10-06"], "--from '5.10.2017' is not a date"),
        (["--client", "Nobody"], "client 'Nobody' does not exist"),
        (["--account", "x:@nobody"], "account 'x:@nobody' does not exist"),
        (["--format", "xml"], "Invalid value for '--format'"),
    ],
)
def test_bad_options_exit_2_with_one_line(capsys, db, args, message):
    shown = run_main(capsys, "--db", db, "metrics", *args)
    assert shown.code == 2
    assert message in shown.err
    assert len(shown.err.strip().splitlines()) == 1


def test_an_account_of_another_client_is_refused(capsys, db):
    run_main(capsys, "--db", db, "client", "add", "Other")
    shown = run_main(capsys, "--db", db, "metrics", "--client", "Other", "--account", "x:@tesco")
    assert shown.code == 2
    assert "belongs to client 'Tesco', not 'Other'" in shown.err


def test_refresh_and_rebuild(capsys, db):
    refreshed = run_main(capsys, "--db", db, "metrics", "refresh")
    assert refreshed.code == 0 and "Metrics are up to date." in refreshed.out
    rebuilt = run_main(capsys, "--db", db, "metrics", "rebuild", "--questions")
    assert rebuilt.code == 0
    assert "Rebuilt metrics: 93 items, 37 answered inbound items, 13 account-weeks" in rebuilt.out


def test_an_empty_database_says_what_to_do(capsys, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    run_main(capsys, "--db", url, "init")
    shown = run_main(capsys, "--db", url, "metrics")
    assert shown.code == 0 and "No accounts yet" in shown.out


@pytest.mark.slow  # starts processes or a browser; keeps the quick subset quick
def test_the_installed_command(db):
    done = run_process("--db", db, "metrics", "--week", "2017-W41", "--account", "x:@o2")
    assert done.code == 0, done.err
    assert "x @o2" in done.out and "insufficient data (over the last 8 weeks)" in done.out
