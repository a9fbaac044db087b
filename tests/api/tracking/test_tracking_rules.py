"""Organization settings that refuse a start, activity checks, idle checks and the maximum
single-track length, all driven by the admin-plane clock."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select

from mockpace.common.context import Context
from mockpace.store import WorkLog
from mockpace.store.tables import NOT_SET_ACTIVITY_TYPE_ID
from mockpace.tracking.service import settle_due
from tests.api.tracking.conftest import DEV, TEST, Api, MakeApi, advance, settings


def tracked(app: FastAPI) -> list[tuple[str, int, int | None]]:
    with app.state.registry.default.store.read() as session:
        rows = session.exec(select(WorkLog).where(col(WorkLog.is_tracked).is_(True))
                            .order_by(col(WorkLog.timestamp))).all()
        return [(r.id, r.length, r.work_item_id) for r in rows]


def assert_refused(body: dict[str, Any], *words: str) -> None:
    ts = body["trackSettings"]
    assert (ts["isTrackingStartAllowed"], ts["responseState"]) == (False, "Error"), ts
    for word in words:
        assert word.lower() in ts["responseMessage"].lower(), ts["responseMessage"]


def assert_ok(body: dict[str, Any], state: str = "tracking") -> dict[str, Any]:
    assert body["trackSettings"] == {"isTrackingStartAllowed": True, "responseState": "OK",
                                     "responseMessage": None}
    assert body["track"]["trackingState"] == state
    track: dict[str, Any] = body["track"]
    return track


# -- refusals --
def test_without_work_item_a_remark_is_always_needed(app: FastAPI, api: Api) -> None:
    body = api.start()
    assert_refused(body, "comment", "tfsId")
    assert body["track"]["trackingState"] == "idle"
    assert body["timestamp"] == 0
    assert_ok(api.start(remark="Team meeting"))


def test_require_work_item(client: TestClient, app: FastAPI, api: Api) -> None:
    settings(client, tracking_require_work_item=True)
    body = api.start(remark="Team meeting")
    assert_refused(body, "work item is required", "tracking_require_work_item")
    assert (body["track"]["trackingState"], body["timestamp"]) == ("idle", 0)
    assert api.current()["track"]["trackingState"] == "idle"
    assert_ok(api.start(tfsId=103))
    assert tracked(app) == []


def test_require_comment(client: TestClient, api: Api) -> None:
    settings(client, tracking_require_comment=True)
    assert_refused(api.start(tfsId=103), "comment is required", "tracking_require_comment")
    assert_refused(api.start(tfsId=103, remark="   "), "comment is required")
    assert_ok(api.start(tfsId=103, remark="writing the form"))


def test_require_activity_type(client: TestClient, api_as: MakeApi) -> None:
    settings(client, tracking_require_activity_type=True)
    alice = api_as("alice")  # no default activity type
    assert_refused(alice.start(tfsId=103), "activity type is required",
                   "tracking_require_activity_type")
    assert_refused(alice.start(tfsId=103, activityTypeId=NOT_SET_ACTIVITY_TYPE_ID),
                   "activity type")
    assert_refused(alice.start(tfsId=103, activityTypeId=""), "activity type")
    assert assert_ok(alice.start(tfsId=103, activityTypeId=TEST))["activityTypeId"] == TEST
    # The admin's default activity type satisfies the rule.
    assert assert_ok(api_as("admin").start(tfsId=103))["activityTypeId"] == DEV


def test_block_closed_items(client: TestClient, app: FastAPI, api: Api) -> None:
    assert_ok(api.start(tfsId=104))  # allowed by default
    api.stop()
    settings(client, tracking_block_closed_items=True)
    assert_refused(api.start(tfsId=104), "104", "closed", "'Closed'")
    assert_refused(api.start(tfsId=105), "105", "'Done'")
    running = assert_ok(api.start(tfsId=103))
    advance(client, 60)
    # A refused switch leaves the running track alone and writes nothing.
    body = api.start(tfsId=105, remark="bug")
    assert_refused(body, "closed")
    assert (body["track"]["trackingState"], body["track"]["tfsId"],
            body["track"]["workLogId"], body["track"]["currentTrackLength"]) == (
        "tracking", 103, running["workLogId"], 60)
    assert len(tracked(app)) == 1  # only the stopped track on 104


def test_adjust_rules(client: TestClient, api: Api) -> None:
    idle = api.ok("POST", "adjust", {"remark": "x"})
    assert idle["trackSettings"]["responseState"] == "Error"
    assert "no track is running" in idle["trackSettings"]["responseMessage"].lower()
    assert idle["track"]["trackingState"] == "idle"
    api.start(tfsId=103, remark="first")
    settings(client, tracking_require_comment=True)
    body = api.ok("POST", "adjust", {"remark": ""})
    assert body["trackSettings"]["responseState"] == "Error"
    assert "comment is required" in body["trackSettings"]["responseMessage"]
    assert body["track"]["remark"] == "first"
    # Only the given fields change.
    body = api.ok("POST", "adjust", {"activityTypeId": DEV})
    assert (body["track"]["remark"], body["track"]["activityTypeId"]) == ("first", DEV)
    body = api.ok("POST", "adjust", {"REMARK": "second"})
    assert (body["track"]["remark"], body["track"]["activityTypeId"]) == ("second", DEV)


def test_activity_types_disabled(client: TestClient, api: Api) -> None:
    settings(client, activity_types_enabled=False, tracking_require_activity_type=True)
    body = api.start(tfsId=103, activityTypeId=TEST)
    track = assert_ok(body)
    assert track["activityTypeId"] == NOT_SET_ACTIVITY_TYPE_ID
    assert body["settings"]["activityType"]["isEnabled"] is False


# -- activity checks --
def test_activity_check_runs_counts_down_is_answered_then_expires(
        client: TestClient, app: FastAPI, api_as: MakeApi) -> None:
    settings(client, activity_check_interval_minutes=10, activity_check_wait_minutes=5)
    alice, other_client = api_as("alice"), api_as("alice2")
    worklog = alice.start(tfsId=103)["track"]["workLogId"]
    advance(client, 599)
    assert assert_ok(alice.current())["activityCheck"] == {"isRunning": False, "secondsLeft": 0}
    advance(client, 1)
    body = other_client.current()
    check = body["track"]
    assert (check["trackingState"], check["activityCheck"], check["stoppedTrackType"],
            check["workLogId"]) == ("activityCheck", {"isRunning": True, "secondsLeft": 300}, 0,
                                    worklog)
    advance(client, 120)
    assert alice.current()["track"]["activityCheck"] == {"isRunning": True, "secondsLeft": 180}

    answered = alice.ok("POST", "activityCheck")  # still working, at 10:12
    assert answered["track"]["trackingState"] == "tracking"
    assert answered["track"]["activityCheck"] == {"isRunning": False, "secondsLeft": 0}
    assert answered["track"]["currentTrackLength"] == 720
    advance(client, 599)
    assert alice.current()["track"]["trackingState"] == "tracking"
    advance(client, 1)
    assert alice.current()["track"]["activityCheck"] == {"isRunning": True, "secondsLeft": 300}

    advance(client, 300)  # 10:27: nobody answered the check of 10:22
    body = other_client.current()
    track = body["track"]
    assert (track["trackingState"], track["stoppedTrackType"], track["workLogId"],
            track["currentTrackLength"], track["trackStatusChangeDate"]) == (
        "clientInputRequired", 1, worklog, None, "2026-11-04T10:27:00")
    assert body["trackSettings"]["responseState"] == "Warning"
    assert body["trackSettings"]["isTrackingStartAllowed"] is True
    assert "activity check" in body["trackSettings"]["responseMessage"]
    # The worklog ends where the unanswered check began.
    assert tracked(app) == [(worklog, 1320, 103)]

    # Stopping acknowledges it; nothing more is written.
    acknowledged = alice.stop()["track"]
    assert (acknowledged["trackingState"], acknowledged["workLogId"]) == ("idle", None)
    assert alice.current()["trackSettings"]["responseState"] == "OK"
    assert tracked(app) == [(worklog, 1320, 103)]


def test_activity_check_expiry_seen_long_after(client: TestClient, app: FastAPI,
                                              api: Api) -> None:
    settings(client, activity_check_interval_minutes=10, activity_check_wait_minutes=5)
    worklog = api.start(tfsId=103)["track"]["workLogId"]
    advance(client, 3600)
    latest = api.ok("GET", "latest/1")["workLogs"][0]  # latest settles the stop too
    assert (latest["id"], latest["periodLength"], latest["endTime"]) == (
        worklog, 600, "2026-11-04T10:10:00")
    state = api.current()["track"]
    assert (state["trackingState"], state["stoppedTrackType"],
            state["trackStatusChangeDate"]) == ("clientInputRequired", 1, "2026-11-04T10:15:00")
    assert tracked(app) == [(worklog, 600, 103)]
    # A new start after an automatic stop is a normal start.
    restarted = assert_ok(api.start(tfsId=105, remark="bug"))
    assert restarted["stoppedTrackType"] == 0


def test_idle_check_postpones_the_next_check(client: TestClient, api: Api) -> None:
    settings(client, activity_check_interval_minutes=10, activity_check_wait_minutes=5)
    api.start(tfsId=103)
    untouched = api.ok("POST", "idleCheck/0")  # no check running: no effect
    assert untouched["timestamp"] == 1
    advance(client, 600)
    body = api.ok("POST", "idleCheck/0")  # in one hour
    assert body["track"]["trackingState"] == "tracking"
    assert body["timestamp"] == 2
    advance(client, 3599)
    assert api.current()["track"]["trackingState"] == "tracking"
    advance(client, 1)
    assert api.current()["track"]["activityCheck"] == {"isRunning": True, "secondsLeft": 300}


def test_idle_check_tomorrow_and_next_monday(client: TestClient, api: Api) -> None:
    settings(client, activity_check_interval_minutes=10, activity_check_wait_minutes=5)
    api.start(tfsId=103)
    advance(client, 600)  # Wednesday 10:10 UTC, alice is at UTC+0
    api.ok("POST", "idleCheck/1")
    advance(client, 49799)  # Wednesday 23:59:59
    assert api.current()["track"]["trackingState"] == "tracking"
    advance(client, 1)  # Thursday 00:00
    assert api.current()["track"]["trackingState"] == "activityCheck"
    api.ok("POST", "idleCheck/2")
    advance(client, 4 * 86400 - 1)  # Sunday 23:59:59
    assert api.current()["track"]["trackingState"] == "tracking"
    advance(client, 1)  # Monday 00:00
    assert api.current()["track"]["trackingState"] == "activityCheck"


# -- maximum single-track length --
def test_max_track_length(client: TestClient, app: FastAPI, api: Api) -> None:
    settings(client, max_track_length_hours=1)
    worklog = api.start(tfsId=103, remark="long")["track"]["workLogId"]
    advance(client, 3599)
    assert assert_ok(api.current())["currentTrackLength"] == 3599
    advance(client, 2)
    body = api.current()
    track = body["track"]
    assert (track["trackingState"], track["stoppedTrackType"], track["workLogId"]) == (
        "clientInputRequired", 4, worklog)
    assert "maximum single track length" in body["trackSettings"]["responseMessage"]
    assert tracked(app) == [(worklog, 3600, 103)]
    rest = client.get(f"/api/rest/workLogs/{worklog}?api-version=3.2",
                      headers=api.headers).json()["data"]
    assert (rest["length"], rest["flags"]["isTracked"]) == (3600, True)


def test_first_server_event_wins(client: TestClient, app: FastAPI, api: Api) -> None:
    # Check at 10:50 with 30 minutes to answer, limit at 11:00: the limit stops it.
    settings(client, max_track_length_hours=1, activity_check_interval_minutes=50,
             activity_check_wait_minutes=30)
    first = api.start(tfsId=103)["track"]["workLogId"]
    advance(client, 2 * 3600)
    assert api.current()["track"]["stoppedTrackType"] == 4
    # Check at 11:30 (interval 30) with 5 minutes to answer, limit at 13:00: the check stops it.
    settings(client, activity_check_interval_minutes=30, activity_check_wait_minutes=5)
    second = api.start(tfsId=103)["track"]["workLogId"]
    advance(client, 2 * 3600)
    assert api.current()["track"]["stoppedTrackType"] == 1
    assert tracked(app) == [(first, 3600, 103), (second, 1800, 103)]


def test_settle_due_writes_automatic_stops_for_other_surfaces(
        client: TestClient, app: FastAPI, api_as: MakeApi) -> None:
    settings(client, max_track_length_hours=1)
    alice = api_as("alice").start(tfsId=103)["track"]["workLogId"]
    advance(client, 1800)
    bob = api_as("bob").start(tfsId=105, remark="bug")["track"]["workLogId"]
    org = app.state.registry.default
    context = Context(org=org, settings=org.settings(), clock=org.clock(), collection=None)
    assert settle_due(context) == 0
    advance(client, 1800)  # alice's hour is over, bob's is not
    context = Context(org=org, settings=org.settings(), clock=org.clock(), collection=None)
    assert settle_due(context) == 1
    assert settle_due(context) == 0
    assert tracked(app) == [(alice, 3600, 103)]
    assert api_as("bob").current()["track"]["workLogId"] == bob


def test_a_track_stopped_by_the_server_shows_in_rest_and_reporting_without_a_tracking_call(
    client: TestClient, app: FastAPI, api: Api,
) -> None:
    settings(client, max_track_length_hours=1)
    worklog = api.start(tfsId=103, remark="forgot to stop")["track"]["workLogId"]
    advance(client, 2 * 3600)
    # no tracking call after the limit passed: REST and Reporting settle the track themselves
    mine = client.get("/api/rest/workLogs?api-version=3.2", headers=api.headers).json()["data"]
    assert [(w["id"], w["length"], w["flags"]["isTracked"]) for w in mine
            if w["id"] == worklog] == [(worklog, 3600, True)]
    odata = client.get(f"/api/odata/v3.2/workLogsOnly?$filter=Id eq {worklog}"
                       "&$select=Id,PeriodLength,IsTracked", headers=api.headers).json()
    assert odata["value"] == [{"Id": worklog, "PeriodLength": 3600, "IsTracked": True}]
    assert tracked(app) == [(worklog, 3600, 103)]
