"""Every REST error code: status, errorCode and a description naming the problem."""

from __future__ import annotations

from fastapi.testclient import TestClient

from mockpace.common.clock import Clock
from tests.api.rest.helpers import V, assert_error
from tests.api.rest.scenario import EUGENE, _uid, headers, user_id, utc
from tests.conftest import default_org

LOG = "dc54d553-a762-47c3-a68f-80d64bdd2a66"  # eugene's (R1)


def berlin_log() -> str:
    return _uid("log-berlin")


def test_api_version_missing_and_unknown(client: TestClient) -> None:
    error = assert_error(client.get("/api/rest/workLogs", headers=headers("john")), 400,
                         "ApiVersionError", "api-version", "required", "3.2")
    assert error["fields"]["parameter"] == "api-version"
    assert_error(client.get("/api/rest/workLogs?api-version=9.9", headers=headers("john")), 400,
                 "ApiVersionError", "'9.9'", "not supported", "3.0-preview")


def test_lenient_api_version_serves_3_2(client: TestClient, rest_app: object) -> None:
    default_org(rest_app).update_settings({"lenient_api_version": True})  # type: ignore[arg-type]
    response = client.post("/api/rest/workLogs", headers=headers("john"),
                           json={"length": 60, "comment": "no version"})
    assert response.status_code == 200
    assert response.json()["data"]["flags"]["isFromApi"] is True


def test_malformed_guid_and_integer_parameters_are_api_version_errors(client: TestClient) -> None:
    for path, parameter in ((f"/api/rest/workLogs/not-a-guid?{V}", "id"),
                            (f"/api/rest/users/123?{V}", "id"),
                            (f"/api/rest/activityTypes/xyz?{V}", "id")):
        error = assert_error(client.get(path, headers=headers("eugene")), 400,
                             "ApiVersionError", f"'{parameter}'", "not a GUID")
        assert error["fields"] == {"parameter": parameter}
    assert_error(client.patch(f"/api/rest/workLogs/12?{V}", headers=headers("eugene"),
                              json={"length": 1}), 400, "ApiVersionError", "'id'")
    assert_error(client.delete(f"/api/rest/workLogs/zz?{V}", headers=headers("eugene")), 400,
                 "ApiVersionError", "'id'")
    for query, parameter in (("$count=ten", "$count"), ("$skip=-1", "$skip"),
                             ("$fromTimestamp=yesterday", "$fromTimestamp"),
                             ("$toCreatedTimestamp=2023-13-45", "$toCreatedTimestamp"),
                             ("$workItemIds=1,two", "$workItemIds"),
                             ("$includeEditable=maybe", "$includeEditable")):
        error = assert_error(client.get(f"/api/rest/workLogs/all?{V}&{query}",
                                        headers=headers("eugene")),
                             400, "ApiVersionError", f"'{parameter}'")
        assert error["fields"] == {"parameter": parameter}
    assert_error(client.delete(f"/api/rest/timeApproval/week?{V}", headers=headers("john")),
                 400, "ApiVersionError", "'weekStart'", "required")
    assert_error(client.delete(f"/api/rest/timeApproval/week?{V}&weekStart=soon",
                               headers=headers("john")), 400, "ApiVersionError", "'weekStart'")


def test_bad_bodies_are_bad_request(client: TestClient) -> None:
    url = f"/api/rest/workLogs?{V}"
    h = headers("john")
    assert_error(client.post(url, headers=h, content=b"{length: 1"), 400, "BadRequest",
                 "malformed JSON")
    assert_error(client.post(url, headers=h, content=b""), 400, "BadRequest", "empty")
    assert_error(client.post(url, headers=h, json=[{"length": 1}]), 400, "BadRequest",
                 "JSON object")
    error = assert_error(client.post(url, headers=h, json={"length": True, "comment": "x"}),
                         400, "BadRequest", "'length'")
    assert error["fields"] == {"property": "length"}
    assert_error(client.post(url, headers=h, json={"length": "1h", "comment": "x"}), 400,
                 "BadRequest", "'length'", "whole number")
    assert_error(client.post(url, headers=h, json={"length": 60, "comment": 5}), 400,
                 "BadRequest", "'comment'")
    assert_error(client.post(url, headers=h, json={"length": 60, "comment": "x",
                                                   "timeStamp": "next tuesday"}),
                 400, "BadRequest", "'timeStamp'", "next tuesday")
    assert_error(client.post(url, headers=h, json={"length": 60, "comment": "x",
                                                   "userId": "nobody"}),
                 400, "BadRequest", "'userId'", "not a GUID")
    assert_error(client.post(url, headers=h, json={"length": 60, "comment": "x",
                                                   "activityType": {"id": 7}}),
                 400, "BadRequest", "'activityType.id'")
    assert_error(client.post(f"/api/rest/workLogs/batch?{V}", headers=h,
                             json={"workLogs": [{"length": 60, "comment": "x"}]}),
                 400, "BadRequest", "JSON array")
    assert_error(client.post(f"/api/rest/users/roles?{V}", headers=headers("eugene"),
                             json={"users": "all"}), 400, "BadRequest", "'users'")
    assert_error(client.post(f"/api/rest/timeApproval/week?{V}", headers=h, json={}), 400,
                 "BadRequest", "'weekStart'", "required")
    assert_error(client.post(f"/api/rest/timeApproval/week?{V}", headers=h,
                             json={"weekStart": "someday"}), 400, "BadRequest", "'weekStart'")


def test_unauthorized(client: TestClient) -> None:
    assert_error(client.get(f"/api/rest/workLogs?{V}"), 401, "UnauthorizedError",
                 "Authorization")
    assert_error(client.get(f"/api/rest/workLogs?{V}", headers={"Authorization": "Bearer nope"}),
                 401, "UnauthorizedError", "token")


def test_access_denied(client: TestClient) -> None:
    assert_error(client.get(f"/api/rest/users?{V}", headers=headers("nobody")), 403,
                 "AccessDenied", "GET users", "None")
    error = assert_error(client.get(f"/api/rest/workLogs/all?{V}", headers=headers("john")), 403,
                         "AccessDenied", "workLogs/all", "Team")
    assert error["fields"]["requiredRoles"] == ["Administrator", "Budget", "Product"]
    assert_error(client.get(f"/api/rest/users/roles?{V}", headers=headers("budget")), 403,
                 "AccessDenied", "users/roles", "Administrator")
    assert_error(client.get(f"/api/rest/timeApproval/all?{V}", headers=headers("john")), 403,
                 "AccessDenied", "timeApproval/all", "Approval Manager")
    assert_error(client.get(f"/api/rest/workLogs/{LOG}?{V}", headers=headers("john")), 403,
                 "AccessDenied", "another user's worklog")


def test_no_rights_to_worklog_modification(client: TestClient) -> None:
    h = headers("john")
    assert_error(client.post(f"/api/rest/workLogs?{V}", headers=h,
                             json={"length": 60, "comment": "x", "userId": EUGENE}),
                 403, "NoRightsToWorkLogModification", "create", "7PACE\\eugene", "Team")
    assert_error(client.patch(f"/api/rest/workLogs/{LOG}?{V}", headers=h, json={"length": 5}),
                 403, "NoRightsToWorkLogModification", "change")
    assert_error(client.delete(f"/api/rest/workLogs/{LOG}?{V}", headers=h), 403,
                 "NoRightsToWorkLogModification", "delete")
    own = client.post(f"/api/rest/workLogs?{V}", headers=h,
                      json={"length": 60, "comment": "mine"}).json()["data"]["id"]
    assert_error(client.patch(f"/api/rest/workLogs/{own}?{V}", headers=h,
                              json={"userId": EUGENE}),
                 403, "NoRightsToWorkLogModification", "another user")


def test_entity_not_found(client: TestClient) -> None:
    h = headers("eugene")
    missing = "11111111-2222-3333-4444-555555555555"
    for path, what in ((f"/api/rest/workLogs/{missing}", "Worklog"),
                       (f"/api/rest/users/{missing}", "User"),
                       (f"/api/rest/activityTypes/{missing}", "Activity type")):
        assert_error(client.get(f"{path}?{V}", headers=h), 404, "EntityNotFound", what, missing)
    assert_error(client.patch(f"/api/rest/workLogs/{missing}?{V}", headers=h, json={}),
                 404, "EntityNotFound", missing)
    assert_error(client.delete(f"/api/rest/workLogs/{missing}?{V}", headers=h), 404,
                 "EntityNotFound", missing)
    error = assert_error(client.post(f"/api/rest/workLogs?{V}", headers=h,
                                     json={"length": 60, "comment": "x", "userId": missing}),
                         404, "EntityNotFound", "User", missing)
    assert error["fields"]["property"] == "userId"
    error = assert_error(client.post(f"/api/rest/workLogs?{V}", headers=h,
                                     json={"length": 60, "comment": "x",
                                           "activityTypeId": missing}),
                         404, "EntityNotFound", "Activity type")
    assert error["fields"]["property"] == "activityTypeId"
    assert_error(client.post(f"/api/rest/timeApproval/week?{V}", headers=h,
                             json={"weekStart": "2023-11-13", "assignedManagerId": missing}),
                 404, "EntityNotFound", missing)


def test_unknown_route_and_put(client: TestClient) -> None:
    assert_error(client.get(f"/api/rest/reports/time?{V}", headers=headers("john")), 404,
                 "NotFound", "/api/rest/reports/time")
    put = assert_error(client.put(f"/api/rest/workLogs/{LOG}?{V}", headers=headers("eugene"),
                                  json={"length": 5}), 405, "MethodNotAllowed", "PUT")
    assert f"'/api/rest/workLogs/{LOG}'" in put["errorDescription"]  # the path as sent


def test_approval_state_failed(client: TestClient) -> None:
    admin = headers("eugene")
    # berlin (UTC+60): 2023-12-10T23:30 local is Sunday of the approved week
    error = assert_error(client.post(f"/api/rest/workLogs?{V}", headers=admin, json={
        "length": 60, "comment": "late", "userId": user_id("berlin"),
        "timeStamp": "2023-12-10T23:30:00"}), 409, "ApprovalStateFailed", "2023-12-04",
        "approved")
    assert error["fields"]["approvalState"] == 3
    # the same instant is Monday 00:30 in Berlin when sent as UTC 23:30 Sunday: next week, open
    ok = client.post(f"/api/rest/workLogs?{V}", headers=admin, json={
        "length": 60, "comment": "next week", "userId": user_id("berlin"),
        "timeStamp": "2023-12-10T23:30:00Z"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["data"]["timestamp"] == "2023-12-10T23:30:00Z"  # the create echo
    again = client.get(f"/api/rest/workLogs/{ok.json()['data']['id']}?{V}", headers=admin)
    assert again.json()["data"]["timestamp"] == "2023-12-11T00:30:00"  # Berlin local
    assert_error(client.patch(f"/api/rest/workLogs/{berlin_log()}?{V}", headers=admin,
                              json={"comment": "edit"}), 409, "ApprovalStateFailed", "approved")
    assert_error(client.delete(f"/api/rest/workLogs/{berlin_log()}?{V}", headers=admin), 409,
                 "ApprovalStateFailed")
    # moving an open worklog into the locked week
    assert_error(client.patch(f"/api/rest/workLogs/{ok.json()['data']['id']}?{V}",
                              headers=admin, json={"timeStamp": "2023-12-06T10:00:00"}),
                 409, "ApprovalStateFailed")
    # closed (99) locks too
    assert_error(client.post(f"/api/rest/workLogs?{V}", headers=headers("newyork"), json={
        "length": 60, "comment": "x", "timeStamp": "2023-12-05T10:00:00"}),
        409, "ApprovalStateFailed", "closed")
    assert_error(client.post(f"/api/rest/timeApproval/week?{V}", headers=headers("berlin"),
                             json={"weekStart": "2023-12-06"}),
                 409, "ApprovalStateFailed", "approved")
    assert_error(client.delete(f"/api/rest/timeApproval/week?{V}&weekStart=2023-12-04",
                               headers=headers("berlin")), 409, "ApprovalStateFailed")


def test_batch_too_large(client: TestClient) -> None:
    items = [{"length": 60, "comment": f"n{i}"} for i in range(501)]
    error = assert_error(client.post(f"/api/rest/workLogs/batch?{V}", headers=headers("john"),
                                     json=items), 413, "BatchTooLarge", "501", "500")
    assert error["fields"] == {"count": 501, "maximum": 500}


def test_validation_codes(client: TestClient) -> None:
    url = f"/api/rest/workLogs?{V}"
    h = headers("john")
    assert_error(client.post(url, headers=h, json={"comment": "x"}), 422, "LengthIsRequired",
                 "length")
    assert_error(client.post(url, headers=h, json={"comment": "x", "length": None}), 422,
                 "LengthIsRequired")
    assert_error(client.post(url, headers=h, json={"comment": "x", "length": "-5"}), 422,
                 "LengthMustBePositive", "-5")
    assert_error(client.post(url, headers=h, json={"comment": "x", "length": 0}), 422,
                 "LengthMustBePositive")
    assert_error(client.post(url, headers=h, json={"length": 60}), 422,
                 "WorkItemIdOrCommentRequired", "workItemId", "comment")
    assert_error(client.post(url, headers=h, json={"length": 60, "comment": "   ",
                                                   "workItemId": 0}),
                 422, "WorkItemIdOrCommentRequired")
    assert_error(client.post(url, headers=h, json={"length": 60, "comment": "x",
                                                   "billableLength": -1}),
                 422, "DbValidationError", "billableLength")
    ids = ",".join(str(i) for i in range(1, 102))
    error = assert_error(client.get(f"/api/rest/workLogs?{V}&$workItemIds={ids}", headers=h),
                         422, "FilterWorkItemIdsCountExceeded", "101", "100")
    assert error["fields"]["parameter"] == "$workItemIds"
    exactly_100 = ",".join(str(i) for i in range(1, 101))
    assert client.get(f"/api/rest/workLogs?{V}&$workItemIds={exactly_100}",
                      headers=h).status_code == 200
    # PATCH validates the merged worklog
    own = client.post(url, headers=h, json={"length": 60, "comment": "x"}).json()["data"]["id"]
    assert_error(client.patch(f"/api/rest/workLogs/{own}?{V}", headers=h, json={"comment": ""}),
                 422, "WorkItemIdOrCommentRequired")
    assert_error(client.patch(f"/api/rest/workLogs/{own}?{V}", headers=h, json={"length": None}),
                 422, "LengthIsRequired")


def test_future_check(client: TestClient, rest_app: object) -> None:
    org = default_org(rest_app)  # type: ignore[arg-type]
    url = f"/api/rest/workLogs?{V}"
    tomorrow = {"length": 60, "comment": "x", "timeStamp": "2023-12-13T08:00:00"}
    assert client.post(url, headers=headers("john"), json=tomorrow).status_code == 200
    org.update_settings({"prevent_future_time": True})
    assert_error(client.post(url, headers=headers("john"), json=tomorrow), 422,
                 "FutureCheckFailed", "2023-12-13", "beyond the present day")
    # later today (user-local) is fine; berlin's "today" runs an hour ahead of UTC
    org.set_clock(Clock().frozen(utc(2023, 12, 12, 23, 30)))
    assert client.post(url, headers=headers("john"), json={
        "length": 60, "comment": "x", "timeStamp": "2023-12-12T23:59:00"}).status_code == 200
    assert client.post(url, headers=headers("berlin"), json=tomorrow).status_code == 200
    # New York (UTC-5) is still on the 12th: 19:00 local is today, 00:30 on the 13th is not
    assert client.post(url, headers=headers("newyork"), json={
        "length": 60, "comment": "x", "timeStamp": "2023-12-12T19:00:00"}).status_code == 200
    assert_error(client.post(url, headers=headers("newyork"), json={
        "length": 60, "comment": "x", "timeStamp": "2023-12-13T00:30:00"}), 422,
        "FutureCheckFailed", "2023-12-13", "2023-12-12")


def test_activity_types_disabled(client: TestClient, rest_app: object) -> None:
    default_org(rest_app).update_settings({"activity_types_enabled": False})  # type: ignore[arg-type]
    listed = client.get(f"/api/rest/activityTypes?{V}", headers=headers("john")).json()
    assert listed["data"]["enabled"] is False
    assert_error(client.get(
        f"/api/rest/activityTypes/d0e030e2-b8b4-e711-8418-00155d0a6b50?{V}",
        headers=headers("john")), 400, "ActivityTypeDisabled", "disabled")


def test_batch_with_invalid_items_is_rejected_whole(client: TestClient, rest_app: object) -> None:
    org = default_org(rest_app)  # type: ignore[arg-type]
    before = org.store.counts()["workLogs"]
    items = [{"length": 60, "comment": "fine"},
             {"comment": "no length"},
             {"length": 60, "comment": "fine too"},
             {"length": 60, "comment": "other user", "userId": EUGENE},
             "not an object"]
    error = assert_error(client.post(f"/api/rest/workLogs/batch?{V}", headers=headers("john"),
                                     json=items), 422, "DbValidationError",
                         "nothing was written", "3 of 5")
    assert [(i["index"], i["statusCode"], i["errorCode"]) for i in error["fields"]["items"]] == [
        (1, 422, "LengthIsRequired"), (3, 403, "NoRightsToWorkLogModification"),
        (4, 400, "BadRequest")]
    assert org.store.counts()["workLogs"] == before
    # the caller's own list is unchanged too
    mine = client.get(f"/api/rest/workLogs?{V}", headers=headers("john")).json()["data"]
    assert [w["comment"] for w in mine] == ["john's work"]


def test_work_item_references_are_checked_on_writes(client: TestClient, rest_app: object) -> None:
    """A workItemId that is no work item of the organization is 404 EntityNotFound on create,
    batch items and PATCH; 0, null and "" mean "no work item" (docs/emulation.md section 6)."""
    org = default_org(rest_app)  # type: ignore[arg-type]
    h = headers("john")
    before = org.store.counts()["workLogs"]
    error = assert_error(client.post(f"/api/rest/workLogs?{V}", headers=h,
                                     json={"length": 60, "workItemId": 424242}),
                         404, "EntityNotFound", "Work item 424242")
    assert error["fields"] == {"id": "424242", "property": "workItemId"}
    assert org.store.counts()["workLogs"] == before
    for none in (0, None, "", "0"):
        created = client.post(f"/api/rest/workLogs?{V}", headers=h,
                              json={"length": 60, "comment": "none", "workItemId": none})
        assert created.status_code == 200, (none, created.text)
        assert created.json()["data"]["workItemId"] is None
    ok = client.post(f"/api/rest/workLogs?{V}", headers=h, json={"length": 60, "workItemId": 9})
    assert ok.json()["data"]["workItemId"] == 9
    before = org.store.counts()["workLogs"]
    error = assert_error(client.post(f"/api/rest/workLogs/batch?{V}", headers=h, json=[
        {"length": 60, "workItemId": 5}, {"length": 60, "workItemId": 6},
        {"length": 60, "comment": "c", "workItemId": 0}, {"length": 60, "workItemId": "7"}]),
        422, "DbValidationError", "2 of 4")
    assert [(i["index"], i["statusCode"], i["errorCode"], i["fields"]["id"])
            for i in error["fields"]["items"]] == [(1, 404, "EntityNotFound", "6"),
                                                   (3, 404, "EntityNotFound", "7")]
    assert org.store.counts()["workLogs"] == before
    url = f"/api/rest/workLogs/{ok.json()['data']['id']}?{V}"
    assert_error(client.patch(url, headers=h, json={"workItemId": 31337}), 404,
                 "EntityNotFound", "31337")
    assert client.get(url, headers=h).json()["data"]["workItemId"] == 9  # unchanged
    assert client.patch(url, headers=h, json={"comment": "keep"}).status_code == 200
    cleared = client.patch(url, headers=h, json={"workItemId": 0})
    assert cleared.json()["data"]["workItemId"] is None
    assert client.patch(url, headers=h, json={"workItemId": 100}).json()["data"][
        "workItemId"] == 100
