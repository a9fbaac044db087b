"""A deterministic Reporting data set built straight into a store (no dependency on the seed
package): a work-item tree with a dangling parent, budgets inherited three ways, worklogs with
nulls, special characters, soft deletes and several user time zones.

``build_reporting_app(worklogs=N)`` returns a FastAPI app; ``TOKENS`` maps e-mail -> token.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from mockpace.app import create_app
from mockpace.common.clock import Clock
from mockpace.orgs import PRISTINE, Org, Registry, init_settings
from mockpace.settings import OrgSettings, ServerSettings
from mockpace.store import (
    ActivityType,
    ApiToken,
    AreaPath,
    Budget,
    Iteration,
    Organization,
    Store,
    TeamProject,
    User,
    WorkItem,
    WorkLog,
)
from mockpace.store.tables import NOT_SET_ACTIVITY_TYPE_ID

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
START = datetime(2026, 9, 1, tzinfo=UTC)


def gid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


USERS = [  # name, email, role, offset minutes
    ("Alice Admin", "alice@contoso.test", "Administrator", 60),
    ("Bob Budget", "bob@contoso.test", "Budget", 0),
    ("Carol Team", "carol@contoso.test", "Team", -300),
    ("Dan Product", "dan@contoso.test", "Product", 330),
    ("Eve O'Neil", "eve@contoso.test", "Team", -480),
]
TOKENS = {email: f"tok-{email.split('@')[0]}" for _, email, _, _ in USERS}
ACTIVITIES = [("Development", "38acec"), ("Testing", "f0a30a"), ("Design", "7fba00")]
STATES = ["New", "Active", "Resolved", "Closed", "Done"]
COMMENTS = [None, "Code review", "50%_off deal", "fix_bug #12", "Meeting", "it's done",
            "Planning next sprint", "under_score", "100% done", "review", "REVIEW notes", ""]
TAGS = ["capex", "opex; capex", "a_b", "100%", None]


def build_store(*, worklogs: int = 1500, work_items: int = 60, seed: int = 7) -> Store:
    rng = random.Random(seed)
    store = Store(":memory:")
    store.create_schema()
    with store.write() as s:
        s.connection().exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        users = []
        for i, (name, email, role, offset) in enumerate(USERS):
            u = User(id=gid(rng), unique_name=email, name=name, email=email, vsts_id=gid(rng),
                     vsts_collection_id=gid(rng), vsts_collection_id2=gid(rng), role=role,
                     timezone_offset=offset)
            users.append(u)
            s.add(u)
            s.add(ApiToken(token=TOKENS[email], user_id=u.id, created_at=NOW))
            del i
        s.add(Organization(id=gid(rng), name="contoso", collection="DefaultCollection",
                           vsts_id=gid(rng), vsts_collection_id=gid(rng),
                           admin_user_id=users[0].id))
        s.add(ActivityType(id=NOT_SET_ACTIVITY_TYPE_ID, name="[Not Set]", color="ffffff",
                           position=0))
        activities = []
        for pos, (name, color) in enumerate(ACTIVITIES, start=1):
            a = ActivityType(id=gid(rng), name=name, color=color, position=pos)
            activities.append(a)
            s.add(a)
        projects = [TeamProject(id=gid(rng), name=n, process_template=p)
                    for n, p in (("Fabrikam", "Agile"), ("Tailspin", "Scrum"))]
        s.add_all(projects)
        budgets = [Budget(id=gid(rng), name=f"Budget {c}", planned=3600 * (i + 1) * 10,
                          comment=None if i else "first", closed=i == 2,
                          closed_date=NOW if i == 2 else None, created_date=START)
                   for i, c in enumerate("ABC")]
        s.add_all(budgets)
        s.flush()
        areas, iterations = [], []
        for p_i, p in enumerate(projects):
            for a_i in range(2):
                area = AreaPath(id=100 + p_i * 10 + a_i, project_id=p.id, name=f"Area{a_i}",
                                path=f"{p.name}\\Area{a_i}")
                areas.append(area)
                it = Iteration(id=200 + p_i * 10 + a_i, project_id=p.id, name=f"Sprint {a_i}",
                               path=f"{p.name}\\Sprint {a_i}",
                               budget_id=budgets[2].id if (p_i, a_i) == (1, 1) else None)
                iterations.append(it)
        s.add_all(areas)
        s.add_all(iterations)
        s.flush()
        items: list[WorkItem] = []
        direct_budget: dict[int, str | None] = {}
        for n in range(work_items):
            wid = 1000 + n
            if n < 6:
                parent = None
                wtype = "Epic"
            elif n == 6:
                parent = 555  # dangling: the parent is not in the cache
                wtype = "Feature"
            else:
                parent = items[rng.randrange(0, len(items))].id
                wtype = rng.choice(["Feature", "User Story", "Task", "Bug"])
            area = rng.choice(areas)
            it = [i for i in iterations if i.project_id == area.project_id][rng.randrange(2)]
            budget = budgets[0].id if n == 0 else budgets[1].id if n == 10 else None
            direct_budget[wid] = budget
            fields: dict[str, Any] = {}
            tag = rng.choice(TAGS)
            if tag is not None:
                fields["System.Tags"] = tag
            if n % 3:
                fields["Custom.CostCenter"] = rng.choice([10, 20, 35.5])
            if n % 4 == 0:
                fields["Custom.Billable"] = bool(n % 8)
            created = START - timedelta(days=rng.randrange(0, 60), minutes=rng.randrange(600))
            items.append(WorkItem(
                id=wid, parent_id=parent, project_id=area.project_id, work_item_type=wtype,
                state=rng.choice(STATES), reason=rng.choice([None, "New defect"]),
                title=rng.choice(["Login page", "Fix 50% bug", "Report_v2", "Build pipeline",
                                  "O'Brien's task"]) + f" {n}",
                assigned_to=f"{USERS[n % 5][0]} <{USERS[n % 5][1]}>" if n % 7 else None,
                created_by=f"{USERS[0][0]} <{USERS[0][1]}>", area_id=area.id,
                iteration_id=it.id, created_date=created, changed_date=created,
                revised_date=created if n % 2 else None, budget_id=budget, fields=fields,
                microsoft_vsts_scheduling_effort=rng.choice([None, 1.0, 2.5, 8.0]),
                microsoft_vsts_common_priority=rng.choice([None, 1, 2, 3]),
                microsoft_vsts_scheduling_targetdate=created + timedelta(days=30)
                if n % 5 == 0 else None,
            ))
        by_id = {w.id: w for w in items}
        iter_budget = {i.id: i.budget_id for i in iterations}
        for w in items:  # the inheritance rules of the 7pace Reporting contract
            if direct_budget[w.id]:
                w.effective_budget_id, w.budget_assignment_type = direct_budget[w.id], \
                    "DirectlyAssigned"
                continue
            p = by_id.get(w.parent_id) if w.parent_id else None
            found = None
            while p is not None:
                if direct_budget[p.id]:
                    found = direct_budget[p.id]
                    break
                p = by_id.get(p.parent_id) if p.parent_id else None
            if found:
                w.effective_budget_id, w.budget_assignment_type = found, "InheritedFromParent"
            elif iter_budget[w.iteration_id]:
                w.effective_budget_id = iter_budget[w.iteration_id]
                w.budget_assignment_type = "InheritedFromIteration"
        for w in items:  # the place in the tree; a dangling parent makes a root
            chain = [w]
            while chain[-1].parent_id in by_id:
                chain.append(by_id[chain[-1].parent_id])
            w.root_id = chain[-1].id
            w.hierarchy_path = "/" + "".join(f"{x.id}/" for x in reversed(chain))
        s.add_all(items)
        s.flush()
        for n in range(worklogs):
            user = users[rng.randrange(len(users))]
            ts = START + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
            if n % 7 == 0:
                ts = ts.replace(second=0, microsecond=0)
            length = rng.choice([900, 1800, 3600, 5400, 7200, 3599, 28800])
            billable = rng.random() < 0.4
            r = rng.random()
            work_item_id = None if r < 0.08 else 99999 if r < 0.1 else rng.choice(items).id
            created = ts + timedelta(hours=1, microseconds=rng.choice([0, 483000, 120500]))
            s.add(WorkLog(
                id=gid(rng), user_id=user.id, added_by_user_id=rng.choice(users).id,
                edited_by_user_id=rng.choice([None, users[0].id]), timestamp=ts, length=length,
                billable_length=rng.choice([None, None, 600]) if billable else None,
                work_item_id=work_item_id, comment=rng.choice(COMMENTS),
                activity_type_id=rng.choice([None, *[a.id for a in activities]]),
                budget_id=budgets[1].id if n % 50 == 0 else None,
                created_timestamp=created, edited_timestamp=created + timedelta(minutes=n % 3),
                is_tracked=n % 5 == 0, is_manually_entered=n % 5 != 0, is_billable=billable,
                is_from_api=n % 11 == 0, is_deleted=n % 97 == 0,
            ))
    return store


def app_for_store(store: Store) -> FastAPI:
    org = Org("contoso", store)
    init_settings(store, OrgSettings(), Clock().frozen(NOW))
    org.refresh_identity()
    store.save_snapshot(PRISTINE)
    registry = Registry()
    registry.add(org, default=True)
    return create_app(ServerSettings(db=":memory:"), registry)


def build_reporting_app(**kwargs: Any) -> FastAPI:
    return app_for_store(build_store(**kwargs))
