"""The REST test scenario: the identities of the verbatim examples of the REST contract (R1 on-prem
3.0, C1 cloud 3.2, the docs' bodies) plus one user per role, in a store built directly.

Built row by row (not through the fixture loader) so these tests pin the REST surface alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import FastAPI

from mockpace.app import create_app
from mockpace.common.clock import Clock
from mockpace.orgs import PRISTINE, Org, Registry
from mockpace.settings import ServerSettings
from mockpace.store import (
    ActivityType,
    ApiToken,
    Organization,
    Store,
    TimeApproval,
    User,
    WorkItem,
    WorkLog,
    db_datetime,
)
from mockpace.store.tables import AreaPath, Iteration, TeamProject

NOT_SET_ID = "00000000-0000-0000-0000-000000000000"
# the 7pace REST contract, verbatim ids and colours, plus C1's custom type.
ACTIVITY_TYPES = [
    (NOT_SET_ID, "[Not Set]", "ffffff"),
    ("cee030e2-b8b4-e711-8418-00155d0a6b50", "Deployment", "ec654c"),
    ("cfe030e2-b8b4-e711-8418-00155d0a6b50", "Design", "54c270"),
    ("d0e030e2-b8b4-e711-8418-00155d0a6b50", "Development", "46aee8"),
    ("d1e030e2-b8b4-e711-8418-00155d0a6b50", "Documentation", "a2a4a7"),
    ("d2e030e2-b8b4-e711-8418-00155d0a6b50", "Planning", "4765a9"),
    ("d3e030e2-b8b4-e711-8418-00155d0a6b50", "Requirements", "8c4093"),
    ("d4e030e2-b8b4-e711-8418-00155d0a6b50", "Testing", "f8b63a"),
]
FEATURE_DEVELOPMENT = ("9cd0cb39-180d-4b19-9265-83f9753ff76c", "Feature Development", "46aee8")
DEVELOPMENT_ID = "d0e030e2-b8b4-e711-8418-00155d0a6b50"

EUGENE = "0d63c0cf-4e66-4a63-9fce-ea5971b783ce"
JOHN = "5d754739-f4fc-e711-8418-00155d0a6b50"
JORDAN = "c4da23b7-8578-4f8b-994a-a1953d6b5f6a"


def _uid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.rest.mockpace"))


# key -> (id, uniqueName, name, email, vstsId, vstsCollectionId, vstsCollectionId2, role, tz)
USERS: dict[str, tuple[str, str, str, str, str, str, str, str, int]] = {
    "eugene": (EUGENE, "7PACE\\eugene", "Eugene Kolomytsev", "eugene@7pace.example",
               "b17afa0a-6803-47ab-a11b-61051f33fd00", "bb251adf-c518-445a-b1a3-bfd5ba1097d9",
               "bb251adf-c518-445a-b1a3-bfd5ba1097d9", "Administrator", 0),
    "john": (JOHN, "Domain\\JohnDoe", "John Doe", "john.doe@7pace.example",
             "68132b77-2f9c-4542-886a-d8b671b1d193", "69aa82b6-ab63-46b8-9910-f9e1d1b3dbe4",
             "69aa82b6-ab63-46b8-9910-f9e1d1b3dbe4", "Team", 0),
    "jordan": (JORDAN, "jroe@FABRIKAM.COM", "Jordan Roe", "jroe@FABRIKAM.COM",
               "b0010469-3e04-6f0f-860c-9ba717df47db", "b0010469-3e04-6f0f-860c-9ba717df47db",
               "b0010469-3e04-6f0f-860c-9ba717df47db", "Team", 0),
}
for _key, _role, _tz in (("budget", "Budget", 0), ("product", "Product", 0),
                         ("manager", "Approval Manager", 0), ("nobody", "None", 0),
                         ("berlin", "Team", 60), ("newyork", "Team", -300),
                         ("email1", "None", 0), ("email2", "None", 0), ("email3", "None", 0)):
    _email = (f"{_key}@email.com" if _key.startswith("email") else f"{_key}@contoso.example")
    USERS[_key] = (_uid(_key), _email, _key.title() + " User", _email, _uid("vsts" + _key),
                   _uid("vsts" + _key), _uid("vsts" + _key), _role, _tz)

ROLE_USERS = {"Administrator": "eugene", "Budget": "budget", "Product": "product",
              "Team": "john", "Approval Manager": "manager", "None": "nobody"}


def token_of(key: str) -> str:
    return f"token-{key}"


def headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_of(key)}"}


def user_id(key: str) -> str:
    return USERS[key][0]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# The two R1 worklogs of the 7pace REST contract (newest first).
R1_WORKLOGS = [
    dict(id="dc54d553-a762-47c3-a68f-80d64bdd2a66", timestamp=utc(2019, 8, 31, 14, 45),
         work_item_id=8948, created=datetime(2018, 3, 28, 14, 45, 38, 107000, tzinfo=UTC),
         is_changed=False),
    dict(id="a3344f33-e8c9-413a-a142-8bfc186ca323", timestamp=utc(2019, 8, 31, 14, 35),
         work_item_id=8946, created=datetime(2018, 3, 28, 14, 36, 26, 467000, tzinfo=UTC),
         is_changed=True),
]

# Approval weeks (user-local Monday): berlin's week of 2023-12-04 approved, newyork's week of
# 2023-12-04 closed, john's week of 2023-11-27 submitted to the manager.
LOCKED_WEEK = date(2023, 12, 4)
# The work items REST writes may reference (a workItemId that is none of these is 404).
WORK_ITEM_IDS = (5, 9, 77, 100, 4711, 8946, 8948, 80836)
PROJECT_ID = "6ce954b1-ce1f-45d1-b94d-e6bf2464ba2c"
CLOCK_NOW = datetime(2023, 12, 12, 15, 35, 52, 29299, tzinfo=UTC)


def populate(store: Store) -> None:
    with store.write() as s:
        for type_id, name, color in [*ACTIVITY_TYPES, FEATURE_DEVELOPMENT]:
            position = len(ACTIVITY_TYPES) if type_id == FEATURE_DEVELOPMENT[0] else \
                [t[0] for t in ACTIVITY_TYPES].index(type_id)
            s.add(ActivityType(id=type_id, name=name, color=color, position=position))
        s.flush()
        for key, (uid, unique, name, email, vsts, vcid, vcid2, role, tz) in USERS.items():
            s.add(User(id=uid, unique_name=unique, name=name, email=email, vsts_id=vsts,
                       vsts_collection_id=vcid, vsts_collection_id2=vcid2, role=role,
                       timezone_offset=tz,
                       default_activity_type_id=DEVELOPMENT_ID if key == "john" else None))
        s.flush()
        s.add(Organization(id="0f0ef946-7845-4ec9-bc75-63bca47ba4c9", name="contoso",
                           collection="DefaultCollection",
                           vsts_id="7b818832-876f-4f2a-bcf1-bd1186ff06b1",
                           vsts_collection_id="4c9c0ceb-c7a1-42b7-b59e-eab6ccad0db4",
                           admin_user_id=EUGENE))
        s.add(TeamProject(id=PROJECT_ID, name="Fabrikam", process_template="Agile"))
        s.flush()
        s.add(AreaPath(id=1, project_id=PROJECT_ID, name="Fabrikam", path="Fabrikam"))
        s.add(Iteration(id=1, project_id=PROJECT_ID, name="Fabrikam", path="Fabrikam"))
        s.flush()
        for item_id in WORK_ITEM_IDS:
            s.add(WorkItem(id=item_id, project_id=PROJECT_ID, work_item_type="Task",
                           state="Active", title=f"Task {item_id}", area_id=1, iteration_id=1,
                           created_date=utc(2017, 1, 2), changed_date=utc(2017, 1, 2)))
        for key in USERS:
            s.add(ApiToken(token=token_of(key), user_id=user_id(key), created_at=CLOCK_NOW))
        for log in R1_WORKLOGS:
            s.add(WorkLog(id=log["id"], user_id=EUGENE, added_by_user_id=EUGENE,
                          edited_by_user_id=EUGENE, timestamp=log["timestamp"], length=3600,
                          work_item_id=log["work_item_id"], comment="",
                          created_timestamp=log["created"], edited_timestamp=log["created"],
                          is_manually_entered=True, is_changed=log["is_changed"]))
        # One worklog per other user, inside the approval weeks.
        for key, stamp in (("berlin", utc(2023, 12, 5, 9)), ("newyork", utc(2023, 12, 6, 15)),
                           ("john", utc(2023, 11, 28, 8))):
            s.add(WorkLog(id=_uid("log-" + key), user_id=user_id(key),
                          added_by_user_id=user_id(key), timestamp=stamp, length=1800,
                          work_item_id=100, comment=f"{key}'s work",
                          created_timestamp=stamp, edited_timestamp=stamp,
                          is_manually_entered=True, is_tracked=key == "john"))
        for key, state, week in (("berlin", 3, LOCKED_WEEK), ("newyork", 99, LOCKED_WEEK),
                                 ("john", 1, date(2023, 11, 27))):
            s.add(TimeApproval(
                id=_uid("approval-" + key), user_id=user_id(key), week_start=week,
                week_end=week + timedelta(days=6), approval_state=state,
                modification_timestamp=utc(2023, 12, 11, 8),
                submitted_timestamp=utc(2023, 12, 10, 8) if state != 99 else None,
                approval_timestamp=utc(2023, 12, 11, 8) if state == 3 else None,
                assigned_manager_id=user_id("manager") if state != 99 else None,
                approved_by_manager_id=user_id("manager") if state == 3 else None))


def bulk_worklogs(store: Store, count: int, *, owner: str = EUGENE) -> list[str]:
    """``count`` worklogs with many equal timestamps (ties are ordered by id): raw tuples."""
    ids = []
    rows = []
    base = utc(2023, 10, 2, 8)
    for n in range(count):
        wid = str(uuid.UUID(int=(n * 7919) % (2**32) + 1))
        ids.append(wid)
        stamp = db_datetime(base + timedelta(minutes=15 * (n // 3)))  # 3 share each instant
        rows.append((wid, owner, owner, owner, stamp, 600 + n, None, 1000 + n % 50, None, None,
                     None, stamp, stamp, 0, 1, 0, 0, 0, 0, 0, 0))
    store.bulk_insert("worklogs", (
        "id", "user_id", "added_by_user_id", "edited_by_user_id", "timestamp", "length",
        "billable_length", "work_item_id", "comment", "activity_type_id", "budget_id",
        "created_timestamp", "edited_timestamp", "is_tracked", "is_manually_entered",
        "is_changed", "is_tracked_extended", "is_imported", "is_from_api", "is_billable",
        "is_deleted"), rows)
    return ids


def build_app(extra: Callable[[Store], Any] | None = None, *, clock: datetime | None = CLOCK_NOW,
              **settings: Any) -> FastAPI:
    """An app over the scenario (plus ``extra`` rows); reset() returns to this state."""
    server = ServerSettings(db=":memory:", **settings)
    store = Store(":memory:")
    store.create_schema()
    populate(store)
    if extra is not None:
        extra(store)
    org = Org("contoso", store)
    org.set_clock(Clock().frozen(clock) if clock else Clock())
    if settings:
        org.update_settings(server.org_settings().model_dump(include=set(settings)))
    org.refresh_identity()
    store.save_snapshot(PRISTINE)
    registry = Registry()
    registry.add(org, default=True)
    return create_app(server, registry)
