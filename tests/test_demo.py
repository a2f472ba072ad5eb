"""``replywatch demo``: the real pipeline on the simulated portfolio, as a newcomer runs it.

The installed command runs end to end (``--no-serve``) on a fixed seed and moment; the
verdicts are then read back through the metrics API from the database it made and must
tell the portfolio's stories. Everything the metrics count must have come through the
collectors: no item may exist that no collection run brought.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import sqlite3
import stat
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from metrics import api
from metrics.labels import Verdict
from replywatch.demo.database import DEMO_APPLICATION_ID, fresh_demo_database, is_demo_database
from replywatch.demo.setup import demo_password
from sandbox.generator import DEMO_PORTFOLIO, Story, generate_demo
from storage.engine import make_engine, session_scope
from storage.models import (
    Account,
    Client,
    CollectionRun,
    Connection,
    Identity,
    Item,
    OAuthApp,
    User,
)
from tests.support.cli import console_script, run_main, run_process
from tests.support.dashboard_server import form_token

NOW_TEXT = "2026-11-18T09:30Z"  # a Wednesday: the demo's last full week is 2026-W46
NOW = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
SEED = 1
LOGIN_ROW = re.compile(r"│ (\w+)\s+│ (\S+)\s+│ (consultant|owner)\s+│")


def _environment(home: Path) -> dict[str, str]:
    """A user without configuration or data of their own."""
    return {
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "REPLYWATCH_LOG_LEVEL": "warning",
    }


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("newcomer")


@pytest.fixture(scope="module")
def first_run(home):
    """``replywatch demo --no-serve`` as CI runs it, into the default demo database."""
    return run_process("demo", "--no-serve", "--now", NOW_TEXT, "--seed", str(SEED),
                       "--emails", str(home / "emails"), env=_environment(home))  # fmt: skip


@pytest.fixture(scope="module")
def demo_db(home, first_run) -> Path:
    assert first_run.code == 0, first_run.err
    return home / "data" / "replywatch" / "demo.db"


@pytest.fixture
def demo_engine(demo_db):
    engine = make_engine(f"sqlite:///{demo_db}")
    yield engine
    engine.dispose()


def _client_id(session, story: Story) -> int:
    name = DEMO_PORTFOLIO.by_story(story).name
    return session.scalar(select(Client.id).where(Client.name == name))


@pytest.mark.slow
def test_the_demo_runs_the_pipeline_and_prints_what_it_found(first_run, demo_db):
    out = first_run.out
    assert first_run.code == 0 and first_run.err == ""
    assert is_demo_database(demo_db)
    for step in ("Generating the simulated activity", "Setting up the portfolio",
                 "Collecting from the simulated platforms", "Computing the metrics"):  # fmt: skip
        assert step in out
    # Two rounds over all eleven accounts, every run ok, with counts.
    runs = re.findall(r"^    (\d+) (\w+) (\S+): (\w+) — (\d+) calls, (\d+) new", out, re.M)
    assert len(runs) == 22 and {outcome for *_, outcome, _, _ in runs} == {"ok"}
    # The bike shop's customers who wrote privately: skipped, counted, never stored.
    skipped = re.findall(r"mastodon @velolindner@mastodon\.social: ok .*, (\d) private "
                         "messages? skipped", out)  # fmt: skip
    # Two direct messages and the shop's two direct answers; the second look sees the
    # answers again among the account's newest statuses (mentions are read since the last).
    assert skipped == ["4", "2"]
    assert {platform for _, platform, *_ in runs} == {"x", "facebook", "instagram", "mastodon",
                                                     "bluesky", "youtube"}  # fmt: skip
    assert "as the platforms looked a day earlier (2026-11-17 09:30 UTC)" in out
    assert "as the platforms looked now (2026-11-18 09:30 UTC)" in out
    assert "The last full week (2026-W46) in replywatch's numbers" in out
    verdicts = dict(re.findall(
        r"^  (Bäckerei Huber|Velo Lindner|Harbour Lane Books|Radhaus Sommer)\s{2,}(\S.*?)\s{2,}",
        out, re.M))  # fmt: skip
    assert verdicts == {"Bäckerei Huber": "broadcast-only", "Velo Lindner": "partly responsive",
                        "Harbour Lane Books": "responsive",
                        "Radhaus Sommer": "responsive · mostly redirects and templates"}  # fmt: skip
    assert re.search(r"Radhaus Sommer: .* answers sent the customer elsewhere or repeated a "
                     r"pasted text \(mostly redirects and templates\)", out)  # fmt: skip
    assert "Last 12 weeks: broadcast-only 12." in out
    assert "hidden or deleted since the first day: 2 on Facebook (hidden), 1 on Instagram" in out
    logins = {user: password for user, password, _ in LOGIN_ROW.findall(out)}
    assert logins == {user.username: demo_password(user.username) for user in DEMO_PORTFOLIO.users}
    assert "Pipeline done in" in out


@pytest.mark.slow
def test_the_verdicts_tell_the_stories(demo_engine):
    huber, lindner, harbour, _ = (DEMO_PORTFOLIO.by_story(s) for s in Story)
    with session_scope(demo_engine) as session:
        # The agency that only broadcasts: posts, likes itself, never answers, hides.
        broadcast = api.client_metrics(session, _client_id(session, Story.BROADCAST), now=NOW)
        assert broadcast.period.label == "2026-W46"
        assert broadcast.verdict.verdict is Verdict.BROADCAST_ONLY
        assert {m.verdict.verdict for m in broadcast.accounts} == {Verdict.BROADCAST_ONLY}
        assert broadcast.posts >= 3 and broadcast.own_replies == 0 and broadcast.answered == 0
        assert broadcast.missed >= 10 and broadcast.self_likes >= 3
        assert broadcast.removed_inbound == 2  # hidden on Facebook, deleted on Instagram

        # The in-house team: quick on weekdays, nobody there in the evening and at weekends.
        weekdays = api.client_metrics(session, _client_id(session, Story.WEEKDAY_TEAM), now=NOW)
        assert weekdays.verdict.verdict is Verdict.PARTLY_RESPONSIVE
        assert 0.65 <= weekdays.response_ratio < 0.9
        assert weekdays.response_time.median <= lindner.response_target
        assert weekdays.uncovered_share >= 0.15
        missed = api.unanswered_items(session, client_id=weekdays.subject.id, now=NOW)
        assert missed and not any(lindner.calendar.is_open(item.created_at) for item in missed)
        hours = api.coverage(session, client_id=weekdays.subject.id, now=NOW)
        covered = set(range(168)) - set(hours.uncovered_hours)  # hours of week, Monday 0
        assert covered and all(hour // 24 < 5 and 9 <= hour % 24 <= 18 for hour in covered)

        # The responsive agency meets its one-hour SLA, partly from its staff's profiles.
        responsive = api.client_metrics(session, _client_id(session, Story.RESPONSIVE), now=NOW)
        assert responsive.verdict.verdict is Verdict.RESPONSIVE
        assert {m.verdict.verdict for m in responsive.accounts} == {Verdict.RESPONSIVE}
        assert responsive.response_ratio >= 0.9
        assert responsive.response_time.median <= harbour.response_target
        staff = {i.handle for i in session.scalars(select(Identity))}
        answers_by_staff = session.scalar(
            select(func.count()).where(Item.is_own, Item.author_handle.in_(staff)))  # fmt: skip
        assert answers_by_staff >= 20
        assert huber.response_target == timedelta(hours=4)  # the client settings as given
        # ... and its answers say something: no qualifier beside the verdict.
        assert not responsive.verdict.quality.hollow and responsive.substantive_ratio >= 0.8
        assert not weekdays.verdict.quality.hollow

        # The fourth agency answers everything within minutes with the same two sentences
        # and "send us a DM": responsive by the ratio, hollow by the content.
        hollow = api.client_metrics(session, _client_id(session, Story.HOLLOW), now=NOW)
        assert hollow.verdict.verdict is Verdict.RESPONSIVE and hollow.response_ratio >= 0.9
        quality = hollow.verdict.quality
        assert quality.hollow and hollow.redirect_share >= 0.9
        assert hollow.substantive_ratio == 0.0
        assert quality.repeated and quality.repeated[0].count >= 5
        assert "Schreib uns gern eine DM" in quality.repeated[0].text
        assert quality.redirect_examples and all(i.permalink for i in quality.redirect_examples)


@pytest.mark.slow
def test_twelve_weeks_of_history_keep_telling_the_stories(demo_engine):
    with session_scope(demo_engine) as session:
        for story, verdict, at_least in ((Story.BROADCAST, Verdict.BROADCAST_ONLY, 12),
                                         (Story.WEEKDAY_TEAM, Verdict.PARTLY_RESPONSIVE, 9),
                                         (Story.RESPONSIVE, Verdict.RESPONSIVE, 10),
                                         (Story.HOLLOW, Verdict.RESPONSIVE, 10)):  # fmt: skip
            weeks = api.weekly_series(session, client_id=_client_id(session, story), weeks=12,
                                      now=NOW)  # fmt: skip
            assert len(weeks) == 12 and all(week.inbound > 0 for week in weeks)
            assert Counter(w.verdict for w in weeks)[verdict] >= at_least, (story, weeks)


@pytest.mark.slow
def test_customers_write_in_german_and_english_ask_and_remark_and_go_deep(demo_engine):
    activity = generate_demo(now=NOW, seed=SEED)  # the same seed: the same ids and labels
    with session_scope(demo_engine) as session:
        inbound = session.execute(
            select(Item.platform, Item.platform_item_id, Item.is_question).where(~Item.is_own)
        ).all()
        parents = dict(session.execute(select(Item.platform_item_id, Item.parent_id)).all())
    languages = Counter(activity.label(p, i).language for p, i, _ in inbound)
    assert languages["de"] >= 300 and languages["en"] >= 300
    questions = Counter(q for *_, q in inbound)  # as the metrics engine classified them
    assert questions[True] >= 300 and questions[False] >= 300 and questions[None] == 0

    def depth(item_id: str) -> int:
        steps = 0
        while parents.get(item_id):
            item_id, steps = parents[item_id], steps + 1
        return steps

    assert max(depth(i) for i in parents) >= 4


@pytest.mark.slow
def test_every_item_came_through_a_collector_and_no_token_is_stored(demo_engine, demo_db):
    with session_scope(demo_engine) as session:
        items = session.scalar(select(func.count()).select_from(Item))
        runs = session.scalars(select(CollectionRun)).all()
        references = set(session.scalars(select(Account.credentials_ref)))
        users = session.scalars(select(User)).all()
        removed = session.execute(
            select(Item.platform, Item.removed_reason, Item.removed_at)
            .where(Item.removed_at.is_not(None))
        ).all()  # fmt: skip
    assert len(runs) == 22 and {run.outcome for run in runs} == {"ok"}
    assert items == sum(run.items_new for run in runs) > 2000
    # the direct messages of the bike shop's Mastodon account: counted, not stored
    assert sum(run.private_skipped for run in runs) == 6  # 4, then the 2 answers again
    world = generate_demo(now=NOW, seed=SEED).worlds["mastodon"]
    direct = {post.id for post in world.posts.values() if post.visibility == "direct"}
    assert len(direct) == 4
    with session_scope(demo_engine) as session:
        stored_ids = set(session.scalars(select(Item.platform_item_id)))
    assert not direct & stored_ids
    assert references == {account.credentials_ref for _, account in DEMO_PORTFOLIO.accounts()}
    assert all(user.password_hash.startswith("$argon2id$") for user in users)
    # The comments hidden and deleted between the two looks are marked, not dropped.
    assert {(platform, reason) for platform, reason, at in removed if at == NOW} == {
        ("facebook", "hidden"), ("instagram", "deleted")}  # fmt: skip
    stored = b"".join(p.read_bytes() for p in demo_db.parent.glob("demo.db*"))
    for _, account in DEMO_PORTFOLIO.accounts():
        assert account.token.encode() not in stored
    for user in DEMO_PORTFOLIO.users:
        assert demo_password(user.username).encode() not in stored


@pytest.mark.slow
def test_the_weekly_emails_are_written_as_the_service_would_send_them(home, first_run, demo_engine):
    folder = home / "emails"
    stems = ["2026-W46-mara-digest", "2026-W46-anna", "2026-W46-jonas", "2026-W46-olivia",
             "2026-W46-lena"]  # fmt: skip
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{stem}.{ext}" for stem in stems for ext in ("eml", "html", "png"))  # fmt: skip
    assert f"Weekly emails in {folder}:" in first_run.out
    # They hold customers' messages: readable by their owner only, like the database.
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    with session_scope(demo_engine) as session:
        weekly = {story: api.client_metrics(session, _client_id(session, story), now=NOW)
                  for story in Story}  # fmt: skip
    messages = {}
    for stem in stems:
        message = BytesParser(policy=policy.default).parsebytes(
            (folder / f"{stem}.eml").read_bytes()
        )
        messages[stem] = message
        assert message.get_content_type() == "multipart/alternative"
        plain = message.get_body(("plain",)).get_content()
        html_part = message.get_body(("html",))
        related = [part for part in message.walk() if part.get_content_type() == "image/png"]
        assert plain.strip() and len(related) == 1
        assert related[0].get_content_disposition() == "inline"
        assert related[0].get_content() == (folder / f"{stem}.png").read_bytes()
        page = (folder / f"{stem}.html").read_text()
        assert f'src="{stem}.png"' in page and "cid:" not in page
        sent = html_part.get_content().replace("\r\n", "\n")  # the .eml has SMTP line ends
        cid = related[0]["Content-ID"].strip("<>")
        assert sent.replace(f"cid:{cid}", f"{stem}.png") == page
    broadcast = weekly[Story.BROADCAST]
    anna = messages["2026-W46-anna"]
    assert anna["To"] == "anna@baeckerei-huber.example" and anna["Content-Language"] == "de"
    assert anna["Subject"] == (
        f"Bäckerei Huber, KW 46: {broadcast.answered} von {broadcast.inbound} "
        "Kundennachrichten beantwortet")  # fmt: skip
    responsive = weekly[Story.RESPONSIVE]
    olivia = messages["2026-W46-olivia"]
    assert olivia["Content-Language"] == "en" and olivia["Subject"] == (
        f"Harbour Lane Books, week 46: {responsive.answered} of {responsive.inbound} customer "
        "messages answered")  # fmt: skip
    digest = messages["2026-W46-mara-digest"]
    assert digest["Subject"] == "Wochenübersicht KW 46: 4 Unternehmen"
    digest_text = digest.get_body(("plain",)).get_content()
    assert all(client.name in digest_text for client in DEMO_PORTFOLIO.clients)
    # the qualifier beside the verdict, with its evidence, in the owner's language
    lena = messages["2026-W46-lena"].get_body(("plain",)).get_content()
    assert "überwiegend Weiterleitungen und Textbausteine" in lena
    assert "Am häufigsten gesendet" in lena and "Schreib uns gern eine DM" in lena


def _fingerprint(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT platform, platform_item_id, author_id, created_at, text, parent_id, is_own, "
            "removed_reason FROM items ORDER BY platform, platform_item_id"
        ).fetchall()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


@pytest.mark.slow
def test_running_again_replaces_the_demo_database_with_the_same_result(home, demo_db):
    before = _fingerprint(demo_db)
    again = run_process("demo", "--no-serve", "--now", NOW_TEXT, "--seed", str(SEED),
                        env=_environment(home))  # fmt: skip
    assert again.code == 0, again.err
    assert _fingerprint(demo_db) == before  # replaced, not added to, and identical


def test_the_demo_refuses_to_touch_other_databases(tmp_path, capsys, monkeypatch):
    for name, value in _environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    precious = tmp_path / "replywatch.db"
    with sqlite3.connect(precious) as connection:
        connection.execute("CREATE TABLE clients (name TEXT)")
    content = precious.read_bytes()
    refused = run_main(capsys, "demo", "--no-serve", "--db", str(precious))
    assert refused.code == 2 and "was not made by `replywatch demo`" in refused.err
    assert refused.out == ""  # refused before anything was done
    assert precious.read_bytes() == content
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", f"sqlite:///{precious}")
    mine = run_main(capsys, "demo", "--no-serve", "--db", str(precious))
    assert mine.code == 2 and "is your replywatch database" in mine.err
    group = run_main(capsys, "--db", f"sqlite:///{tmp_path / 'x.db'}", "demo", "--no-serve")
    assert group.code == 2 and "replywatch demo --db FILE" in group.err
    monkeypatch.setenv("REPLYWATCH_EMAIL_CHART_BROWSER", str(tmp_path / "no-browser"))
    emails = run_main(capsys, "demo", "--no-serve", "--db", str(tmp_path / "d.db"),
                      "--emails", str(tmp_path / "mails"))  # fmt: skip
    assert emails.code == 2 and "--emails: no browser to draw the chart at" in emails.err
    assert emails.out == "" and not (tmp_path / "mails").exists()
    monkeypatch.delenv("REPLYWATCH_EMAIL_CHART_BROWSER")
    for arguments, message in (
        (("--now", "2026-11-18 09:30"), "has no UTC offset"),
        (("--now", "yesterday"), "is not a moment"),
        (("--weeks", "1"), "--weeks 1 is not valid"),
    ):
        bad = run_main(capsys, "demo", "--no-serve", "--db", str(tmp_path / "d.db"), *arguments)
        assert bad.code == 2 and message in bad.err and bad.err.count("\n") == 1
    assert not (tmp_path / "d.db").exists() and precious.read_bytes() == content


def test_a_fresh_demo_database_is_marked_and_replaces_only_its_like(tmp_path):
    path = tmp_path / "sub" / "demo.db"
    url = fresh_demo_database(path)
    assert url == f"sqlite:///{path}" and is_demo_database(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA application_id").fetchone() == (DEMO_APPLICATION_ID,)
        connection.execute("CREATE TABLE leftover (x)")
    Path(f"{path}-wal").write_bytes(b"")
    fresh_demo_database(path)
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []
    assert not Path(f"{path}-wal").exists()
    (tmp_path / "notes.txt").write_text("not a database")
    with pytest.raises(ValueError, match="was not made by"):
        fresh_demo_database(tmp_path / "notes.txt")
    with pytest.raises(ValueError, match="is a folder"):
        fresh_demo_database(tmp_path / "sub")


@pytest.mark.slow
def test_the_served_dashboard_takes_the_printed_logins(tmp_path):
    process = subprocess.Popen(
        [console_script(), "demo", "--db", str(tmp_path / "demo.db"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200", **_environment(tmp_path)},
    )
    lines: list[str] = []
    url = None
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            found = re.search(r"replywatch dashboard on (http://\S+/) ", line)
            if found:
                url = found.group(1).rstrip("/")
                break
        output = "".join(lines)
        assert url is not None, output
        logins = {user: (password, role) for user, password, role in LOGIN_ROW.findall(output)}
        password, role = logins["anna"]
        assert role == "owner" and f"Open {url}/" in output
        browser = requests.Session()
        token = form_token(browser.get(f"{url}/login", timeout=10).text)
        answer = browser.post(f"{url}/login", allow_redirects=False, timeout=10,
                              data={"csrf": token, "username": "anna", "password": password,
                                    "next": "/"})  # fmt: skip
        assert answer.status_code == 302, answer.text[:300]
        page = browser.get(f"{url}/", timeout=10)
        assert page.status_code == 200 and "replywatch" in page.text
        wrong = requests.Session()
        token = form_token(wrong.get(f"{url}/login", timeout=10).text)
        refused = wrong.post(f"{url}/login", allow_redirects=False, timeout=10,
                             data={"csrf": token, "username": "anna",
                                   "password": "not-the-demo-password"})  # fmt: skip
        assert refused.status_code == 200  # the login page again, no session
        process.send_signal(signal.SIGTERM)
        rest = process.stdout.read()
        assert process.wait(timeout=20) == 0
        assert "Dashboard stopped." in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_replicated_portfolio_has_distinct_valid_handles_and_ids():
    from sandbox.generator.replicas import replicated
    from storage.platforms import canonical_handle

    assert replicated(DEMO_PORTFOLIO, 1) is DEMO_PORTFOLIO
    big = replicated(DEMO_PORTFOLIO, 120)
    assert len(big.clients) == 480 and big.clients[:4] == DEMO_PORTFOLIO.clients
    assert len(big.users) == 1 + 4 * 120  # one consultant sees every copy
    specs = [(c.name, s) for c in big.clients for s in (*c.accounts, *c.identities)]
    for _, spec in specs:
        assert canonical_handle(spec.platform, spec.handle) == spec.handle
    assert len({(s.platform, s.actor_id) for _, s in specs}) == len(specs)
    assert len({(s.platform, s.handle) for _, s in specs}) == len(specs)
    copy = big.client("Harbour Lane Books 120")
    assert [a.handle for a in copy.accounts] == [
        "harbourlanebooks120", "@harbourlanebooks120", "harbourlanebooks120.bsky.social",
        "@harbourlanebooks120"]  # fmt: skip
    youtube = copy.accounts[3]  # a channel id of the real shape, the copy's own
    assert youtube.actor_id != DEMO_PORTFOLIO.client("Harbour Lane Books").accounts[3].actor_id
    instagram = copy.accounts[1]
    assert instagram.page_id == copy.accounts[0].actor_id  # still the copy's own Page
    assert big.client("Bäckerei Huber 120").accounts[2].handle == "@baeckereihub120"  # X: 15
    assert big.users[-1].clients == ("Radhaus Sommer 120",)
    with pytest.raises(ValueError, match="copies must be 1 to 1000"):
        replicated(DEMO_PORTFOLIO, 0)


@pytest.mark.slow
def test_a_bigger_portfolio_goes_the_same_way(tmp_path, capsys, monkeypatch):
    for name, value in _environment(tmp_path).items():
        monkeypatch.setenv(name, value)
    database = tmp_path / "big.db"
    outcome = run_main(capsys, "demo", "--no-serve", "--copies", "2", "--db", str(database),
                       "--now", NOW_TEXT)  # fmt: skip
    assert outcome.code == 0, outcome.err
    assert "a consultant's 8 clients with 22 accounts" in outcome.out
    assert re.search(r"22 accounts \(22 ok\): \d+ calls, \d+ new", outcome.out)
    assert ("All 8 clients, last full week: Bäckerei Huber: broadcast-only 2; Velo Lindner: "
            "partly responsive 2; Harbour Lane Books: responsive 2; Radhaus Sommer: "
            "responsive 2.") in outcome.out  # fmt: skip
    assert "Owners of the other copies: anna2 … lena2 (4)" in outcome.out
    engine = make_engine(f"sqlite:///{database}")
    try:
        with session_scope(engine) as session:
            names = session.scalars(select(Client.name).order_by(Client.id)).all()
            second = session.scalar(select(Client.id).where(Client.name == "Velo Lindner 2"))
            metrics = api.client_metrics(session, second, now=NOW)
            users = set(session.scalars(select(User.username)))
    finally:
        engine.dispose()
    assert names == [c.name for c in DEMO_PORTFOLIO.clients] + [
        f"{c.name} 2" for c in DEMO_PORTFOLIO.clients]  # fmt: skip
    assert metrics.verdict.verdict is Verdict.PARTLY_RESPONSIVE and metrics.inbound > 20
    assert users == {"mara", "anna", "jonas", "olivia", "lena", "anna2", "jonas2", "olivia2",
                     "lena2"}  # fmt: skip


@pytest.mark.slow
def test_the_demo_connects_one_account_through_its_consent_screen(first_run, demo_engine, demo_db):
    assert "Connecting one account through its platform's consent screen" in first_run.out
    assert ("mastodon @velolindner@mastodon.social (Velo Lindner): the owner allowed read "
            "access on the simulated consent page") in first_run.out  # fmt: skip
    with session_scope(demo_engine) as session:
        (connection,) = session.scalars(select(Connection)).all()
        account = session.get(Account, connection.account_id)
        runs = session.scalars(
            select(CollectionRun.outcome).where(CollectionRun.account_id == account.id)
        ).all()
        registered = session.scalars(select(OAuthApp.server)).all()
        sealed = connection.sealed
    assert (account.platform, account.handle) == ("mastodon", "@velolindner@mastodon.social")
    assert connection.method == "mastodon_oauth" and connection.scopes == "read"
    assert runs == ["ok", "ok"]  # collected with the connected token
    assert len(registered) == 1  # replywatch registered itself on the instance once
    key_file = demo_db.parent / "connections.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sealed.startswith("gAAAAA")  # a Fernet token, not the access token
