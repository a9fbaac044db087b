"""PIN pairing and /token end to end: auto-validation, admin validation, expiry, refresh."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.tracking.conftest import (
    ADMIN_ID,
    ALICE_ID,
    BASE,
    V,
    advance,
    assert_error,
    settings,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def create(client: TestClient) -> dict[str, Any]:
    response = client.post(f"/api/pin/create?{V}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert list(body) == ["pin", "secret"]
    assert len(body["pin"]) == 6 and body["pin"].isdigit()
    assert len(body["secret"]) == 43
    return body


def status(client: TestClient, secret: str) -> str:
    response = client.post(f"/api/pin/status?{V}", content=f'"{secret}"'.encode(),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["status"]
    return str(body["status"])


def exchange(client: TestClient, form: str, path: str = "/token") -> Any:
    return client.post(path, content=form.encode(), headers=FORM)


def code_grant(secret: str) -> str:
    return f"client_id=OpenApi&grant_type=authorization_code&code={secret}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def me(client: TestClient, token: str) -> Any:
    return client.get(f"/api/rest/me?{V}", headers=bearer(token))


def test_pin_flow_with_auto_validation(client: TestClient) -> None:
    pin = create(client)
    assert status(client, pin["secret"]) == "Validated"
    response = exchange(client, code_grant(pin["secret"]))
    assert response.status_code == 200, response.text
    token = response.json()
    assert list(token) == ["access_token", "token_type", "expires_in", "refresh_token",
                           "client_id", ".issued", ".expires"]
    assert (token["token_type"], token["expires_in"], token["client_id"]) == (
        "bearer", 3600, "OpenApi")
    assert token[".issued"] == "Wed, 04 Nov 2026 10:00:00 GMT"
    assert token[".expires"] == "Wed, 04 Nov 2026 11:00:00 GMT"
    assert token["access_token"] != token["refresh_token"]

    # The access token works on all three APIs as the organization's admin user.
    assert me(client, token["access_token"]).json()["data"]["user"]["id"] == ADMIN_ID
    tracking = client.get(f"{BASE}/current?{V}", headers=bearer(token["access_token"]))
    assert tracking.json()["settings"]["userInfo"]["userId"] == ADMIN_ID
    reporting = client.get("/api/odata/v3.2/workLogsOnly?$top=1",
                           headers=bearer(token["access_token"]))
    assert reporting.status_code == 200, reporting.text

    # A secret is exchanged once.
    assert status(client, pin["secret"]) == "WrongOrExpired"
    error = assert_error(exchange(client, code_grant(pin["secret"])), 400, "BadRequest",
                         "already exchanged")
    assert error["fields"] == {"oauthError": "invalid_grant", "parameter": "code"}


def test_access_token_expires_after_an_hour_of_clock_time_and_refreshes(
        client: TestClient) -> None:
    token = exchange(client, code_grant(create(client)["secret"])).json()
    advance(client, 3599)
    assert me(client, token["access_token"]).status_code == 200
    advance(client, 1)
    assert_error(me(client, token["access_token"]), 401, "UnauthorizedError", "expired")
    # A refresh token is not an access token.
    assert_error(me(client, token["refresh_token"]), 401, "UnauthorizedError")

    refreshed = exchange(client, "grant_type=refresh_token&client_id=OpenApi&refresh_token="
                         + token["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    fresh = refreshed.json()
    assert fresh[".issued"] == "Wed, 04 Nov 2026 11:00:00 GMT"
    assert fresh["refresh_token"] != token["refresh_token"]
    assert me(client, fresh["access_token"]).json()["data"]["user"]["id"] == ADMIN_ID
    # Refresh tokens rotate: the old one is spent.
    assert_error(exchange(client, "grant_type=refresh_token&client_id=OpenApi&refresh_token="
                          + token["refresh_token"]), 400, "BadRequest", "refresh token")


def test_pin_validated_through_the_admin_plane(client: TestClient) -> None:
    settings(client, pin_auto_validate=False)
    pin = create(client)
    assert status(client, pin["secret"]) == "Validating"
    error = assert_error(exchange(client, code_grant(pin["secret"])), 400, "BadRequest",
                         "not validated yet")
    assert error["fields"]["oauthError"] == "invalid_grant"

    response = client.post(f"/_mockpace/pins/{pin['pin']}/validate", json={"userId": ALICE_ID})
    assert response.status_code == 200, response.text
    assert response.json() == {"pin": pin["pin"], "userId": ALICE_ID, "status": "validated"}
    assert status(client, pin["secret"]) == "Validated"
    token = exchange(client, code_grant(pin["secret"]), path="/api/DefaultCollection/token")
    assert token.status_code == 200, token.text
    access = token.json()["access_token"]
    assert me(client, access).json()["data"]["user"]["id"] == ALICE_ID
    # Tracking through the paired token is alice's one shared track.
    started = client.post(f"{BASE}/startTracking?{V}", json={"tfsId": 103},
                          headers=bearer(access)).json()["track"]
    seen = client.get(f"{BASE}/current?{V}", headers=bearer("alice-token")).json()["track"]
    assert seen["workLogId"] == started["workLogId"]


def test_admin_validation_rebinds_an_auto_validated_pin(client: TestClient) -> None:
    pin = create(client)
    client.post(f"/_mockpace/pins/{pin['pin']}/validate", json={"userid": ALICE_ID})
    access = exchange(client, code_grant(pin["secret"])).json()["access_token"]
    assert me(client, access).json()["data"]["user"]["id"] == ALICE_ID


def test_pin_expires_after_a_minute(client: TestClient) -> None:
    settings(client, pin_auto_validate=False)
    pin = create(client)
    advance(client, 59)
    assert status(client, pin["secret"]) == "Validating"
    advance(client, 1)
    assert status(client, pin["secret"]) == "WrongOrExpired"
    error = assert_error(client.post(f"/_mockpace/pins/{pin['pin']}/validate",
                                     json={"userId": ALICE_ID}), 404, "EntityNotFound",
                         pin["pin"], "expired")
    assert error["fields"] == {"pin": pin["pin"]}
    assert_error(exchange(client, code_grant(pin["secret"])), 400, "BadRequest", "expired")


def test_admin_validation_errors(client: TestClient) -> None:
    pin = create(client)["pin"]
    url = f"/_mockpace/pins/{pin}/validate"
    assert_error(client.post(url, json={}), 400, "BadRequest", "userId")
    assert_error(client.post(url, json={"userId": "nobody"}), 400, "BadRequest", "GUID",
                 "nobody")
    unknown = "0a000000-0000-0000-0000-0000000000ff"
    assert_error(client.post(url, json={"userId": unknown}), 404, "EntityNotFound", unknown)
    assert_error(client.post("/_mockpace/pins/000000x/validate", json={"userId": ALICE_ID}),
                 404, "EntityNotFound", "000000x")
    assert client.post(url, content=b"nope", headers={"Content-Type": "application/json"}
                       ).status_code == 400
    assert status(client, "no-such-secret") == "WrongOrExpired"


def test_token_request_errors(client: TestClient) -> None:
    secret = create(client)["secret"]
    cases = [
        (f"grant_type=authorization_code&code={secret}", "client_id", "invalid_client"),
        (f"client_id=Other&grant_type=authorization_code&code={secret}", "client_id",
         "invalid_client"),
        ("client_id=OpenApi&grant_type=password&username=a", "grant_type",
         "unsupported_grant_type"),
        ("client_id=OpenApi&grant_type=authorization_code", "code", "invalid_request"),
        ("client_id=OpenApi&grant_type=refresh_token", "refresh_token", "invalid_request"),
        ("client_id=OpenApi&grant_type=authorization_code&code=unknown", "code",
         "invalid_grant"),
    ]
    for form, parameter, oauth in cases:
        error = assert_error(exchange(client, form), 400, "BadRequest", parameter)
        assert error["fields"] == {"oauthError": oauth, "parameter": parameter}, form
    error = assert_error(client.post("/token", json={"client_id": "OpenApi"}), 400,
                         "BadRequest", "form-urlencoded")
    assert error["fields"] == {"oauthError": "invalid_request"}
    # Nothing above spent the secret.
    assert exchange(client, code_grant(secret)).status_code == 200


def test_pin_calls_need_an_api_version_and_a_quoted_secret(client: TestClient) -> None:
    assert_error(client.post("/api/pin/create"), 400, "ApiVersionError", "api-version")
    assert client.post("/api/pin/create?api-version=2.1").status_code == 200
    secret = create(client)["secret"]
    assert_error(client.post(f"/api/pin/status?{V}", content=secret.encode()), 400,
                 "BadRequest", "JSON string", "quoted")
    assert_error(client.post(f"/api/pin/status?{V}", json={"secret": secret}), 400,
                 "BadRequest", "JSON string")
    assert_error(client.post(f"/api/pin/status?{V}"), 400, "BadRequest", "secret")
    settings(client, lenient_params=True)
    lenient = client.post(f"/api/pin/status?{V}", content=secret.encode())
    assert lenient.json() == {"status": "Validated"}
    assert client.post(f"/api/pin/status?{V}", json={"secret": secret}).json() == {
        "status": "Validated"}
