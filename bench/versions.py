"""Two checkouts of the metrics engine side by side, on the same data, turn by turn.

``bench/metrics.py`` measures one version at a time; on a machine shared with other work
its seconds vary by a factor of two between runs an hour apart, more than the difference
between two versions. This script measures both in alternation: each loads the benchmark
stream into its own database (the schemas differ) and classifies it once; then, round
after round, each version gets a fresh copy for a full rebuild and another for 1,000 new
items and their incremental refresh, the very steps of ``bench/metrics.py``. Reported are
medians of the wall seconds and of the CPU seconds (this process and, on PostgreSQL, the
server process working for it), the steadier figure when other jobs share the cores.

    .venv/bin/python bench/versions.py --before ../v1-checkout --sizes 100000 --rounds 5

The other checkout needs its own ``.venv`` (``make install`` there) and its own
``bench/metrics.py`` with the steps ``load``, ``rebuild`` and ``incremental``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent


# --- inside one checkout (run with that checkout's Python, from its folder) ---------------


def _server_cpu(session: Any) -> float:
    """CPU seconds of the PostgreSQL process serving ``session`` (0 on SQLite)."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return 0.0
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_here(url: str, what: str) -> dict[str, Any]:
    """Run that checkout's bench step and time its first rebuild or refresh call."""
    sys.path.insert(0, os.getcwd())
    spec = importlib.util.spec_from_file_location("checkout_bench", "bench/metrics.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.path.insert(1, str(Path("bench").resolve()))  # its own helpers (fill.py)
    spec.loader.exec_module(bench)
    import metrics.api as api

    measured: list[dict[str, Any]] = []

    def timed(name: str) -> None:
        call = getattr(api, name)

        def wrapper(session: Any, *args: Any, **kwargs: Any) -> Any:
            server, cpu, wall = _server_cpu(session), time.process_time(), time.perf_counter()
            result = call(session, *args, **kwargs)
            session.commit()
            wall = time.perf_counter() - wall
            cpu = time.process_time() - cpu + _server_cpu(session) - server
            measured.append({"wall": wall, "cpu": cpu, "stages": dict(result.stages)})
            return result

        setattr(api, name, wrapper)

    timed("rebuild")
    timed("refresh")
    if what == "rebuild":
        bench.step_rebuild(url)
    else:
        bench.step_incremental(url, 7)
    return measured[0]


# --- orchestration ----------------------------------------------------------------------


def _in(checkout: Path, *args: str) -> dict[str, Any]:
    python = checkout / ".venv" / "bin" / "python"
    done = subprocess.run(
        [str(python), *args], cwd=checkout, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{checkout}: {' '.join(args[:3])} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def _databases(engine: str) -> Iterator[tuple[Callable[[str], str], Callable[[str, str], str]]]:
    """(new database named N -> url, copy of database N as M -> url of M)."""
    if engine == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="rw-versions-"))

        def new_file(name: str) -> str:
            return f"sqlite:///{folder / name}.db"

        def copy_file(name: str, copy: str) -> str:
            shutil.copy(folder / f"{name}.db", folder / f"{copy}.db")
            return new_file(copy)

        try:
            yield new_file, copy_file
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg

    sys.path.insert(0, str(ROOT))
    from tests.support.postgres import throwaway_cluster

    with throwaway_cluster() as admin:
        base = admin.rsplit("/", 1)[0]

        def create(name: str, template: str | None = None) -> str:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {name}")
                suffix = f" TEMPLATE {template}" if template else ""
                connection.execute(f"CREATE DATABASE {name}{suffix}")
            return f"{base}/{name}"

        yield create, lambda name, copy: create(copy, name)


def compare(
    checkouts: dict[str, Path], engine: str, size: int, rounds: int
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        label: {"rebuild": [], "refresh": []} for label in checkouts
    }
    with _databases(engine) as (new, copy):
        for label, checkout in checkouts.items():
            url = new(f"{label}_{size}")
            print(f"{engine} {size:,} {label}: loading and classifying", flush=True)
            _in(checkout, "bench/metrics.py", "--step", "load", "--url", url,
                "--items", str(size))  # fmt: skip
            _in(checkout, "bench/metrics.py", "--step", "rebuild", "--url", url)
        for turn in range(rounds):
            for label, checkout in checkouts.items():
                for what, key in (("rebuild", "rebuild"), ("incremental", "refresh")):
                    url = copy(f"{label}_{size}", "scratch")
                    result = _in(checkout, str(HERE), "--measure", what, "--url", url)
                    runs[label][key].append(result)
                    print(f"  round {turn + 1} {label} {key}: {result['wall']:.2f} s wall, "
                          f"{result['cpu']:.2f} s CPU", flush=True)  # fmt: skip
    return runs


def report(results: list[dict[str, Any]]) -> str:
    lines = [
        "| engine, items | step | before: wall / CPU | after: wall / CPU | change (wall / CPU) |",
        "|---|---|---|---|---|",
    ]
    for entry in results:
        for key in ("rebuild", "refresh"):
            sides = [entry["runs"][label][key] for label in ("before", "after")]
            (bw, bc), (aw, ac) = (
                (
                    statistics.median(r["wall"] for r in side),
                    statistics.median(r["cpu"] for r in side),
                )
                for side in sides
            )
            step = "full rebuild" if key == "rebuild" else "refresh of 1,000 new items"
            change = f"{100 * (aw / bw - 1):+.0f} % / {100 * (ac / bc - 1):+.0f} %"
            lines.append(
                f"| {entry['engine']} {entry['items']:,} | {step} | {bw:.2f} / {bc:.2f} s "
                f"| {aw:.2f} / {ac:.2f} s | {change} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", help="the other checkout (with its .venv)")
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "versions.json"))
    parser.add_argument("--report", action="store_true", help="print the table of --out")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure_here(args.url, args.measure)))
        return
    out = Path(args.out)
    if args.report:
        print(report(json.loads(out.read_text())["results"]))
        return
    if not args.before:
        parser.error("--before names the checkout to compare with")
    checkouts = {"before": Path(args.before).resolve(), "after": ROOT}
    results = []
    for engine in args.engines.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            runs = compare(checkouts, engine, size, args.rounds)
            results.append({"engine": engine, "items": size, "runs": runs})
    load = os.getloadavg()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"load_average": load, "results": results}, indent=1))
    print(report(results))
    print(f"load average at the end: {load[0]:.1f}; written to {out}")


if __name__ == "__main__":
    main()
