"""Fixtures of the Reporting tests: one read-only app over tests/api/reporting/dataset.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.reporting.dataset import TOKENS, build_reporting_app

ALICE = {"Authorization": f"Bearer {TOKENS['alice@contoso.test']}"}


@pytest.fixture(scope="session")
def reporting_app() -> FastAPI:
    return build_reporting_app()


@pytest.fixture
def client(reporting_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(reporting_app, headers=ALICE) as c:
        yield c
