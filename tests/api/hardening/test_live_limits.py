"""Issue 11 against a live uvicorn server: what only a real HTTP server shows (a header value it
refuses drops the connection; a streamed body is refused at the limit, not read whole)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mockpace.admin.service import token_list
from mockpace.orgs import DataSource
from mockpace.testing.plugin import LiveServer
from tests.api.hardening.shapes import seven_pace_error
from tests.conftest import SMALL_FIXTURE, bearer, build_app, default_org

V = "api-version=3.2"


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[LiveServer, FastAPI, dict[str, str]]]:
    app = build_app(DataSource(fixture=str(SMALL_FIXTURE)), max_body_bytes=64 * 1024)
    admin = next(t for t in token_list(default_org(app)) if t["role"] == "Administrator")
    server = LiveServer(app).start()
    try:
        yield server, app, bearer(admin["token"])
    finally:
        server.stop()


def worklogs(app: FastAPI) -> int:
    return int(default_org(app).store.counts()["workLogs"])


def test_control_characters_in_a_property_name_answer_once(
        live: tuple[LiveServer, FastAPI, dict[str, str]]) -> None:
    """The worklog was committed and then the connection dropped (uvicorn refused the raw name
    in X-Mockpace-Warning); a retrying client created a duplicate."""
    server, app, headers = live
    before = worklogs(app)
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as http:
        response = http.post(f"/api/rest/workLogs?{V}",
                             content=b'{"length":60,"comment":"c","x\\u001fy\\u00e9":1}',
                             headers={"Content-Type": "application/json"})
        assert response.status_code == 200, response.text
        assert response.json()["data"]["length"] == 60
        assert response.headers["x-mockpace-warning"].startswith(
            "unknown-property: body property 'x\\x1fy\\xe9' is not documented")
        query = http.get(f"/api/rest/me?{V}&a%0Ab%7F=1")
        assert query.status_code == 200
        assert "'a\\x0ab\\x7f'" in query.headers["x-mockpace-warning"]
    assert worklogs(app) == before + 1


def test_streamed_body_is_refused_at_the_limit(
        live: tuple[LiveServer, FastAPI, dict[str, str]]) -> None:
    server, app, headers = live
    before = worklogs(app)
    def chunks() -> Iterator[bytes]:
        yield b'{"length": 60, "comment": "'
        for _ in range(2000):  # 20 MB: the server discards what follows the limit
            yield b"x" * 10_000
        yield b'"}'

    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
        try:
            response: Any = http.post(f"/api/rest/workLogs?{V}", content=chunks(),
                                      headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:  # the server may close before the client sent it all
            pytest.fail(f"no answer: {exc!r}")
    seven_pace_error(response, 413, "PayloadTooLarge", "limit of 65536 bytes")
    assert worklogs(app) == before


def test_declared_length_over_the_limit_is_413_before_the_body(
        live: tuple[LiveServer, FastAPI, dict[str, str]]) -> None:
    server, _app, headers = live
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"POST /api/rest/workLogs?" + V.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: " + headers["Authorization"].encode() + b"\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{")
        answer = b""
        while b"}}}" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert body.startswith(b'{"error":{"statusCode":413,"errorCode":"PayloadTooLarge"')
