"""The command line, run as a user runs it: a subprocess of the installed entry point."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mockpace.testing.plugin import free_port
from tests.conftest import SMALL_FIXTURE

MOCKPACE = [sys.executable, "-m", "mockpace"]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MOCKPACE, *args], capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mockpace: error: ")
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def start_serve(port: int, *args: str) -> tuple[subprocess.Popen[str], str]:
    """``mockpace serve`` in a subprocess, once it answers; (process, base URL)."""
    proc = subprocess.Popen([*MOCKPACE, "serve", "--port", str(port), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(base + "/_mockpace/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.time() < deadline, "server did not start"
        time.sleep(0.2)


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "mockpace, version 0.1.0"


def test_bad_flag_is_one_line_and_status_2() -> None:
    assert_one_line_error(run("serve", "--no-such-flag"), "--no-such-flag")


def test_bad_setting_value_is_one_line_and_status_2() -> None:
    assert_one_line_error(run("serve", "--tracking-envelope", "xml"), "xml")
    assert_one_line_error(run("serve", "--port", "70000"), "port")
    assert_one_line_error(run("seed", "--db", "x.db", "--anchor-date", "2026-02-31"),
                          "anchor_date")


def test_unreadable_database_path(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert_one_line_error(run("seed", "--db", str(blocker / "sub" / "x.db"), "--users", "3"),
                          str(blocker))


def test_fixture_with_errors_is_refused_naming_file_and_entry(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"users": [{"email": "a@x.com"}], "workLogs": [
        {"user": "ghost@x.com", "timestamp": "2026-13-01T00:00:00Z", "length": 60}]}))
    result = run("seed", "--db", str(tmp_path / "x.db"), "--fixture", str(bad))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    # the summary, then one problem per line, as fixtures/README.md shows them
    assert lines[0] == f"mockpace: error: fixture {bad}: 4 problems", result.stderr
    assert lines[1:] == [
        f"  {bad}: users[0]: missing required 'name'",
        f"  {bad}: workLogs[0].user: unknown user 'ghost@x.com'",
        f"  {bad}: workLogs[0]: a worklog needs a workItem or a comment",
        f"  {bad}: workLogs[0].timestamp: bad date-time '2026-13-01T00:00:00Z' "
        "(expected ISO 8601 such as 2026-03-02T09:15:00Z)"]


def test_port_in_use_is_one_line_and_status_2() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert_one_line_error(run("serve", "--port", str(port), "--db", ":memory:"), str(port))


def test_seed_builds_a_file_and_tokens_json_reads_it(tmp_path: Path) -> None:
    db = tmp_path / "data.db"
    result = run("seed", "--db", str(db), "--fixture", str(SMALL_FIXTURE))
    assert result.returncode == 0, result.stderr
    assert db.exists()
    listed = run("tokens", "--json", "--db", str(db), "--fixture", str(SMALL_FIXTURE))
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)
    assert entries == sorted(entries, key=lambda e: e["email"])
    assert {"email", "name", "role", "userId", "token"} == set(entries[0])


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_health_and_me_with_a_printed_token(tmp_path: Path, workers: int) -> None:
    port = free_port()
    db = tmp_path / "serve.db"
    proc, base = start_serve(port, "--db", str(db), "--users", "6", "--work-items", "40",
                             "--days", "10", "--workers", str(workers))
    try:
        tokens = httpx.get(base + "/_mockpace/tokens").json()
        admin = next(t for t in tokens if t["role"] == "Administrator")
        me = httpx.get(base + "/api/rest/Me?api-version=3.2&fields=all",
                       headers={"Authorization": f"Bearer {admin['token']}"})
        assert me.status_code == 200
        assert me.json()["data"]["user"]["email"] == admin["email"]
        # settings written through one worker are seen by every worker (they live in the db)
        httpx.patch(base + "/_mockpace/settings", json={"lenient_api_version": True})
        for _ in range(6):
            assert httpx.get(base + "/api/rest/me", headers={
                "Authorization": f"Bearer {admin['token']}"}).status_code == 200
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/api/rest" in out
    # one console line per request: method, path as sent, status, duration, warnings
    assert re.search(r"^\d\d:\d\d:\d\d GET /api/rest/Me\?api-version=3\.2&fields=all 200 "
                     r"[\d.]+ms  warnings: unknown-parameter: query parameter 'fields' ", out,
                     re.M), out
    assert len(re.findall(r"^\d\d:\d\d:\d\d GET /api/rest/me 200 [\d.]+ms$", out, re.M)) == 6
    assert " /_mockpace" not in out.split("GET /_mockpace/tokens")[1]  # admin calls: no line
    # the admin's token is printed whole on its line, even when stdout is a pipe
    assert any(line.strip().startswith("Admin user") and admin["token"] in line
               for line in out.splitlines()), out


@pytest.mark.parametrize("url", ["postgresql://user@localhost/mockpace", "mysql://x/y"])
def test_db_other_than_sqlite_is_refused_in_one_line(url: str) -> None:
    result = run("seed", "--db", url)
    assert_one_line_error(result, "db", "not supported", "SQLite only", "sqlite:///path")
    assert "psycopg" not in result.stderr and "No module" not in result.stderr


def test_db_sqlite_url_is_accepted(tmp_path: Path) -> None:
    db = tmp_path / "via-url.db"
    result = run("seed", "--db", f"sqlite:///{db}", "--fixture", str(SMALL_FIXTURE))
    assert result.returncode == 0, result.stderr
    assert db.exists()


def test_help_states_the_real_defaults() -> None:
    text = " ".join(run("serve", "--help").stdout.split())
    assert "default None" not in text
    assert "(default: today, UTC)" in text  # --anchor-date
    assert "(default: none, generate the data)" in text  # --fixture
    assert "mockpace.db in the user data folder (" in text  # --db, with the path
    assert "fault rules and rate-limit counters" in text  # --workers


def test_tokens_table_never_cuts_a_token_on_a_narrow_terminal(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    listed = json.loads(run("tokens", "--json", "--db", db, "--users", "6").stdout)
    narrow = subprocess.run([*MOCKPACE, "tokens", "--db", db, "--users", "6"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "COLUMNS": "60"})
    assert narrow.returncode == 0, narrow.stderr
    rows = [line for line in narrow.stdout.splitlines() if "@" in line]
    assert len(rows) == 6
    for entry, row in zip(listed, rows, strict=True):
        cells = [cell.strip() for cell in row.strip("│ ").split("│")]
        assert cells == [entry["email"], entry["name"], entry["role"], entry["userId"],
                         entry["token"]]


def test_no_request_log_prints_no_request_lines(tmp_path: Path) -> None:
    proc, base = start_serve(free_port(), "--db", ":memory:", "--fixture", str(SMALL_FIXTURE),
                             "--no-request-log")
    try:
        assert httpx.get(base + "/api/rest/me?api-version=3.2").status_code == 401
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "All tokens" in out
    assert "/api/rest/me" not in out.split("All tokens")[1] + err


def test_banner_names_the_command_as_it_can_be_run_from_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mockpace import cli

    script = tmp_path / ".venv" / "bin" / "mockpace"
    script.parent.mkdir(parents=True)
    script.write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", [str(script), "serve"])
    monkeypatch.setattr(cli.shutil, "which", lambda name: None)  # the venv is not on PATH
    assert cli.command_name() == ".venv/bin/mockpace"
    monkeypatch.setattr(cli.shutil, "which", lambda name: str(script))  # activated
    assert cli.command_name() == "mockpace"


def test_clock_advances_through_two_workers_all_count() -> None:
    """``PUT /_mockpace/clock {"advance": ...}`` reads and writes the clock in one transaction,
    so concurrent advances served by different worker processes all count."""
    from concurrent.futures import ThreadPoolExecutor

    proc, base = start_serve(free_port(), "--db", ":memory:", "--fixture", str(SMALL_FIXTURE),
                             "--workers", "2", "--clock", "2026-11-02T08:00:00Z")
    try:
        def advance(_: int) -> int:
            # a new connection per request: the kernel spreads them over both workers
            return httpx.put(base + "/_mockpace/clock", json={"advance": 60},
                             timeout=30).status_code

        with ThreadPoolExecutor(12) as pool:
            assert set(pool.map(advance, range(60))) == {200}
        assert httpx.get(base + "/_mockpace/clock").json() == {"now": "2026-11-02T09:00:00Z",
                                                               "mode": "fixed"}
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
