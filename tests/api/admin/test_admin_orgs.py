"""Organizations: each with its own data, chosen by collection or Host label."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import bearer, tokens

ORG = {"name": "fabrikam", "seed": 3, "users": 5, "workItems": 40, "days": 10,
       "anchorDate": "2026-11-02"}


def _create(client: TestClient, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = client.post("/_mockpace/orgs", json=body or ORG)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_list_delete(small_client: TestClient) -> None:
    created = _create(small_client)
    assert created["name"] == "fabrikam"
    assert created["collection"] == "fabrikam"
    assert len(created["tokens"]) == 5
    assert list(created["tokens"][0]) == ["email", "name", "role", "userId", "token"]
    # its users have their own organization's e-mail domain
    assert all(t["email"].endswith("@fabrikam.com") for t in created["tokens"])
    listed = small_client.get("/_mockpace/orgs").json()
    assert [o["name"] for o in listed] == ["contoso", "fabrikam"]
    assert listed[1]["counts"]["users"] == 5 and listed[1]["counts"]["workItems"] == 40
    assert small_client.get("/_mockpace/health").json()["orgs"] == ["contoso", "fabrikam"]
    assert small_client.get("/_mockpace/health", params={"org": "fabrikam"}).json()[
        "counts"] == listed[1]["counts"]
    assert small_client.get("/_mockpace/tokens", params={"org": "fabrikam"}).json() == \
        created["tokens"]

    deleted = small_client.delete("/_mockpace/orgs/fabrikam")
    assert deleted.status_code == 200
    assert [o["name"] for o in small_client.get("/_mockpace/orgs").json()] == ["contoso"]
    missing = small_client.get("/_mockpace/tokens", params={"org": "fabrikam"})
    assert missing.status_code == 404
    assert "fabrikam" in missing.json()["error"]["errorDescription"]


def test_create_errors(small_client: TestClient) -> None:
    _create(small_client)
    for body, status, text in (({"name": "fabrikam"}, 409, "exists"),
                               ({"name": "bad name"}, 400, "name"),
                               ({"name": "rest"}, 400, "reserved"),
                               ({}, 400, "name"),
                               ({"name": "ok", "users": 0}, 400, "users")):
        response = small_client.post("/_mockpace/orgs", json=body)
        assert response.status_code == status, body
        assert text in response.json()["error"]["errorDescription"]
    default = small_client.delete("/_mockpace/orgs/contoso")
    assert default.status_code == 400
    assert "default" in default.json()["error"]["errorDescription"]
    assert small_client.delete("/_mockpace/orgs/nope").status_code == 404


def test_tenant_isolation(small_client: TestClient, small_app: Any) -> None:
    created = _create(small_client)
    fab_token = created["tokens"][0]["token"]
    con_token = next(iter(tokens(small_app).values()))
    assert fab_token not in tokens(small_app).values()
    me = "/api/rest/me?api-version=3.2"
    onprem_fab = "/api/fabrikam/rest/me?api-version=3.2"

    # collection segment and Host label choose the organization
    assert small_client.get(onprem_fab, headers=bearer(fab_token)).status_code == 200
    assert small_client.get(me, headers={**bearer(fab_token),
                                         "Host": "fabrikam.localhost:8765"}).status_code == 200
    # a token of one organization is 401 in the other
    assert small_client.get(me, headers=bearer(fab_token)).status_code == 401
    assert small_client.get(onprem_fab, headers=bearer(con_token)).status_code == 401
    assert small_client.get(me, headers=bearer(con_token)).status_code == 200

    # writes in one organization are not visible in the other
    small_client.patch("/_mockpace/settings", params={"org": "fabrikam"},
                       json={"prevent_future_time": True})
    small_client.post("/_mockpace/snapshots/fab-only", params={"org": "fabrikam"})
    assert small_client.get("/_mockpace/settings").json()["prevent_future_time"] is False
    assert small_client.get("/_mockpace/snapshots").json() == []
    contoso_before = small_client.get("/_mockpace/export").json()
    small_client.post("/_mockpace/seed", params={"org": "fabrikam"}, json={"users": 3})
    assert small_client.get("/_mockpace/export").json() == contoso_before

    # journal and faults are per organization too
    small_client.delete("/_mockpace/requests", params={"org": "fabrikam"})
    small_client.post("/_mockpace/faults", params={"org": "fabrikam"},
                      json={"path": "/api/*", "status": 503})
    assert small_client.get(me, headers=bearer(con_token)).status_code == 200
    assert small_client.get(onprem_fab, headers=bearer(fab_token)).status_code == 503
    fab_journal = small_client.get("/_mockpace/requests", params={"org": "fabrikam"}).json()
    assert [e["path"] for e in fab_journal["requests"]] == ["/api/fabrikam/rest/me"]


def test_same_seed_still_gives_distinct_tokens(small_client: TestClient) -> None:
    one = _create(small_client, {"name": "one", "seed": 5, "users": 2, "workItems": 5,
                                 "days": 2})
    two = _create(small_client, {"name": "two", "seed": 5, "users": 2, "workItems": 5,
                                 "days": 2})
    assert {t["token"] for t in one["tokens"]}.isdisjoint(t["token"] for t in two["tokens"])
    # the same people (same seed), each at their own organization's domain
    assert [t["email"].replace("@one.com", "") for t in one["tokens"]] == \
        [t["email"].replace("@two.com", "") for t in two["tokens"]]
