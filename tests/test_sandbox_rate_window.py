"""The request budget behind the simulated platforms' rate-limit headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.clock import SandboxClock
from sandbox.rate_window import RateWindow

START = datetime.fromtimestamp(1_795_843_800, UTC)  # a window boundary (a multiple of 300 s)


def test_budget_per_key_and_window_on_the_platform_clock():
    clock = SandboxClock(START + timedelta(seconds=10))
    window = RateWindow(limit=2, window_seconds=300, clock=clock.timestamp, enforce=True)
    first = window.hit("token-a")
    assert (first.limit, first.remaining, first.reset_at) == (2, 1, START.timestamp() + 300)
    clock.advance(timedelta(seconds=10))
    assert window.hit("token-a").remaining == 0
    third = window.hit("token-a")
    assert third.over_limit and window.refuses(third)
    assert window.hit("token-b").remaining == 1  # each key has its own
    clock.set(START + timedelta(seconds=300))  # the next window starts full
    fresh = window.hit("token-a")
    assert (fresh.remaining, fresh.over_limit, fresh.reset_at) == (
        1,
        False,
        START.timestamp() + 600,
    )


def test_announced_only_unless_enforced():
    window = RateWindow(limit=1, window_seconds=60, clock=SandboxClock(START).timestamp)
    window.hit("k")
    assert not window.refuses(window.hit("k"))
    with pytest.raises(ValueError, match="positive limit"):
        RateWindow(limit=0, window_seconds=60, clock=SandboxClock(START).timestamp)
