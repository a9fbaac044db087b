"""Organization loading: reuse of a file database, start-up settings, reset."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from mockpace.common.clock import Clock
from mockpace.orgs import DataSource, Org
from mockpace.settings import OrgSettings
from mockpace.store import Store
from tests.conftest import SMALL_FIXTURE


def test_file_database_is_reused_and_start_settings_come_from_the_flags(tmp_path: Path) -> None:
    db = str(tmp_path / "reuse.db")
    source = DataSource(fixture=str(SMALL_FIXTURE))
    first = Org("x", Store(db))
    assert first.load(source, OrgSettings()).action == "created"
    first.update_settings({"lenient_params": True})
    first.set_clock(Clock().frozen(Clock().now()))
    counts = first.store.counts()
    first.store.dispose()

    second = Org("x", Store(db))
    assert second.load(source, OrgSettings(prevent_future_time=True)).action == "reused"
    assert second.store.counts() == counts
    settings = second.settings()
    assert settings.prevent_future_time is True  # the new start-up value
    assert settings.lenient_params is False  # the run-time change of the old server is gone
    assert second.clock().mode == "real"
    assert second.name == "contoso" and second.collection == "DefaultCollection"
    second.store.dispose()


def test_an_existing_file_is_kept_whatever_the_data_flags_until_fresh(tmp_path: Path) -> None:
    """A restart with other data parameters (another day, other sizes) keeps the user's data
    (issue 11 item 3); only ``fresh`` rebuilds it."""
    db = str(tmp_path / "regen.db")
    org = Org("x", Store(db))
    assert org.load(DataSource(seed=1, users=6, work_items=30, days=5), OrgSettings()).action \
        == "created"
    counts = org.store.counts()
    org.store.dispose()
    again = Org("x", Store(db))
    opened = again.load(DataSource(seed=2, users=8, work_items=31, days=6), OrgSettings())
    assert (opened.action, opened.backup, bool(opened)) == ("reused", None, False)
    assert again.store.counts() == counts
    again.store.dispose()
    fresh = Org("x", Store(db))
    opened = fresh.load(DataSource(seed=1, users=8, work_items=30, days=5), OrgSettings(),
                        fresh=True)
    assert (opened.action, opened.backup) == ("rebuilt", None)
    assert fresh.store.counts()["users"] == 8
    fresh.store.dispose()


def test_fixture_settings_survive_start_and_reset(tmp_path: Path) -> None:
    document = {"settings": {"prevent_future_time": True},
                "users": [{"email": "a@contoso.com", "name": "A", "role": "Administrator",
                           "token": "tok-a"}]}
    org = Org("x", Store(":memory:"))
    org.load(DataSource(document=document), OrgSettings(lenient_params=True))
    assert org.settings().prevent_future_time is True
    assert org.settings().lenient_params is True
    org.update_settings({"prevent_future_time": False})
    org.reset()
    assert org.settings().prevent_future_time is True


def test_a_database_built_with_another_schema_is_backed_up_then_rebuilt(tmp_path: Path) -> None:
    """A file database from an earlier mockpace (here: worklogs without a column this one
    has, the same data source) must not be reused as it is: queries would fail on the missing
    column. A copy of the old file is kept, then it is rebuilt with the current schema."""
    import sqlite3

    db = tmp_path / "old.db"
    source = DataSource(fixture=str(SMALL_FIXTURE))
    first = Org("x", Store(str(db)))
    first.load(source, OrgSettings())
    counts = first.store.counts()
    first.store.dispose()
    with sqlite3.connect(db) as conn:  # a table of the user's own does not matter
        conn.execute("CREATE TABLE my_notes (note TEXT)")
    again = Org("x", Store(str(db)))
    assert again.load(source, OrgSettings()).action == "reused"
    again.store.dispose()
    with sqlite3.connect(db) as conn:  # what an older schema looked like
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("ALTER TABLE worklogs DROP COLUMN is_from_api")

    second = Org("x", Store(str(db)))
    opened = second.load(source, OrgSettings())
    assert opened.action == "rebuilt"
    assert opened.backup is not None and opened.backup.parent == tmp_path
    assert opened.backup.name.startswith("old.db.") and opened.backup.name.endswith(".bak")
    with sqlite3.connect(opened.backup) as conn:  # the old file, whole
        columns = {row[1] for row in conn.execute("PRAGMA table_info(worklogs)")}
        assert "is_from_api" not in columns
        assert conn.execute("SELECT count(*) FROM worklogs WHERE is_deleted = 0").fetchone() \
            == (counts["workLogs"],)
        assert conn.execute("SELECT count(*) FROM my_notes").fetchone() == (0,)
    assert second.store.counts() == counts
    assert second.store.fast_rows(
        "SELECT count(is_from_api) FROM worklogs WHERE is_deleted = 0")[0][0] == counts["workLogs"]
    second.store.dispose()


def test_a_worker_starting_late_keeps_changes_and_resets_to_the_start_state(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve --workers N``: the serving process opens the database and saves the pristine
    copy; a worker that finishes starting after a settings, clock or data change made through
    another worker keeps that change, and its reset returns to the state at start-up."""
    from fastapi.testclient import TestClient

    from mockpace.app import PRISTINE_ENV, build_default_org, create_app_from_env
    from mockpace.orgs import PRISTINE
    from mockpace.settings import ServerSettings

    db = tmp_path / "workers.db"
    flags = {"db": str(db), "fixture": str(SMALL_FIXTURE), "clock": "2026-11-02T08:00:00Z"}
    parent, _ = build_default_org(ServerSettings(**flags))  # type: ignore[arg-type]
    pristine = parent.store.export_snapshot(PRISTINE)
    # changes through the first worker, before the second one has started
    parent.update_settings({"lenient_api_version": True})
    parent.change_clock(lambda c: c.advanced(3600))
    with parent.store.write() as session:
        session.exec(text("DELETE FROM worklogs"))  # type: ignore[call-overload]
    for name, value in flags.items():
        monkeypatch.setenv(f"MOCKPACE_{name.upper()}", value)
    monkeypatch.setenv(PRISTINE_ENV, str(pristine))
    worker = create_app_from_env()
    org = worker.state.registry.default
    headers = {"X-Mockpace-Request": "test"}
    with TestClient(worker, base_url="http://127.0.0.1") as client:
        assert client.get("/_mockpace/settings").json()["lenient_api_version"] is True
        assert client.get("/_mockpace/clock").json()["now"] == "2026-11-02T09:00:00Z"
        assert client.get("/_mockpace/health").json()["counts"]["workLogs"] == 0
        assert client.post("/_mockpace/reset", headers=headers).status_code == 200
        assert client.get("/_mockpace/settings").json()["lenient_api_version"] is False
        assert client.get("/_mockpace/clock").json()["now"] == "2026-11-02T08:00:00Z"
        assert client.get("/_mockpace/health").json()["counts"]["workLogs"] == \
            parent.store.counts()["workLogs"] > 0
    org.store.dispose()
    parent.store.dispose()
