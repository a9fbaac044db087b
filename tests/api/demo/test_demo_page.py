"""The demo page at ``/``: served whole from the package, nothing from another host, and the
requests it makes (listed in its header) answer what the page shows, on the small fixture."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import bearer

ADA = "small-admin-token-0000000000000000000000000000000001"
TOM = "small-team-token-00000000000000000000000000000000002"
JSON = {"Content-Type": "application/json"}


def week_url(monday: str, sunday_before: str, next_monday: str, everyone: bool) -> str:
    """The week query exactly as the page builds it (loadWeek)."""
    return (f"/api/rest/workLogs{'/all' if everyone else ''}?api-version=3.2"
            f"&$fromTimestamp={sunday_before}T23:59:59&$toTimestamp={next_monday}T00:00:00"
            "&$count=500&$skip=0")


def test_page_is_served_whole_and_names_no_other_host(small_client: TestClient) -> None:
    response = small_client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.I)  # no host at all
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", html)  # one file, inline only
    for link in ("/docs", "/redoc", "/api/rest/me?api-version=3.2", "/api/odata/v3.2",
                 "/api/tracking/client/current?api-version=3.2", "/_mockpace/health"):
        assert f'href="{link}"' in html
    # the requests below are the page's own
    for request in ("/_mockpace/tokens", "/_mockpace/orgs", "/_mockpace/clock",
                    "$fromTimestamp=", "/api/tracking/client/startTracking?api-version=3.2",
                    "/api/tracking/client/stopTracking/0?api-version=3.2", "/_mockpace/reset",
                    "/api/odata/v3.2/workLogsWorkItems?$apply=",
                    "aggregate(PeriodLength with sum as PeriodLength)"):
        assert request in html, request
    assert '"Content-Type"] = "application/json"' in html  # admin calls are non-simple


def test_header_and_user_list(small_client: TestClient) -> None:
    orgs = small_client.get("/_mockpace/orgs").json()
    assert orgs == [{"name": "contoso", "collection": "DefaultCollection",
                     "counts": {"users": 3, "workItems": 5, "workLogs": 12}}]
    users = small_client.get("/_mockpace/tokens").json()
    assert [(u["name"], u["role"], u["token"]) for u in users] == [
        ("Ada Admin", "Administrator", ADA),
        ("Mia Manager", "Approval Manager",
         "small-manager-token-000000000000000000000000000000003"),
        ("Tom Team", "Team", TOM)]


def test_week_of_everyone_and_of_one_user(small_client: TestClient) -> None:
    everyone = small_client.get(week_url("2026-02-23", "2026-02-22", "2026-03-02", True),
                                headers=bearer(ADA)).json()["data"]
    assert len(everyone) == 9 and sum(w["length"] for w in everyone) == 48600
    mine = small_client.get(week_url("2026-02-23", "2026-02-22", "2026-03-02", False),
                            headers=bearer(TOM)).json()["data"]
    assert [(w["timestamp"], w["length"]) for w in mine] == [
        ("2026-02-27T09:00:00", 900), ("2026-02-26T09:00:00", 2700),
        ("2026-02-25T09:00:00", 9000), ("2026-02-24T09:00:00", 14400),
        ("2026-02-23T11:30:00", 3600), ("2026-02-23T09:00:00", 7200)]
    # everyone's week needs a role with the right: the page shows the error text
    refused = small_client.get(week_url("2026-02-23", "2026-02-22", "2026-03-02", True),
                               headers=bearer(TOM))
    assert refused.status_code == 403
    assert refused.json()["error"]["errorDescription"]


def test_timer_start_clock_stop_and_the_worklog_appears(small_client: TestClient) -> None:
    assert small_client.put("/_mockpace/clock", headers=JSON,
                            json={"now": "2026-03-03T08:00:00Z"}).status_code == 200
    started = small_client.post("/api/tracking/client/startTracking?api-version=3.2",
                                headers=bearer(TOM), json={"tfsId": 102, "remark": "demo"})
    assert started.json()["track"]["trackingState"] == "tracking"
    moved = small_client.put("/_mockpace/clock", headers=JSON, json={"advance": 3600})
    assert moved.json() == {"now": "2026-03-03T09:00:00Z", "mode": "fixed"}
    current = small_client.get("/api/tracking/client/current?api-version=3.2",
                               headers=bearer(TOM)).json()
    assert current["track"]["currentTrackLength"] == 3600
    stopped = small_client.post("/api/tracking/client/stopTracking/0?api-version=3.2",
                                headers=bearer(TOM)).json()
    assert stopped["track"]["trackingState"] == "idle"
    week = small_client.get(week_url("2026-03-02", "2026-03-01", "2026-03-09", False),
                            headers=bearer(TOM)).json()["data"]
    assert [(w["timestamp"], w["length"], w["workItemId"], w["comment"],
             w["flags"]["isTracked"]) for w in week] == [
        ("2026-03-03T09:00:00", 4500, 103, "", False),
        ("2026-03-03T03:00:00", 3600, 102, "demo", True)]  # Tom is UTC-5: 08:00Z is 03:00


def test_odata_rows_and_chart_totals(small_client: TestClient) -> None:
    rows = small_client.get(
        "/api/odata/v3.2/workLogsWorkItems?$select=Timestamp,PeriodLength,User/Name,"
        "WorkItem/System_Title&$orderby=Timestamp desc&$top=20", headers=bearer(ADA)).json()
    assert len(rows["value"]) == 12
    assert rows["value"][0] == {"Timestamp": "2026-03-04T10:00:00Z", "PeriodLength": 1800,
                                "User": {"Name": "Mia Manager"}, "WorkItem": None}
    apply = ("filter(Timestamp ge 2026-02-01 and Timestamp lt 2026-04-01)/groupby(({}),"
             "aggregate(PeriodLength with sum as PeriodLength))")
    totals: dict[str, list[dict[str, object]]] = {}
    for key, path in (("user", "User/Name"), ("project", "WorkItem/System_TeamProject")):
        chart = small_client.get("/api/odata/v3.2/workLogsWorkItems",  # as runChart asks
                                 params={"$apply": apply.format(path)}, headers=bearer(ADA))
        assert chart.status_code == 200, chart.text
        assert "@odata.nextLink" not in chart.json()
        totals[key] = chart.json()["value"]
    assert totals["user"] == [{"User": {"Name": "Ada Admin"}, "PeriodLength": 18000},
                              {"User": {"Name": "Mia Manager"}, "PeriodLength": 1800},
                              {"User": {"Name": "Tom Team"}, "PeriodLength": 42300}]
    # worklogs without a work item form their own group: the page names it "(no work item)"
    assert totals["project"] == [
        {"WorkItem": None, "PeriodLength": 3600},
        {"WorkItem": {"System_TeamProject": "Fabrikam"}, "PeriodLength": 58500}]


def test_reset_and_real_clock_as_the_page_sends_them(small_client: TestClient) -> None:
    small_client.post("/api/rest/workLogs?api-version=3.2", headers=bearer(ADA),
                      json={"length": 60, "comment": "to be reset"})
    assert small_client.get("/_mockpace/health").json()["counts"]["workLogs"] == 13
    reset = small_client.post("/_mockpace/reset", headers=JSON, json={})
    assert reset.status_code == 200 and reset.json()["status"] == "reset"
    assert small_client.get("/_mockpace/health").json()["counts"]["workLogs"] == 12
    real = small_client.put("/_mockpace/clock", headers=JSON, json={"mode": "real"})
    assert real.json()["mode"] == "real"
