"""The key that signs dashboard session cookies.

From the secret named by ``dashboard.secret_key_ref`` when set (for several machines
serving one dashboard); otherwise generated once and kept in ``dashboard-secret-key`` in
the data folder, readable by its owner only. The key is never printed or logged: a new
key only logs everybody out, so there is no reason to show it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from replywatch.config import ConfigError, Settings, default_data_dir
from replywatch.secrets import resolve_secret
from storage.private_files import make_private_folder

KEY_FILE_NAME = "dashboard-secret-key"
MIN_KEY_LENGTH = 32


def key_file_path(env: Mapping[str, str] = os.environ) -> Path:
    return default_data_dir(env) / KEY_FILE_NAME


def dashboard_secret_key(settings: Settings, env: Mapping[str, str] = os.environ) -> bytes:
    named = key_from_secret(settings, "dashboard.secret_key_ref", env)
    return named if named is not None else read_or_create_key_file(key_file_path(env))


def key_from_secret(settings: Settings, setting: str, env: Mapping[str, str]) -> bytes | None:
    """The key in the secret that ``setting`` names (None when it names none), refused
    when too short to be a random key."""
    reference = settings.get(setting)
    if not reference:
        return None
    value = resolve_secret(reference, settings.secrets_file, env)
    if len(value) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"secret {reference!r} ({setting}) is too short; expected at least "
            f"{MIN_KEY_LENGTH} random characters, e.g. from: openssl rand -hex 32"
        )
    return value.encode("utf-8")


def read_or_create_key_file(path: Path) -> bytes:
    if not path.exists():
        create_key_file(path)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"session key file {path} is readable by other users; run: chmod 600 {path}"
        )
    value = path.read_text(encoding="utf-8").strip()
    if len(value) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"session key file {path} holds no usable key; delete it and a new one is made "
            "(everybody logged in has to log in again)"
        )
    return value.encode("utf-8")


def create_key_file(path: Path) -> None:
    """A new random key in ``path`` (mode 600); a key another process made first wins."""
    make_private_folder(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        # link() fails when another process was quicker: then its key is the one to use.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
