"""``replywatch report``: one weekly email as an .eml file or sent now, as users type it.

The data is the scripted fortnight (tests/support/scripted_week.py), collected from the
simulated Mastodon instance on the Monday morning after week 47. The command runs later
(now), when Anna's Saturday message has passed its answer window too: 6 customer
messages, 3 answered, 3 missed.
"""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from replywatch.collecting import collect_account
from reports.chart import ChartRenderer
from sandbox.mastodon_api import MastodonServer
from storage.models import EmailDelivery, RollupDirty
from tests.support.cli import run_main
from tests.support.platforms import MASTODON_DOMAIN, MASTODON_TOKEN, fast_retry
from tests.support.platforms import settings_for as platform_settings
from tests.support.scripted_week import MONDAY_MORNING, TOKEN_NAME, add_people, fortnight
from tests.support.smtp import start_smtp

CLIENT = "Bäckerei Huber"


@pytest.fixture(scope="module", autouse=True)
def one_chart_browser():
    with ChartRenderer("/usr/bin/chromium"):
        yield


@pytest.fixture
def collected(engine, tmp_path):
    from storage.engine import session_scope

    with session_scope(engine) as session:
        people = add_people(session)
    scripted = fortnight()
    with MastodonServer(scripted.world, domain=MASTODON_DOMAIN) as server:
        settings = platform_settings(tmp_path, REPLYWATCH_MASTODON_API_URL=server.url)
        summary = collect_account(
            engine, settings, people.account_id, now=MONDAY_MORNING - timedelta(minutes=30),
            env={TOKEN_NAME: MASTODON_TOKEN}, retry=fast_retry(),
        )  # fmt: skip
    assert summary.outcome == "ok", summary.error
    return people


@pytest.fixture
def cli_env(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    for name in ("HOST", "PORT", "SECURITY", "SENDER", "USER", "PASSWORD_REF"):
        monkeypatch.delenv(f"REPLYWATCH_SMTP_{name}", raising=False)
    monkeypatch.delenv("REPLYWATCH_PUBLIC_URL", raising=False)
    return monkeypatch


def _read(path):
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative"
    text, related = message.get_payload()
    html, image = related.get_payload()
    assert image.get_content_type() == "image/png" and image.get_content_disposition() == "inline"
    assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html.get_content()
    return message, text.get_content().replace("\r\n", "\n"), html.get_content()


def _count(engine, model) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_out_writes_the_owners_email_with_the_weeks_figures(cli_env, collected, capsys, tmp_path):
    path = tmp_path / "huber.eml"
    shown = run_main(capsys, "report", "--client", CLIENT, "--week", "2026-W47", "--out", str(path))
    assert shown.code == 0, shown.err
    # The client's first owner with an address is Anna, who reads German.
    subject = "Bäckerei Huber, KW 47: 3 von 6 Kundennachrichten beantwortet"
    first, second = shown.out.splitlines()
    assert first == f'Wrote {path}: "{subject}" for anna@example.com (German).'
    assert re.fullmatch(
        r"6 Kundennachrichten kamen herein, 3 bekamen eine Antwort; die älteste unbeantwortete "
        r"wartet schon \d+ Tage\.", second,
    )  # fmt: skip
    message, text, html = _read(path)
    assert message["Subject"] == subject and message["To"] == "anna@example.com"
    assert second in text and second in html
    assert "antwortet nicht ▼ - schlechter als letzte Woche (antwortet)" in text
    assert "Antwortquote 50 % (letzte Woche 100 %)" in text.replace("\xa0", " ")
    assert "KW 47: Kundennachrichten 6, beantwortet 3" in text
    assert text.count("auf Mastodon, vor ") == 3, "three messages still without an answer"


def test_recipient_and_language(cli_env, collected, capsys, tmp_path):
    path = tmp_path / "bob.eml"
    shown = run_main(capsys, "report", "--client", CLIENT, "--week", "2026-W47",
                     "--to", "Bob@Example.com", "--out", str(path))  # fmt: skip
    assert shown.code == 0, shown.err
    assert "for Bob@Example.com (English)" in shown.out, "Bob's language"
    message, text, _ = _read(path)
    assert message["Subject"] == "Bäckerei Huber, week 47: 3 of 6 customer messages answered"
    assert "6 customer messages came in, 3 got an answer" in text

    shown = run_main(capsys, "report", "--client", CLIENT, "--week", "2026-W47", "--to",
                     "nobody@else.example", "--language", "DE", "--out", str(path))  # fmt: skip
    assert shown.code == 0, shown.err
    assert "for nobody@else.example (German)" in shown.out
    assert _read(path)[0]["Content-Language"] == "de"


def test_digest_for_the_consultant(cli_env, collected, capsys, tmp_path):
    path = tmp_path / "digest.eml"
    shown = run_main(capsys, "report", "--digest", "--week", "2026-W47", "--out", str(path))
    assert shown.code == 0, shown.err
    message, text, _ = _read(path)
    assert message["Subject"] == "Weekly digest, week 47: 2 clients"
    assert message["To"] == "carla@agency.example"
    assert "== Bäckerei Huber ==\n6 customer messages came in, 3 got an answer" in text
    assert "== Café Zwei ==\nNo customer wrote this week." in text


def test_send_delivers_one_message_without_recording_it(
    cli_env, collected, engine, capsys, tmp_path
):
    server = start_smtp(tmp_path)
    try:
        cli_env.setenv("REPLYWATCH_SMTP_HOST", "127.0.0.1")
        cli_env.setenv("REPLYWATCH_SMTP_PORT", str(server.port))
        cli_env.setenv("REPLYWATCH_SMTP_SECURITY", "none")
        cli_env.setenv("REPLYWATCH_SMTP_SENDER", "replywatch@agency.example")
        shown = run_main(capsys, "report", "--client", CLIENT, "--week", "2026-W47", "--send",
                         "--to", "bob@example.com")  # fmt: skip
    finally:
        server.stop()
    assert shown.code == 0, shown.err
    assert shown.out.startswith(
        'Sent "Bäckerei Huber, week 47: 3 of 6 customer messages answered" to bob@example.com '
        f"(English) through 127.0.0.1:{server.port} (none)."
    )
    (received,) = server.handler.received
    assert received.recipients == ["bob@example.com"]
    assert received.message["From"] == "replywatch <replywatch@agency.example>"
    assert _count(engine, EmailDelivery) == 0, "not a scheduled email"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--week", "2026-W60", "--out", "{out}"],
         "--week: week '2026-W60' does not exist: 2026 has no week 60"),
        (["--week", "47", "--out", "{out}"],
         "--week: week '47' is not an ISO week; expected a form like 2026-W47"),
        (["--week", "2031-W01", "--out", "{out}"],
         "week 2031-W01 has not begun yet; the current week is "),
        (["--out", "{out}", "--send"], "give either --out FILE.eml or --send"),
        ([], "give either --out FILE.eml or --send"),
        (["--language", "fr", "--out", "{out}"],
         "language 'fr' is not supported; expected one of en, de"),
        (["--to", "anna-at-example", "--out", "{out}"],
         "email address 'anna-at-example' is not valid; expected a form like name@example.com"),
        (["--out", "{missing}"], "the folder {folder} does not exist"),
        (["--send"], "weekly emails cannot be sent: set smtp.host and smtp.sender"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_changes_nothing(
    cli_env, collected, engine, capsys, tmp_path, arguments, message
):
    marks = _count(engine, RollupDirty)
    assert marks > 0, "the collection left its days to refresh"
    out, missing = tmp_path / "out.eml", tmp_path / "no-such-folder" / "x.eml"
    filled = [a.format(out=out, missing=missing) for a in arguments]
    shown = run_main(capsys, "report", "--client", CLIENT, *filled)
    assert shown.code == 2, shown.out
    assert len(shown.err.strip().splitlines()) == 1, shown.err
    assert message.format(folder=missing.parent) in shown.err
    assert not out.exists() and not missing.parent.exists()
    assert _count(engine, RollupDirty) == marks, "not even the metrics were refreshed"


def test_unknown_client_and_a_client_without_owner(cli_env, collected, capsys, tmp_path):
    out = tmp_path / "x.eml"
    shown = run_main(capsys, "report", "--client", "Nope", "--out", str(out))
    assert (shown.code, shown.err.strip()) == (
        2, "replywatch: error: client 'Nope' does not exist; `replywatch client list` shows them"
    )  # fmt: skip
    shown = run_main(capsys, "report", "--client", "Café Zwei", "--out", str(out))
    assert shown.code == 2
    assert "client 'Café Zwei' has no owner with an email address; give --to ADDRESS" in shown.err
    shown = run_main(capsys, "report", "--client", CLIENT, "--digest", "--out", str(out))
    assert shown.code == 2 and "give either --client NAME or --digest" in shown.err
    assert not out.exists()
