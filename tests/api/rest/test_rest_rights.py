"""Rights per role per endpoint (docs/emulation.md s2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.rest.helpers import V
from tests.api.rest.scenario import JOHN, ROLE_USERS, headers, user_id

LOG = "dc54d553-a762-47c3-a68f-80d64bdd2a66"  # Eugene's (the Administrator's)
ROLES = ["Administrator", "Budget", "Product", "Team", "Approval Manager", "None"]
Call = Callable[[TestClient, dict[str, str], str], Any]


def own_log(client: TestClient, h: dict[str, str]) -> str:
    """A worklog of the caller, created as the admin (works for every role, even None)."""
    me = client.get(f"/api/rest/me?{V}", headers=h).json()["data"]["user"]["id"]
    response = client.post(f"/api/rest/workLogs?{V}", headers=headers("eugene"),
                           json={"length": 60, "comment": "own", "userId": me})
    return response.json()["data"]["id"]  # type: ignore[no-any-return]


ENDPOINTS: dict[str, tuple[Call, set[str]]] = {
    "GET me": (lambda c, h, _: c.get(f"/api/rest/me?{V}", headers=h), set(ROLES)),
    "GET users": (lambda c, h, _: c.get(f"/api/rest/users?{V}", headers=h),
                  set(ROLES) - {"None"}),
    "GET users/{id}": (lambda c, h, _: c.get(f"/api/rest/users/{JOHN}?{V}", headers=h),
                       set(ROLES) - {"None"}),
    "GET users/roles": (lambda c, h, _: c.get(f"/api/rest/users/roles?{V}", headers=h),
                        {"Administrator"}),
    "POST users/roles": (lambda c, h, _: c.post(f"/api/rest/users/roles?{V}", headers=h,
                                                json={"users": []}), {"Administrator"}),
    "GET activityTypes": (lambda c, h, _: c.get(f"/api/rest/activityTypes?{V}", headers=h),
                          set(ROLES) - {"None"}),
    "GET activityTypes/{id}": (
        lambda c, h, _: c.get(f"/api/rest/activityTypes/00000000-0000-0000-0000-000000000000"
                              f"?{V}", headers=h), set(ROLES) - {"None"}),
    "GET workLogs": (lambda c, h, _: c.get(f"/api/rest/workLogs?{V}", headers=h),
                     set(ROLES) - {"None"}),
    "GET workLogs/all": (lambda c, h, _: c.get(f"/api/rest/workLogs/all?{V}", headers=h),
                         {"Administrator", "Budget", "Product"}),
    "GET workLogs/{id} of another": (
        lambda c, h, _: c.get(f"/api/rest/workLogs/{LOG}?{V}", headers=h),
        {"Administrator", "Budget", "Product"}),
    "GET workLogs/{id} own": (
        lambda c, h, own: c.get(f"/api/rest/workLogs/{own}?{V}", headers=h),
        set(ROLES) - {"None"}),
    "POST workLogs own": (
        lambda c, h, _: c.post(f"/api/rest/workLogs?{V}", headers=h,
                               json={"length": 60, "comment": "x"}), set(ROLES) - {"None"}),
    "POST workLogs for another": (
        lambda c, h, _: c.post(f"/api/rest/workLogs?{V}", headers=h,
                               json={"length": 60, "comment": "x",
                                     "userId": user_id("jordan")}), {"Administrator"}),
    "POST workLogs/batch own": (
        lambda c, h, _: c.post(f"/api/rest/workLogs/batch?{V}", headers=h,
                               json=[{"length": 60, "comment": "x"}]), set(ROLES) - {"None"}),
    "PATCH workLogs/{id} own": (
        lambda c, h, own: c.patch(f"/api/rest/workLogs/{own}?{V}", headers=h,
                                  json={"length": 120}), set(ROLES) - {"None"}),
    "PATCH workLogs/{id} of another": (
        lambda c, h, _: c.patch(f"/api/rest/workLogs/{LOG}?{V}", headers=h,
                                json={"length": 120}), {"Administrator"}),
    "DELETE workLogs/{id} own": (
        lambda c, h, own: c.delete(f"/api/rest/workLogs/{own}?{V}", headers=h),
        set(ROLES) - {"None"}),
    "DELETE workLogs/{id} of another": (
        lambda c, h, _: c.delete(f"/api/rest/workLogs/{LOG}?{V}", headers=h),
        {"Administrator"}),
    "GET timeApproval/all": (
        lambda c, h, _: c.get(f"/api/rest/timeApproval/all?{V}", headers=h),
        {"Administrator", "Approval Manager"}),
    "POST timeApproval/week": (
        lambda c, h, _: c.post(f"/api/rest/timeApproval/week?{V}", headers=h,
                               json={"weekStart": "2023-10-02",
                                     "assignedManagerId": user_id("manager")}),
        set(ROLES) - {"None"}),
    "DELETE timeApproval/week": (
        lambda c, h, _: c.delete(f"/api/rest/timeApproval/week?{V}&weekStart=2023-10-02",
                                 headers=h), set(ROLES) - {"None"}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_role_against_endpoint(client: TestClient, role: str, endpoint: str) -> None:
    call, allowed = ENDPOINTS[endpoint]
    h = headers(ROLE_USERS[role])
    own = own_log(client, h) if "own" in endpoint else ""
    response = call(client, h, own)
    if role in allowed:
        assert response.status_code == 200, (role, endpoint, response.text)
        return
    assert response.status_code == 403, (role, endpoint, response.text)
    code = response.json()["error"]["errorCode"]
    modifies_other = endpoint.split()[0] in ("POST", "PATCH", "DELETE") and \
        endpoint.endswith("another")
    expected = "NoRightsToWorkLogModification" if modifies_other and role != "None" \
        else "AccessDenied"
    assert code == expected, (role, endpoint, code)

