"""A create that finds the write lock taken queues instead of failing or blocking the loop."""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import bearer, default_org, tokens

BODY = {"length": 600, "comment": "queued", "timeStamp": "2026-02-10T10:00:00Z"}
URL = "/api/rest/workLogs?api-version=3.2"


def admin_headers(app: Any) -> dict[str, str]:
    return bearer(tokens(app)["ada.admin@contoso.com"])


def test_create_waits_for_a_writer_thread_of_this_process(small_client: TestClient,
                                                           small_app: Any) -> None:
    store = default_org(small_app).store
    before = store.counts()["workLogs"]
    held = threading.Event()

    def hold() -> None:  # a writer thread of this process (the lock is released by its owner)
        with store.write_lock:
            held.set()
            time.sleep(0.3)

    threading.Thread(target=hold).start()
    held.wait()
    started = time.perf_counter()
    result: list[Any] = []
    poster = threading.Thread(target=lambda: result.append(
        small_client.post(URL, json=BODY, headers=admin_headers(small_app))))
    poster.start()
    time.sleep(0.05)
    # the waiting create does not hold up the event loop: another request is served meanwhile
    me_started = time.perf_counter()
    me = small_client.get("/api/rest/me?api-version=3.2", headers=admin_headers(small_app))
    assert me.status_code == 200
    assert time.perf_counter() - me_started < 0.2
    poster.join()
    response = result[0]
    assert response.status_code == 200, response.text
    assert time.perf_counter() - started >= 0.25  # it waited for the lock, then wrote
    assert response.json()["data"]["comment"] == "queued"
    assert store.counts()["workLogs"] == before + 1


def test_create_waits_for_a_writer_of_another_connection(small_client: TestClient,
                                                        small_app: Any) -> None:
    store = default_org(small_app).store
    before = store.counts()["workLogs"]
    other = sqlite3.connect(str(store.path), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # as another worker process holding the write lock
    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    started = time.perf_counter()
    response = small_client.post(URL, json=BODY, headers=admin_headers(small_app))
    assert response.status_code == 200, response.text
    assert time.perf_counter() - started >= 0.25
    assert store.counts()["workLogs"] == before + 1
    other.close()
