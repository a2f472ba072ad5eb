"""The simulated platforms' time: whatever the test, the demo or the benchmark says it is.

A :class:`SandboxClock` is where a :class:`~sandbox.world.World` reads ``now`` and where
the servers rendering it read theirs: what exists, the ``Date`` header, rate-limit windows
and their reset times. Nothing in the sandbox asks the machine for the time instead, so a
scripted world answers the same way on any day. It only moves when told to (``set``,
``advance``); a world built for "now" is given the caller's idea of now.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta


class SandboxClock:
    """A settable clock, safe to read from the servers' threads."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a sandbox clock needs a time-zone-aware start (e.g. in UTC)")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def timestamp(self) -> float:
        """Now in Unix seconds, the form rate-limit headers and windows use."""
        return self.now().timestamp()

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("a sandbox clock needs time-zone-aware moments")
        with self._lock:
            self._now = moment

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now
