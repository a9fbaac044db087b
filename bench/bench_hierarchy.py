"""Reporting hierarchy benchmark: 1M worklogs / 50k work items in trees 4 to 6 deep.

    .venv/bin/python -m bench.bench_hierarchy [--worklogs 1000000] [--work-items 50000]
    (or MOCKPACE_BENCH_WORKLOGS=N / MOCKPACE_BENCH_WORK_ITEMS=N)

Builds its SQLite file once under /tmp with bench_reporting's builder (``trees=True``: ~2,500
trees of ~20 items, 4 to 6 levels, an Effort on most items), then times over HTTP (mockpace on
uvicorn in a process of its own), each against a floor measured in the same run on the same
file (hand-written SQL + json.dumps of the same rows):
  (a) workItemsHierarchy first page with TrackedTotal, TrackedTotalBillable and a one-quarter
      worklogsFilter;
  (b) workItemsHierarchyAllLevels first page filtered to one work-item type (workItemsFilter),
      with TrackedItself, TrackedTotal and HasChildren;
  (d) workItemsHierarchy first page with rollupFields (two fields);
  (e) budgets with Tracked and Billed (every budget's worklogs by inheritance);
  (ref) a one-row request (workItems?$top=1&$select=System_Id): the fixed cost of any request
      (HTTP, auth, routing, envelope), against SELECT of one id + json.dumps.
"""

from __future__ import annotations

import json
import sqlite3

from bench.bench_reporting import Parsing, arguments, dataset, db_text, serve, timed

QUARTER = ("2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z")
ROLLUP = "Microsoft.VSTS.Scheduling.Effort, Microsoft.VSTS.Scheduling.RemainingWork"
BILLABLE = "CASE WHEN w.is_billable THEN w.length ELSE 0 END"
SUBTREE = ("d.root_id = i.root_id AND d.hierarchy_path >= i.hierarchy_path AND "
           "d.hierarchy_path < i.hierarchy_path || ':'")


def _dump(keys: list[str], rows: list[tuple[object, ...]]) -> int:
    json.dumps({"value": [dict(zip(keys, r, strict=True)) for r in rows]})
    return len(rows)


def floor_a(con: sqlite3.Connection) -> int:
    """The page's roots, then both sums of their trees in one grouped pass (a root's tree is
    every item with its root_id)."""
    roots = "SELECT id FROM work_items WHERE root_id = id ORDER BY id LIMIT 100"
    rows = con.execute(
        f"SELECT r.id, r.title, coalesce(s.t, 0), coalesce(s.b, 0) FROM work_items r LEFT JOIN "
        f"(SELECT d.root_id AS rid, sum(w.length) AS t, sum({BILLABLE}) AS b FROM work_items d "
        f"JOIN worklogs w ON w.work_item_id = d.id WHERE d.root_id IN ({roots}) AND "
        "w.is_deleted = 0 AND w.timestamp >= ? AND w.timestamp < ? GROUP BY d.root_id) s ON "
        f"s.rid = r.id WHERE r.id IN ({roots}) ORDER BY r.id",
        (db_text(QUARTER[0]), db_text(QUARTER[1]))).fetchall()
    return _dump(["System_Id", "System_Title", "TrackedTotal", "TrackedTotalBillable"], rows)


def floor_b(con: sqlite3.Connection) -> int:
    rows = con.execute(
        "SELECT i.id, i.title, (SELECT coalesce(sum(w.length), 0) FROM worklogs w WHERE "
        "w.work_item_id = i.id AND w.is_deleted = 0), (SELECT coalesce(sum(w.length), 0) FROM "
        f"work_items d JOIN worklogs w ON w.work_item_id = d.id WHERE {SUBTREE} AND "
        "w.is_deleted = 0), EXISTS (SELECT 1 FROM work_items c WHERE c.parent_id = i.id) FROM "
        "work_items i WHERE i.work_item_type = 'Bug' ORDER BY i.id LIMIT 100").fetchall()
    return _dump(["System_Id", "System_Title", "TrackedItself", "TrackedTotal", "HasChildren"],
                 [(*r[:4], bool(r[4])) for r in rows])


def floor_d(con: sqlite3.Connection) -> int:
    rows = con.execute(
        "SELECT i.id, i.title, (SELECT sum(d.microsoft_vsts_scheduling_effort) FROM work_items "
        f"d WHERE {SUBTREE}), (SELECT sum(d.microsoft_vsts_scheduling_remainingwork) FROM "
        f"work_items d WHERE {SUBTREE}) FROM work_items i WHERE i.root_id = i.id ORDER BY i.id "
        "LIMIT 100").fetchall()
    return _dump(["System_Id", "System_Title", "RollupValue1", "RollupValue2"], rows)


def floor_e(con: sqlite3.Connection) -> int:
    """Every budget's sums in one grouped pass over the worklogs."""
    rows = con.execute(
        "SELECT b.id, b.name, b.planned, coalesce(s.t, 0), coalesce(s.b, 0), b.comment, "
        "b.closed, b.closed_date, b.created_date FROM budgets b LEFT JOIN (SELECT "
        f"coalesce(w.budget_id, i.effective_budget_id) AS id, sum(w.length) AS t, sum({BILLABLE}) "
        "AS b FROM worklogs w LEFT JOIN work_items i ON i.id = w.work_item_id WHERE "
        "w.is_deleted = 0 GROUP BY 1) s ON s.id = b.id ORDER BY b.id").fetchall()
    return _dump(["Id", "BudgetName", "Planned", "Tracked", "Billed", "Comment", "Closed",
                  "ClosedDate", "CreatedDate"], [(*r[:6], bool(r[6]), *r[7:]) for r in rows])


def main() -> None:
    args = arguments(__doc__)
    path = dataset("hierarchy", args, trees=True)
    server, client, con = serve(path)
    quarter = f"Timestamp ge {QUARTER[0]} and Timestamp lt {QUARTER[1]}"

    def page(path: str, params: dict[str, str]) -> int:
        r = client.get(f"/api/odata/v3.2/{path}", params=params)
        assert r.status_code == 200, r.text
        return len(Parsing.json(r)["value"])

    def run_a() -> int:
        return page("workItemsHierarchy", {
            "$select": "System_Id,System_Title,TrackedTotal,TrackedTotalBillable",
            "worklogsFilter": quarter})

    def run_b() -> int:
        return page("workItemsHierarchyAllLevels", {
            "$select": "System_Id,System_Title,TrackedItself,TrackedTotal,HasChildren",
            "workItemsFilter": "System_WorkItemType eq 'Bug'"})

    def run_ref() -> int:
        return page("workItems", {"$top": "1", "$select": "System_Id"})

    def floor_ref() -> int:
        return _dump(["System_Id"], con.execute("SELECT id FROM work_items ORDER BY id "
                                                "LIMIT 1").fetchall())

    def run_e() -> int:
        return page("budgets", {})

    def run_d() -> int:
        return page("workItemsHierarchy", {
            "$select": "System_Id,System_Title,RollupValue1,RollupValue2",
            "rollupFields": ROLLUP})

    print(f"data set: {args.worklogs} worklogs, {args.work_items} work items in trees 4-6 deep "
          f"({path})")
    print(f"{'case':<52}{'mockpace':>10}{'floor':>10}{'ratio':>7}{'rows':>7}{'1st call':>9}"
          f"{'+parse':>9}{'ratio':>7}")
    for name, fn, floor in (
        ("(a) workItemsHierarchy TrackedTotal(+Billable), 1/4", run_a, lambda: floor_a(con)),
        ("(b) workItemsHierarchyAllLevels one type", run_b, lambda: floor_b(con)),
        ("(d) workItemsHierarchy rollupFields (2 fields)", run_d, lambda: floor_d(con)),
        ("(e) budgets, Tracked and Billed", run_e, lambda: floor_e(con)),
        ("(ref) one-row request, the fixed cost", run_ref, floor_ref),
    ):
        mine, base = timed(fn, args.repeat), timed(floor, args.repeat)
        assert mine.rows == base.rows, (name, mine.rows, base.rows)
        print(f"{name:<52}{mine.wire * 1000:>8.1f}ms{base.wire * 1000:>8.1f}ms"
              f"{mine.wire / base.wire:>7.2f}{mine.rows:>7}{mine.first * 1000:>7.0f}ms"
              f"{mine.parsed * 1000:>7.0f}ms{mine.parsed / base.wire:>7.2f}")
    server.kill()


if __name__ == "__main__":
    main()
