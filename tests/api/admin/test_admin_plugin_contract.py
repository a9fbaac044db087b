"""The pytest plugin's contract checks: the ini option `mockpace_strict_contract` and the marker
fail a test whose requests drew contract warnings, listing them in the report. Each case runs a
small test suite of its own in a fresh pytest process (the plugin loads through its entry
point, as in a user's project)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import SMALL_FIXTURE

SUITE = '''
import pytest

def test_clean(mockpace_client):
    assert mockpace_client.get("/api/rest/me").status_code == 200

def test_slips(mockpace_client):
    assert mockpace_client.get("/api/rest/me", params={"fields": "all"}).status_code == 200

@pytest.mark.mockpace_strict_contract(False)
def test_exempt(mockpace_client):
    assert mockpace_client.get("/api/rest/me", params={"fields": "all"}).status_code == 200

@pytest.mark.mockpace_strict_contract
def test_marked(mockpace_client):
    mockpace_client.post("/api/rest/workLogs", json={"length": 60, "comments": "typo"})

def test_fails_anyway(mockpace_client):
    mockpace_client.get("/api/rest/me", params={"fields": "all"})
    assert False, "the test's own failure"
'''
WARNING = ("GET /api/rest/me: unknown-parameter: query parameter 'fields' is not documented "
           "for GET /api/rest/me")


def run_suite(tmp_path: Path, *ini_lines: str) -> str:
    (tmp_path / "test_suite.py").write_text(SUITE)
    (tmp_path / "pytest.ini").write_text("\n".join([
        "[pytest]", f"mockpace_fixture = {SMALL_FIXTURE}", *ini_lines, ""]))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "test_suite.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    return done.stdout + done.stderr


def outcome(output: str, test: str) -> str:
    for line in output.splitlines():
        if line.endswith(f"test_suite.py::{test}") or f"test_suite.py::{test} " in line:
            return line.split()[0]
    raise AssertionError(f"{test} not in the summary:\n{output}")


def test_ini_option_fails_tests_with_warnings_and_lists_them(tmp_path: Path) -> None:
    output = run_suite(tmp_path, "mockpace_strict_contract = true")
    assert [outcome(output, t) for t in ("test_clean", "test_slips", "test_exempt",
                                         "test_marked", "test_fails_anyway")] == [
        "PASSED", "FAILED", "PASSED", "FAILED", "FAILED"]
    assert "mockpace contract warnings (mockpace_strict_contract is on):" in output
    assert f"  {WARNING}" in output
    assert ("POST /api/rest/workLogs: unknown-property: body property 'comments' is not "
            "documented for POST /api/rest/workLogs (did you mean 'comment'?)") in output
    assert "the test's own failure" in output  # its own failure, not replaced
    assert "4 failed, 2 passed" not in output and "3 failed, 2 passed" in output


def test_without_the_ini_option_only_the_marker_fails(tmp_path: Path) -> None:
    output = run_suite(tmp_path)
    assert [outcome(output, t) for t in ("test_clean", "test_slips", "test_exempt",
                                         "test_marked", "test_fails_anyway")] == [
        "PASSED", "PASSED", "PASSED", "FAILED", "FAILED"]
    # the warnings of a failing test are in its report section
    assert "mockpace contract warnings" in output and WARNING in output


SPY_CONFTEST = '''
import mockpace.testing.plugin as plugin

JOURNAL_READS = []
_init = plugin.Mockpace.__init__


def _spying_init(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    def record(request):
        if request.method == "GET" and request.url.path.endswith("/_mockpace/requests"):
            JOURNAL_READS.append(1)
    self.admin.event_hooks["request"].append(record)


plugin.Mockpace.__init__ = _spying_init


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(f"journal reads: {len(JOURNAL_READS)}")
'''


def test_a_passing_test_without_strict_mode_reads_no_journal(tmp_path: Path) -> None:
    """The journal (every organization's requests) is fetched only for a test under strict
    mode or a failing test: test_marked and test_fails_anyway, not the three passing ones."""
    (tmp_path / "conftest.py").write_text(SPY_CONFTEST)
    output = run_suite(tmp_path)
    assert [outcome(output, t) for t in ("test_clean", "test_slips", "test_exempt",
                                         "test_marked", "test_fails_anyway")] == [
        "PASSED", "PASSED", "PASSED", "FAILED", "FAILED"]
    assert "journal reads: 2" in output  # the small fixture has one organization
