"""Oracle: a few hundred generated $filter expressions; the rows the API returns must equal the
rows a plain-Python evaluation selects from the raw tables (OData semantics: null-safe eq/ne,
ordering against null is false, `not` of an unknown is true, integer `div`, case-insensitive
strings, date-only literals are midnight UTC)."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.reporting.conftest import ALICE
from tests.api.reporting.dataset import COMMENTS, STATES
from tests.api.reporting.odata_pages import every_row
from tests.conftest import default_org

Row = dict[str, Any]
Pred = Callable[[Row], bool]


def load_rows(app: FastAPI) -> list[Row]:
    path = default_org(app).store.path
    con = sqlite3.connect(str(path))
    con.row_factory = sqlite3.Row
    users = {r["id"]: r for r in con.execute("SELECT * FROM users")}
    acts = {r["id"]: r for r in con.execute("SELECT * FROM activity_types")}
    items = {r["id"]: r for r in con.execute("SELECT * FROM work_items")}
    rows = []
    for w in con.execute("SELECT * FROM worklogs WHERE is_deleted = 0"):
        ts = datetime.fromisoformat(w["timestamp"]).replace(tzinfo=UTC)
        owner = users[w["user_id"]]
        local = (ts + timedelta(minutes=owner["timezone_offset"])).date()
        item = items.get(w["work_item_id"])
        act = acts.get(w["activity_type_id"])
        billable = w["billable_length"] if w["billable_length"] is not None else \
            (w["length"] if w["is_billable"] else 0)
        rows.append({
            "Id": w["id"], "PeriodLength": w["length"], "BillablePeriodLength": billable,
            "WorkItemId": w["work_item_id"], "Comment": w["comment"], "Timestamp": ts,
            "IsBillable": bool(w["is_billable"]), "IsTracked": bool(w["is_tracked"]),
            "User/Name": owner["name"], "User/Email": owner["email"],
            "ActivityType/Name": act["name"] if act else "[Not Set]",
            "WorklogDate/Year": local.year, "WorklogDate/Month": local.month,
            "WorklogDate/Day": local.day, "WorklogDate/ShortDate": local.isoformat(),
            "WorkItem": item is not None,
            "WorkItem/System_State": item["state"] if item else None,
            "WorkItem/System_Title": item["title"] if item else None,
            "WorkItem/System_WorkItemType": item["work_item_type"] if item else None,
            "WorkItem/Microsoft_VSTS_Common_Priority":
                item["microsoft_vsts_common_priority"] if item else None,
            "WorkItem/Microsoft_VSTS_Scheduling_Effort":
                item["microsoft_vsts_scheduling_effort"] if item else None,
            "WorkItem/BudgetAssignmentType": item["budget_assignment_type"] if item else None,
        })
    con.close()
    return rows


# -- Python semantics --------------------------------------------------------------------------
def fold(v: Any) -> Any:
    return v.lower() if isinstance(v, str) else v


def cmp(a: Any, op: str, b: Any) -> bool:
    a, b = fold(a), fold(b)
    if op == "eq":
        return bool(a == b)
    if op == "ne":
        return bool(a != b)
    if a is None or b is None:
        return False
    return {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]


def lit(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    return str(v)


def vary_case(rng: random.Random, s: str) -> str:
    return "".join(c.upper() if rng.random() < 0.3 else c for c in s)


OPS = ["eq", "ne", "gt", "ge", "lt", "le"]


def atom(rng: random.Random) -> tuple[str, Pred]:
    kind = rng.randrange(14)
    if kind == 0:
        field = rng.choice(["PeriodLength", "BillablePeriodLength", "WorkItemId",
                            "WorkItem/Microsoft_VSTS_Common_Priority", "WorklogDate/Month",
                            "WorklogDate/Day"])
        op = rng.choice(OPS)
        value = rng.choice([None, 0, 1, 2, 600, 1800, 3600, 7200, 1010, 1030, 10, 15, 28])
        return f"{field} {op} {lit(value)}", lambda r: cmp(r[field], op, value)
    if kind == 1:
        k = rng.choice([0, 1, 2])
        return (f"PeriodLength div 3600 eq {k}",
                lambda r: int(r["PeriodLength"] / 3600) == k)
    if kind == 2:
        k = rng.randrange(7)
        return f"PeriodLength mod 7 eq {k}", lambda r: r["PeriodLength"] % 7 == k
    if kind == 3:
        v = rng.choice([1.0, 1.5, 2.0])
        return (f"PeriodLength divby 3600 gt {v}",
                lambda r: r["PeriodLength"] / 3600 > v)
    if kind == 4:
        field = rng.choice(["Comment", "User/Name", "WorkItem/System_Title",
                            "ActivityType/Name", "WorkItem/System_State"])
        pool = {"Comment": [c for c in COMMENTS if c is not None], "User/Name":
                ["Alice Admin", "Eve O'Neil", "bob budget"], "WorkItem/System_Title":
                ["Login page 7", "O'Brien's task 12"], "ActivityType/Name":
                ["[Not Set]", "testing", "Design"], "WorkItem/System_State": STATES}[field]
        value = vary_case(rng, rng.choice(pool))
        op = rng.choice(["eq", "ne"])
        return f"{field} {op} {lit(value)}", lambda r: cmp(r[field], op, value)
    if kind == 5:
        field = rng.choice(["Comment", "WorkItem/System_Title", "User/Email"])
        fn = rng.choice(["contains", "startswith", "endswith"])
        needle = rng.choice(["%", "_", "%_", "re", "REVIEW", "'", "o", "50", "e_", "done",
                             "test", ""])

        def pred(r: Row) -> bool:
            hay = r[field]
            if hay is None:
                return False
            h, n = hay.lower(), needle.lower()
            return {"contains": n in h, "startswith": h.startswith(n),
                    "endswith": h.endswith(n)}[fn]
        return f"{fn}({field},{lit(needle)})", pred
    if kind == 6:
        day = rng.choice(["2026-09-15", "2026-10-01", "2026-10-20"])
        op = rng.choice(OPS[2:])
        bound = datetime.fromisoformat(day).replace(tzinfo=UTC)
        return f"Timestamp {op} {day}", lambda r: cmp(r["Timestamp"], op, bound)
    if kind == 7:
        text = rng.choice(["2026-10-01T10:00:00+02:00", "2026-09-20T23:30:00Z",
                           "2026-10-10T00:00:00-05:00", "2026-09-05T12:00:00.5Z"])
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        op = rng.choice(OPS[2:])
        return f"Timestamp {op} {text}", lambda r: cmp(r["Timestamp"], op, moment)
    if kind == 8:
        fn, getter = rng.choice([("year", lambda t: t.year), ("month", lambda t: t.month),
                                 ("day", lambda t: t.day), ("hour", lambda t: t.hour)])
        v = {"year": 2026, "month": rng.choice([9, 10]), "day": rng.randrange(1, 29),
             "hour": rng.randrange(24)}[fn]
        op = rng.choice(OPS)
        return f"{fn}(Timestamp) {op} {v}", lambda r: cmp(getter(r["Timestamp"]), op, v)
    if kind == 9:
        day = f"2026-10-{rng.randrange(1, 29):02d}"
        return (f"date(Timestamp) eq {day}",
                lambda r: r["Timestamp"].date().isoformat() == day)
    if kind == 10:
        choice = rng.randrange(4)
        if choice == 0:
            return "IsBillable", lambda r: r["IsBillable"]
        if choice == 1:
            return "IsTracked eq false", lambda r: not r["IsTracked"]
        if choice == 2:
            return "WorkItem eq null", lambda r: not r["WorkItem"]
        return "Comment ne null", lambda r: r["Comment"] is not None
    if kind == 11:
        values = rng.sample([1000, 1007, 1010, 1020, 1030, 1045, 99999], rng.choice([1, 2, 3]))
        with_null = rng.random() < 0.3
        text = ", ".join(map(str, values)) + (", null" if with_null else "")
        return (f"WorkItemId in ({text})",
                lambda r: r["WorkItemId"] in values or (with_null and r["WorkItemId"] is None))
    if kind == 12:
        fn = rng.randrange(4)
        if fn == 0:
            n = rng.choice([0, 5, 10])
            return (f"length(Comment) gt {n}",
                    lambda r: r["Comment"] is not None and len(r["Comment"]) > n)
        if fn == 1:
            k = rng.choice([-1, 0, 3])
            return (f"indexof(Comment,'e') eq {k}",
                    lambda r: r["Comment"] is not None and r["Comment"].lower().find("e") == k)
        if fn == 2:
            return ("concat(Comment,'!') eq 'REVIEW!'",
                    lambda r: r["Comment"] is not None and r["Comment"].lower() == "review")
        return ("tolower(User/Name) eq 'carol team'", lambda r: r["User/Name"] == "Carol Team")
    member = rng.choice(["NoBudget", "DirectlyAssigned", "InheritedFromParent",
                         "InheritedFromIteration"])
    form = rng.choice([f"'{member}'",
                       f"TimetrackerOnline.Entities.Extensions.BudgetAssignmentType'{member}'"])
    return (f"WorkItem/BudgetAssignmentType eq {form}",
            lambda r: r["WorkItem/BudgetAssignmentType"] == member)


def expression(rng: random.Random, depth: int = 0) -> tuple[str, Pred]:
    roll = rng.random()
    if depth >= 2 or roll < 0.45:
        return atom(rng)
    if roll < 0.6:
        text, pred = expression(rng, depth + 1)
        return f"not ({text})", lambda r: not pred(r)
    (lt, lp), (rt, rp) = expression(rng, depth + 1), expression(rng, depth + 1)
    if rng.random() < 0.5:
        return f"({lt}) and ({rt})", lambda r: lp(r) and rp(r)
    return f"({lt}) or ({rt})", lambda r: lp(r) or rp(r)


def fetch_ids(client: TestClient, filter_text: str) -> list[str]:
    rows = every_row(client, "/api/odata/v3.2/workLogsWorkItems",
                     **{"$filter": filter_text, "$select": "Id"})
    return [row["Id"] for row in rows]


@pytest.fixture(scope="module")
def rows(reporting_app: FastAPI) -> list[Row]:
    return load_rows(reporting_app)


@pytest.mark.parametrize("batch", range(6))
def test_generated_filters_match_python(reporting_app: FastAPI, rows: list[Row],
                                        batch: int) -> None:
    rng = random.Random(1000 + batch)
    nonempty = 0
    with TestClient(reporting_app, headers=ALICE) as client:
        for _ in range(50):
            text, pred = expression(rng)
            expected = sorted(r["Id"] for r in rows if pred(r))
            got = fetch_ids(client, text)
            assert len(got) == len(set(got)), text
            assert sorted(got) == expected, text
            nonempty += bool(expected) and len(expected) < len(rows)
    assert nonempty >= 10  # the generator produces selective filters, not only all/nothing
