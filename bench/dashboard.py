"""Benchmark of the dashboard (issue 5, point 9); the figures go into the README.

1. **Build** a database with 1,000 accounts and 10^6 items from the sandbox benchmark
   stream (``sandbox.generator``, loaded by bench/fill.py: bulk inserts of the rows
   ``storage.upsert`` writes, or ``--through-upserts`` account by account as the
   collectors write), then ``metrics.api.rebuild``. The database is kept (``--db``) and
   reused by later runs.
2. **Callbacks over HTTP**: ``replywatch serve`` (waitress) in its own process, a
   logged-in ``requests`` session, and the page callback of the portfolio (a consultant:
   every client), of client pages and of account pages, one request at a time; latency
   median and 95th percentile, and the size of the answer. The portfolio download (CSV of
   the whole league table) is timed too.
3. **Page load in Chromium** (Playwright, Debian's chromium, headless): from starting the
   navigation to the rendered table and charts of each page.

    .venv/bin/python bench/dashboard.py                         # build (once), measure
    .venv/bin/python bench/dashboard.py --items 100000 --db /tmp/small.db
    .venv/bin/python bench/dashboard.py --report                # the README table

Figures go to ``bench/results/dashboard.json`` (``--label`` names a run, e.g. "before").
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from fill import END, fill, stream_plan  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from metrics import api  # noqa: E402
from storage.engine import make_engine, session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Account, Client, Item, User, UserClient  # noqa: E402
from storage.passwords import hash_password  # noqa: E402
from tests.support.chromium import chromium, chromium_installed  # noqa: E402

WEEK = "2026-W47"
RESULTS = ROOT / "bench" / "results" / "dashboard.json"
USER, PASSWORD = "bench", "bench-password-1"
OWNER, OWNER_PASSWORD = "owner", "owner-password-1"


# --- 1. the database ---------------------------------------------------------------------


def _add_logins(session: Session) -> None:
    """The consultant who sees everything, and an owner of three clients."""
    session.add(User(username=USER, password_hash=hash_password(PASSWORD), role="consultant"))
    owner = User(username=OWNER, password_hash=hash_password(OWNER_PASSWORD), role="owner")
    session.add(owner)
    session.flush()
    for client_id in session.scalars(select(Client.id).order_by(Client.id).limit(3)):
        session.add(UserClient(user_id=owner.id, client_id=client_id))
    session.commit()


def build(url: str, items: int, accounts: int, *, through_upserts: bool) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    filled = fill(engine, stream_plan(items, accounts=accounts), bulk=not through_upserts)
    with session_factory(engine)() as session:
        _add_logins(session)
        rebuilt = api.rebuild(session, now=END + timedelta(days=5))
        session.commit()
    engine.dispose()
    return {
        "items": filled.items,
        "likes": filled.likes,
        "accounts": filled.accounts,
        "clients": filled.clients,
        ("upsert_s" if through_upserts else "load_s"): round(filled.seconds, 1),
        "rebuild_s": round(rebuilt.seconds, 1),
        # of which the stored league table of the last 26 weeks (metrics.league)
        "league_s": round(dict(rebuilt.stages).get("league table", 0.0), 1),
        "league_weeks": rebuilt.league_weeks,
    }


def describe(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    with session_factory(engine)() as session:
        figures = {
            "items": session.scalar(select(func.count()).select_from(Item)),
            "accounts": session.scalar(select(func.count()).select_from(Account)),
            "clients": session.scalar(select(func.count()).select_from(Client)),
            "client_ids": list(session.scalars(select(Client.id).order_by(Client.id))),
            "account_ids": list(session.scalars(select(Account.id).order_by(Account.id))),
        }
    engine.dispose()
    return figures


# --- 2. the server and its callbacks -----------------------------------------------------


@contextmanager
def serving(url: str, home: Path) -> Iterator[str]:
    """``replywatch serve`` on a free port, stopped with SIGTERM."""
    env = {
        **os.environ,
        "REPLYWATCH_DATABASE_URL": url,
        "XDG_DATA_HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "REPLYWATCH_LOG_LEVEL": "warning",
    }
    command = [str(Path(sys.executable).parent / "replywatch"), "serve", "--port", "0"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert process.stdout is not None
    address = None
    for line in process.stdout:
        found = re.search(r"on (http://\S+/) ", line)
        if found:
            address = found.group(1).rstrip("/")
            break
    if address is None:
        process.wait(timeout=30)
        raise SystemExit("replywatch serve did not start")
    try:
        yield address
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def login(base: str, username: str, password: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{base}/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token, "no CSRF field on the login page"
    answer = browser.post(
        f"{base}/login",
        data={"csrf": token.group(1), "username": username, "password": password},
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:300]
    return browser


def page_callback(browser: requests.Session, base: str, path: str, search: str) -> Any:
    body = {
        "output": "page.children",
        "outputs": {"id": "page", "property": "children"},
        "inputs": [
            {"id": "url", "property": "pathname", "value": path},
            {"id": "url", "property": "search", "value": search},
        ],
        "changedPropIds": ["url.search"],
        "state": [],
    }
    headers = {"X-CSRFToken": browser.cookies.get("_csrf_token", "")}
    return browser.post(f"{base}/_dash-update-component", json=body, headers=headers)


def _stats(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[max(0, -(-95 * len(ordered) // 100) - 1)]  # nearest rank
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def time_callbacks(base: str, figures: dict[str, Any], repeat: int) -> dict[str, Any]:
    rng = random.Random(5)
    consultant = login(base, USER, PASSWORD)
    owner = login(base, OWNER, OWNER_PASSWORD)
    clients = rng.sample(figures["client_ids"], min(repeat, len(figures["client_ids"])))
    accounts = rng.sample(figures["account_ids"], min(repeat, len(figures["account_ids"])))
    cases: dict[str, list[tuple[requests.Session, str, str]]] = {
        "portfolio (consultant, all clients)": [(consultant, "/", f"?period={WEEK}")] * repeat,
        "portfolio, sorted by verdict, page 5": [
            (consultant, "/", f"?period={WEEK}&sort=verdict&page=5")
        ]
        * repeat,
        "portfolio (owner of 3 clients)": [(owner, "/", f"?period={WEEK}")] * repeat,
        "client page": [(consultant, "/client", f"?client={c}&period={WEEK}") for c in clients],
        "account page": [(consultant, "/account", f"?account={a}&period={WEEK}") for a in accounts],
        "account page, 4-week range": [
            (consultant, "/account", f"?account={a}&period=2026-10-26..2026-11-22")
            for a in accounts
        ],
    }
    page_callback(consultant, base, "/", f"?period={WEEK}")  # warm up: imports, caches
    results: dict[str, Any] = {}
    for name, requests_ in cases.items():
        seconds, sizes = [], []
        for browser, path, search in requests_:
            started = time.perf_counter()
            answer = page_callback(browser, base, path, search)
            seconds.append(time.perf_counter() - started)
            assert answer.status_code == 200, (name, answer.status_code, answer.text[:300])
            assert '"id": "denied"' not in answer.text, (name, path, search)
            sizes.append(len(answer.content))
        results[name] = {**_stats(seconds), "kb": round(statistics.median(sizes) / 1024, 1)}
        print(f"  {name}: {results[name]}", file=sys.stderr, flush=True)
    seconds = []
    for _ in range(max(3, repeat // 5)):
        started = time.perf_counter()
        answer = consultant.get(f"{base}/export/portfolio.csv?period={WEEK}")
        seconds.append(time.perf_counter() - started)
        assert answer.status_code == 200
    results["portfolio download (CSV, whole table)"] = {
        **_stats(seconds),
        "kb": round(len(answer.content) / 1024, 1),
    }
    return results


# --- 3. page load in Chromium ------------------------------------------------------------


def _page_loads(page: Any, base: str, path: str, selectors: list[str], repeat: int) -> list[float]:
    seconds = []
    for _ in range(repeat):
        page.goto("about:blank")
        started = time.perf_counter()
        page.goto(f"{base}{path}", wait_until="commit")
        for selector in selectors:
            page.wait_for_selector(selector)
        seconds.append(time.perf_counter() - started)
    return seconds


def _logged_in_page(browser: Any, base: str, username: str, password: str) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(120_000)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_selector("#page-title")
    return page


def time_pages(base: str, figures: dict[str, Any], repeat: int) -> dict[str, Any]:
    if not chromium_installed():
        return {"skipped": "Debian's chromium is not installed"}
    client = figures["client_ids"][len(figures["client_ids"]) // 2]
    account = figures["account_ids"][len(figures["account_ids"]) // 2]
    league = ["#league-table", "#comparison-chart .bar-row"]
    pages = {
        "portfolio (consultant, all clients)": (USER, f"/?period={WEEK}", league),
        # The same page with three clients: what the browser's own work costs.
        "portfolio (owner of 3 clients)": (OWNER, f"/?period={WEEK}", league),
        "client page": (
            USER,
            f"/client?client={client}&period={WEEK}",
            ["#verdict", "#trend-ratio .main-svg", "#hour-heatmap .main-svg"],
        ),
        "account page": (
            USER,
            f"/account?account={account}&period={WEEK}",
            ["#verdict", "#hour-heatmap .main-svg", "#collection-chart .main-svg"],
        ),
    }
    passwords = {USER: PASSWORD, OWNER: OWNER_PASSWORD}
    results: dict[str, Any] = {}
    with chromium() as browser:
        tabs = {name: _logged_in_page(browser, base, name, passwords[name]) for name in passwords}
        for name, (user, path, selectors) in pages.items():
            results[name] = _stats(_page_loads(tabs[user], base, path, selectors, repeat))
            print(f"  page {name}: {results[name]}", file=sys.stderr, flush=True)
    return results


# --- results -----------------------------------------------------------------------------


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def report(path: Path) -> str:
    """The README tables: one column per run (median / 95th percentile)."""
    runs = json.loads(path.read_text())
    heads = [f"{run['engine']}, {run['label']}" for run in runs]
    lines = [
        "Runs: "
        + "; ".join(
            f"{head}: {run['database']['items']:,} items, {run['database']['accounts']:,} "
            f"accounts, {run['database']['clients']:,} clients, load average "
            f"{run['load_average']} ({run['date']})"
            for head, run in zip(heads, runs, strict=True)
        ),
        "",
    ]
    for key, title in (
        ("callbacks", "callback over HTTP, one at a time: median / p95"),
        ("pages", "page load in Chromium, to the rendered table and charts: median / p95"),
    ):
        names: list[str] = []
        for run in runs:
            names += [n for n in run.get(key, {}) if n not in names and n != "skipped"]
        lines.append(f"| {title} | " + " | ".join(heads) + " |")
        lines.append("|---|" + "---:|" * len(runs))
        for name in names:
            cells = []
            for run in runs:
                figures = run.get(key, {}).get(name)
                cells.append(
                    f"{figures['median_ms']:,.0f} / {figures['p95_ms']:,.0f} ms" if figures else "–"
                )
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--db", help="database URL or SQLite file; built when empty")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="build and measure in a throwaway PostgreSQL cluster (gone afterwards)",
    )
    parser.add_argument("--repeat", type=int, default=40, help="requests per callback case")
    parser.add_argument("--page-repeat", type=int, default=5, help="loads per page")
    parser.add_argument("--label", default="dashboard")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument(
        "--through-upserts",
        action="store_true",
        help="build through storage.upsert as collectors write (slower) instead of bulk inserts",
    )
    parser.add_argument("--report", action="store_true", help="print the README table")
    options = parser.parse_args()
    if options.report:
        print(report(RESULTS))
        return
    if options.postgres:
        from tests.support.postgres import throwaway_cluster

        with throwaway_cluster() as admin:
            import psycopg

            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute("CREATE DATABASE bench_dashboard")
            measure(admin.rsplit("/", 1)[0] + "/bench_dashboard", options)
        return
    default_file = Path(tempfile.gettempdir()) / f"replywatch-bench-dashboard-{options.items}.db"
    target = options.db or str(default_file)
    measure(target if "://" in target else f"sqlite:///{target}", options)


def measure(url: str, options: argparse.Namespace) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with session_factory(engine)() as session:
        present = session.scalar(select(func.count()).select_from(Item))
    engine.dispose()
    built = None
    if not present:
        print(f"building {url} ...", file=sys.stderr, flush=True)
        built = build(url, options.items, options.accounts, through_upserts=options.through_upserts)
        print(f"  built: {built}", file=sys.stderr, flush=True)
    figures = describe(url)
    with tempfile.TemporaryDirectory() as home, serving(url, Path(home)) as base:
        callbacks = time_callbacks(base, figures, options.repeat)
        pages = {} if options.no_browser else time_pages(base, figures, options.page_repeat)
    run = {
        "label": options.label,
        "engine": url.split(":", 1)[0].split("+")[0],
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": round(os.getloadavg()[0], 1),
        "database": {
            "items": figures["items"],
            "accounts": figures["accounts"],
            "clients": figures["clients"],
            **({"build": built} if built else {}),
        },
        "callbacks": callbacks,
        "pages": pages,
        "bench_peak_mb": _peak_mb(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    runs = [r for r in runs if (r["label"], r["engine"]) != (run["label"], run["engine"])]
    runs.append(run)
    RESULTS.write_text(json.dumps(runs, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(run, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
