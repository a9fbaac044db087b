"""Reporting API benchmark: 1M worklogs / 50k work items (or --worklogs N), over HTTP.

    .venv/bin/python -m bench.bench_reporting [--worklogs 1000000] [--work-items 50000]

Builds the SQLite file once under /tmp (reused while the sizes match) with bulk inserts, then
times, each against two floors measured in the same run on the same file (hand-written SQL +
json.dumps of the same rows): the floor computed in the benchmark's process (no HTTP), and the
served floor, the same function answered by a bare FastAPI app on the same uvicorn settings in
a process of its own (``Bench``); the three run interleaved:
  (a) first page of workLogsWorkItems filtered to one month, ordered by Timestamp desc;
  (b) every next link of workLogsOnly for one month (the floors answer in one response);
  (c) workItems with TrackedItself(+Billable) and a worklogsFilter (first page).
End to end: mockpace on uvicorn in a process of its own, an httpx client parsing the JSON with
the standard library (the "+parse" column: with the client's share of the time, per call).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import httpx
from fastapi import FastAPI

from bench import servers
from bench.dataset import insert
from mockpace.app import create_app
from mockpace.common.clock import Clock
from mockpace.orgs import Org, Registry, init_settings
from mockpace.settings import OrgSettings, ServerSettings
from mockpace.store import Store, db_datetime, derived
from mockpace.store.engine import MMAP_BYTES
from mockpace.store.tables import NOT_SET_ACTIVITY_TYPE_ID

START = datetime(2025, 11, 1, tzinfo=UTC)
MONTH = ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z")
TOKEN = "bench-token"


def _gid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def tree_parents(rng: random.Random, work_items: int) -> list[int | None]:
    """Parents of items 1..n in trees 4 to 6 levels deep of ~20 items each: a chain as deep as
    the tree, the other items hung at random above its bottom level."""
    parents: list[int | None] = []
    while len(parents) < work_items:
        depth, base = rng.choice((4, 5, 6)), len(parents) + 1
        level: dict[int, int] = {}
        for k in range(min(20, work_items - len(parents))):
            wid = base + k
            if k == 0:
                parent = None
            elif k < depth:
                parent = wid - 1
            else:
                parent = rng.choice([i for i in range(base, wid) if level[i] < depth])
            level[wid] = 1 if parent is None else level[parent] + 1
            parents.append(parent)
    return parents


def build(path: Path, worklogs: int, work_items: int, *, trees: bool = False) -> None:
    """Bulk-load the data set (executemany of tuples in one transaction). ``trees``: work
    items in trees 4 to 6 deep (``tree_parents``) with an Effort value, for the hierarchy
    benchmark; otherwise random parents, no Effort."""
    if path.exists():
        path.unlink()
    shape = random.Random(7)  # its own generator: the default data set stays as it was
    parents = tree_parents(shape, work_items) if trees else None
    store = Store(str(path))
    store.create_schema()
    rng = random.Random(42)
    now = db_datetime(datetime(2026, 11, 1, tzinfo=UTC))
    with store.raw_transaction() as raw:
        users = [_gid(rng) for _ in range(25)]
        insert(store, raw, "users", [(u, f"u{i}@x.test", f"User {i}", f"u{i}@x.test", u, u, u,
                                      "Administrator", (i % 5 - 2) * 60)
                                     for i, u in enumerate(users)])
        insert(store, raw, "api_tokens", [(TOKEN, users[0], "personal", now)])
        insert(store, raw, "organizations", [("org", "contoso", "DefaultCollection", "v", "c",
                                              NOT_SET_ACTIVITY_TYPE_ID, users[0])])
        acts = [NOT_SET_ACTIVITY_TYPE_ID] + [_gid(rng) for _ in range(7)]
        insert(store, raw, "activity_types",
               [(a, "[Not Set]" if i == 0 else f"Act {i}", "ffffff", i)
                for i, a in enumerate(acts)])
        insert(store, raw, "team_projects", [("p1", "Project", "Agile")])
        insert(store, raw, "area_paths", [(1, "p1", "Area", "Project\\Area")])
        insert(store, raw, "iterations", [(1, "p1", "Sprint", "Project\\Sprint")])
        budgets = [_gid(rng) for _ in range(20)]
        insert(store, raw, "budgets", [(b, f"Budget {i}", 36000, 0) for i, b in enumerate(budgets)])

        def items() -> Any:
            for n in range(work_items):
                if parents is None:
                    parent = None if n < work_items // 20 else rng.randrange(0, n) + 1
                    effort = None
                else:
                    parent, effort = parents[n], shape.choice((None, 1.0, 2.0, 3.0, 5.0, 8.0))
                budget = budgets[n % 20] if n % 10 == 0 else None
                yield (n + 1, parent, "p1", rng.choice(["Epic", "Feature", "Task", "Bug"]),
                       rng.choice(["New", "Active", "Done"]), f"Work item {n}", 1, 1,
                       db_datetime(START), db_datetime(START), budget, budget,
                       "DirectlyAssigned" if budget else "NoBudget", "{}", effort)

        store.bulk_insert("work_items", ["id", "parent_id", "project_id", "work_item_type",
                                         "state", "title", "area_id", "iteration_id",
                                         "created_date", "changed_date", "budget_id",
                                         "effective_budget_id", "budget_assignment_type",
                                         "fields", "microsoft_vsts_scheduling_effort"],
                          items(), conn=raw)
        span = 365 * 24 * 3600

        def logs() -> Any:
            for _ in range(worklogs):
                ts = START + timedelta(seconds=rng.randrange(span))
                text = db_datetime(ts)
                yield (_gid(rng), rng.choice(users), rng.choice(users), text,
                       rng.choice([900, 1800, 3600, 7200]), rng.randrange(1, work_items + 1),
                       rng.choice(["Work", None, "Review"]), rng.choice(acts), text, text,
                       0, 1, 0, 0, 0, 0, int(rng.random() < 0.3), 0)

        insert(store, raw, "worklogs", logs())
        derived.recompute(raw)  # budgets, roots and hierarchy paths, as every loader does
    with sqlite3.connect(path) as con:
        con.execute("ANALYZE")
        con.execute("CREATE TABLE IF NOT EXISTS bench_info (k TEXT, v TEXT)")
        con.execute("INSERT INTO bench_info VALUES ('size', ?)",
                    (size_key(worklogs, work_items, trees),))
    store.dispose()


def size_key(worklogs: int, work_items: int, trees: bool) -> str:
    return f"{worklogs}/{work_items}" + ("/trees" if trees else "")


def ready(path: Path, worklogs: int, work_items: int, *, trees: bool = False) -> bool:
    """The file holds the data set of these sizes, in this mockpace's schema."""
    if not path.exists():
        return False
    store = Store(str(path))
    current = store.schema_is_current()
    store.dispose()
    if not current:
        return False
    try:
        with sqlite3.connect(path) as con:
            row = con.execute("SELECT v FROM bench_info WHERE k = 'size'").fetchone()
    except sqlite3.Error:
        return False
    return bool(row and row[0] == size_key(worklogs, work_items, trees))


def make_app(path: Path) -> FastAPI:
    store = Store(str(path))
    org = Org("contoso", store)
    init_settings(store, OrgSettings(), Clock())
    org.refresh_identity()
    registry = Registry()
    registry.add(org, default=True)
    return create_app(ServerSettings(db=str(path)), registry)


def serve_reporting(path: str, port: int) -> None:
    """mockpace on the benchmark's file, in the process ``servers.start`` forks."""
    servers.run_uvicorn(make_app(Path(path)), port)


class Parsing:
    """Time the client spends parsing response JSON (stdlib json, as httpx's ``.json()``),
    kept apart: the floor ends with JSON bytes in hand, so mockpace's comparable time ends when
    the client holds the response bytes; the time with parsing is printed too."""

    seconds = 0.0

    @classmethod
    def json(cls, response: httpx.Response) -> Any:
        started = time.perf_counter()
        body = response.json()
        cls.seconds += time.perf_counter() - started
        return body


class Timing(NamedTuple):
    wire: float  # median seconds until the client holds every response's JSON bytes
    parsed: float  # median seconds including the client's parsing of that JSON
    rows: int
    first: float  # the first call (builds the statement, warms SQLite's page cache)


def interleaved(fns: dict[str, Callable[[], int]], repeat: int) -> dict[str, Timing]:
    """Each function timed ``repeat`` times after one warm-up call, in rounds that call every
    function once: on the shared machine the load drifts within seconds, so back-to-back
    series would compare different loads. A floor without a client parses nothing, so its two
    medians are equal."""
    runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in fns}
    first: dict[str, float] = {}
    for i in range(repeat + 1):
        for name, fn in fns.items():
            Parsing.seconds = 0.0
            start = time.perf_counter()
            rows = fn()
            took = time.perf_counter() - start
            if i == 0:
                first[name] = took
            else:
                runs[name].append((took - Parsing.seconds, took, rows))
    return {name: Timing(statistics.median(r[0] for r in runs[name]),
                         statistics.median(r[1] for r in runs[name]), runs[name][-1][2],
                         first[name]) for name in fns}


def db_text(iso: str) -> str:
    return iso.replace("T", " ").replace("Z", "")


WORKLOG_JOINS = (
    "FROM worklogs w JOIN users u ON u.id = w.user_id JOIN users ab ON ab.id = "
    "w.added_by_user_id LEFT JOIN users eb ON eb.id = coalesce(w.edited_by_user_id, "
    "w.added_by_user_id) LEFT JOIN activity_types a ON a.id = w.activity_type_id LEFT JOIN "
    "work_items i ON i.id = w.work_item_id LEFT JOIN budgets b ON b.id = coalesce(w.budget_id, "
    "i.effective_budget_id) ")
WORKLOG_COLUMNS = (
    "w.*, u.name AS u_name, u.email AS u_email, ab.name AS ab_name, ab.email AS ab_email, "
    "eb.id AS eb_id, eb.name AS eb_name, eb.email AS eb_email, a.name AS a_name, "
    "a.color AS a_color, b.id AS b_id, b.name AS b_name, "
    "date(w.timestamp, printf('%+d minutes', u.timezone_offset)) AS short_date")


def dumps(keys: list[str], rows: list[Any]) -> tuple[int, str]:
    """The floor's answer: the row count and ``json.dumps`` of the rows as flat dicts (no
    nesting, no formatting)."""
    return len(rows), json.dumps({"value": [dict(zip(keys, r, strict=True)) for r in rows]})


def _dump(cursor: sqlite3.Cursor) -> tuple[int, str]:
    return dumps([d[0] for d in cursor.description], cursor.fetchall())


def floor_a(con: sqlite3.Connection) -> tuple[int, str]:
    """Same rows and columns as (a): worklog, its users, activity type, budget, date and the
    full work item with area, iteration, project and budget (HierarchyPath not included)."""
    return _dump(con.execute(
        f"SELECT {WORKLOG_COLUMNS}, i.*, ar.path AS area_path, ar.name AS node_name, "
        "it.path AS iteration_path, p.name AS project, ib.name AS item_budget "
        f"{WORKLOG_JOINS} LEFT JOIN area_paths ar ON ar.id = i.area_id LEFT JOIN iterations it "
        "ON it.id = i.iteration_id LEFT JOIN team_projects p ON p.id = i.project_id LEFT JOIN "
        "budgets ib ON ib.id = i.effective_budget_id WHERE w.rowid IN (SELECT rowid FROM worklogs "
        "WHERE is_deleted = 0 AND timestamp >= ? AND timestamp < ? ORDER BY timestamp DESC, "
        "id DESC LIMIT 1000) ORDER BY w.timestamp DESC, w.id DESC",
        (db_text(MONTH[0]), db_text(MONTH[1]))))


def floor_b(con: sqlite3.Connection) -> tuple[int, str]:
    """Same rows and columns as (b), in one query (no paging)."""
    return _dump(con.execute(
        f"SELECT {WORKLOG_COLUMNS} {WORKLOG_JOINS} WHERE w.is_deleted = 0 AND w.timestamp >= ? "
        "AND w.timestamp < ? ORDER BY w.timestamp, w.id", (db_text(MONTH[0]), db_text(MONTH[1]))))


def floor_c(con: sqlite3.Connection) -> tuple[int, str]:
    rows = con.execute(
        "SELECT i.id, i.title, (SELECT coalesce(sum(w.length), 0) FROM worklogs w WHERE "
        "w.work_item_id = i.id AND w.is_deleted = 0 AND w.timestamp >= ? AND w.timestamp < ?), "
        "(SELECT coalesce(sum(CASE WHEN w.is_billable THEN w.length ELSE 0 END), 0) FROM "
        "worklogs w WHERE w.work_item_id = i.id AND w.is_deleted = 0 AND w.timestamp >= ? AND "
        "w.timestamp < ?) FROM work_items i ORDER BY i.id LIMIT 100",
        (db_text(MONTH[0]), db_text(MONTH[1])) * 2).fetchall()
    return dumps(["System_Id", "System_Title", "TrackedItself", "TrackedItselfBillable"], rows)


def arguments(doc: str | None) -> argparse.Namespace:
    """The options every Reporting benchmark takes (sizes of the data set, repetitions)."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--worklogs", type=int,
                        default=int(os.environ.get("MOCKPACE_BENCH_WORKLOGS", 1_000_000)))
    parser.add_argument("--work-items", type=int,
                        default=int(os.environ.get("MOCKPACE_BENCH_WORK_ITEMS", 50_000)))
    parser.add_argument("--repeat", type=int, default=5)
    return parser.parse_args()


def dataset(name: str, args: argparse.Namespace,
            after: Callable[[Path], None] | None = None, *, trees: bool = False) -> Path:
    """The benchmark's file under /tmp, built (then ``after`` run on it) unless it already
    holds the data set of these sizes in this schema (``trees``: see ``build``)."""
    path = Path(f"/tmp/mockpace-bench-{name}-{args.worklogs}.db")
    if not ready(path, args.worklogs, args.work_items, trees=trees):
        start = time.perf_counter()
        build(path, args.worklogs, args.work_items, trees=trees)
        if after is not None:
            after(path)
        print(f"built {path} in {time.perf_counter() - start:.1f} s")
    return path


def floor_connection(path: Path) -> sqlite3.Connection:
    """A connection for the floors that reads the file as mockpace's connections do."""
    con = sqlite3.connect(path, check_same_thread=False)
    con.execute("PRAGMA cache_size=-65536")
    con.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    return con


Floor = Callable[[sqlite3.Connection], tuple[int, str]]


class Case(NamedTuple):
    """One measured case: ``mine`` asks mockpace and returns the rows it got; ``floor`` is the
    hand-written SQL + json.dumps; ``params`` the query string both servers are sent."""
    name: str
    mine: Callable[[], int]
    floor: Floor
    params: dict[str, str]
    repeat: int


class Bench:
    """mockpace and the served floor (``servers.run_floors`` answering every case's floor),
    each on uvicorn in a process of its own, a client for each, and a connection for the
    in-process floors (the issue's own definition of the floor: no HTTP at all)."""

    def __init__(self, path: Path, floors: Sequence[Floor], timeout: float = 120) -> None:
        self.mockpace, port = servers.start(serve_reporting, str(path))
        self.floors = {str(i): f for i, f in enumerate(floors)}
        self.server, floor_port = servers.start(servers.run_floors,
                                                lambda: floor_connection(path), self.floors)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers,
                                   timeout=timeout)
        self.floor_client = httpx.Client(base_url=f"http://127.0.0.1:{floor_port}",
                                         headers=headers, timeout=timeout)
        self.con = floor_connection(path)

    def page(self, path: str, params: dict[str, str]) -> int:
        """Rows of one mockpace page (the client's parse timed apart)."""
        r = self.client.get(f"/api/odata/v3.2/{path}", params=params)
        assert r.status_code == 200, r.text
        return len(Parsing.json(r)["value"])

    def served(self, floor: Floor, params: dict[str, str]) -> int:
        key = next(k for k, f in self.floors.items() if f is floor)
        r = self.floor_client.get(f"/floor/{key}", params=params)
        assert r.status_code == 200, r.text
        return len(Parsing.json(r)["value"])

    def measure(self, cases: list[Case], width: int = 52) -> None:
        """Each case: mockpace, the served floor and the in-process floor interleaved; one line
        each (medians), ratios against both floors."""
        print(f"{'case':<{width}}{'mockpace':>10}{'floor':>10}{'ratio':>7}{'served':>10}"
              f"{'ratio':>7}{'rows':>7}{'1st call':>9}{'+parse':>9}")
        for case in cases:
            t = interleaved({
                "mine": case.mine,
                "served": lambda c=case: self.served(c.floor, c.params),  # type: ignore[misc]
                "floor": lambda c=case: c.floor(self.con)[0],  # type: ignore[misc]
            }, case.repeat)
            mine, served, base = t["mine"], t["served"], t["floor"]
            assert mine.rows == base.rows == served.rows, (case.name, mine, served, base)
            print(f"{case.name:<{width}}{_ms(mine.wire)}{_ms(base.wire)}"
                  f"{mine.wire / base.wire:>7.2f}{_ms(served.wire)}{mine.wire / served.wire:>7.2f}"
                  f"{mine.rows:>7}{mine.first * 1000:>7.0f}ms{mine.parsed * 1000:>7.0f}ms",
                  flush=True)

    def close(self) -> None:
        self.mockpace.kill()
        self.server.kill()


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:>8.1f}ms"


def main() -> None:
    args = arguments(__doc__)
    path = dataset("reporting", args)
    bench = Bench(path, [floor_a, floor_b, floor_c])
    month = f"Timestamp ge {MONTH[0]} and Timestamp lt {MONTH[1]}"
    a_params = {"$filter": month, "$orderby": "Timestamp desc"}
    b_params = {"$filter": month}
    c_params = {"$select": "System_Id,System_Title,TrackedItself,TrackedItselfBillable",
                "worklogsFilter": month}

    def run_b() -> int:
        total = 0
        r = bench.client.get("/api/odata/v3.2/workLogsOnly", params=b_params)
        while True:
            assert r.status_code == 200, r.text
            body = Parsing.json(r)
            total += len(body["value"])
            if "@odata.nextLink" not in body:
                return total
            r = bench.client.get(body["@odata.nextLink"])

    print(f"data set: {args.worklogs} worklogs, {args.work_items} work items ({path})")
    bench.measure([
        Case("(a) workLogsWorkItems month, Timestamp desc",
             lambda: bench.page("workLogsWorkItems", a_params), floor_a, a_params, args.repeat),
        # the floors answer (b) in one response: no paging
        Case("(b) workLogsOnly month, every nextLink", run_b, floor_b, b_params, 2),
        Case("(c) workItems TrackedItself + worklogsFilter",
             lambda: bench.page("workItems", c_params), floor_c, c_params, args.repeat),
    ], width=48)
    bench.close()


if __name__ == "__main__":
    main()
