"""Shared test fixtures: apps built from the small fixture or the default seed, in-process.

- ``small_app`` / ``small_client``: the hand-written scenario in fixtures/small.*, reset before
  every test (cheap: a snapshot restore).
- ``seeded_app`` / ``seeded_client``: the default generated data set (seed 1, anchored on
  2026-11-02), reset before every test.
- ``make_app(source=..., **settings)``: a fresh app for tests that need their own settings.
- ``tokens(app)``: e-mail -> token of every user; ``bearer(token)``: the header dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mockpace.admin.service import token_list
from mockpace.app import create_app
from mockpace.orgs import DataSource, Org, Registry
from mockpace.settings import ServerSettings
from mockpace.store import Store
from mockpace.testing.plugin import LiveServer

ROOT = Path(__file__).resolve().parent.parent
SMALL_FIXTURE = next(iter(sorted((ROOT / "fixtures").glob("small.*"))),
                     ROOT / "fixtures/small.yaml")
ANCHOR = date(2026, 11, 2)


def build_app(source: DataSource, **settings: Any) -> FastAPI:
    server = ServerSettings(db=":memory:", **settings)
    org = Org("contoso", Store(":memory:"))
    org.load(source, server.org_settings())
    registry = Registry()
    registry.add(org, default=True)
    return create_app(server, registry)


def default_org(app: FastAPI) -> Org:
    org = app.state.registry.default
    assert org is not None
    return org  # type: ignore[no-any-return]


def tokens(app: FastAPI) -> dict[str, str]:
    """e-mail -> personal token."""
    return {t["email"]: t["token"] for t in token_list(default_org(app))}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def _small_app() -> FastAPI:
    return build_app(DataSource(fixture=str(SMALL_FIXTURE)))


@pytest.fixture
def small_app(_small_app: FastAPI) -> FastAPI:
    default_org(_small_app).reset()
    return _small_app


@pytest.fixture
def small_client(small_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(small_app) as client:
        yield client


@pytest.fixture(scope="session")
def _seeded_app() -> FastAPI:
    return build_app(DataSource(seed=1, anchor_date=ANCHOR))


@pytest.fixture
def seeded_app(_seeded_app: FastAPI) -> FastAPI:
    default_org(_seeded_app).reset()
    return _seeded_app


@pytest.fixture
def seeded_client(seeded_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(seeded_app) as client:
        yield client


@pytest.fixture
def make_app() -> Callable[..., FastAPI]:
    """``make_app(source=DataSource(...), **settings)``; default source: the small fixture."""

    def factory(source: DataSource | None = None, **settings: Any) -> FastAPI:
        return build_app(source or DataSource(fixture=str(SMALL_FIXTURE)), **settings)

    return factory


@contextmanager
def small_live_server() -> Iterator[LiveServer]:
    """The small fixture on a live server (real HTTP, uvicorn in a thread)."""
    app = build_app(DataSource(fixture=str(SMALL_FIXTURE)))
    live = LiveServer(app).start()
    try:
        yield live
    finally:
        live.stop()
        app.state.registry.default.store.dispose()
