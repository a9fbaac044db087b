"""Reading a whole OData collection through the TestClient: every page, following
``@odata.nextLink``, with the checks every paging test relies on."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

ORIGIN = "http://testserver"


def version_root(url: str) -> str:
    """``http://testserver/api/odata/v3.2/`` for a URL (relative or absolute) under it."""
    return ORIGIN + "/".join(url.removeprefix(ORIGIN).split("/")[:4]) + "/"


def follow(client: TestClient, url: str, params: dict[str, str] | None = None,
           headers: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], int]:
    """Every row from ``url`` on and the number of pages; each next link must be absolute and
    stay under the API version of ``url``."""
    root = version_root(url)
    rows: list[dict[str, Any]] = []
    pages = 0
    response = client.get(url, params=params, headers=headers)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        rows += body["value"]
        link = body.get("@odata.nextLink")
        if link is None:
            return rows, pages
        assert link.startswith(root), link
        response = client.get(link, headers=headers)


def every_row(client: TestClient, url: str, **params: str) -> list[dict[str, Any]]:
    """Every row of the collection at ``url`` with these query options."""
    return follow(client, url, params or None)[0]
