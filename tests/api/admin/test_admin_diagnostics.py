"""Contract diagnostics: a warning header and journal entry per deviation, none without it,
and strict_contract turning it into a 400."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, tokens

WL = "/api/rest/workLogs?api-version=3.2"

# (kind, method, deviating request, conforming request, name in the message, strict errorCode)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], str, str]] = [
    ("unknown-parameter", "GET", {"url": "/api/rest/me?api-version=3.2&fields=all"},
     {"url": "/api/rest/me?api-version=3.2&$expand=user.displayName"}, "'fields'",
     "ApiVersionError"),
    ("missing-dollar", "GET", {"url": WL + "&fromTimestamp=2026-01-01T00:00:00Z"},
     {"url": WL + "&$fromTimestamp=2026-01-01T00:00:00Z"}, "'$fromTimestamp'",
     "ApiVersionError"),
    ("missing-dollar", "GET", {"url": WL + "&_skip=10"}, {"url": WL + "&$skip=10"}, "'$skip'",
     "ApiVersionError"),
    ("not-rest-parameter", "GET", {"url": WL + "&$top=5"}, {"url": WL + "&$count=5"}, "'$top'",
     "ApiVersionError"),
    ("unknown-property", "POST",
     {"url": WL, "json": {"length": 3600, "comments": "typo", "workItemId": 1}},
     {"url": WL, "json": {"length": 3600, "Comment": "any case is fine", "workItemId": 1}},
     "did you mean 'comment'", "BadRequest"),
    ("unknown-property", "POST",
     {"url": "/api/rest/workLogs/batch?api-version=3.2",
      "json": [{"length": 60, "comment": "a"}, {"length": 60, "comment": "b", "date": "x"}]},
     {"url": "/api/rest/workLogs/batch?api-version=3.2",
      "json": [{"length": 60, "comment": "a"}, {"length": 60, "comment": "b"}]},
     "'[1].date'", "BadRequest"),
    ("deprecated-version", "GET", {"url": "/api/rest/me?api-version=3.0"},
     {"url": "/api/rest/me?api-version=3.2"}, "'3.0'", "ApiVersionError"),
    ("no-offset", "GET", {"url": WL + "&$fromTimestamp=2026-01-01T00:00:00"},
     {"url": WL + "&$fromTimestamp=2026-01-01T00:00:00%2B01:00"}, "$fromTimestamp",
     "ApiVersionError"),
    ("no-offset", "POST",
     {"url": WL, "json": {"length": 60, "comment": "x", "timeStamp": "2026-03-02T09:00:00"}},
     {"url": WL, "json": {"length": 60, "comment": "x", "timeStamp": "2026-03-02T08:00:00Z"}},
     "'timeStamp'", "BadRequest"),
    ("odata-option-case", "GET", {"url": "/api/odata/v3.2/workItems?$Filter=System_Id eq 1"},
     {"url": "/api/odata/v3.2/workItems?$filter=System_Id eq 1&worklogsFilter=Length gt 0"},
     "'$filter'", "BadQuery"),
    ("unknown-option", "GET", {"url": "/api/odata/v3.2/workItems?$filters=System_Id eq 1"},
     {"url": "/api/odata/v3.2/workItems?filter=System_Id eq 1"}, "'$filters'", "BadQuery"),
    ("odata-option-case", "POST",
     {"url": "/api/odata/v3.2/workItems/$query", "content": "$Select=System_Id&$top=2"},
     {"url": "/api/odata/v3.2/workItems/$query", "content": "$select=System_Id&$top=2"},
     "'$select'", "BadQuery"),
    ("unknown-parameter", "POST",
     {"url": "/api/tracking/client/stopTracking?api-version=3.2&force=true"},
     {"url": "/api/tracking/client/stopTracking?api-version=3.2&$reason=0"}, "'force'",
     "ApiVersionError"),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def _send(client: TestClient, method: str, request: dict[str, Any], token: str) -> Any:
    if "content" in request:
        return client.request(method, request["url"], content=request["content"],
                              headers={**bearer(token), "Content-Type": "text/plain"})
    return client.request(method, request["url"], json=request.get("json"),
                          headers=bearer(token))


def _last_journal(client: TestClient) -> dict[str, Any]:
    entry: dict[str, Any] = client.get("/_mockpace/requests",
                                       params={"limit": 1}).json()["requests"][0]
    return entry


@pytest.mark.parametrize(("kind", "method", "bad", "good", "name", "code"), CASES, ids=IDS)
def test_diagnostic(small_client: TestClient, small_app: Any, kind: str, method: str,
                    bad: dict[str, Any], good: dict[str, Any], name: str, code: str) -> None:
    token = tokens(small_app)[_admin_email(small_client)]
    response = _send(small_client, method, bad, token)
    warnings = response.headers.get_list("x-mockpace-warning")
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(kind + ":")
    assert name in warnings[0]
    assert _last_journal(small_client)["warnings"] == warnings

    clean = _send(small_client, method, good, token)
    assert clean.headers.get_list("x-mockpace-warning") == []
    assert _last_journal(small_client)["warnings"] == []

    small_client.patch("/_mockpace/settings", json={"strict_contract": True})
    strict = _send(small_client, method, bad, token)
    assert strict.status_code == 400
    error = strict.json()["error"]
    if code == "BadQuery":
        assert error["code"] == "BadQuery"
        assert kind in error["message"]
        assert error["details"][0]["code"] == kind
    else:
        assert error["errorCode"] == code
        assert error["statusCode"] == 400
        assert kind in error["errorDescription"] and name in error["errorDescription"]
        assert error["fields"]["warnings"] == warnings
    assert strict.headers.get_list("x-mockpace-warning") == warnings
    # strict lets conforming requests through unchanged
    assert _send(small_client, method, good, token).status_code == clean.status_code
    assert _last_journal(small_client)["warnings"] == []


def test_several_deviations_give_one_header_each(small_client: TestClient,
                                                 small_app: Any) -> None:
    token = tokens(small_app)[_admin_email(small_client)]
    response = small_client.get(WL + "&$top=5&count=5&foo=1&$fromTimestamp=2026-01-01",
                                headers=bearer(token))
    kinds = [w.split(":")[0] for w in response.headers.get_list("x-mockpace-warning")]
    assert sorted(kinds) == ["missing-dollar", "no-offset", "not-rest-parameter",
                             "unknown-parameter"]


def test_admin_plane_and_unknown_paths_have_no_diagnostics(small_client: TestClient) -> None:
    assert small_client.get("/_mockpace/health?foo=1").headers.get_list(
        "x-mockpace-warning") == []
    assert small_client.get("/api/rest/nothing?foo=1").headers.get_list(
        "x-mockpace-warning") == []


def _admin_email(client: TestClient) -> str:
    entries = client.get("/_mockpace/tokens").json()
    return str(next(e["email"] for e in entries if e["role"] == "Administrator"))
