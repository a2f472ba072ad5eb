"""The request budget behind the simulated platforms' rate-limit headers."""

from __future__ import annotations

import pytest

from sandbox.rate_window import RateWindow


def test_budget_per_key_and_wall_clock_window():
    window = RateWindow(limit=2, window_seconds=300, enforce=True)
    start = 1_795_843_800.0  # a window boundary (a multiple of 300 s)
    first = window.hit("token-a", now=start + 10)
    assert (first.limit, first.remaining, first.reset_at) == (2, 1, start + 300)
    assert window.hit("token-a", now=start + 20).remaining == 0
    third = window.hit("token-a", now=start + 30)
    assert third.over_limit and window.refuses(third)
    assert window.hit("token-b", now=start + 30).remaining == 1  # each key has its own
    fresh = window.hit("token-a", now=start + 300)  # the next window starts full
    assert (fresh.remaining, fresh.over_limit, fresh.reset_at) == (1, False, start + 600)


def test_announced_only_unless_enforced():
    window = RateWindow(limit=1, window_seconds=60)
    window.hit("k", now=0)
    assert not window.refuses(window.hit("k", now=1))
    with pytest.raises(ValueError, match="positive limit"):
        RateWindow(limit=0, window_seconds=60)
