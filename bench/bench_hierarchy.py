"""Reporting hierarchy benchmark: 1M worklogs / 50k work items in trees 4 to 6 deep.

    .venv/bin/python -m bench.bench_hierarchy [--worklogs 1000000] [--work-items 50000]
    (or MOCKPACE_BENCH_WORKLOGS=N / MOCKPACE_BENCH_WORK_ITEMS=N)

Builds its SQLite file once under /tmp with bench_reporting's builder (``trees=True``: ~2,500
trees of ~20 items, 4 to 6 levels, an Effort on most items), then times over HTTP (mockpace on
uvicorn in a process of its own), each against two floors measured in the same run on the same
file (hand-written SQL + json.dumps of the same rows): in the benchmark's process (no HTTP: the
issue's definition), and served by a bare FastAPI app on the same uvicorn settings in a process
of its own (the end-to-end comparison); the three run interleaved:
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

import sqlite3

from bench.bench_reporting import Bench, Case, arguments, dataset, db_text, dumps

QUARTER = ("2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z")
ROLLUP = "Microsoft.VSTS.Scheduling.Effort, Microsoft.VSTS.Scheduling.RemainingWork"
BILLABLE = "CASE WHEN w.is_billable THEN w.length ELSE 0 END"
SUBTREE = ("d.root_id = i.root_id AND d.hierarchy_path >= i.hierarchy_path AND "
           "d.hierarchy_path < i.hierarchy_path || ':'")


def floor_a(con: sqlite3.Connection) -> tuple[int, str]:
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
    return dumps(["System_Id", "System_Title", "TrackedTotal", "TrackedTotalBillable"], rows)


def floor_b(con: sqlite3.Connection) -> tuple[int, str]:
    rows = con.execute(
        "SELECT i.id, i.title, (SELECT coalesce(sum(w.length), 0) FROM worklogs w WHERE "
        "w.work_item_id = i.id AND w.is_deleted = 0), (SELECT coalesce(sum(w.length), 0) FROM "
        f"work_items d JOIN worklogs w ON w.work_item_id = d.id WHERE {SUBTREE} AND "
        "w.is_deleted = 0), EXISTS (SELECT 1 FROM work_items c WHERE c.parent_id = i.id) FROM "
        "work_items i WHERE i.work_item_type = 'Bug' ORDER BY i.id LIMIT 100").fetchall()
    return dumps(["System_Id", "System_Title", "TrackedItself", "TrackedTotal", "HasChildren"],
                 [(*r[:4], bool(r[4])) for r in rows])


def floor_d(con: sqlite3.Connection) -> tuple[int, str]:
    rows = con.execute(
        "SELECT i.id, i.title, (SELECT sum(d.microsoft_vsts_scheduling_effort) FROM work_items "
        f"d WHERE {SUBTREE}), (SELECT sum(d.microsoft_vsts_scheduling_remainingwork) FROM "
        f"work_items d WHERE {SUBTREE}) FROM work_items i WHERE i.root_id = i.id ORDER BY i.id "
        "LIMIT 100").fetchall()
    return dumps(["System_Id", "System_Title", "RollupValue1", "RollupValue2"], rows)


def floor_e(con: sqlite3.Connection) -> tuple[int, str]:
    """Every budget's sums in one grouped pass over the worklogs."""
    rows = con.execute(
        "SELECT b.id, b.name, b.planned, coalesce(s.t, 0), coalesce(s.b, 0), b.comment, "
        "b.closed, b.closed_date, b.created_date FROM budgets b LEFT JOIN (SELECT "
        f"coalesce(w.budget_id, i.effective_budget_id) AS id, sum(w.length) AS t, sum({BILLABLE}) "
        "AS b FROM worklogs w LEFT JOIN work_items i ON i.id = w.work_item_id WHERE "
        "w.is_deleted = 0 GROUP BY 1) s ON s.id = b.id ORDER BY b.id").fetchall()
    return dumps(["Id", "BudgetName", "Planned", "Tracked", "Billed", "Comment", "Closed",
                  "ClosedDate", "CreatedDate"], [(*r[:6], bool(r[6]), *r[7:]) for r in rows])


def floor_ref(con: sqlite3.Connection) -> tuple[int, str]:
    return dumps(["System_Id"], con.execute("SELECT id FROM work_items ORDER BY id LIMIT 1")
                 .fetchall())


def main() -> None:
    args = arguments(__doc__)
    path = dataset("hierarchy", args, trees=True)
    floors = [floor_a, floor_b, floor_d, floor_e, floor_ref]
    bench = Bench(path, floors)
    quarter = f"Timestamp ge {QUARTER[0]} and Timestamp lt {QUARTER[1]}"
    cases = [
        ("(a) workItemsHierarchy TrackedTotal(+Billable), 1/4", "workItemsHierarchy", {
            "$select": "System_Id,System_Title,TrackedTotal,TrackedTotalBillable",
            "worklogsFilter": quarter}, floor_a, args.repeat),
        ("(b) workItemsHierarchyAllLevels one type", "workItemsHierarchyAllLevels", {
            "$select": "System_Id,System_Title,TrackedItself,TrackedTotal,HasChildren",
            "workItemsFilter": "System_WorkItemType eq 'Bug'"}, floor_b, args.repeat * 10),
        ("(d) workItemsHierarchy rollupFields (2 fields)", "workItemsHierarchy", {
            "$select": "System_Id,System_Title,RollupValue1,RollupValue2",
            "rollupFields": ROLLUP}, floor_d, args.repeat * 10),
        ("(e) budgets, Tracked and Billed", "budgets", {}, floor_e, args.repeat),
        ("(ref) one-row request, the fixed cost", "workItems",
         {"$top": "1", "$select": "System_Id"}, floor_ref, args.repeat * 10),
    ]
    print(f"data set: {args.worklogs} worklogs, {args.work_items} work items in trees 4-6 deep "
          f"({path}); the cases that take milliseconds run 10x --repeat")
    bench.measure([Case(name, lambda s=entity_set, p=params: bench.page(s, p),  # type: ignore[misc]
                        floor, params, repeat)
                   for name, entity_set, params, floor, repeat in cases])
    bench.close()


if __name__ == "__main__":
    main()
