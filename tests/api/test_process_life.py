"""Process life of ``mockpace serve`` (issue 11 items 3, 4, 14): a restart keeps the user's
data, a file in use is never rebuilt or reset by another process, bad flags are one line,
SIGTERM stops as cleanly as Ctrl-C. Run as a user runs it: subprocesses of the entry point."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockpace.store.lock import is_held, sweep_stale
from mockpace.testing.plugin import free_port
from tests.api.test_cli import MOCKPACE, assert_one_line_error, run

SMALL = ("--users", "4", "--work-items", "20", "--days", "5")
ADMIN = {"X-Mockpace-Request": "test"}


class Server:
    """``mockpace serve`` in a subprocess, waited for until it answers."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [*MOCKPACE, "serve", "--port", str(self.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})})
        deadline = time.time() + 90
        while True:
            try:
                if httpx.get(self.base + "/_mockpace/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise AssertionError(self.proc.communicate()[1])
            assert time.time() < deadline, "server did not start"
            time.sleep(0.2)
        self.out = ""
        self.err = ""

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.get(self.base + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.post(self.base + path, timeout=30, **kwargs)

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.out, self.err = self.proc.communicate(timeout=60)
        return self.proc.returncode


def _admin_token(server: Server) -> str:
    tokens = server.get("/_mockpace/tokens").json()
    return str(next(t["token"] for t in tokens if t["role"] == "Administrator"))


def _add_worklog(server: Server, token: str, comment: str) -> str:
    created = server.post("/api/rest/workLogs?api-version=3.2",
                          headers={"Authorization": f"Bearer {token}"},
                          json={"timestamp": "2026-11-02T09:00:00Z", "length": 900,
                                "comment": comment})
    assert created.status_code == 200, created.text
    return str(created.json()["data"]["id"])


def _comments(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT comment FROM worklogs "
                                               "WHERE comment LIKE 'mine %'")}


def test_restart_with_another_day_and_other_flags_keeps_every_write(tmp_path: Path) -> None:
    db = tmp_path / "keep.db"
    first = Server("--db", str(db), "--anchor-date", "2026-11-02", *SMALL)
    try:
        token = _admin_token(first)
        ids = [_add_worklog(first, token, f"mine {i}") for i in range(3)]
        counts = first.get("/_mockpace/health").json()["counts"]
    finally:
        assert first.stop() == 0
    assert "created" in first.out
    # another day, other sizes, another seed: the file is the user's data, kept as it is
    second = Server("--db", str(db), "--anchor-date", "2026-11-03", "--users", "9",
                    "--seed", "7")
    try:
        assert second.get("/_mockpace/health").json()["counts"] == counts
        for wid in ids:
            got = second.get(f"/api/rest/workLogs/{wid}?api-version=3.2",
                             headers={"Authorization": f"Bearer {token}"})
            assert got.status_code == 200, got.text
        # reset returns to the state at this start, user writes included
        assert second.post("/_mockpace/reset", headers=ADMIN).status_code == 200
        assert second.get("/_mockpace/health").json()["counts"] == counts
    finally:
        assert second.stop() == 0
    assert "reused as it is" in second.out
    assert "note: --seed, --anchor-date, --users ignored: the file holds data already" \
        in second.out
    assert _comments(db) == {"mine 0", "mine 1", "mine 2"}
    # --fresh (or MOCKPACE_FRESH) rebuilds it, as asked
    third = Server("--db", str(db), *SMALL, env={"MOCKPACE_FRESH": "true"})
    try:
        assert third.get("/_mockpace/health").json()["counts"]["users"] == 4
    finally:
        third.stop()
    assert "rebuilt" in third.out
    assert _comments(db) == set()


def test_a_file_in_use_is_never_rebuilt_by_another_process(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    server = Server("--db", str(db), *SMALL)
    try:
        token = _admin_token(server)
        _add_worklog(server, token, "mine 1")
        health = server.get("/_mockpace/health").json()
        assert is_held(db)
        # a second server on the same file is refused at once, one line, status 2
        second = run("serve", "--port", str(free_port()), "--db", str(db), "--seed", "7",
                     "--users", "50")
        assert_one_line_error(second, str(db), "in use")
        # so is a rebuild through `mockpace seed`, with or without --fresh
        assert_one_line_error(run("seed", "--db", str(db), "--fresh", "--users", "3"),
                              "in use")
        # `mockpace tokens` only reads the file, whatever data flags it gets
        listed = run("tokens", "--json", "--db", str(db), "--fixture", "fixtures/small.yaml",
                     "--users", "50")
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout) == server.get("/_mockpace/tokens").json()
        assert server.get("/_mockpace/health").json() == health
        me = server.get("/api/rest/me?api-version=3.2",
                        headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
    finally:
        assert server.stop(signal.SIGTERM) == 0
    assert _comments(db) == {"mine 1"}
    assert not is_held(db)


def test_tokens_never_creates_or_writes_a_database(tmp_path: Path) -> None:
    db = tmp_path / "absent.db"
    listed = run("tokens", "--json", "--db", str(db), *SMALL)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 4
    assert list(tmp_path.iterdir()) == []


def test_bad_clock_and_unusable_db_are_one_line(tmp_path: Path) -> None:
    assert_one_line_error(run("serve", "--clock", "yesterday", "--db", ":memory:"), "clock",
                          "yesterday")
    assert_one_line_error(run("serve", "--log-level", "loud", "--db", ":memory:"), "loud")
    result = run("serve", "--db", "/proc/x.db", "--port", str(free_port()), timeout=60)
    assert_one_line_error(result, "/proc/x.db")
    assert_one_line_error(run("seed", "--db", "/proc/x.db", timeout=60), "/proc/x.db")
    # a folder, a file that is not a database: one line, and no lock file left beside them
    not_db = tmp_path / "notes.txt"
    not_db.write_text("hello")
    for db, words in ((tmp_path, ("unable to open",)), (not_db, ("not a database",))):
        assert_one_line_error(run("serve", "--db", str(db), "--port", str(free_port())),
                              str(db), *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    assert not (tmp_path.parent / f"{tmp_path.name}.lock").exists()


def _temporary_folders(pid: int) -> set[Path]:
    """The temporary database folders the process has files open in."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = Path(os.readlink(fd))
        except OSError:
            continue
        if target.parent.name.startswith("mockpace-"):
            found.add(target.parent)
    return found


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_stop_cleanly_and_leave_nothing_behind(sig: int) -> None:
    server = Server("--db", ":memory:", *SMALL)
    mine = _temporary_folders(server.proc.pid)
    assert len(mine) == 1 and all(folder.is_dir() for folder in mine)
    assert server.stop(sig) == 0, server.err
    assert "Traceback" not in server.err
    assert not any(folder.exists() for folder in mine)


def test_workers_share_a_throw_away_database_until_the_stop() -> None:
    server = Server("--db", ":memory:", "--workers", "2", *SMALL)
    mine = _temporary_folders(server.proc.pid)
    assert len(mine) == 1
    # both workers answer, from the one database the parent built
    seen = {tuple(server.get("/_mockpace/health").json()["counts"].items()) for _ in range(20)}
    assert len(seen) == 1
    assert dict(next(iter(seen)))["users"] == 4
    assert server.stop(signal.SIGTERM) == 0, server.err
    assert "Traceback" not in server.err
    assert not any(folder.exists() for folder in mine)


def test_folders_of_killed_processes_are_swept(tmp_path: Path) -> None:
    code = ("import sys, time; from mockpace.store import Store; s = Store(':memory:'); "
            "print(s.path, flush=True); time.sleep(60)")
    proc = subprocess.Popen([MOCKPACE[0], "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        folder = Path(proc.stdout.readline().strip()).parent
        assert folder.is_dir()
        os.utime(folder, (time.time() - 60, time.time() - 60))
        assert folder not in sweep_stale(folder.parent)  # alive: kept
        assert folder.is_dir()
    finally:
        proc.kill()
        proc.wait()
    assert folder in sweep_stale(folder.parent)
    assert not folder.exists()
