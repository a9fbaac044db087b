"""The error shapes every answer of mockpace must have, whatever the input."""

from __future__ import annotations

from typing import Any

import httpx

from mockpace.common.errors import is_odata_path

SEVEN_PACE_KEYS = ["statusCode", "errorCode", "errorDescription", "fields"]
ODATA_KEYS = ["code", "message", "target", "details"]


def _error(response: httpx.Response, status: int, keys: list[str]) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"]
    error: dict[str, Any] = body["error"]
    assert list(error) == keys
    return error


def seven_pace_error(response: httpx.Response, status: int, code: str,
                     *words: str) -> dict[str, Any]:
    """The 7pace body with ``status`` and ``code``, its description naming ``words``."""
    error = _error(response, status, SEVEN_PACE_KEYS)
    assert error["statusCode"] == status
    assert error["errorCode"] == code, error
    for word in words:
        assert word.lower() in error["errorDescription"].lower(), (word, error)
    return error


def odata_error(response: httpx.Response, status: int, *words: str,
                target: str | None = None) -> dict[str, Any]:
    """The OData body with ``status``, its message naming ``words``."""
    error = _error(response, status, ODATA_KEYS)
    if target is not None:
        assert error["target"] == target, error
    for word in words:
        assert word.lower() in error["message"].lower(), (word, error)
    return error


def check_answer(path: str, response: httpx.Response) -> None:
    """The fuzz property: below 500 (or the documented 501 of a Reporting feature not built
    yet); an error is JSON in the shape of its surface; every
    header value is one HTTP allows (a server would drop the connection otherwise)."""
    not_built = response.status_code == 501 and is_odata_path(path) and \
        response.json()["error"]["code"] == "NotImplemented"  # documented: features not built
    assert response.status_code < 500 or not_built, (path, response.status_code,
                                                      response.text[:500])
    for name, value in response.headers.raw:
        assert all(0x20 <= b <= 0x7E or b == 0x09 for b in value), (name, value)
    if response.status_code < 400:
        return
    body = response.json()
    assert list(body) == ["error"], body
    keys = ODATA_KEYS if is_odata_path(path) else SEVEN_PACE_KEYS
    assert list(body["error"]) == keys, body
    if keys is SEVEN_PACE_KEYS:
        assert body["error"]["statusCode"] == response.status_code
