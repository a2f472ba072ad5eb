"""The key that makes the pseudonyms of purged and forgotten authors (storage/privacy.py).

From the secret named by ``privacy.key_ref`` when set (the service and the command line
on several machines must share it); otherwise generated once and kept in ``privacy-key``
in the data folder, readable by its owner only. It is never stored in the database, never
printed and never logged: whoever has it and a copy of the database could test whether a
given person's id is among the pseudonyms, nobody else can.

Losing it does not lose data, but new pseudonyms would no longer match the stored ones
and the erasure list would recognise nobody; the database keeps the key's fingerprint, and
every use with another key is refused (``storage.privacy.KeyMismatch``). Back it up with
the database (docs/operators/backups.md).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

from replywatch.config import ConfigError, Settings, default_data_dir
from replywatch.session_key import MIN_KEY_LENGTH, create_key_file, key_from_secret
from storage.privacy import Pseudonyms

KEY_FILE_NAME = "privacy-key"


def key_file_path(env: Mapping[str, str] = os.environ) -> Path:
    return default_data_dir(env) / KEY_FILE_NAME


def privacy_key(settings: Settings, env: Mapping[str, str] = os.environ) -> bytes:
    named = key_from_secret(settings, "privacy.key_ref", env)
    if named is not None:
        return named
    path = key_file_path(env)
    if not path.exists():
        create_key_file(path)
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"privacy key file {path} is readable by other users; run: chmod 600 {path}"
        )
    value = path.read_text(encoding="utf-8").strip()
    if len(value) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"privacy key file {path} holds no usable key; restore it from the backup of "
            "the data folder (a new key would not match the stored pseudonyms)"
        )
    return value.encode("utf-8")


def key_source(settings: Settings, env: Mapping[str, str] = os.environ) -> Callable[[], bytes]:
    """The key, read when first asked for (collectors ask only when pseudonyms exist)."""
    return lambda: privacy_key(settings, env)


def pseudonyms(settings: Settings, env: Mapping[str, str] = os.environ) -> Pseudonyms:
    return Pseudonyms(privacy_key(settings, env))
