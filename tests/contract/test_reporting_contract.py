"""The documented example queries of the 7pace Reporting contract (those that need no
hierarchy set and no $apply), run against the Reporting test data set: status, rows, shape.
Dates are moved into the data set's range (2026-09-01 .. 2026-10-30); the query forms are
verbatim."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.reporting.dataset import TOKENS, build_reporting_app
from tests.conftest import default_org

ROOT = "/api/odata"


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return build_reporting_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    headers = {"Authorization": f"Bearer {TOKENS['alice@contoso.test']}"}
    with TestClient(app, headers=headers) as c:
        yield c


@pytest.fixture(scope="module")
def db(app: FastAPI) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(str(default_org(app).store.path))
    yield con
    con.close()


def ok(client: TestClient, url: str) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["OData-Version"] == "4.0"
    return response.json()  # type: ignore[no-any-return]


def rejected(client: TestClient, url: str, needle: str) -> None:
    response = client.get(url)
    assert response.status_code == 400, response.text
    assert needle in response.json()["error"]["message"]


def column(db: sqlite3.Connection, sql: str, *args: Any) -> list[Any]:
    return [r[0] for r in db.execute(sql, args)]


# -- section 6.3: calculated fields -------------------------------------------------------------
def test_calculated_fields_rules(client: TestClient, db: sqlite3.Connection) -> None:
    base = f"{ROOT}/v3.0/workitems?$select=System_Id,System_WorkItemType,TrackedItself"
    body = ok(client, f"{base}&$filter=System_TeamProject eq 'Fabrikam'")
    assert [r["System_Id"] for r in body["value"]] == column(
        db, "SELECT w.id FROM work_items w JOIN team_projects p ON p.id = w.project_id "
            "WHERE p.name = 'Fabrikam' ORDER BY w.id")
    assert list(body["value"][0]) == ["System_Id", "System_WorkItemType", "TrackedItself"]
    base3 = (f"{ROOT}/v3.0/workitems?$select=System_Id,System_WorkItemType,System_TeamProject,"
             "TrackedItself&$filter=System_TeamProject eq 'Fabrikam'")
    rejected(client, f"{base3}&$orderby=TrackedItself desc", "worklogsFilter")
    rejected(client, f"{base3} and TrackedItself ge 3600", "worklogsFilter")
    window = "&worklogsFilter=Timestamp ge 2026-10-01 and Timestamp lt 2026-10-15"
    v32 = base3.replace("v3.0", "v3.2")
    ordered = ok(client, f"{v32}&$orderby=TrackedItself desc{window}")["value"]
    filtered = ok(client, f"{v32} and TrackedItself ge 3600{window}")["value"]
    expected = dict(db.execute(
        "SELECT w.id, (SELECT coalesce(sum(l.length), 0) FROM worklogs l WHERE "
        "l.work_item_id = w.id AND l.is_deleted = 0 AND l.timestamp >= '2026-10-01' AND "
        "l.timestamp < '2026-10-15') FROM work_items w JOIN team_projects p ON "
        "p.id = w.project_id WHERE p.name = 'Fabrikam'").fetchall())
    assert {r["System_Id"]: r["TrackedItself"] for r in ordered} == expected
    assert [r["TrackedItself"] for r in ordered] == sorted(expected.values(), reverse=True)
    assert sorted(r["System_Id"] for r in filtered) == sorted(
        k for k, v in expected.items() if v >= 3600)


# -- section 7 ------------------------------------------------------------------------------------
def test_worklogs_filter_on_worklog_set(client: TestClient, db: sqlite3.Connection) -> None:
    body = ok(client, f"{ROOT}/v3.2/workLogsWorkItems?$select=WorkItemId,Timestamp,PeriodLength,"
                      "User,ActivityType,WorkItem/System_Title,EditedTimestamp&workLogsFilter="
                      "EditedTimestamp gt 2026-10-01T00:00:00Z and EditedTimestamp lt "
                      "2026-10-03T00:00:00Z")
    expected = column(db, "SELECT count(*) FROM worklogs WHERE is_deleted = 0 AND "
                          "edited_timestamp > '2026-10-01' AND edited_timestamp < '2026-10-03'")
    assert len(body["value"]) == expected[0] > 0
    row = body["value"][0]
    assert list(row) == ["WorkItemId", "Timestamp", "PeriodLength", "EditedTimestamp", "User",
                         "ActivityType", "WorkItem"]
    assert list(row["User"]) == ["Id", "Name", "Email"]


def test_custom_fields_example(client: TestClient, db: sqlite3.Connection) -> None:
    body = ok(client, f"{ROOT}/v3.2/workItems?$select=System_Id,System_Title,CustomStringField1,"
                      "CustomNumericField2,CustomBooleanField3&customFields=System.Tags,"
                      "Custom.CostCenter,Custom.Billable")
    tags = dict(db.execute("SELECT id, json_extract(fields, '$.\"System.Tags\"') "
                           "FROM work_items").fetchall())
    centers = dict(db.execute("SELECT id, json_extract(fields, '$.\"Custom.CostCenter\"') "
                              "FROM work_items").fetchall())
    for row in body["value"]:
        assert row["CustomStringField1"] == tags[row["System_Id"]]
        assert row["CustomNumericField2"] == centers[row["System_Id"]]


def test_post_query_example(client: TestClient, db: sqlite3.Connection) -> None:
    response = client.post(f"{ROOT}/v3.2/workLogsOnly/$query",
                           content="$filter=WorkItemId in (1001,1002,1003)",
                           headers={"Content-Type": "text/plain", "Accept": "application/json"})
    assert response.status_code == 200
    got = sorted(r["Id"] for r in response.json()["value"])
    assert got == sorted(column(db, "SELECT id FROM worklogs WHERE is_deleted = 0 AND "
                                    "work_item_id IN (1001, 1002, 1003)"))


# -- section 15 -----------------------------------------------------------------------------------
def test_section_15_work_items(client: TestClient, db: sqlite3.Connection) -> None:
    rejected(client, f"{ROOT}/v3.2/workItems?$filter=TrackedItself gt 0", "worklogsFilter")
    rejected(client, f"{ROOT}/v3.2/workItems?$filter=TrackedItself gt 0 and System_IterationPath "
                     "eq 'Project Name/Iteration Path'", "worklogsFilter")
    budgets = ok(client, f"{ROOT}/v3.2/budgets")["value"]
    assert sorted(b["BudgetName"] for b in budgets) == ["Budget A", "Budget B", "Budget C"]
    assert list(budgets[0]) == ["Id", "BudgetName", "Planned", "Tracked", "Billed", "Comment",
                                "Closed", "ClosedDate", "CreatedDate"]
    parents = dict(db.execute("SELECT c.id, p.id FROM work_items c LEFT JOIN work_items p "
                              "ON p.id = c.parent_id").fetchall())
    with_parent = ok(client, f"{ROOT}/v3.2/workItems?$expand=Parent&$select=System_Id,Parent")
    for row in with_parent["value"]:
        assert set(row) == {"System_Id", "Parent"}
        parent = row["Parent"]
        assert (parent and parent["System_Id"]) == parents[row["System_Id"]]
        if parent:
            assert "System_AreaId" not in parent and "System_Title" in parent
    roots = ok(client, f"{ROOT}/v3.2/workItems?$expand=Root&$select=System_Id,Root")["value"]
    assert {r["System_Id"]: r["Root"]["System_Id"] for r in roots}[1010] == 1000
    slim = ok(client, f"{ROOT}/v3.2/workItems?$expand=Root($select=System_Id)"
                      "&$select=System_Id,Root")["value"]
    assert slim[10] == {"System_Id": 1010, "Root": {"System_Id": 1000}}
    assert slim[6] == {"System_Id": 1006, "Root": {"System_Id": 1006}}  # dangling parent
    assert ok(client, f"{ROOT}/v3.2/workItems(1010)/Parent")["System_Id"] == 1007
    direct = ok(client, f"{ROOT}/v3.2/workItems(1010)/DirectWorkLogs")["value"]
    assert sorted(r["Id"] for r in direct) == sorted(column(
        db, "SELECT id FROM worklogs WHERE work_item_id = 1010 AND is_deleted = 0"))
    all_logs = ok(client, f"{ROOT}/v3.2/workItems(1007)/AllWorklogs?$top=5000")["value"]
    subtree = column(db, "WITH RECURSIVE t(id) AS (SELECT 1007 UNION ALL SELECT w.id FROM "
                         "work_items w JOIN t ON w.parent_id = t.id) SELECT l.id FROM worklogs l "
                         "JOIN t ON l.work_item_id = t.id WHERE l.is_deleted = 0")
    assert sorted(r["Id"] for r in all_logs) == sorted(subtree)


def test_section_15_worklogs(client: TestClient, db: sqlite3.Connection) -> None:
    typo = client.get(f"{ROOT}/v3.3-beta/workLogsWorkItemsWithDeleted?$filter(EditedTimestamp lt"
                      " 2026-10-01T00:00:00Z and EditedTimestamp ge 2026-09-11T00:00:00Z)"
                      "&$orderBy=Timestamp desc&$select=Id,IsDeleted,Comment")
    assert typo.status_code == 400 and "Unknown query option '$filter(" in typo.text
    fixed = ok(client, f"{ROOT}/v3.3-beta/workLogsWorkItemsWithDeleted?$filter=EditedTimestamp lt"
                       " 2026-10-01T00:00:00Z and EditedTimestamp ge 2026-09-11T00:00:00Z"
                       "&$orderBy=Timestamp desc&$select=Id,IsDeleted,Comment")
    assert [r["Id"] for r in fixed["value"]] == column(
        db, "SELECT id FROM worklogs WHERE edited_timestamp < '2026-10-01' AND edited_timestamp "
            ">= '2026-09-11' ORDER BY timestamp DESC, id DESC")
    assert list(fixed["value"][0]) == ["Id", "Comment", "IsDeleted"]
    v30 = ok(client, f"{ROOT}/v3.0/workLogsWorkItems?$select=WorkItem/System_Id,"
                     "WorkItem/BudgetAssignmentType,WorkItem/System_AreaId&$top=3")
    assert list(v30["value"][0]["WorkItem"]) == ["BudgetAssignmentType", "System_AreaId",
                                                 "System_Id"]
    recent = ok(client, f"{ROOT}/v3.2/workLogsWorkItems?$orderby=Timestamp desc&$top=100&$select="
                        "EditedTimestamp,WorkItemId,Timestamp,PeriodLength,User,ActivityType,"
                        "WorkItem/System_Title,WorkItem/System_WorkItemType,"
                        "WorkItem/System_TeamProject,Comment")["value"]
    assert len(recent) == 100
    assert [r["Timestamp"][:19].replace("T", " ") for r in recent] == [
        t[:19] for t in column(db, "SELECT timestamp FROM worklogs WHERE is_deleted = 0 "
                                   "ORDER BY timestamp DESC, id DESC LIMIT 100")]
    assert set(recent[0]) == {"EditedTimestamp", "WorkItemId", "Timestamp", "PeriodLength",
                              "User", "ActivityType", "WorkItem", "Comment"}
    one = ok(client, f"{ROOT}/v3.2/worklogsWorkItems?$top=1&$select=WorkItem/System_Id,Id")
    assert set(one["value"][0]) == {"Id", "WorkItem"} and "@odata.nextLink" not in one
    rejected(client, f"{ROOT}/v3.2/workItems?$select=TrackedItself,System_Id,System_Title,"
                     "CustomStringField1&customFields=System.Tags&$filter=contains("
                     "CustomStringField1, 'capex')&$orderby=TrackedItself desc&$top=30",
             "worklogsFilter")


def test_section_15_full_urls(client: TestClient, db: sqlite3.Connection) -> None:
    by_budget = ok(client, f"{ROOT}/v3.2/workItems?$select=System_Id,Parent,Budget/BudgetName"
                           "&$expand=Parent($select=System_Id)&workItemsFilter=Budget/BudgetName "
                           "eq 'Budget A'")["value"]
    assert [r["System_Id"] for r in by_budget] == column(
        db, "SELECT w.id FROM work_items w JOIN budgets b ON b.id = w.effective_budget_id "
            "WHERE b.name = 'Budget A' ORDER BY w.id")
    assert all(r["Budget"] == {"BudgetName": "Budget A"} and set(r) == {
        "System_Id", "Budget", "Parent"} for r in by_budget)
    v31 = ok(client, f"{ROOT}/v3.1/workLogsWorkItems?$filter=EditedTimestamp%20ge%202026-10-01T00"
                     "%3A00%3A00%2B01%3A00%20and%20EditedTimestamp%20lt%202026-10-08T00%3A00%3A00"
                     "%2B02%3A00&$expand=ParentItem%28%24select%3DSystem_Id%29&$top=1000")
    assert len(v31["value"]) == column(
        db, "SELECT count(*) FROM worklogs WHERE is_deleted = 0 AND edited_timestamp >= "
            "'2026-09-30 23:00:00' AND edited_timestamp < '2026-10-07 22:00:00'")[0]
    assert all("ParentItem" in r for r in v31["value"])
    deleted = ok(client, f"{ROOT}/v3.3-beta/workLogsWorkItemsWithDeleted?$filter=EditedTimestamp "
                         "ge 2026-10-01T00:00:00%2B02:00 and EditedTimestamp lt "
                         "2026-10-09T00:00:00%2B02:00")["value"]
    assert any(r["IsDeleted"] for r in deleted) and all("IsDeleted" in r for r in deleted)
    mine = ok(client, f"{ROOT}/v3.2/workLogsWorkItems?$filter=Timestamp ge 2026-10-01T00:00:00Z "
                      "and Timestamp lt 2026-11-01T00:00:00Z&$orderby=Timestamp asc&prefilter=Me")
    assert {r["User"]["Email"] for r in mine["value"]} == {"alice@contoso.test"}
    ids = ok(client, f"{ROOT}/v3.2/workItems?$filter=System_Id in (1001,1002,1003)"
                     "&$select=System_Id,System_Title")["value"]
    assert [list(r) for r in ids] == [["System_Id", "System_Title"]] * 3
    search = ok(client, f"{ROOT}/v3.2/workItems?$filter=contains(System_Title,'page')&$select="
                        "System_Id,System_Title,System_WorkItemType,System_State,"
                        "System_AssignedTo,System_CreatedDate&$orderby=System_CreatedDate desc"
                        "&$top=50")["value"]
    assert [r["System_Id"] for r in search] == column(
        db, "SELECT id FROM work_items WHERE title LIKE '%page%' ORDER BY created_date DESC, "
            "id DESC LIMIT 50")
    onprem = client.get("/api/DefaultCollection/odata/v3.2/workLogsWorkItems?$select="
                        "EditedTimestamp,CreatedTimestamp,WorkItem,Comment&$filter=(Timestamp ge "
                        "2026-10-10T00:00:00Z and Timestamp le 2026-10-17T23:59:59Z)")
    assert onprem.status_code == 400
    assert onprem.json()["error"]["message"].startswith("This set of parameters is not allowed")
    slash = ok(client, f"{ROOT}/v3.0/workLogsWorkItems/?$filter=Timestamp ge "
                       "2026-10-10T00:00:00Z and Timestamp lt 2026-10-11T00:00:00Z")
    assert slash["@odata.context"] == \
        "http://testserver/api/odata/v3.0/$metadata#workLogsWorkItems"
    onprem_ok = ok(client, "/api/DefaultCollection/odata/v3.2/workItems?$top=1&$select=System_Id")
    assert onprem_ok["@odata.context"] == \
        "http://testserver/api/DefaultCollection/odata/v3.2/$metadata#workItems(System_Id)"
