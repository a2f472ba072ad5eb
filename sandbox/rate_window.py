"""A fixed-window request budget, the way Mastodon and the Bluesky services count.

Each key (a token, or the caller's address for anonymous calls) gets ``limit`` calls per
window of ``window_seconds``; windows are aligned to the clock, so every caller's budget
resets at the same moment. The clock is the platform's (the world's, see
:mod:`sandbox.clock`), as on a real instance: a client that compares the reset with its own
clock does so through the ``Date`` header, the way Mastodon.py does.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Budget:
    limit: int
    remaining: int
    reset_at: float  # Unix seconds
    over_limit: bool = False  # this call was one too many


class RateWindow:
    """Counts calls per key and window; ``enforce`` decides whether an empty budget is a 429."""

    def __init__(
        self,
        limit: int,
        window_seconds: int,
        *,
        clock: Callable[[], float],
        enforce: bool = False,
    ) -> None:
        """``clock`` gives the platform's time in Unix seconds."""
        if limit < 1 or window_seconds < 1:
            raise ValueError("a rate window needs a positive limit and length")
        self.limit = limit
        self.window_seconds = window_seconds
        self.clock = clock
        self.enforce = enforce
        self._used: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def _window(self, now: float) -> int:
        return math.floor(now / self.window_seconds)

    def hit(self, key: str, now: float | None = None) -> Budget:
        """Count one call for ``key`` and return the budget left after it."""
        now = self.clock() if now is None else now
        window = self._window(now)
        with self._lock:
            used = self._used.get((key, window), 0) + 1
            self._used[(key, window)] = used
            if len(self._used) > 10_000:  # forget old windows; a long demo must not grow
                self._used = {k: v for k, v in self._used.items() if k[1] == window}
        reset_at = (window + 1) * self.window_seconds
        return Budget(self.limit, max(self.limit - used, 0), reset_at, used > self.limit)

    def refuses(self, budget: Budget) -> bool:
        """True when this call went past the limit and the limit is enforced."""
        return self.enforce and budget.over_limit
