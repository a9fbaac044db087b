"""The hierarchy sets (`workItemsHierarchy`, `workItemsHierarchyAllLevels`), their roll-ups,
`rollupFields` and the budget sums, against an oracle: sums computed in Python over subtrees
found by walking the raw parent links (not the derived hierarchy columns the API reads).

The data set is tests/api/reporting/dataset.py plus trees that stress the roll-ups: a subtree
without any worklog, a 12-deep chain, a child in another project than its parent, a second
dangling parent with a child, a parent cycle, and soft-deleted worklogs deep in the chain.
"""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from mockpace.store import Store, WorkItem, WorkLog, derived
from tests.api.reporting.conftest import ALICE
from tests.api.reporting.dataset import START, app_for_store, build_store, gid
from tests.api.reporting.odata_pages import every_row

V = "/api/odata/v3.2"
EMPTY_ROOT, CHAIN, OTHER_PROJECT, ORPHAN, CYCLE = 5000, 6000, 7000, 7100, 7200
CHAIN_DEPTH = 12
EFFORT = "Microsoft.VSTS.Scheduling.Effort"
COST = "Custom.CostCenter"


def add_trees(store: Store) -> None:
    rng = random.Random(11)
    with store.write() as s:
        first = s.get(WorkItem, 1000)
        assert first is not None
        projects = set(s.exec(select(WorkItem.project_id)).all())
        other = next(p for p in projects if p != first.project_id)
        user_ids = list(s.exec(select(WorkLog.user_id).limit(50)).all())

        def item(wid: int, parent: int | None, *, project: str | None = None,
                 effort: float | None = None, cost: float | None = None) -> None:
            fields = {} if cost is None else {COST: cost}
            s.add(WorkItem(id=wid, parent_id=parent, project_id=project or first.project_id,
                           work_item_type="Task" if parent else "Epic", state="Active",
                           title=f"Extra {wid}", area_id=first.area_id,
                           iteration_id=first.iteration_id, created_date=START,
                           changed_date=START, microsoft_vsts_scheduling_effort=effort,
                           fields=fields))

        def log(wid: int | None, length: int, *, billable: bool = True,
                deleted: bool = False) -> None:
            ts = START + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
            s.add(WorkLog(id=gid(rng), user_id=rng.choice(user_ids),
                          added_by_user_id=user_ids[0], timestamp=ts, length=length,
                          work_item_id=wid, created_timestamp=ts, edited_timestamp=ts,
                          is_billable=billable, is_deleted=deleted,
                          billable_length=600 if billable and length > 3600 else None))

        # a root whose whole subtree has no time (but has roll-up values)
        item(EMPTY_ROOT, None, effort=3.0)
        item(EMPTY_ROOT + 1, EMPTY_ROOT, effort=2.5, cost=10)
        item(EMPTY_ROOT + 2, EMPTY_ROOT + 1)
        # a 12-deep chain under an existing tree, time at several depths, deleted time too
        parent = 1003
        for depth in range(CHAIN_DEPTH):
            wid = CHAIN + depth
            item(wid, parent, effort=float(depth % 3) or None, cost=depth if depth % 2 else None)
            if depth % 3 != 1:
                log(wid, 1800 + depth * 60, billable=depth % 2 == 0)
                log(wid, 3600, deleted=True)
            parent = wid
        # a child in another project than its parent; its own child
        item(OTHER_PROJECT, 1001, project=other, effort=8.0)
        item(OTHER_PROJECT + 1, OTHER_PROJECT, project=other, cost=35.5)
        for _ in range(3):
            log(OTHER_PROJECT + 1, 5400)
        # a dangling parent (not in the cache) with a child
        item(ORPHAN, 99998, effort=1.0)
        item(ORPHAN + 1, ORPHAN, effort=1.0)
        log(ORPHAN + 1, 900, billable=False)
        log(ORPHAN, 7200)
        # a parent cycle: reachable from no root
        item(CYCLE, CYCLE + 1, effort=4.0)
        item(CYCLE + 1, CYCLE, effort=5.0)
        log(CYCLE, 2700)
        s.flush()
        derived.recompute(s)


@dataclass
class World:
    app: FastAPI
    items: dict[int, dict[str, Any]]
    logs: list[dict[str, Any]]
    alice: str

    def children(self, wid: int) -> list[int]:
        return sorted(i for i, w in self.items.items() if w["parent_id"] == wid)

    def chain(self, wid: int) -> list[int]:
        """The item and its ancestors (stops at a dangling parent or a cycle)."""
        seen = [wid]
        while self.items[seen[-1]]["parent_id"] in self.items and \
                self.items[seen[-1]]["parent_id"] not in seen:
            seen.append(self.items[seen[-1]]["parent_id"])
        return seen

    def on_cycle(self, wid: int) -> bool:
        parent = self.items[self.chain(wid)[-1]]["parent_id"]
        return parent in self.items

    def subtree(self, wid: int) -> set[int]:
        if self.on_cycle(wid):
            return {wid}
        return {i for i in self.items if not self.on_cycle(i) and wid in self.chain(i)}

    def roots(self) -> list[int]:
        return sorted(i for i in self.items
                      if not self.on_cycle(i) and self.chain(i)[-1] == i)


@pytest.fixture(scope="module")
def world() -> World:
    store = build_store()
    add_trees(store)
    con_items = store.fast_rows(
        "SELECT id, parent_id, microsoft_vsts_scheduling_effort, "
        "json_extract(fields, '$.\"Custom.CostCenter\"') FROM work_items")
    items = {r[0]: {"parent_id": r[1], EFFORT: r[2], COST: r[3]} for r in con_items}
    logs = [{"item": r[0], "length": r[1], "billable": r[2], "user": r[3],
             "ts": datetime.fromisoformat(r[4]).replace(tzinfo=UTC), "email": r[5]}
            for r in store.fast_rows(
                "SELECT w.work_item_id, w.length, coalesce(w.billable_length, CASE WHEN "
                "w.is_billable THEN w.length ELSE 0 END), w.user_id, w.timestamp, u.email "
                "FROM worklogs w JOIN users u ON u.id = w.user_id WHERE w.is_deleted = 0")]
    alice = store.fast_rows("SELECT id FROM users WHERE email = 'alice@contoso.test'")[0][0]
    return World(app_for_store(store), items, logs, alice)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(world.app, headers=ALICE) as c:
        yield c


Keep = Callable[[dict[str, Any]], bool]
QUARTER_FILTER = "Timestamp ge 2026-09-15 and Timestamp lt 2026-10-10"


def in_quarter(w: dict[str, Any]) -> bool:
    return datetime(2026, 9, 15, tzinfo=UTC) <= w["ts"] < datetime(2026, 10, 10, tzinfo=UTC)


def expected(world: World, wid: int, keep: Keep) -> dict[str, Any]:
    own = [w for w in world.logs if w["item"] == wid and keep(w)]
    tree = world.subtree(wid)
    total = [w for w in world.logs if w["item"] in tree and keep(w)]

    def rollup(field: str) -> float | None:
        values = [world.items[i][field] for i in tree if world.items[i][field] is not None]
        return sum(values) if values else None

    return {"System_Id": wid, "TrackedItself": sum(w["length"] for w in own),
            "TrackedItselfBillable": sum(w["billable"] for w in own),
            "TrackedTotal": sum(w["length"] for w in total),
            "TrackedTotalBillable": sum(w["billable"] for w in total),
            "HasChildren": bool(world.children(wid)),
            "RollupValue1": rollup(EFFORT), "RollupValue2": rollup(COST)}


SELECT = ("System_Id,TrackedItself,TrackedItselfBillable,TrackedTotal,TrackedTotalBillable,"
          "HasChildren,RollupValue1,RollupValue2")
FEEDS: dict[str, tuple[dict[str, str], Callable[[World], Keep]]] = {
    "all time": ({}, lambda w: lambda x: True),
    "worklogsFilter": ({"worklogsFilter": QUARTER_FILTER}, lambda w: in_quarter),
    "worklogsFilter on the user": (
        {"worklogsFilter": "User/Email eq 'bob@contoso.test'"},
        lambda w: lambda x: x["email"] == "bob@contoso.test"),
    "prefilter=Me": ({"prefilter": "Me"}, lambda w: lambda x: x["user"] == w.alice),
    "both": ({"worklogsFilter": QUARTER_FILTER, "prefilter": "me"},
             lambda w: lambda x: x["user"] == w.alice and in_quarter(x)),
}


# -- the roll-up oracle --------------------------------------------------------------------------
@pytest.mark.parametrize("feed", list(FEEDS))
def test_every_level_rolls_up_its_subtree(client: TestClient, world: World, feed: str) -> None:
    params, make_keep = FEEDS[feed]
    rows = every_row(client, f"{V}/workItemsHierarchyAllLevels", **{
        "$select": SELECT, "rollupFields": f"{EFFORT}, {COST}", **params})
    keep = make_keep(world)
    assert [r["System_Id"] for r in rows] == sorted(world.items)
    for row in rows:
        assert row == expected(world, row["System_Id"], keep), row["System_Id"]
    assert sum(r["TrackedTotal"] for r in rows) > 0


@pytest.mark.parametrize("feed", list(FEEDS))
def test_roots_hold_all_the_time_of_their_trees(client: TestClient, world: World,
                                                feed: str) -> None:
    params, make_keep = FEEDS[feed]
    keep = make_keep(world)
    rows = every_row(client, f"{V}/workItemsHierarchy", **{
        "$select": SELECT, "rollupFields": f"{EFFORT},{COST}", **params})
    roots = world.roots()
    assert [r["System_Id"] for r in rows] == roots
    assert ORPHAN in roots and EMPTY_ROOT in roots and CYCLE not in roots
    for row in rows:
        assert row == expected(world, row["System_Id"], keep)
    in_trees = [w for w in world.logs if w["item"] in world.items
                and not world.on_cycle(w["item"]) and keep(w)]
    assert sum(r["TrackedTotal"] for r in rows) == sum(w["length"] for w in in_trees)
    assert sum(r["TrackedTotalBillable"] for r in rows) == sum(w["billable"] for w in in_trees)


def test_special_trees(client: TestClient, world: World) -> None:
    def one(wid: int) -> dict[str, Any]:
        response = client.get(f"{V}/workItemsHierarchyAllLevels({wid})",
                              params={"$select": SELECT, "rollupFields": EFFORT})
        assert response.status_code == 200, response.text
        body = response.json()
        body.pop("@odata.context")
        return body  # type: ignore[no-any-return]

    empty = one(EMPTY_ROOT)  # items without time appear, with 0
    assert (empty["TrackedItself"], empty["TrackedTotal"], empty["TrackedTotalBillable"],
            empty["HasChildren"], empty["RollupValue1"]) == (0, 0, 0, True, 5.5)
    leaf = one(EMPTY_ROOT + 2)
    assert (leaf["TrackedTotal"], leaf["HasChildren"], leaf["RollupValue1"]) == (0, False, None)
    top, bottom = one(CHAIN), one(CHAIN + CHAIN_DEPTH - 1)
    chain_time = [1800 + d * 60 for d in range(CHAIN_DEPTH) if d % 3 != 1]
    assert top["TrackedTotal"] == sum(chain_time)  # deleted worklogs never count
    assert bottom["TrackedTotal"] == bottom["TrackedItself"] == chain_time[-1]
    assert one(1003)["TrackedTotal"] >= sum(chain_time)
    moved = one(OTHER_PROJECT)  # the child in another project counts for its parent
    assert moved["TrackedTotal"] == 3 * 5400
    cycle = one(CYCLE)  # no subtree: itself only
    assert (cycle["TrackedItself"], cycle["TrackedTotal"], cycle["RollupValue1"]) == \
        (2700, 2700, 4.0)


def test_children_carry_their_own_subtree_totals(client: TestClient, world: World) -> None:
    keep = FEEDS["worklogsFilter"][1](world)
    for parent in (1000, 1003, CHAIN + 3, EMPTY_ROOT, ORPHAN):
        response = client.get(f"{V}/workItemsHierarchy({parent})/Children", params={
            "$select": SELECT, "rollupFields": f"{EFFORT},{COST}",
            "worklogsFilter": QUARTER_FILTER, "$orderby": "TrackedTotal desc,System_Id"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["@odata.context"].endswith(
            f"$metadata#workItemsHierarchy({parent})/Children({SELECT})")
        want = sorted((expected(world, c, keep) for c in world.children(parent)),
                      key=lambda e: (-e["TrackedTotal"], e["System_Id"]))
        assert body["value"] == want


def test_all_and_direct_worklogs_agree_with_the_sums(client: TestClient, world: World) -> None:
    for wid in (1000, 1003, CHAIN, EMPTY_ROOT, ORPHAN, CYCLE, OTHER_PROJECT):
        row = client.get(f"{V}/workItemsHierarchyAllLevels({wid})",
                         params={"$select": "TrackedItself,TrackedTotal"}).json()
        every = every_row(client, f"{V}/workItemsHierarchy({wid})/AllWorklogs",
                          **{"$select": "Id,PeriodLength,WorkItemId"})
        direct = every_row(client, f"{V}/workItemsHierarchy({wid})/DirectWorklogs",
                           **{"$select": "PeriodLength"})
        assert sum(w["PeriodLength"] for w in every) == row["TrackedTotal"], wid
        assert len({w["Id"] for w in every}) == len(every)
        assert {w["WorkItemId"] for w in every} <= world.subtree(wid)
        assert sum(w["PeriodLength"] for w in direct) == row["TrackedItself"], wid


def test_parent_and_root_navigation(client: TestClient) -> None:
    bottom = CHAIN + CHAIN_DEPTH - 1
    parent = client.get(f"{V}/workItemsHierarchy({bottom})/Parent",
                        params={"$select": "System_Id"})
    assert parent.json()["System_Id"] == bottom - 1
    root = client.get(f"{V}/workItemsHierarchy({bottom})/Root", params={"$select": "System_Id"})
    assert root.status_code == 200
    top = client.get(f"{V}/workItemsHierarchyAllLevels(1003)",
                     params={"$expand": "Root($select=System_Id)", "$select": "System_Id"})
    assert root.json()["System_Id"] == top.json()["Root"]["System_Id"]
    expanded = client.get(f"{V}/workItemsHierarchyAllLevels", params={
        "$filter": f"System_Id eq {bottom}", "$select": "System_Id,HierarchyPath",
        "$expand": "Parent($select=System_Id),Children($select=System_Id)"}).json()["value"]
    assert expanded[0]["Parent"] == {"System_Id": bottom - 1}
    assert expanded[0]["Children"] == []
    assert expanded[0]["HierarchyPath"].endswith(f"/{CHAIN}/{CHAIN + 1}/{CHAIN + 2}/"
                                                 + "".join(f"{CHAIN + d}/" for d in range(
                                                     3, CHAIN_DEPTH)))
    assert client.get(f"{V}/workItemsHierarchy({ORPHAN})/Parent").status_code == 204


def test_versions(client: TestClient) -> None:
    old = client.get("/api/odata/v3.0/workItemsHierarchy(1001)",
                     params={"$expand": "ParentItem($select=System_Id)"})
    assert old.status_code == 200, old.text
    no_root = client.get("/api/odata/v3.0/workItemsHierarchy(1001)/Root")
    assert no_root.status_code == 404
    assert "'Root' is not a navigation property" in no_root.json()["error"]["message"]
    assert client.get("/api/odata/v3.1/workItemsHierarchy(7001)/Parent").json()["System_Id"] \
        == OTHER_PROJECT
    for version in ("v3.0", "v3.1", "v3.2", "v3.3-beta"):
        names = [s["name"] for s in client.get(f"/api/odata/{version}").json()["value"]]
        assert {"workItemsHierarchy", "workItemsHierarchyAllLevels"} <= set(names)


def test_work_items_filter_picks_items_not_sums(client: TestClient, world: World) -> None:
    tasks = every_row(client, f"{V}/workItemsHierarchyAllLevels", **{
        "workItemsFilter": "System_WorkItemType eq 'Task'", "$select": "System_Id,TrackedTotal"})
    flat = every_row(client, f"{V}/workItems", **{
        "$filter": "System_WorkItemType eq 'Task'", "$select": "System_Id"})
    assert [r["System_Id"] for r in tasks] == [r["System_Id"] for r in flat]
    assert {CHAIN, OTHER_PROJECT + 1, ORPHAN + 1} <= {r["System_Id"] for r in tasks}
    every = lambda x: True  # noqa: E731
    for row in tasks:
        assert row["TrackedTotal"] == expected(world, row["System_Id"], every)["TrackedTotal"]
    # RootWorkItems: the filter tests each item's root; the matching trees stay whole
    under = every_row(client, f"{V}/workItemsHierarchyAllLevels", **{
        "workItemsFilter": f"System_Id eq {EMPTY_ROOT}",
        "workItemFilterApplyTarget": "RootWorkItems", "$select": "System_Id"})
    assert [r["System_Id"] for r in under] == [EMPTY_ROOT, EMPTY_ROOT + 1, EMPTY_ROOT + 2]
    roots = every_row(client, f"{V}/workItemsHierarchy", **{
        "workItemsFilter": f"System_Id eq {EMPTY_ROOT + 1}", "$select": "System_Id"})
    assert roots == []


def test_filter_and_order_on_tracked_fields_with_worklogs_filter(client: TestClient,
                                                                 world: World) -> None:
    rows = every_row(client, f"{V}/workItemsHierarchyAllLevels", **{
        "$select": "System_Id,TrackedTotal", "$filter": "TrackedTotal gt 7200",
        "$orderby": "TrackedTotal desc", "worklogsFilter": QUARTER_FILTER})
    want = sorted(((i, expected(world, i, in_quarter)["TrackedTotal"]) for i in world.items),
                  key=lambda p: (-p[1], -p[0]))
    assert [(r["System_Id"], r["TrackedTotal"]) for r in rows] == \
        [p for p in want if p[1] > 7200]
    zero = every_row(client, f"{V}/workItemsHierarchyAllLevels", **{
        "$select": "System_Id", "$filter": "TrackedTotalBillable eq 0 and HasChildren",
        "worklogsFilter": QUARTER_FILTER})
    assert [r["System_Id"] for r in zero] == sorted(
        i for i in world.items if world.children(i)
        and expected(world, i, in_quarter)["TrackedTotalBillable"] == 0)
    rolled = every_row(client, f"{V}/workItemsHierarchy", **{
        "$select": "System_Id,RollupValue1", "$filter": "RollupValue1 ge 20",
        "$orderby": "RollupValue1 desc", "rollupFields": EFFORT})
    everything = lambda x: True  # noqa: E731
    want_rolled = sorted(((i, expected(world, i, everything)["RollupValue1"])
                          for i in world.roots()), key=lambda p: (-(p[1] or 0), -p[0]))
    assert [(r["System_Id"], r["RollupValue1"]) for r in rolled] == \
        [p for p in want_rolled if p[1] is not None and p[1] >= 20]



def test_expanded_children_carry_totals_and_keep_the_rule(client: TestClient,
                                                          world: World) -> None:
    expand = "Children($select=System_Id,TrackedTotal;$filter=TrackedTotal gt 0)"
    message = odata_400(client, f"{V}/workItemsHierarchy", **{"$expand": expand})
    assert "'TrackedTotal'" in message and "worklogsFilter" in message
    rows = every_row(client, f"{V}/workItemsHierarchy", **{
        "$select": "System_Id", "$expand": expand, "worklogsFilter": QUARTER_FILTER})
    for row in rows:
        want = [expected(world, c, in_quarter) for c in world.children(row["System_Id"])]
        assert row["Children"] == [{"System_Id": w["System_Id"],
                                    "TrackedTotal": w["TrackedTotal"]}
                                   for w in want if w["TrackedTotal"] > 0]
    assert any(row["Children"] for row in rows)

# -- documented errors ---------------------------------------------------------------------------
def odata_400(client: TestClient, path: str, **params: str) -> str:
    response = client.get(path, params=params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "BadQuery"
    return str(error["message"])


CALCULATED = [(path, field) for path in ("workItemsHierarchy", "workItemsHierarchyAllLevels",
                                         "workItemsHierarchy(1000)/Children", "workItems")
              for field in ("TrackedItself", "TrackedItselfBillable", "TrackedTotal",
                            "TrackedTotalBillable")
              if path != "workItems" or not field.startswith("TrackedTotal")]


@pytest.mark.parametrize(("path", "field"), CALCULATED)
@pytest.mark.parametrize("option", ["$filter", "$orderby"])
def test_calculated_fields_need_worklogs_filter(client: TestClient, path: str, field: str,
                                                option: str) -> None:
    text = f"{field} gt 0" if option == "$filter" else f"{field} desc"
    message = odata_400(client, f"{V}/{path}", **{option: text, "prefilter": "Me"})
    assert f"'{field}'" in message and "worklogsFilter" in message
    ok = client.get(f"{V}/{path}", params={option: text, "worklogsFilter": QUARTER_FILTER,
                                           "$select": "System_Id"})
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize(("value", "needle"), [
    ("Custom.Nope", "'Custom.Nope' is unknown"),
    ("System.Title", "'System.Title' is not numeric"),
    ("System.Tags", "'System.Tags' is not numeric"),
    ("Custom.Billable", "'Custom.Billable' is not numeric"),
    (f"{EFFORT},{COST},{EFFORT},{COST},{EFFORT},Microsoft.VSTS.Scheduling.RemainingWork",
     "'Microsoft.VSTS.Scheduling.RemainingWork' is one too many"),
    ("Effort;drop", "'Effort;drop' is not a field reference name"),
])
def test_rollup_fields_errors_name_the_field(client: TestClient, value: str,
                                             needle: str) -> None:
    for path in ("workItemsHierarchy", "workItemsHierarchyAllLevels(1000)",
                 "workItemsHierarchy(1000)/Children"):
        message = odata_400(client, f"{V}/{path}", rollupFields=value)
        assert needle in message, message


def test_rollup_fields_are_ignored_elsewhere_and_slots_stay_null(client: TestClient) -> None:
    assert client.get(f"{V}/workItems", params={"rollupFields": "Custom.Nope"}).status_code == 200
    row = client.get(f"{V}/workItemsHierarchy(1000)", params={
        "rollupFields": f" {EFFORT} ,  {COST}", "$select": "RollupValue1,RollupValue2,"
        "RollupValue3,RollupValue5"}).json()
    assert row["RollupValue1"] is not None and row["RollupValue2"] is not None
    assert row["RollupValue3"] is None and row["RollupValue5"] is None


# -- budgets ---------------------------------------------------------------------------------------
def test_budget_sums_agree_with_their_worklogs_and_items(client: TestClient,
                                                         world: World) -> None:
    budgets = every_row(client, f"{V}/budgets")
    assert len(budgets) == 3
    store_rows = {b["Id"]: b for b in budgets}
    grand = 0
    for budget in budgets:
        logs = every_row(client, f"{V}/budgets({budget['Id']})/Worklogs",
                         **{"$select": "PeriodLength,BillablePeriodLength,BudgetId"})
        assert {w["BudgetId"] for w in logs} <= {budget["Id"]}
        assert budget["Tracked"] == sum(w["PeriodLength"] for w in logs)
        assert budget["Billed"] == sum(w["BillablePeriodLength"] for w in logs)
        items = every_row(client, f"{V}/budgets({budget['Id']})/WorkItems",
                          **{"$select": "System_Id,Budget/Id"})
        assert all(i["Budget"]["Id"] == budget["Id"] for i in items)
        grand += budget["Tracked"]
    # the same sums straight from the worklog set, grouped by the effective budget
    logs = every_row(client, f"{V}/workLogsOnly", **{"$select": "PeriodLength,BudgetId",
                                                     "$filter": "BudgetId ne null"})
    by_budget: dict[str, int] = {}
    for w in logs:
        by_budget[w["BudgetId"]] = by_budget.get(w["BudgetId"], 0) + w["PeriodLength"]
    assert by_budget == {k: v["Tracked"] for k, v in store_rows.items() if v["Tracked"]}
    assert grand == sum(by_budget.values()) > 0


# -- $metadata ------------------------------------------------------------------------------------
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


@pytest.mark.parametrize(("version", "navs"), [
    ("v3.0", ["ParentItem", "Children", "DirectWorklogs", "AllWorklogs"]),
    ("v3.1", ["Parent", "Children", "DirectWorklogs", "AllWorklogs"]),
    ("v3.2", ["Parent", "Root", "Children", "DirectWorklogs", "AllWorklogs"]),
    ("v3.3-beta", ["Parent", "Root", "Children", "DirectWorklogs", "AllWorklogs"]),
])
def test_metadata_declares_the_hierarchy_type(client: TestClient, version: str,
                                              navs: list[str]) -> None:
    response = client.get(f"/api/odata/{version}/$metadata")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    types = {t.get("Name"): t for t in root.iter(f"{EDM}EntityType")}
    hierarchy, flat = types["ReportingWorkItemHierarchy"], types["ReportingWorkItemFlat"]
    props = [(p.get("Name"), p.get("Type"), p.get("Nullable")) for p in
             hierarchy.findall(f"{EDM}Property")]
    block = [p.get("Name") for p in flat.findall(f"{EDM}Property")][:-2]  # minus TrackedItself*
    assert [p[0] for p in props][:len(block)] == block
    assert props[len(block):] == [
        ("TrackedItself", "Edm.Int32", "false"), ("TrackedItselfBillable", "Edm.Int32", "false"),
        ("TrackedTotal", "Edm.Int32", "false"), ("TrackedTotalBillable", "Edm.Int32", "false"),
        ("HasChildren", "Edm.Boolean", "false"),
        *[(f"RollupValue{n}", "Edm.Double", None) for n in range(1, 6)]]
    assert ("System_AreaId", "Edm.Int32", "false") in props
    assert [(n.get("Name"), n.get("Type")) for n in hierarchy.findall(
        f"{EDM}NavigationProperty")] == [(n, {
            "Children": "Collection(TimetrackerOnline.Reporting.Models."
                        "ReportingWorkItemHierarchy)",
            "DirectWorklogs": "Collection(TimetrackerOnline.Reporting.Models.ReportingWorkLog)",
            "AllWorklogs": "Collection(TimetrackerOnline.Reporting.Models.ReportingWorkLog)",
        }.get(n, "TimetrackerOnline.Reporting.Models.ReportingWorkItemParent")) for n in navs]
    key = hierarchy.find(f"{EDM}Key/{EDM}PropertyRef")
    assert key is not None and key.get("Name") == "System_Id"
    sets = {s.get("Name"): s for s in root.iter(f"{EDM}EntitySet")}
    for name in ("workItemsHierarchy", "workItemsHierarchyAllLevels"):
        assert sets[name].get("EntityType") == \
            "TimetrackerOnline.Reporting.Models.ReportingWorkItemHierarchy"
        assert [(b.get("Path"), b.get("Target")) for b in sets[name]] == [
            ("DirectWorklogs", "workLogsOnly"), ("AllWorklogs", "workLogsOnly")]
