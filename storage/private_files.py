"""Folders and files holding private data are readable by their owner only.

The database holds password hashes, email addresses and customers' messages; email
previews hold the same messages. replywatch creates its data folder 0700 and its files
0600, whatever the umask (which can only take permissions away). A folder or file that
exists already keeps what its owner gave it; ``replywatch status`` points out a database
that others may read.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private_folder(path: Path) -> None:
    """Create ``path`` 0700 when it is missing (its missing parents as usual)."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):  # made by another process meanwhile
        path.mkdir(mode=FOLDER_MODE)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 unless it exists (then it is left alone)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)


def write_private_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``, which is (or becomes) 0600."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)  # a file that existed keeps its mode otherwise
        handle.write(data)


def write_private_text(path: Path, text: str) -> None:
    write_private_bytes(path, text.encode("utf-8"))


def open_to_others(path: Path) -> int:
    """The permission bits ``path`` gives its group and everybody else (0: none, or no
    such file)."""
    try:
        return stat.S_IMODE(path.stat().st_mode) & (stat.S_IRWXG | stat.S_IRWXO)
    except FileNotFoundError:
        return 0
