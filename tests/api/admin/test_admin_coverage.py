"""The coverage table: GET /_mockpace/coverage and docs/coverage.md."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from mockpace.harness.catalog import ENDPOINTS, coverage, coverage_markdown

ROOT = Path(__file__).resolve().parents[3]


def test_coverage_lists_every_endpoint(small_client: TestClient) -> None:
    rows = small_client.get("/_mockpace/coverage").json()["endpoints"]
    assert all(list(r) == ["surface", "method", "path", "status", "notes"] for r in rows)
    assert {(r["method"], r["path"]) for r in rows} >= {(e.method, e.path) for e in ENDPOINTS}
    assert {r["surface"] for r in rows} == {"rest", "tracking", "reporting"}
    assert {r["status"] for r in rows} <= {"full", "partial", "none"}
    by_path = {(r["method"], r["path"]): r["status"] for r in rows}
    assert by_path[("GET", "/api/rest/me")] == "full"  # served by a route
    assert by_path[("GET", "/api/odata/{version}/{set}?$search / $batch")] == "none"


def test_an_endpoint_without_a_route_is_none() -> None:
    rows = coverage(routes=[])
    assert {r["status"] for r in rows if "?" not in r["path"]} == {"none"}


def test_docs_coverage_is_the_generated_table() -> None:
    text = (ROOT / "docs" / "coverage.md").read_text()
    static = coverage_markdown(coverage())
    # Same rows (the status column may say "none" where a route did not exist yet).
    strip = [line.rsplit("|", 3)[0] for line in static.splitlines() if line.startswith("| ")]
    assert [line.rsplit("|", 3)[0] for line in text.splitlines() if line.startswith("| ")] \
        == strip


def test_what_the_table_calls_none_answers_501(small_client: TestClient) -> None:
    token = small_client.get("/_mockpace/tokens").json()[0]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    rows = small_client.get("/_mockpace/coverage").json()["endpoints"]
    sets = [r["path"].rsplit("/", 1)[1] for r in rows
            if r["surface"] == "reporting" and r["status"] == "none" and "?" not in r["path"]]
    assert sets == []  # the hierarchy sets answer now (tests/api/reporting/test_hierarchy.py)
    status = {r["path"].rsplit("/", 1)[1]: r["status"] for r in rows
              if r["surface"] == "reporting"}
    assert status["workItemsHierarchy"] == status["workItemsHierarchyAllLevels"] == "full"
    for name in sets:
        response = small_client.get(f"/api/odata/v3.2/{name}", headers=headers)
        assert response.status_code == 501, name
        assert name in response.json()["error"]["message"]
    applied = small_client.get("/api/odata/v3.2/workLogsOnly?$apply=aggregate(PeriodLength "
                               "with sum as Total)/topcount(1,Total)", headers=headers)
    assert applied.status_code == 501
    assert "'topcount' is not implemented" in applied.json()["error"]["message"]
