"""A full tracking session through HTTP, the model's shape, path forms, envelope and versions."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select

from mockpace.store import WorkLog
from mockpace.store.tables import NOT_SET_ACTIVITY_TYPE_ID
from tests.api.tracking.conftest import (
    ALICE_ID,
    BASE,
    DEV,
    TEST,
    Api,
    MakeApi,
    advance,
    assert_error,
    auth,
    settings,
)

TRACK_KEYS = ["tfsId", "remark", "activityTypeId", "workItem", "trackingState",
              "stoppedTrackType", "activityCheck", "currentTrackLength", "totalMeTodayLength",
              "totalMeLength", "totalTeamLength", "trackAdjustmentLength",
              "currentTrackStartedDateTime", "trackStatusChangeDate", "trackTimeZone",
              "workLogId"]
ITEM_103 = {"id": 103, "title": "Write payment form", "color": "F2CB1D", "teamProject": "Fabrikam",
            "type": "Task",
            "workItemLink": "https://dev.azure.com/contoso/Fabrikam/_workitems/edit/103",
            "effort": None}
ITEM_102 = {"id": 102, "title": "Pay with card", "color": "009CCC", "teamProject": "Fabrikam",
            "type": "User Story",
            "workItemLink": "https://dev.azure.com/contoso/Fabrikam/_workitems/edit/102",
            "effort": 5.0}
ITEM_101 = {"id": 101, "title": "Checkout", "color": "773B93", "teamProject": "Fabrikam",
            "type": "Feature",
            "workItemLink": "https://dev.azure.com/contoso/Fabrikam/_workitems/edit/101",
            "effort": None}
ITEM_100 = {"id": 100, "title": "Website relaunch", "color": "FF7B00", "teamProject": "Fabrikam",
            "type": "Epic",
            "workItemLink": "https://dev.azure.com/contoso/Fabrikam/_workitems/edit/100",
            "effort": None, "parent": None}
ITEM_105 = {"id": 105, "title": "Login fails on Safari", "color": "CC293D",
            "teamProject": "Fabrikam", "type": "Bug",
            "workItemLink": "https://dev.azure.com/contoso/Fabrikam/_workitems/edit/105",
            "effort": None, "parent": None}
FULL_CHAIN_103 = {**ITEM_103, "parent": {**ITEM_102, "parent": {**ITEM_101, "parent": ITEM_100}}}
ONE_LEVEL_103 = {**ITEM_103, "parent": {**ITEM_102, "parent": None}}


def flags(**on: bool) -> dict[str, bool]:
    names = ["isTracked", "isManuallyEntered", "isChanged", "isTrackedExtended", "isImported",
             "isFromApi", "isBillable"]
    return {n: on.get(n, False) for n in names}


def run_session(client: TestClient, api_as: MakeApi) -> tuple[str, str]:
    """Start on 103, read from a second client, advance, adjust, switch to 105, stop; returns
    the ids of the two worklogs written."""
    alice, alice2, bob = api_as("alice"), api_as("alice2"), api_as("bob")
    started = alice.start(tfsId=103, remark="payment form", activityTypeId=DEV, timeZone=60,
                          isBillable=True)
    assert list(started) == ["track", "trackSettings", "settings", "timestamp"]
    track = started["track"]
    assert list(track) == TRACK_KEYS
    first_id = track["workLogId"]
    assert track == {
        "tfsId": 103, "remark": "payment form", "activityTypeId": DEV,
        "workItem": FULL_CHAIN_103, "trackingState": "tracking", "stoppedTrackType": 0,
        "activityCheck": {"isRunning": False, "secondsLeft": 0}, "currentTrackLength": 0,
        "totalMeTodayLength": 1800, "totalMeLength": 5400, "totalTeamLength": 6300,
        "trackAdjustmentLength": None, "currentTrackStartedDateTime": "2026-11-04T10:00:00",
        "trackStatusChangeDate": "2026-11-04T10:00:00", "trackTimeZone": 60,
        "workLogId": first_id,
    }
    assert len(first_id) == 36
    assert started["trackSettings"] == {"isTrackingStartAllowed": True, "responseState": "OK",
                                        "responseMessage": None}
    assert started["timestamp"] == 1

    # Another client of the same user sees the running track; another user does not.
    advance(client, 900)
    seen = alice2.ok("GET", "current?$expand=true")
    assert seen["track"]["workLogId"] == first_id
    assert seen["track"]["trackingState"] == "tracking"
    assert seen["track"]["currentTrackLength"] == 900
    assert (seen["track"]["totalMeTodayLength"], seen["track"]["totalMeLength"],
            seen["track"]["totalTeamLength"]) == (2700, 6300, 7200)
    assert seen["timestamp"] == 1
    other = bob.current()["track"]
    assert (other["trackingState"], other["tfsId"], other["workLogId"]) == ("idle", None, None)

    adjusted = alice.ok("POST", "adjust", {"remark": "payment form v2", "activityTypeId": TEST})
    assert adjusted["track"]["remark"] == "payment form v2"
    assert adjusted["track"]["activityTypeId"] == TEST
    assert adjusted["track"]["workLogId"] == first_id
    assert adjusted["timestamp"] == 2

    # Switch: starting another item writes the running track's worklog first.
    advance(client, 300)
    switched = alice2.start(tfsId=105, remark="login bug")["track"]
    second_id = switched["workLogId"]
    assert second_id != first_id
    assert switched["workItem"] == ITEM_105
    assert switched["activityTypeId"] == NOT_SET_ACTIVITY_TYPE_ID  # alice has no default
    assert (switched["currentTrackLength"], switched["totalMeTodayLength"],
            switched["totalMeLength"], switched["totalTeamLength"]) == (0, 3000, 0, 0)
    assert switched["currentTrackStartedDateTime"] == "2026-11-04T10:20:00"

    advance(client, 450.5)
    stopped = alice.ok("POST", "stopTracking?$reason=0")
    track = stopped["track"]
    assert (track["trackingState"], track["stoppedTrackType"], track["tfsId"]) == ("idle", 5, 105)
    assert (track["currentTrackLength"], track["currentTrackStartedDateTime"],
            track["workLogId"]) == (None, None, None)
    assert (track["totalMeTodayLength"], track["totalMeLength"],
            track["totalTeamLength"]) == (3450, 450, 450)
    assert track["trackStatusChangeDate"] == "2026-11-04T10:27:30"
    assert stopped["timestamp"] == 5
    return first_id, second_id


def test_full_session_writes_two_worklogs_seen_by_rest(
        client: TestClient, app: FastAPI, api_as: MakeApi) -> None:
    first_id, second_id = run_session(client, api_as)
    alice = api_as("alice")

    # The store holds exactly the two tracked worklogs.
    store = app.state.registry.default.store
    with store.read() as session:
        rows = session.exec(select(WorkLog).where(col(WorkLog.is_tracked).is_(True))
                            .order_by(col(WorkLog.timestamp))).all()
        assert [(r.id, r.user_id, r.work_item_id, r.length, r.comment, r.activity_type_id,
                 r.is_billable) for r in rows] == [
            (first_id, ALICE_ID, 103, 1200, "payment form v2", TEST, True),
            (second_id, ALICE_ID, 105, 450, "login bug", None, False),
        ]

    # REST serves them at once.
    response = client.get("/api/rest/workLogs?api-version=3.2", headers=auth("alice"))
    assert response.status_code == 200, response.text
    logs = response.json()["data"]
    assert [log["id"] for log in logs[:2]] == [second_id, first_id]
    newest, older = logs[0], logs[1]
    assert (newest["timestamp"], newest["length"], newest["workItemId"], newest["comment"]) == (
        "2026-11-04T10:20:00", 450, 105, "login bug")
    assert newest["activityType"] == {"color": "ffffff", "name": "[Not Set]",
                                      "id": NOT_SET_ACTIVITY_TYPE_ID}
    assert newest["flags"] == flags(isTracked=True)
    assert newest["createdTimestamp"] == "2026-11-04T10:27:30.5"
    assert newest["user"]["id"] == ALICE_ID
    assert (older["timestamp"], older["length"], older["workItemId"], older["comment"]) == (
        "2026-11-04T10:00:00", 1200, 103, "payment form v2")
    assert older["activityType"] == {"color": "f8b63a", "name": "Testing", "id": TEST}
    assert older["flags"] == flags(isTracked=True, isBillable=True)
    assert older["billableLength"] is None

    # The latest tracks of the user, newest first.
    latest = alice.ok("GET", "latest?$count=2")
    assert latest == {"count": 2, "workLogs": [
        {"id": second_id, "remark": "login bug", "startTime": "2026-11-04T10:20:00",
         "endTime": "2026-11-04T10:27:30", "periodLength": 450,
         "activityTypeId": NOT_SET_ACTIVITY_TYPE_ID, "workItem": ITEM_105},
        {"id": first_id, "remark": "payment form v2", "startTime": "2026-11-04T10:00:00",
         "endTime": "2026-11-04T10:20:00", "periodLength": 1200, "activityTypeId": TEST,
         "workItem": ONE_LEVEL_103},
    ]}


def test_full_session_worklogs_in_reporting(client: TestClient, api_as: MakeApi) -> None:
    first_id, second_id = run_session(client, api_as)
    response = client.get(
        "/api/odata/v3.2/workLogsOnly?$filter=IsTracked eq true&$orderby=Timestamp"
        "&$select=Id,Timestamp,PeriodLength,Comment,WorkItemId,IsTracked,IsBillable,"
        "ActivityTypeId,UserId", headers=auth("admin"))
    assert response.status_code == 200, response.text
    rows = response.json()["value"]
    # [Not Set] is a null ActivityTypeId in the store; Reporting may render it either way.
    assert rows[1].pop("ActivityTypeId") in (None, NOT_SET_ACTIVITY_TYPE_ID)
    assert rows == [
        {"Id": first_id, "Timestamp": "2026-11-04T10:00:00Z", "PeriodLength": 1200,
         "Comment": "payment form v2", "WorkItemId": 103, "IsTracked": True,
         "IsBillable": True, "ActivityTypeId": TEST, "UserId": ALICE_ID},
        {"Id": second_id, "Timestamp": "2026-11-04T10:20:00Z", "PeriodLength": 450,
         "Comment": "login bug", "WorkItemId": 105, "IsTracked": True, "IsBillable": False,
         "UserId": ALICE_ID},
    ]


def test_settings_carry_activity_types_and_user_info(api_as: MakeApi) -> None:
    admin = api_as("admin").current()
    assert admin["settings"] == {
        "activityType": {
            "isEnabled": True, "defaultActivity": DEV,
            "activityTypes": [
                {"id": NOT_SET_ACTIVITY_TYPE_ID, "color": "ffffff", "name": "[Not Set]",
                 "isDefault": False, "isNotSet": True},
                {"id": DEV, "color": "46aee8", "name": "Development", "isDefault": True,
                 "isNotSet": False},
                {"id": TEST, "color": "f8b63a", "name": "Testing", "isDefault": False,
                 "isNotSet": False},
            ]},
        "userInfo": {"userId": "0a000000-0000-0000-0000-000000000001", "userName": "Admin",
                     "userUniqueName": "admin@contoso.com", "encodedImage": None,
                     "applicationVersion": "0.1.0",
                     "teamServicesUrl": "https://dev.azure.com/contoso/", "projectId": None},
    }
    idle = admin["track"]
    assert (idle["trackingState"], idle["stoppedTrackType"], idle["tfsId"], idle["remark"],
            idle["activityTypeId"], idle["trackTimeZone"]) == (
        "idle", 5, None, "", NOT_SET_ACTIVITY_TYPE_ID, 60)
    assert admin["timestamp"] == 0
    # The admin's default activity type is used when a start names none.
    assert api_as("admin").start(tfsId=103)["track"]["activityTypeId"] == DEV


def test_expand_forms_and_parent_depth(api: Api) -> None:
    api.start(tfsId=103)
    for path in ("current/true", "current?$expand=true", "current?expand=True",
                 "current/TRUE"):
        assert api.ok("GET", path)["track"]["workItem"] == FULL_CHAIN_103, path
    for path in ("current", "current/false", "current?$expand=false"):
        assert api.ok("GET", path)["track"]["workItem"] == ONE_LEVEL_103, path


def test_path_case_onprem_prefix_and_trailing_slash(client: TestClient) -> None:
    headers = auth("alice")
    response = client.post("/api/DefaultCollection/Tracking/Client/StartTracking/?api-version=3.2",
                           json={"tfsId": 103}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["track"]["trackingState"] == "tracking"
    response = client.get("/api/tracking/client/Current/true?api-version=3.2", headers=headers)
    assert response.json()["track"]["tfsId"] == 103


def test_envelope_data_wraps_every_tracking_answer(client: TestClient, api: Api) -> None:
    settings(client, tracking_envelope="data")
    body = api.start(tfsId=103)
    assert list(body) == ["data"]
    assert body["data"]["track"]["trackingState"] == "tracking"
    assert list(api.ok("GET", "latest/1")) == ["data"]
    assert list(api.ok("POST", "search", raw=b"103")) == ["data"]
    settings(client, tracking_envelope="bare")
    assert list(api.current()) == ["track", "trackSettings", "settings", "timestamp"]


def test_api_versions(client: TestClient, api: Api) -> None:
    legacy = api.ok("POST", "startTracking", {"tfsId": 103}, version="api-version=2.1")
    assert legacy["track"]["trackingState"] == 0  # 2.1 sent the enum as an integer
    for version in ("3.0", "3.0-preview", "3.1", "3.1-beta", "3.2-beta", "3.3-beta"):
        state = api.ok("GET", "current", version=f"api-version={version}")
        assert state["track"]["trackingState"] == "tracking", version
    error = assert_error(api.call("GET", "current", version="api-version=4.0"), 400,
                         "ApiVersionError", "4.0", "2.1", "3.2")
    assert error["fields"]["parameter"] == "api-version"
    assert_error(client.get(f"{BASE}/current", headers=auth("alice")), 400, "ApiVersionError",
                 "required")
    settings(client, lenient_api_version=True)
    response = client.get(f"{BASE}/current", headers=auth("alice"))
    assert response.status_code == 200
    assert response.json()["track"]["trackingState"] == "tracking"


def test_stop_while_idle_is_the_idle_state(app: FastAPI, api: Api) -> None:
    state = api.stop()
    assert (state["track"]["trackingState"], state["track"]["stoppedTrackType"]) == ("idle", 5)
    assert state["trackSettings"]["responseState"] == "OK"
    with app.state.registry.default.store.read() as session:
        assert session.exec(select(WorkLog).where(col(WorkLog.is_tracked).is_(True))).all() == []


def test_stop_reason_machine_and_minimum_length(client: TestClient, app: FastAPI,
                                                 api: Api) -> None:
    started = api.start(remark="no work item, just a remark")["track"]
    assert (started["tfsId"], started["workItem"], started["totalMeLength"],
            started["totalTeamLength"]) == (None, None, 0, 0)
    stopped = api.ok("POST", "stopTracking/1")["track"]  # stopped by the machine, 0 s later
    assert (stopped["trackingState"], stopped["stoppedTrackType"]) == ("idle", 3)
    with app.state.registry.default.store.read() as session:
        row = session.get(WorkLog, started["workLogId"])
        assert row is not None
        assert (row.length, row.work_item_id, row.comment) == (
            1, None, "no work item, just a remark")


def test_repeating_the_running_start_does_not_split_the_track(client: TestClient,
                                                              api: Api) -> None:
    first = api.start(tfsId=103, remark="x")["track"]["workLogId"]
    advance(client, 60)
    again = api.start(tfsId=103, remark="x")
    assert again["track"]["workLogId"] == first
    assert again["track"]["currentTrackLength"] == 60
    assert again["timestamp"] == 1
    changed = api.start(tfsId=103, remark="y")["track"]
    assert changed["workLogId"] != first


def test_selected_sets_the_idle_selection(api: Api, api_as: MakeApi) -> None:
    body = api.ok("POST", "selected", {"tfsId": 103, "remark": "next", "activityTypeId": TEST,
                                      "calculateTotals": True})
    track = body["track"]
    assert (track["trackingState"], track["tfsId"], track["remark"], track["activityTypeId"],
            track["totalMeLength"], track["totalTeamLength"]) == (
        "idle", 103, "next", TEST, 5400, 6300)
    assert api_as("alice2").current()["track"]["tfsId"] == 103
    no_totals = api.ok("POST", "selected", {"tfsId": 105, "calculateTotals": False})["track"]
    assert (no_totals["tfsId"], no_totals["totalMeLength"], no_totals["totalMeTodayLength"]) == (
        105, None, None)
    # While tracking a selection does not touch the running track.
    running = api.start(tfsId=103)["track"]["workLogId"]
    during = api.ok("POST", "selected", {"tfsId": 105})["track"]
    assert (during["tfsId"], during["workLogId"]) == (103, running)


def test_latest_forms_and_default(client: TestClient, api: Api) -> None:
    assert api.ok("GET", "latest")["count"] == 2  # alice's two seeded worklogs (default 20)
    assert [w["id"][-1] for w in api.ok("GET", "latest/5")["workLogs"]] == ["2", "1"]
    one = api.ok("GET", "latest?$count=1")
    assert one["count"] == 1
    assert one["workLogs"][0]["id"] == "0c000000-0000-0000-0000-000000000002"
    assert one["workLogs"][0]["startTime"] == "2026-11-04T08:00:00"
    assert one["workLogs"][0]["endTime"] == "2026-11-04T08:30:00"
    assert api.ok("GET", "latest/0") == {"count": 0, "workLogs": []}


def search_ids(body: dict[str, Any]) -> list[int]:
    assert body["count"] == len(body["workItems"])
    return [entry["workItem"]["id"] for entry in body["workItems"]]


def test_search_by_id_bare_quoted_or_object(api: Api) -> None:
    for raw in (b"102", b'"102"', b'{"query": "102"}', b'{"Query": 102}'):
        body = api.ok("POST", "search", raw=raw)
        assert body["query"] == "102"
        assert body["workItems"] == [{"groupName": "Fabrikam", "workItem": {
            **ITEM_102, "parent": {**ITEM_101, "parent": None}}}], raw
    assert api.ok("POST", "search", raw=b"999") == {"query": "999", "workItems": [], "count": 0}


def test_search_by_query_title_case_insensitive_or_id(api: Api) -> None:
    assert search_ids(api.ok("POST", "searchByQuery", {"query": "PAY"})) in ([102, 103],
                                                                             [103, 102])
    assert search_ids(api.ok("POST", "searchByQuery", {"query": "100%"})) == [104]
    assert search_ids(api.ok("POST", "searchByQuery", {"query": "_"})) == [104]
    assert search_ids(api.ok("POST", "searchByQuery", {"query": "%"})) == [104]
    assert search_ids(api.ok("POST", "searchByQuery", {"query": "105"})) == [105]
    assert search_ids(api.ok("POST", "searchByQuery", {"query": "nothing like it"})) == []
    empty = api.ok("POST", "searchByQuery", {"query": ""})
    assert empty == {"query": "", "workItems": [], "count": 0}
