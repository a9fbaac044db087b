"""Tracking API costs, in process (TestClient), against ``GET /api/rest/me`` measured in the
same run as the baseline (the cheapest authenticated call: auth + one row).

Data: one organization built with bulk inserts, 20 users, 5,000 work items in chains of 5, and
``MOCKPACE_BENCH_WORKLOGS`` worklogs (default 300,000), 30,000 of them on the tracked item, so the
totals of ``current`` (today's, the item's, the team's) must come from indexes, not scans. The
same calls on a tiny organization show that the cost does not grow with the data.

Run: ``.venv/bin/python -m bench.bench_tracking``.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from bench.dataset import insert
from mockpace.app import create_app
from mockpace.common.clock import Clock
from mockpace.orgs import PRISTINE, Org, Registry
from mockpace.settings import ServerSettings
from mockpace.store import Store, db_datetime, derived
from mockpace.store.tables import NOT_SET_ACTIVITY_TYPE_ID as NOT_SET

NOW = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
DEV = "d0e030e2-b8b4-e711-8418-00155d0a6b50"
HOT_ITEM = 5


def build(worklogs: int, items: int = 5000, users: int = 20) -> TestClient:
    store = Store(":memory:")
    store.create_schema()
    rng = random.Random(1)
    t = db_datetime(NOW)
    user_ids = [f"0a000000-0000-0000-0000-{i:012d}" for i in range(users)]
    with store.raw_transaction() as raw:
        insert(store, raw, "organizations",
               [("org", "contoso", "DefaultCollection", "v", "v", DEV, user_ids[0])])
        insert(store, raw, "activity_types", [(NOT_SET, "[Not Set]", "ffffff", 0),
                                              (DEV, "Development", "46aee8", 1)])
        insert(store, raw, "users", [
            (u, f"u{i}@x.com", f"User {i}", f"u{i}@x.com", u, u, u,
             "Administrator" if i == 0 else "Team", 0) for i, u in enumerate(user_ids)])
        insert(store, raw, "api_tokens",
               [(f"token-{i}", u, "personal", t) for i, u in enumerate(user_ids)])
        insert(store, raw, "team_projects", [("p1", "Fabrikam", "Agile")])
        insert(store, raw, "area_paths", [(1, "p1", "Fabrikam", "Fabrikam")])
        insert(store, raw, "iterations", [(1, "p1", "Sprint 1", "Fabrikam\\Sprint 1")])
        kinds = ["Epic", "Feature", "User Story", "Task", "Task"]
        store.bulk_insert(
            "work_items", ["id", "parent_id", "project_id", "work_item_type", "state", "title",
                           "area_id", "iteration_id", "created_date", "changed_date",
                           "budget_assignment_type", "fields"],
            [(i, None if i % 5 == 1 else i - 1, "p1", kinds[(i - 1) % 5], "Active",
              f"Item {i} payment form" if i % 50 == 0 else f"Item {i}", 1, 1, t, t,
              "NoBudget", "{}") for i in range(1, items + 1)], conn=raw)

        def rows() -> Any:
            for n in range(worklogs):
                item = HOT_ITEM if n % 10 == 0 else rng.randint(1, items)
                start = NOW - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 600))
                ts = db_datetime(start)
                yield (f"{n:08d}-0000-0000-0000-000000000000", rng.choice(user_ids),
                       user_ids[0], ts, rng.randint(600, 7200), item, "work", DEV, ts, ts,
                       0, 1, 0, 0, 0, 0, 0, 0)

        insert(store, raw, "worklogs", rows())
        derived.recompute(raw)
    org = Org("contoso", store)
    org.set_clock(Clock().frozen(NOW))
    org.refresh_identity()
    org.store.save_snapshot(PRISTINE)
    registry = Registry()
    registry.add(org, default=True)
    return TestClient(create_app(ServerSettings(db=":memory:"), registry))


def per_call_ms(fn: Callable[[], Any], runs: int) -> float:
    fn()  # warm up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = fn()
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
    return statistics.median(samples)


def scenario(client: TestClient, runs: int) -> dict[str, float]:
    h = {"Authorization": "Bearer token-1"}
    v = "api-version=3.2"
    base = "/api/tracking/client"
    client.post(f"{base}/startTracking?{v}", json={"tfsId": HOT_ITEM}, headers=h)
    toggle = [0]

    def switch() -> Any:
        toggle[0] += 1
        item = HOT_ITEM if toggle[0] % 2 else HOT_ITEM + 1
        return client.post(f"{base}/startTracking?{v}", json={"tfsId": item}, headers=h)

    return {
        "baseline GET rest/me": per_call_ms(lambda: client.get(f"/api/rest/me?{v}", headers=h),
                                            runs),
        "GET current/true": per_call_ms(lambda: client.get(f"{base}/current/true?{v}",
                                                           headers=h), runs),
        "POST startTracking (switch)": per_call_ms(switch, runs),
        "GET latest/20": per_call_ms(lambda: client.get(f"{base}/latest/20?{v}", headers=h),
                                     runs),
        "POST searchByQuery": per_call_ms(
            lambda: client.post(f"{base}/searchByQuery?{v}", json={"query": "payment"},
                                headers=h), runs),
    }


def main() -> None:
    worklogs = int(os.environ.get("MOCKPACE_BENCH_WORKLOGS", "300000"))
    runs = int(os.environ.get("MOCKPACE_BENCH_RUNS", "100"))
    started = time.perf_counter()
    big = build(worklogs)
    print(f"built {worklogs:,} worklogs in {time.perf_counter() - started:.1f} s")
    tiny = build(100, items=50, users=3)
    big_ms = scenario(big, runs)
    tiny_ms = scenario(tiny, runs)
    baseline = big_ms["baseline GET rest/me"]
    print(f"{'call':32} {'ms (big)':>9} {'x me':>6} {'ms (tiny)':>10} {'big/tiny':>9}")
    for name, ms in big_ms.items():
        print(f"{name:32} {ms:9.2f} {ms / baseline:6.2f} {tiny_ms[name]:10.2f} "
              f"{ms / tiny_ms[name]:9.2f}")


if __name__ == "__main__":
    main()
