"""`$apply` benchmark: grouped sums over 1M worklogs / 50k work items (or --worklogs N), HTTP.

    .venv/bin/python -m bench.bench_apply [--worklogs 1000000] [--work-items 50000]

The data set is bench_reporting's (same builder, same sizes), in a file of its own under /tmp
with the work items spread over five team projects, so grouping by project means something.
Times, each against two floors measured in the same run on the same file (hand-written SQL
giving the same groups + json.dumps of the same nested rows): in the benchmark's process (no
HTTP), and served by a bare FastAPI app on the same uvicorn settings in a process of its own:
  (c1) workLogsWorkItems?$apply=filter(one month)/groupby((User/Name,
       WorkItem/System_TeamProject),aggregate(PeriodLength with sum as PeriodLength));
  (c2) the same groupby over the whole data set.
End to end: mockpace on uvicorn in a process of its own, an httpx client (parse time apart,
as in bench_reporting); mockpace and both floors run interleaved (medians of --repeat each).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bench.bench_reporting import MONTH, Bench, Case, Parsing, arguments, dataset, db_text

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


def floor(con: sqlite3.Connection, month: bool) -> tuple[int, str]:
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
    return len(rows), json.dumps({"value": [
        {"User": {"Name": n}, "WorkItem": {"System_TeamProject": p} if has else None,
         "PeriodLength": s} for n, has, p, s in rows]})


def floor_month(con: sqlite3.Connection) -> tuple[int, str]:
    return floor(con, True)


def floor_all(con: sqlite3.Connection) -> tuple[int, str]:
    return floor(con, False)


def main() -> None:
    args = arguments(__doc__)
    path = dataset("apply", args, spread_projects)
    bench = Bench(path, [floor_month, floor_all], timeout=600)
    month = f"filter(Timestamp ge {MONTH[0]} and Timestamp lt {MONTH[1]})/"

    def grouped(apply: str) -> int:
        r = bench.client.get("/api/odata/v3.2/workLogsWorkItems", params={"$apply": apply})
        assert r.status_code == 200, r.text
        body = Parsing.json(r)
        assert "@odata.nextLink" not in body
        return len(body["value"])

    print(f"data set: {args.worklogs} worklogs, {args.work_items} work items ({path})")
    bench.measure([
        Case(f"({name}) groupby user+project, {span}", lambda a=apply: grouped(a),  # type: ignore[misc]
             fl, {"$apply": apply}, args.repeat)
        for name, span, apply, fl in (("c1", "one month", month + GROUPBY, floor_month),
                                      ("c2", "all", GROUPBY, floor_all))], width=40)
    bench.close()


if __name__ == "__main__":
    main()
