"""Cross-cutting admin-plane rules: the admin key and the OpenAPI tag."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def test_admin_key_guards_every_admin_route(make_app: Any) -> None:
    with TestClient(make_app(admin_key="s3cret")) as client:
        for method, path in (("GET", "/_mockpace/faults"), ("GET", "/_mockpace/requests"),
                             ("POST", "/_mockpace/snapshots/x"), ("GET", "/_mockpace/orgs"),
                             ("GET", "/_mockpace/coverage"), ("GET", "/_mockpace/export")):
            refused = client.request(method, path)
            assert refused.status_code == 401, path
            assert refused.json()["error"]["errorCode"] == "UnauthorizedError"
            assert "X-Mockpace-Admin-Key" in refused.json()["error"]["errorDescription"]
            allowed = client.request(method, path, headers={"X-Mockpace-Admin-Key": "s3cret"})
            assert allowed.status_code == 200, path


def test_every_admin_route_is_tagged_admin(small_client: TestClient) -> None:
    paths = small_client.get("/openapi.json").json()["paths"]
    admin = {p: ops for p, ops in paths.items() if p.startswith("/_mockpace")}
    for path in ("/_mockpace/snapshots/{name}/restore", "/_mockpace/requests/count",
                 "/_mockpace/faults/{rule_id}", "/_mockpace/orgs/{name}", "/_mockpace/coverage",
                 "/_mockpace/approvals", "/_mockpace/import", "/_mockpace/export"):
        assert path in admin
    assert {op["tags"][0] for ops in admin.values() for op in ops.values()} == {"admin"}
    seven_pace = [op for p, ops in paths.items() if p.startswith(("/api", "/token"))
                  for op in ops.values()]
    assert seven_pace and all("admin" not in op.get("tags", []) for op in seven_pace)


def test_admin_docs_page_lists_only_the_admin_plane(make_app: Any) -> None:
    with TestClient(make_app(admin_key="s3cret")) as client:
        page = client.get("/_mockpace/docs")
        assert page.status_code == 200
        assert "/_mockpace/openapi.json" in page.text
        schema = client.get("/_mockpace/openapi.json").json()
        assert schema["paths"] and all(p.startswith("/_mockpace") for p in schema["paths"])
        assert "/_mockpace/faults" in schema["paths"]
