"""Two clients of the same user start and stop in parallel against a live server: at most one
track runs, and every started track writes exactly one worklog."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from mockpace.orgs import Org
from mockpace.store import TrackingSession, WorkLog
from mockpace.testing.plugin import LiveServer
from tests.api.tracking.conftest import ALICE_ID, BASE, TOKENS, V, build_app, build_org

ROUNDS = 30


@pytest.fixture
def live() -> Iterator[tuple[str, Org]]:
    org = build_org()
    app = build_app(org)
    server = LiveServer(app).start()
    try:
        yield server.url, org
    finally:
        server.stop()
        org.store.dispose()


def test_two_clients_of_one_user_in_parallel(live: tuple[str, Org]) -> None:
    url, org = live
    with httpx.Client(base_url=url, timeout=30) as admin:
        assert admin.put("/_mockpace/clock", json={"mode": "real"}).status_code == 200
    started: list[str] = []
    failures: list[str] = []
    barrier = threading.Barrier(2)
    lock = threading.Lock()

    def client(token: str, name: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            barrier.wait()
            for i in range(ROUNDS):
                item = 103 if i % 2 else 105
                response = http.post(f"{BASE}/startTracking?{V}",
                                     json={"tfsId": item, "remark": f"{name}-{i}"})
                body: dict[str, Any] = response.json() if response.status_code == 200 else {}
                track = body.get("track", {})
                with lock:
                    if response.status_code != 200 or track.get("trackingState") != "tracking":
                        failures.append(f"start {name}-{i}: {response.status_code} "
                                        f"{response.text[:200]}")
                    else:
                        started.append(track["workLogId"])
                if i % 3 == 2:
                    stop = http.post(f"{BASE}/stopTracking/0?{V}")
                    state = stop.json()["track"]["trackingState"] if stop.is_success else None
                    if state != "idle":
                        with lock:
                            failures.append(f"stop {name}-{i}: {stop.status_code} {stop.text}")

    threads = [threading.Thread(target=client, args=(TOKENS["alice"], "a")),
               threading.Thread(target=client, args=(TOKENS["alice2"], "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    with httpx.Client(base_url=url, timeout=30) as http:
        final = http.post(f"{BASE}/stopTracking?{V}",
                          headers={"Authorization": f"Bearer {TOKENS['alice']}"})
        assert final.json()["track"]["trackingState"] == "idle"

    assert len(started) == 2 * ROUNDS
    assert len(set(started)) == 2 * ROUNDS  # every start began its own track
    with org.store.read() as session:
        written = session.exec(select(WorkLog.id).where(
            WorkLog.user_id == ALICE_ID, col(WorkLog.is_tracked).is_(True))).all()
        sessions = session.exec(select(TrackingSession)).all()
    # No worklog lost, none doubled: exactly one per started track.
    assert sorted(written) == sorted(started)
    assert [(s.user_id, s.is_tracking) for s in sessions] == [(ALICE_ID, False)]
