"""Fixture files (mockpace.seed.fixtures): loading, validation, dump and round trip."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockpace.seed import (
    FixtureError,
    FixtureProblem,
    SeedParams,
    dump_fixture,
    generate,
    load_fixture,
)
from mockpace.store import Setting, Store

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "fixtures" / "small.yaml"
ADA, TOM, MIA = (f"{d * 8}-{d * 4}-4{d * 3}-8{d * 3}-{d * 12}" for d in "123")
BUDGET = "44444444-4444-4444-8444-444444444444"


def table_dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    assert store.path is not None
    conn = sqlite3.connect(store.path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: sorted(conn.execute(f"SELECT * FROM {n}").fetchall(), key=repr)
                for n in names}
    finally:
        conn.close()


def new_store() -> Store:
    store = Store(":memory:")
    store.create_schema()
    return store


def query(store: Store, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql, args if args else ()).fetchall()]


def small_dict() -> dict[str, Any]:
    data = yaml.safe_load(SMALL.read_text())
    assert isinstance(data, dict)
    return data


def write_yaml(tmp_path: Path, data: dict[str, Any], name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def assert_empty(store: Store) -> None:
    assert all(not rows for rows in table_dump(store).values())


# -- the small fixture -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> Store:
    store = new_store()
    load_fixture(store, SMALL)
    return store


def test_small_fixture_counts(small: Store) -> None:
    assert small.counts() == {"users": 3, "workItems": 5, "workLogs": 12}
    assert query(small, "SELECT count(*) FROM worklogs") == [(12,)]
    assert query(small, "SELECT count(*) FROM activity_types") == [(8,)]
    assert query(small, "SELECT name, collection, admin_user_id FROM organizations") == [
        ("contoso", "DefaultCollection", ADA)]


def test_small_fixture_users_and_tokens(small: Store) -> None:
    assert query(small, "SELECT u.email, u.role, u.timezone_offset, t.token FROM users u "
                        "JOIN api_tokens t ON t.user_id = u.id ORDER BY u.email") == [
        ("ada.admin@contoso.com", "Administrator", 60,
         "small-admin-token-0000000000000000000000000000000001"),
        ("mia.manager@contoso.com", "Approval Manager", 0,
         "small-manager-token-000000000000000000000000000000003"),
        ("tom.team@contoso.com", "Team", -300,
         "small-team-token-00000000000000000000000000000000002"),
    ]
    assert query(small, "SELECT default_activity_type_id FROM users WHERE id = ?", ADA) == [
        ("d0e030e2-b8b4-e711-8418-00155d0a6b50",)]


def test_small_fixture_lengths_and_timestamps(small: Store) -> None:
    per_user = dict(query(small, "SELECT user_id, sum(length) FROM worklogs GROUP BY 1"))
    assert per_user == {ADA: 18000, TOM: 42300, MIA: 1800}
    # "2026-02-23T09:00:00-05:00" is stored in UTC.
    assert query(small, "SELECT timestamp, length, is_tracked, is_manually_entered FROM worklogs "
                        "WHERE id = 'aaaaaaaa-0000-4000-8000-000000000005'") == [
        ("2026-02-23 14:00:00.000000", 7200, 1, 0)]
    # Defaults: created = timestamp + length, edited = created.
    assert query(small, "SELECT created_timestamp, edited_timestamp FROM worklogs "
                        "WHERE id = 'aaaaaaaa-0000-4000-8000-000000000001'") == [
        ("2026-02-23 09:00:00.000000", "2026-02-23 09:00:00.000000")]
    assert query(small, "SELECT is_changed, edited_by_user_id, edited_timestamp FROM worklogs "
                        "WHERE id = 'aaaaaaaa-0000-4000-8000-00000000000b'") == [
        (1, TOM, "2026-03-04 09:00:00.000000")]
    assert query(small, "SELECT billable_length, is_billable FROM worklogs "
                        "WHERE id = 'aaaaaaaa-0000-4000-8000-000000000004'") == [(3600, 1)]
    assert query(small, "SELECT count(*) FROM worklogs WHERE work_item_id IS NULL") == [(2,)]


def test_small_fixture_tree_paths_and_budget(small: Store) -> None:
    assert query(small, "SELECT id, parent_id, work_item_type, effective_budget_id, "
                        "budget_assignment_type FROM work_items ORDER BY id") == [
        (100, None, "Epic", None, "NoBudget"),
        (101, 100, "Feature", BUDGET, "DirectlyAssigned"),
        (102, 101, "Task", BUDGET, "InheritedFromParent"),
        (103, 101, "Task", BUDGET, "InheritedFromParent"),
        (104, 101, "Task", BUDGET, "InheritedFromParent"),
    ]
    assert query(small, "SELECT a.path, i.path FROM work_items w JOIN area_paths a ON "
                        "a.id = w.area_id JOIN iterations i ON i.id = w.iteration_id "
                        "WHERE w.id = 104") == [("Fabrikam\\API", "Fabrikam\\Release 1\\Sprint 2")]
    assert query(small, "SELECT path, start_date, finish_date FROM iterations ORDER BY id") == [
        ("Fabrikam", None, None),
        ("Fabrikam\\Release 1", "2026-02-23", "2026-03-22"),
        ("Fabrikam\\Release 1\\Sprint 1", "2026-02-23", "2026-03-08"),
        ("Fabrikam\\Release 1\\Sprint 2", "2026-03-09", "2026-03-22"),
    ]
    fields, priority, estimate = query(
        small, "SELECT fields, microsoft_vsts_common_priority, "
               "microsoft_vsts_scheduling_originalestimate FROM work_items WHERE id = 100")[0]
    assert json.loads(fields) == {"System.Tags": "timesheet; Q1", "Custom.CostCenter": "CC-1000"}
    assert (priority, estimate) == (1, None)
    assert query(small, "SELECT assigned_to, assigned_to_user_id FROM work_items "
                        "WHERE id = 102") == [("Tom Team <tom.team@contoso.com>", TOM)]
    assert query(small, "SELECT name, planned FROM budgets") == [("Time sheet budget", 360000)]


def test_small_fixture_approval(small: Store) -> None:
    assert query(small, "SELECT user_id, week_start, week_end, approval_state, "
                        "assigned_manager_id, approved_by_manager_id, approval_timestamp "
                        "FROM time_approvals") == [
        (TOM, "2026-02-23", "2026-03-01", 3, MIA, MIA, "2026-03-02 09:00:00.000000")]


def test_json_and_yaml_give_the_same_store(tmp_path: Path, small: Store) -> None:
    path = tmp_path / "small.json"
    path.write_text(json.dumps(dump_fixture(small), indent=2))
    store = new_store()
    load_fixture(store, path)
    assert table_dump(store) == table_dump(small)


def test_document_text_and_naive_local_timestamps() -> None:
    store = new_store()
    load_fixture(store, """
users:
  - {name: Lee Local, email: lee@x.com, timeZone: 120}
workLogs:
  - {user: lee@x.com, timestamp: "2026-03-02T09:00:00", length: 600, comment: local}
  - {user: lee@x.com, timestamp: "2026-03-02T09:00:00+00:00", length: 600, comment: utc}
""")
    assert query(store, "SELECT comment, timestamp FROM worklogs ORDER BY comment") == [
        ("local", "2026-03-02 07:00:00.000000"), ("utc", "2026-03-02 09:00:00.000000")]
    # Defaults: organization contoso, standard activity types, a derived token, role Team.
    assert query(store, "SELECT name FROM organizations") == [("contoso",)]
    assert query(store, "SELECT role, length(t.token) FROM users u JOIN api_tokens t "
                        "ON t.user_id = u.id") == [("Team", 52)]


# -- validation --------------------------------------------------------------------------------


def test_unknown_user_names_file_entry_and_problem(tmp_path: Path) -> None:
    data = small_dict()
    data["workLogs"][3]["user"] = "bob@x.com"
    path = write_yaml(tmp_path, data)
    store = new_store()
    with pytest.raises(FixtureError) as err:
        load_fixture(store, path)
    assert err.value.problems == [FixtureProblem("workLogs[3].user", "unknown user 'bob@x.com'")]
    text = str(err.value)
    assert str(path) in text and "workLogs[3].user" in text and "unknown user 'bob@x.com'" in text
    assert_empty(store)


def test_bad_date_names_file_entry_and_problem(tmp_path: Path) -> None:
    data = small_dict()
    data["workLogs"][1]["timestamp"] = "2026-02-30T08:00:00Z"
    path = write_yaml(tmp_path, data, "bad-date.yaml")
    store = new_store()
    with pytest.raises(FixtureError) as err:
        load_fixture(store, path)
    assert err.value.problems == [FixtureProblem(
        "workLogs[1].timestamp",
        "bad date-time '2026-02-30T08:00:00Z' (expected ISO 8601 such as 2026-03-02T09:15:00Z)")]
    assert "bad-date.yaml" in str(err.value) and "workLogs[1].timestamp" in str(err.value)
    assert_empty(store)


def test_duplicate_id_names_file_entry_and_problem(tmp_path: Path) -> None:
    data = small_dict()
    task = data["projects"][0]["workItems"][0]["children"][0]["children"][1]
    task["id"] = 102
    path = write_yaml(tmp_path, data, "dup.yaml")
    store = new_store()
    with pytest.raises(FixtureError) as err:
        load_fixture(store, path)
    entry = "projects[0].workItems[0].children[0].children[1].id"
    assert FixtureProblem(entry, "duplicate work item id 102") in err.value.problems
    assert f"dup.yaml: {entry}: duplicate work item id 102" in str(err.value)
    assert_empty(store)


def test_every_problem_is_reported_at_once() -> None:
    data = small_dict()
    data["users"][1]["role"] = "Boss"
    data["users"][2]["timeZone"] = "UTC"
    data["workLogs"][0]["workItem"] = 999
    data["workLogs"][1]["length"] = 0
    data["workLogs"][2]["lenght"] = 5
    del data["workLogs"][4]["timestamp"]
    data["workLogs"][8]["activityType"] = "Coffee"
    data["approvals"][0]["weekStart"] = "2026-02-24"
    data["budgets"][0]["assignments"]["workItems"] = [555]
    data["projects"][0]["workItems"][0]["children"][0]["iteration"] = "Release 9"
    store = new_store()
    with pytest.raises(FixtureError) as err:
        load_fixture(store, data, name="inline")
    got = {(p.entry, p.problem) for p in err.value.problems}
    assert got >= {
        ("users[1].role", "unknown role 'Boss' (one of Administrator, Budget, Product, Team, "
                          "Approval Manager, None)"),
        ("users[2].timeZone", "must be an integer, not a string"),
        ("workLogs[0].workItem", "unknown work item 999"),
        ("workLogs[1].length", "must be at least 1, not 0"),
        ("workLogs[4]", "missing required 'timestamp'"),
        ("workLogs[8].activityType", "unknown activity type 'Coffee'"),
        ("approvals[0].weekStart", "2026-02-24 is not a Monday"),
        ("budgets[0].assignments.workItems[0]", "unknown work item 555"),
        ("projects[0].workItems[0].children[0].iteration", "unknown iteration 'Release 9'"),
    }
    assert any(p.entry == "workLogs[2]" and "unknown key 'lenght'" in p.problem
               for p in err.value.problems)
    assert str(err.value).startswith(f"fixture inline: {len(err.value.problems)} problems")
    assert_empty(store)


def test_unparsable_document_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(FixtureError) as err:
        load_fixture(new_store(), path)
    assert err.value.problems[0].entry == "<document>"
    assert "not valid JSON" in err.value.problems[0].problem
    with pytest.raises(FixtureError, match="cannot read"):
        load_fixture(new_store(), tmp_path / "missing.yaml")


def test_store_with_data_is_refused_unless_replace(small: Store, tmp_path: Path) -> None:
    store = new_store()
    load_fixture(store, SMALL)
    with pytest.raises(FixtureError, match="already holds data"):
        load_fixture(store, SMALL)
    data = small_dict()
    data["workLogs"] = data["workLogs"][:2]
    load_fixture(store, data, replace=True)
    assert store.counts() == {"users": 3, "workItems": 5, "workLogs": 2}


# -- dump and round trip -----------------------------------------------------------------------


def test_dump_of_the_small_fixture_is_readable(small: Store) -> None:
    dump = dump_fixture(small)
    assert dump["formatVersion"] == 1
    assert [u["email"] for u in dump["users"]] == ["ada.admin@contoso.com",
                                                   "tom.team@contoso.com",
                                                   "mia.manager@contoso.com"]
    worklog = next(w for w in dump["workLogs"] if w["id"].endswith("05"))
    assert worklog == {
        "id": "aaaaaaaa-0000-4000-8000-000000000005", "user": TOM, "workItem": 102,
        "timestamp": "2026-02-23T14:00:00Z", "length": 7200, "billableLength": None,
        "comment": None, "activityType": "d0e030e2-b8b4-e711-8418-00155d0a6b50",
        "addedBy": TOM, "editedBy": None, "createdTimestamp": "2026-02-23T16:00:00Z",
        "editedTimestamp": "2026-02-23T16:00:00Z",
        "flags": {"isTracked": True, "isManuallyEntered": False, "isChanged": False,
                  "isTrackedExtended": False, "isImported": False, "isFromApi": False,
                  "isBillable": False},
        "isDeleted": False,
    }
    assert dump["budgets"][0]["assignments"] == {"iterations": [], "workItems": [101],
                                                 "workLogs": []}
    assert dump["approvals"][0]["state"] == "approved"


def test_generated_store_round_trips_exactly() -> None:
    source = new_store()
    generate(source, SeedParams(seed=3, anchor_date=date(2026, 3, 6), users=10, work_items=120,
                                days=30))
    with source.raw_transaction() as raw:  # run-time state a dump must carry too
        raw.execute("INSERT INTO settings (name, value) VALUES ('prevent_future', 'true')")
        raw.execute("INSERT INTO tracking_sessions (user_id, is_tracking, work_item_id, "
                    "started_at, state) SELECT id, 1, 101, '2026-03-06 08:00:00.250000', "
                    "'{\"n\": 1}' FROM users LIMIT 1")
        raw.execute("INSERT INTO api_tokens (token, user_id, kind, created_at, expires_at) "
                    "SELECT 'access-1', id, 'access', '2026-03-06 08:00:00.000000', "
                    "'2026-03-06 09:00:00.000000' FROM users LIMIT 1")
    with source.write() as session:  # JSON values of every kind, written by the ORM
        for name, value in (("limit", 5), ("ratio", 0.5), ("label", "x"), ("list", [1, 2]),
                            ("object", {"a": 1}), ("empty", None)):
            session.add(Setting(name=name, value=value))
    dump = dump_fixture(source)
    assert dump["settings"] == {"prevent_future": True, "limit": 5, "ratio": 0.5, "label": "x",
                                "list": [1, 2], "object": {"a": 1}, "empty": None}
    assert any(w["isDeleted"] for w in dump["workLogs"])
    text = json.dumps(dump)  # JSON-ready as it is
    target = new_store()
    load_fixture(target, json.loads(text))
    assert table_dump(target) == table_dump(source)
    assert dump_fixture(target) == dump


def test_the_readme_example_loads() -> None:
    text = (ROOT / "fixtures" / "README.md").read_text()
    example = text.split("## Example", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    store = new_store()
    load_fixture(store, example, name="README example")
    assert query(store, "SELECT timestamp FROM worklogs WHERE work_item_id = 101") == [
        ("2026-03-02 14:00:00.000000",)]
    assert query(store, "SELECT budget_assignment_type FROM work_items ORDER BY id") == [
        ("NoBudget",), ("InheritedFromIteration",)]
    assert query(store, "SELECT approval_state FROM time_approvals") == [(3,)]
