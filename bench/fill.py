"""Fill a database with the sandbox's benchmark stream, through storage's own upserts.

Shared by the benchmarks that need a big, realistic history (bench/metrics.py,
bench/dashboard.py): 1,000 accounts of about 330 clients, with staff identities, follower
counts, threads of realistic shape, bursts, answers at varying delays, self-likes and
hidden comments, all from ``sandbox.generator.stream_activity`` (deterministic per seed).
Items and likes go in through ``storage.upsert`` exactly as collectors write them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from sandbox.generator import StreamItem, StreamLike, StreamPlan, StreamSpec, plan_stream
from sandbox.generator import stream_activity as _stream
from storage.models import Account, Client, Identity, Item, Like
from storage.records import ItemRecord, LikeRecord
from storage.upsert import item_row, record_followers, upsert_items, upsert_likes

END = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday: the last generated week is complete
BATCH = 5_000


@dataclass
class Filled:
    items: int
    likes: int
    accounts: int
    clients: int
    seconds: float
    # stream account index -> accounts.id
    account_ids: dict[int, int]


def stream_plan(
    items: int, *, accounts: int = 1000, seed: int = 0, end: datetime = END
) -> StreamPlan:
    return plan_stream(StreamSpec(items=items, accounts=accounts, seed=seed, end=end))


def _create_portfolio(session: Session, plan: StreamPlan) -> dict[int, int]:
    """Clients, accounts and staff identities as an operator would add them."""
    account_ids: dict[int, int] = {}
    for spec in plan.clients:
        client = Client(
            name=spec.name, time_zone=spec.time_zone, business_hours=spec.business_hours
        )
        session.add(client)
        session.flush()
        for index in spec.accounts:
            planned = plan.accounts[index]
            account = Account(
                client_id=client.id,
                platform=planned.platform,
                handle=planned.handle,
                platform_account_id=planned.actor_id,
                credential_status="ok",
            )
            session.add(account)
            for staff in planned.staff:
                session.add(
                    Identity(
                        client_id=client.id,
                        platform=planned.platform,
                        handle=staff.handle,
                        platform_user_id=staff.actor_id,
                        label="agency staff",
                    )
                )
            session.flush()
            account_ids[index] = account.id
    return account_ids


def _permalink(event: StreamItem) -> str:
    """A link of the platform's shape, so that the dashboard's lists link somewhere."""
    if event.platform == "x":
        return f"https://x.com/{event.author_handle}/status/{event.platform_item_id}"
    return f"https://{event.platform}.example/{event.platform_item_id}"


def _item_record(event: StreamItem) -> ItemRecord:
    fields = event._asdict()
    del fields["account"]
    return ItemRecord(**fields, permalink=_permalink(event))


def _like_record(event: StreamLike) -> LikeRecord:
    fields = event._asdict()
    del fields["account"]
    return LikeRecord(**fields)


def _batches(plan: StreamPlan) -> Iterator[tuple[int, list[ItemRecord], list[LikeRecord]]]:
    """Per account, its items and likes in batches; a batch's likes follow its items."""
    account, items, likes = None, [], []
    for event in _stream(plan, order="account"):
        if account is not None and (event.account != account or len(items) >= BATCH):
            yield account, items, likes
            items, likes = [], []
        account = event.account
        if isinstance(event, StreamItem):
            items.append(_item_record(event))
        else:
            likes.append(_like_record(event))
    if account is not None:
        yield account, items, likes


def _bulk_insert(
    session: Session,
    account_id: int,
    items: list[ItemRecord],
    likes: list[LikeRecord],
    seen_at: datetime,
) -> list[LikeRecord]:
    """Plain INSERTs for an empty database: the rows upsert_items would write, minus its
    look-ups. Returns the likes whose item is not written yet."""
    if items:
        session.execute(insert(Item), [item_row(r, account_id, seen_at) for r in items])
    if not likes:
        return []
    wanted = {like.item_platform_id for like in likes}
    found = session.execute(
        select(Item.platform_item_id, Item.id).where(
            Item.platform == likes[0].platform, Item.platform_item_id.in_(wanted)
        )
    )
    ids = {platform_item_id: item_id for platform_item_id, item_id in found}
    rows = [
        {"item_id": ids[like.item_platform_id], "liker_id": like.liker_id,
         "liker_handle": like.liker_handle, "is_own": like.is_own, "liked_at": like.liked_at,
         "first_seen": seen_at, "last_seen": seen_at}
        for like in likes
        if like.item_platform_id in ids
    ]  # fmt: skip
    if rows:
        session.execute(insert(Like), rows)
    return [like for like in likes if like.item_platform_id not in ids]


def fill(
    engine: Engine, plan: StreamPlan, seen_at: datetime | None = None, *, bulk: bool = True
) -> Filled:
    """Write the plan's portfolio and its whole stream into a migrated, empty database.

    ``bulk`` writes with plain INSERTs (fast; the database must be empty; metrics then
    need a rebuild); ``bulk=False`` goes through storage.upsert like a collector (about
    2,600 items/s on SQLite) and leaves the dirty marks for an incremental refresh.
    """
    seen_at = seen_at or plan.spec.end
    started = time.perf_counter()
    with Session(engine) as session:
        account_ids = _create_portfolio(session, plan)
        for index, planned in enumerate(plan.accounts):
            record_followers(session, account_ids[index], planned.followers, taken_at=seen_at)
        session.commit()
        items = likes = 0
        pending_likes: list[LikeRecord] = []
        for index, batch_items, batch_likes in _batches(plan):
            if bulk:
                pending_likes = _bulk_insert(
                    session, account_ids[index], batch_items, pending_likes + batch_likes, seen_at
                )
                items += len(batch_items)
                likes += len(batch_likes)
                continue
            items += upsert_items(session, account_ids[index], batch_items, seen_at=seen_at).new
            # A like may follow its item into the next batch: keep unknown ones for later.
            pending_likes.extend(batch_likes)
            result = upsert_likes(session, pending_likes, seen_at=seen_at)
            likes += result.new
            unknown = set(result.unknown_items)
            pending_likes = [like for like in pending_likes if like.item_platform_id in unknown]
            session.commit()
        session.commit()
        if pending_likes:
            raise RuntimeError(f"{len(pending_likes)} likes refer to items never generated")
    return Filled(
        items=items,
        likes=likes,
        accounts=len(plan.accounts),
        clients=len(plan.clients),
        seconds=time.perf_counter() - started,
        account_ids=account_ids,
    )
