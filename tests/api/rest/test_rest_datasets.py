"""REST over the shared data sets: the small fixture (exact values) and the default generated
organization (paging over everything, soft-deleted rows hidden)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.api.rest.helpers import V, assert_error
from tests.conftest import bearer, default_org, tokens

TOM = "tom.team@contoso.com"
ADA = "ada.admin@contoso.com"


def test_small_fixture_worklogs_in_the_owners_time(small_client: TestClient,
                                                   small_app: FastAPI) -> None:
    tom = bearer(tokens(small_app)[TOM])
    data = small_client.get(f"/api/rest/workLogs?{V}", headers=tom).json()["data"]
    assert [(w["id"][-2:], w["timestamp"], w["length"]) for w in data] == [
        ("0b", "2026-03-03T09:00:00", 4500),
        ("0a", "2026-02-27T09:00:00", 900),
        ("09", "2026-02-26T09:00:00", 2700),
        ("08", "2026-02-25T09:00:00", 9000),
        ("07", "2026-02-24T09:00:00", 14400),
        ("06", "2026-02-23T11:30:00", 3600),
        ("05", "2026-02-23T09:00:00", 7200),
    ]
    edited = data[0]
    assert (edited["createdTimestamp"], edited["editedTimestamp"],
            edited["editedByUser"]["email"], edited["flags"]["isChanged"]) == (
        "2026-03-03T11:00:00", "2026-03-04T04:00:00", TOM, True)
    assert data[2]["activityType"]["name"] == "[Not Set]"
    assert data[2]["comment"] == "Feature review"
    assert data[-1]["flags"]["isTracked"] is True


def test_small_fixture_admin_view_and_lock(small_client: TestClient, small_app: FastAPI) -> None:
    ada = bearer(tokens(small_app)[ADA])
    one = small_client.get(f"/api/rest/workLogs/aaaaaaaa-0000-4000-8000-000000000004?{V}",
                           headers=ada).json()["data"]
    assert (one["timestamp"], one["billableLength"], one["activityType"]["name"],
            one["flags"]["isBillable"], one["user"]["email"]) == (
        "2026-03-02T09:30:00", 3600, "Testing", True, ADA)
    # Tom's week of 2026-02-23 is approved: locked for everybody, the admin too
    assert_error(small_client.patch(
        f"/api/rest/workLogs/aaaaaaaa-0000-4000-8000-000000000005?{V}", headers=ada,
        json={"comment": "late edit"}), 409, "ApprovalStateFailed", "2026-02-23")
    approvals = small_client.get(f"/api/rest/timeApproval/all?{V}",
                                 headers=bearer(tokens(small_app)["mia.manager@contoso.com"]))
    week = approvals.json()["data"][0]
    assert (week["weekStartDate"], week["approvalState"], week["user"]["email"],
            week["approvedByManager"]["email"], week["approvalTimestamp"]) == (
        "2026-02-23T00:00:00", 3, TOM, "mia.manager@contoso.com", "2026-03-02T04:00:00")


def test_seeded_data_pages_without_gaps(seeded_client: TestClient, seeded_app: FastAPI) -> None:
    org = default_org(seeded_app)
    with org.store.engine.connect() as conn:
        live = [r[0] for r in conn.execute(text(
            "SELECT id FROM worklogs WHERE is_deleted = 0 ORDER BY timestamp DESC, id"))]
        deleted = {r[0] for r in conn.execute(text(
            "SELECT id FROM worklogs WHERE is_deleted = 1"))}
        admin = conn.execute(text(
            "SELECT email FROM users WHERE role = 'Administrator' ORDER BY email")).scalar_one()
    assert len(live) > 1000 and deleted
    h = bearer(tokens(seeded_app)[admin])
    seen: list[str] = []
    while True:
        page = seeded_client.get(f"/api/rest/workLogs/all?{V}&$count=500&$skip={len(seen)}",
                                 headers=h).json()["data"]
        seen += [w["id"] for w in page]
        if len(page) < 500:
            break
    assert seen == live
    assert not deleted & set(seen)
