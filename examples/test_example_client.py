"""Example tests of a 7pace client (timesheet.py) against a live mockpace, using only the
public pytest plugin fixtures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from timesheet import TimesheetClient


@pytest.fixture
def timesheet(mockpace: Any) -> TimesheetClient:
    return TimesheetClient(mockpace.url, mockpace.token("Administrator"))


def test_me_is_the_token_owner(mockpace: Any, timesheet: TimesheetClient) -> None:
    assert timesheet.me()["user"]["id"] == mockpace.user("Administrator")["userId"]


def test_raw_httpx_client_per_role(mockpace: Any, mockpace_client: httpx.Client) -> None:
    assert mockpace_client.get("/api/rest/me").status_code == 200
    team = mockpace.client("Team")
    assert team.get("/api/rest/me").json()["data"]["user"]["id"] == mockpace.user("Team")[
        "userId"]
    assert team.get("/api/rest/workLogs/all").status_code == 403


def test_paging_reads_every_worklog_once(timesheet: TimesheetClient) -> None:
    worklogs = timesheet.my_worklogs(page_size=7)
    ids = [w["id"] for w in worklogs]
    assert len(ids) == len(set(ids))


def test_retries_a_503_once(mockpace: Any, timesheet: TimesheetClient) -> None:
    mockpace.fault("/api/rest/me", status=503, times=1)
    assert timesheet.me()["user"]["id"]
    assert mockpace.request_count(path="/api/rest/me") == 2
    assert [r["status"] for r in mockpace.requests(path="/api/rest/me")] == [200, 503]


def test_honours_retry_after_on_429(mockpace: Any, timesheet: TimesheetClient) -> None:
    mockpace.fault("/api/rest/me", status=429, retry_after=0, times=2)
    timesheet.me()
    assert [f["matched"] for f in mockpace.faults()] == [2]


def test_gives_up_on_a_dropped_connection(mockpace: Any, timesheet: TimesheetClient) -> None:
    mockpace.fault("/api/rest/me", drop=True, times=1)
    with pytest.raises(httpx.TransportError):
        timesheet.me()
    assert timesheet.me()["user"]["id"]  # the next call is served normally


def test_frozen_clock_and_journal(mockpace: Any, timesheet: TimesheetClient) -> None:
    mockpace.set_clock("2026-11-02T09:30:00Z")
    created = timesheet.log_time(100, 1800, "pairing")
    assert created["length"] == 1800
    # no timestamp sent: "now" of the frozen clock, in the user's local time
    offset = timedelta(minutes=timesheet.me()["timeZone"])
    local = datetime(2026, 11, 2, 9, 30) + offset
    assert created["timestamp"] == local.strftime("%Y-%m-%dT%H:%M:%S")
    sent = mockpace.requests(method="POST", path="/api/rest/workLogs")[0]
    assert sent["body"] == {"workItemId": 100, "length": 1800, "comment": "pairing"}
    assert sent["headers"]["authorization"].startswith("Bearer ****")
    assert sent["warnings"] == []


def test_each_test_starts_from_the_same_state(mockpace: Any) -> None:
    first = mockpace.export()
    mockpace.settings(prevent_future_time=True)
    mockpace.reset()
    assert mockpace.export() == first
    assert mockpace.settings()["prevent_future_time"] is False
