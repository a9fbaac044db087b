"""`$apply` benchmark: grouped sums over 1M worklogs / 50k work items (or --worklogs N), HTTP.

    .venv/bin/python -m bench.bench_apply [--worklogs 1000000] [--work-items 50000]

The data set is bench_reporting's (same builder, same sizes), in a file of its own under /tmp
with the work items spread over five team projects, so grouping by project means something.
Times, each against a floor measured in the same run on the same file (hand-written SQL giving
the same groups + json.dumps of the same nested rows):
  (c1) workLogsWorkItems?$apply=filter(one month)/groupby((User/Name,
       WorkItem/System_TeamProject),aggregate(PeriodLength with sum as PeriodLength));
  (c2) the same groupby over the whole data set.
End to end: mockpace on uvicorn in a process of its own, an httpx client (parse time apart,
as in bench_reporting); mockpace and the floor run alternately (medians of --repeat each).
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench import servers
from bench.bench_reporting import (
    MONTH,
    TOKEN,
    Parsing,
    Timing,
    arguments,
    dataset,
    db_text,
    serve_reporting,
)
from mockpace.store.engine import MMAP_BYTES

PROJECTS = 5
GROUPBY = ("groupby((User/Name,WorkItem/System_TeamProject),aggregate(PeriodLength with sum "
           "as PeriodLength))")


def spread_projects(path: Path) -> None:
    """Five team projects, work item n in project n % 5 (untimed, once per built file)."""
    with sqlite3.connect(path) as con:
        con.executemany("INSERT OR IGNORE INTO team_projects VALUES (?, ?, 'Agile')",
                        [(f"p{n}", f"Project {n}") for n in range(1, PROJECTS + 1)])
        con.execute(f"UPDATE work_items SET project_id = 'p' || (id % {PROJECTS} + 1)")
        con.execute("ANALYZE")


def floor(con: sqlite3.Connection, month: bool) -> int:
    """The same groups, nested the same way, by hand-written SQL + json.dumps."""
    where = "w.is_deleted = 0"
    args: tuple[str, ...] = ()
    if month:
        where += " AND w.timestamp >= ? AND w.timestamp < ?"
        args = (db_text(MONTH[0]), db_text(MONTH[1]))
    rows = con.execute(
        # LEFT JOIN users (every worklog has one): an inner join lets SQLite drive the scan
        # from users through the user index, measured 2.3x slower
        "SELECT u.name, i.id IS NOT NULL, p.name, sum(w.length) FROM worklogs w LEFT JOIN "
        "users u ON u.id = w.user_id LEFT JOIN work_items i ON i.id = w.work_item_id LEFT JOIN "
        f"team_projects p ON p.id = i.project_id WHERE {where} GROUP BY 1, 2, 3 "
        "ORDER BY 1, 2, 3", args).fetchall()
    json.dumps({"value": [{"User": {"Name": n}, "WorkItem": {"System_TeamProject": p} if has
                           else None, "PeriodLength": s} for n, has, p, s in rows]})
    return len(rows)


def interleaved(mine: Callable[[], int], base: Callable[[], int], repeat: int
                ) -> tuple[Timing, Timing]:
    """Both timed alternately, one warm-up call each: on the shared machine the load drifts
    within seconds, and a grouping over 1M rows takes seconds, so back-to-back series would
    compare different loads."""
    runs: dict[str, list[tuple[float, float, int]]] = {"mine": [], "base": []}
    first = {}
    for i in range(repeat + 1):
        for name, fn in (("mine", mine), ("base", base)):
            Parsing.seconds = 0.0
            start = time.perf_counter()
            rows = fn()
            took = time.perf_counter() - start
            if i == 0:
                first[name] = took
            else:
                runs[name].append((took - Parsing.seconds, took, rows))

    def timing(name: str) -> Timing:
        wire = statistics.median(r[0] for r in runs[name])
        parsed = statistics.median(r[1] for r in runs[name])
        return Timing(wire, parsed, runs[name][-1][2], first[name])

    return timing("mine"), timing("base")


def main() -> None:
    args = arguments(__doc__)
    path = dataset("apply", args, spread_projects)
    server, port = servers.start(serve_reporting, str(path))
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}",
                          headers={"Authorization": f"Bearer {TOKEN}"}, timeout=600)
    con = sqlite3.connect(path)
    con.execute("PRAGMA cache_size=-65536")  # the floor reads the file as mockpace does
    con.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    month = f"filter(Timestamp ge {MONTH[0]} and Timestamp lt {MONTH[1]})/"

    def grouped(apply: str) -> int:
        r = client.get("/api/odata/v3.2/workLogsWorkItems", params={"$apply": apply})
        assert r.status_code == 200, r.text
        body = Parsing.json(r)
        assert "@odata.nextLink" not in body
        return len(body["value"])

    print(f"data set: {args.worklogs} worklogs, {args.work_items} work items ({path})")
    print(f"{'case':<40}{'mockpace':>10}{'floor':>10}{'ratio':>7}{'groups':>7}{'1st call':>9}"
          f"{'+parse':>9}{'ratio':>7}")
    for name, apply, is_month in (("(c1) groupby user+project, one month", month + GROUPBY,
                                   True),
                                  ("(c2) groupby user+project, all", GROUPBY, False)):
        mine, base = interleaved(lambda a=apply: grouped(a), lambda m=is_month: floor(con, m),
                                 args.repeat)
        assert mine.rows == base.rows, (mine.rows, base.rows)
        print(f"{name:<40}{mine.wire * 1000:>8.1f}ms{base.wire * 1000:>8.1f}ms"
              f"{mine.wire / base.wire:>7.2f}{mine.rows:>7}{mine.first * 1000:>7.0f}ms"
              f"{mine.parsed * 1000:>7.0f}ms{mine.parsed / base.wire:>7.2f}")
    server.kill()


if __name__ == "__main__":
    main()
