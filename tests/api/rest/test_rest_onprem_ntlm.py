"""On-prem Windows authentication end to end (docs/emulation.md section 2): stock NTLM clients
(requests_ntlm, pyspnego) against a live server, bare NTLM and SPNEGO ``Negotiate``, with
``onprem_auth=token`` (the password is the user's API token) and ``onprem_auth=trust``."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import spnego
from fastapi import FastAPI
from requests_ntlm import HttpNtlmAuth

from tests.api.rest.scenario import EUGENE, JOHN, JORDAN, token_of, user_id
from tests.conftest import default_org

ME = "/api/DefaultCollection/rest/me?api-version=3.2"
WORKLOGS = "/api/DefaultCollection/rest/workLogs?api-version=3.2"


@pytest.fixture
def base(live: tuple[str, FastAPI]) -> Iterator[str]:
    url, app = live
    org = default_org(app)
    org.reset()
    yield url
    org.update_settings({"onprem_auth": "token"})


def trust(live: tuple[str, FastAPI]) -> None:
    default_org(live[1]).update_settings({"onprem_auth": "trust"})


def connections(session: requests.Session, url: str) -> int:
    """TCP connections the session's pool opened to the server."""
    pools = session.get_adapter(url).poolmanager.pools  # type: ignore[attr-defined]
    return sum(pools[key].num_connections for key in pools.keys())  # noqa: SIM118 (no __iter__)


def context(user: str, password: str, protocol: str = "ntlm") -> spnego.ContextProxy:
    """A pyspnego client context, as NTLM clients use it."""
    return spnego.client(user, password, hostname="localhost", service="http",
                         protocol=protocol)


def send(session: requests.Session | None, url: str, scheme: str,
         token: bytes | None) -> requests.Response:
    header = {"Authorization": f"{scheme} {base64.b64encode(token or b'').decode()}"}
    return (session or requests).get(url, headers=header)


def challenge_of(response: requests.Response) -> bytes:
    return base64.b64decode(response.headers["WWW-Authenticate"].split(" ", 1)[1])


def handshake(session: requests.Session, url: str, user: str, password: str, *,
              protocol: str, scheme: str) -> requests.Response:
    """The NTLM handshake with a pyspnego client context, by hand: type 1, the server's
    challenge, type 3, on the session's one keep-alive connection."""
    client = context(user, password, protocol)
    first = send(session, url, scheme, client.step())
    assert first.status_code == 401, first.text
    assert first.headers["WWW-Authenticate"].startswith(f"{scheme} ")
    return send(session, url, scheme, client.step(challenge_of(first)))


@pytest.mark.parametrize(("login", "password", "expected"), [
    ("Domain\\JohnDoe", token_of("john"), JOHN),  # unique name DOMAIN\user
    ("7pace\\EUGENE", token_of("eugene"), EUGENE),  # case-insensitive
    ("jroe@FABRIKAM.COM", token_of("jordan"), JORDAN),  # UPN = unique name / e-mail
    ("CONTOSO\\berlin", token_of("berlin"), user_id("berlin")),  # e-mail local part
])
def test_requests_ntlm_with_the_users_token(base: str, login: str, password: str,
                                             expected: str) -> None:
    with requests.Session() as session:
        session.auth = HttpNtlmAuth(login, password)
        response = session.get(base + ME)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["user"]["id"] == expected
        assert connections(session, base) == 1


def test_keep_alive_connection_serves_requests_one_after_another(base: str) -> None:
    """Each request on the session's one connection is authenticated (a GET, a POST with its
    body sent again by the client, a GET of what it wrote)."""
    with requests.Session() as session:
        session.auth = HttpNtlmAuth("Domain\\JohnDoe", token_of("john"))
        for _ in range(3):
            assert session.get(base + ME).json()["data"]["user"]["id"] == JOHN
        created = session.post(base + WORKLOGS, json={"length": 60, "comment": "ntlm"})
        assert created.status_code == 200, created.text
        assert created.json()["data"]["user"]["id"] == JOHN
        mine = session.get(base + WORKLOGS).json()["data"]
        assert [w["comment"] for w in mine if w["id"] == created.json()["data"]["id"]] == [
            "ntlm"]
        assert connections(session, base) == 1


@pytest.mark.parametrize(("login", "password"), [
    ("Domain\\JohnDoe", "wrong-password"),
    ("Domain\\JohnDoe", token_of("eugene")),  # another user's token
    ("Domain\\Nobody", token_of("john")),  # no such user
])
def test_wrong_password_or_unknown_user_is_401(base: str, login: str, password: str) -> None:
    with requests.Session() as session:
        session.auth = HttpNtlmAuth(login, password)
        response = session.get(base + ME)
    assert response.status_code == 401
    assert response.json()["error"]["errorCode"] == "UnauthorizedError"
    assert "NTLM" in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(("protocol", "scheme"), [
    ("negotiate", "Negotiate"),  # SPNEGO-wrapped NTLM
    ("ntlm", "Negotiate"),  # bare NTLM under the Negotiate scheme
    ("ntlm", "NTLM"),
])
def test_pyspnego_client_bare_and_negotiate(base: str, protocol: str, scheme: str) -> None:
    with requests.Session() as session:
        ok = handshake(session, base + ME, "7PACE\\eugene", token_of("eugene"),
                       protocol=protocol, scheme=scheme)
        assert ok.status_code == 200, ok.text
        assert ok.json()["data"]["user"]["id"] == EUGENE
        bad = handshake(session, base + ME, "7PACE\\eugene", "not-the-token",
                        protocol=protocol, scheme=scheme)
        assert bad.status_code == 401
        assert connections(session, base) == 1


def test_spnego_challenge_is_a_neg_token_resp(base: str) -> None:
    client = context("7PACE\\eugene", token_of("eugene"), "negotiate")
    token = challenge_of(send(None, base + ME, "Negotiate", client.step()))
    assert token[:1] == b"\xa1"  # [1] NegTokenResp, not a bare NTLMSSP message
    assert b"NTLMSSP\x00\x02\x00\x00\x00" in token


def test_type_3_on_another_connection_is_401_in_token_mode(base: str) -> None:
    client = context("Domain\\JohnDoe", token_of("john"))
    with requests.Session() as one:
        first = send(one, base + ME, "NTLM", client.step())
    with requests.Session() as other:
        response = send(other, base + ME, "NTLM", client.step(challenge_of(first)))
    assert response.status_code == 401
    assert "No NTLM challenge is pending" in response.json()["error"]["errorDescription"]


@pytest.mark.parametrize("credential", ["NTLM %%%", "NTLM TlRMTVNTUAABAAAA",
                                        "Negotiate " + base64.b64encode(b"\x60\x03garbage")
                                        .decode()])
def test_malformed_messages_are_401_with_a_reason(base: str, credential: str) -> None:
    response = requests.get(base + ME, headers={"Authorization": credential})
    assert response.status_code == 401
    assert response.json()["error"]["errorDescription"].startswith(
        "Windows authentication failed: ")


def test_trust_any_password_names_the_user_unknown_is_admin(
        base: str, live: tuple[str, FastAPI]) -> None:
    trust(live)
    with requests.Session() as session:
        # requests_ntlm sends nothing first: served at once as the admin user, no handshake
        session.auth = HttpNtlmAuth("Domain\\JohnDoe", "any password at all")
        response = session.get(base + ME)
        assert response.status_code == 200
        assert response.json()["data"]["user"]["id"] == EUGENE
        # a client that starts the handshake itself is served as the user it names
        for protocol, scheme in (("ntlm", "NTLM"), ("negotiate", "Negotiate")):
            ok = handshake(session, base + ME, "Domain\\JohnDoe", "any password",
                           protocol=protocol, scheme=scheme)
            assert ok.json()["data"]["user"]["id"] == JOHN
        ok = handshake(session, base + ME, "jroe@FABRIKAM.COM", "x", protocol="negotiate",
                       scheme="Negotiate")
        assert ok.json()["data"]["user"]["id"] == JORDAN
        unknown = handshake(session, base + ME, "CORP\\someone.else", "whatever",
                            protocol="ntlm", scheme="NTLM")
        assert unknown.json()["data"]["user"]["id"] == EUGENE  # the admin
        assert connections(session, base) == 1
    # without credentials: the admin user; a type 1 message: a challenge, not a 200
    assert requests.get(base + ME).json()["data"]["user"]["id"] == EUGENE
    first = send(None, base + ME, "NTLM", context("Domain\\JohnDoe", "x").step())
    assert first.status_code == 401
    assert first.headers["WWW-Authenticate"].startswith("NTLM TlRMTVNTUAACAAAA")


def test_tokens_still_work_on_prem_and_ntlm_not_on_cloud_paths(base: str) -> None:
    bearer: dict[str, Any] = {"Authorization": f"Bearer {token_of('john')}"}
    assert requests.get(base + ME, headers=bearer).json()["data"]["user"]["id"] == JOHN
    with requests.Session() as session:
        session.auth = HttpNtlmAuth("Domain\\JohnDoe", token_of("john"))
        response = session.get(base + "/api/rest/me?api-version=3.2")
    assert response.status_code == 401  # cloud paths offer Bearer only
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="7pace Timetracker"'
    response = send(None, base + "/api/rest/me?api-version=3.2", "NTLM",
                    context("Domain\\JohnDoe", token_of("john")).step())
    assert response.status_code == 401
    assert "Unsupported authorization scheme 'ntlm'" in response.json()["error"][
        "errorDescription"]


@pytest.mark.parametrize("path", [
    "/api/DefaultCollection/odata/v3.2/workLogsOnly?$top=1&$select=PeriodLength",
    "/api/DefaultCollection/tracking/client/current?api-version=3.2",
    "/api/DefaultCollection/rest/workLogs/all?api-version=3.2&$count=1",
])
def test_every_on_prem_surface_completes_the_handshake(base: str, path: str) -> None:
    """The on-prem reporting script and the importer: Reporting and Tracking too."""
    with requests.Session() as session:
        session.auth = HttpNtlmAuth("7PACE\\eugene", token_of("eugene"))
        response = session.get(base + path)
        assert response.status_code == 200, response.text
        session.auth = HttpNtlmAuth("7PACE\\eugene", "wrong")
        refused = session.get(base + path)
        assert refused.status_code == 401
        assert "NTLM" in refused.headers["WWW-Authenticate"]


def test_spnego_client_that_opens_with_kerberos_is_steered_to_ntlm(base: str) -> None:
    """A domain client offers Kerberos first (with an optimistic Kerberos token) and NTLM
    second: the answer selects NTLM, the NTLM messages follow inside NegTokenResp."""
    from spnego._spnego import NegTokenInit, NegTokenResp, unpack_token

    kerberos, ntlm_oid = "1.2.840.113554.1.2.2", "1.3.6.1.4.1.311.2.2.10"
    opening = NegTokenInit(mech_types=[kerberos, ntlm_oid], mech_token=b"\x60\x05kerb!").pack()
    client = context("7PACE\\eugene", token_of("eugene"))
    with requests.Session() as session:
        first = send(session, base + ME, "Negotiate", opening)
        assert first.status_code == 401
        selected = unpack_token(challenge_of(first))
        assert (selected.supported_mech, selected.response_token) == (ntlm_oid, None)
        second = send(session, base + ME, "Negotiate",
                      NegTokenResp(response_token=client.step()).pack())
        challenge = unpack_token(challenge_of(second)).response_token
        third = send(session, base + ME, "Negotiate",
                     NegTokenResp(response_token=client.step(challenge)).pack())
        assert third.status_code == 200, third.text
        assert third.json()["data"]["user"]["id"] == EUGENE
    only_kerberos = NegTokenInit(mech_types=[kerberos], mech_token=b"\x60\x05kerb!").pack()
    refused = send(None, base + ME, "Negotiate", only_kerberos)
    assert refused.status_code == 401
    assert "offers no NTLM mechanism" in refused.json()["error"]["errorDescription"]


def test_ntlm_requests_share_the_rate_limit_bucket_of_requests_without_token(
        base: str, live: tuple[str, FastAPI]) -> None:
    from mockpace.harness import harness_of

    app = live[1]
    org = default_org(app)
    org.update_settings({"rate_limit_per_minute": 3})
    try:
        with requests.Session() as session:  # 3 requests: none, type 1, type 3
            session.auth = HttpNtlmAuth("Domain\\JohnDoe", token_of("john"))
            assert session.get(base + ME).status_code == 200
        assert requests.get(base + ME).status_code == 429  # the same bucket, now full
        bearer = {"Authorization": f"Bearer {token_of('john')}"}
        assert requests.get(base + ME, headers=bearer).status_code == 200  # its own
    finally:
        org.update_settings({"rate_limit_per_minute": 0})
        harness_of(app).of(org).limiter.clear()
