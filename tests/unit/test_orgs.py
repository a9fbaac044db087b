"""Organization loading: reuse of a file database, start-up settings, reset."""

from __future__ import annotations

from pathlib import Path

from mockpace.common.clock import Clock
from mockpace.orgs import DataSource, Org
from mockpace.settings import OrgSettings
from mockpace.store import Store
from tests.conftest import SMALL_FIXTURE


def test_file_database_is_reused_and_start_settings_come_from_the_flags(tmp_path: Path) -> None:
    db = str(tmp_path / "reuse.db")
    source = DataSource(fixture=str(SMALL_FIXTURE))
    first = Org("x", Store(db))
    assert first.load(source, OrgSettings()) is True
    first.update_settings({"lenient_params": True})
    first.set_clock(Clock().frozen(Clock().now()))
    counts = first.store.counts()
    first.store.dispose()

    second = Org("x", Store(db))
    assert second.load(source, OrgSettings(prevent_future_time=True)) is False  # reused
    assert second.store.counts() == counts
    settings = second.settings()
    assert settings.prevent_future_time is True  # the new start-up value
    assert settings.lenient_params is False  # the run-time change of the old server is gone
    assert second.clock().mode == "real"
    assert second.name == "contoso" and second.collection == "DefaultCollection"
    second.store.dispose()


def test_different_data_parameters_regenerate(tmp_path: Path) -> None:
    db = str(tmp_path / "regen.db")
    org = Org("x", Store(db))
    assert org.load(DataSource(seed=1, users=6, work_items=30, days=5), OrgSettings())
    users = org.store.counts()["users"]
    org.store.dispose()
    again = Org("x", Store(db))
    assert again.load(DataSource(seed=1, users=8, work_items=30, days=5), OrgSettings())
    assert again.store.counts()["users"] == users + 2
    again.store.dispose()


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


def test_a_database_built_with_another_schema_is_rebuilt_not_reused(tmp_path: Path) -> None:
    """A file database from an earlier mockpace (here: worklogs without a column this one
    has, the same data source) must not be reused as it is: queries would fail on the missing
    column. It is rebuilt with the current schema and the data generated again."""
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
    assert again.load(source, OrgSettings()) is False  # reused
    again.store.dispose()
    with sqlite3.connect(db) as conn:  # what an older schema looked like
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("ALTER TABLE worklogs DROP COLUMN is_from_api")

    second = Org("x", Store(str(db)))
    assert second.load(source, OrgSettings()) is True  # regenerated
    assert second.store.counts() == counts
    assert second.store.fast_rows(
        "SELECT count(is_from_api) FROM worklogs WHERE is_deleted = 0")[0][0] == counts["workLogs"]
    second.store.dispose()
