"""The per-request console line of `mockpace serve` shows what the client sent, but never a
control character of it: a percent-encoded newline or ANSI escape forged lines before."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient


def test_console_line_escapes_control_characters(small_client: TestClient,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mockpace.requests")
    small_client.get("/api/rest/workLogs/%0a09:00:00%20GET%20/forged%20200%1b%5b31m"
                     "?api-version=3.2&x=%0d")
    small_client.get("/api/rest/me", params={"api-version": "3.2", "q": "y" * 5000})
    lines = [r.getMessage() for r in caplog.records if r.name == "mockpace.requests"]
    assert len(lines) == 2, lines
    forged, long = lines
    assert forged.split(" ", 1)[1] == (
        "GET /api/rest/workLogs/\\x0a09:00:00 GET /forged 200\\x1b[31m?api-version=3.2&x=%0d "
        "404 " + forged.rsplit(" ", 1)[1])  # no such worklog
    shown = "/api/rest/me?api-version=3.2&q=" + "y" * 5000
    assert f" {shown[:1997]}... 401 " in long
