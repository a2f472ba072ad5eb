"""Imported by Python at the start of every process the tests start while the clock switch
is on (this folder is then first on ``PYTHONPATH``; see tests/support/test_clock.py).

It moves this process's clock by the run's offset, once: the test processes import it
too, and a pytest-xdist worker has already run it at its own start.
"""

import os
import time

OFFSET = "REPLYWATCH_TEST_CLOCK_OFFSET"
_applied = False


def shift() -> bool:
    """Move this process's clock by the run's offset; True when the switch is on."""
    global _applied
    offset = os.environ.get(OFFSET)
    if not offset:
        return False
    if not _applied:
        import time_machine

        time_machine.travel(time.time() + float(offset), tick=True).start()
        # A ticking time-machine clock starts ticking at its first reading, not at start():
        # read it now, or a process that reads the time only after slow imports lags.
        time.time()
        _applied = True
    return True


shift()
