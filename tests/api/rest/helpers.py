from __future__ import annotations

from typing import Any

import httpx

V = "api-version=3.2"


def assert_error(response: httpx.Response, status: int, code: str, *words: str) -> dict[str, Any]:
    """The 7pace error body with this status and code, its description naming ``words``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert list(error) == ["statusCode", "errorCode", "errorDescription", "fields"]
    assert error["statusCode"] == status
    assert error["errorCode"] == code, error
    for word in words:
        assert word.lower() in error["errorDescription"].lower(), (word, error)
    return error  # type: ignore[no-any-return]
