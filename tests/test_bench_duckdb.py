"""The benchmark's DuckDB reference: its own wording of the template rule (a windowed
count, bench/metrics.py) flags exactly the replies the engine's statement flags."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import duckdb

from metrics.facts import TEMPLATES_SQL
from metrics.sql import TEMPLATE_WINDOW_US

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _bench_metrics():
    sys.path.insert(0, str(BENCH))  # bench/metrics.py imports bench/fill.py as a script does
    try:
        spec = importlib.util.spec_from_file_location("bench_metrics", BENCH / "metrics.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


def _flags(statement: str, rows: list[tuple]) -> dict[int, bool]:
    duck = duckdb.connect()
    duck.execute(
        "CREATE TABLE rw_facts (item_id BIGINT, client_id INTEGER, role VARCHAR, "
        "reply_key BIGINT, created_us BIGINT, customer_key VARCHAR, template BOOLEAN)"
    )
    duck.executemany("INSERT INTO rw_facts VALUES (?, ?, ?, ?, ?, ?, FALSE)", rows)
    duck.execute(
        "CREATE TABLE rw_evidence AS SELECT item_id, client_id, reply_key, created_us, "
        "customer_key FROM rw_facts WHERE role = 'own_reply' AND reply_key IS NOT NULL"
    )
    duck.execute("CREATE TABLE rw_template (item_id BIGINT PRIMARY KEY)")
    duck.execute(statement)
    return dict(
        duck.execute(
            "SELECT item_id, item_id IN (SELECT item_id FROM rw_template) FROM rw_facts"
        ).fetchall()
    )


def test_the_windowed_count_flags_what_the_engines_statement_flags():
    rng = random.Random(11)
    window = TEMPLATE_WINDOW_US
    rows = []
    for item_id in range(1, 401):
        role = rng.choice(["own_reply"] * 6 + ["own_thread", "inbound"])
        key = rng.choice([1, 2, 3, 4, 5, 6, None]) if role == "own_reply" else None
        # times on a grid of a quarter window: many replies exactly one window apart
        # (the bounds are inclusive) and many at the same moment
        created = rng.randrange(0, 40) * window // 4
        rows.append((item_id, rng.choice([1, 2]), role, key, created, f"c{rng.randrange(5)}"))
    engine = _flags(TEMPLATES_SQL, rows)
    duck = _flags(_bench_metrics()._DUCK_TEMPLATES_SQL, rows)
    assert duck == engine
    flagged = sum(engine.values())
    assert 0 < flagged < sum(1 for r in rows if r[2] == "own_reply" and r[3] is not None)
