"""Snapshots, export/import, fixtures and seed through the admin plane (docs/admin.md "State")."""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import bearer, tokens


def _export(client: TestClient) -> dict[str, Any]:
    response = client.get("/_mockpace/export")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _change_something(client: TestClient) -> None:
    """A state change that lands in the database: a setting and the clock."""
    assert client.patch("/_mockpace/settings", json={"prevent_future_time": True}).status_code \
        == 200
    assert client.put("/_mockpace/clock", json={"now": "2026-03-02T09:00:00Z"}).status_code == 200


def test_snapshot_save_list_restore_delete(small_client: TestClient) -> None:
    before = _export(small_client)
    saved = small_client.post("/_mockpace/snapshots/before-change")
    assert saved.status_code == 200
    assert saved.json()["name"] == "before-change"
    assert saved.json()["createdAt"].endswith("Z")

    listed = small_client.get("/_mockpace/snapshots").json()
    assert [s["name"] for s in listed] == ["before-change"]

    _change_something(small_client)
    assert small_client.get("/_mockpace/settings").json()["prevent_future_time"] is True

    restored = small_client.post("/_mockpace/snapshots/before-change/restore")
    assert restored.status_code == 200
    assert restored.json()["status"] == "restored"
    assert small_client.get("/_mockpace/settings").json()["prevent_future_time"] is False
    assert small_client.get("/_mockpace/clock").json()["mode"] == "real"
    assert _export(small_client) == before

    deleted = small_client.delete("/_mockpace/snapshots/before-change")
    assert deleted.status_code == 200
    assert small_client.get("/_mockpace/snapshots").json() == []


def test_snapshot_unknown_name_is_404(small_client: TestClient) -> None:
    for response in (small_client.post("/_mockpace/snapshots/nope/restore"),
                     small_client.delete("/_mockpace/snapshots/nope")):
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["errorCode"] == "EntityNotFound"
        assert "nope" in error["errorDescription"]


def test_snapshot_bad_name_is_400(small_client: TestClient) -> None:
    response = small_client.post("/_mockpace/snapshots/__pristine__")
    assert response.status_code == 400
    assert response.json()["error"]["errorCode"] == "BadRequest"
    assert "__pristine__" in response.json()["error"]["errorDescription"]


def test_reset_returns_to_start_state(small_client: TestClient) -> None:
    before = _export(small_client)
    _change_something(small_client)
    response = small_client.post("/_mockpace/reset")
    assert response.status_code == 200
    assert response.json()["status"] == "reset"
    assert isinstance(response.json()["ms"], int | float)
    assert _export(small_client) == before


def test_export_import_round_trip_is_exact(small_client: TestClient) -> None:
    document = _export(small_client)
    response = small_client.post("/_mockpace/import", json=document)
    assert response.status_code == 200, response.text
    assert _export(small_client) == document


def test_import_replaces_state_but_not_the_reset_state(small_client: TestClient) -> None:
    original = _export(small_client)
    smaller = copy.deepcopy(original)
    key = _worklog_key(smaller)
    smaller[key] = smaller[key][:1]
    assert small_client.post("/_mockpace/import", json=smaller).status_code == 200
    assert len(_export(small_client)[key]) == 1
    small_client.post("/_mockpace/reset")
    assert _export(small_client) == original


def test_fixtures_become_the_reset_state(small_client: TestClient) -> None:
    original = _export(small_client)
    smaller = copy.deepcopy(original)
    key = _worklog_key(smaller)
    smaller[key] = smaller[key][:1]
    try:
        assert small_client.post("/_mockpace/fixtures", json=smaller).status_code == 200
        small_client.post("/_mockpace/reset")
        assert len(_export(small_client)[key]) == 1
    finally:
        # The session app is shared: put the original reset state back.
        assert small_client.post("/_mockpace/fixtures", json=original).status_code == 200


def test_import_with_a_bad_entry_changes_nothing(small_client: TestClient) -> None:
    original = _export(small_client)
    broken = copy.deepcopy(original)
    key = _worklog_key(broken)
    assert len(broken[key]) >= 2
    broken[key][1] = {**broken[key][1], "length": "not a number"}
    broken[key][1].pop("user", None)
    broken[key][1].pop("userId", None)
    response = small_client.post("/_mockpace/import", json=broken)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["errorCode"] == "DbValidationError"
    problems = error["fields"]["errors"]
    assert problems and all(set(p) == {"entry", "problem"} for p in problems)
    assert any(p["entry"].startswith(f"{key}[1]") for p in problems), problems
    assert _export(small_client) == original


def test_import_that_is_not_an_object_is_rejected(small_client: TestClient) -> None:
    before = _export(small_client)
    response = small_client.post("/_mockpace/import", json=[1, 2])
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["errors"][0]["problem"] == "not an object"
    assert _export(small_client) == before


def test_seed_regenerates_and_becomes_the_reset_state(make_app: Any) -> None:
    app = make_app()
    with TestClient(app) as client:
        name = client.get("/_mockpace/health").json()["orgs"]
        response = client.post("/_mockpace/seed", json={"seed": 7, "users": 6, "workItems": 30,
                                                        "days": 10, "anchorDate": "2026-11-02"})
        assert response.status_code == 200, response.text
        assert response.json()["counts"]["users"] == 6
        assert response.json()["counts"]["workItems"] == 30
        assert client.get("/_mockpace/health").json()["orgs"] == name
        first = client.get("/_mockpace/export").json()
        client.post("/_mockpace/reset")
        assert client.get("/_mockpace/export").json() == first
        # Same seed, same data.
        client.post("/_mockpace/seed", json={"seed": 7, "users": 6, "workItems": 30,
                                             "days": 10, "anchorDate": "2026-11-02"})
        assert client.get("/_mockpace/export").json() == first
        token = next(iter(tokens(app).values()))
        assert client.get("/api/rest/me?api-version=3.2", headers=bearer(token)).status_code \
            == 200


def test_seed_rejects_bad_values(small_client: TestClient) -> None:
    for body, prop in (({"users": 0}, "users"), ({"seed": "x"}, "seed"),
                       ({"anchorDate": "someday"}, "anchorDate"), ({"colour": 1}, "colour")):
        response = small_client.post("/_mockpace/seed", json=body)
        assert response.status_code == 400, body
        error = response.json()["error"]
        assert error["errorCode"] == "BadRequest"
        assert error["fields"]["property"] == prop
        assert prop in error["errorDescription"]


def _worklog_key(document: dict[str, Any]) -> str:
    for key in document:
        if key.lower() == "worklogs":
            return key
    raise AssertionError(f"no worklogs in the export: {sorted(document)}")


def test_fixture_can_be_posted_as_yaml(make_app: Any) -> None:
    from tests.conftest import SMALL_FIXTURE

    with TestClient(make_app()) as client:
        response = client.post("/_mockpace/fixtures", content=SMALL_FIXTURE.read_bytes(),
                               headers={"Content-Type": "application/yaml"})
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "loaded", "counts": {
            "users": 3, "workItems": 5, "workLogs": 12}}
        me = client.get("/api/rest/me?api-version=3.2",
                        headers=bearer("small-team-token-00000000000000000000000000000000002"))
        assert me.json()["data"]["user"]["email"] == "tom.team@contoso.com"
        client.post("/_mockpace/reset")  # the YAML document is now the reset state
        assert client.get("/_mockpace/health").json()["counts"]["workLogs"] == 12


def test_yaml_sent_as_json_says_so(small_client: TestClient) -> None:
    before = _export(small_client)
    response = small_client.post("/_mockpace/fixtures", content=b"users:\n  - name: x\n",
                                 headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["errorDescription"] == (
        "The fixture document is not valid JSON. It looks like YAML: send it with "
        "Content-Type: application/yaml.")
    bad = small_client.post("/_mockpace/import", content=b"users: [unclosed\n",
                            headers={"Content-Type": "text/yaml"})
    assert bad.status_code == 400
    assert bad.json()["error"]["errorDescription"].startswith(
        "The fixture document is not valid YAML: ")
    assert _export(small_client) == before
