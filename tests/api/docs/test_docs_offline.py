"""/docs, /redoc and /_mockpace/docs work offline: every script, style sheet and icon they load
is served by mockpace itself, and nothing in the pages names another host."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

ASSET = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url:\s*["']([^"']+)["']""")


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/_mockpace/docs"])
def test_docs_page_loads_everything_from_mockpace(small_client: TestClient, page: str) -> None:
    response = small_client.get(page)
    assert response.status_code == 200
    html = response.text
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assets = [a or b for a, b in ASSET.findall(html)]
    kinds = {a.rsplit(".", 1)[-1] for a in assets}
    assert {"js", "json"} <= kinds, assets  # the UI script and the OpenAPI document
    for asset in assets:
        assert asset.startswith("/"), asset
        fetched = small_client.get(asset)
        assert fetched.status_code == 200, asset
        assert len(fetched.content) > 100, asset


def test_swagger_ui_is_the_packaged_bundle(small_client: TestClient) -> None:
    script = small_client.get("/_mockpace/static/docs/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert b"SwaggerUIBundle" in script.content
    html = small_client.get("/docs").text
    assert '"validatorUrl": null' in html  # no badge fetched from an external validator
