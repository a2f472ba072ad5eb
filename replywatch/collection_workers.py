"""Collection workers: every ``replywatch run`` on a PostgreSQL database collects.

The leading process's scheduler only opens each account's slot when it is due
(``jobs.collect``); the workers of every process, leader and standbys alike, take open
slots one at a time with ``SELECT … FOR UPDATE SKIP LOCKED`` (storage.collection_slots)
and collect them while holding the row lock. So the work spreads over as many processes
and machines as there are, one account is never collected by two of them, and the
accounts of a process that dies are taken by the others as soon as PostgreSQL ends its
connection. Weekly emails, the metrics sweep and the purge stay with the leader.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import SQLAlchemyError

from replywatch import jobs
from replywatch.running import RunningWork, listing
from storage import collection_slots
from storage.engine import database_reason
from storage.leases import collection_key

log = logging.getLogger("replywatch.service")

# How often an idle worker looks for open slots.
POLL_SECONDS = 1.0
# After a database failure a worker waits this long (doubling, at most the maximum).
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0


class CollectionWorkers:
    """``count`` threads taking and collecting open slots until :meth:`request_stop`."""

    def __init__(self, runtime: jobs.Runtime, count: int, poll_seconds: float = POLL_SECONDS):
        self.runtime = runtime
        self.count = count
        self.poll_seconds = poll_seconds
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._work_in_progress = RunningWork()

    def start(self) -> None:
        self.stop.clear()
        # One pooled connection per worker, plus one for a collection run by hand.
        self.runtime.leases.claims_engine(self.count + 1)
        for number in range(self.count):
            thread = threading.Thread(
                target=self._work, name=f"collection-worker-{number}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        log.info("collecting with %d workers, sharing the open slots with every other "
                 "process on the database", self.count)  # fmt: skip

    def request_stop(self) -> None:
        """Start no more collections; the running ones finish."""
        self.stop.set()

    def running(self) -> list[str]:
        return self._work_in_progress.names()

    def wait(self, timeout: float, abandon: threading.Event | None = None) -> list[str]:
        """Wait for the running collections (at most ``timeout``); returns what still runs."""
        running = self.running()
        if running:
            log.info("waiting for running jobs: %s", listing(running))
        deadline = time.monotonic() + timeout
        # A thread may be between taking a slot and starting its collection: wait for the
        # threads themselves, not only for what they have announced.
        for thread in self._threads:
            while thread.is_alive() and time.monotonic() < deadline:
                if abandon is not None and abandon.is_set():
                    break
                thread.join(0.1)
        left = self.running()
        self._threads = [thread for thread in self._threads if thread.is_alive()]
        return left

    def _work(self) -> None:
        runtime = self.runtime
        keeper = runtime.leases
        pause = RETRY_FIRST_SECONDS
        while not self.stop.is_set():
            try:
                claim = collection_slots.claim_next(
                    keeper.claims_engine(), keeper.ttl, runtime.clock.now()
                )
            except SQLAlchemyError as exc:
                log.warning("cannot look for due collections (%s); trying again in %.0f s",
                            database_reason(exc),
                            pause)  # fmt: skip
                self.stop.wait(pause)
                pause = min(pause * 2, RETRY_MAX_SECONDS)
                continue
            pause = RETRY_FIRST_SECONDS
            if claim is None:
                self.stop.wait(self.poll_seconds)
                continue
            if self.stop.is_set():
                claim.give_back()  # stopping: the slot stays due for another process
                break
            key = collection_key(claim.account_id)
            try:
                keeper.adopt(key, claim)
            except SQLAlchemyError as exc:
                log.warning("could not record the claim on account %d (%s); it stays due",
                            claim.account_id, exc)  # fmt: skip
                self.stop.wait(pause)
                continue
            done = False
            with self._work_in_progress.doing(f"collection of account {claim.account_id}"):
                try:
                    done = jobs.collect_claimed(runtime, claim.account_id)
                finally:
                    keeper.release(key, close_slot=done)
            if not done:
                self.stop.wait(pause)
