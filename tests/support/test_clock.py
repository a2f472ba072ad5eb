"""The suite's clock switch: run every test as if the machine's clock said another time.

``REPLYWATCH_TEST_CLOCK=+400d`` (units s, m, h, d, w; a leading - goes back) or
``REPLYWATCH_TEST_CLOCK=2027-03-01T06:00:00+01:00`` (an ISO 8601 instant with its offset)
moves ``time.time``, ``datetime.now`` and their kin with time-machine, in the test
process, in pytest-xdist's workers and in every Python process the tests start. Sleeps
and monotonic clocks are left alone, so timeouts and waits behave as usual.

The setting is turned into one offset from the real clock when pytest starts
(``REPLYWATCH_TEST_CLOCK_OFFSET``, seconds); every process applies that same offset, so a
child process started an hour into the run is an hour later too, not back at the start.
Child processes pick it up from ``sitecustomize`` in ``tests/support/clock_shift``, which
the switch puts in front of ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import time
from datetime import datetime
from pathlib import Path

SETTING = "REPLYWATCH_TEST_CLOCK"
OFFSET = "REPLYWATCH_TEST_CLOCK_OFFSET"
SHIFT_PATH = Path(__file__).resolve().parent / "clock_shift"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_RELATIVE = re.compile(r"^([+-])(\d+(?:\.\d+)?)([smhdw])$")


class BadClockSetting(ValueError):
    pass


def offset_seconds(setting: str, real_now: float) -> float:
    """How far ``setting`` moves the clock away from ``real_now`` (Unix seconds)."""
    text = setting.strip()
    relative = _RELATIVE.match(text)
    if relative:
        sign, amount, unit = relative.groups()
        seconds = float(amount) * _UNITS[unit]
        return seconds if sign == "+" else -seconds
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BadClockSetting(
            f"{SETTING}={setting!r}: expected a shift like +400d, -12h, +2w, or an instant "
            "with its UTC offset like 2027-03-01T06:00:00+01:00"
        )
    return moment.timestamp() - real_now


def shift_this_process() -> bool:
    """Apply the run's offset to this process's clock, once, if the switch is on."""
    module = sys.modules.get("sitecustomize")
    if module is None or Path(getattr(module, "__file__", "")).parent != SHIFT_PATH:
        spec = importlib.util.spec_from_file_location(
            "replywatch_clock_shift", SHIFT_PATH / "sitecustomize.py"
        )
        assert spec is not None and spec.loader is not None
        module = sys.modules.setdefault(
            "replywatch_clock_shift", importlib.util.module_from_spec(spec)
        )
        if not hasattr(module, "shift"):
            spec.loader.exec_module(module)
    return bool(module.shift())


def switch_on_for_the_run() -> float | None:
    """Called once by the first pytest process: fix the offset for it and its children."""
    setting = os.environ.get(SETTING, "").strip()
    if not setting:
        return None
    if not os.environ.get(OFFSET):
        os.environ[OFFSET] = repr(offset_seconds(setting, time.time()))
        path = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SHIFT_PATH), path]))
    return float(os.environ[OFFSET])


def python_path(*folders: str | Path) -> str:
    """A ``PYTHONPATH`` of ``folders`` for a child process that keeps the clock switch."""
    shift = [str(SHIFT_PATH)] if os.environ.get(OFFSET) else []
    return os.pathsep.join([*shift, *map(str, folders)])
