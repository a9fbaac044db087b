"""Admin plane basics of the foundation: health, tokens, reset, clock, settings."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from mockpace.settings import OrgSettings
from mockpace.store import User
from tests.conftest import default_org


def test_health_reports_version_orgs_and_counts(small_client: TestClient, small_app: Any) -> None:
    body = small_client.get("/_mockpace/health").json()
    counts = default_org(small_app).store.counts()
    assert body == {"status": "ok", "version": "0.1.0", "orgs": ["contoso"], "counts": counts}
    assert counts["users"] > 0 and counts["workLogs"] > 0


def test_tokens_one_per_user_sorted_by_email(small_client: TestClient, small_app: Any) -> None:
    entries = small_client.get("/_mockpace/tokens").json()
    with default_org(small_app).store.read() as session:
        users = session.exec(select(User)).all()
    assert [e["email"] for e in entries] == sorted(u.email for u in users)
    assert all(list(e) == ["email", "name", "role", "userId", "token"] for e in entries)
    assert len({e["token"] for e in entries}) == len(entries)


def test_settings_defaults_patch_and_errors(small_client: TestClient) -> None:
    assert small_client.get("/_mockpace/settings").json() == OrgSettings().model_dump()
    changed = small_client.patch("/_mockpace/settings",
                                 json={"prevent_future_time": True, "journal_size": 10})
    assert changed.status_code == 200
    assert changed.json()["prevent_future_time"] is True
    assert changed.json()["journal_size"] == 10
    for bad, field in (({"no_such": 1}, "no_such"), ({"auth": "maybe"}, "auth"),
                       ({"journal_size": "ten"}, "journal_size"),
                       ({"prevent_future_time": "yes"}, "prevent_future_time"),
                       ({"lenient_params": True, "journal_size": -1}, "journal_size")):
        response = small_client.patch("/_mockpace/settings", json=bad)
        assert response.status_code == 400, bad
        assert response.json()["error"]["errorCode"] == "BadRequest"
        assert field in response.json()["error"]["errorDescription"]
    # nothing of a refused patch was applied
    assert small_client.get("/_mockpace/settings").json()["lenient_params"] is False


def test_clock_fixed_advance_real_and_errors(small_client: TestClient) -> None:
    assert small_client.get("/_mockpace/clock").json()["mode"] == "real"
    fixed = small_client.put("/_mockpace/clock", json={"now": "2026-03-02T09:00:00Z"})
    assert fixed.json() == {"now": "2026-03-02T09:00:00Z", "mode": "fixed"}
    moved = small_client.put("/_mockpace/clock", json={"advance": 3600})
    assert moved.json() == {"now": "2026-03-02T10:00:00Z", "mode": "fixed"}
    assert small_client.get("/_mockpace/clock").json() == moved.json()
    offset = small_client.put("/_mockpace/clock", json={"now": "2026-03-02T11:00:00+01:00"})
    assert offset.json()["now"] == "2026-03-02T10:00:00Z"
    real = small_client.put("/_mockpace/clock", json={"mode": "real"})
    assert real.json()["mode"] == "real"
    shifted = small_client.put("/_mockpace/clock", json={"advance": 86400})
    assert shifted.json()["mode"] == "offset"
    for bad in ({}, {"now": "x"}, {"advance": "soon"}, {"mode": "fixed"},
                {"now": "2026-03-02T09:00:00Z", "advance": 1}):
        response = small_client.put("/_mockpace/clock", json=bad)
        assert response.status_code == 400, bad
        assert response.json()["error"]["errorCode"] == "BadRequest"


def test_reset_restores_data_settings_and_clock(small_client: TestClient, small_app: Any) -> None:
    org = default_org(small_app)
    before = org.store.counts()
    with org.store.write() as session:
        user = session.exec(select(User)).first()
        assert user is not None
        user.name = "Changed Name"
        session.add(user)
        user_id = user.id
    small_client.patch("/_mockpace/settings", json={"prevent_future_time": True})
    small_client.put("/_mockpace/clock", json={"now": "2026-03-02T09:00:00Z"})
    response = small_client.post("/_mockpace/reset")
    assert response.status_code == 200
    assert response.json()["status"] == "reset"
    assert response.json()["ms"] < 1000
    with org.store.read() as session:
        restored = session.get(User, user_id)
        assert restored is not None and restored.name != "Changed Name"
    assert org.store.counts() == before
    assert small_client.get("/_mockpace/settings").json()["prevent_future_time"] is False
    assert small_client.get("/_mockpace/clock").json()["mode"] == "real"


def test_admin_key_is_required_when_set(make_app: Any) -> None:
    app = make_app(admin_key="s3cret")
    with TestClient(app) as client:
        response = client.get("/_mockpace/health")
        assert response.status_code == 401
        assert response.json()["error"]["errorCode"] == "UnauthorizedError"
        assert "X-Mockpace-Admin-Key" in response.json()["error"]["errorDescription"]
        ok = client.get("/_mockpace/health", headers={"X-Mockpace-Admin-Key": "s3cret"})
        assert ok.status_code == 200


def test_unknown_org_is_404(small_client: TestClient) -> None:
    response = small_client.get("/_mockpace/settings?org=nope")
    assert response.status_code == 404
    assert "nope" in response.json()["error"]["errorDescription"]
