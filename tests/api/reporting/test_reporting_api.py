"""The Reporting API through HTTP: documents, versions, sets, keys, navigation, options,
7pace parameters, errors and headers."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.reporting.dataset import TOKENS
from tests.conftest import bearer, tokens

V = "/api/odata/v3.2"
JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true"
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


def get(client: TestClient, path: str, status: int = 200, **params: str) -> Any:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    return response.json()


def odata_error(client: TestClient, path: str, status: int, **params: str) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.headers["OData-Version"] == "4.0"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "target", "details"}
    return body["error"]  # type: ignore[no-any-return]


# -- documents ---------------------------------------------------------------------------------
def test_service_document_per_version(client: TestClient) -> None:
    response = client.get(V)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_TYPE
    assert response.headers["OData-Version"] == "4.0"
    body = response.json()
    assert body["@odata.context"] == "http://testserver/api/odata/v3.2/$metadata"
    assert [s["name"] for s in body["value"]] == [
        "workLogsOnly", "budgets", "workLogsWorkItems", "workItemsHierarchy",
        "workItemsHierarchyAllLevels", "workItems"]
    assert body["value"][0] == {"name": "workLogsOnly", "kind": "EntitySet",
                                "url": "workLogsOnly"}
    beta = get(client, "/api/odata/v3.3-beta")
    assert [s["name"] for s in beta["value"]][-2:] == ["workLogsOnlyWithDeleted",
                                                       "workLogsWorkItemsWithDeleted"]


def metadata(client: TestClient, version: str) -> ET.Element:
    response = client.get(f"/api/odata/{version}/$metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    return ET.fromstring(response.content)


def declared(root: ET.Element, type_name: str, tag: str = "Property") -> list[str]:
    for node in root.iter():
        if node.tag in (f"{EDM}EntityType", f"{EDM}ComplexType") and \
                node.get("Name") == type_name:
            return [p.get("Name", "") for p in node.findall(f"{EDM}{tag}")]
    raise AssertionError(f"{type_name} not in $metadata")


def test_metadata_namespaces_and_container(client: TestClient) -> None:
    root = metadata(client, "v3.0")
    assert root.get("Version") == "4.0"
    namespaces = [s.get("Namespace") for s in root.iter(f"{EDM}Schema")]
    assert namespaces == ["TimetrackerOnline.Reporting.Models",
                          "TimetrackerOnline.Entities.Extensions", "Default"]
    container = next(root.iter(f"{EDM}EntityContainer"))
    assert container.get("Name") == "Container"
    sets = {s.get("Name"): s.get("EntityType") for s in container.findall(f"{EDM}EntitySet")}
    assert sets["workItems"] == "TimetrackerOnline.Reporting.Models.ReportingWorkItemFlat"
    enum = next(root.iter(f"{EDM}EnumType"))
    assert [(m.get("Name"), m.get("Value")) for m in enum] == [
        ("NotComputed", "0"), ("NoBudget", "1"), ("DirectlyAssigned", "2"),
        ("InheritedFromParent", "3"), ("InheritedFromIteration", "4")]
    flat_navs = declared(root, "ReportingWorkItemFlat", "NavigationProperty")
    assert flat_navs == ["ParentItem", "Children", "DirectWorklogs"]
    assert "HierarchyPath" not in declared(root, "ReportingWorkItem")
    v32 = metadata(client, "v3.2")
    assert declared(v32, "ReportingWorkItemFlat", "NavigationProperty") == [
        "Parent", "Root", "Children", "DirectWorklogs", "AllWorklogs"]
    assert "HierarchyPath" in declared(v32, "ReportingWorkItem")


@pytest.mark.parametrize(("version", "entity_set", "type_name"), [
    ("v3.2", "workLogsOnly", "ReportingWorkLog"),
    ("v3.2", "workLogsWorkItems", "ReportingWorkLogWorkItem"),
    ("v3.0", "workItems", "ReportingWorkItemFlat"),
    ("v3.2", "workItems", "ReportingWorkItemFlat"),
    ("v3.2", "budgets", "ReportingBudgetExtended"),
    ("v3.3-beta", "workLogsWorkItemsWithDeleted", "ReportingWorkLogWorkItemWithDeleted"),
])
def test_metadata_lists_exactly_the_json_properties(client: TestClient, version: str,
                                                    entity_set: str, type_name: str) -> None:
    root = metadata(client, version)
    body = get(client, f"/api/odata/{version}/{entity_set}", **{"$top": "50"})
    row = next(r for r in body["value"] if all(
        not isinstance(v, dict) or v is not None for v in r.values()))
    assert list(row) == declared(root, type_name)
    complex_types = {"User": "ReportingUser", "ActivityType": "ReportingActivityType",
                     "WorklogDate": "ReportingDate", "WorkItem": "ReportingWorkItem"}
    for name, complex_type in complex_types.items():
        if isinstance(row.get(name), dict):
            assert list(row[name]) == declared(root, complex_type), name


def test_versions(client: TestClient) -> None:
    error = odata_error(client, "/api/odata/v2.9/workItems", 404)
    assert "Unknown Reporting API version 'v2.9'" in error["message"]
    assert odata_error(client, "/api/odata/v3.2/workLogsOnlyWithDeleted", 404)["code"] == \
        "NotFound"
    row = get(client, "/api/odata/v3.0/workItems(1010)")
    assert "HierarchyPath" not in row
    assert get(client, "/api/odata/v3.2/workItems(1010)")["HierarchyPath"] == "/1000/1007/1010/"
    assert get(client, "/api/odata/v3.1/workItems(1010)/Parent")["System_Id"] == 1007
    assert odata_error(client, "/api/odata/v3.0/workItems(1010)/Parent", 404)["code"] == \
        "NotFound"
    assert get(client, "/api/odata/v3.0/workItems(1010)/ParentItem")["System_Id"] == 1007
    odata_error(client, "/api/odata/v3.1/workItems(1010)/Root", 404)
    assert get(client, "/api/odata/v3.2/workItems(1010)/Root")["System_Id"] == 1000
    odata_error(client, "/api/odata/v3.0/workItems(1010)/AllWorklogs", 404)


# -- auth ----------------------------------------------------------------------------------------
def test_auth_errors_are_odata_bodies(client: TestClient) -> None:
    response = client.get(f"{V}/workItems", headers={"Authorization": ""})
    assert response.status_code == 401
    body = response.json()["error"]
    assert body["code"] == "UnauthorizedError" and "Authorization required" in body["message"]
    assert set(body) == {"code", "message", "target", "details"}
    response = client.get(f"{V}/workItems", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and "not valid" in response.json()["error"]["message"]
    # the caller is checked before the version segment (401, not 404)
    response = client.get("/api/odata/v9.9/workItems", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and "not valid" in response.json()["error"]["message"]
    basic = base64.b64encode(f":{TOKENS['bob@contoso.test']}".encode()).decode()
    response = client.get(f"{V}/workItems(1000)", headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200 and response.json()["System_Id"] == 1000


# -- sets, keys, navigation ----------------------------------------------------------------------
def test_worklog_shape(client: TestClient) -> None:
    body = get(client, f"{V}/workLogsWorkItems", **{
        "$filter": "WorkItemId eq null and Comment eq 'Meeting'", "$top": "1"})
    row = body["value"][0]
    assert row["WorkItem"] is None and row["WorkItemId"] is None
    assert row["Timestamp"].endswith("Z") and "T" in row["Timestamp"]
    assert set(row["WorklogDate"]) == {"Year", "Month", "Day", "ShortDate"}
    assert row["ActivityType"]["Id"] == row["ActivityTypeId"]
    detailed = get(client, f"{V}/workLogsOnly", **{
        "$filter": "ActivityType/Name eq '[Not Set]'", "$top": "1",
        "$select": "ActivityTypeId,ActivityType"})["value"][0]
    assert detailed == {"ActivityTypeId": "00000000-0000-0000-0000-000000000000",
                        "ActivityType": {"Id": "00000000-0000-0000-0000-000000000000",
                                         "Color": "ffffff", "Name": "[Not Set]"}}


def test_worklog_date_uses_the_owner_time_zone(client: TestClient) -> None:
    # Carol is UTC-5: her worklog at 02:00-04:59 UTC belongs to the previous local day
    rows = get(client, f"{V}/workLogsOnly", **{
        "$filter": "User/Email eq 'carol@contoso.test' and hour(Timestamp) lt 5",
        "$select": "Timestamp,WorklogDate"})["value"]
    assert rows
    for r in rows:
        assert r["WorklogDate"]["ShortDate"] < r["Timestamp"][:10]
        assert r["WorklogDate"]["Day"] == int(r["WorklogDate"]["ShortDate"][8:])


def test_single_entities_and_missing_keys(client: TestClient) -> None:
    first = get(client, f"{V}/workLogsOnly", **{"$top": "1", "$select": "Id"})["value"][0]["Id"]
    row = get(client, f"{V}/workLogsOnly({first})", **{"$select": "Id,PeriodLength"})
    assert row["@odata.context"] == "http://testserver/api/odata/v3.2/$metadata#workLogsOnly/$entity"
    assert row["Id"] == first and set(row) == {"@odata.context", "Id", "PeriodLength"}
    assert get(client, f"{V}/workLogsOnly('{first.upper()}')")["Id"] == first
    missing = odata_error(client, f"{V}/workLogsOnly(7c9e6679-7425-40de-944b-e07fc1f90ae7)", 404)
    assert "has the key" in missing["message"]
    bad = odata_error(client, f"{V}/workItems(abc)", 400)
    assert "Edm.Int32" in bad["message"]
    assert odata_error(client, f"{V}/workItems(99999)", 404)["code"] == "NotFound"


def test_navigation_paths(client: TestClient) -> None:
    children = get(client, f"{V}/workItems(1000)/Children", **{"$select": "System_Id"})
    assert children["@odata.context"].endswith("#workItems(System_Id)")
    assert [c["System_Id"] for c in children["value"]] == [1007, 1016, 1024, 1056]
    direct = get(client, f"{V}/workItems(1007)/DirectWorkLogs", **{"$select": "WorkItemId"})
    assert direct["value"] and {r["WorkItemId"] for r in direct["value"]} == {1007}
    all_logs = get(client, f"{V}/workItems(1007)/AllWorklogs", **{"$select": "WorkItemId",
                                                                  "$top": "1000"})
    assert {r["WorkItemId"] for r in all_logs["value"]} > {1007}
    assert client.get(f"{V}/workItems(1000)/Parent").status_code == 204
    budgets = get(client, f"{V}/budgets", **{"$orderby": "BudgetName"})["value"]
    budget_id = budgets[0]["Id"]
    items = get(client, f"{V}/budgets({budget_id})/WorkItems", **{"$select": "System_Id,Budget/Id"})
    assert items["value"] and all(i["Budget"]["Id"] == budget_id for i in items["value"])
    logs = get(client, f"{V}/budgets({budget_id})/Worklogs", **{"$select": "PeriodLength",
                                                               "$top": "100000"})
    assert sum(r["PeriodLength"] for r in logs["value"]) == budgets[0]["Tracked"]


def test_with_deleted_sets(client: TestClient) -> None:
    beta = "/api/odata/v3.3-beta"
    body = get(client, f"{beta}/workLogsWorkItemsWithDeleted", **{
        "$filter": "IsDeleted eq true", "$select": "Id,IsDeleted,Comment", "$count": "true"})
    assert body["@odata.count"] == 16
    assert all(r["IsDeleted"] is True for r in body["value"])
    total = get(client, f"{beta}/workLogsOnlyWithDeleted", **{"$count": "true", "$top": "0"})
    assert total["@odata.count"] == 1500
    normal = get(client, f"{beta}/workLogsOnly", **{"$count": "true", "$top": "0"})
    assert normal["@odata.count"] == 1484
    error = odata_error(client, f"{V}/workLogsOnly", 400, **{"$select": "IsDeleted"})
    assert "unknown property 'IsDeleted'" in error["message"]


# -- options ---------------------------------------------------------------------------------------
def test_option_names_case_and_dollar(client: TestClient) -> None:
    a = get(client, f"{V}/WORKITEMS", **{"filter": "System_Id lt 1003", "SELECT": "System_Id",
                                         "$OrderBy": "System_Id desc"})
    assert [r["System_Id"] for r in a["value"]] == [1002, 1001, 1000]
    b = get(client, f"{V}/workitems", **{"%24filter": "System_Id lt 1002"})
    assert len(b["value"]) == 60  # a literally "%24filter"-named parameter is not an option
    response = client.get(f"{V}/workitems?%24filter=System_Id+lt+1002&%24select=System_Id")
    assert [r["System_Id"] for r in response.json()["value"]] == [1000, 1001]


def test_context_names_selected_properties_as_the_model_spells_them(client: TestClient) -> None:
    """$select is matched case-insensitively; @odata.context names what the rows carry."""
    body = get(client, f"{V}/workLogsOnly", **{"$select": "periodlength, id", "$top": "1"})
    assert body["@odata.context"].endswith("#workLogsOnly(PeriodLength,Id)")
    assert list(body["value"][0]) == ["Id", "PeriodLength"]
    nested = get(client, f"{V}/workLogsWorkItems", **{
        "$select": "workitem/system_id,user,*", "$top": "1"})
    assert nested["@odata.context"].endswith("#workLogsWorkItems(WorkItem/System_Id,User,*)")


def test_select_paths_and_whole_objects(client: TestClient) -> None:
    body = get(client, f"{V}/workLogsWorkItems", **{
        "$select": "Id,WorkItem/System_Title,WorkItem/System_Id,User",
        "$filter": "WorkItem/System_Id eq 1010", "$top": "1"})
    assert body["@odata.context"].endswith(
        "#workLogsWorkItems(Id,WorkItem/System_Title,WorkItem/System_Id,User)")
    row = body["value"][0]
    assert list(row) == ["Id", "User", "WorkItem"]
    assert list(row["WorkItem"]) == ["System_Id", "System_Title"]
    for whole in ("WorkItem", "Budget"):
        error = odata_error(client, f"{V}/workLogsWorkItems", 400, **{"$select": f"Id,{whole}"})
        assert error["message"].startswith("This set of parameters is not allowed")
        assert error["target"] == "$select"


def test_expand_with_nested_options(client: TestClient) -> None:
    body = get(client, f"{V}/workItems", **{
        "$select": "System_Id", "$filter": "System_Id in (1000, 1001)",
        "$expand": "Children($select=System_Id;$filter=System_Id gt 1010;$orderby=System_Id "
                   "desc;$top=2),Parent($select=System_Id)"})
    assert body["value"] == [
        {"System_Id": 1000, "Parent": None,
         "Children": [{"System_Id": 1056}, {"System_Id": 1024}]},
        {"System_Id": 1001, "Parent": None,
         "Children": [{"System_Id": 1037}, {"System_Id": 1035}]},
    ]
    nested = get(client, f"{V}/workItems", **{
        "$select": "System_Id", "$filter": "System_Id eq 1007",
        "$expand": "DirectWorklogs($select=PeriodLength;$top=1;$orderby=PeriodLength desc),"
                   "Children($select=System_Id;$expand=Parent($select=System_Id))"})
    row = nested["value"][0]
    assert len(row["DirectWorklogs"]) == 1
    assert all(c["Parent"] == {"System_Id": 1007} for c in row["Children"])
    error = odata_error(client, f"{V}/workItems", 400, **{"$expand": "Parent($top=1)"})
    assert "only allowed inside the expansion of a collection" in error["message"]


def test_orderby_several_keys_and_paths(client: TestClient) -> None:
    rows = get(client, f"{V}/workLogsOnly", **{
        "$orderby": "User/Name,PeriodLength desc", "$select": "User/Name,PeriodLength",
        "$top": "3000"})["value"]
    keys = [(r["User"]["Name"], -r["PeriodLength"]) for r in rows]
    assert keys == sorted(keys)
    error = odata_error(client, f"{V}/workLogsOnly", 400, **{"$orderby": "User desc"})
    assert "not a primitive property" in error["message"] and error["target"] == "$orderby"


# -- 7pace parameters ------------------------------------------------------------------------------
def test_tracked_itself_and_worklogs_filter(client: TestClient) -> None:
    error = odata_error(client, f"{V}/workItems", 400, **{"$orderby": "TrackedItself desc"})
    assert "worklogsFilter" in error["message"]
    window = "Timestamp ge 2026-10-01 and Timestamp lt 2026-10-15"
    body = get(client, f"{V}/workItems", **{
        "$select": "System_Id,TrackedItself,TrackedItselfBillable",
        "$orderby": "TrackedItself desc", "$filter": "TrackedItself gt 0",
        "worklogsFilter": window, "$top": "5"})
    top_item = body["value"][0]
    logs = get(client, f"{V}/workItems({top_item['System_Id']})/DirectWorklogs", **{
        "$filter": window, "$select": "PeriodLength,BillablePeriodLength"})["value"]
    assert top_item["TrackedItself"] == sum(r["PeriodLength"] for r in logs)
    assert top_item["TrackedItselfBillable"] == sum(r["BillablePeriodLength"] for r in logs)
    values = [r["TrackedItself"] for r in body["value"]]
    assert values == sorted(values, reverse=True)
    bad = odata_error(client, f"{V}/workItems", 400,
                      worklogsFilter="WorkItem/CustomStringField1 eq 'x'")
    assert "customFields slot" in bad["message"] and bad["target"] == "worklogsFilter"


def test_workitems_filter_on_worklogs_and_root_target(client: TestClient) -> None:
    by_type = get(client, f"{V}/workLogsWorkItems", **{
        "workItemsFilter": "System_WorkItemType in ('Bug')",
        "$select": "WorkItem/System_WorkItemType",
        "$top": "5000"})["value"]
    assert by_type and {r["WorkItem"]["System_WorkItemType"] for r in by_type} == {"Bug"}
    rooted = get(client, f"{V}/workItems", **{
        "workItemsFilter": "System_Id eq 1000", "workItemFilterApplyTarget": "RootWorkItems",
        "$select": "System_Id,HierarchyPath"})["value"]
    assert rooted and all(r["HierarchyPath"].startswith("/1000/") for r in rooted)
    assert len(rooted) > 1
    error = odata_error(client, f"{V}/workItems", 400, workItemFilterApplyTarget="Leaves")
    assert "RootWorkItems" in error["message"]


def test_custom_fields_slots(client: TestClient) -> None:
    body = get(client, f"{V}/workItems", **{
        "customFields": "System.Tags,Custom.CostCenter,Custom.Billable,"
                        "Microsoft.VSTS.Scheduling.Effort",
        "$select": "System_Id,CustomStringField1,CustomNumericField2,CustomBooleanField3,"
                   "CustomNumericField4,CustomStringField2,Microsoft_VSTS_Scheduling_Effort",
        "$filter": "contains(CustomStringField1, 'capex')"})
    rows = body["value"]
    assert rows and all("capex" in r["CustomStringField1"] for r in rows)
    assert all(r["CustomStringField2"] is None for r in rows)
    assert all(r["CustomNumericField4"] == r["Microsoft_VSTS_Scheduling_Effort"] for r in rows)
    assert {type(r["CustomBooleanField3"]) for r in rows} <= {bool, type(None)}
    too_many = odata_error(client, f"{V}/workItems", 400, customFields="a,b,c,d,e,f")
    assert "at most 5" in too_many["message"]


def test_prefilter_me(client: TestClient) -> None:
    rows = get(client, f"{V}/workLogsWorkItems", **{"prefilter": "Me", "$select": "User/Email",
                                                     "$top": "5000"})["value"]
    assert rows and {r["User"]["Email"] for r in rows} == {"alice@contoso.test"}
    odata_error(client, f"{V}/workLogsOnly", 400, prefilter="Everyone")


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "params", "status", "needle"), [
    ("workLogsOnly", {"$filter": "Foo eq 1"}, 400, "unknown property 'Foo'"),
    ("workLogsOnly", {"$filter": "PeriodLength eq"}, 400,
     "position 12: unexpected a space or the end"),
    ("workLogsOnly", {"$filter": "(PeriodLength eq 1"}, 400, "ends too early"),
    ("workLogsOnly", {"$filter": "PeriodLength eq 1 #"}, 400, "position 18"),
    ("workLogsOnly", {"$top": "-1"}, 400, "not a non-negative integer"),
    ("workLogsOnly", {"$skip": "x"}, 400, "$skip"),
    ("workLogsOnly", {"$count": "maybe"}, 400, "not true or false"),
    ("workLogsOnly", {"$select": "Id,,Comment"}, 400, "empty item"),
    ("workLogsOnly", {"$expand": "User"}, 400, "not a navigation"),
    ("workLogsOnly", {"$orderby": "Timestamp sideways"}, 400, "unknown direction"),
    ("workLogsOnly", {"$foo": "1"}, 400, "Unknown query option '$foo'"),
    ("workLogsOnly", {"$search": "x"}, 501, "$search"),
    ("workLogsOnly", {"$apply": "topcount(5,PeriodLength)"}, 501,
     "$apply at position 0: the transformation 'topcount' is not implemented"),
    ("nothing", {}, 404, "Unknown entity set 'nothing'"),
    ("$batch", {}, 501, "$batch"),
    ("workItems(1000)/Nope", {}, 404, "'Nope' is not a navigation property"),
])
def test_errors_name_the_problem(client: TestClient, path: str, params: dict[str, str],
                                 status: int, needle: str) -> None:
    error = odata_error(client, f"{V}/{path}", status, **params)
    assert needle in error["message"], error


def test_never_a_500(client: TestClient) -> None:
    nasty = ["'", "(", ")", "''''", "PeriodLength eq 1 and", "contains(", "not", "1 eq 1",
             "Comment eq null eq null", "WorkItem/System_Id/x eq 1", "PeriodLength div 0 eq 1",
             "substring(Comment, 99999999999) eq 'x'", "geo.distance(a,b) lt 1",
             "User eq 'x'", "PeriodLength in (1, 'a')", "Timestamp ge 2026-02-30",
             "Timestamp ge 2026-13-01T00:00:00Z", "IsBillable eq 1", "Id eq 123",
             "now() gt Timestamp", "round(PeriodLength divby 7) eq 1", "x" * 9000,
             "Children/any(c: c/System_Id eq 1)", "$it/PeriodLength eq 1", "\u00e9 eq 1"]
    for text in nasty:
        response = client.get(f"{V}/workLogsOnly", params={"$filter": text, "$top": "1"})
        assert response.status_code in (200, 400), (text, response.text)
        if response.status_code == 400:
            assert response.json()["error"]["target"] == "$filter"


def test_hierarchy_of_a_loaded_fixture(small_client: TestClient, small_app: Any) -> None:
    """HierarchyPath and Root of work items loaded from a fixture (the loader derives them),
    also usable in $filter: 100 > 101 > 102, 103, 104 in fixtures/small.yaml."""
    small_client.headers.update(bearer(tokens(small_app)["ada.admin@contoso.com"]))
    items = get(small_client, f"{V}/workItems", **{
        "$select": "System_Id,HierarchyPath", "$expand": "Root($select=System_Id)"})["value"]
    assert [(i["System_Id"], i["HierarchyPath"], i["Root"]) for i in items] == [
        (100, "/100/", {"System_Id": 100}),
        (101, "/100/101/", {"System_Id": 100}),
        (102, "/100/101/102/", {"System_Id": 100}),
        (103, "/100/101/103/", {"System_Id": 100}),
        (104, "/100/101/104/", {"System_Id": 100}),
    ]
    under = get(small_client, f"{V}/workItems", **{
        "$select": "System_Id", "$filter": "startswith(HierarchyPath, '/100/101/')"})["value"]
    assert [i["System_Id"] for i in under] == [101, 102, 103, 104]
    logs = get(small_client, f"{V}/workLogsWorkItems", **{
        "$select": "WorkItemId", "$filter": "Root/System_Id eq 100 and WorkItemId eq 104"})
    assert logs["value"] and {r["WorkItemId"] for r in logs["value"]} == {104}
