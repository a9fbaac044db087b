"""users, users/roles, activityTypes and timeApproval through HTTP."""

from __future__ import annotations

from fastapi.testclient import TestClient

from mockpace.rest.service import ROLE_IDS
from tests.api.rest.helpers import V
from tests.api.rest.scenario import EUGENE, JOHN, USERS, _uid, headers, user_id


def test_users_ordered_by_name_and_paged(client: TestClient) -> None:
    names = sorted(u[2] for u in USERS.values())
    everyone = client.get(f"/api/rest/users?{V}", headers=headers("john")).json()["data"]
    assert [u["name"] for u in everyone] == names
    page = client.get(f"/api/rest/users?{V}&$count=3&$skip=2", headers=headers("john"))
    assert [u["name"] for u in page.json()["data"]] == names[2:5]
    one = client.get(f"/api/rest/users/{JOHN.upper()}?{V}", headers=headers("john")).json()
    assert one["data"]["uniqueName"] == "Domain\\JohnDoe"


def test_user_roles_list_and_include_none(client: TestClient) -> None:
    listed = client.get(f"/api/rest/users/roles?{V}", headers=headers("eugene")).json()["data"]
    assert "None" not in {r["role"]["name"] for r in listed}
    assert list(listed[0]) == ["user", "role"]
    assert list(listed[0]["role"]) == ["id", "name"]
    everyone = client.get(f"/api/rest/users/roles?{V}&includeNoneRoles=true",
                          headers=headers("eugene")).json()["data"]
    assert len(everyone) == len(USERS)
    none = [r for r in everyone if r["role"]["name"] == "None"]
    assert {r["role"]["id"] for r in none} == {ROLE_IDS["None"]}
    assert {r["user"]["id"] for r in none} == {user_id(k) for k in
                                               ("nobody", "email1", "email2", "email3")}


def test_assign_roles_by_id_vsts_id_email_and_role_id(client: TestClient) -> None:
    body = {"users": [
        {"id": JOHN, "role": {"name": "Product"}},
        {"vstsId": USERS["jordan"][4], "role": {"id": ROLE_IDS["Budget"]}},
        {"email": "NOBODY@contoso.example", "role": {"name": "team"}},
    ]}
    result = client.post(f"/api/rest/users/roles?{V}", headers=headers("eugene"), json=body)
    assert result.json() == {"data": {"succeeded": 3, "failed": 0, "failedEntries": []}}
    roles = {r["user"]["id"]: r["role"]["name"] for r in client.get(
        f"/api/rest/users/roles?{V}", headers=headers("eugene")).json()["data"]}
    assert (roles[JOHN], roles[user_id("jordan")], roles[user_id("nobody")]) == (
        "Product", "Budget", "Team")
    # the new role is in force at once: john (now Product) may read workLogs/all
    assert client.get(f"/api/rest/workLogs/all?{V}", headers=headers("john")).status_code == 200


def test_assign_roles_failures_and_skip_errors(client: TestClient) -> None:
    bad = [{"email": "ghost@contoso.example", "role": {"name": "Team"}},
           {"id": JOHN, "role": {"name": "Overlord"}},
           {"id": JOHN, "email": "john.doe@7pace.example", "role": {"name": "Team"}},
           {"id": JOHN}]
    good = {"id": user_id("jordan"), "role": {"name": "Administrator"}}
    result = client.post(f"/api/rest/users/roles?{V}", headers=headers("eugene"),
                         json={"users": [*bad, good]}).json()["data"]
    assert (result["succeeded"], result["failed"]) == (0, 4)
    messages = [e["error"]["message"] for e in result["failedEntries"]]
    assert "ghost@contoso.example" in messages[0]
    assert "Overlord" in messages[1]
    assert "exactly one" in messages[2]
    assert "role is missing" in messages[3]
    assert result["failedEntries"][0]["entity"] == bad[0]
    role = client.get(f"/api/rest/users/{user_id('jordan')}?{V}", headers=headers("eugene"))
    assert role.status_code == 200
    roles = {r["user"]["id"]: r["role"]["name"] for r in client.get(
        f"/api/rest/users/roles?{V}", headers=headers("eugene")).json()["data"]}
    assert roles[user_id("jordan")] == "Team"  # nothing written without skipErrors
    result = client.post(f"/api/rest/users/roles?{V}", headers=headers("eugene"),
                         json={"skipErrors": True, "users": [*bad, good]}).json()["data"]
    assert (result["succeeded"], result["failed"]) == (1, 4)
    roles = {r["user"]["id"]: r["role"]["name"] for r in client.get(
        f"/api/rest/users/roles?{V}", headers=headers("eugene")).json()["data"]}
    assert roles[user_id("jordan")] == "Administrator"


def test_activity_type_by_id(client: TestClient) -> None:
    dev = client.get(f"/api/rest/activityTypes/D0E030E2-B8B4-E711-8418-00155D0A6B50?{V}",
                     headers=headers("john"))
    assert dev.json() == {"data": {"color": "46aee8", "name": "Development",
                                   "id": "d0e030e2-b8b4-e711-8418-00155d0a6b50"}}


def approvals(client: TestClient, query: str = "") -> list[dict[str, object]]:
    response = client.get(f"/api/rest/timeApproval/all?{V}{query}", headers=headers("manager"))
    assert response.status_code == 200
    return response.json()["data"]  # type: ignore[no-any-return]


def test_time_approvals_list_and_bounds(client: TestClient) -> None:
    weeks = approvals(client)
    # newest week first; within a week by record id
    same_week = sorted([_uid("approval-berlin"), _uid("approval-newyork")])
    assert [w["id"] for w in weeks] == [*same_week, _uid("approval-john")]
    assert [w["weekStartDate"] for w in weeks] == [
        "2023-12-04T00:00:00", "2023-12-04T00:00:00", "2023-11-27T00:00:00"]
    approved = next(w for w in weeks if w["approvalState"] == 3)
    assert approved == {
        "id": _uid("approval-berlin"),
        "weekStartDate": "2023-12-04T00:00:00",
        "weekEndDate": "2023-12-10T00:00:00",
        "user": approved["user"],
        "approvalState": 3,
        "modificationTimestamp": "2023-12-11T09:00:00",  # Berlin local
        "submittedTimestamp": "2023-12-10T09:00:00",
        "approvalTimestamp": "2023-12-11T09:00:00",
        "assignedManager": approved["assignedManager"],
        "approvedByManager": approved["approvedByManager"],
    }
    assert approved["assignedManager"]["id"] == user_id("manager")  # type: ignore[index]
    closed = next(w for w in weeks if w["approvalState"] == 99)
    assert (closed["submittedTimestamp"], closed["assignedManager"]) == (None, None)
    # a bound inside a week selects the week that contains it
    assert {w["approvalState"] for w in approvals(client, "&$fromTimestamp=2023-12-10")} \
        == {3, 99}
    assert [w["approvalState"] for w in approvals(client, "&$toTimestamp=2023-12-03")] == [1]
    assert [w["approvalState"] for w in approvals(
        client, "&$fromTimestamp=2023-11-29T10:00:00Z&$toTimestamp=2023-12-03")] == [1]
    assert len(approvals(client, "&$count=1&$skip=2")) == 1


def test_submit_and_revoke_week(client: TestClient) -> None:
    h = headers("jordan")
    # any day of the week names the week (Monday to Sunday)
    response = client.post(f"/api/rest/timeApproval/week?{V}", headers=h,
                           json={"WeekStart": "2023-12-13", "assignedManagerId": EUGENE})
    assert response.json() == {"data": True}
    week = next(w for w in approvals(client) if w["user"]["id"] == user_id("jordan"))  # type: ignore
    assert (week["weekStartDate"], week["weekEndDate"], week["approvalState"],
            week["submittedTimestamp"], week["assignedManager"]["id"]) == (  # type: ignore
        "2023-12-11T00:00:00", "2023-12-17T00:00:00", 1, "2023-12-12T15:35:52.029299", EUGENE)
    # a submitted (not approved) week does not lock worklogs
    assert client.post(f"/api/rest/workLogs?{V}", headers=h, json={
        "length": 60, "comment": "x", "timeStamp": "2023-12-12T09:00:00"}).status_code == 200
    revoked = client.delete(f"/api/rest/timeApproval/week?{V}&weekStart=2023-12-11", headers=h)
    assert revoked.json() == {"data": True}
    assert user_id("jordan") not in [w["user"]["id"] for w in approvals(client)]  # type: ignore
    again = client.delete(f"/api/rest/timeApproval/week?{V}&WEEKSTART=2023-12-11", headers=h)
    assert again.json() == {"data": False}
