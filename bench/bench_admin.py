"""Admin-plane and harness costs.

- snapshot restore (what reset and every plugin test do) on the default data set, against
  re-generating the same data (what a reset would cost without snapshots), same run;
  with ``MOCKPACE_BENCH_BIG=1`` also on a 1M-worklog data set;
- the overhead of the harness middleware (journal, one non-matching fault rule, contract
  diagnostics) on ``GET /api/rest/workLogs`` over real HTTP, against the same requests with the
  harness switched off, interleaved in the same run (falls back to ``GET /api/rest/me`` while the
  worklog list does not exist).

Run: ``.venv/bin/python -m bench.bench_admin``.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import date
from typing import Any

import httpx

from mockpace.admin.service import token_list
from mockpace.app import create_app
from mockpace.harness import harness_of
from mockpace.orgs import DataSource, Org
from mockpace.settings import ServerSettings
from mockpace.store import Store
from mockpace.testing.plugin import LiveServer

ANCHOR = date(2026, 11, 2)


def timed(fn: Any, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def restore_bench(label: str, source: DataSource, runs: int) -> None:
    org = Org("bench", Store(":memory:"))
    seed_ms = timed(lambda: org.load(source, ServerSettings().org_settings(), fresh=True), 1)[0]
    counts = org.store.counts()
    restore = timed(org.reset, runs)
    save = timed(lambda: org.store.save_snapshot("bench"), max(3, runs // 4))
    med = statistics.median(restore)
    print(f"{label}: {counts['workLogs']} worklogs, {counts['workItems']} work items")
    print(f"  restore snapshot  median {med:8.1f} ms  (min {min(restore):.1f}, n={runs})")
    print(f"  save snapshot     median {statistics.median(save):8.1f} ms")
    print(f"  baseline re-seed         {seed_ms:8.1f} ms  -> restore is {med / seed_ms:.3f}x "
          f"of re-seeding; target 100 ms: {'met' if med < 100 else 'MISSED'}")
    org.store.dispose()


def overhead_bench(pairs: int = 1500) -> None:
    app = create_app(ServerSettings(db=":memory:", anchor_date=ANCHOR))
    org = app.state.registry.default
    admin = next(t for t in token_list(org) if t["userId"] == org.admin_user_id)
    server = LiveServer(app).start()
    harness = harness_of(app)
    state = harness.of(org)
    state.faults.add({"path": "/api/tracking/nothing*", "status": 500})  # checked, never hits
    try:
        with httpx.Client(base_url=server.url,
                          headers={"Authorization": f"Bearer {admin['token']}"}) as client:
            path = "/api/rest/workLogs?api-version=3.2&$count=100"
            if client.get(path).status_code != 200:
                path = "/api/rest/me?api-version=3.2"
            for _ in range(50):
                client.get(path)
            on: list[float] = []
            off: list[float] = []
            # Alternate request by request so load drift on the machine hits both equally.
            for i in range(2 * pairs):
                enabled = i % 2 == 0
                harness.enabled = enabled
                (on if enabled else off).extend(timed(lambda: client.get(path), 1))
            harness.enabled = True
        journal_entries = len(state.journal.select())
    finally:
        server.stop()
        org.store.dispose()
    med_on, med_off = statistics.median(on), statistics.median(off)
    print(f"harness overhead on GET {path.split('?')[0]} (real HTTP, {len(on)} requests each, "
          "alternating)")
    print(f"  harness off (baseline) median {med_off:7.3f} ms  p10 {_p10(off):.3f}")
    print(f"  journal+faults+diag    median {med_on:7.3f} ms  p10 {_p10(on):.3f}")
    print(f"  ratio {med_on / med_off:.3f} (overhead {100 * (med_on / med_off - 1):+.1f}%, "
          f"target < +10%); journal kept {journal_entries} entries")


def _p10(values: list[float]) -> float:
    return sorted(values)[len(values) // 10]


def main() -> None:
    restore_bench("default data set", DataSource(seed=1, anchor_date=ANCHOR), runs=20)
    if os.environ.get("MOCKPACE_BENCH_BIG"):
        restore_bench("1M worklogs", DataSource(seed=1, anchor_date=ANCHOR, users=200,
                                                 work_items=50_000, worklogs=1_000_000), runs=3)
    overhead_bench()


if __name__ == "__main__":
    main()
