"""The pytest plugin's live server: real HTTP, per-test reset, role clients, faults, clock."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from mockpace.testing.plugin import Mockpace


def test_live_server_answers_over_http(mockpace: Mockpace, mockpace_url: str) -> None:
    assert mockpace_url.startswith("http://127.0.0.1:")
    assert httpx.get(f"{mockpace_url}/_mockpace/health").json()["status"] == "ok"
    assert mockpace.rest_url == f"{mockpace_url}/api/rest"
    assert mockpace.tracking_url == f"{mockpace_url}/api/tracking/client"
    assert mockpace.odata_url() == f"{mockpace_url}/api/odata/v3.2"
    assert mockpace.onprem_url() == f"{mockpace_url}/api/{mockpace.collection}/rest"


def test_clients_per_role(mockpace: Mockpace, mockpace_client: httpx.Client) -> None:
    admin = mockpace_client.get("/api/rest/me").json()["data"]["user"]
    assert admin["id"] == mockpace.user("Administrator")["userId"]
    team_user = mockpace.user("Team")
    team = mockpace.client("Team").get("/api/rest/me").json()["data"]["user"]
    assert team["id"] == team_user["userId"]
    by_mail = mockpace.client(email=team_user["email"]).get("/api/rest/me").json()
    assert by_mail["data"]["user"]["id"] == team_user["userId"]
    with pytest.raises(LookupError):
        mockpace.user("Emperor")


def test_dropped_connection_over_http(mockpace: Mockpace,
                                      mockpace_client: httpx.Client) -> None:
    mockpace.fault("/api/rest/me", drop=True, times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        mockpace_client.get("/api/rest/me")
    assert mockpace_client.get("/api/rest/me").status_code == 200
    assert [r["status"] for r in mockpace.requests(path="/api/rest/me")] == [200, None]


def test_delay_over_http_within_tolerance(mockpace: Mockpace,
                                          mockpace_client: httpx.Client) -> None:
    mockpace_client.get("/api/rest/me")
    start = time.perf_counter()
    mockpace_client.get("/api/rest/me")
    baseline = time.perf_counter() - start
    mockpace.fault("/api/rest/me", delay_ms=250)
    start = time.perf_counter()
    assert mockpace_client.get("/api/rest/me").status_code == 200
    elapsed = time.perf_counter() - start
    assert 0.25 <= elapsed < 0.25 + baseline + 0.2
    journal = mockpace.requests(path="/api/rest/me", limit=1)[0]
    assert journal["durationMs"] >= 250


def test_clock_and_settings_helpers(mockpace: Mockpace) -> None:
    assert mockpace.set_clock("2026-03-02T09:00:00Z") == {"now": "2026-03-02T09:00:00Z",
                                                          "mode": "fixed"}
    assert mockpace.advance_clock(90)["now"] == "2026-03-02T09:01:30Z"
    assert mockpace.real_clock()["mode"] == "real"
    assert mockpace.settings(strict_contract=True)["strict_contract"] is True


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_starts_clean(mockpace: Mockpace, round_: int) -> None:
    # Whatever the previous round left (a fault, a setting, a fixed clock, a snapshot
    # restore, an extra org) is gone.
    assert mockpace.faults() == []
    assert mockpace.requests() == []
    assert mockpace.settings()["prevent_future_time"] is False
    assert httpx.get(f"{mockpace.url}/_mockpace/clock").json()["mode"] == "real"
    assert [o["name"] for o in httpx.get(f"{mockpace.url}/_mockpace/orgs").json()] == \
        ["contoso"]
    mockpace.fault("/api/*", status=500)
    mockpace.settings(prevent_future_time=True)
    mockpace.set_clock("2026-01-05T00:00:00Z")
    created = mockpace.admin.post("/orgs", json={"name": f"tmp{round_}", "users": 2,
                                                 "workItems": 3, "days": 2})
    assert created.status_code == 201


def test_reset_after_a_test_loaded_a_fixture(mockpace: Mockpace) -> None:
    document: dict[str, Any] = mockpace.export()
    before = len(next(v for k, v in document.items() if k.lower() == "worklogs"))
    key = next(k for k in document if k.lower() == "worklogs")
    mockpace.admin.post("/fixtures", json={**document, key: document[key][:2]})
    mockpace.reset()
    assert len(mockpace.export()[key]) == before
    mockpace.admin.post("/reset")
    assert len(mockpace.export()[key]) == before
