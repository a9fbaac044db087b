from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mockpace.testing.plugin import LiveServer
from tests.api.rest.scenario import build_app
from tests.conftest import default_org


@pytest.fixture(scope="session")
def _rest_app() -> FastAPI:
    return build_app()


@pytest.fixture
def rest_app(_rest_app: FastAPI) -> FastAPI:
    default_org(_rest_app).reset()
    return _rest_app


@pytest.fixture
def client(rest_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(rest_app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[str, FastAPI]]:
    """A live uvicorn server over the scenario: (base URL, app)."""
    app = build_app()
    server = LiveServer(app).start()
    try:
        yield server.url, app
    finally:
        server.stop()
