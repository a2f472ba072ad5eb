"""``replywatch report --client NAME --pdf FILE --from DAY --to DAY``: the audit report
from the command line, as users type it; bad input is named and exits with status 2."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from metrics.periods import default_audit_period, local_today
from storage.engine import make_engine, session_factory
from tests.support.chromium import chromium_installed
from tests.support.cli import run_main
from tests.support.dashboard_data import build_dashboard_world

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def world_url(tmp_path_factory, sqlite_template):
    path = tmp_path_factory.mktemp("audit-cli") / "rw.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with session_factory(engine)() as session:
        build_dashboard_world(session, NOW)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture
def cli_env(world_url, monkeypatch, tmp_path):
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", world_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    return monkeypatch


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(
    not (chromium_installed() and shutil.which("pdftotext")),
    reason="Debian's chromium and poppler-utils are not installed (make prerequisites)",
)
def test_the_report_of_a_period_is_written_in_the_owners_language(cli_env, capsys, tmp_path):
    week = default_audit_period("Europe/Vienna", NOW)
    first, last = week.start, week.last_day - timedelta(days=7)  # three weeks
    path = tmp_path / "lindner.pdf"
    shown = run_main(capsys, "report", "--client", "café lindner", "--pdf", str(path),
                     "--from", first.isoformat(), "--to", last.isoformat(), "--no-refresh")  # fmt: skip
    assert shown.code == 0, shown.err
    # Café Lindner's owner, dora, reads German.
    assert re.fullmatch(
        rf"Wrote {re.escape(str(path))}: the audit report of Café Lindner for "
        rf"{first.isoformat()} to {last.isoformat()} \(German, \d+ KB\)\.\n",
        shown.out,
    )
    assert path.read_bytes().startswith(b"%PDF-")
    assert not list(tmp_path.glob("*.part"))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "Café Lindner" in text and "PRÜFBERICHT" in text
    assert "(3 Wochen)" in text and "Seite 1 von" in text

    english = tmp_path / "english.pdf"
    shown = run_main(capsys, "report", "--client", "Café Lindner", "--pdf", str(english),
                     "--language", "en", "--no-refresh")  # fmt: skip
    assert shown.code == 0, shown.err
    default = default_audit_period("Europe/Vienna", NOW)
    assert (
        f"for {default.start.isoformat()} to {default.last_day.isoformat()} (English" in shown.out
    )
    text = subprocess.run(["pdftotext", str(english), "-"], capture_output=True, text=True).stdout
    assert "(4 weeks)" in text and "Page 1 of" in text


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--pdf", "{tmp}/a.pdf"], "--pdf needs --client NAME"),
        (["--digest", "--pdf", "{tmp}/a.pdf"], "--pdf writes one client's audit report"),
        (["--client", "Café Lindner", "--pdf", "{tmp}/a.pdf", "--week", "2026-W47"],
         "without --digest, --out, --send or --week"),
        (["--client", "Café Lindner", "--pdf", "{tmp}/a.pdf", "--from", "2026-11-02"],
         "give both --from and --to (or neither: the last 4 full weeks)"),
        (["--client", "Café Lindner", "--pdf", "{tmp}/a.pdf", "--from", "2026-11-31",
          "--to", "2026-12-06"], "--from '2026-11-31' is not a date; expected a form like"),
        (["--client", "Café Lindner", "--pdf", "{tmp}/a.pdf", "--from", "2026-12-06",
          "--to", "2026-11-30"], "ends before it starts"),
        (["--client", "Café Lindner", "--pdf", "{tmp}/a.pdf", "--from", "2025-01-01",
          "--to", "2026-03-01"], "spans 425 days; a report covers at most 366"),
        (["--client", "Café Lindner", "--pdf", "{tmp}/missing/a.pdf"],
         "the folder {tmp}/missing does not exist"),
        (["--client", "Café Lindner", "--pdf", "{tmp}"], "is a folder; give a file name"),
        (["--client", "Café Lindner", "--pdf", "{tmp}/a.pdf", "--language", "fr"], "fr"),
        (["--client", "Café Nirgendwo", "--pdf", "{tmp}/a.pdf"],
         "client 'Café Nirgendwo' does not exist"),
        (["--client", "Café Lindner", "--from", "2026-11-02", "--out", "{tmp}/a.eml"],
         "--from gives the first day of an audit report: use it with --pdf"),
    ],
)  # fmt: skip
def test_bad_input_is_named_and_exits_2(cli_env, capsys, tmp_path, arguments, message):
    filled = [argument.replace("{tmp}", str(tmp_path)) for argument in arguments]
    shown = run_main(capsys, "report", *filled, "--no-refresh")
    assert shown.code == 2, shown.out + shown.err
    assert message.replace("{tmp}", str(tmp_path)) in shown.err
    assert not list(tmp_path.glob("*.pdf"))


def test_a_report_that_begins_in_the_future_is_refused(cli_env, capsys, tmp_path):
    tomorrow = local_today("Europe/Vienna", NOW) + timedelta(days=2)
    shown = run_main(capsys, "report", "--client", "Café Lindner", "--pdf",
                     str(tmp_path / "a.pdf"), "--from", tomorrow.isoformat(), "--to",
                     (tomorrow + timedelta(days=6)).isoformat(), "--no-refresh")  # fmt: skip
    assert shown.code == 2
    assert f"--from {tomorrow.isoformat()} has not come yet" in shown.err
