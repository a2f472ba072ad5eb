"""What one collection asks of the database: statements and connections (issue 21.4).

Several processes share the collections only as far as the CPU lets them, and most of a
collection's CPU went to statements and connections it did not need (a session per
cursor read, three for the checks before a run). A first collection of a shop
(tests/support/shops.py: its post, a customer's question, its answer; six calls) has a
budget here, so that such costs do not creep back unnoticed; bench/collection_cost.py
measures the CPU itself.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import event, func, select

from replywatch.collecting import collect_account
from sandbox.x_api import XApiServer
from storage.engine import session_factory, session_scope
from storage.models import Item
from tests.support.platforms import settings_for
from tests.support.shops import add_shop_accounts, shop_environment, shop_posts, shops_world

# Counted on 2026-12-07 (before: 59 and 53 statements, 22 connections). SQLite
# takes no advisory lock before each of the six writing transactions.
STATEMENTS = {"postgresql": 47, "sqlite": 41}
CONNECTIONS = 14  # each one taken from the pool is pinged first (SELECT 1)
COMMITS = 9


def test_a_first_collection_keeps_to_its_statements_and_connections(engine, tmp_path):
    now = datetime.now(UTC).replace(microsecond=0)
    world = shops_world(3, now)
    with session_scope(engine) as session:
        accounts = add_shop_accounts(session, 3)
    counted: Counter[str] = Counter()

    def statement(*_args: object) -> None:
        counted["statements"] += 1

    def commit(*_args: object) -> None:
        counted["commits"] += 1

    def checkout(*_args: object) -> None:
        counted["connections"] += 1

    with XApiServer(world) as x:
        settings = settings_for(tmp_path, REPLYWATCH_X_API_URL=x.url)
        env = shop_environment(3)
        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "commit", commit)
        event.listen(engine.pool, "checkout", checkout)
        summary = collect_account(engine, settings, accounts[1], now=now, env=env)
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
        event.remove(engine.pool, "checkout", checkout)

    assert (summary.outcome, summary.api_calls, summary.items_new) == ("ok", 6, 3)
    with session_factory(engine)() as session:
        stored = set(session.scalars(select(Item.platform_item_id)))
        assert session.scalar(select(func.count()).select_from(Item)) == 3
    assert stored == shop_posts(world, 1)
    dialect = engine.dialect.name
    assert counted["statements"] <= STATEMENTS[dialect], counted
    assert counted["connections"] <= CONNECTIONS, counted
    assert counted["commits"] <= COMMITS, counted
