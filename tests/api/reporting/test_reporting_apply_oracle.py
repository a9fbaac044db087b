"""Oracle for `$apply`: a few hundred generated filter/compute/groupby/aggregate pipelines over
workLogsOnly and workLogsWorkItems must equal the same computation done in Python over the
rows fetched whole (no `$apply`); paging a grouped result returns every group once."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.reporting.conftest import ALICE
from tests.api.reporting.odata_pages import every_row

V = "/api/odata/v3.2"
Row = dict[str, Any]


def fetch_all(client: TestClient, path: str, **params: str) -> list[Row]:
    """Every row of a collection (a set name or an absolute next link), following next
    links."""
    return every_row(client, path if "://" in path else f"{V}/{path}", **params)


@pytest.fixture(scope="module")
def whole(reporting_app: Any) -> dict[str, list[Row]]:
    with TestClient(reporting_app, headers=ALICE) as c:
        return {"workLogsOnly": fetch_all(c, "workLogsOnly"),
                "workLogsWorkItems": fetch_all(c, "workLogsWorkItems",
                                               **{"$expand": "Parent($select=System_Id)"})}


# -- Python semantics of the pieces --------------------------------------------------------
def get(row: Row, path: str) -> Any:
    value: Any = row
    for name in path.split("/"):
        if value is None:
            return None
        value = value[name]
    return value


def ts(row: Row) -> datetime:
    return datetime.fromisoformat(row["Timestamp"].replace("Z", "+00:00"))


# (OData text, Python predicate, needs workLogsWorkItems)
FILTERS: list[tuple[str, Callable[[Row], bool], bool]] = [
    ("PeriodLength gt 3600", lambda r: r["PeriodLength"] > 3600, False),
    ("Timestamp ge 2026-10-01T00:00:00Z", lambda r: r["Timestamp"] >= "2026-10-01", False),
    ("Timestamp lt 2026-09-20", lambda r: r["Timestamp"] < "2026-09-20", False),
    ("IsBillable eq true", lambda r: r["IsBillable"], False),
    ("User/Name eq 'Bob Budget' or User/Name eq 'Eve O''Neil'",
     lambda r: r["User"]["Name"] in ("Bob Budget", "Eve O'Neil"), False),
    ("ActivityType/Name ne 'Testing'", lambda r: r["ActivityType"]["Name"] != "Testing", False),
    ("Comment eq null", lambda r: r["Comment"] is None, False),
    ("WorkItemId ne null and PeriodLength le 5400",
     lambda r: r["WorkItemId"] is not None and r["PeriodLength"] <= 5400, False),
    ("WorkItem/System_State eq 'Active'", lambda r: get(r, "WorkItem/System_State") == "Active",
     True),
    ("WorkItem ne null", lambda r: r["WorkItem"] is not None, True),
]

# (OData compute, alias, Python value)
COMPUTES: list[tuple[str, str, Callable[[Row], Any]]] = [
    ("PeriodLength div 3600", "Hours", lambda r: r["PeriodLength"] // 3600),
    ("year(Timestamp)", "Y", lambda r: ts(r).year),
    ("month(Timestamp)", "M", lambda r: ts(r).month),
    ("day(Timestamp)", "D", lambda r: ts(r).day),
    ("concat(cast(year(Timestamp),Edm.String),concat('-',cast(month(Timestamp),Edm.String)))",
     "YearMonth", lambda r: f"{ts(r).year}-{ts(r).month}"),
    ("PeriodLength mul 2 add 1", "Twice", lambda r: r["PeriodLength"] * 2 + 1),
    ("concat(User/Name, '!')", "Shout", lambda r: r["User"]["Name"] + "!"),
]

# (group path, needs workLogsWorkItems)
KEYS: list[tuple[str, bool]] = [
    ("User/Name", False), ("User/Email", False), ("ActivityType/Name", False),
    ("WorklogDate/ShortDate", False), ("WorklogDate/Month", False), ("IsBillable", False),
    ("WorkItemId", False), ("Budget/BudgetName", False),
    ("WorkItem/System_TeamProject", True), ("WorkItem/System_State", True),
    ("WorkItem/System_WorkItemType", True),
]

# (OData aggregate expression with method, Python over the group's rows)
AGGREGATES: list[tuple[str, Callable[[list[Row]], Any]]] = [
    ("PeriodLength with sum", lambda g: sum(r["PeriodLength"] for r in g)),
    ("PeriodLength with min", lambda g: min((r["PeriodLength"] for r in g), default=None)),
    ("PeriodLength with max", lambda g: max((r["PeriodLength"] for r in g), default=None)),
    ("PeriodLength with average",
     lambda g: sum(r["PeriodLength"] for r in g) / len(g) if g else None),
    ("BillablePeriodLength with sum", lambda g: sum(r["BillablePeriodLength"] for r in g)),
    ("PeriodLength div 3600 with sum", lambda g: sum(r["PeriodLength"] // 3600 for r in g)),
    ("0 with sum", lambda g: 0),
    ("WorklogDate/ShortDate with countdistinct",
     lambda g: len({r["WorklogDate"]["ShortDate"] for r in g})),
    ("WorkItemId with countdistinct", lambda g: len({r["WorkItemId"] for r in g})),
    ("$count", len),
]


def group_output(row: Row, keys: list[str], computed: dict[str, Any]) -> dict[str, Any]:
    """The nested output of a row's group keys: `WorkItem: null` when the object is null."""
    out: dict[str, Any] = {}
    for key in keys:
        if key in computed:
            out[key] = computed[key]
            continue
        first, *rest = key.split("/")
        if not rest:
            out[first] = row[first]
        elif row[first] is None:
            out[first] = None
        else:
            out.setdefault(first, {})[rest[0]] = row[first][rest[0]]
    return out


def canon(value: Any) -> Any:
    """Floats rounded (SQLite and Python may differ in the last digit of an average)."""
    if isinstance(value, dict):
        return {k: canon(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 6)
    return value


def sort_key(row: dict[str, Any]) -> str:
    return json.dumps(canon(row), sort_keys=True)


def generate(rng: random.Random) -> tuple[str, str, Callable[[list[Row]], list[dict[str, Any]]]]:
    """(set, $apply text and extra options as a query dict, expected rows from whole rows)."""
    items = rng.random() < 0.5
    entity = "workLogsWorkItems" if items else "workLogsOnly"
    steps: list[str] = []
    filters = [f for f in FILTERS if items or not f[2]]
    chosen_filters = rng.sample(filters, rng.choice([0, 0, 1, 2]))
    computes = rng.sample(COMPUTES, rng.choice([0, 1, 1, 2]))
    for text, _, _ in chosen_filters:
        steps.append(f"filter({text})")
    if computes:
        steps.append("compute(" + ",".join(f"{t} as {a}" for t, a, _ in computes) + ")")
        rng.shuffle(steps)  # per-row steps commute; aliases are defined before use below
        steps.sort(key=lambda s: not s.startswith("compute"))
    keys_pool = [k for k, wi in KEYS if items or not wi] + [a for _, a, _ in computes]
    grouped = rng.random() < 0.85
    keys = rng.sample(keys_pool, rng.randint(1, 3)) if grouped else []
    aggs = rng.sample(AGGREGATES, rng.randint(1 if not grouped else 0, 3))
    alias = [f"A{i}" for i in range(len(aggs))]
    agg_text = ",".join(f"{a} as {n}" for (a, _), n in zip(aggs, alias, strict=True))
    if grouped:
        inner = f",aggregate({agg_text})" if aggs else ""
        steps.append(f"groupby(({','.join(keys)}){inner})")
    else:
        steps.append(f"aggregate({agg_text})")
    post = None
    if aggs and aggs[0][0] != "0 with sum" and rng.random() < 0.3:
        post = rng.choice(["gt", "le"]), rng.choice([1, 3, 7200, 200000])
        steps.append(f"filter(A0 {post[0]} {post[1]})")
    after_compute = aggs and rng.random() < 0.2
    if after_compute:
        steps.append("compute(A0 mul 2 as Doubled)")

    def expected(rows: list[Row]) -> list[dict[str, Any]]:
        kept = [r for r in rows if all(p(r) for _, p, _ in chosen_filters)]
        groups: dict[str, tuple[dict[str, Any], list[Row]]] = {}
        for r in kept:
            computed = {a: fn(r) for _, a, fn in computes}
            out = group_output(r, keys, computed)
            groups.setdefault(json.dumps(out, sort_keys=True), (out, []))[1].append(r)
        if not grouped:
            groups = {"": ({}, kept)}
        result = []
        for out, members in groups.values():
            row = dict(out)
            for (_, fn), name in zip(aggs, alias, strict=True):
                row[name] = fn(members)
            if post is not None:
                value = row["A0"]
                if value is None or not (value > post[1] if post[0] == "gt" else
                                         value <= post[1]):
                    continue
            if after_compute:
                row["Doubled"] = None if row["A0"] is None else row["A0"] * 2
            result.append(row)
        return result

    return entity, "/".join(steps), expected


def test_generated_pipelines_equal_python(client: TestClient, whole: dict[str, list[Row]]
                                          ) -> None:
    rng = random.Random(20261203)
    checked = 0
    for _ in range(300):
        entity, apply, expected = generate(rng)
        response = client.get(f"{V}/{entity}", params={"$apply": apply})
        assert response.status_code == 200, (apply, response.text)
        body = response.json()
        assert "@odata.nextLink" not in body or len(body["value"]) == 1000
        got = body["value"]
        if "@odata.nextLink" in body:
            got += fetch_all(client, body["@odata.nextLink"])
        want = expected(whole[entity])
        assert sorted(map(sort_key, got)) == sorted(map(sort_key, want)), apply
        checked += len(want)
    assert checked > 3000  # the pipelines produced real groups, not empty answers


def test_orderby_on_keys_and_aliases(client: TestClient, whole: dict[str, list[Row]]) -> None:
    body = client.get(f"{V}/workLogsWorkItems", params={
        "$apply": "groupby((WorkItem/System_TeamProject,User/Name),aggregate(PeriodLength "
                  "with sum as Total))",
        "$orderby": "Total desc,User/Name"}).json()
    totals = [r["Total"] for r in body["value"]]
    assert totals == sorted(totals, reverse=True)
    want: dict[tuple[Any, str], int] = {}
    for r in whole["workLogsWorkItems"]:
        key = (get(r, "WorkItem/System_TeamProject") if r["WorkItem"] else "-", r["User"]["Name"])
        want[key] = want.get(key, 0) + r["PeriodLength"]
    assert len(body["value"]) == len(want) == 15
    assert sum(totals) == sum(r["PeriodLength"] for r in whole["workLogsWorkItems"])
    ordered = client.get(f"{V}/workLogsOnly", params={
        "$apply": "groupby((User/Name))", "$orderby": "User/Name desc"}).json()["value"]
    assert [r["User"]["Name"] for r in ordered] == sorted(
        {r["User"]["Name"] for r in whole["workLogsOnly"]}, reverse=True)


@pytest.mark.parametrize("order", [None, "Total desc", "WorklogDate/ShortDate desc,User/Name"])
def test_paging_returns_every_group_once(client: TestClient, whole: dict[str, list[Row]],
                                         order: str | None) -> None:
    params = {"$apply": "groupby((User/Name,WorklogDate/ShortDate),aggregate(PeriodLength with "
                        "sum as Total))", "$count": "true"}
    if order:
        params["$orderby"] = order
    response = client.get(f"{V}/workLogsOnly", params=params,
                          headers={"Prefer": "odata.maxpagesize=40"})
    body = response.json()
    assert response.headers["Preference-Applied"] == "odata.maxpagesize=40"
    groups = body["value"]
    pages = 1
    while "@odata.nextLink" in body:
        assert "$skip=" in body["@odata.nextLink"] and "$apply=groupby" in \
            body["@odata.nextLink"]
        body = client.get(body["@odata.nextLink"], headers={"Prefer": "odata.maxpagesize=40"}
                          ).json()
        groups += body["value"]
        pages += 1
    want: dict[tuple[str, str], int] = {}
    for r in whole["workLogsOnly"]:
        key = (r["User"]["Name"], r["WorklogDate"]["ShortDate"])
        want[key] = want.get(key, 0) + r["PeriodLength"]
    got = {(g["User"]["Name"], g["WorklogDate"]["ShortDate"]): g["Total"] for g in groups}
    assert len(groups) == len(got) == len(want)  # no group twice
    assert got == want
    assert pages == -(-len(want) // 40)


def test_top_skip_and_count_apply_to_groups(client: TestClient) -> None:
    params = {"$apply": "groupby((WorklogDate/ShortDate))", "$orderby": "WorklogDate/ShortDate"}
    every = client.get(f"{V}/workLogsOnly", params=params).json()["value"]
    some = client.get(f"{V}/workLogsOnly", params={**params, "$top": "5", "$skip": "3",
                                                   "$count": "true"}).json()
    assert some["value"] == every[3:8]
    assert some["@odata.count"] == len(every) > 50
    assert "@odata.nextLink" not in some
    count = client.get(f"{V}/workLogsOnly/$count", params=params)
    assert count.text == str(len(every))
