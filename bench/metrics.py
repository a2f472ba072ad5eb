"""Benchmark of the metrics engine (issue 3, point 10); the figures go into the README.

For each database (SQLite, PostgreSQL) and size (10^5, 10^6 items over 1,000 accounts):

1. generate activity with realistic thread shapes (the sandbox's benchmark stream,
   ``sandbox.generator.stream_activity``, through bench/fill.py) and load it (bulk
   INSERT; not metrics work, reported for orientation);
2. full rebuild of facts and rollups (``metrics.api.rebuild``): time per stage, peak RSS;
3. incremental update: 1,000 new items through ``storage.upsert`` (new threads and
   replies in recent threads), then ``metrics.api.refresh``: time, peak RSS;
4. the same full computation in DuckDB (in memory) on the same data, running the very
   statements the engine runs (``metrics.facts``/``metrics.rollups`` SQL builders; the
   template rule alone in DuckDB's own words, ``_DUCK_TEMPLATES_SQL``) and the same
   Python step for business hours: time, and a check that the figures agree.

Every measured step runs in its own process so that peak RSS belongs to that step.

    .venv/bin/python bench/metrics.py                         # both sizes, both databases
    .venv/bin/python bench/metrics.py --sizes 100000 --engines sqlite

"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fill import END, fill, stream_plan  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from metrics.sql import TEMPLATE_WINDOW_US  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Account, Item  # noqa: E402
from storage.platforms import PLATFORMS  # noqa: E402

TEXTS = (
    "Wann habt ihr am Samstag offen?",
    "Bitte um Rückruf",
    "Super Service, danke!",
    "please DM me the order number",
    "Love the new bread",
    "Where is my parcel",
    "Die Lieferung kam heute, alles gut",
    "Still waiting for my refund",
    "Thanks for the quick help!",
    "Gibt es die Torte auch glutenfrei",
)
SCHEDULES = (None, "mon-fri 08:00-18:00, sat 09:00-12:00", "mon-fri 09:00-17:00")
ZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "UTC")


# --- loading -----------------------------------------------------------------------------


def load(url: str, items: int, seed: int) -> dict[str, Any]:
    """The sandbox's benchmark stream over 1,000 accounts (bench/fill.py), bulk-inserted."""
    engine = make_engine(url)
    upgrade(engine)
    filled = fill(engine, stream_plan(items, accounts=1000, seed=seed, end=END))
    engine.dispose()
    return {"load_seconds": filled.seconds, "items": filled.items, "likes": filled.likes}


# --- measured steps (each in its own process) ------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_rebuild(url: str) -> dict[str, Any]:
    from metrics import api

    engine = make_engine(url)
    with Session(engine) as session:
        started = time.perf_counter()
        result = api.rebuild(session, now=END + timedelta(days=7))
        session.commit()
        seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "seconds": seconds,
        "stages": dict(result.stages),
        "items": result.items,
        "answered": result.answered,
        "account_weeks": result.account_weeks,
        "peak_mb": _peak_mb(),
    }


def step_incremental(url: str, seed: int) -> dict[str, Any]:
    """1,000 new items: new threads, answers and follow-ups in recent threads."""
    from metrics import api
    from storage.records import ItemRecord
    from storage.upsert import upsert_items

    rng = random.Random(seed + 1)
    engine = make_engine(url)
    now = END + timedelta(days=7)
    with Session(engine) as session:
        accounts = session.execute(select(Account.id, Account.platform)).all()
        chosen = rng.sample(accounts, 100)
        records: dict[int, list[ItemRecord]] = {}
        for account_id, platform in chosen:
            recent = session.execute(
                select(Item.platform_item_id, Item.root_id, Item.author_id, Item.is_own)
                .where(Item.account_id == account_id)
                .order_by(Item.created_at.desc())
                .limit(5)
            ).all()
            own = f"own-new-{account_id}"
            kind = PLATFORMS[platform].reply_kind.value
            batch = records.setdefault(account_id, [])
            post_id = f"new-{account_id}-post"
            batch.append(ItemRecord(platform, post_id, own, own, True, "post", now, "new post"))
            for n in range(4):
                batch.append(
                    ItemRecord(platform, f"new-{account_id}-c{n}", f"newc{n}", f"newc{n}", False,
                               kind, now + timedelta(minutes=n + 1), rng.choice(TEXTS),
                               parent_id=post_id, root_id=post_id)
                )  # fmt: skip
            for n, (item_id, root_id, _, is_own) in enumerate(recent):
                # answers to recent customer messages, follow-ups to recent own items
                batch.append(
                    ItemRecord(platform, f"new-{account_id}-r{n}", own if not is_own else f"f{n}",
                               own if not is_own else f"f{n}", not is_own, kind,
                               now + timedelta(minutes=10 + n), rng.choice(TEXTS),
                               parent_id=item_id, root_id=root_id or item_id)
                )  # fmt: skip
        total = sum(len(batch) for batch in records.values())
        started = time.perf_counter()
        for account_id, batch in records.items():
            upsert_items(session, account_id, batch, seen_at=now)
        session.commit()
        upserted = time.perf_counter() - started
        started = time.perf_counter()
        result = api.refresh(session, now=now)
        session.commit()
        refreshed = time.perf_counter() - started
        # The process's peak so far: loading, the upsert and this refresh. The refreshes
        # after it (nothing left; the league lines of the next week for every client; the
        # pasted texts) count in "peak_mb", the step's peak.
        refresh_peak = _peak_mb()
        again = api.refresh(session, now=now)
        session.commit()
        rerating = _rerating(session, now)
    engine.dispose()
    return {
        "rerating": rerating,
        "new_items": total,
        "upsert_seconds": upserted,
        "refresh_seconds": refreshed,
        "stages": dict(result.stages),
        "marks": result.marks,
        "threads": result.threads,
        "facts": result.items,
        "rerated": result.rerated,
        "account_weeks": result.account_weeks,
        "nothing_left": again.nothing_to_do,
        "refresh_peak_mb": refresh_peak,
        "league_weeks": result.league_weeks,
        "peak_mb": _peak_mb(),
    }


_PAIRS = """
SELECT f.client_id, f.reply_key, MIN(f.item_id), MAX(f.created_us) FROM item_facts f
WHERE f.reply_key IS NOT NULL AND f.role = 'own_reply' AND NOT f.template
GROUP BY f.client_id, f.reply_key
HAVING COUNT(*) = 2 AND COUNT(DISTINCT f.customer_key) = 2
  AND MAX(f.created_us) - MIN(f.created_us) < :span
LIMIT 100"""


def _rerating(session: Session, now: datetime) -> dict[str, Any]:
    """What re-rating costs: for up to 100 texts that went to exactly two customers, one
    more reply with the same text to a third customer in a new thread, the day after the
    later one. Each makes the two earlier replies templates, in threads the refresh would
    otherwise not look at."""
    from metrics import api
    from metrics.sql import from_us
    from storage.records import ItemRecord
    from storage.upsert import upsert_items

    pairs = session.execute(text(_PAIRS), {"span": TEMPLATE_WINDOW_US // 2}).all()
    batches: dict[int, list[ItemRecord]] = {}
    for n, (_, _, item_id, last_us) in enumerate(pairs):
        reply = session.get(Item, item_id)
        assert reply is not None
        at = from_us(last_us) + timedelta(days=1)
        kind = PLATFORMS[reply.platform].reply_kind.value
        post, question = f"tpl-{n}-post", f"tpl-{n}-q"
        batches.setdefault(reply.account_id, []).extend([
            ItemRecord(reply.platform, post, reply.author_id, reply.author_handle, True,
                       "post", at, "new post"),
            ItemRecord(reply.platform, question, f"tplc{n}", f"tplc{n}", False, kind,
                       at + timedelta(minutes=1), "Wo bleibt meine Bestellung?",
                       parent_id=post, root_id=post),
            ItemRecord(reply.platform, f"tpl-{n}-a", reply.author_id, reply.author_handle, True,
                       kind, at + timedelta(minutes=5), reply.text, parent_id=question,
                       root_id=post),
        ])  # fmt: skip
    for account_id, batch in batches.items():
        upsert_items(session, account_id, batch, seen_at=now)
    session.commit()
    started = time.perf_counter()
    result = api.refresh(session, now=now)
    session.commit()
    return {
        "texts": len(pairs),
        "new_items": sum(len(batch) for batch in batches.values()),
        "refresh_seconds": time.perf_counter() - started,
        "rerated": result.rerated,
        "threads": result.threads,
        "facts": result.items,
    }


# --- DuckDB: the same computation --------------------------------------------------------

_DUCK_TABLES = {
    "clients": "id INTEGER, time_zone VARCHAR",
    "accounts": "id INTEGER, client_id INTEGER",
    "items": (
        "id BIGINT, platform VARCHAR, platform_item_id VARCHAR, account_id INTEGER, "
        "author_id VARCHAR, author_handle VARCHAR, is_own BOOLEAN, kind VARCHAR, "
        "mentions_account BOOLEAN, parent_id VARCHAR, root_id VARCHAR, created_at TIMESTAMP, "
        "like_count INTEGER, repost_count INTEGER, is_question BOOLEAN, removed_at TIMESTAMP, "
        "mention_place VARCHAR, is_ack_text BOOLEAN, is_redirect BOOLEAN, reply_key BIGINT"
    ),
    "likes": "item_id BIGINT, is_own BOOLEAN",
    "metric_settings": (
        "client_id INTEGER, week INTEGER, time_zone VARCHAR, business_hours VARCHAR, "
        "holiday_region VARCHAR, answer_window_seconds INTEGER, response_target_seconds INTEGER"
    ),
}


def _duck_type(kind: Any) -> str:
    from sqlalchemy import Boolean, Float, Integer, String

    from storage.types import UTCDateTime

    for base, name in ((Boolean, "BOOLEAN"), (Integer, "BIGINT"), (Float, "DOUBLE"),
                       (String, "VARCHAR"), (UTCDateTime, "TIMESTAMP")):  # fmt: skip
        if isinstance(kind, base):
            return name
    raise TypeError(f"no DuckDB type for {kind!r}")


_EXPORT = {
    "clients": "SELECT id, time_zone FROM clients",
    "accounts": "SELECT id, client_id FROM accounts",
    "items": (
        "SELECT id, platform, platform_item_id, account_id, author_id, author_handle, is_own, "
        "kind, mentions_account, parent_id, root_id, created_at, like_count, repost_count, "
        "is_question, removed_at, mention_place, is_ack_text, is_redirect, reply_key FROM items"
    ),
    "likes": "SELECT item_id, is_own FROM likes",
    "metric_settings": (
        "SELECT client_id, week, time_zone, business_hours, holiday_region, "
        "answer_window_seconds, response_target_seconds FROM metric_settings"
    ),
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


# The figures both computations must agree on (template replies: the one rule DuckDB runs
# in its own words, below).
_AGREEMENT = (
    "SUM(posts), SUM(inbound), SUM(answered), SUM(unanswered), SUM(within_target), "
    "SUM(response_median_us), SUM(business_p90_us), SUM(template_replies)"
)

# The template rule (metrics.facts.TEMPLATES_SQL) for DuckDB only: "the same text went to
# two other customers within 28 days" is three distinct customers in the reply's window,
# its own included. DuckDB plans the engine's nested EXISTS as a join of every reply with
# every other of the same text: at 10^6 items 24 s and 18 GB, against 1.4 s for the
# statements of the other stages, which made it no reference. Same result (the agreement
# figures count the template replies; tests/test_bench_duckdb.py compares the flags). An
# own reply's customer_key is never NULL (the parent's author or 'item:' and its id), so
# COUNT(DISTINCT) skipping NULLs changes nothing.
_DUCK_TEMPLATES_SQL = f"""
INSERT INTO rw_template (item_id)
SELECT item_id FROM (
  SELECT item_id, COUNT(DISTINCT customer_key) OVER (
    PARTITION BY client_id, reply_key ORDER BY created_us
    RANGE BETWEEN {TEMPLATE_WINDOW_US} PRECEDING AND {TEMPLATE_WINDOW_US} FOLLOWING) >= 3
    AS template
  FROM rw_evidence
) t
WHERE t.template"""


def _duck_params(sql: str) -> str:
    import re

    return re.sub(r"(?<![:\w]):(\w+)", r"$\1", sql)


def step_duckdb(url: str) -> dict[str, Any]:
    import duckdb

    from metrics.facts import (
        ACKNOWLEDGMENTS_SQL,
        EVIDENCE_INDEX_SQL,
        FOLLOW_UPS_SQL,
        ROUND_TABLES,
        SCHEDULED_PAGE_SQL,
        SUBSTANTIVE_SQL,
        WINDOWS_SQL,
        WORK_TABLES,
        Scope,
        attribution_sql,
        business_times,
        create_facts_table_sql,
        evidence_sql,
        fact_index_ddl,
        index_facts_sql,
        insert_facts_sql,
        swap_facts_sql,
        zones_sql,
    )
    from metrics.rollups import rollup_sql
    from metrics.sql import Dialect

    engine = make_engine(url)
    folder = Path(tempfile.mkdtemp(prefix="rw-duck-"))
    started = time.perf_counter()
    with engine.connect() as connection:
        for name, query in _EXPORT.items():
            with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                result = connection.execution_options(stream_results=True).execute(text(query))
                for rows in result.partitions(50_000):
                    writer.writerows(
                        [
                            [_plain(v) for v in row]
                            for row in rows
                        ]
                    )  # fmt: skip
    exported = time.perf_counter() - started
    ours = _figures(engine)
    engine.dispose()

    duck = duckdb.connect()
    dialect = Dialect("duckdb")
    started = time.perf_counter()
    for name, columns in _DUCK_TABLES.items():
        duck.execute(f"CREATE TABLE {name} ({columns})")
        duck.execute(
            f"COPY {name} FROM '{folder / f'{name}.csv'}' (FORMAT csv, HEADER false, NULL '')"
        )
    # the engine's own tables, from its metadata
    from storage.models import AccountWeek, ClientWeek, HourCount, ItemFact

    for model in (ItemFact, AccountWeek, ClientWeek, HourCount):
        columns = ", ".join(
            f"{column.name} {_duck_type(column.type)}" for column in model.__table__.columns
        )
        duck.execute(f"CREATE TABLE {model.__tablename__} ({columns})")
    for statement in fact_index_ddl(dialect)[1]:  # item_facts has the engine's indexes
        duck.execute(statement)
    for name in (*ROUND_TABLES, "rw_evidence"):
        duck.execute(dialect.temp_table(name, WORK_TABLES[name].format(bigint="BIGINT")))
    loaded = time.perf_counter() - started

    everything = Scope(everything=True)
    stages: dict[str, float] = {}
    mark = time.perf_counter()

    def done(stage: str) -> None:
        nonlocal mark
        stages[stage] = time.perf_counter() - mark
        mark = time.perf_counter()

    for statement in create_facts_table_sql(dialect):
        duck.execute(statement)
    zones = duck.execute(zones_sql(dialect, everything)).fetchall()
    duck.execute(insert_facts_sql(dialect, everything, zones))
    for statement in index_facts_sql(dialect):
        duck.execute(statement)
    done("roles")
    for statement in (*FOLLOW_UPS_SQL, ACKNOWLEDGMENTS_SQL):
        duck.execute(statement)
    done("follow-ups, acknowledgments")
    duck.execute(WINDOWS_SQL)
    done("windows")
    for statement in attribution_sql():
        duck.execute(statement)
    done("answers")
    for statement in (*evidence_sql(everything), EVIDENCE_INDEX_SQL, _DUCK_TEMPLATES_SQL,
                      SUBSTANTIVE_SQL):  # fmt: skip
        duck.execute(statement)
    done("answer quality")
    after, pages = -1, 0
    while rows := duck.execute(
        _duck_params(SCHEDULED_PAGE_SQL), {"after": after, "limit": 5000}
    ).fetchall():
        business = folder / f"business_{pages}.csv"
        with business.open("w", newline="") as out:
            csv.writer(out).writerows(business_times(rows))
        duck.execute(f"COPY rw_values FROM '{business}' (FORMAT csv, HEADER false)")
        after, pages = rows[-1][0], pages + 1
    done("business hours (Python)")
    for statement in swap_facts_sql(dialect, everything):
        duck.execute(statement)
    done("store")
    for statement in rollup_sql(dialect, everything=True):
        if ":computed_at" in statement:
            duck.execute(_duck_params(statement), {"computed_at": END.replace(tzinfo=None)})
        else:
            duck.execute(statement)
    done("rollups")
    computed = sum(stages.values())
    theirs = duck.execute(f"SELECT {_AGREEMENT} FROM account_weeks").fetchone()
    return {
        "export_seconds": exported,
        "load_seconds": loaded,
        "seconds": computed,
        "stages": stages,
        "agrees": [int(v) if v is not None else None for v in theirs] == ours,
        "figures": [int(v) if v is not None else None for v in theirs],
        "figures_of_the_engine": ours,
        "peak_mb": _peak_mb(),
    }


def _figures(engine: Any) -> list[Any]:
    with engine.connect() as connection:
        row = connection.execute(text(f"SELECT {_AGREEMENT} FROM account_weeks")).one()
    return [int(v) if v is not None else None for v in row]


# --- orchestration -----------------------------------------------------------------------


def _run_step(step: str, url: str, *extra: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, "--step", step, "--url", url, *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"step {step} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _settle(url: str) -> float:
    """VACUUM ANALYZE after the first rebuild (PostgreSQL); returns its seconds.

    The first rebuild classifies every item: an updated row each, so at 10^6 items a
    million dead rows in ``items`` (measured: ``n_dead_tup`` 1,000,000 after the step),
    which autovacuum works through during whatever runs next. The refresh is measured on
    a database as it is day to day, autovacuum done.
    """
    engine = make_engine(url)
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def _databases(engines: list[str]) -> Iterator[tuple[str, Any]]:
    import psycopg

    from tests.support.postgres import throwaway_cluster

    for engine in engines:
        if engine == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="rw-bench-"))

            def sqlite_url(size: int, folder: Path = folder) -> str:
                return f"sqlite:///{folder / f'bench_{size}.db'}"

            yield engine, sqlite_url
        else:
            with throwaway_cluster() as admin:

                def postgres_url(size: int, admin: str = admin) -> str:
                    with psycopg.connect(admin, autocommit=True) as connection:
                        connection.execute(f"DROP DATABASE IF EXISTS bench_{size}")
                        connection.execute(f"CREATE DATABASE bench_{size}")
                    return admin.rsplit("/", 1)[0] + f"/bench_{size}"

                yield engine, postgres_url


def markdown(path: Path) -> str:
    """The README table from a results file (``--report``)."""
    data = json.loads(path.read_text())
    runs = {(r["engine"], r["items"]): r for r in data["results"]}
    duck = {r["items"]: r["duckdb"] for r in data["results"] if "duckdb" in r}
    for run in runs.values():
        if run["items"] in duck:
            run["duckdb"] = duck[run["items"]]
    columns = sorted(runs, key=lambda key: (key[0] != "sqlite", key[1]))

    def cell(key: tuple[str, int], pick: Any) -> str:
        try:
            return pick(runs[key])
        except KeyError:
            return "-"

    def seconds(value: float) -> str:
        return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"

    header = ["", *(f"{engine} {items:,}".replace(",", " ") for engine, items in columns)]
    rows = [
        ("load (bulk INSERT, not metrics work)", lambda r: seconds(r["load"]["load_seconds"])),
        ("full rebuild, first (classifies every item)", lambda r: seconds(r["rebuild"]["seconds"])),
        (
            "… of which text classification (Python)",
            lambda r: seconds(
                r["rebuild"]["stages"].get("texts (Python)")
                or r["rebuild"]["stages"]["questions (Python)"]
            ),
        ),
        (
            "… of which business-hours times (Python)",
            lambda r: seconds(r["rebuild"]["stages"]["business hours (Python)"]),
        ),
        ("full rebuild, again", lambda r: seconds(r["rebuild_after"]["seconds"])),
        ("DuckDB (in memory), same statements and data", lambda r: seconds(r["duckdb"]["seconds"])),
        (
            "rebuild again / DuckDB",
            lambda r: f"{r['rebuild_after']['seconds'] / r['duckdb']['seconds']:.1f} x",
        ),
        (
            "DuckDB's figures equal the engine's",
            lambda r: ("yes" if r["duckdb"]["agrees"] else "NO") if r["engine"] == "sqlite" else "",
        ),
        (
            "1,000 new items: upsert (storage)",
            lambda r: seconds(r["incremental"]["upsert_seconds"]),
        ),
        (
            "1,000 new items: incremental refresh",
            lambda r: seconds(r["incremental"]["refresh_seconds"]),
        ),
        (
            "… threads / facts recomputed",
            lambda r: f"{r['incremental']['threads']} / {r['incremental']['facts']:,}",
        ),
        (
            "… client weeks of the league table computed",
            lambda r: f"{r['incremental']['league_weeks']:,}",
        ),
        (
            "… earlier replies re-rated as templates (or no longer)",
            lambda r: f"{r['incremental'].get('rerated', 0):,}",
        ),
        (
            "a pasted text to a third customer, 100 times: refresh",
            lambda r: seconds(r["incremental"]["rerating"]["refresh_seconds"]),
        ),
        (
            "… replies re-rated in other threads / threads recomputed",
            lambda r: (
                f"{r['incremental']['rerating']['rerated']:,} / "
                f"{r['incremental']['rerating']['threads']:,}"
            ),
        ),
        ("peak RSS, rebuild", lambda r: f"{r['rebuild']['peak_mb']:.0f} MB"),
        (
            "peak RSS, refresh of the 1,000 items",
            lambda r: f"{r['incremental']['refresh_peak_mb']:.0f} MB",
        ),
        (
            "peak RSS, incremental step (all its refreshes)",
            lambda r: f"{r['incremental']['peak_mb']:.0f} MB",
        ),
        ("peak RSS, DuckDB step", lambda r: f"{r['duckdb']['peak_mb']:.0f} MB"),
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label, pick in rows:
        lines.append("| " + " | ".join([label, *(cell(key, pick) for key in columns)]) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-duckdb", action="store_true")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "metrics.json"))
    parser.add_argument("--merge", action="store_true", help="add to --out instead of replacing")
    parser.add_argument("--report", action="store_true", help="print the README table of --out")
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--items", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.report:
        print(markdown(Path(args.out)))
        return
    if args.step:
        steps = {
            "load": lambda: load(args.url, args.items, args.seed),
            "rebuild": lambda: step_rebuild(args.url),
            "incremental": lambda: step_incremental(args.url, args.seed),
            "duckdb": lambda: step_duckdb(args.url),
        }
        print(json.dumps(steps[args.step](), default=str))
        return
    results = []
    for engine, url_for in _databases(args.engines.split(",")):
        for size in (int(s) for s in args.sizes.split(",")):
            url = url_for(size)
            entry: dict[str, Any] = {"engine": engine, "items": size}
            print(f"{engine} {size:,}: loading", flush=True)
            entry["load"] = _run_step("load", url, "--items", str(size), "--seed", str(args.seed))
            print(f"{engine} {size:,}: rebuild", flush=True)
            entry["rebuild"] = _run_step("rebuild", url)
            print(f"  {entry['rebuild']['seconds']:.1f} s", flush=True)
            if engine == "postgresql":
                entry["settle_seconds"] = _settle(url)
            print(f"{engine} {size:,}: incremental", flush=True)
            entry["incremental"] = _run_step("incremental", url, "--seed", str(args.seed))
            print(f"  {entry['incremental']['refresh_seconds']:.2f} s", flush=True)
            # a rebuild of data whose items are classified already: the number to compare
            # with DuckDB (which also gets classified items)
            print(f"{engine} {size:,}: rebuild again", flush=True)
            entry["rebuild_after"] = _run_step("rebuild", url)
            if not args.no_duckdb and engine == "sqlite":
                # the data are the same for every engine (same seed): DuckDB runs once
                print(f"{engine} {size:,}: duckdb", flush=True)
                entry["duckdb"] = _run_step("duckdb", url)
                print(f"  {entry['duckdb']['seconds']:.1f} s", flush=True)
            results.append(entry)
            if engine == "sqlite":
                Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.merge and out.exists():
        fresh = {(r["engine"], r["items"]) for r in results}
        kept = [
            r
            for r in json.loads(out.read_text())["results"]
            if (r["engine"], r["items"]) not in fresh
        ]
        results = kept + results
    out.write_text(json.dumps({"cpu_count": os.cpu_count(), "results": results}, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
