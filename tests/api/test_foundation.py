"""The foundation through HTTP: auth, api-version, routing, error bodies, GET me."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import bearer, default_org

ME = "/api/rest/me?api-version=3.2"


def by_role(client: TestClient, role: str) -> dict[str, Any]:
    entries = client.get("/_mockpace/tokens").json()
    return next(e for e in entries if e["role"] == role)


def assert_seven_pace_error(response: Any, status: int, code: str, *words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert list(error) == ["statusCode", "errorCode", "errorDescription", "fields"]
    assert error["statusCode"] == status
    assert error["errorCode"] == code
    for word in words:
        assert word.lower() in error["errorDescription"].lower(), error["errorDescription"]


def test_me_with_bearer_token_returns_the_caller(small_client: TestClient) -> None:
    admin = by_role(small_client, "Administrator")
    response = small_client.get(ME, headers=bearer(admin["token"]))
    assert response.status_code == 200
    data = response.json()["data"]
    assert list(data) == ["user", "account", "defaultActivityType", "timeZone"]
    assert list(data["user"]) == ["uniqueName", "displayName", "vstsId", "vstsCollectionId",
                                  "vstsCollectionId2", "email", "name", "id"]
    assert data["user"]["id"] == admin["userId"]
    assert data["user"]["email"] == admin["email"]
    assert data["user"]["displayName"] is None
    assert list(data["account"]) == ["vstsId", "vstsCollectionId", "name", "id"]
    assert isinstance(data["timeZone"], int)


def test_me_expand_fills_display_name(small_client: TestClient) -> None:
    admin = by_role(small_client, "Administrator")
    response = small_client.get(ME + "&$expand=user.displayName", headers=bearer(admin["token"]))
    assert response.json()["data"]["user"]["displayName"] == admin["name"]


def test_basic_auth_with_token_as_password_or_alone(small_client: TestClient) -> None:
    team = by_role(small_client, "Team")
    for credential in (f"anyone:{team['token']}", f":{team['token']}", team["token"]):
        encoded = base64.b64encode(credential.encode()).decode()
        response = small_client.get(ME, headers={"Authorization": f"Basic {encoded}"})
        assert response.status_code == 200, credential
        assert response.json()["data"]["user"]["id"] == team["userId"]


def test_missing_and_unknown_tokens_are_401_unauthorized_error(small_client: TestClient) -> None:
    response = small_client.get(ME)
    assert_seven_pace_error(response, 401, "UnauthorizedError", "Authorization")
    assert response.headers["www-authenticate"].startswith("Bearer")
    response = small_client.get(ME, headers=bearer("not-a-token"))
    assert_seven_pace_error(response, 401, "UnauthorizedError", "not valid")
    response = small_client.get(ME, headers={"Authorization": "Digest abc"})
    assert_seven_pace_error(response, 401, "UnauthorizedError", "digest")


def test_api_version_is_required_and_checked(small_client: TestClient) -> None:
    token = by_role(small_client, "Administrator")["token"]
    response = small_client.get("/api/rest/me", headers=bearer(token))
    assert_seven_pace_error(response, 400, "ApiVersionError", "required", "3.2", "3.0-preview")
    assert response.json()["error"]["fields"]["parameter"] == "api-version"
    response = small_client.get("/api/rest/me?api-version=9.9", headers=bearer(token))
    assert_seven_pace_error(response, 400, "ApiVersionError", "'9.9'", "3.3-beta")
    for version in ("3.0", "3.0-preview", "3.1", "3.1-beta", "3.2", "3.2-beta", "3.3-beta"):
        assert small_client.get(f"/api/rest/me?api-version={version}",
                                headers=bearer(token)).status_code == 200, version


def test_lenient_api_version_serves_missing_version(small_client: TestClient) -> None:
    token = by_role(small_client, "Administrator")["token"]
    small_client.patch("/_mockpace/settings", json={"lenient_api_version": True})
    assert small_client.get("/api/rest/me", headers=bearer(token)).status_code == 200
    assert small_client.get("/api/rest/me?api-version=1.0", headers=bearer(token)).status_code \
        == 200


def test_paths_are_case_insensitive_with_trailing_slash_and_onprem_prefix(
    small_client: TestClient,
) -> None:
    token = by_role(small_client, "Administrator")["token"]
    for path in ("/API/REST/ME/?api-version=3.2", "/api/rest/Me?api-version=3.2",
                 "/api/DefaultCollection/rest/me?api-version=3.2",
                 "/api/anyCollection/REST/me/?api-version=3.2"):
        assert small_client.get(path, headers=bearer(token)).status_code == 200, path


def test_unknown_api_path_is_404_in_7pace_shape(small_client: TestClient) -> None:
    response = small_client.get("/api/rest/nothing?api-version=3.2")
    assert_seven_pace_error(response, 404, "NotFound", "/api/rest/nothing")


def test_auth_off_serves_everyone_as_the_admin(small_client: TestClient, small_app: Any) -> None:
    small_client.patch("/_mockpace/settings", json={"auth": "off"})
    response = small_client.get(ME)
    assert response.status_code == 200
    assert response.json()["data"]["user"]["id"] == default_org(small_app).admin_user_id


def test_onprem_trust_serves_unauthenticated_onprem_requests_as_admin(
    small_client: TestClient, small_app: Any,
) -> None:
    small_client.patch("/_mockpace/settings", json={"onprem_auth": "trust"})
    admin_id = default_org(small_app).admin_user_id
    onprem = "/api/DefaultCollection/rest/me?api-version=3.0"
    assert small_client.get(onprem).json()["data"]["user"]["id"] == admin_id
    # an NTLM message starts the handshake even in trust mode (a truncated one is refused)
    response = small_client.get(onprem, headers={"Authorization": "NTLM TlRMTVNTUAABAAAA"})
    assert response.status_code == 401
    # a token still identifies its own user on-prem, and cloud paths still need one
    team = by_role(small_client, "Team")
    assert small_client.get(onprem, headers=bearer(team["token"])).json()["data"]["user"][
        "id"] == team["userId"]
    assert small_client.get(ME).status_code == 401


def test_onprem_without_trust_challenges_with_ntlm(small_client: TestClient) -> None:
    response = small_client.get("/api/DefaultCollection/rest/me?api-version=3.0")
    assert_seven_pace_error(response, 401, "UnauthorizedError")
    # two header lines, as Windows-authenticated servers send them
    assert response.headers.get_list("www-authenticate") == ["NTLM", "Negotiate"]
    odata = small_client.get("/api/DefaultCollection/odata/v3.2/workItems")
    assert odata.status_code == 401
    assert odata.headers.get_list("www-authenticate") == ["NTLM", "Negotiate"]
