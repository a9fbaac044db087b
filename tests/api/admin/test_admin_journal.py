"""The request journal (docs/admin.md "Request journal")."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import bearer, tokens


def _token(app: Any) -> str:
    return next(iter(tokens(app).values()))


def _journal(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/_mockpace/requests", params=params)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["requests"]
    return entries


def test_journal_records_7pace_requests_with_masked_token(small_client: TestClient,
                                                          small_app: Any) -> None:
    client = small_client
    client.delete("/_mockpace/requests")
    token = _token(small_app)
    response = client.get("/api/rest/me?api-version=3.2&$expand=user.displayName",
                          headers={**bearer(token), "X-Trace": "abc"})
    assert response.status_code == 200
    entries = _journal(client)
    assert len(entries) == 1
    entry = entries[0]
    assert list(entry) == ["time", "method", "path", "query", "headers", "body", "status",
                           "durationMs", "warnings"]
    assert entry["method"] == "GET"
    assert entry["path"] == "/api/rest/me"
    assert entry["query"] == "api-version=3.2&$expand=user.displayName"
    assert entry["headers"]["authorization"] == f"Bearer ****{token[-4:]}"
    assert token not in str(entry)
    assert entry["headers"]["x-trace"] == "abc"
    assert entry["body"] is None
    assert entry["status"] == 200
    assert entry["durationMs"] >= 0
    assert entry["warnings"] == []
    assert entry["time"].endswith("Z")


def test_journal_masks_basic_credentials(small_client: TestClient, small_app: Any) -> None:
    import base64

    small_client.delete("/_mockpace/requests")
    token = _token(small_app)
    basic = base64.b64encode(f"anyone:{token}".encode()).decode()
    small_client.get("/api/rest/me?api-version=3.2", headers={"Authorization": f"Basic {basic}"})
    entry = _journal(small_client)[0]
    assert entry["headers"]["authorization"] == f"Basic ****{token[-4:]}"
    assert basic not in str(entry) and token not in str(entry)


def test_journal_keeps_json_body_and_keeps_admin_plane_out(small_client: TestClient,
                                                           small_app: Any) -> None:
    small_client.delete("/_mockpace/requests")
    body = {"length": 3600, "comment": "journal test"}
    small_client.post("/api/rest/workLogs?api-version=3.2", json=body,
                      headers=bearer(_token(small_app)))
    small_client.get("/_mockpace/health")
    entries = _journal(small_client)
    assert [e["path"] for e in entries] == ["/api/rest/workLogs"]
    assert entries[0]["body"] == body


def test_journal_filters_count_order_and_clear(small_client: TestClient, small_app: Any) -> None:
    client = small_client
    client.delete("/_mockpace/requests")
    headers = bearer(_token(small_app))
    client.get("/api/rest/me?api-version=3.2", headers=headers)
    client.get("/api/rest/me?api-version=3.2")  # 401
    client.get("/api/rest/nothing-here?api-version=3.2", headers=headers)  # 404
    client.get("/api/DefaultCollection/rest/me?api-version=3.2", headers=headers)
    entries = _journal(client)
    assert [e["status"] for e in entries] == [200, 404, 401, 200]  # newest first
    assert entries[0]["path"] == "/api/DefaultCollection/rest/me"

    assert [e["status"] for e in _journal(client, status=401)] == [401]
    assert [e["status"] for e in _journal(client, status="4xx")] == [404, 401]
    assert len(_journal(client, path="/API/REST/ME")) == 3  # glob, case-insensitive, routed too
    assert len(_journal(client, path="/api/*/me")) == 3
    assert len(_journal(client, method="post")) == 0
    assert len(_journal(client, limit=2)) == 2

    count = client.get("/_mockpace/requests/count", params={"method": "GET",
                                                            "path": "/api/rest/me"})
    assert count.json() == {"count": 3}
    assert client.get("/_mockpace/requests/count", params={"status": "404"}).json() == \
        {"count": 1}

    bad = client.get("/_mockpace/requests", params={"status": "teapot"})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["parameter"] == "status"

    assert client.delete("/_mockpace/requests").status_code == 200
    assert _journal(client) == []


def test_journal_size_bounds_the_journal(small_client: TestClient, small_app: Any) -> None:
    client = small_client
    client.delete("/_mockpace/requests")
    assert client.patch("/_mockpace/settings", json={"journal_size": 3}).status_code == 200
    for skip in range(5):
        client.get(f"/api/rest/me?api-version=3.2&$skip={skip}",
                   headers=bearer(_token(small_app)))
    entries = _journal(client)
    assert [e["query"] for e in entries] == [f"api-version=3.2&$skip={n}" for n in (4, 3, 2)]
    assert client.patch("/_mockpace/settings", json={"journal_size": 0}).status_code == 200
    client.get("/api/rest/me?api-version=3.2", headers=bearer(_token(small_app)))
    assert len(_journal(client)) == 3
