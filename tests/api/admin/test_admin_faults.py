"""Fault rules (docs/admin.md "Faults")."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, tokens

ME = "/api/rest/me?api-version=3.2"


def _headers(app: Any) -> dict[str, str]:
    return bearer(next(iter(tokens(app).values())))


def _add(client: TestClient, **rule: Any) -> dict[str, Any]:
    response = client.post("/_mockpace/faults", json=rule)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_status_fault_answers_the_7pace_error_body(small_client: TestClient,
                                                   small_app: Any) -> None:
    rule = _add(small_client, method="get", path="/api/rest/ME*", status=503,
                errorCode="UnknownError")
    assert rule == {"id": rule["id"], "method": "GET", "path": "/api/rest/ME*", "status": 503,
                    "errorCode": "UnknownError", "delayMs": None, "delayMaxMs": None,
                    "retryAfter": None, "drop": False, "probability": None, "seed": None,
                    "times": None, "forSeconds": None, "matched": 0}
    response = small_client.get(ME, headers=_headers(small_app))
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["statusCode"] == 503
    assert error["errorCode"] == "UnknownError"
    assert rule["id"] in error["errorDescription"]
    # other methods and paths are not selected
    assert small_client.post(ME, json={}).status_code != 503
    assert small_client.get("/api/rest/users?api-version=3.2",
                            headers=_headers(small_app)).status_code != 503
    listed = small_client.get("/_mockpace/faults").json()
    assert [r["matched"] for r in listed] == [1]


def test_status_fault_on_reporting_uses_the_odata_body(small_client: TestClient,
                                                       small_app: Any) -> None:
    _add(small_client, path="/api/odata/*", status=500)
    response = small_client.get("/api/odata/v3.2/workItems", headers=_headers(small_app))
    assert response.status_code == 500
    body = response.json()
    assert set(body["error"]) == {"code", "message", "target", "details"}
    assert response.headers["OData-Version"] == "4.0"


def test_429_fault_carries_retry_after(small_client: TestClient, small_app: Any) -> None:
    _add(small_client, path="/api/rest/*", status=429, retryAfter=30)
    response = small_client.get(ME, headers=_headers(small_app))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    error = response.json()["error"]
    assert error["errorCode"] == "QuoteExceededError"
    assert error["fields"]["retryAfter"] == "30"


def test_probability_with_seed_repeats_the_same_sequence(small_client: TestClient,
                                                         small_app: Any) -> None:
    def run() -> list[int]:
        small_client.delete("/_mockpace/faults")
        _add(small_client, path="/api/rest/me", status=500, probability=0.5, seed=42)
        return [small_client.get(ME, headers=_headers(small_app)).status_code
                for _ in range(24)]

    first, second = run(), run()
    assert first == second
    assert set(first) == {200, 500}  # both outcomes occur with p=0.5 over 24 draws
    matched = small_client.get("/_mockpace/faults").json()[0]["matched"]
    assert matched == first.count(500)


def test_times_limits_and_first_matching_rule_wins(small_client: TestClient,
                                                   small_app: Any) -> None:
    first = _add(small_client, path="/api/rest/*", status=503, times=2)
    second = _add(small_client, path="/api/rest/me", status=404)
    statuses = [small_client.get(ME, headers=_headers(small_app)).status_code
                for _ in range(4)]
    assert statuses == [503, 503, 404, 404]
    counts = {r["id"]: r["matched"] for r in small_client.get("/_mockpace/faults").json()}
    assert counts == {first["id"]: 2, second["id"]: 2}

    deleted = small_client.delete(f"/_mockpace/faults/{second['id']}")
    assert deleted.status_code == 200
    assert [r["id"] for r in small_client.get("/_mockpace/faults").json()] == [first["id"]]
    assert small_client.get(ME, headers=_headers(small_app)).status_code == 200
    missing = small_client.delete(f"/_mockpace/faults/{second['id']}")
    assert missing.status_code == 404
    assert missing.json()["error"]["errorCode"] == "EntityNotFound"
    assert small_client.delete("/_mockpace/faults").status_code == 200
    assert small_client.get("/_mockpace/faults").json() == []


def test_time_window_ends_the_rule(small_client: TestClient, small_app: Any) -> None:
    _add(small_client, path="/api/rest/me", status=503, forSeconds=0.4)
    assert small_client.get(ME, headers=_headers(small_app)).status_code == 503
    time.sleep(0.45)
    assert small_client.get(ME, headers=_headers(small_app)).status_code == 200
    assert small_client.get("/_mockpace/faults").json()[0]["matched"] == 1


def test_fixed_delay_is_applied(small_client: TestClient, small_app: Any) -> None:
    headers = _headers(small_app)
    small_client.get(ME, headers=headers)
    start = time.perf_counter()
    small_client.get(ME, headers=headers)
    baseline = time.perf_counter() - start
    _add(small_client, path="/api/rest/me", delayMs=300)
    start = time.perf_counter()
    response = small_client.get(ME, headers=headers)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200  # a delay alone keeps the normal answer
    assert 0.3 <= elapsed < 0.3 + baseline + 0.25


def test_uniform_delay_stays_in_range_and_then_status(small_client: TestClient,
                                                      small_app: Any) -> None:
    _add(small_client, path="/api/rest/me", delayMs=100, delayMaxMs=200, status=502, seed=3)
    for _ in range(3):
        start = time.perf_counter()
        response = small_client.get(ME, headers=_headers(small_app))
        elapsed = time.perf_counter() - start
        assert response.status_code == 502
        assert 0.1 <= elapsed < 0.45


def test_drop_without_a_connection_fails_the_call(small_client: TestClient,
                                                  small_app: Any) -> None:
    _add(small_client, path="/api/rest/me", drop=True)
    with pytest.raises(ConnectionResetError):
        small_client.get(ME, headers=_headers(small_app))
    journal = small_client.get("/_mockpace/requests").json()["requests"]
    assert journal[0]["status"] is None


@pytest.mark.parametrize(("rule", "prop"), [
    ({"status": 503}, "path"),
    ({"path": "/api/*"}, "status"),
    ({"path": "/api/*", "status": 200}, "status"),
    ({"path": "/api/*", "status": "503"}, "status"),
    ({"path": "/api/*", "delayMs": -1}, "delayMs"),
    ({"path": "/api/*", "delayMs": 500, "delayMaxMs": 100}, "delayMaxMs"),
    ({"path": "/api/*", "status": 500, "probability": 1.5}, "probability"),
    ({"path": "/api/*", "status": 500, "times": 0}, "times"),
    ({"path": "/api/*", "drop": "yes"}, "drop"),
    ({"path": "/api/*", "status": 500, "forSeconds": 0}, "forSeconds"),
    ({"path": "/api/*", "status": 500, "colour": "red"}, "colour"),
])
def test_bad_rules_are_400_naming_the_property(small_client: TestClient, rule: dict[str, Any],
                                               prop: str) -> None:
    response = small_client.post("/_mockpace/faults", json=rule)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["errorCode"] == "BadRequest"
    assert error["fields"]["property"] == prop
    assert prop in error["errorDescription"]
    assert small_client.get("/_mockpace/faults").json() == []
