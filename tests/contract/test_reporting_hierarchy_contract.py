"""The documented example queries of the 7pace Reporting contract on the hierarchy sets,
`rollupFields` and the budget sums (navigation paths, calculated fields, 7pace parameters,
hierarchy and budget semantics, the collected vendor and client URLs, and those that combine
them with $apply), run against the Reporting test data set. Expected values come from SQL
written here over the raw parent links (a recursive walk), not from the derived hierarchy
columns the API reads. Dates are moved into the data set's range; the query forms are
verbatim."""

from __future__ import annotations

import sqlite3

from fastapi.testclient import TestClient

# the same module-scoped app, client and database fixtures as the other contract examples
from tests.contract.test_reporting_contract import ROOT, app, client, db, ok

__all__ = ["app", "client", "db"]
# every (ancestor, descendant) pair, each item its own ancestor, walked from the parent links
PAIRS = """WITH RECURSIVE pairs(anc, id) AS (
    SELECT id, id FROM work_items
    UNION ALL SELECT p.anc, c.id FROM work_items c JOIN pairs p ON c.parent_id = p.id)"""


def rejected(client: TestClient, url: str, field: str) -> None:
    response = client.get(url)
    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert f"'{field}'" in message and "worklogsFilter" in message


def totals(db: sqlite3.Connection, where: str = "1") -> dict[int, int]:
    """TrackedTotal of every item: the worklogs (matching ``where``) of its subtree."""
    return dict(db.execute(
        f"{PAIRS} SELECT w.id, (SELECT coalesce(sum(l.length), 0) FROM pairs p JOIN worklogs l "
        f"ON l.work_item_id = p.id WHERE p.anc = w.id AND l.is_deleted = 0 AND {where}) "
        "FROM work_items w").fetchall())


def roots(db: sqlite3.Connection) -> list[int]:
    return [r[0] for r in db.execute(
        "SELECT id FROM work_items WHERE parent_id IS NULL OR parent_id NOT IN "
        "(SELECT id FROM work_items) ORDER BY id")]


def test_collected_hierarchy_examples(client: TestClient, db: sqlite3.Connection) -> None:
    select = ("$select=System_Id,System_WorkItemType,System_TeamProject,System_Title,"
              "TrackedTotal,TrackedItself,RollupValue1,System_State,System_AreaPath,"
              "System_AssignedTo,HasChildren")
    example = (f"{ROOT}/v3.2/workItemsHierarchy?{select}&$filter=TrackedTotal gt 0"
               "&$orderby=TrackedTotal desc&rollupFields=Microsoft.VSTS.Scheduling.Effort")
    rejected(client, example, "TrackedTotal")  # calculated field without worklogsFilter
    window = "Timestamp ge 2026-10-01 and Timestamp lt 2026-10-15"
    body = ok(client, f"{example}&worklogsFilter={window}")
    want = totals(db, "l.timestamp >= '2026-10-01' AND l.timestamp < '2026-10-15'")
    top = [r for r in roots(db) if want[r] > 0]
    assert [r["System_Id"] for r in body["value"]] == sorted(top, key=lambda i: -want[i])
    assert [r["TrackedTotal"] for r in body["value"]] == sorted(
        (want[i] for i in top), reverse=True)
    row = body["value"][0]
    assert list(row) == ["System_Id", "System_AreaPath", "System_AssignedTo", "System_State",
                         "System_TeamProject", "System_Title", "System_WorkItemType",
                         "TrackedItself", "TrackedTotal", "HasChildren", "RollupValue1"]
    effort = dict(db.execute(
        f"{PAIRS} SELECT p.anc, sum(w.microsoft_vsts_scheduling_effort) FROM pairs p "
        "JOIN work_items w ON w.id = p.id GROUP BY p.anc").fetchall())
    assert {r["System_Id"]: r["RollupValue1"] for r in body["value"]} == \
        {i: effort[i] for i in top}

    levels = (f"{ROOT}/v3.2/workItemsHierarchyAllLevels?$select=System_Id,System_WorkItemType,"
              "System_TeamProject,System_Title,TrackedTotal,TrackedItself,System_State,"
              "System_AreaPath,System_AssignedTo,HasChildren,Microsoft_VSTS_Scheduling_Effort"
              "&$filter=TrackedTotal gt 0&workItemsFilter=System_WorkItemType eq "
              "'Product Backlog Item' or System_WorkItemType eq 'Bug'")
    rejected(client, levels, "TrackedTotal")
    body = ok(client, f"{levels}&worklogsFilter={window}")
    bugs = [r[0] for r in db.execute(
        "SELECT id FROM work_items WHERE work_item_type IN ('Product Backlog Item', 'Bug') "
        "ORDER BY id")]
    assert [r["System_Id"] for r in body["value"]] == [b for b in bugs if want[b] > 0]
    assert all(r["System_WorkItemType"] == "Bug" for r in body["value"])


def test_navigation_paths_and_drill_down(client: TestClient, db: sqlite3.Connection) -> None:
    everything = totals(db)
    for parent in roots(db)[:3]:
        children = ok(client, f"{ROOT}/v3.2/workItemsHierarchy({parent})/Children")["value"]
        assert [c["System_Id"] for c in children] == [r[0] for r in db.execute(
            "SELECT id FROM work_items WHERE parent_id = ? ORDER BY id", (parent,))]
        assert all(c["TrackedTotal"] == everything[c["System_Id"]] for c in children)
        assert all(set(c) >= {"TrackedItself", "TrackedItselfBillable", "TrackedTotal",
                              "TrackedTotalBillable", "HasChildren", "RollupValue1"}
                   for c in children)
        every = ok(client, f"{ROOT}/v3.2/workItemsHierarchy({parent})/AllWorklogs")["value"]
        assert sum(w["PeriodLength"] for w in every) == everything[parent]
        direct = ok(client, f"{ROOT}/v3.2/workItemsHierarchy({parent})/DirectWorklogs")["value"]
        assert {w["WorkItemId"] for w in direct} <= {parent}
    # the drill-down rule of the vendor's widgets holds on every row
    for row in ok(client, f"{ROOT}/v3.2/workItemsHierarchyAllLevels")["value"]:
        assert row["TrackedTotal"] >= row["TrackedItself"]
        if row["TrackedTotal"] > row["TrackedItself"]:
            assert row["HasChildren"]


def test_seven_pace_parameter_examples(client: TestClient, db: sqlite3.Connection) -> None:
    body = ok(client, f"{ROOT}/v3.2/workItemsHierarchy/?$select=System_Id,System_WorkItemType,"
                      "System_TeamProject,System_Title,TrackedTotal,TrackedItself&$filter="
                      "System_WorkItemType eq 'Epic'&worklogsFilter=Timestamp ge "
                      "2026-09-30T00:00:00Z and Timestamp lt 2026-10-05T00:00:00Z")
    want = totals(db, "l.timestamp >= '2026-09-30' AND l.timestamp < '2026-10-05'")
    epics = [r for r in roots(db) if db.execute(
        "SELECT work_item_type FROM work_items WHERE id = ?", (r,)).fetchone()[0] == "Epic"]
    assert {r["System_Id"]: r["TrackedTotal"] for r in body["value"]} == \
        {e: want[e] for e in epics}
    custom = ok(client, f"{ROOT}/v3.2/workItemsHierarchy?$select=System_Id,System_Title,"
                        "TrackedTotal,CustomStringField1,CustomStringField2,CustomNumericField3"
                        "&customFields=ProjectCode,Custom.Finance,AdditionalField.Order")
    assert list(custom["value"][0]) == ["System_Id", "System_Title", "CustomStringField1",
                                        "CustomStringField2", "CustomNumericField3",
                                        "TrackedTotal"]
    gallery = ok(client, f"{ROOT}/v3.2/workItemsHierarchy?rollupFields="
                         "Microsoft.VSTS.Scheduling.Effort, Microsoft.VSTS.Scheduling."
                         "OriginalEstimate, Microsoft.VSTS.Scheduling.RemainingWork, "
                         "Microsoft.VSTS.Scheduling.CompletedWork")["value"]
    assert [r["RollupValue2"] for r in gallery] == [None] * len(gallery)  # no estimates set
    assert any(r["RollupValue1"] for r in gallery)
    assert all(r["RollupValue5"] is None for r in gallery)
    sample = ok(client, f"{ROOT}/v3.0/workItemsHierarchy?rollupFields=Microsoft.VSTS.Scheduling"
                        ".CompletedWork&$filter=System_CreatedDate gt 2026-07-01T00:00:00Z and "
                        "System_CreatedDate lt 2026-09-01T00:00:00Z")["value"]
    assert [r["System_Id"] for r in sample] == [r for r in roots(db) if db.execute(
        "SELECT created_date > '2026-07-01' AND created_date < '2026-09-01' FROM work_items "
        "WHERE id = ?", (r,)).fetchone()[0]]


def test_budget_examples(client: TestClient, db: sqlite3.Connection) -> None:
    budgets = ok(client, f"{ROOT}/v3.2/budgets?$orderby=BudgetName")["value"]
    assert [b["BudgetName"] for b in budgets] == ["Budget A", "Budget B", "Budget C"]
    want = {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT coalesce(l.budget_id, w.effective_budget_id), sum(l.length), sum(coalesce("
        "l.billable_length, CASE WHEN l.is_billable THEN l.length ELSE 0 END)) FROM worklogs l "
        "LEFT JOIN work_items w ON w.id = l.work_item_id WHERE l.is_deleted = 0 GROUP BY 1")}
    for budget in budgets:
        assert (budget["Tracked"], budget["Billed"]) == want.get(budget["Id"], (0, 0))
        items = ok(client, f"{ROOT}/v3.2/budgets({budget['Id']})/WorkItems")["value"]
        assert [i["System_Id"] for i in items] == [r[0] for r in db.execute(
            "SELECT id FROM work_items WHERE effective_budget_id = ? ORDER BY id",
            (budget["Id"],))]
    assert sum(b["Tracked"] for b in budgets) > 0


# -- the $apply examples on the hierarchy sets and budgets ------------------------------------
def test_apply_over_hierarchy_examples(client: TestClient, db: sqlite3.Connection) -> None:
    everything = totals(db)
    types = dict(db.execute("SELECT id, work_item_type FROM work_items").fetchall())
    body = ok(client, f"{ROOT}/v3.2/workItemsHierarchyAllLevels?$apply=aggregate(TrackedTotal "
                      "with sum as PeriodLength)&workItemsFilter=System_WorkItemType eq 'Bug'")
    assert body["value"] == [{"PeriodLength": sum(
        t for i, t in everything.items() if types[i] == "Bug")}]
    example = (f"{ROOT}/v3.2/workItemsHierarchyAllLevels?$apply=filter(System_State eq 'Done' "
               "and TrackedTotal gt 0)/aggregate(Microsoft_VSTS_Scheduling_Effort with sum as "
               "Effort)&workItemsFilter=System_WorkItemType in ('Bug', 'Product Backlog Item')")
    rejected(client, example, "TrackedTotal")  # the rule holds inside $apply too
    window = "Timestamp ge 2026-10-01 and Timestamp lt 2026-10-15"
    want = totals(db, "l.timestamp >= '2026-10-01' AND l.timestamp < '2026-10-15'")
    effort = sum(r[1] or 0 for r in db.execute(
        "SELECT id, microsoft_vsts_scheduling_effort FROM work_items WHERE state = 'Done' AND "
        "work_item_type IN ('Bug', 'Product Backlog Item')") if want[r[0]] > 0)
    assert ok(client, f"{example}&worklogsFilter={window}")["value"] == [{"Effort": effort}]

    root = roots(db)[0]
    by_user = ok(client, f"{ROOT}/v3.2/workItemsHierarchyAllLevels({root})/AllWorklogs?$apply="
                         "groupby((User/Name),aggregate(PeriodLength with sum as PeriodLength))"
                         "&$orderby=User/Name")["value"]
    assert by_user == [{"User": {"Name": r[0]}, "PeriodLength": r[1]} for r in db.execute(
        f"{PAIRS} SELECT u.name, sum(l.length) FROM pairs p JOIN worklogs l ON l.work_item_id = "
        "p.id JOIN users u ON u.id = l.user_id WHERE p.anc = ? AND l.is_deleted = 0 GROUP BY "
        "u.name ORDER BY u.name", (root,))]
    months = ok(client, f"{ROOT}/v3.2/workItemsHierarchy({root})/AllWorklogs?$apply=compute("
                        "concat(cast(year(Timestamp),Edm.String),concat(cast('-',Edm.String),"
                        "cast(month(Timestamp),Edm.String))) as yearMonth)/groupby((yearMonth),"
                        "aggregate(PeriodLength with sum as PeriodLength2))&$orderby=yearMonth"
                        )["value"]
    assert [m["yearMonth"] for m in months] == ["2026-10", "2026-9"]
    assert sum(m["PeriodLength2"] for m in months) == everything[root]


def test_apply_over_budgets_examples(client: TestClient, db: sqlite3.Connection) -> None:
    budgets = ok(client, f"{ROOT}/v3.2/budgets")["value"]
    grouped = ok(client, f"{ROOT}/v3.2/budgets?$apply=groupby((Id,BudgetName,Tracked,Comment),"
                         "aggregate(0 with sum as junk))/compute(Tracked as PeriodLength)"
                         )["value"]
    assert sorted((g["Id"], g["PeriodLength"], g["junk"]) for g in grouped) == sorted(
        (b["Id"], b["Tracked"], 0) for b in budgets)
    busy = max(budgets, key=lambda b: b["Tracked"])
    rows = ok(client, f"{ROOT}/v3.2/budgets({busy['Id']})/Worklogs?$apply=groupby(("
                      "ActivityType/Name,Budget/Id),aggregate(PeriodLength with sum as "
                      "PeriodLength))&$orderby=PeriodLength")["value"]
    assert [r["PeriodLength"] for r in rows] == sorted(r["PeriodLength"] for r in rows)
    assert {r["Budget"]["Id"] for r in rows} == {busy["Id"]}
    assert sum(r["PeriodLength"] for r in rows) == busy["Tracked"] > 0
