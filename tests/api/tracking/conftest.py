"""A small hand-built organization for the tracking tests, inserted through the ORM so these
tests do not depend on the generator, with the clock frozen on Wednesday 2026-11-04 10:00 UTC.

Work items (project Fabrikam): 100 Epic > 101 Feature > 102 User Story > 103 Task (Active) and
104 Task (Closed); 105 Bug (Done) without a parent. Worklogs: alice on 103 yesterday (3600 s)
and today at 08:00 (1800 s); bob on 103 (900 s).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mockpace.app import create_app
from mockpace.common.clock import Clock
from mockpace.orgs import PRISTINE, Org, Registry
from mockpace.settings import ServerSettings
from mockpace.store import (
    ActivityType,
    ApiToken,
    AreaPath,
    Iteration,
    Organization,
    Store,
    TeamProject,
    User,
    WorkItem,
    WorkLog,
)
from mockpace.store.tables import NOT_SET_ACTIVITY_TYPE_ID

T0 = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
ADMIN_ID = "0a000000-0000-0000-0000-000000000001"
ALICE_ID = "0a000000-0000-0000-0000-000000000002"
BOB_ID = "0a000000-0000-0000-0000-000000000003"
DEV = "d0e030e2-b8b4-e711-8418-00155d0a6b50"
TEST = "d4e030e2-b8b4-e711-8418-00155d0a6b50"
TOKENS = {"admin": "admin-token", "alice": "alice-token", "bob": "bob-token",
          "alice2": "alice-second-token"}
V = "api-version=3.2"
BASE = "/api/tracking/client"


def _user(uid: str, name: str, role: str, tz: int, default: str | None) -> User:
    email = f"{name.lower()}@contoso.com"
    return User(id=uid, unique_name=email, name=name, email=email, vsts_id=uid,
                vsts_collection_id=uid, vsts_collection_id2=uid, role=role, timezone_offset=tz,
                default_activity_type_id=default)


def _item(iid: int, parent: int | None, kind: str, state: str, title: str) -> WorkItem:
    return WorkItem(id=iid, parent_id=parent, project_id="p1", work_item_type=kind, state=state,
                    title=title, area_id=1, iteration_id=1, created_date=T0, changed_date=T0,
                    microsoft_vsts_scheduling_storypoints=5.0 if kind == "User Story" else None)


def _log(lid: str, user: str, item: int, start: datetime, length: int) -> WorkLog:
    return WorkLog(id=lid, user_id=user, added_by_user_id=user, timestamp=start, length=length,
                   work_item_id=item, comment="earlier work", activity_type_id=DEV,
                   created_timestamp=start, edited_timestamp=start, is_manually_entered=True)


def build_store() -> Store:
    store = Store(":memory:")
    store.create_schema()
    with store.write() as s:
        s.add(Organization(id="0b000000-0000-0000-0000-000000000001", name="contoso",
                           collection="DefaultCollection", vsts_id="v", vsts_collection_id="vc",
                           admin_user_id=ADMIN_ID))
        s.add(ActivityType(id=NOT_SET_ACTIVITY_TYPE_ID, name="[Not Set]", color="ffffff",
                           position=0))
        s.add(ActivityType(id=DEV, name="Development", color="46aee8", position=1))
        s.add(ActivityType(id=TEST, name="Testing", color="f8b63a", position=2))
        s.flush()
        s.add(_user(ADMIN_ID, "Admin", "Administrator", 60, DEV))
        s.add(_user(ALICE_ID, "Alice", "Team", 0, None))
        s.add(_user(BOB_ID, "Bob", "Team", -300, None))
        s.flush()
        for name, uid in (("admin", ADMIN_ID), ("alice", ALICE_ID), ("bob", BOB_ID)):
            s.add(ApiToken(token=TOKENS[name], user_id=uid, created_at=T0))
        s.add(ApiToken(token=TOKENS["alice2"], user_id=ALICE_ID, created_at=T0))  # 2nd client
        s.add(TeamProject(id="p1", name="Fabrikam", process_template="Agile"))
        s.flush()
        s.add(AreaPath(id=1, project_id="p1", name="Fabrikam", path="Fabrikam"))
        s.add(Iteration(id=1, project_id="p1", name="Sprint 1", path="Fabrikam\\Sprint 1",
                        start_date=date(2026, 11, 2), finish_date=date(2026, 11, 13)))
        s.flush()
        s.add(_item(100, None, "Epic", "Active", "Website relaunch"))
        s.add(_item(101, 100, "Feature", "Active", "Checkout"))
        s.add(_item(102, 101, "User Story", "Active", "Pay with card"))
        s.add(_item(103, 102, "Task", "Active", "Write payment form"))
        s.add(_item(104, 102, "Task", "Closed", "Review 100% discount_code"))
        s.add(_item(105, None, "Bug", "Done", "Login fails on Safari"))
        s.flush()
        s.add(_log("0c000000-0000-0000-0000-000000000001", ALICE_ID, 103,
                   datetime(2026, 11, 3, 9, 0, tzinfo=UTC), 3600))
        s.add(_log("0c000000-0000-0000-0000-000000000002", ALICE_ID, 103,
                   datetime(2026, 11, 4, 8, 0, tzinfo=UTC), 1800))
        s.add(_log("0c000000-0000-0000-0000-000000000003", BOB_ID, 103,
                   datetime(2026, 11, 4, 7, 0, tzinfo=UTC), 900))
    return store


def build_org(store: Store | None = None) -> Org:
    org = Org("contoso", store or build_store())
    org.set_clock(Clock().frozen(T0))
    org.refresh_identity()
    org.store.save_snapshot(PRISTINE)
    return org


def build_app(org: Org) -> FastAPI:
    registry = Registry()
    registry.add(org, default=True)
    return create_app(ServerSettings(db=":memory:"), registry)


@pytest.fixture(scope="session")
def _tracking_app() -> FastAPI:
    return build_app(build_org())


@pytest.fixture
def app(_tracking_app: FastAPI) -> FastAPI:
    _tracking_app.state.registry.default.reset()
    return _tracking_app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def auth(name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[name]}"}


class Api:
    """Short calls of the tracking API as one user."""

    def __init__(self, client: TestClient, user: str = "alice") -> None:
        self.client = client
        self.headers = auth(user)

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
             version: str = V) -> Any:
        sep = "&" if "?" in path else "?"
        url = f"{BASE}/{path}{sep}{version}"
        if raw is not None:
            return self.client.request(method, url, content=raw, headers=self.headers)
        if body is None:
            return self.client.request(method, url, headers=self.headers)
        return self.client.request(method, url, json=body, headers=self.headers)

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        response = self.call(method, path, body, **kw)
        assert response.status_code == 200, response.text
        return response.json()

    def start(self, **body: Any) -> Any:
        return self.ok("POST", "startTracking", body)

    def stop(self, reason: int = 0) -> Any:
        return self.ok("POST", f"stopTracking/{reason}")

    def current(self) -> Any:
        return self.ok("GET", "current/true")


def advance(client: TestClient, seconds: float) -> None:
    response = client.put("/_mockpace/clock", json={"advance": seconds})
    assert response.status_code == 200, response.text


def settings(client: TestClient, **values: Any) -> None:
    response = client.patch("/_mockpace/settings", json=values)
    assert response.status_code == 200, response.text


def assert_error(response: Any, status: int, code: str, *words: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"]
    error: dict[str, Any] = body["error"]
    assert list(error) == ["statusCode", "errorCode", "errorDescription", "fields"]
    assert error["statusCode"] == status
    assert error["errorCode"] == code
    for word in words:
        assert word.lower() in error["errorDescription"].lower(), error["errorDescription"]
    return error


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


MakeApi = Callable[[str], Api]


@pytest.fixture
def api_as(client: TestClient) -> MakeApi:
    return lambda user: Api(client, user)
