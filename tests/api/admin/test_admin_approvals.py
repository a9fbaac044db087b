"""POST /_mockpace/approvals: set a week's approval state."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _users(client: TestClient) -> list[dict[str, Any]]:
    users: list[dict[str, Any]] = client.get("/_mockpace/tokens").json()
    return users


def test_approve_then_reopen_a_week(small_client: TestClient) -> None:
    users = _users(small_client)
    owner = users[0]
    manager = next(u for u in users if u["role"] in ("Administrator", "Approval Manager"))
    small_client.put("/_mockpace/clock", json={"now": "2026-11-27T12:00:00Z"})
    response = small_client.post("/_mockpace/approvals", json={
        "userId": owner["userId"], "weekStart": "2026-11-23", "state": "approved",
        "managerId": manager["userId"]})
    assert response.status_code == 200, response.text
    record = response.json()
    assert list(record) == ["id", "weekStartDate", "weekEndDate", "user", "approvalState",
                            "modificationTimestamp", "submittedTimestamp", "approvalTimestamp",
                            "assignedManager", "approvedByManager"]
    assert record["weekStartDate"] == "2026-11-23T00:00:00"
    assert record["weekEndDate"] == "2026-11-29T00:00:00"
    assert record["user"]["id"] == owner["userId"]
    assert record["approvalState"] == 3
    assert record["approvedByManager"]["id"] == manager["userId"]
    assert record["approvalTimestamp"] is not None
    assert record["approvalTimestamp"] == record["modificationTimestamp"]

    # exactly what REST timeApproval/all shows
    admin_token = next(u["token"] for u in users if u["role"] == "Administrator")
    listed = small_client.get("/api/rest/timeApproval/all?api-version=3.2&$count=500",
                              headers={"Authorization": f"Bearer {admin_token}"})
    assert listed.status_code == 200, listed.text
    assert [a for a in listed.json()["data"] if a["id"] == record["id"]] == [record]

    again = small_client.post("/_mockpace/approvals", json={
        "userId": owner["userId"], "weekStart": "2026-11-23", "state": "reopened"}).json()
    assert again["id"] == record["id"]
    assert again["approvalState"] == 2
    assert again["approvedByManager"] is None
    assert again["approvalTimestamp"] is None
    closed = small_client.post("/_mockpace/approvals", json={
        "userId": owner["userId"], "weekStart": "2026-11-16", "state": "closed"}).json()
    assert closed["approvalState"] == 99
    submitted = small_client.post("/_mockpace/approvals", json={
        "userId": owner["userId"], "weekStart": "2026-11-09", "state": "submitted",
        "managerId": manager["userId"]}).json()
    assert submitted["approvalState"] == 1
    assert submitted["assignedManager"]["id"] == manager["userId"]
    assert submitted["submittedTimestamp"] is not None


def test_approval_errors(small_client: TestClient) -> None:
    owner = _users(small_client)[0]["userId"]
    cases = [
        ({"userId": owner, "weekStart": "2026-11-23", "state": "done"}, 400, "state"),
        ({"userId": owner, "weekStart": "2026-11-24", "state": "approved"}, 400, "Monday"),
        ({"userId": owner, "weekStart": "soon", "state": "approved"}, 400, "weekStart"),
        ({"userId": owner, "state": "approved"}, 400, "weekStart"),
        ({"userId": "00000000-0000-0000-0000-00000000abcd", "weekStart": "2026-11-23",
          "state": "approved"}, 404, "00000000-0000-0000-0000-00000000abcd"),
        ({"userId": owner, "weekStart": "2026-11-23", "state": "approved",
          "managerId": "nobody"}, 404, "nobody"),
        ({"userId": owner, "weekStart": "2026-11-23", "state": "approved", "note": 1}, 400,
         "note"),
    ]
    for body, status, text in cases:
        response = small_client.post("/_mockpace/approvals", json=body)
        assert response.status_code == status, body
        assert text in response.json()["error"]["errorDescription"], body
