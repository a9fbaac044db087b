"""Bad input: the 7pace error body naming the problem, and no state change."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import col, select

from mockpace.store import WorkLog
from tests.api.tracking.conftest import BASE, Api, V, assert_error, auth


def tracked_count(app: FastAPI) -> int:
    with app.state.registry.default.store.read() as session:
        return len(session.exec(select(WorkLog).where(col(WorkLog.is_tracked).is_(True))).all())


def assert_unchanged(api: Api, state: str, timestamp: int) -> None:
    body = api.current()
    assert (body["track"]["trackingState"], body["timestamp"]) == (state, timestamp)


def test_unknown_work_item(api: Api) -> None:
    error = assert_error(api.call("POST", "startTracking", {"tfsId": 999999}), 404,
                         "EntityNotFound", "work item 999999")
    assert error["fields"] == {"tfsId": 999999}
    assert_error(api.call("POST", "selected", {"tfsId": 999999}), 404, "EntityNotFound",
                 "999999")
    assert_unchanged(api, "idle", 0)


def test_unknown_work_item_while_tracking_keeps_the_track(app: FastAPI, api: Api) -> None:
    api.start(tfsId=103)
    assert_error(api.call("POST", "startTracking", {"tfsId": 999999}), 404, "EntityNotFound")
    assert_unchanged(api, "tracking", 1)
    assert tracked_count(app) == 0


def test_activity_type_errors(api: Api) -> None:
    error = assert_error(api.call("POST", "startTracking",
                                  {"tfsId": 103, "activityTypeId": "not-a-guid"}),
                         400, "BadRequest", "activityTypeId", "GUID", "not-a-guid")
    assert error["fields"] == {"field": "activityTypeId"}
    unknown = "12345678-1234-1234-1234-123456789abc"
    assert_error(api.call("POST", "startTracking", {"tfsId": 103, "activityTypeId": unknown}),
                 404, "EntityNotFound", unknown)
    api.start(tfsId=103)
    assert_error(api.call("POST", "adjust", {"activityTypeId": unknown}), 404, "EntityNotFound",
                 unknown)
    assert_unchanged(api, "tracking", 1)


def test_bad_field_types(api: Api) -> None:
    cases = [
        ({"tfsId": "abc"}, "tfsId", "integer"),
        ({"tfsId": -5}, "tfsId", "between 0 and 2147483647"),
        ({"tfsId": True}, "tfsId", "integer"),
        ({"tfsId": 103, "timeZone": 5000}, "timeZone", "between -840 and 840"),
        ({"tfsId": 103, "remark": {"x": 1}}, "remark", "string"),
        ({"tfsId": 103, "isBillable": "maybe"}, "isBillable", "true, false or null"),
    ]
    for body, name, words in cases:
        error = assert_error(api.call("POST", "startTracking", body), 400, "BadRequest", name,
                             words)
        assert error["fields"] == {"field": name}
    # Numeric strings are numbers, as on REST.
    assert api.start(tfsId="103", timeZone="60")["track"]["trackTimeZone"] == 60


def test_bodies_that_are_not_json_or_not_objects(api: Api) -> None:
    for path in ("startTracking", "selected", "adjust"):
        assert_error(api.call("POST", path, raw=b"{tfsId: 1"), 400, "BadRequest",
                     "not valid JSON")
        assert_error(api.call("POST", path, raw=b"[1, 2]"), 400, "BadRequest",
                     "must be a JSON object", "not array")
        assert_error(api.call("POST", path), 400, "BadRequest", "needs a JSON body")
    assert_error(api.call("POST", "search", raw=b"not json"), 400, "BadRequest", "not valid JSON")
    assert_error(api.call("POST", "search", raw=b'"abc"'), 400, "BadRequest",
                 "work item id", '"abc"')
    assert_error(api.call("POST", "search", raw=b"-4"), 400, "BadRequest", "work item id")
    assert_error(api.call("POST", "searchByQuery", {"text": "x"}), 400, "BadRequest",
                 "'query'")
    assert_unchanged(api, "idle", 0)


def test_bad_path_and_query_parameters_are_api_version_errors(app: FastAPI, api: Api) -> None:
    api.start(tfsId=103)
    for path, name, words in [
        ("stopTracking/7", "reason", "Unknown reason '7'"),
        ("stopTracking/manual", "reason", "0 (stopped by the user)"),
        ("stopTracking?$reason=x", "reason", "Unknown reason 'x'"),
        ("idleCheck/5", "selectedOption", "next Monday"),
    ]:
        error = assert_error(api.call("POST", path), 400, "ApiVersionError", *words.split(","))
        assert error["fields"] == {"parameter": name}, path
    for path, name, words in [
        ("latest/-1", "count", "must not be negative"),
        ("latest?$count=-3", "count", "must not be negative"),
        ("latest?$count=ten", "count", "integer"),
        ("current/maybe", "expand", "true or false"),
        ("current?$expand=1", "expand", "true or false"),
    ]:
        error = assert_error(api.call("GET", path), 400, "ApiVersionError", words)
        assert error["fields"] == {"parameter": name}, path
    assert_unchanged(api, "tracking", 1)
    assert tracked_count(app) == 0


def test_auth_and_methods(client: TestClient) -> None:
    assert_error(client.get(f"{BASE}/current?{V}"), 401, "UnauthorizedError", "authorization")
    assert_error(client.get(f"{BASE}/current?{V}", headers={"Authorization": "Bearer nope"}),
                 401, "UnauthorizedError", "not valid")
    assert_error(client.get(f"{BASE}/startTracking?{V}", headers=auth("alice")), 405,
                 "MethodNotAllowed", "GET")
    assert_error(client.post(f"{BASE}/current?{V}", headers=auth("alice")), 405,
                 "MethodNotAllowed")
    assert_error(client.get(f"{BASE}/nothingHere?{V}", headers=auth("alice")), 404, "NotFound")
