"""The key that seals connected accounts' tokens in the database, kept in a file outside it.

Why a sealed column and not the secrets file: a token an owner connects in the dashboard
must reach the service that collects, and with PostgreSQL those may run on different
machines; a refreshed X token must replace the old one for every process at once, in one
transaction. The database does that; the key file keeps a stolen copy of the database (a
backup, a dump) from being worth anything.

- The key file holds Fernet keys (AES-128-CBC with HMAC-SHA256, from ``cryptography``),
  one per line: the first seals, every line opens. It is made on first use, readable by
  its owner only (0600, written atomically), and a file others can read is refused.
- Every machine that runs replywatch on the same database needs the same file
  (``connect.key_file``); back it up apart from the database.
- :func:`rotate_key` puts a new key first, re-seals everything stored in one transaction,
  then drops the old key. Processes read the file on every use, so they follow at once;
  a crash half-way leaves both keys in the file, which still opens everything.
- Without the file nothing sealed can be opened: replywatch says so and never makes a new
  key while sealed values exist (that would lock them away for good).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from storage.engine import session_factory
from storage.models import ConnectFlow, Connection, OAuthApp

KEY_FILE_NAME = "connections.key"


class VaultError(Exception):
    """The key file is missing, unreadable, too open, or does not open a sealed value."""


def _keys_of(path: Path) -> list[bytes]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise VaultError(
            f"the key file {path} that opens connected accounts' tokens does not exist; "
            "restore it from your backup (connect.key_file), or connect the accounts again"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise VaultError(f"key file {path} is readable by other users; run: chmod 600 {path}")
    try:
        lines = path.read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError) as exc:
        raise VaultError(f"key file {path} cannot be read: {exc}") from None
    keys = [line.encode("ascii") for line in lines if line and not line.startswith("#")]
    try:
        for key in keys:
            Fernet(key)
    except ValueError:
        raise VaultError(f"key file {path} holds something that is not a Fernet key") from None
    if not keys:
        raise VaultError(f"key file {path} holds no key")
    return keys


def _write_keys(path: Path, keys: list[bytes], *, replace: bool) -> None:
    """Write the key file atomically, 0600. Without ``replace`` an existing file wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write("".join(key.decode("ascii") + "\n" for key in keys))
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temporary, path)
        else:
            # link() fails when another process was quicker: then its key is the one.
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


class Vault:
    """Seals and opens secrets with the keys of ``key_file``."""

    def __init__(self, key_file: Path) -> None:
        self.key_file = key_file

    def _fernet(self) -> MultiFernet:
        return MultiFernet([Fernet(key) for key in _keys_of(self.key_file)])

    def seal(self, secret: Mapping[str, Any]) -> str:
        """``secret`` (a mapping of texts) as one encrypted text (:meth:`ensure_key` first)."""
        plain = json.dumps(dict(secret), separators=(",", ":"), sort_keys=True)
        return self._fernet().encrypt(plain.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> dict[str, Any]:
        try:
            plain = self._fernet().decrypt(sealed.encode("ascii"))
        except InvalidToken:
            raise VaultError(
                f"a connected account's token cannot be opened with the keys in "
                f"{self.key_file}: the file was replaced or belongs to another installation"
            ) from None
        value = json.loads(plain)
        if not isinstance(value, dict):
            raise VaultError("a sealed value is not a mapping")
        return value

    def ensure_key(self, engine: Engine) -> None:
        """Make the key file on first use; refuse to make a fresh one while sealed values
        exist that it could not open."""
        if self.key_file.exists():
            _keys_of(self.key_file)
            return
        with session_factory(engine)() as session:
            if sealed_count(session):
                _keys_of(self.key_file)  # raises: the file is missing
        _write_keys(self.key_file, [Fernet.generate_key()], replace=False)


def sealed_count(session: Session) -> int:
    return sum(
        session.scalar(select(func.count()).select_from(table)) or 0
        for table in (Connection, OAuthApp)
    ) + (
        session.scalar(
            select(func.count()).select_from(ConnectFlow).where(ConnectFlow.sealed.is_not(None))
        )
        or 0
    )


def rotate_key(engine: Engine, key_file: Path) -> int:
    """A new key first in the file, everything re-sealed with it, the old keys dropped.

    Returns how many sealed values were re-sealed."""
    old = _keys_of(key_file)
    new = Fernet.generate_key()
    _write_keys(key_file, [new, *old], replace=True)
    both = MultiFernet([Fernet(key) for key in (new, *old)])

    def again(sealed: str) -> str:
        try:
            return both.rotate(sealed.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise VaultError(
                f"a sealed value does not open with the keys in {key_file}; nothing was "
                "re-sealed (the file now also holds a new key, which is harmless)"
            ) from None

    count = 0
    with session_factory(engine).begin() as session:
        for connection in session.scalars(select(Connection).with_for_update()):
            # A refresh in another process writes only over the version it read: bumping
            # it makes such a write fail and read the re-sealed value again.
            session.execute(
                update(Connection)
                .where(Connection.account_id == connection.account_id)
                .values(sealed=again(connection.sealed), version=Connection.version + 1)
            )
            count += 1
        for app in session.scalars(select(OAuthApp).with_for_update()):
            app.sealed_secret = again(app.sealed_secret)
            count += 1
        for flow in session.scalars(select(ConnectFlow).where(ConnectFlow.sealed.is_not(None))):
            flow.sealed = again(flow.sealed or "")
            count += 1
    _write_keys(key_file, [new], replace=True)
    return count
