"""What each thread of a ``replywatch run`` is doing, for a shutdown that waits for it.

The job threads (replywatch/jobs.py) and the collection workers
(replywatch/collection_workers.py) both announce their work here, so that SIGTERM can
say what it waits for and wait until it is done.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

# A log line names at most this many jobs or accounts, then says how many more.
LISTED_IN_A_LOG_LINE = 10


def listing(names: Sequence[str], limit: int = LISTED_IN_A_LOG_LINE) -> str:
    """``names`` for a log line: all of a few, the first ``limit`` of many and their number
    (3,000 collections left by a previous leader made one line of over 40 kB)."""
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {len(names) - limit:,} more"


class RunningWork:
    """The work in progress, one entry per thread."""

    def __init__(self) -> None:
        self._running: dict[int, str] = {}
        self._idle = threading.Condition()

    @contextmanager
    def doing(self, what: str) -> Iterator[None]:
        """Announce ``what`` the calling thread does until the block ends."""
        ident = threading.get_ident()
        with self._idle:
            self._running[ident] = what
        try:
            yield
        finally:
            with self._idle:
                self._running.pop(ident, None)
                self._idle.notify_all()

    def names(self) -> list[str]:
        with self._idle:
            return sorted(self._running.values())

    def wait_idle(self, timeout: float | None, abandon: threading.Event | None = None) -> list[str]:
        """Wait until nothing runs (or ``timeout``, None: no limit, or ``abandon``);
        returns what still runs."""
        deadline = threading.TIMEOUT_MAX if timeout is None else timeout
        waited = 0.0
        with self._idle:
            while self._running and waited < deadline:
                if abandon is not None and abandon.is_set():
                    break
                step = min(0.1, deadline - waited)
                self._idle.wait(step)
                waited += step
            return sorted(self._running.values())
