"""Worklog endpoints through HTTP: tolerances, time forms, flags per version, merge, soft
delete, filters, lenient parameters and batches."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api.rest.helpers import V
from tests.api.rest.scenario import (
    DEVELOPMENT_ID,
    EUGENE,
    JOHN,
    _uid,
    headers,
    user_id,
)
from tests.conftest import default_org

LOG = "dc54d553-a762-47c3-a68f-80d64bdd2a66"


def stored(app: FastAPI, worklog_id: str) -> dict[str, Any]:
    with default_org(app).store.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM worklogs WHERE id = :i"), {"i": worklog_id})
        return dict(row.mappings().one())


def create(client: TestClient, who: str, body: Any, version: str = "3.2") -> dict[str, Any]:
    response = client.post(f"/api/rest/workLogs?api-version={version}", headers=headers(who),
                           json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]  # type: ignore[no-any-return]


def test_property_names_any_case_numeric_strings_unknown_ignored(client: TestClient,
                                                                  rest_app: FastAPI) -> None:
    data = create(client, "john", {"TIMESTAMP": "2023-12-11T10:00:00", "Length": "1800",
                                   "workItemID": "4711", "BillableLength": "900",
                                   "repoId": None, "lengthFriendly": "00:30:00",
                                   "activityType": {"ID": DEVELOPMENT_ID}})
    assert (data["timestamp"], data["length"], data["workItemId"], data["billableLength"],
            data["comment"], data["activityType"]["name"], data["flags"]["isBillable"]) == (
        "2023-12-11T10:00:00", 1800, 4711, 900, "", "Development", True)
    row = stored(rest_app, data["id"])
    assert (row["length"], row["work_item_id"], row["billable_length"],
            row["activity_type_id"], row["user_id"], row["added_by_user_id"]) == (
        1800, 4711, 900, DEVELOPMENT_ID, JOHN, JOHN)


@pytest.mark.parametrize(("sent", "local", "utc"), [
    ("2023-12-11T10:00:00", "2023-12-11T10:00:00", "2023-12-11 09:00:00.000000"),
    ("2023-12-11T10:00:00.250", "2023-12-11T10:00:00", "2023-12-11 09:00:00.250000"),
    ("2023-12-11", "2023-12-11T00:00:00", "2023-12-10 23:00:00.000000"),
    ("12/11/2023 10:00:00", "2023-12-11T10:00:00", "2023-12-11 09:00:00.000000"),
    ("12/11/2023, 1:30:00 PM", "2023-12-11T13:30:00", "2023-12-11 12:30:00.000000"),
    ("12/11/2023 1:30:00 AM", "2023-12-11T01:30:00", "2023-12-11 00:30:00.000000"),
])
def test_timestamp_forms_in_the_owners_zone(client: TestClient, rest_app: FastAPI, sent: str,
                                            local: str, utc: str) -> None:
    """berlin is UTC+60: input without an offset is Berlin time; output is Berlin time."""
    data = create(client, "berlin", {"timeStamp": sent, "length": 60, "comment": "t"})
    assert data["timestamp"] == local
    assert stored(rest_app, data["id"])["timestamp"] == utc


@pytest.mark.parametrize(("who", "sent", "echo", "local", "utc"), [
    ("john", "2023-12-08T23:07:21+00:00", "2023-12-08T23:07:21Z", "2023-12-08T23:07:21",
     "2023-12-08 23:07:21.000000"),  # the real 3.2 capture
    ("berlin", "2023-12-11T10:00:00Z", "2023-12-11T10:00:00Z", "2023-12-11T11:00:00",
     "2023-12-11 10:00:00.000000"),
    ("berlin", "2023-12-11T10:00:00+03:00", "2023-12-11T07:00:00Z", "2023-12-11T08:00:00",
     "2023-12-11 07:00:00.000000"),
    ("berlin", "2023-12-11T10:00:00.5-05:30", "2023-12-11T15:30:00Z", "2023-12-11T16:30:00",
     "2023-12-11 15:30:00.500000"),
])
def test_create_echoes_an_offset_timestamp_in_utc_reads_are_local(
        client: TestClient, rest_app: FastAPI, who: str, sent: str, echo: str, local: str,
        utc: str) -> None:
    """The create answer echoes the instant in UTC with Z (a real 3.2 capture); GET, the list,
    the PATCH answer and batch items render the owner's local time (berlin is UTC+60)."""
    data = create(client, who, {"timeStamp": sent, "length": 60, "comment": "t"})
    assert data["timestamp"] == echo
    assert stored(rest_app, data["id"])["timestamp"] == utc
    url = f"/api/rest/workLogs/{data['id']}?{V}"
    assert client.get(url, headers=headers(who)).json()["data"]["timestamp"] == local
    listed = client.get(f"/api/rest/workLogs?{V}", headers=headers(who)).json()["data"]
    assert [w["timestamp"] for w in listed if w["id"] == data["id"]] == [local]
    patched = client.patch(url, headers=headers(who), json={"comment": "u"})
    assert patched.json()["data"]["timestamp"] == local
    batch = client.post(f"/api/rest/workLogs/batch?{V}", headers=headers(who),
                        json=[{"timeStamp": sent, "length": 60, "comment": "b"}])
    assert batch.json()[0]["timestamp"] == local


def test_timestamp_uses_the_target_users_zone(client: TestClient, rest_app: FastAPI) -> None:
    """The admin (UTC) creates for newyork (UTC-300): the local input is New York time."""
    data = create(client, "eugene", {"timeStamp": "2023-12-11T09:00:00", "length": 60,
                                     "comment": "for NY", "userId": user_id("newyork")})
    assert (data["user"]["id"], data["addedByUser"]["id"], data["editedByUser"]["id"]) == (
        user_id("newyork"), EUGENE, EUGENE)
    assert data["timestamp"] == "2023-12-11T09:00:00"
    assert data["createdTimestamp"] == "2023-12-12T10:35:52.029299"  # clock, NY local
    assert stored(rest_app, data["id"])["timestamp"] == "2023-12-11 14:00:00.000000"


def test_defaults_timestamp_now_and_the_users_default_activity_type(client: TestClient) -> None:
    data = create(client, "john", {"length": 60, "workItemId": 5})
    assert data["timestamp"] == "2023-12-12T15:35:52"
    assert data["activityType"]["id"] == DEVELOPMENT_ID  # john's default
    data = create(client, "john", {"length": 60, "workItemId": 5,
                                   "activityTypeId": "00000000-0000-0000-0000-000000000000"})
    assert data["activityType"]["name"] == "[Not Set]"
    assert create(client, "jordan", {"length": 60, "workItemId": 5})["activityType"]["name"] \
        == "[Not Set]"


@pytest.mark.parametrize(("version", "flag"), [
    ("3.0", False), ("3.0-preview", False), ("3.1", False), ("3.1-beta", False),
    ("3.2-beta", True), ("3.2", True), ("3.3-beta", True)])
def test_api_created_flags_per_version(client: TestClient, version: str, flag: bool) -> None:
    flags = create(client, "john", {"length": 60, "comment": "v"}, version)["flags"]
    assert flags == {"isTracked": False, "isManuallyEntered": flag, "isChanged": False,
                     "isTrackedExtended": False, "isImported": False, "isFromApi": flag,
                     "isBillable": False}


def test_worklog_key_order(client: TestClient) -> None:
    data = create(client, "john", {"length": 60, "comment": "keys"})
    assert list(data) == ["timestamp", "length", "billableLength", "workItemId", "comment",
                          "user", "addedByUser", "editedByUser", "createdTimestamp",
                          "editedTimestamp", "activityType", "flags", "isCanEdit",
                          "isCanDelete", "id"]
    assert list(data["user"]) == ["uniqueName", "displayName", "vstsId", "vstsCollectionId",
                                  "vstsCollectionId2", "email", "name", "id"]
    assert list(data["activityType"]) == ["color", "name", "id"]


def test_patch_merges_and_moves_edited(client: TestClient, rest_app: FastAPI) -> None:
    data = create(client, "john", {"length": 60, "comment": "before", "workItemId": 9,
                                   "timeStamp": "2023-12-11T08:00:00"})
    response = client.patch(f"/api/rest/workLogs/{data['id']}?{V}", headers=headers("eugene"),
                            json={"COMMENT": "after", "activityType": None})
    assert response.status_code == 200
    patched = response.json()["data"]
    assert (patched["comment"], patched["length"], patched["workItemId"], patched["timestamp"],
            patched["activityType"]["name"], patched["user"]["id"],
            patched["addedByUser"]["id"], patched["editedByUser"]["id"],
            patched["flags"]["isChanged"]) == (
        "after", 60, 9, "2023-12-11T08:00:00", "[Not Set]", JOHN, JOHN, EUGENE, False)
    assert patched["createdTimestamp"] == data["createdTimestamp"]


def test_patch_of_a_tracked_worklog_sets_is_changed(client: TestClient) -> None:
    tracked = _uid("log-john")
    comment_only = client.patch(f"/api/rest/workLogs/{tracked}?{V}", headers=headers("john"),
                                json={"comment": "typo"}).json()["data"]
    assert comment_only["flags"]["isChanged"] is False
    longer = client.patch(f"/api/rest/workLogs/{tracked}?{V}", headers=headers("john"),
                          json={"length": 2400}).json()["data"]
    assert (longer["flags"]["isChanged"], longer["flags"]["isTracked"]) == (True, True)


def test_admin_moves_a_worklog_to_another_user(client: TestClient) -> None:
    response = client.patch(f"/api/rest/workLogs/{LOG}?{V}", headers=headers("eugene"),
                            json={"userId": JOHN})
    assert response.json()["data"]["user"]["id"] == JOHN
    mine = client.get(f"/api/rest/workLogs?{V}", headers=headers("john")).json()["data"]
    assert LOG in [w["id"] for w in mine]


def test_delete_is_soft(client: TestClient, rest_app: FastAPI) -> None:
    response = client.delete(f"/api/rest/workLogs/{LOG}?{V}", headers=headers("eugene"))
    assert response.status_code == 200
    row = stored(rest_app, LOG)
    assert (row["is_deleted"], row["edited_timestamp"], row["edited_by_user_id"]) == (
        1, "2023-12-12 15:35:52.029299", EUGENE)
    listed = client.get(f"/api/rest/workLogs/all?{V}", headers=headers("eugene")).json()["data"]
    assert LOG not in [w["id"] for w in listed]
    assert client.get(f"/api/rest/workLogs/{LOG}?{V}",
                      headers=headers("eugene")).status_code == 404
    assert client.delete(f"/api/rest/workLogs/{LOG}?{V}",
                         headers=headers("eugene")).status_code == 404


def test_get_one_and_include_editable(client: TestClient) -> None:
    one = client.get(f"/api/rest/workLogs/{LOG}?{V}", headers=headers("eugene")).json()["data"]
    assert (one["id"], one["isCanEdit"], one["isCanDelete"]) == (LOG, None, None)
    everything = client.get(f"/api/rest/workLogs/all?{V}&$includeEditable=true",
                            headers=headers("eugene")).json()["data"]
    can = {w["user"]["uniqueName"]: w["isCanEdit"] for w in everything}
    assert can == {"7PACE\\eugene": True, "Domain\\JohnDoe": True,
                   "berlin@contoso.example": False,  # approved week
                   "newyork@contoso.example": False}  # closed week
    as_budget = client.get(f"/api/rest/workLogs/all?{V}&$includeEditable=true",
                           headers=headers("budget")).json()["data"]
    assert {w["isCanDelete"] for w in as_budget} == {False}
    berlin = client.get(f"/api/rest/workLogs/{_uid('log-berlin')}?{V}&$includeEditable=true",
                        headers=headers("berlin")).json()["data"]
    assert (berlin["isCanEdit"], berlin["isCanDelete"]) == (False, False)


def test_expand_display_name(client: TestClient) -> None:
    plain = client.get(f"/api/rest/workLogs?{V}", headers=headers("eugene")).json()["data"]
    assert plain[0]["user"]["displayName"] is None
    expanded = client.get(f"/api/rest/workLogs?{V}&$expand=user.displayName",
                          headers=headers("eugene")).json()["data"]
    assert {w["user"]["displayName"] for w in expanded} == {"Eugene Kolomytsev"}
    me = client.get(f"/api/rest/users/{JOHN}?{V}&$expand=user.displayName",
                    headers=headers("john")).json()["data"]
    assert me["displayName"] == "John Doe"


def ids_of(client: TestClient, query: str, who: str = "eugene") -> list[str]:
    response = client.get(f"/api/rest/workLogs/all?{V}&{query}", headers=headers(who))
    assert response.status_code == 200, response.text
    return [w["id"] for w in response.json()["data"]]


def test_list_filters(client: TestClient) -> None:
    newer, older = LOG, "a3344f33-e8c9-413a-a142-8bfc186ca323"
    john, berlin, newyork = _uid("log-john"), _uid("log-berlin"), _uid("log-newyork")
    assert ids_of(client, "") == [newyork, berlin, john, newer, older]
    assert ids_of(client, "$workItemIds=8946, 8948") == [newer, older]
    assert ids_of(client, "$workItemIds=100&$count=2&$skip=1") == [berlin, john]
    # exclusive bounds on the timestamp (caller eugene is UTC)
    assert ids_of(client, "$fromTimestamp=2019-08-31T14:35:00") == [newyork, berlin, john,
                                                                     newer]
    assert ids_of(client, "$toTimestamp=2019-08-31T14:45:00") == [older]
    assert ids_of(client, "$fromTimestamp=2019-08-31T14:35:00&$toTimestamp=2019-08-31T14:45:00"
                  ) == []
    assert ids_of(client, "$fromCreatedTimestamp=2018-03-28T14:36:26.467"
                  "&$toCreatedTimestamp=2019-01-01") == [newer]
    # the caller's list holds the caller's worklogs only
    assert [w["id"] for w in client.get(f"/api/rest/workLogs?{V}", headers=headers("john"))
            .json()["data"]] == [john]


def test_params_need_the_dollar_unless_lenient(client: TestClient, rest_app: FastAPI) -> None:
    everything = ids_of(client, "")
    assert ids_of(client, "fromTimestamp=2023-01-01&count=1&$top=1&skip=1") == everything
    default_org(rest_app).update_settings({"lenient_params": True})
    assert ids_of(client, "fromTimestamp=2023-01-01") == everything[:3]
    assert ids_of(client, "_fromTimestamp=2023-01-01&_count=1") == everything[:1]
    assert ids_of(client, "$top=2&skip=1") == everything[1:3]
    assert ids_of(client, "$COUNT=1&$Skip=4") == everything[4:]


def test_count_is_clamped_and_zero_is_empty(client: TestClient) -> None:
    assert len(ids_of(client, "$count=100000")) == 5
    assert ids_of(client, "$count=0") == []


def test_batch_creates_all_in_order(client: TestClient, rest_app: FastAPI) -> None:
    items = [{"timeStamp": f"2023-12-1{n}T09:00:00", "length": 600 * (n + 1),
              "comment": f"item {n}"} for n in range(3)]
    items.append({"length": "60", "workItemId": "77", "userId": JOHN})
    response = client.post(f"/api/rest/workLogs/batch?{V}", headers=headers("eugene"),
                           json=items)
    assert response.status_code == 200
    created = response.json()
    assert isinstance(created, list)  # no envelope
    assert [(w["comment"], w["length"], w["user"]["id"]) for w in created] == [
        ("item 0", 600, EUGENE), ("item 1", 1200, EUGENE), ("item 2", 1800, EUGENE),
        ("", 60, JOHN)]
    for w in created:
        assert stored(rest_app, w["id"])["is_deleted"] == 0
    assert client.post(f"/api/rest/workLogs/batch?{V}", headers=headers("eugene"),
                       json=[]).json() == []


@pytest.mark.parametrize("switch", ["validateOnly=true", "$validateOnly=true",
                                    "ValidateOnly=True"])
def test_batch_validate_only_writes_nothing(client: TestClient, rest_app: FastAPI,
                                            switch: str) -> None:
    before = default_org(rest_app).store.counts()["workLogs"]
    response = client.post(f"/api/rest/workLogs/batch?{V}&{switch}", headers=headers("john"),
                           json=[{"length": 60, "comment": "dry run"}])
    assert response.status_code == 200
    assert [w["comment"] for w in response.json()] == ["dry run"]
    assert default_org(rest_app).store.counts()["workLogs"] == before


def test_batch_wrapped_object_needs_lenient(client: TestClient, rest_app: FastAPI) -> None:
    body = {"workLogs": [{"length": 60, "comment": "wrapped"}]}
    url = f"/api/rest/workLogs/batch?{V}"
    assert client.post(url, headers=headers("john"), json=body).status_code == 400
    default_org(rest_app).update_settings({"lenient_params": True})
    response = client.post(url, headers=headers("john"), json=body)
    assert response.status_code == 200
    assert [w["comment"] for w in response.json()] == ["wrapped"]


def test_one_store_created_worklog_is_the_row(client: TestClient, rest_app: FastAPI) -> None:
    """A REST-created worklog is the row every surface reads (no copies)."""
    data = create(client, "john", {"length": 90, "comment": "shared"})
    row = stored(rest_app, data["id"])
    assert (row["comment"], row["length"], row["is_from_api"], row["is_manually_entered"]) == (
        "shared", 90, 1, 1)
