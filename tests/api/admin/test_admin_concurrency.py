"""The admin plane under concurrent calls, against a live server (real threads, real HTTP):
every state change (reset, seed, fixtures, import, snapshot restore) happens whole or not at
all, and the organization is whole and consistent afterwards (issue 11 item 1)."""

from __future__ import annotations

import gc
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from mockpace.orgs import DataSource
from mockpace.testing.plugin import LiveServer
from tests.conftest import SMALL_FIXTURE, build_app

HEADERS = {"X-Mockpace-Request": "test"}
SEED = {"seed": 7, "users": 6, "workItems": 30, "days": 10, "anchorDate": "2026-11-02"}


@pytest.fixture
def server() -> Iterator[LiveServer]:
    live = LiveServer(build_app(DataSource(fixture=str(SMALL_FIXTURE)))).start()
    try:
        yield live
    finally:
        live.stop()
        live.app.state.registry.default.store.dispose()


@pytest.fixture
def live(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60, headers=HEADERS) as client:
        yield client


def _state(client: httpx.Client) -> tuple[dict[str, int], list[dict[str, Any]]]:
    counts = client.get("/_mockpace/health").json()["counts"]
    return counts, client.get("/_mockpace/tokens").json()


def _whole(client: httpx.Client, allowed: list[dict[str, int]]) -> None:
    """The organization holds one of the states a call could have left, and every listed
    token works."""
    counts, tokens = _state(client)
    assert counts in allowed
    assert len(tokens) == counts["users"]
    for entry in tokens:
        me = client.get("/api/rest/me?api-version=3.2",
                        headers={"Authorization": f"Bearer {entry['token']}"})
        assert me.status_code == 200, (entry, me.text)
        assert entry["userId"] in me.text


def test_two_concurrent_imports_both_succeed(live: httpx.Client) -> None:
    document = live.get("/_mockpace/export").json()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: live.post("/_mockpace/import", json=document),
                                range(16)))
    assert [a.status_code for a in answers] == [200] * 16, [a.text for a in answers]
    assert live.get("/_mockpace/export").json() == document


def test_concurrent_fixtures_and_seed_never_collide(live: httpx.Client) -> None:
    document = live.get("/_mockpace/export").json()

    def call(i: int) -> httpx.Response:
        if i % 2:
            return live.post("/_mockpace/fixtures", json=document)
        return live.post("/_mockpace/seed", json=SEED)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(call, range(12)))
    assert [a.status_code for a in answers] == [200] * 12, [a.text for a in answers]


def test_mixed_admin_calls_leave_the_organization_whole(live: httpx.Client) -> None:
    small_counts, _ = _state(live)
    document = live.get("/_mockpace/export").json()
    assert live.post("/_mockpace/snapshots/start").status_code == 200
    seeded = live.post("/_mockpace/seed", json=SEED)
    assert seeded.status_code == 200
    seeded_counts = seeded.json()["counts"]
    assert live.post("/_mockpace/fixtures", json=document).status_code == 200
    rng = random.Random(11)
    plan = [rng.choice(["reset", "seed", "fixtures", "import", "save", "restore", "read"])
            for _ in range(48)]

    def call(op: str) -> tuple[str, int, str]:
        if op == "reset":
            answer = live.post("/_mockpace/reset")
        elif op == "seed":
            answer = live.post("/_mockpace/seed", json=SEED)
        elif op == "fixtures":
            answer = live.post("/_mockpace/fixtures", json=document)
        elif op == "import":
            answer = live.post("/_mockpace/import", json=document)
        elif op == "save":
            answer = live.post("/_mockpace/snapshots/mid")
        elif op == "restore":
            answer = live.post("/_mockpace/snapshots/start/restore")
        else:
            answer = live.get("/_mockpace/health")
            if answer.status_code == 200:
                assert answer.json()["counts"] in (small_counts, seeded_counts), answer.text
        return op, answer.status_code, answer.text

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(call, plan))
    assert [r for r in results if r[1] != 200] == []
    _whole(live, [small_counts, seeded_counts])
    # the state reset returns to was written whole by the last seed or fixtures call
    assert live.post("/_mockpace/reset").status_code == 200
    _whole(live, [small_counts, seeded_counts])
    assert live.post("/_mockpace/snapshots/mid/restore").status_code == 200
    _whole(live, [small_counts, seeded_counts])


def test_concurrent_organization_creates_and_deletes(live: httpx.Client) -> None:
    body = {"name": "fab", "seed": 3, "users": 3, "workItems": 10, "days": 3}
    with ThreadPoolExecutor(6) as pool:
        created = list(pool.map(lambda _: live.post("/_mockpace/orgs", json=body), range(6)))
    assert sorted(a.status_code for a in created) == [201] + [409] * 5
    orgs = live.get("/_mockpace/orgs").json()
    assert [o["name"] for o in orgs] == ["contoso", "fab"]
    token = next(a for a in created if a.status_code == 201).json()["tokens"][0]["token"]
    me = live.get("/api/fab/rest/me?api-version=3.2",
                  headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    with ThreadPoolExecutor(6) as pool:
        deleted = list(pool.map(lambda _: live.delete("/_mockpace/orgs/fab"), range(6)))
    assert sorted(a.status_code for a in deleted) == [200] + [404] * 5
    assert [o["name"] for o in live.get("/_mockpace/orgs").json()] == ["contoso"]


def test_deleting_an_organization_under_load(server: LiveServer) -> None:
    """Requests under way on an organization being deleted finish (before: the store was
    closed under them: 500s, then a segmentation fault of the whole server); later ones
    reach the default organization, where its token is 401; its database goes with the
    last of them."""
    admin = httpx.Client(base_url=server.url, timeout=60, headers=HEADERS)
    body = {"name": "fab", "seed": 3, "users": 3, "workItems": 10, "days": 3}
    token = admin.post("/_mockpace/orgs", json=body).json()["tokens"][0]["token"]
    folder = server.app.state.registry.get("fab").store.path.parent
    statuses: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            while not stop.is_set():
                statuses.append(client.get("/api/fab/rest/workLogs?api-version=3.2",
                                           headers={"Authorization": f"Bearer {token}"})
                                .status_code)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    assert admin.delete("/_mockpace/orgs/fab").status_code == 200
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()
    assert set(statuses) == {200, 401}
    assert admin.get("/_mockpace/health").json()["orgs"] == ["contoso"]
    gc.collect()
    assert not folder.exists()
    admin.close()


def test_concurrent_clock_advances_all_count(live: httpx.Client,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Each ``advance`` moves the clock from where the previous one left it: none is lost to
    another that read the same clock before either wrote it."""
    from mockpace.common.clock import Clock

    advanced = Clock.advanced

    def slow_advanced(self: Clock, seconds: float) -> Clock:
        time.sleep(0.01)  # widens the window between reading the clock and writing it
        return advanced(self, seconds)

    monkeypatch.setattr(Clock, "advanced", slow_advanced)
    assert live.put("/_mockpace/clock", json={"now": "2026-11-02T08:00:00Z"}).status_code == 200
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: live.put("/_mockpace/clock", json={"advance": 60}),
                                range(16)))
    assert [a.status_code for a in answers] == [200] * 16
    assert live.get("/_mockpace/clock").json() == {"now": "2026-11-02T08:16:00Z",
                                                   "mode": "fixed"}


def test_concurrent_setting_changes_all_stay(live: httpx.Client,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Two PATCHes of different settings at once: both values are kept."""
    from mockpace.settings import OrgSettings

    patched = OrgSettings.patched

    def slow_patched(self: OrgSettings, changes: dict[str, Any]) -> OrgSettings:
        time.sleep(0.02)
        return patched(self, changes)

    monkeypatch.setattr(OrgSettings, "patched", slow_patched)
    changes = [{"rate_limit_per_minute": 77}, {"journal_size": 321}]
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda body: live.patch("/_mockpace/settings", json=body),
                                changes))
    assert [a.status_code for a in answers] == [200, 200]
    settings = live.get("/_mockpace/settings").json()
    assert (settings["rate_limit_per_minute"], settings["journal_size"]) == (77, 321)
