"""Against a live uvicorn server: concurrent creates from several threads all persist."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import FastAPI

from tests.api.rest.helpers import V
from tests.api.rest.scenario import headers
from tests.conftest import default_org

THREADS = 6
PER_THREAD = 20


def test_concurrent_creates_all_persist(live: tuple[str, FastAPI]) -> None:
    base, app = live
    before = default_org(app).store.counts()["workLogs"]
    who = ["john", "jordan", "eugene", "budget", "product", "manager"]

    def worker(n: int) -> list[str]:
        ids = []
        with httpx.Client(base_url=base, headers=headers(who[n]), timeout=30) as http:
            for i in range(PER_THREAD):
                response = http.post(f"/api/rest/workLogs?{V}",
                                     json={"length": 60 + i, "comment": f"thread {n} #{i}"})
                assert response.status_code == 200, response.text
                ids.append(response.json()["data"]["id"])
        return ids

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(worker, range(THREADS)))
    created = [wid for ids in results for wid in ids]
    assert len(set(created)) == THREADS * PER_THREAD
    assert default_org(app).store.counts()["workLogs"] == before + THREADS * PER_THREAD
    with httpx.Client(base_url=base, headers=headers("eugene")) as http:
        listed = http.get(f"/api/rest/workLogs/all?{V}&$fromCreatedTimestamp=2023-12-12"
                          ).json()["data"]
    assert {w["id"] for w in listed} == set(created)
    assert sorted(w["comment"] for w in listed) == sorted(
        f"thread {n} #{i}" for n in range(THREADS) for i in range(PER_THREAD))
