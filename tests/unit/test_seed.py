"""The deterministic generator (mockpace.seed.generator) and budget inheritance
(mockpace.store.budgets)."""

from __future__ import annotations

import itertools
import json
import random
import re
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from mockpace.seed import STANDARD_ACTIVITY_TYPES, SeedParams, generate
from mockpace.seed.generator import FIRST_WORK_ITEM_ID, guid_from_bits
from mockpace.store import ROLES, Store, derived
from mockpace.store import budgets as budget_rules

ANCHOR = date(2026, 3, 6)  # a Friday


def table_dump(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in storage order: equal dumps mean byte-identical content."""
    assert store.path is not None
    conn = sqlite3.connect(store.path)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: conn.execute(f"SELECT * FROM {n} ORDER BY rowid").fetchall() for n in names}
    finally:
        conn.close()


def new_store() -> Store:
    store = Store(":memory:")
    store.create_schema()
    return store


def seeded(**kwargs: Any) -> Store:
    store = new_store()
    generate(store, SeedParams(anchor_date=ANCHOR, **kwargs))
    return store


@pytest.fixture(scope="module")
def default_store() -> Iterator[Store]:
    store = seeded(seed=1)
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def db(default_store: Store) -> Iterator[sqlite3.Connection]:
    assert default_store.path is not None
    conn = sqlite3.connect(default_store.path)
    yield conn
    conn.close()


# -- determinism -------------------------------------------------------------------------------


def test_same_seed_and_anchor_give_identical_tables(default_store: Store) -> None:
    again = seeded(seed=1)
    first, second = table_dump(default_store), table_dump(again)
    assert first == second
    assert len(first["worklogs"]) > 3000


def test_different_seed_gives_different_data(default_store: Store) -> None:
    other = table_dump(seeded(seed=2))
    first = table_dump(default_store)
    for table in ("users", "api_tokens", "work_items", "worklogs", "time_approvals"):
        assert first[table] != other[table], table
    # ...but the fixed parts stay fixed.
    assert first["activity_types"] == other["activity_types"]


def test_progress_is_reported() -> None:
    calls: list[tuple[str, int, int]] = []
    store = new_store()
    generate(store, SeedParams(anchor_date=ANCHOR, users=6, work_items=30, days=10),
             progress=lambda phase, done, total: calls.append((phase, done, total)))
    phases = [c[0] for c in calls]
    assert {"organization", "work items", "worklogs", "indexes", "budgets"} <= set(phases)
    worklog_calls = [c for c in calls if c[0] == "worklogs"]
    assert worklog_calls[-1][1] == worklog_calls[-1][2] > 0


def test_worklogs_n_gives_exactly_n_visible_worklogs() -> None:
    store = seeded(users=8, work_items=60, days=20, worklogs=1234)
    assert store.counts()["workLogs"] == 1234
    with store.engine.connect() as conn:
        deleted = conn.exec_driver_sql(
            "SELECT count(*) FROM worklogs WHERE is_deleted = 1").scalar_one()
    assert deleted == round(1234 * 0.006)


def test_too_many_worklogs_for_the_days_is_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        seeded(users=1, work_items=10, days=3, worklogs=10_000)


def test_generate_refuses_a_store_with_data(default_store: Store) -> None:
    with pytest.raises(ValueError, match="empty"):
        generate(default_store, SeedParams(anchor_date=ANCHOR))


def test_guid_helper_matches_uuid4_formatting() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        bits = rng.getrandbits(128)
        assert guid_from_bits(bits) == str(uuid.UUID(int=bits, version=4))


# -- shape -------------------------------------------------------------------------------------


def test_organization_users_and_tokens(db: sqlite3.Connection) -> None:
    org = db.execute("SELECT name, collection, admin_user_id FROM organizations").fetchall()
    assert len(org) == 1 and org[0][:2] == ("contoso", "DefaultCollection")
    users = db.execute("SELECT id, name, email, unique_name, role, timezone_offset, vsts_id "
                       "FROM users ORDER BY rowid").fetchall()
    assert len(users) == 25
    assert users[0][0] == org[0][2] and users[0][4] == "Administrator"
    assert {u[4] for u in users} == set(ROLES)
    assert len({u[2] for u in users}) == 25
    for _, name, email, unique, _, _, vsts in users:
        first = name.split(" ", 1)[0]
        assert re.fullmatch(r"[a-z0-9.]+@contoso\.com", email)
        assert email == unique
        assert email.startswith(re.sub(r"[^a-z0-9.]", "", first.lower()) + ".")
        uuid.UUID(vsts)
    assert len({u[5] for u in users}) >= 3
    tokens = db.execute("SELECT token, user_id, kind FROM api_tokens").fetchall()
    assert len(tokens) == 25 and {t[1] for t in tokens} == {u[0] for u in users}
    assert all(re.fullmatch(r"[a-z2-7]{52}", t[0]) and t[2] == "personal" for t in tokens)


def test_roles_each_present_with_six_users() -> None:
    store = seeded(users=6, work_items=20, days=5)
    with store.engine.connect() as conn:
        roles = [r[0] for r in conn.exec_driver_sql("SELECT role FROM users ORDER BY rowid")]
    assert roles[0] == "Administrator" and sorted(roles) == sorted(ROLES)


def test_activity_types_are_the_standard_ones(db: sqlite3.Connection) -> None:
    rows = db.execute("SELECT id, name, color, position FROM activity_types "
                      "ORDER BY position").fetchall()
    assert rows == [tuple(a) for a in STANDARD_ACTIVITY_TYPES]
    assert rows[0] == ("00000000-0000-0000-0000-000000000000", "[Not Set]", "ffffff", 0)
    assert rows[3] == ("d0e030e2-b8b4-e711-8418-00155d0a6b50", "Development", "46aee8", 3)
    assert rows[7] == ("d4e030e2-b8b4-e711-8418-00155d0a6b50", "Testing", "f8b63a", 7)


def test_projects_areas_and_iterations(db: sqlite3.Connection) -> None:
    projects = db.execute("SELECT name, process_template FROM team_projects "
                          "ORDER BY rowid").fetchall()
    assert [p[1] for p in projects] == ["Agile", "Scrum", "Basic"]
    for name, _ in projects:
        areas = [r[0] for r in db.execute(
            "SELECT a.path FROM area_paths a JOIN team_projects p ON p.id = a.project_id "
            "WHERE p.name = ?", (name,))]
        assert name in areas and any(a.startswith(name + "\\") for a in areas)
        sprints = db.execute(
            "SELECT i.path, i.start_date, i.finish_date FROM iterations i "
            "JOIN team_projects p ON p.id = i.project_id WHERE p.name = ? AND i.name LIKE "
            "'Sprint %' ORDER BY i.start_date", (name,)).fetchall()
        starts = [date.fromisoformat(s[1]) for s in sprints]
        assert all(re.fullmatch(re.escape(name) + r"\\Release \d+\\Sprint \d+", s[0])
                   for s in sprints)
        assert all(date.fromisoformat(s[2]) - date.fromisoformat(s[1]) == timedelta(days=13)
                   for s in sprints)
        assert all(b - a == timedelta(days=14) for a, b in itertools.pairwise(starts))
        assert starts[0] <= ANCHOR - timedelta(days=89)
        assert date.fromisoformat(sprints[-1][2]) >= ANCHOR


def test_work_item_ids_types_and_tree_depths(db: sqlite3.Connection) -> None:
    ids = [r[0] for r in db.execute("SELECT id FROM work_items ORDER BY id")]
    assert ids == list(range(FIRST_WORK_ITEM_ID, FIRST_WORK_ITEM_ID + 400))
    types = dict(db.execute(
        "SELECT p.process_template, group_concat(DISTINCT w.work_item_type) FROM work_items w "
        "JOIN team_projects p ON p.id = w.project_id GROUP BY 1").fetchall())
    assert set(types["Agile"].split(",")) == {"Epic", "Feature", "User Story", "Task", "Bug"}
    assert set(types["Scrum"].split(",")) == {"Epic", "Feature", "Product Backlog Item", "Task",
                                              "Bug"}
    assert set(types["Basic"].split(",")) == {"Epic", "Issue", "Task"}
    assert db.execute("SELECT count(*) FROM work_items w WHERE parent_id IS NOT NULL AND "
                      "parent_id NOT IN (SELECT id FROM work_items)").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM work_items WHERE parent_id >= id").fetchone() == (0,)
    depths = db.execute("""
        WITH RECURSIVE t(root, id, depth) AS (
            SELECT id, id, 1 FROM work_items WHERE parent_id IS NULL
            UNION ALL SELECT t.root, w.id, t.depth + 1 FROM work_items w JOIN t
            ON w.parent_id = t.id)
        SELECT root, max(depth) FROM t GROUP BY root""").fetchall()
    assert len(depths) >= 8
    assert all(3 <= d <= 5 for _, d in depths)
    assert {d for _, d in depths} >= {3, 4}
    roots = {r[0] for r in db.execute(
        "SELECT DISTINCT work_item_type FROM work_items WHERE parent_id IS NULL")}
    assert roots == {"Epic"}


def test_work_item_states_fields_and_assignees(db: sqlite3.Connection) -> None:
    states = dict(db.execute("SELECT work_item_type, group_concat(DISTINCT state) "
                             "FROM work_items GROUP BY 1").fetchall())
    assert set(states["User Story"].split(",")) <= {"New", "Active", "Resolved", "Closed",
                                                    "Removed"}
    assert set(states["Product Backlog Item"].split(",")) <= {"New", "Approved", "Committed",
                                                              "Done", "Removed"}
    assert set(states["Issue"].split(",")) <= {"To Do", "Doing", "Done"}
    rows = db.execute("SELECT w.assigned_to, u.name, u.email FROM work_items w "
                      "JOIN users u ON u.id = w.assigned_to_user_id").fetchall()
    assert len(rows) > 300 and all(a == f"{n} <{e}>" for a, n, e in rows)
    fields = [json.loads(r[0]) for r in db.execute("SELECT fields FROM work_items")]
    for key, kind in (("System.Tags", str), ("Custom.CostCenter", str),
                      ("Custom.Billable", bool), ("Custom.Effort", float)):
        values = [f[key] for f in fields if key in f]
        assert len(values) > 100, key
        assert all(isinstance(v, kind) for v in values), key
    tasks = db.execute("SELECT count(*), count(microsoft_vsts_scheduling_remainingwork), "
                       "count(microsoft_vsts_common_priority) FROM work_items "
                       "WHERE work_item_type = 'Task'").fetchone()
    assert tasks[0] == tasks[1] == tasks[2] > 0
    bugs = db.execute("SELECT count(*), count(microsoft_vsts_common_severity) FROM work_items "
                      "WHERE work_item_type = 'Bug'").fetchone()
    assert bugs[0] == bugs[1] > 0
    assert db.execute("SELECT count(*) FROM work_items WHERE changed_date < created_date"
                      ).fetchone() == (0,)


def test_worklogs_reference_existing_items_on_local_weekdays(db: sqlite3.Connection) -> None:
    assert db.execute("SELECT count(*) FROM worklogs WHERE work_item_id IS NOT NULL AND "
                      "work_item_id NOT IN (SELECT id FROM work_items)").fetchone() == (0,)
    rows = db.execute("SELECT w.timestamp, w.length, u.timezone_offset, w.work_item_id, "
                      "w.comment FROM worklogs w JOIN users u ON u.id = w.user_id").fetchall()
    first = ANCHOR - timedelta(days=89)
    for timestamp, length, offset, item, comment in rows:
        local = datetime.fromisoformat(timestamp) + timedelta(minutes=offset)
        assert local.weekday() < 5, (timestamp, offset)
        assert first <= local.date() <= ANCHOR
        assert 7 <= local.hour <= 22
        assert length > 0 and length % 300 == 0
        assert item is not None or comment
    by_type = dict(db.execute(
        "SELECT coalesce(i.work_item_type, '-'), count(*) FROM worklogs w "
        "LEFT JOIN work_items i ON i.id = w.work_item_id GROUP BY 1").fetchall())
    assert (by_type.get("Task", 0) + by_type.get("Bug", 0)) / len(rows) > 0.7
    assert by_type["-"] > 0  # comment-only


def test_working_days_hold_one_to_four_entries_of_five_to_nine_hours(
    db: sqlite3.Connection,
) -> None:
    days = db.execute(
        "SELECT count(*), sum(w.length) FROM worklogs w JOIN users u ON u.id = w.user_id "
        "WHERE w.is_deleted = 0 GROUP BY w.user_id, "
        "date(w.timestamp, u.timezone_offset || ' minutes')").fetchall()
    assert all(1 <= n <= 4 for n, _ in days)
    assert all(5 * 3600 <= total <= 9 * 3600 for _, total in days)
    none_role = db.execute("SELECT count(*) FROM worklogs w JOIN users u ON u.id = w.user_id "
                           "WHERE u.role = 'None'").fetchone()
    assert none_role == (0,)


def test_worklog_flags_edits_and_deletions(db: sqlite3.Connection) -> None:
    stats = db.execute(
        "SELECT count(*), sum(is_deleted), sum(is_changed), sum(is_tracked), "
        "sum(is_manually_entered), sum(is_billable), count(billable_length), "
        "count(activity_type_id), count(budget_id), sum(is_from_api), sum(is_imported) "
        "FROM worklogs").fetchone()
    total, deleted, changed, tracked, manual, billable, billable_len, activity, budget, api, \
        imported = stats
    assert 0 < deleted < total * 0.02
    assert 0 < changed < total * 0.06
    assert 0.1 < tracked / total < 0.3
    assert manual / total > 0.6
    assert 0.1 < billable / total < 0.7 and 0 < billable_len < billable
    assert activity / total > 0.8
    assert budget > 0 and api > 0 and imported > 0
    assert db.execute("SELECT count(*) FROM worklogs WHERE is_tracked = 1 AND "
                      "is_manually_entered = 1").fetchone() == (0,)
    edited = db.execute("SELECT created_timestamp, edited_timestamp, edited_by_user_id "
                        "FROM worklogs WHERE is_changed = 1 OR is_deleted = 1").fetchall()
    assert all(e > c and by is not None for c, e, by in edited)
    untouched = db.execute("SELECT count(*) FROM worklogs WHERE is_changed = 0 AND "
                           "is_deleted = 0 AND (edited_timestamp != created_timestamp OR "
                           "edited_by_user_id IS NOT NULL)").fetchone()
    assert untouched == (0,)
    assert db.execute("SELECT count(*) FROM worklogs WHERE created_timestamp < timestamp"
                      ).fetchone() == (0,)
    defaults = db.execute("SELECT count(*), count(default_activity_type_id) FROM users"
                          ).fetchone()
    assert 0 < defaults[1] < defaults[0]


def test_time_approvals(db: sqlite3.Connection) -> None:
    rows = db.execute(
        "SELECT a.week_start, a.week_end, a.approval_state, a.assigned_manager_id, "
        "a.approved_by_manager_id, a.submitted_timestamp, a.approval_timestamp, "
        "m.role FROM time_approvals a JOIN users m ON m.id = a.assigned_manager_id").fetchall()
    assert {r[2] for r in rows} >= {1, 2, 3}
    for start, end, state, manager, approved_by, submitted, approved, role in rows:
        monday = date.fromisoformat(start)
        assert monday.weekday() == 0 and date.fromisoformat(end) == monday + timedelta(days=6)
        assert date.fromisoformat(end) < ANCHOR
        assert role in ("Approval Manager", "Administrator")
        if state == 3:
            assert approved_by == manager and approved > submitted
        else:
            assert approved_by is None and approved is None


def test_budgets_and_all_assignment_types(db: sqlite3.Connection) -> None:
    kinds = dict(db.execute("SELECT budget_assignment_type, count(*) FROM work_items "
                            "GROUP BY 1").fetchall())
    assert set(kinds) == {"NoBudget", "DirectlyAssigned", "InheritedFromParent",
                          "InheritedFromIteration"}
    assert db.execute("SELECT count(*) FROM iterations WHERE budget_id IS NOT NULL"
                      ).fetchone()[0] > 0
    budgets = db.execute("SELECT planned, closed FROM budgets").fetchall()
    assert len(budgets) >= 5 and all(p % 3600 == 0 and p > 0 for p, _ in budgets)
    assert sum(c for _, c in budgets) == 1


# -- budget recompute on a hand-made tree ------------------------------------------------------

B1, B2, B3 = (f"0000000{n}-0000-4000-8000-000000000000" for n in (1, 2, 3))


def hand_made_tree() -> Store:
    """Iterations and work items covering every inheritance rule, a dangling parent and a
    parent cycle; derived columns not computed yet."""
    store = new_store()
    project = "pppppppp-0000-4000-8000-000000000000"
    with store.raw_transaction() as raw:
        store.bulk_insert("team_projects", ("id", "name", "process_template"),
                          [(project, "P", "Agile")], conn=raw)
        store.bulk_insert("area_paths", ("id", "project_id", "parent_id", "name", "path"),
                          [(1, project, None, "P", "P")], conn=raw)
        store.bulk_insert("budgets", ("id", "name", "planned", "closed"),
                          [(b, b[:8], 3600, 0) for b in (B1, B2, B3)], conn=raw)
        store.bulk_insert(
            "iterations", ("id", "project_id", "parent_id", "name", "path", "budget_id"),
            [(1, project, None, "P", "P", None),
             (2, project, 1, "R1", "P\\R1", B1),
             (3, project, 2, "S1", "P\\R1\\S1", None),
             (4, project, 1, "R2", "P\\R2", None),
             (5, project, 4, "S2", "P\\R2\\S2", B3)], conn=raw)
        items = [  # id, parent, iteration, direct budget
            (10, None, 1, None),   # nothing anywhere
            (11, 10, 3, None),     # iteration's parent (R1) has B1
            (12, 11, 5, None),     # own iteration S2 has B3
            (20, None, 3, B2),     # direct
            (21, 20, 3, None),     # parent beats the iteration
            (22, 21, 3, B3),       # a different budget breaks the inheritance
            (23, 22, 1, None),     # ... for its subtree
            (24, 21, 5, None),     # grandchild of the B2 root
            (30, 999, 4, None),    # dangling parent, no budget anywhere
            (31, 999, 2, None),    # dangling parent, iteration budget
            (40, 41, 1, B1),       # a parent cycle: own budget still counts
            (41, 40, 3, None),     # ... and the iteration's
        ]
        store.bulk_insert(
            "work_items",
            ("id", "parent_id", "project_id", "work_item_type", "state", "title", "area_id",
             "iteration_id", "created_date", "changed_date", "budget_id",
             "budget_assignment_type", "fields"),
            [(i, p, project, "Task", "New", f"item {i}", 1, it, "2026-01-01 00:00:00.000000",
              "2026-01-01 00:00:00.000000", b, "NotComputed", "{}") for i, p, it, b in items],
            conn=raw)
    return store


def test_budget_recompute_on_a_hand_made_tree() -> None:
    store = hand_made_tree()
    with store.engine.begin() as conn:  # through a SQLAlchemy connection this time
        budget_rules.recompute(conn)

    def result() -> dict[int, tuple[str | None, str]]:
        with store.engine.connect() as conn:
            return {r[0]: (r[1], r[2]) for r in conn.exec_driver_sql(
                "SELECT id, effective_budget_id, budget_assignment_type FROM work_items")}

    assert result() == {
        10: (None, "NoBudget"),
        11: (B1, "InheritedFromIteration"),
        12: (B3, "InheritedFromIteration"),
        20: (B2, "DirectlyAssigned"),
        21: (B2, "InheritedFromParent"),
        22: (B3, "DirectlyAssigned"),
        23: (B3, "InheritedFromParent"),
        24: (B2, "InheritedFromParent"),
        30: (None, "NoBudget"),
        31: (B1, "InheritedFromIteration"),
        40: (B1, "DirectlyAssigned"),
        41: (B1, "InheritedFromIteration"),
    }
    # Moving a budget and recomputing (through a DBAPI connection) updates the subtree.
    with store.raw_transaction() as raw:
        raw.execute("UPDATE work_items SET budget_id = NULL WHERE id = 20")
        raw.execute("UPDATE iterations SET budget_id = ? WHERE id = 1", (B3,))
        budget_rules.recompute(raw)
    after = result()
    assert after[20] == (B1, "InheritedFromIteration")  # S1 has none, its release R1 has B1
    assert after[21] == (B1, "InheritedFromIteration")
    assert after[10] == (B3, "InheritedFromIteration")  # the root iteration now has B3
    assert after[22] == (B3, "DirectlyAssigned")
    assert after[23] == (B3, "InheritedFromParent")
    assert after[24] == (B3, "InheritedFromIteration")  # its own S2


def test_tree_recompute_gives_roots_and_paths_and_follows_moves() -> None:
    store = hand_made_tree()
    with store.raw_transaction() as raw:
        derived.recompute(raw)

    def result() -> dict[int, tuple[int | None, str | None]]:
        rows = store.fast_rows("SELECT id, root_id, hierarchy_path FROM work_items")
        return {r[0]: (r[1], r[2]) for r in rows}

    assert result() == {
        10: (10, "/10/"), 11: (10, "/10/11/"), 12: (10, "/10/11/12/"),
        20: (20, "/20/"), 21: (20, "/20/21/"), 22: (20, "/20/21/22/"), 23: (20, "/20/21/22/23/"),
        24: (20, "/20/21/24/"),
        30: (30, "/30/"), 31: (31, "/31/"),  # under a dangling parent: roots themselves
        40: (None, None), 41: (None, None),  # on a parent cycle: reached from no root
    }
    assert store.fast_rows("SELECT budget_assignment_type FROM work_items WHERE id = 21") == \
        [("InheritedFromParent",)]  # the budgets are derived in the same pass
    with store.raw_transaction() as raw:  # move a subtree, break the cycle
        raw.execute("UPDATE work_items SET parent_id = 12 WHERE id = 21")
        raw.execute("UPDATE work_items SET parent_id = NULL WHERE id = 41")
        derived.recompute(raw)
    moved = result()
    assert moved[21] == (10, "/10/11/12/21/") and moved[23] == (10, "/10/11/12/21/22/23/")
    assert moved[41] == (41, "/41/") and moved[40] == (41, "/41/40/")
    assert moved[20] == (20, "/20/")
    with store.raw_transaction() as raw:  # close a cycle over the moved subtree
        raw.execute("UPDATE work_items SET parent_id = 12 WHERE id = 10")
        derived.recompute(raw)
    cycled = result()
    assert {i for i, v in cycled.items() if v == (None, None)} == {10, 11, 12, 21, 22, 23, 24}
    assert cycled[20] == (20, "/20/")  # stale values are not kept, others stay


def test_generated_references_are_consistent(db: sqlite3.Connection) -> None:
    # The generator loads without foreign-key enforcement; every reference must still hold.
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA foreign_keys").fetchone() == (0,)  # a plain connection


@pytest.mark.parametrize(("users", "items", "days"), [(1, 1, 1), (2, 7, 3), (3, 5000, 2)])
def test_exact_sizes_including_tiny_ones(users: int, items: int, days: int) -> None:
    store = seeded(users=users, work_items=items, days=days)
    with store.engine.connect() as conn:
        ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM work_items ORDER BY id")]
        admin = conn.exec_driver_sql("SELECT role FROM users ORDER BY rowid").first()
    assert ids == list(range(FIRST_WORK_ITEM_ID, FIRST_WORK_ITEM_ID + items))
    assert store.counts()["users"] == users and admin == ("Administrator",)


def test_generate_queues_on_the_write_lock_and_restores_foreign_keys() -> None:
    """A seed (admin seed, start-up) waits for the process's other writers like every writer,
    instead of meeting their open transaction in SQLite's busy handler; and the connection it
    used goes back to the pool with foreign keys enforced again."""
    import threading

    store = new_store()
    done = threading.Event()

    def seed() -> None:
        generate(store, SeedParams(anchor_date=ANCHOR, users=2, work_items=5, days=3))
        done.set()

    with store.write_lock:  # another request of this process is writing
        worker = threading.Thread(target=seed)
        worker.start()
        assert not done.wait(1.0)  # queued behind the writer, not running past it
    worker.join(30)
    assert done.is_set()
    for _ in range(3):  # every pooled connection that may have served the load
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.dispose()


# Columns that record something that happened (not plans such as due dates or sprint ends).
EVENT_COLUMNS = {
    "worklogs": ("timestamp", "created_timestamp", "edited_timestamp"),
    "work_items": ("created_date", "changed_date", "microsoft_vsts_common_activateddate",
                   "microsoft_vsts_common_closeddate", "microsoft_vsts_common_resolveddate",
                   "microsoft_vsts_common_statechangedate"),
    "time_approvals": ("modification_timestamp", "submitted_timestamp", "approval_timestamp"),
    "budgets": ("created_date", "closed_date"),
    "api_tokens": ("created_at",),
}


def _latest_events(store: Store) -> dict[str, str]:
    latest = {}
    for table, columns in EVENT_COLUMNS.items():
        for column in columns:
            value = store.fast_rows(f"SELECT max({column}) FROM {table}")[0][0]
            if value is not None:
                latest[f"{table}.{column}"] = str(value)
    return latest


@pytest.mark.parametrize("now_text", ["2026-11-02 06:49:00", "2026-11-02 00:30:00",
                                      "2026-11-03 05:00:00"])
def test_nothing_generated_lies_after_now_on_the_anchor_day(now_text: str) -> None:
    """Issue 11 item 15: at 06:49 UTC on the anchor day an entry from 08:15 to 14:15 was
    listed. With the clock's now on (or just after) the anchor day, no event lies after it;
    worklogs end by then."""
    now = datetime.fromisoformat(now_text + "+00:00")
    store = Store(":memory:")
    store.create_schema()
    generate(store, SeedParams(seed=3, anchor_date=date(2026, 11, 2), users=30,
                               work_items=200, days=30, now=now))
    late = {k: v for k, v in _latest_events(store).items() if v > now_text + ".999999"}
    assert late == {}
    end = store.fast_rows("SELECT max(datetime(timestamp, '+' || length || ' seconds')) "
                          "FROM worklogs")[0][0]
    assert end <= now_text
    # exactly the entries that ended by then are kept (the others are as without a clock)
    kept = _work(store, "1")
    store.dispose()
    unbounded = Store(":memory:")
    unbounded.create_schema()
    generate(unbounded, SeedParams(seed=3, anchor_date=date(2026, 11, 2), users=30,
                                   work_items=200, days=30))
    ended = f"datetime(timestamp, '+' || length || ' seconds') <= '{now_text}'"
    assert kept == _work(unbounded, ended)
    if now_text.startswith("2026-11-02"):  # on the anchor day itself some work is left out
        assert len(kept) < len(_work(unbounded, "1"))
    unbounded.dispose()


def _work(store: Store, where: str) -> set[tuple[Any, ...]]:
    return set(store.fast_rows(f"SELECT user_id, timestamp, length "
                               f"FROM worklogs WHERE {where}"))


def test_a_clock_before_the_anchor_day_changes_nothing() -> None:
    """An anchor the user puts in the future keeps its data, byte for byte."""
    def rows(now: datetime | None) -> list[Any]:
        store = Store(":memory:")
        store.create_schema()
        generate(store, SeedParams(seed=3, anchor_date=date(2026, 11, 2), users=5,
                                   work_items=30, days=10, now=now))
        result = store.fast_rows("SELECT * FROM worklogs ORDER BY id")
        store.dispose()
        return result

    assert rows(datetime.fromisoformat("2026-10-01T00:00:00+00:00")) == rows(None)
