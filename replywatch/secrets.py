"""Secrets by reference: an account stores a *name*, the value lives elsewhere.

A reference is looked up first as an environment variable, then as a key of the
secrets file (TOML, ``KEY = "value"``). Values are never logged, stored or echoed; the
messages here name the reference and the places searched, never a value.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path

REFERENCE_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class SecretError(LookupError):
    """A secret reference cannot be resolved."""


def check_reference(reference: str) -> str:
    """Validate the *name* of a secret; refuse anything that looks like a token itself."""
    if not REFERENCE_PATTERN.match(reference):
        raise ValueError(
            f"credentials reference {_shorten(reference)!r} is not a name: expected the name "
            "of an environment variable or secrets-file key (letters, digits, _; at most "
            "64), not the token itself"
        )
    return reference


def _shorten(text: str) -> str:
    # A token pasted by mistake must not end up in a terminal log in full.
    return text if len(text) <= 12 else text[:4] + "…"


def read_secrets_file(path: Path) -> dict[str, str]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretError(f"secrets file {path} is readable by other users; run: chmod 600 {path}")
    try:
        with path.open("rb") as handle:
            table = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SecretError(f"secrets file {path} is not valid TOML: {exc}") from None
    secrets: dict[str, str] = {}
    for key, value in table.items():
        if not isinstance(value, str):
            raise SecretError(f"secrets file {path}: {key} must be a text value in quotes")
        secrets[key] = value
    return secrets


def resolve_secret(reference: str, secrets_file: Path, env: Mapping[str, str] = os.environ) -> str:
    if env.get(reference):
        return env[reference]
    value = read_secrets_file(secrets_file).get(reference)
    if value:
        return value
    raise SecretError(
        f"secret {reference!r} is neither set as an environment variable nor a key in "
        f"{secrets_file}"
    )
