"""REST CRUD throughput against the framework's floor, both on live uvicorn (one worker each).

Measured: ``GET workLogs/all?$count=500`` and ``POST workLogs`` on mockpace, and the same two
paths on a bare FastAPI app that answers the very same JSON bytes from memory (the floor: HTTP
parsing, routing, sending the bytes). Each server runs in its own process; the load comes from
``CLIENTS`` threads with keep-alive connections (http.client, the cheapest Python client).
``GET me`` (auth plus one row) is measured too: the per-request cost every 7pace route pays.

For the list, a third server shows the best any SQLite-backed design could do (the stored-bytes
ceiling): a bare FastAPI app that reads the page's finished JSON, pre-rendered by mockpace into
a column of a copy of the same database, with one SELECT through the same index per request (no
auth, no rendering, no time zones), and only wraps it in the envelope.

Data: ``MOCKPACE_BENCH_WORKLOGS`` worklogs (default 100,000) over 25 users, bulk-inserted into a
file database. Targets (issue 3): the list within 2x of the floor; at least 500 creates/s.

Run: ``.venv/bin/python -m bench.bench_rest``.
"""

from __future__ import annotations

import http.client
import os
import random
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from fastapi import Request  # module level: the floor's annotation is resolved from here

from bench.dataset import insert
from bench.servers import run_uvicorn, start

NOW = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
DEV = "d0e030e2-b8b4-e711-8418-00155d0a6b50"
USERS = 25
CLIENTS = int(os.environ.get("MOCKPACE_BENCH_CLIENTS", "4"))
LIST_PATH = "/api/rest/workLogs/all?api-version=3.2&$count=500"
POST_PATH = "/api/rest/workLogs?api-version=3.2"
ME_PATH = "/api/rest/me?api-version=3.2"
TOKEN = "token-0"


def build_database(path: Path, worklogs: int) -> None:
    from mockpace.store import Store, db_datetime
    from mockpace.store.tables import NOT_SET_ACTIVITY_TYPE_ID as NOT_SET

    store = Store(str(path))
    store.create_schema()
    rng = random.Random(3)
    stamp = db_datetime(NOW)
    users = [f"0a000000-0000-0000-0000-{i:012d}" for i in range(USERS)]
    with store.raw_transaction() as raw:
        insert(store, raw, "organizations", [("org", "contoso", "DefaultCollection", "v", "v",
                                              NOT_SET, users[0])])
        insert(store, raw, "activity_types", [(NOT_SET, "[Not Set]", "ffffff", 0),
                                              (DEV, "Development", "46aee8", 1)])
        insert(store, raw, "users", [
            (u, f"u{i}@contoso.com", f"User {i}", f"u{i}@contoso.com", u, u, u,
             "Administrator" if i == 0 else "Team", 60 * (i % 3)) for i, u in enumerate(users)])
        insert(store, raw, "api_tokens",
               [(f"token-{i}", u, "personal", stamp) for i, u in enumerate(users)])
        # the work item the creates reference (REST writes check workItemId)
        insert(store, raw, "team_projects", [("p1", "Fabrikam", "Agile")])
        insert(store, raw, "area_paths", [(1, "p1", "Fabrikam", "Fabrikam")])
        insert(store, raw, "iterations", [(1, "p1", "Sprint 1", "Fabrikam\\Sprint 1")])
        store.bulk_insert(
            "work_items", ["id", "project_id", "work_item_type", "state", "title", "area_id",
                           "iteration_id", "created_date", "changed_date",
                           "budget_assignment_type", "fields"],
            [(4711, "p1", "Task", "Active", "Bench task", 1, 1, stamp, stamp, "NoBudget", "{}")],
            conn=raw)

        def rows() -> Any:
            for n in range(worklogs):
                start = db_datetime(NOW - timedelta(days=rng.randint(0, 90),
                                                    minutes=15 * rng.randint(0, 40)))
                yield (f"{n:08x}-0000-4000-8000-000000000000", rng.choice(users), users[0],
                       start, rng.randint(600, 7200), rng.randint(1, 5000), "work",
                       DEV if n % 3 else None, start, start, 0, 1, 0, 0, 0, 0, 0, 0)

        insert(store, raw, "worklogs", rows())
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    store.dispose()


def serve_mockpace(path: str, port: int) -> None:
    from mockpace.app import create_app
    from mockpace.orgs import Org, Registry
    from mockpace.settings import ServerSettings
    from mockpace.store import Store

    org = Org("contoso", Store(path))
    org.refresh_identity()
    registry = Registry()
    registry.add(org, default=True)
    run_uvicorn(create_app(ServerSettings(db=path), registry), port)


def serve_floor(list_body: bytes, post_body: bytes, me_body: bytes, port: int) -> None:
    from fastapi import FastAPI
    from starlette.responses import Response

    app = FastAPI()
    media = "application/json; charset=utf-8"

    @app.get("/api/rest/workLogs/all")
    def floor_list() -> Response:
        return Response(list_body, media_type=media)

    @app.get("/api/rest/me")
    def floor_me() -> Response:
        return Response(me_body, media_type=media)

    @app.post("/api/rest/workLogs")
    async def floor_post(request: Request) -> Response:
        await request.body()
        return Response(post_body, media_type=media)

    run_uvicorn(app, port)


def stored_copy(path: Path) -> Path:
    """A copy of the database whose worklogs carry their finished REST JSON in a ``wire``
    column, rendered by mockpace's own statement (untimed)."""
    import shutil
    import sqlite3

    from mockpace.rest.wire import worklog_select

    copy = path.with_name("stored.db")
    shutil.copy(path, copy)
    conn = sqlite3.connect(copy)
    conn.execute("ALTER TABLE worklogs ADD COLUMN wire TEXT")
    rows = conn.execute(worklog_select("w.is_deleted = 0"),
                        {"expand": 0, "editable": 0, "caller": "", "admin": 0}).fetchall()
    conn.executemany("UPDATE worklogs SET wire = ? WHERE id = ?", [(r[2], r[0]) for r in rows])
    conn.commit()
    conn.close()
    return copy


def serve_stored(path: str, port: int) -> None:
    """The stored-bytes ceiling: the page's pre-rendered JSON read by one SELECT per request."""
    import sqlite3

    from fastapi import FastAPI
    from starlette.responses import Response

    from mockpace.store.engine import MMAP_BYTES

    app = FastAPI()
    local = threading.local()
    page = ("SELECT '{\"data\":[' || group_concat(wire, ',') || ']}' FROM (SELECT w.wire FROM "
            "worklogs w WHERE w.is_deleted = 0 ORDER BY w.timestamp DESC, w.id LIMIT 500)")

    @app.get("/api/rest/workLogs/all")
    def stored_list() -> Response:
        if not hasattr(local, "conn"):
            local.conn = sqlite3.connect(path, check_same_thread=False)
            local.conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")  # as mockpace's connections
        body = local.conn.execute(page).fetchone()[0]
        return Response(body.encode(), media_type="application/json; charset=utf-8")

    run_uvicorn(app, port)


def request(conn: http.client.HTTPConnection, method: str, path: str,
            body: bytes | None = None) -> bytes:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return data


def post_body(n: int) -> bytes:
    return orjson.dumps({"timeStamp": "2026-11-03T09:00:00", "length": 1800 + n % 100,
                         "workItemId": 4711, "comment": f"bench {n}"})


def load(port: int, method: str, path: str, total: int) -> dict[str, float]:
    """``total`` requests split over CLIENTS threads; req/s over the wall time, p50/p99."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = total // CLIENTS

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        for n in range(per_client):
            body = post_body(index * per_client + n) if method == "POST" else None
            started = time.perf_counter()
            request(conn, method, path, body)
            mine.append((time.perf_counter() - started) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)

    warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for n in range(20):
        request(warm, method, path, post_body(10_000_000 + n) if method == "POST" else None)
    warm.close()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {"rps": len(latencies) / wall, "p50": statistics.median(latencies),
            "p99": latencies[int(len(latencies) * 0.99) - 1]}


def main() -> None:
    worklogs = int(os.environ.get("MOCKPACE_BENCH_WORKLOGS", "100000"))
    list_runs = int(os.environ.get("MOCKPACE_BENCH_LIST_RUNS", "400"))
    post_runs = int(os.environ.get("MOCKPACE_BENCH_POST_RUNS", "2000"))
    folder = Path(tempfile.mkdtemp(prefix="mockpace-bench-rest-"))
    path = folder / "bench.db"
    began = time.perf_counter()
    build_database(path, worklogs)
    print(f"built {worklogs:,} worklogs in {time.perf_counter() - began:.1f} s")
    stored_path = stored_copy(path)  # before the creates below change the newest page

    mock, port = start(serve_mockpace, str(path))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        list_bytes = request(conn, "GET", LIST_PATH)
        post_bytes = request(conn, "POST", POST_PATH, post_body(-1))
        me_bytes = request(conn, "GET", ME_PATH)
        conn.close()
        assert len(orjson.loads(list_bytes)["data"]) == 500
        results = {"GET workLogs/all $count=500": load(port, "GET", LIST_PATH, list_runs),
                   "POST workLogs": load(port, "POST", POST_PATH, post_runs),
                   "GET me (reference)": load(port, "GET", ME_PATH, post_runs)}
    finally:
        mock.kill()
    floor, floor_port = start(serve_floor, list_bytes, post_bytes, me_bytes)
    try:
        floors = {"GET workLogs/all $count=500": load(floor_port, "GET", LIST_PATH, list_runs),
                  "POST workLogs": load(floor_port, "POST", POST_PATH, post_runs),
                  "GET me (reference)": load(floor_port, "GET", ME_PATH, post_runs)}
    finally:
        floor.kill()
    stored, stored_port = start(serve_stored, str(stored_path))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", stored_port, timeout=60)
        assert request(conn, "GET", LIST_PATH) == list_bytes, "stored page differs"
        conn.close()
        ceiling = load(stored_port, "GET", LIST_PATH, list_runs)
    finally:
        stored.kill()
    print(f"list body {len(list_bytes):,} bytes; {CLIENTS} client threads; one uvicorn worker")
    print(f"{'call':28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} | {'floor req/s':>11} "
          f"{'p50':>6} {'p99':>6} | {'floor/mock':>10}")
    for name, mine in results.items():
        base = floors[name]
        print(f"{name:28} {mine['rps']:8.0f} {mine['p50']:8.2f} {mine['p99']:8.2f} | "
              f"{base['rps']:11.0f} {base['p50']:6.2f} {base['p99']:6.2f} | "
              f"{base['rps'] / mine['rps']:9.2f}x")
    base = floors["GET workLogs/all $count=500"]
    print(f"{'  stored-bytes ceiling':28} {ceiling['rps']:8.0f} {ceiling['p50']:8.2f} "
          f"{ceiling['p99']:8.2f} | {base['rps']:11.0f} {base['p50']:6.2f} {base['p99']:6.2f} | "
          f"{base['rps'] / ceiling['rps']:9.2f}x")


if __name__ == "__main__":
    main()
