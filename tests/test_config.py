"""Settings precedence (defaults < TOML < environment < command line) and secrets."""

from __future__ import annotations

import os

import pytest

from replywatch.config import ConfigError, default_database_path, load_settings
from replywatch.secrets import SecretError, check_reference, resolve_secret
from tests.support.cli import run_main


def _write(path, text, mode=0o600):
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_precedence(tmp_path):
    config = _write(
        tmp_path / "config.toml",
        '[database]\nurl = "sqlite:////from/file.db"\n[smtp]\nport = 2525\nhost = "mail.example"\n'
        '[platforms.graph]\nversion = "25"\n',
    )  # version without the "v"/minor is a typo, see below
    with pytest.raises(ConfigError, match=r"platforms.graph.version; expected a Graph API"):
        load_settings(config, env={})
    _write(config, config.read_text().replace('version = "25"', 'version = "v25.0"'))

    settings = load_settings(config, env={})
    assert settings.database_url == "sqlite:////from/file.db"
    assert settings.get("smtp.port") == 2525
    assert settings.get("platforms.graph.version") == "v25.0"
    assert settings.get("platforms.x.api_url") == "https://api.twitter.com"
    assert settings.sources["smtp.port"].endswith("[smtp.port]")

    env = {"REPLYWATCH_DATABASE_URL": "postgresql://u@db/rw", "REPLYWATCH_SMTP_PORT": "465"}
    settings = load_settings(config, env=env)
    assert settings.database_url == "postgresql://u@db/rw"
    assert settings.get("smtp.port") == 465
    assert settings.sources["smtp.port"] == "environment variable REPLYWATCH_SMTP_PORT"

    settings = load_settings(config, overrides={"database.url": "sqlite:////cli.db"}, env=env)
    assert settings.database_url == "sqlite:////cli.db"
    assert settings.sources["database.url"] == "command line"


def test_default_database_lives_in_the_user_data_folder(tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    assert default_database_path(env) == tmp_path / "data" / "replywatch" / "replywatch.db"
    settings = load_settings(env={"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert settings.database_url.startswith("sqlite:///")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[smtp\nport = 1", "is not valid TOML"),
        ("[smtp]\nprot = 25\n", "unknown setting 'smtp.prot'"),
        ("[smtp]\nport = 70000\n", "expected a whole number from 1 to 65535"),
        ('[platforms.x]\napi_url = "ftp://x"\n', "expected an http:// or https:// URL"),
        ('[smtp]\nsecurity = "tls"\n', "expected one of starttls, ssl, none"),
    ],
)
def test_bad_config_files_name_the_setting(tmp_path, text, message):
    config = _write(tmp_path / "config.toml", text)
    with pytest.raises(ConfigError, match=message):
        load_settings(config, env={})


def test_bad_config_on_the_command_line_exits_2(tmp_path, capsys):
    config = _write(tmp_path / "bad.toml", "[smtp]\nport = 'x'\n")
    outcome = run_main(capsys, "--config", str(config), "status")
    assert outcome.code == 2
    assert str(config) in outcome.err and "smtp.port" in outcome.err
    missing = run_main(capsys, "--config", str(tmp_path / "nope.toml"), "status")
    assert missing.code == 2 and "does not exist" in missing.err


def test_bad_environment_variable_exits_2(monkeypatch, capsys):
    monkeypatch.setenv("REPLYWATCH_DASHBOARD_PORT", "eighty")
    outcome = run_main(capsys, "status")
    assert outcome.code == 2
    assert "REPLYWATCH_DASHBOARD_PORT" in outcome.err and "'eighty'" in outcome.err


def test_secrets_resolve_from_environment_then_file(tmp_path):
    secrets = _write(tmp_path / "secrets.toml", 'HUBER_X = "file-token"\nOTHER = "o"\n')
    assert resolve_secret("HUBER_X", secrets, env={"HUBER_X": "env-token"}) == "env-token"
    assert resolve_secret("HUBER_X", secrets, env={}) == "file-token"
    with pytest.raises(SecretError) as missing:
        resolve_secret("NOPE", secrets, env={})
    assert "NOPE" in str(missing.value) and "file-token" not in str(missing.value)


def test_secrets_file_must_be_private(tmp_path):
    secrets = _write(tmp_path / "secrets.toml", 'HUBER_X = "t0ken"\n', mode=0o644)
    with pytest.raises(SecretError, match="chmod 600"):
        resolve_secret("HUBER_X", secrets, env={})


def test_references_are_names_not_tokens():
    assert check_reference("HUBER_X_TOKEN") == "HUBER_X_TOKEN"
    for token in ("EAAGm0PX4ZCps=BA", "AAAA%3Dxyz", "with space", "a" * 65):
        with pytest.raises(ValueError) as refused:
            check_reference(token)
        assert token not in str(refused.value) or len(token) <= 12


def test_the_configuration_reference_documents_every_setting():
    """The manual's table (docs/operators/configuration.md) is made from SETTINGS; the
    strict build in tests/test_docs.py checks that the built page shows every row."""
    from replywatch.config import SETTINGS, reference_table

    table = reference_table().splitlines()
    assert table[0] == "| TOML key | environment variable | default | meaning |"
    rows = table[2:]
    assert len(rows) == len(SETTINGS)
    for setting, row in zip(SETTINGS, rows, strict=True):
        assert row.startswith(f"| `{setting.key}` | `{setting.env}` | "), setting.key
        assert setting.help and setting.help in row
        shown = setting.default_text or ("—" if setting.default is None else f"`{setting.default}`")
        assert f" | {shown} | " in row
