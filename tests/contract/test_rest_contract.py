"""Contract tests: each verbatim example of the REST contract, replayed against the same state.

The state (tests/api/rest/scenario.py) holds the identities of the examples. A response is
compared structurally (keys, key order, JSON types, nesting) and by value wherever the value is
determined by the state. R1's 3.0 captures are "cut down" (the 7pace REST contract): their keys must
appear in ours in the same order; C1's 3.2 capture must match key for key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.rest.scenario import EUGENE, JORDAN, build_app, headers
from tests.conftest import default_org

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ANY = object()  # a value the state does not determine; only its JSON type is checked

R1_EUGENE = {
    "uniqueName": "7PACE\\eugene",
    "vstsId": "b17afa0a-6803-47ab-a11b-61051f33fd00",
    "vstsCollectionId": "bb251adf-c518-445a-b1a3-bfd5ba1097d9",
    "name": "Eugene Kolomytsev",
    "id": "0d63c0cf-4e66-4a63-9fce-ea5971b783ce",
}
NOT_SET = {"color": "ffffff", "name": "[Not Set]", "id": "00000000-0000-0000-0000-000000000000"}


def json_type(value: Any) -> str:
    return type(value).__name__


def assert_matches(actual: Any, expected: Any, *, cut_down: bool, path: str = "$") -> None:
    """``expected`` is the verbatim example; ``ANY`` marks undetermined values (type only)."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{path}: expected an object, got {actual!r}"
        keys = list(actual)
        if cut_down:
            positions = [keys.index(k) if k in keys else -1 for k in expected]
            assert -1 not in positions, f"{path}: missing keys {set(expected) - set(keys)}"
            assert positions == sorted(positions), f"{path}: key order {keys} vs {list(expected)}"
        else:
            assert keys == list(expected), f"{path}: keys {keys} != {list(expected)}"
        for key, value in expected.items():
            assert_matches(actual[key], value, cut_down=cut_down, path=f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), path
        for n, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_matches(a, e, cut_down=cut_down, path=f"{path}[{n}]")
    elif isinstance(expected, tuple) and expected and expected[0] is ANY:
        assert json_type(actual) == expected[1], f"{path}: {actual!r} is not {expected[1]}"
    else:
        assert actual == expected and json_type(actual) == json_type(expected), \
            f"{path}: {actual!r} != {expected!r}"


def any_of(kind: str) -> tuple[object, str]:
    return (ANY, kind)


@pytest.fixture(scope="module")
def _app() -> FastAPI:
    return build_app()


@pytest.fixture
def client(_app: FastAPI) -> Iterator[TestClient]:
    default_org(_app).reset()
    with TestClient(_app) as test_client:
        yield test_client


def test_get_me_matches_r1(client: TestClient) -> None:
    """the 7pace REST contract (R1, on-prem 3.0)."""
    response = client.get("/api/DefaultCollection/rest/me?api-version=3.0",
                          headers=headers("eugene"))
    assert response.status_code == 200
    assert_matches(response.json(), {"data": {
        "user": R1_EUGENE,
        "account": {"vstsId": "7b818832-876f-4f2a-bcf1-bd1186ff06b1",
                    "vstsCollectionId": "4c9c0ceb-c7a1-42b7-b59e-eab6ccad0db4",
                    "name": "DefaultCollection", "id": "0f0ef946-7845-4ec9-bc75-63bca47ba4c9"},
        "defaultActivityType": None,
        "timeZone": 0,
    }}, cut_down=True)


def test_get_users_matches_r1(client: TestClient) -> None:
    """The REST contract: both R1 users, each with R1's keys in R1's order (mockpace orders the
    list by name, docs/emulation.md s6, so the two are matched by id)."""
    response = client.get("/api/rest/users?api-version=3.0", headers=headers("eugene"))
    assert response.status_code == 200
    by_id = {u["id"]: u for u in response.json()["data"]}
    john = {"uniqueName": "Domain\\JohnDoe", "vstsId": "68132b77-2f9c-4542-886a-d8b671b1d193",
            "vstsCollectionId": "69aa82b6-ab63-46b8-9910-f9e1d1b3dbe4", "name": "John Doe",
            "id": "5d754739-f4fc-e711-8418-00155d0a6b50"}
    assert_matches(by_id[john["id"]], john, cut_down=True)
    assert_matches(by_id[EUGENE], R1_EUGENE, cut_down=True)
    names = [u["name"] for u in response.json()["data"]]
    assert names == sorted(names)


def test_get_activity_types_matches_r1_exactly(client: TestClient) -> None:
    """The 7pace REST contract: the standard list, byte for byte (plus C1's custom type last)."""
    response = client.get("/api/rest/activityTypes?api-version=3.0", headers=headers("john"))
    assert response.status_code == 200
    body = response.json()
    assert body["data"]["activityTypes"][-1]["name"] == "Feature Development"
    del body["data"]["activityTypes"][-1]
    assert_matches(body, {"data": {
        "enabled": True,
        "activityTypes": [
            NOT_SET,
            {"color": "ec654c", "name": "Deployment", "id": "cee030e2-b8b4-e711-8418-00155d0a6b50"},
            {"color": "54c270", "name": "Design", "id": "cfe030e2-b8b4-e711-8418-00155d0a6b50"},
            {"color": "46aee8", "name": "Development",
             "id": "d0e030e2-b8b4-e711-8418-00155d0a6b50"},
            {"color": "a2a4a7", "name": "Documentation",
             "id": "d1e030e2-b8b4-e711-8418-00155d0a6b50"},
            {"color": "4765a9", "name": "Planning", "id": "d2e030e2-b8b4-e711-8418-00155d0a6b50"},
            {"color": "8c4093", "name": "Requirements",
             "id": "d3e030e2-b8b4-e711-8418-00155d0a6b50"},
            {"color": "f8b63a", "name": "Testing", "id": "d4e030e2-b8b4-e711-8418-00155d0a6b50"},
        ],
        "systemDefaultActivityTypeId": "00000000-0000-0000-0000-000000000000",
    }}, cut_down=False)


def r1_worklog(*, timestamp: str, work_item_id: int, created: str, is_changed: bool,
               wid: str) -> dict[str, Any]:
    return {
        "timestamp": timestamp, "length": 3600, "billableLength": None,
        "workItemId": work_item_id, "comment": "", "user": R1_EUGENE, "addedByUser": R1_EUGENE,
        "createdTimestamp": created, "editedTimestamp": created, "activityType": NOT_SET,
        "flags": {"isTracked": False, "isManuallyEntered": True, "isChanged": is_changed,
                  "isTrackedExtended": False, "isImported": False, "isFromApi": False,
                  "isBillable": False},
        "id": wid,
    }


def test_get_worklogs_matches_r1(client: TestClient) -> None:
    """The 7pace REST contract: R1's real request URL, on-prem path, 3.0; newest first."""
    response = client.get(
        "/api/DefaultCollection/rest/workLogs?api-version=3.0&$fromTimestamp=2018-05-01"
        "&$count=10", headers=headers("eugene"))
    assert response.status_code == 200
    assert_matches(response.json(), {"data": [
        r1_worklog(timestamp="2019-08-31T14:45:00", work_item_id=8948,
                   created="2018-03-28T14:45:38.107", is_changed=False,
                   wid="dc54d553-a762-47c3-a68f-80d64bdd2a66"),
        r1_worklog(timestamp="2019-08-31T14:35:00", work_item_id=8946,
                   created="2018-03-28T14:36:26.467", is_changed=True,
                   wid="a3344f33-e8c9-413a-a142-8bfc186ca323"),
    ]}, cut_down=True)


C1_USER = {
    "uniqueName": "jroe@FABRIKAM.COM", "displayName": None,
    "vstsId": "b0010469-3e04-6f0f-860c-9ba717df47db",
    "vstsCollectionId": "b0010469-3e04-6f0f-860c-9ba717df47db",
    "vstsCollectionId2": "b0010469-3e04-6f0f-860c-9ba717df47db",
    "email": "jroe@FABRIKAM.COM", "name": "Jordan Roe", "id": JORDAN,
}


def test_post_worklog_matches_c1(client: TestClient) -> None:
    """The 7pace REST contract, C1's real 3.2 request (extra properties ignored) and response. The
    clock stands at the capture's creation time. The answer echoes the offset `timeStamp` in UTC
    with `Z`, as C1 shows; a later read renders the owner's local time without an offset."""
    response = client.post("/api/rest/workLogs/?api-version=3.2", headers=headers("jordan"),
                           json={
                               "timeStamp": "2023-12-08T23:07:21+00:00",
                               "length": 1410,
                               "lengthFriendly": "00:23:30",
                               "comment": "Feature 80836: Login refactoring",
                               "workItemId": 80836,
                               "userId": JORDAN,
                               "activityTypeId": "9cd0cb39-180d-4b19-9265-83f9753ff76c",
                               "activityFriendly": "Feature Development",
                           })
    assert response.status_code == 200
    body = response.json()
    assert_matches(body, {"data": {
        "timestamp": "2023-12-08T23:07:21Z",
        "length": 1410,
        "billableLength": None,
        "workItemId": 80836,
        "comment": "Feature 80836: Login refactoring",
        "user": C1_USER,
        "addedByUser": C1_USER,
        "editedByUser": C1_USER,
        "createdTimestamp": "2023-12-12T15:35:52.029299",
        "editedTimestamp": "2023-12-12T15:35:52.029299",
        "activityType": {"color": "46aee8", "name": "Feature Development",
                         "id": "9cd0cb39-180d-4b19-9265-83f9753ff76c"},
        "flags": {"isTracked": False, "isManuallyEntered": True, "isChanged": False,
                  "isTrackedExtended": False, "isImported": False, "isFromApi": True,
                  "isBillable": False},
        "isCanEdit": None,
        "isCanDelete": None,
        "id": any_of("str"),
    }}, cut_down=False)
    assert GUID.match(body["data"]["id"])
    again = client.get(f"/api/rest/workLogs/{body['data']['id']}?api-version=3.2",
                       headers=headers("jordan"))
    assert again.json()["data"]["timestamp"] == "2023-12-08T23:07:21"


R1_CREATED = {
    "timestamp": "2023-12-12T15:35:52",
    "length": 3600, "billableLength": None, "workItemId": None, "comment": "test created",
    "user": R1_EUGENE, "addedByUser": R1_EUGENE,
    "createdTimestamp": "2023-12-12T15:35:52.029299",
    "editedTimestamp": "2023-12-12T15:35:52.029299",
    "activityType": NOT_SET,
    "flags": {"isTracked": False, "isManuallyEntered": False, "isChanged": False,
              "isTrackedExtended": False, "isImported": False, "isFromApi": False,
              "isBillable": False},
    "id": any_of("str"),
}


def test_post_worklog_with_string_numbers_matches_r1(client: TestClient) -> None:
    """The 7pace REST contract, R1's 3.0 create: string values, no timestamp (now), 3.0 flags."""
    response = client.post("/api/DefaultCollection/rest/workLogs?api-version=3.0",
                           headers=headers("eugene"),
                           content=b'{"length":"3600","comment":"test created"}')
    assert response.status_code == 200
    assert_matches(response.json(), {"data": R1_CREATED}, cut_down=True)


def test_patch_worklog_matches_r1(client: TestClient, _app: FastAPI) -> None:
    """The 7pace REST contract, R1's 3.0 PATCH with string values: merged, editedTimestamp moves,
    createdTimestamp and timestamp stay, isChanged stays false."""
    created = client.post("/api/rest/workLogs?api-version=3.0", headers=headers("eugene"),
                          content=b'{"length":"3600","comment":"test created"}').json()["data"]
    from mockpace.common.clock import Clock
    from tests.api.rest.scenario import CLOCK_NOW

    default_org(_app).set_clock(Clock().frozen(CLOCK_NOW).advanced(1.2524))
    response = client.patch(
        f"/api/DefaultCollection/rest/workLogs/{created['id']}?api-version=3.0",
        headers=headers("eugene"), content=b'{"length":"7200","comment":"test updated"}')
    assert response.status_code == 200
    expected = dict(R1_CREATED, length=7200, comment="test updated",
                    editedTimestamp="2023-12-12T15:35:53.281699", id=created["id"])
    assert_matches(response.json(), {"data": expected}, cut_down=True)


def test_delete_worklog_matches_r1(client: TestClient) -> None:
    """The 7pace REST contract: 200 with {"data": null}."""
    response = client.delete(
        "/api/rest/workLogs/dc54d553-a762-47c3-a68f-80d64bdd2a66?api-version=3.0",
        headers=headers("eugene"))
    assert response.status_code == 200
    assert response.content == b'{"data":null}'


def test_docs_creation_body_is_validated(client: TestClient) -> None:
    """The 7pace REST contract, the docs' placeholder body verbatim: length 0 is refused first."""
    response = client.post("/api/rest/workLogs?api-version=3.2", headers=headers("eugene"), json={
        "timeStamp": "2021-12-17T12:42:03.921Z", "length": 0, "billableLength": 0,
        "workItemId": 0, "comment": "string", "userId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "activityTypeId": "3fa85f64-5717-4562-b3fc-2c963f66afa6"})
    assert response.status_code == 422
    assert response.json()["error"]["errorCode"] == "LengthMustBePositive"


def test_docs_roles_body_assigns_three_roles(client: TestClient) -> None:
    """The 7pace REST contract, the docs' body verbatim (by e-mail, role by name)."""
    body = b"""{
    "users":  [
                  {"email":  "email1@email.com", "role":  {"name":  "Team"}},
                  {"email":  "email2@email.com", "role":  {"name":  "Administrator"}},
                  {"email":  "email3@email.com", "role":  {"name":  "Budget"}}
              ]
}"""
    response = client.post("/api/rest/users/roles?api-version=3.2", headers=headers("eugene"),
                           content=body)
    assert response.status_code == 200
    assert_matches(response.json(), {"data": {"succeeded": 3, "failed": 0, "failedEntries": []}},
                   cut_down=False)
    roles = client.get("/api/rest/users/roles?api-version=3.2", headers=headers("eugene")).json()
    by_email = {r["user"]["email"]: r["role"]["name"] for r in roles["data"]}
    assert (by_email["email1@email.com"], by_email["email2@email.com"],
            by_email["email3@email.com"]) == ("Team", "Administrator", "Budget")


def test_docs_week_submission_body(client: TestClient) -> None:
    """The 7pace REST contract: the docs' body shape (a real manager id in place of the placeholder)
    answers {"data": true}; the week then shows in timeApproval/all as submitted."""
    from tests.api.rest.scenario import user_id

    response = client.post("/api/rest/timeApproval/week?api-version=3.2",
                           headers=headers("eugene"),
                           json={"weekStart": "2021-11-15",
                                 "assignedManagerId": user_id("manager")})
    assert response.status_code == 200
    assert response.content == b'{"data":true}'
    weeks = client.get("/api/rest/timeApproval/all?api-version=3.2&$fromTimestamp=2021-11-17"
                       "&$toTimestamp=2021-11-17", headers=headers("manager")).json()["data"]
    assert [(w["weekStartDate"], w["weekEndDate"], w["approvalState"], w["user"]["id"])
            for w in weeks] == [("2021-11-15T00:00:00", "2021-11-21T00:00:00", 1, EUGENE)]
    assert list(weeks[0]) == ["id", "weekStartDate", "weekEndDate", "user", "approvalState",
                              "modificationTimestamp", "submittedTimestamp",
                              "approvalTimestamp", "assignedManager", "approvedByManager"]
