"""Paging over more than 500 worklogs: `$count`/`$skip` never skip or repeat a row, ties on
the timestamp are ordered by id, `$count` is clamped to 500, the bounds are exclusive."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from mockpace.store import Store
from tests.api.rest.helpers import V
from tests.api.rest.scenario import build_app, bulk_worklogs, headers
from tests.conftest import default_org

BULK = 1234


@pytest.fixture(scope="module")
def app() -> FastAPI:
    def extra(store: Store) -> None:
        bulk_worklogs(store, BULK)

    return build_app(extra)


@pytest.fixture
def paging_client(app: FastAPI) -> Iterator[TestClient]:
    default_org(app).reset()
    with TestClient(app) as client:
        yield client


def expected_order(app: FastAPI) -> list[tuple[str, str]]:
    """(id, timestamp) of every live worklog, ordered independently of the service code."""
    with default_org(app).store.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, timestamp FROM worklogs WHERE is_deleted = 0")).all()
    by_id = sorted(rows, key=lambda r: r[0])
    return [(r[0], r[1]) for r in sorted(by_id, key=lambda r: r[1], reverse=True)]


def walk(client: TestClient, page: int, query: str = "") -> list[str]:
    seen: list[str] = []
    skip = 0
    while True:
        response = client.get(f"/api/rest/workLogs/all?{V}&$count={page}&$skip={skip}{query}",
                              headers=headers("budget"))
        assert response.status_code == 200
        data = response.json()["data"]
        assert len(data) <= min(page, 500)
        seen += [w["id"] for w in data]
        if len(data) < min(page, 500):
            return seen
        skip += len(data)


@pytest.mark.parametrize("page", [500, 97, 1000])
def test_walk_never_skips_or_repeats(paging_client: TestClient, app: FastAPI, page: int) -> None:
    expected = [wid for wid, _ in expected_order(app)]
    assert len(expected) == BULK + 5
    seen = walk(paging_client, page)
    assert len(seen) == len(set(seen))
    assert seen == expected


def test_default_page_is_500(paging_client: TestClient) -> None:
    response = paging_client.get(f"/api/rest/workLogs/all?{V}", headers=headers("eugene"))
    assert len(response.json()["data"]) == 500


def test_bounds_are_exclusive_while_paging(paging_client: TestClient, app: FastAPI) -> None:
    order = expected_order(app)
    # bounds on instants that three worklogs share: all three fall out at each end
    upper = order[30][1]
    lower = order[-40][1]
    inside = [wid for wid, stamp in order if lower < stamp < upper]
    iso = lambda s: s.replace(" ", "T") + "Z"  # noqa: E731
    seen = walk(paging_client, 100, f"&$fromTimestamp={iso(lower)}&$toTimestamp={iso(upper)}")
    assert seen == inside
    assert not {wid for wid, stamp in order if stamp in (lower, upper)} & set(seen)
    assert sum(1 for _, stamp in order if stamp == upper) == 3
