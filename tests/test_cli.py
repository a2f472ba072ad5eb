"""The command line through its real entry point, on both engines."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import MetaData, select

from storage.engine import make_engine
from storage.models import Account, Client, Identity, User
from storage.passwords import verify_password
from tests.support.cli import run_main, run_process


@pytest.fixture
def cli_env(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("REPLYWATCH_CONFIG", raising=False)
    return {"REPLYWATCH_DATABASE_URL": database_url, "XDG_CONFIG_HOME": str(tmp_path / "config")}


@pytest.mark.slow  # over 10 s on the 2-core machine
def test_version_and_help_through_the_console_script():
    from replywatch import __version__

    version = run_process("--version")
    assert version.code == 0 and version.out.strip() == f"replywatch, version {__version__}"
    helped = run_process("--help")
    assert helped.code == 0
    for command in ("init", "client", "account", "identity", "user", "status", "db"):
        assert f"  {command} " in helped.out
    module = subprocess.run(
        [sys.executable, "-m", "replywatch", "--version"], capture_output=True, text=True
    )
    assert module.returncode == 0 and __version__ in module.stdout


@pytest.mark.slow  # over 10 s on the 2-core machine
def test_first_use_flow(cli_env, database_url, capsys):
    assert run_main(capsys, "init").code == 0
    steps = [
        ("client", "add", "Bäckerei Huber", "--time-zone", "Europe/Berlin",
         "--hours", "Mon-Fri 08:00-12:00 12:00-18:00; sat 09:00-12:00", "--holidays", "de-by",
         "--target", "2h", "--answer-window", "2d"),
        ("account", "add", "--client", "bäckerei huber", "--platform", "x",
         "--handle", "BaeckereiHuber", "--credentials", "HUBER_X_TOKEN"),
        ("account", "add", "--client", "Bäckerei Huber", "--platform", "mastodon",
         "--handle", "@huber@mastodon.social", "--interval", "2h"),
        ("identity", "add", "--client", "Bäckerei Huber", "--platform", "x",
         "--handle", "@jana_agency", "--label", "agency"),
    ]  # fmt: skip
    for args in steps:
        outcome = run_main(capsys, *args)
        assert outcome.code == 0, outcome.err
    added = run_process(
        "user", "add", "anna", "--role", "owner", "--client", "Bäckerei Huber",
        "--email", "anna@example.com", "--language", "de",
        input="correct horse battery\n", env=cli_env,
    )  # fmt: skip
    assert added.code == 0, added.err

    status = run_process("status", env=cli_env)
    assert status.code == 0, status.err
    assert "1 clients, 2 accounts, 1 users." in status.out
    assert "@baeckereihuber" in status.out and "never" in status.out
    assert "Nothing needs attention." in status.out

    engine = make_engine(database_url)
    with engine.connect() as connection:
        client = connection.execute(select(Client)).one()
        assert client.business_hours == "mon-fri 08:00-18:00, sat 09:00-12:00"
        assert client.holiday_region == "DE-BY"
        assert (client.response_target_minutes, client.answer_window_hours) == (120, 48)
        accounts = connection.execute(select(Account).order_by(Account.id)).all()
        assert [(a.handle, a.credentials_ref, a.collect_interval_minutes) for a in accounts] == [
            ("@baeckereihuber", "HUBER_X_TOKEN", 60),
            ("@huber@mastodon.social", None, 120),
        ]
        assert connection.execute(select(Identity.handle)).scalar() == "@jana_agency"
        user = connection.execute(select(User)).one()
        assert user.role == "owner" and user.language == "de"
        assert verify_password(user.password_hash, "correct horse battery")
        assert "correct horse" not in user.password_hash
    engine.dispose()

    listed = run_main(capsys, "account", "list")
    assert "HUBER_X_TOKEN" in listed.out and "2 h" in listed.out
    shown = run_main(capsys, "client", "show", "Bäckerei Huber")
    assert "2 h" in shown.out and "2 d" in shown.out and "DE-BY" in shown.out
    edited = run_main(capsys, "client", "edit", "Bäckerei Huber", "--rename", "Huber GmbH")
    assert edited.code == 0
    removed = run_main(capsys, "account", "remove", "x:@BaeckereiHuber")
    assert removed.code == 0 and "history is kept" in removed.out
    status = run_main(capsys, "status")
    assert "(inactive)" in status.out and "Huber GmbH" in status.out


def _snapshot(database_url: str) -> dict[str, list]:
    engine = make_engine(database_url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        snapshot = {
            name: sorted(map(tuple, connection.execute(table.select()).all()), key=repr)
            for name, table in metadata.tables.items()
        }
    engine.dispose()
    return snapshot


BAD_INPUT = [
    (("client", "add", "A", "--time-zone", "Mars/Olympus"), "IANA time zone"),
    (("client", "add", "A", "--hours", "mon-fri 8-18"), "HH:MM"),
    (("client", "add", "A", "--hours", "mon-fri 18:00-08:00"), "ends before it starts"),
    (("client", "add", "A", "--hours", "mo-fr 08:00-18:00"), "day or day range"),
    (("client", "add", "A", "--holidays", "DE-XX"), "not a region of DE"),
    (("client", "add", "A", "--answer-window", "soon"), "not a duration"),
    (("client", "add", "A", "--responsive-ratio", "150%"), "between 0 and 100"),
    (("client", "add", "Huber"), "exists already"),
    (("client", "edit", "Nobody", "--target", "1h"), "does not exist"),
    (("client", "edit", "Huber"), "nothing to change"),
    (("account", "add", "--client", "Huber", "--platform", "tiktok", "--handle", "a"), "tiktok"),
    (("account", "add", "--client", "Huber", "--platform", "x", "--handle", "@way_too_long_handle_x"), "not valid on x"),
    (("account", "add", "--client", "Huber", "--platform", "mastodon", "--handle", "@shop"), "Mastodon address"),
    (("account", "add", "--client", "Huber", "--platform", "bluesky", "--handle", "shop"), "Bluesky handle"),
    (("account", "add", "--client", "Huber", "--platform", "x", "--handle", "@a", "--credentials", "AAAAAAAAAAAAAAAAAAAAA%3DEUifiRBkKG5E2"), "not the token itself"),
    (("account", "add", "--client", "Huber", "--platform", "x", "--handle", "@a", "--interval", "1m"), "shorter than 5 minutes"),
    (("account", "add", "--client", "Huber", "--platform", "x", "--handle", "@a", "--display-name", "x" * 201), "at most 200 characters"),
    (("account", "add", "--client", "Nobody", "--platform", "x", "--handle", "@a"), "does not exist"),
    (("account", "add", "--client", "Huber", "--platform", "x", "--handle", "@huber"), "exists already (account 1)"),
    (("account", "remove", "x:huber_nobody"), "does not exist"),
    (("account", "remove", "huber"), "platform:handle"),
    (("identity", "add", "--client", "Huber", "--platform", "x", "--handle", "bad handle!"), "not valid on x"),
    (("identity", "remove", "99"), "does not exist"),
    (("user", "add", "ow", "--role", "owner", "--client", "Huber"), "user name"),
    (("user", "add", "owner1", "--role", "owner"), "at least one --client"),
    (("user", "add", "owner1", "--role", "king"), "king"),
    (("user", "add", "owner1", "--role", "owner", "--client", "Huber", "--language", "fr"), "en, de"),
    (("user", "add", "owner1", "--role", "owner", "--client", "Huber", "--email", "nope"), "email address"),
    (("user", "remove", "nobody"), "does not exist"),
    (("--db", "mysql://localhost/x", "status"), "expected sqlite:///PATH"),
    (("client", "frobnicate"), "No such command"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "expected"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    cli_env, database_url, capsys, args, expected
):
    assert run_main(capsys, "client", "add", "Huber").code == 0
    assert run_main(capsys, "account", "add", "--client", "Huber", "--platform", "x",
                    "--handle", "@huber").code == 0  # fmt: skip
    before = _snapshot(database_url)
    outcome = run_main(capsys, *args)
    assert outcome.code == 2
    lines = outcome.err.strip().splitlines()
    assert len(lines) == 1, outcome.err
    assert lines[0].startswith("replywatch") and expected in lines[0]
    assert _snapshot(database_url) == before


@pytest.mark.slow  # over 10 s on the 2-core machine
def test_passwords_come_from_stdin_and_are_checked(cli_env, capsys):
    run_main(capsys, "client", "add", "Huber")
    short = run_process("user", "add", "boss", "--role", "consultant", input="short\n", env=cli_env)
    assert short.code == 2 and "at least 10 characters" in short.err
    empty = run_process("user", "add", "boss", "--role", "consultant", input="", env=cli_env)
    assert empty.code == 2 and "no password on standard input" in empty.err
    ok = run_process(
        "user", "add", "boss", "--role", "consultant", input="a long passphrase\n", env=cli_env
    )
    assert ok.code == 0, ok.err
    listed = run_main(capsys, "user", "list")
    assert "boss" in listed.out and "all" in listed.out


@pytest.mark.slow
def test_user_names_are_one_name_whatever_their_case(cli_env, database_url, capsys):
    run_main(capsys, "client", "add", "Huber")
    for name in ("Boss", "clerk"):
        added = run_process(
            "user", "add", name, "--role", "consultant", input="a long passphrase\n", env=cli_env
        )
        assert added.code == 0, added.err
    twin = run_process(
        "user", "add", "boss", "--role", "consultant", input="a long passphrase\n", env=cli_env
    )
    assert twin.code == 2 and "exists already as 'Boss'" in twin.err
    taken = run_main(capsys, "user", "rename", "clerk", "BOSS")
    assert taken.code == 2 and "exists already as 'Boss'" in taken.err
    assert run_main(capsys, "user", "rename", "boss", "BOSS").code == 0  # only the case
    assert run_main(capsys, "user", "remove", "CLERK").code == 0
    engine = make_engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(select(User.username, User.username_key)).all()
    engine.dispose()
    assert stored == [("BOSS", "boss")]


def test_uninitialised_database_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPLYWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    outcome = run_main(capsys, "client", "list")
    assert outcome.code == 2 and "run: replywatch init" in outcome.err
