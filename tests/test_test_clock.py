"""The suite's clock switch (tests/support/test_clock.py) moves every process's clock alike."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from tests.support import test_clock

REAL_NOW = datetime(2026, 12, 7, 6, 30, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("setting", "offset"),
    [
        ("+400d", 400 * 86400),
        ("-12h", -12 * 3600),
        ("+2w", 14 * 86400),
        ("+90m", 5400),
        ("+1.5d", 1.5 * 86400),
        # Monday 06:00 in Berlin is 05:00 UTC, a week after REAL_NOW less an hour and a half.
        ("2026-12-14T06:00:00+01:00", 7 * 86400 - 1.5 * 3600),
    ],
)
def test_settings_become_one_offset_from_the_real_clock(setting, offset):
    assert test_clock.offset_seconds(setting, REAL_NOW) == pytest.approx(offset)


@pytest.mark.parametrize("setting", ["400d", "+400", "tomorrow", "2027-03-01T06:00:00", "+4y"])
def test_a_bad_setting_is_refused_by_name(setting):
    with pytest.raises(test_clock.BadClockSetting, match="REPLYWATCH_TEST_CLOCK"):
        test_clock.offset_seconds(setting, REAL_NOW)


def _clock_of_a_child(env: dict[str, str], first_reading_after: float = 0) -> float:
    done = subprocess.run(
        [sys.executable, "-c", f"import time; time.sleep({first_reading_after}); print(time.time())"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(done.stdout)


def test_a_process_the_tests_start_sees_the_same_clock_as_the_tests():
    """Whether the switch is on or off for this run, a child process agrees with us."""
    child = _clock_of_a_child(dict(os.environ))
    assert abs(child - time.time()) < 30


def test_a_child_process_applies_the_offset_it_is_given():
    base = {k: v for k, v in os.environ.items() if k != test_clock.OFFSET}
    ours = float(os.environ.get(test_clock.OFFSET) or 0)  # this run's own shift, if any
    env = {
        **base,
        test_clock.OFFSET: repr(ours + 400 * 86400),
        "PYTHONPATH": os.pathsep.join([str(test_clock.SHIFT_PATH), base.get("PYTHONPATH", "")]),
    }
    before = time.time()
    # The child first reads the clock after a while (slow imports do that): its clock must
    # have run from its start, not from that first reading.
    child = _clock_of_a_child(env, first_reading_after=1.5)
    after = time.time()
    assert before + 400 * 86400 + 1.5 <= child <= after + 400 * 86400
