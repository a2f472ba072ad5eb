"""Many small shops on the simulated X: the accounts that shared collection is tested and
benchmarked with (tests/test_shared_collection.py, bench/shared_collect.py).

Every shop has its own token (X shows an account's likes only to its own token), a post
a few hours ago with a customer's question, and the shop's answer; a quiet account's run
costs the same six calls whatever the shop.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from sandbox.world import Actor, World
from storage.models import Account, Client

CUSTOMER = "1"


def shop_token(number: int) -> str:
    return f"shop-token-{number:05d}-secret"


def shop_credentials(number: int) -> str:
    """The environment variable that holds a shop's token."""
    return f"SHOP_TOKEN_{number:05d}"


def shops_world(count: int, now: datetime) -> World:
    """``count`` shops (actor ``1000 + n``, handle ``shop<n>``) on one X world at ``now``."""
    world = World("x", now=now)
    world.add_actor(Actor(CUSTOMER, "kundin", name="Kundin"))
    for number in range(count):
        shop = world.add_actor(Actor(str(1000 + number), f"shop{number}", name=f"Laden {number}"))
        world.manage(shop.id, shop_token(number))
        post = world.post(shop.id, now - timedelta(hours=5), f"Heute frisch, Nummer {number}")
        question = world.post(CUSTOMER, now - timedelta(hours=4), f"@shop{number} offen?",
                              reply_to=post.id)  # fmt: skip
        world.post(shop.id, now - timedelta(hours=3), "@kundin ja!", reply_to=question.id)
    return world


def shop_posts(world: World, number: int) -> set[str]:
    """The ids of what a shop's collection must store: its post and the conversation."""
    shop = str(1000 + number)
    roots = {p.id for p in world.posts.values() if p.author_id == shop and p.parent_id is None}
    return {p.id for p in world.posts.values() if p.id in roots or p.root_id in roots}


def add_shop_accounts(session: Session, count: int, interval_minutes: int = 60) -> list[int]:
    """The shops as accounts of one client (ids in shop order), in one statement."""
    client = Client(name="Ladenkette", time_zone="Europe/Berlin")
    session.add(client)
    session.flush()
    session.execute(
        insert(Account),
        [
            {
                "client_id": client.id,
                "platform": "x",
                "handle": f"@shop{number}",
                "credentials_ref": shop_credentials(number),
                "collect_interval_minutes": interval_minutes,
            }
            for number in range(count)
        ],
    )
    session.flush()
    return list(
        session.scalars(
            Account.__table__.select()
            .with_only_columns(Account.id)
            .where(Account.client_id == client.id)
            .order_by(Account.id)
        )
    )


def shop_environment(count: int) -> dict[str, str]:
    return {shop_credentials(number): shop_token(number) for number in range(count)}
