"""The admin plane against a hostile web page (issue 11 items 16 and 17), on live servers:
DNS rebinding (a foreign Host) is refused when bound to loopback, service names work when
bound elsewhere, and no state change comes from a simple cross-origin request."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockpace.app import create_app
from mockpace.orgs import DataSource, Org, Registry
from mockpace.settings import ServerSettings
from mockpace.store import Store
from mockpace.testing.plugin import LiveServer, free_port
from tests.api.test_cli import MOCKPACE
from tests.conftest import SMALL_FIXTURE


def _serve(**settings: Any) -> LiveServer:
    server_settings = ServerSettings(db=":memory:", **settings)
    org = Org("contoso", Store(":memory:"))
    org.load(DataSource(fixture=str(SMALL_FIXTURE)), server_settings.org_settings())
    registry = Registry()
    registry.add(org, default=True)
    return LiveServer(create_app(server_settings, registry),
                      host=server_settings.host).start()


@pytest.fixture
def loopback() -> Iterator[LiveServer]:
    server = _serve(allowed_hosts="mock.test, *.dev.test")
    yield server
    server.stop()
    server.app.state.registry.default.store.dispose()


@pytest.fixture
def everywhere() -> Iterator[LiveServer]:
    server = _serve(host="0.0.0.0", admin_key="k3y")
    yield server
    server.stop()
    server.app.state.registry.default.store.dispose()


def _get(server: LiveServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{server.port}{path}", headers=headers, timeout=30)


def _post(server: LiveServer, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(f"http://127.0.0.1:{server.port}{path}", timeout=30, **kwargs)


def test_a_rebound_host_name_is_refused_on_loopback(loopback: LiveServer) -> None:
    port = loopback.port
    refused = _get(loopback, "/_mockpace/tokens", Host=f"evil.example:{port}")
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["errorCode"] == "AccessDenied"
    assert error["fields"] == {"header": "Host"}
    assert f"evil.example:{port}" in error["errorDescription"]
    assert "allowed_hosts" in error["errorDescription"]
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}",
                 f"fabrikam.localhost:{port}", f"mock.test:{port}", f"a.dev.test:{port}",
                 "LOCALHOST"):
        assert _get(loopback, "/_mockpace/tokens", Host=host).status_code == 200, host
    for host in ("dev.test", "mock.test.evil.example", "127.0.0.1.evil.example"):
        assert _get(loopback, "/_mockpace/tokens", Host=host).status_code == 403, host
    # the 7pace routes are not the admin plane: a client's own Host keeps working
    assert _get(loopback, "/api/rest/me?api-version=3.2", Host="evil.example").status_code \
        == 401


def test_state_changes_need_a_request_a_page_cannot_send(loopback: LiveServer) -> None:
    # what a cross-origin <form> or fetch() without preflight can send
    for kwargs in ({}, {"content": b"x", "headers": {"Content-Type": "text/plain"}},
                   {"content": b"a=1", "headers": {
                       "Content-Type": "application/x-www-form-urlencoded",
                       "Origin": "http://evil.example"}}):
        refused = _post(loopback, "/_mockpace/reset", **kwargs)
        assert refused.status_code == 403, kwargs
        error = refused.json()["error"]
        assert error["errorCode"] == "AccessDenied"
        assert "X-Mockpace-Request" in error["errorDescription"]
        assert _post(loopback, "/_mockpace/snapshots/x", **kwargs).status_code == 403
    assert _get(loopback, "/_mockpace/snapshots").json() == []
    # what a client sends: a JSON body, a custom header, or the admin docs page's own origin
    port = loopback.port
    assert _post(loopback, "/_mockpace/reset", json={}).status_code == 200
    assert _post(loopback, "/_mockpace/reset",
                 headers={"X-Mockpace-Request": "1"}).status_code == 200
    assert _post(loopback, "/_mockpace/snapshots/x",
                 headers={"Origin": f"http://127.0.0.1:{port}"}).status_code == 200
    assert _post(loopback, "/_mockpace/snapshots/y",
                 headers={"Content-Type": "application/merge-patch+json"}).status_code == 200
    # any content type a form cannot send will do: a YAML import over curl works as is
    document = _get(loopback, "/_mockpace/export").json()
    assert _post(loopback, "/_mockpace/import", content=json.dumps(document).encode(),
                 headers={"Content-Type": "application/yaml"}).status_code == 200
    for media in ("multipart/form-data; boundary=x", "TEXT/PLAIN; charset=utf-8"):
        assert _post(loopback, "/_mockpace/import", content=b"users: []",
                     headers={"Content-Type": media}).status_code == 403, media
    # reads stay simple
    assert _get(loopback, "/_mockpace/health").status_code == 200


def test_bound_elsewhere_service_names_work_and_the_key_guards(everywhere: LiveServer) -> None:
    port = everywhere.port
    host = f"mockpace:{port}"
    assert _get(everywhere, "/_mockpace/tokens", Host=host).status_code == 401
    listed = _get(everywhere, "/_mockpace/tokens", Host=host, **{"X-Mockpace-Admin-Key": "k3y"})
    assert listed.status_code == 200
    # the key header is itself a custom header: a bodiless POST with it is not simple
    assert _post(everywhere, "/_mockpace/reset", headers={
        "Host": host, "X-Mockpace-Admin-Key": "k3y"}).status_code == 200
    assert _post(everywhere, "/_mockpace/reset", content=b"", headers={
        "Host": host, "Content-Type": "text/plain"}).status_code == 401


def test_public_bind_without_key_warns_with_the_reachable_urls() -> None:
    port = free_port("0.0.0.0")
    proc = subprocess.Popen([*MOCKPACE, "serve", "--host", "0.0.0.0", "--port", str(port),
                             "--db", ":memory:", "--fixture", str(SMALL_FIXTURE)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/_mockpace/health",
                             timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None
            subprocess.run(["sleep", "0.2"], check=True)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert f"Listening  0.0.0.0:{port}" in out
    warning = [line for line in err.splitlines() if line.startswith("mockpace: warning:")]
    assert len(warning) == 1, err
    assert "without admin_key" in warning[0] and "--admin-key" in warning[0]
    assert "MOCKPACE_ADMIN_KEY" in warning[0]
