"""Issue 22 through the real entry point: ``replywatch privacy purge|forget|export|log`` and
``client add/edit --retention``, on both databases.

The command line takes "now" from the system clock, so every item here is placed relative
to the same instant (and moves with REPLYWATCH_TEST_CLOCK).
"""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage.engine import make_engine, session_scope
from storage.models import Account, Client, Item
from storage.upsert import upsert_items
from tests.support.cli import run_main
from tests.support.factories import item

NOW = datetime.now(UTC)


@pytest.fixture
def huber(database_url, monkeypatch, tmp_path, capsys):
    """Client Huber (2 months' retention) with an X account: an old and a young question."""
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    monkeypatch.delenv("REPLYWATCH_PRIVACY_KEY_REF", raising=False)
    for args in (
        ("client", "add", "Huber", "--retention", "2"),
        ("account", "add", "--client", "Huber", "--platform", "x", "--handle", "@huber"),
    ):
        assert run_main(capsys, *args).code == 0
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        account_id = session.scalar(select(Account.id))
        records = [
            item("p1", author="100", handle="huber", own=True, kind="post"),
            item("old", author="901", handle="anna_k", parent="p1", minutes=5,
                 text="Habt ihr offen?", permalink="https://x.com/anna_k/status/old"),
            item("young", author="902", handle="ben_b", parent="p1", minutes=10,
                 text="Und glutenfrei?", permalink="https://x.com/ben_b/status/young"),
        ]  # fmt: skip
        moments = {"p1": 100, "old": 100, "young": 5}  # days ago
        dated = [
            replace(r, created_at=NOW - timedelta(days=moments[r.platform_item_id]))
            for r in records
        ]
        upsert_items(session, account_id, dated, seen_at=NOW)
    yield engine
    engine.dispose()


def _texts(engine):
    with session_scope(engine) as session:
        return {
            i.platform_item_id: (i.text, i.author_handle) for i in session.scalars(select(Item))
        }


def test_retention_is_shown_and_checked(huber, capsys):
    shown = run_main(capsys, "client", "show", "Huber")
    assert shown.code == 0 and "2 months" in shown.out
    bad = run_main(capsys, "client", "edit", "Huber", "--retention", "0")
    assert bad.code == 2 and "--retention" in bad.err
    assert run_main(capsys, "client", "edit", "Huber", "--retention", "13").code == 0
    with session_scope(huber) as session:
        assert session.scalar(select(Client.retention_months)) == 13


def test_purge_dry_run_then_purge(huber, capsys):
    dry = run_main(capsys, "privacy", "purge", "--dry-run")
    assert dry.code == 0, dry.err
    assert "Would remove (dry run)" in dry.out and "2 months" in dry.out
    assert _texts(huber)["old"] == ("Habt ihr offen?", "anna_k")
    done = run_main(capsys, "privacy", "purge")
    assert done.code == 0, done.err
    row = next(line for line in done.out.splitlines() if "Huber" in line)
    assert row.split("│")[4].strip() == "1"  # items
    texts = _texts(huber)
    assert texts["old"] == ("", None)
    assert texts["young"] == ("Und glutenfrei?", "ben_b")
    assert "anna_k" not in done.out and "Habt ihr" not in done.out


def test_export_forget_and_the_log(huber, capsys, tmp_path):
    target = tmp_path / "ben.json"
    target.write_text("old")
    target.chmod(0o644)  # an existing file becomes private too
    exported = run_main(capsys, "privacy", "export", "--platform", "x", "--author", "@ben_b",
                        "--output", str(target))  # fmt: skip
    assert exported.code == 0, exported.err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    data = json.loads(target.read_text())
    assert [(i["text"], i["author_id"]) for i in data["items"]] == [("Und glutenfrei?", "902")]

    forgotten = run_main(capsys, "privacy", "forget", "--platform", "x", "--author", "@ben_b",
                         "--yes")  # fmt: skip
    assert forgotten.code == 0, forgotten.err
    assert "Forgotten in every client: 1 items" in forgotten.out
    assert _texts(huber)["young"] == ("", None)
    again = run_main(capsys, "privacy", "export", "--platform", "x", "--author", "902")
    assert again.code == 0
    data = json.loads(again.out)
    assert [i["text"] for i in data["items"]] == [""] and len(data["erasure"]) == 1

    log = run_main(capsys, "privacy", "log")
    assert log.code == 0
    actions = [line.split("│")[2].strip() for line in log.out.splitlines() if "│" in line]
    assert sorted(a for a in actions if a in {"export", "forget"}) == ["export", "export", "forget"]
    assert "ben_b" not in log.out and "902" not in log.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--platform", "myspace", "--author", "ben"), "myspace"),
        (("--platform", "x", "--author", "@"), "--author is empty"),
        (("--platform", "x", "--author", "ben", "--client", "Nobody"), "Nobody"),
    ],
)
def test_bad_requests_exit_2_and_change_nothing(huber, capsys, args, message):
    outcome = run_main(capsys, "privacy", "forget", *args, "--yes")
    assert outcome.code == 2 and message in outcome.err
    assert _texts(huber)["young"] == ("Und glutenfrei?", "ben_b")
