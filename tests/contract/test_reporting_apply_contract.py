"""The documented `$apply` examples of the 7pace Reporting contract (the vendor's examples and
the real clients' URLs), run against the Reporting test data set; every expected value comes
from hand-written SQL on the same SQLite file. Dates are moved into the data set's range
(2026-09-01 .. 2026-10-30); the query forms are verbatim."""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi.testclient import TestClient

from tests.contract import test_reporting_contract as contract

# the contract tests' app, client and db fixtures and their `ok` check (one data set)
app, client, db, ok = contract.app, contract.client, contract.db, contract.ok

V = "/api/odata/v3.2"
LIVE = "w.is_deleted = 0"
DAY = "date(w.timestamp, printf('%+d minutes', u.timezone_offset))"


def rows(db: sqlite3.Connection, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    return db.execute(sql, args).fetchall()


def scalar(db: sqlite3.Connection, sql: str, *args: Any) -> Any:
    return db.execute(sql, args).fetchone()[0]


def test_user_totals_of_a_month_get_and_post(client: TestClient, db: sqlite3.Connection) -> None:
    query = ("$apply=filter(Timestamp ge 2026-09-01T00:00:00Z and Timestamp lt "
             "2026-10-01T00:00:00Z)/groupby((User/Name),aggregate(PeriodLength with sum as "
             "PeriodLength))&$orderby=User/Name")
    body = ok(client, f"{V}/workLogsOnly?{query}")
    want = [{"User": {"Name": n}, "PeriodLength": s} for n, s in rows(
        db, f"SELECT u.name, sum(w.length) FROM worklogs w JOIN users u ON u.id = w.user_id "
            f"WHERE {LIVE} AND w.timestamp >= '2026-09-01' AND w.timestamp < '2026-10-01' "
            "GROUP BY u.name ORDER BY u.name")]
    assert body == {"@odata.context": f"http://testserver{V}/$metadata#workLogsOnly(User(Name),"
                                      "PeriodLength)", "value": want}
    assert all(type(r["PeriodLength"]) is int for r in body["value"])
    posted = client.post(f"{V}/workLogsOnly/$query", content=query.replace("$apply", "apply"),
                         headers={"Content-Type": "text/plain"})
    assert posted.status_code == 200, posted.text
    assert posted.json()["value"] == want


def test_section_10_3_grouped_shape(client: TestClient, db: sqlite3.Connection) -> None:
    body = ok(client, f"{V}/workLogsWorkItems?$apply=groupby((User/Name,"
                      "WorkItem/System_TeamProject),aggregate(PeriodLength with sum as "
                      "PeriodLength))&$orderby=User/Name,WorkItem/System_TeamProject")
    assert body["@odata.context"] == (f"http://testserver{V}/$metadata#workLogsWorkItems("
                                      "User(Name),WorkItem(System_TeamProject),PeriodLength)")
    want = [{"User": {"Name": n}, "WorkItem": {"System_TeamProject": p} if has else None,
             "PeriodLength": s} for n, has, p, s in rows(
        db, "SELECT u.name, i.id IS NOT NULL AS has, p.name, sum(w.length) FROM worklogs w "
            "JOIN users u ON u.id = w.user_id LEFT JOIN work_items i ON i.id = w.work_item_id "
            f"LEFT JOIN team_projects p ON p.id = i.project_id WHERE {LIVE} GROUP BY u.name, "
            "has, p.name ORDER BY u.name, p.name")]
    assert body["value"] == want
    assert sum(r["WorkItem"] is None for r in body["value"]) == 5  # one per user


def test_three_keys_ordered_by_day_desc(client: TestClient, db: sqlite3.Connection) -> None:
    body = ok(client, f"{V}/workLogsWorkItems?$apply=groupby((User/Name,"
                      "WorkItem/System_TeamProject,WorklogDate/ShortDate),aggregate(PeriodLength "
                      "with sum as PeriodLength))&$orderby=WorklogDate/ShortDate desc")
    days = [r["WorklogDate"]["ShortDate"] for r in body["value"]]
    assert days == sorted(days, reverse=True)
    want = rows(db, f"SELECT u.name, i.id IS NOT NULL, p.name, {DAY}, sum(w.length) FROM "
                    "worklogs w JOIN users u ON u.id = w.user_id LEFT JOIN work_items i ON i.id "
                    "= w.work_item_id LEFT JOIN team_projects p ON p.id = i.project_id WHERE "
                    f"{LIVE} GROUP BY 1, 2, 3, 4")
    got = {(r["User"]["Name"], r["WorkItem"] is not None,
            (r["WorkItem"] or {}).get("System_TeamProject"), r["WorklogDate"]["ShortDate"]):
           r["PeriodLength"] for r in body["value"]}
    assert got == {(n, bool(h), p, d): s for n, h, p, d, s in want}
    assert len(body["value"]) == len(want)


def test_project_totals_and_work_items_filter(client: TestClient, db: sqlite3.Connection
                                              ) -> None:
    body = ok(client, f"{V}/workLogsWorkItems?$apply=groupby((WorkItem/System_TeamProject),"
                      "aggregate(PeriodLength with sum as PeriodLength))"
                      "&$orderby=WorkItem/System_TeamProject")
    sums = dict(rows(db, "SELECT p.name, sum(w.length) FROM worklogs w JOIN work_items i ON "
                         "i.id = w.work_item_id JOIN team_projects p ON p.id = i.project_id "
                         f"WHERE {LIVE} GROUP BY p.name"))
    orphan = scalar(db, "SELECT sum(w.length) FROM worklogs w LEFT JOIN work_items i ON i.id = "
                        f"w.work_item_id WHERE {LIVE} AND i.id IS NULL")
    assert body["value"] == [
        {"WorkItem": None, "PeriodLength": orphan},
        {"WorkItem": {"System_TeamProject": "Fabrikam"}, "PeriodLength": sums["Fabrikam"]},
        {"WorkItem": {"System_TeamProject": "Tailspin"}, "PeriodLength": sums["Tailspin"]}]
    fabrikam = ok(client, f"{V}/worklogsOnly?$apply=aggregate(PeriodLength with sum as "
                          "PeriodLength)&workItemsFilter=System_TeamProject eq 'Fabrikam'")
    assert fabrikam["value"] == [{"PeriodLength": sums["Fabrikam"]}]


def test_days_tracked_with_countdistinct(client: TestClient, db: sqlite3.Connection) -> None:
    body = ok(client, f"{V}/worklogsOnly?$apply=groupby((User/Name),aggregate(PeriodLength with "
                      "sum as PeriodLength, WorklogDate/ShortDate with countdistinct as "
                      "DaysTracked))&$orderby=User/Name")
    assert body["value"] == [
        {"User": {"Name": n}, "PeriodLength": s, "DaysTracked": d} for n, s, d in rows(
            db, f"SELECT u.name, sum(w.length), count(DISTINCT {DAY}) FROM worklogs w JOIN "
                f"users u ON u.id = w.user_id WHERE {LIVE} GROUP BY u.name ORDER BY u.name")]


def test_work_item_aggregates(client: TestClient, db: sqlite3.Connection) -> None:
    capex = scalar(db, "SELECT sum(w.length) FROM worklogs w JOIN work_items i ON i.id = "
                       f"w.work_item_id WHERE {LIVE} AND json_extract(i.fields, "
                       "'$.\"System.Tags\"') LIKE '%capex%'")
    body = ok(client, f"{V}/workItems?$apply=filter(contains(CustomStringField1, 'capex'))/"
                      "aggregate(TrackedItself with sum as PeriodLength)&customFields=System.Tags")
    assert body["value"] == [{"PeriodLength": capex}]
    body = ok(client, f"{V}/workItems?$apply=aggregate(TrackedItself with sum as PeriodLength, "
                      "Microsoft_VSTS_Scheduling_Effort with sum as Effort, "
                      "Microsoft_VSTS_Scheduling_OriginalEstimate with sum as OriginalEstimate)")
    tracked = scalar(db, "SELECT sum(w.length) FROM worklogs w JOIN work_items i ON i.id = "
                         f"w.work_item_id WHERE {LIVE}")
    effort, estimate = rows(db, "SELECT total(microsoft_vsts_scheduling_effort), "
                                "total(microsoft_vsts_scheduling_originalestimate) FROM "
                                "work_items")[0]
    assert body["value"] == [{"PeriodLength": tracked, "Effort": effort,
                              "OriginalEstimate": estimate}]


def test_compute_year_month(client: TestClient, db: sqlite3.Connection) -> None:
    body = ok(client, f"{V}/workLogsOnly?$apply=compute(concat(cast(year(Timestamp),Edm.String),"
                      "concat(cast('-',Edm.String),cast(month(Timestamp),Edm.String))) as "
                      "yearMonth)/groupby((yearMonth),aggregate(PeriodLength with sum as "
                      "PeriodLength2))&$orderby=yearMonth")
    months = dict(rows(db, "SELECT CAST(strftime('%m', w.timestamp) AS INTEGER), sum(w.length) "
                           f"FROM worklogs w WHERE {LIVE} GROUP BY 1"))
    assert body["value"] == [{"yearMonth": "2026-10", "PeriodLength2": months[10]},
                             {"yearMonth": "2026-9", "PeriodLength2": months[9]}]
    assert body["@odata.context"].endswith("#workLogsOnly(yearMonth,PeriodLength2)")


def test_budgets_examples(client: TestClient) -> None:
    budgets = ok(client, f"{V}/budgets?$select=Id,BudgetName,Tracked,Comment&$orderby=Id")
    body = ok(client, f"{V}/budgets?$apply=groupby((Id,BudgetName,Tracked,Comment),aggregate(0 "
                      "with sum as junk))/compute(Tracked as PeriodLength)&$orderby=Id")
    assert body["value"] == [{**b, "junk": 0, "PeriodLength": b["Tracked"]}
                             for b in budgets["value"]]
    first = budgets["value"][0]
    per_activity = ok(client, f"{V}/budgets({first['Id']})/Worklogs?$apply=groupby(("
                              "ActivityType/Name,Budget/Id),aggregate(PeriodLength with sum as "
                              "PeriodLength))&$orderby=PeriodLength")
    sums = [r["PeriodLength"] for r in per_activity["value"]]
    assert sums == sorted(sums) and sum(sums) == first["Tracked"] > 0
    assert {r["Budget"]["Id"] for r in per_activity["value"]} == {first["Id"]}


def test_filter_after_groupby(client: TestClient, db: sqlite3.Connection) -> None:
    body = ok(client, f"{V}/workLogsOnly?$apply=groupby((ActivityType/Name),aggregate("
                      "PeriodLength with sum as PeriodLength))&$filter=(ActivityType/Name ne "
                      "'Testing')&$orderby=ActivityType/Name")
    want = rows(db, "SELECT coalesce(a.name, '[Not Set]'), sum(w.length) FROM worklogs w LEFT "
                    f"JOIN activity_types a ON a.id = w.activity_type_id WHERE {LIVE} GROUP BY 1 "
                    "ORDER BY 1")
    assert body["value"] == [{"ActivityType": {"Name": n}, "PeriodLength": s}
                             for n, s in want if n != "Testing"]
    assert len(body["value"]) == 3


def test_c28_monthly_totals_with_worklogs_filter(client: TestClient, db: sqlite3.Connection
                                                 ) -> None:
    body = ok(client, f"{V}/workLogsWorkItems?$apply=filter(Timestamp ge 2026-10-01T00:00:00Z "
                      "and Timestamp le 2026-10-31T23:59:59Z)/groupby((WorkItem/"
                      "System_TeamProject),aggregate(PeriodLength with sum as TotalTime))"
                      "&worklogsFilter=User/Email eq 'bob@contoso.test'"
                      "&$orderby=WorkItem/System_TeamProject")
    want = rows(db, "SELECT i.id IS NOT NULL AS has, p.name, sum(w.length) FROM worklogs w JOIN "
                    "users u ON u.id = w.user_id LEFT JOIN work_items i ON i.id = w.work_item_id "
                    "LEFT JOIN team_projects p ON p.id = i.project_id WHERE "
                    f"{LIVE} AND u.email = 'bob@contoso.test' AND w.timestamp >= '2026-10-01' "
                    "AND w.timestamp < '2026-11-01' GROUP BY has, p.name ORDER BY p.name")
    assert body["value"] == [{"WorkItem": {"System_TeamProject": p} if h else None,
                              "TotalTime": s} for h, p, s in want]


def test_c30_daily_breakdown(client: TestClient, db: sqlite3.Connection) -> None:
    body = ok(client, f"{V}/workLogsWorkItems?$apply=filter(Timestamp ge 2026-10-01 and "
                      "Timestamp lt 2026-11-01 and User/Email eq 'carol@contoso.test')/groupby(("
                      "User/Email,WorklogDate/ShortDate,WorkItem/System_AreaPath,"
                      "WorkItem/System_Title),aggregate(PeriodLength with sum as PeriodLength))"
                      "&$orderby=WorklogDate/ShortDate asc")
    days = [r["WorklogDate"]["ShortDate"] for r in body["value"]]
    assert days == sorted(days)
    assert {r["User"]["Email"] for r in body["value"]} == {"carol@contoso.test"}
    assert sum(r["PeriodLength"] for r in body["value"]) == scalar(
        db, "SELECT sum(w.length) FROM worklogs w JOIN users u ON u.id = w.user_id WHERE "
            f"{LIVE} AND u.email = 'carol@contoso.test' AND w.timestamp >= '2026-10-01'")
    assert len(body["value"]) == scalar(
        db, f"SELECT count(*) FROM (SELECT 1 FROM worklogs w JOIN users u ON u.id = w.user_id "
            "LEFT JOIN work_items i ON i.id = w.work_item_id LEFT JOIN area_paths a ON a.id = "
            f"i.area_id WHERE {LIVE} AND u.email = 'carol@contoso.test' AND w.timestamp >= "
            f"'2026-10-01' GROUP BY {DAY}, i.id IS NULL, a.path, i.title)")


def test_c30_area_paths_of_open_items(client: TestClient, db: sqlite3.Connection) -> None:
    body = ok(client, f"{V}/workItems?$apply=filter(System_State ne 'Closed' and System_State "
                      "ne 'Resolved' and contains(System_AreaPath, 'Fabrikam'))/groupby(("
                      "System_AreaPath))&$orderby=System_AreaPath asc")
    assert body["value"] == [{"System_AreaPath": p} for (p,) in rows(
        db, "SELECT DISTINCT a.path FROM work_items i JOIN area_paths a ON a.id = i.area_id "
            "WHERE i.state NOT IN ('Closed', 'Resolved') AND a.path LIKE '%Fabrikam%' "
            "ORDER BY a.path")]
    assert len(body["value"]) == 2


def test_c31_filter_only_is_entities_with_next_links(client: TestClient,
                                                     db: sqlite3.Connection) -> None:
    one = ok(client, f"{V}/workLogsOnly?$apply=filter(WorkItemId eq 1010)")
    same = ok(client, f"{V}/workLogsOnly?$filter=WorkItemId eq 1010")
    assert one["value"] == same["value"] and len(one["value"]) > 5
    assert one["@odata.context"] == f"http://testserver{V}/$metadata#workLogsOnly"
    ids: list[str] = []
    response = client.get(f"{V}/workLogsOnly?$apply=filter(Timestamp ge 2026-10-01T00:00:00Z)",
                          headers={"Prefer": "odata.maxpagesize=100"})
    while True:
        body = response.json()
        ids += [r["Id"] for r in body["value"]]
        if "@odata.nextLink" not in body:
            break
        assert "$apply=filter(Timestamp" in body["@odata.nextLink"]
        response = client.get(body["@odata.nextLink"], headers={"Prefer": "odata.maxpagesize=100"})
    want = [r[0] for r in rows(db, f"SELECT id FROM worklogs w WHERE {LIVE} AND w.timestamp >= "
                                   "'2026-10-01' ORDER BY w.timestamp, w.id")]
    assert ids == want and len(want) > 500


def test_curl_example_grouped_by_parent(client: TestClient, db: sqlite3.Connection) -> None:
    body = ok(client, f"{V}/workLogsWorkItems?apply=filter(Parent%20ne%20null)/groupby((Parent,"
                      "Timestamp,User/Name,WorkItem/System_Id,WorkItem/System_Title,"
                      "WorkItem/System_TeamProject,ActivityType/Name,WorkItem/System_WorkItemType,"
                      "Budget/BudgetName),aggregate(PeriodLength%20div%203600%20with%20sum%20as%20"
                      "PeriodLength))&workItemsFilter=System_Id%20ne%20null&workLogsFilter="
                      "Timestamp%20ge%202026-09-01T00:00:00Z%20and%20Timestamp%20lt%20"
                      "2026-10-31T00:00:00Z&$expand=Parent($select=System_Id)")
    hours = scalar(db, "SELECT sum(w.length / 3600) FROM worklogs w JOIN work_items i ON i.id = "
                       f"w.work_item_id JOIN work_items p ON p.id = i.parent_id WHERE {LIVE} AND "
                       "w.timestamp >= '2026-09-01' AND w.timestamp < '2026-10-31'")
    assert len(body["value"]) == 1000  # one group per worklog, nearly: a second page
    groups = body["value"] + ok(client, body["@odata.nextLink"])["value"]
    assert sum(r["PeriodLength"] for r in groups) == hours > 0
    first = body["value"][0]
    assert list(first) == ["Parent", "Timestamp", "User", "WorkItem", "ActivityType", "Budget",
                           "PeriodLength"]
    assert set(first["WorkItem"]) == {"System_Id", "System_Title", "System_TeamProject",
                                      "System_WorkItemType"}
    parents = dict(rows(db, "SELECT id, parent_id FROM work_items"))
    assert all(parents[r["WorkItem"]["System_Id"]] == r["Parent"]["System_Id"] for r in groups)
