"""Collections and metrics refreshes at the same time on PostgreSQL (issue 18.3).

A collection's batch updates items and marks their days dirty; a refresh claims the marks
and classifies the items of those days. Taken in opposite orders the two deadlocked (2 of
16 collections per `run`). Here several collection batches and refreshes run at once, over
and over, through the same functions the collector's commit and the service's refresh use;
none may fail.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from replywatch.refreshing import refresh_metrics
from storage.engine import session_factory, session_scope
from storage.records import ItemRecord
from storage.upsert import upsert_items
from storage.writing import in_transaction
from tests.support.factories import add_account, add_client

ACCOUNTS = 4
BATCHES = 50  # per account
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _batch(account: int, round_: int) -> list[ItemRecord]:
    """The account's post and its replies over 10 days, their texts changed each round
    (which resets their classification: the refresh classifies them again)."""
    records = []
    for day in range(10):
        moment = START + timedelta(days=day)
        post = f"{account}-post-{day}"
        records.append(ItemRecord("x", post, f"own{account}", f"shop{account}", True, "post",
                                  moment, text=f"Neu am Tag {day}, Runde {round_}"))  # fmt: skip
        for reply in range(3):
            records.append(ItemRecord(
                "x", f"{account}-reply-{day}-{reply}", f"c{reply}", f"kunde{reply}", False,
                "reply", moment + timedelta(minutes=5 + reply),
                text=f"Habt ihr offen? Runde {round_}", parent_id=post, root_id=post,
            ))  # fmt: skip
    return records


@pytest.mark.slow  # over 10 s on the 2-core machine
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_collections_and_refreshes_at_once_never_fail(engine):
    with session_scope(engine) as session:
        client = add_client(session, "Bäckerei Huber", time_zone="UTC")
        ids = [add_account(session, client, "x", f"@shop{n}", f"own{n}").id
               for n in range(ACCOUNTS)]  # fmt: skip
    sessions = session_factory(engine)
    errors: list[BaseException] = []
    done = threading.Event()

    def collect(account_id: int, number: int) -> None:
        try:
            for round_ in range(BATCHES):
                records = _batch(number, round_)
                # The transaction a collector's batch commits in (collectors.contract).
                in_transaction(sessions, lambda session, records=records: upsert_items(
                    session, account_id, records, seen_at=START))  # fmt: skip
        except BaseException as exc:  # reported below
            errors.append(exc)

    def refresh() -> None:
        try:
            while not done.is_set():
                refresh_metrics(engine, now=START + timedelta(days=12))
        except BaseException as exc:  # reported below
            errors.append(exc)

    collectors = [threading.Thread(target=collect, args=(account_id, number))
                  for number, account_id in enumerate(ids)]  # fmt: skip
    refreshers = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in collectors + refreshers:
        thread.start()
    for thread in collectors:
        thread.join(600)
    done.set()
    for thread in refreshers:
        thread.join(600)
    assert [f"{type(e).__name__}: {str(e).splitlines()[0]}" for e in errors] == []
