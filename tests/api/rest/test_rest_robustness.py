"""No input gives a 500: odd numbers, dates at the edges, odd shapes, odd encodings."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.rest.helpers import V
from tests.api.rest.scenario import headers

LOG = "dc54d553-a762-47c3-a68f-80d64bdd2a66"
ODD_VALUES: list[Any] = [
    None, True, 0, -1, 10**30, -(10**30), 1.5, 1e308, "", " ", "1e999", "NaN", "0x10", "٣",
    [], {}, [1], {"a": 1}, "9999-12-31T23:59:59", "0001-01-01", "2023-12-11T10:00:00+99:99",
    "12/31/9999 11:59:59 PM", "\u0000", "x" * 5000,
]
FIELDS = ["timeStamp", "length", "billableLength", "workItemId", "comment", "userId",
          "activityTypeId", "activityType"]


@pytest.mark.parametrize("field", FIELDS)
def test_odd_values_in_worklog_bodies(client: TestClient, field: str) -> None:
    for value in ODD_VALUES:
        body = {"length": 60, "comment": "x", field: value}
        for response in (
            client.post(f"/api/rest/workLogs?{V}", headers=headers("eugene"), json=body),
            client.patch(f"/api/rest/workLogs/{LOG}?{V}", headers=headers("eugene"), json=body),
            client.post(f"/api/rest/workLogs/batch?{V}", headers=headers("eugene"),
                        json=[body]),
        ):
            assert response.status_code < 500, (field, value, response.text)
            if response.status_code >= 400:
                assert response.json()["error"]["errorDescription"]


@pytest.mark.parametrize("parameter", ["$count", "$skip", "$fromTimestamp", "$toTimestamp",
                                       "$fromCreatedTimestamp", "$toCreatedTimestamp",
                                       "$workItemIds", "$includeEditable", "$expand"])
def test_odd_query_values(client: TestClient, parameter: str) -> None:
    for value in ["", "-1", "99999999999999999999", "1e3", "9999-12-31T23:59:59",
                  "0001-01-01T00:00:00", "2023-01-01T00:00:00+99:00", "1,,2", "%00", "true",
                  ",".join(["99999999999"] * 3)]:
        for path in ("workLogs", "workLogs/all", "timeApproval/all", "users", "users/roles"):
            response = client.get(f"/api/rest/{path}?{V}&{parameter}={value}",
                                  headers=headers("eugene"))
            assert response.status_code < 500, (path, parameter, value, response.text)


def test_odd_bodies_and_weeks(client: TestClient) -> None:
    h = headers("eugene")
    for raw in (b"null", b"[]", b"123", b'"text"', b"\xff\xfe", b"[" * 10000, b'{"a":'):
        for method, path in (("POST", "workLogs"), ("PATCH", f"workLogs/{LOG}"),
                             ("POST", "workLogs/batch"), ("POST", "users/roles"),
                             ("POST", "timeApproval/week")):
            response = client.request(method, f"/api/rest/{path}?{V}", headers=h, content=raw)
            expected = 200 if (raw, path) == (b"[]", "workLogs/batch") else 400
            assert response.status_code == expected, (method, path, raw[:10], response.text)
    for week in ("9999-12-31", "0001-01-01", "2023-02-30", "1753-01-01"):
        post = client.post(f"/api/rest/timeApproval/week?{V}", headers=h,
                           json={"weekStart": week})
        delete = client.delete(f"/api/rest/timeApproval/week?{V}&weekStart={week}", headers=h)
        assert post.status_code < 500 and delete.status_code < 500, (week, post.text)
    roles = client.post(f"/api/rest/users/roles?{V}", headers=h, json={"users": [
        {"id": 5, "role": {"id": 7}}, {"email": "%", "role": {"name": "Team"}}, None]})
    assert roles.status_code == 400
    roles = client.post(f"/api/rest/users/roles?{V}", headers=h, json={"users": [
        {"id": "x", "role": {"id": 7}}, {"email": "%", "role": {"name": "Team"}}]})
    assert roles.json()["data"]["failed"] == 2
