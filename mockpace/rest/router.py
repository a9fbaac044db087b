"""REST CRUD API routes (/api/rest/...): thin, rules live in service.py.

Routes are declared in lower case (paths are lower-cased before routing). Dependencies resolve
in parameter order: the caller (401), then api-version (400), then the body (400); the hot
routes (me, workLogs) resolve them in their body, in that order (``rest_call``).
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from mockpace.common.auth import Caller, CallerDep
from mockpace.rest import service
from mockpace.rest.deps import JsonBody, QueryDep, RestVersion, json_body, rest_call
from mockpace.rest.params import RestQuery, week_start_parameter
from mockpace.rest.wire import JSON_MEDIA, ok, ok_json
from mockpace.store.engine import WriteBusy
from mockpace.tracking.service import settle_pending

router = APIRouter(prefix="/api/rest", tags=["rest"])


@router.get("/me")
async def get_me(request: Request) -> Response:
    """The caller: user, account, default activity type and time-zone offset (minutes)."""
    caller, _version, query = await rest_call(request)
    return ok(service.me(caller=caller, query=query))  # one indexed read: no thread-pool hop


@router.get("/users")
def list_users(caller: CallerDep, _version: RestVersion, query: QueryDep) -> Response:
    """All users, ordered by name; `$count`, `$skip`, `$expand`."""
    return ok(service.list_users(caller=caller, query=query))


@router.get("/users/roles")
def list_user_roles(caller: CallerDep, _version: RestVersion, query: QueryDep) -> Response:
    """Users with their role (Administrator only); `includeNoneRoles`, paging, `$expand`."""
    return ok(service.list_user_roles(caller=caller, query=query))


@router.post("/users/roles")
def assign_roles(caller: CallerDep, _version: RestVersion, body: JsonBody) -> Response:
    """Assign roles by user id, vstsId or e-mail; `skipErrors`."""
    return ok(service.assign_roles(caller=caller, body=body))


@router.get("/users/{user_id}")
def get_user(user_id: str, caller: CallerDep, _version: RestVersion,
             query: QueryDep) -> Response:
    return ok(service.get_user(caller=caller, user_id=user_id, query=query))


@router.get("/activitytypes")
def activity_types(caller: CallerDep, _version: RestVersion) -> Response:
    """The activity-type configuration, `[Not Set]` first."""
    return ok(service.activity_types(caller=caller))


@router.get("/activitytypes/{type_id}")
def activity_type(type_id: str, caller: CallerDep, _version: RestVersion) -> Response:
    return ok(service.activity_type(caller=caller, type_id=type_id))


def _list_worklogs(caller: Caller, query: RestQuery, all_users: bool) -> str:
    settle_pending(caller.context)
    return service.list_worklogs(caller=caller, query=query, all_users=all_users)


@router.get("/worklogs")
async def my_worklogs(request: Request) -> Response:
    """The caller's worklogs, newest first; filters and paging of the 7pace REST contract"""
    caller, _version, query = await rest_call(request)
    return ok_json(await run_in_threadpool(_list_worklogs, caller, query, False))


@router.get("/worklogs/all")
async def all_worklogs(request: Request) -> Response:
    """Everybody's worklogs (Administrator, Budget or Product)."""
    caller, _version, query = await rest_call(request)
    return ok_json(await run_in_threadpool(_list_worklogs, caller, query, True))


@router.post("/worklogs")
async def create_worklog(request: Request) -> Response:
    caller, version, query = await rest_call(request)
    body = await json_body(request)
    # async: one create is a few short statements, cheaper run on the event loop than the
    # thread-pool hop. It never waits there: when the write lock is taken (a batch in a worker
    # thread, another process) it goes to the thread pool and queues as before.
    create = partial(service.create_worklog, caller=caller, version=version, body=body,
                     query=query)
    try:
        return ok_json(create(wait=False))
    except WriteBusy:
        return ok_json(await run_in_threadpool(create))


@router.post("/worklogs/batch")
def create_batch(caller: CallerDep, version: RestVersion, query: QueryDep,
                 body: JsonBody) -> Response:
    """A JSON array of up to 500 creation models; all-or-nothing; `validateOnly`. The answer
    is the bare array (no envelope), as the specification declares."""
    return Response(service.create_batch(caller=caller, version=version, body=body,
                                         query=query).encode(), media_type=JSON_MEDIA)


@router.get("/worklogs/{worklog_id}")
def get_worklog(worklog_id: str, caller: CallerDep, _version: RestVersion,
                query: QueryDep) -> Response:
    settle_pending(caller.context)
    return ok_json(service.get_worklog(caller=caller, worklog_id=worklog_id, query=query))


@router.patch("/worklogs/{worklog_id}")
def update_worklog(worklog_id: str, caller: CallerDep, _version: RestVersion, query: QueryDep,
                   body: JsonBody) -> Response:
    return ok_json(service.update_worklog(caller=caller, worklog_id=worklog_id, body=body,
                                          query=query))


@router.delete("/worklogs/{worklog_id}")
def delete_worklog(worklog_id: str, caller: CallerDep, _version: RestVersion) -> Response:
    service.delete_worklog(caller=caller, worklog_id=worklog_id)
    return ok(None)


@router.get("/timeapproval/all")
def list_approvals(caller: CallerDep, _version: RestVersion, query: QueryDep) -> Response:
    """Time-approval records (Administrator or Approval Manager)."""
    return ok(service.list_approvals(caller=caller, query=query))


@router.post("/timeapproval/week")
def submit_week(caller: CallerDep, _version: RestVersion, body: JsonBody) -> Response:
    """Submit the caller's week (`weekStart`) to `assignedManagerId`."""
    return ok(service.submit_week(caller=caller, body=body))


@router.delete("/timeapproval/week")
def revoke_week(caller: CallerDep, _version: RestVersion, query: QueryDep) -> Response:
    """Revoke the caller's submitted week `weekStart`."""
    return ok(service.revoke_week(caller=caller, week_start=week_start_parameter(query)))
