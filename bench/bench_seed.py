"""Seeding speed: ``mockpace.seed.generate`` against the floor of a plain SQLite bulk insert.

For each size the generator fills a fresh file database (the same kind ``--db :memory:``
uses: a throw-away file, in RAM where /dev/shm exists). The floors then insert *the very same
worklog tuples* (read back from the seeded database beforehand, not timed) into a fresh file
with the same schema, using only ``sqlite3``:

- ``floor``: one ``executemany`` into the indexed table, in one transaction (the brief's floor);
- ``floor*``: the best plain-SQLite variant: drop the worklog indexes, ``executemany``,
  re-create them (the trick the generator itself uses).

Both floors only write worklogs; the generator also builds users, work items, approvals and
budgets, and computes budget inheritance. Wall and CPU seconds are shown: on a shared machine
the CPU time is the steadier number.

Run: ``.venv/bin/python -m bench.bench_seed`` (both sizes) or ``... --sizes 100k``.
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from mockpace.seed import SeedParams, generate
from mockpace.seed.generator import WORKLOG_COLUMNS
from mockpace.store import Store

ANCHOR = date(2026, 3, 6)
SIZES: dict[str, SeedParams] = {
    "100k": SeedParams(seed=1, anchor_date=ANCHOR, users=200, work_items=5_000, days=365,
                       worklogs=100_000),
    "1m": SeedParams(seed=1, anchor_date=ANCHOR, users=2_000, work_items=50_000, days=365,
                     worklogs=1_000_000),
}
SECONDS_LIMIT_1M = 60.0


@dataclass
class Timing:
    wall: float
    cpu: float


def timed(fn: Callable[[], Any]) -> Timing:
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    fn()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


def fresh_store() -> Store:
    store = Store(":memory:")
    store.create_schema()
    return store


def floor(rows: list[tuple[Any, ...]], *, drop_indexes: bool) -> Timing:
    """Plain sqlite3: the same tuples into a fresh file with the same schema and pragmas."""
    store = fresh_store()
    path = store.path
    store.dispose()
    assert path is not None
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=OFF", "cache_size=-65536"):
        conn.execute(f"PRAGMA {pragma}")
    sql = (f"INSERT INTO worklogs ({', '.join(WORKLOG_COLUMNS)}) "
           f"VALUES ({', '.join('?' * len(WORKLOG_COLUMNS))})")

    def run() -> None:
        conn.execute("BEGIN IMMEDIATE")
        indexes = []
        if drop_indexes:
            indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                   "AND tbl_name = 'worklogs' AND sql IS NOT NULL").fetchall()
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
        conn.executemany(sql, rows)
        for _, index_sql in indexes:
            conn.execute(index_sql)
        conn.execute("COMMIT")

    try:
        return timed(run)
    finally:
        conn.close()


def bench(label: str, params: SeedParams) -> dict[str, Any]:
    store = fresh_store()
    phases: dict[str, float] = {}
    start = time.perf_counter()

    def progress(phase: str, done: int, total: int) -> None:
        if done == 0 or done == total:
            phases[f"{phase}:{'start' if done == 0 else 'end'}"] = time.perf_counter() - start

    seed = timed(lambda: generate(store, params, progress=progress))
    counts = store.counts()
    assert store.path is not None
    conn = sqlite3.connect(store.path)
    rows = conn.execute(f"SELECT {', '.join(WORKLOG_COLUMNS)} FROM worklogs ORDER BY rowid"
                        ).fetchall()
    conn.close()
    store.dispose()
    plain = floor(rows, drop_indexes=False)
    best = floor(rows, drop_indexes=True)
    return {"label": label, "worklogs": len(rows), "visible": counts["workLogs"],
            "workItems": counts["workItems"], "users": counts["users"], "seed": seed,
            "floor": plain, "floor*": best, "phases": phases}


def report(results: list[dict[str, Any]]) -> None:
    head = (f"{'size':>5} {'rows':>9} {'items':>6} | {'seed s':>7} {'cpu':>6} {'rows/s':>8} | "
            f"{'floor s':>7} {'cpu':>6} {'ratio':>5} | {'floor* s':>8} {'cpu':>6} {'ratio':>5}")
    print(head)
    print("-" * len(head))
    for r in results:
        seed, plain, best = r["seed"], r["floor"], r["floor*"]
        print(f"{r['label']:>5} {r['worklogs']:>9,} {r['workItems']:>6,} | "
              f"{seed.wall:7.1f} {seed.cpu:6.1f} {r['worklogs'] / seed.wall:8,.0f} | "
              f"{plain.wall:7.1f} {plain.cpu:6.1f} {seed.wall / plain.wall:5.2f} | "
              f"{best.wall:8.1f} {best.cpu:6.1f} {seed.wall / best.wall:5.2f}")
    for r in results:
        marks = ", ".join(f"{k} {v:.1f}s" for k, v in r["phases"].items())
        print(f"\n{r['label']} phases (wall, from the start): {marks}")
        if r["label"] == "1m":
            verdict = "OK" if r["seed"].wall < SECONDS_LIMIT_1M else "OVER"
            print(f"1M target: under {SECONDS_LIMIT_1M:.0f} s -> {r['seed'].wall:.1f} s "
                  f"({verdict}; cpu {r['seed'].cpu:.1f} s)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100k,1m",
                        help=f"comma-separated, from {', '.join(SIZES)} (default: all)")
    # parse_known_args: ``python -m bench seed`` calls main() with the runner's own argv.
    args = parser.parse_known_args(argv)[0]
    results = []
    for label in args.sizes.split(","):
        params = SIZES[label.strip().lower()]
        print(f"[{label}] seeding {params.worklogs:,} worklogs, {params.work_items:,} work items, "
              f"{params.users:,} users ...", flush=True)
        results.append(bench(label.strip().lower(), params))
    print()
    report(results)


if __name__ == "__main__":
    main()
