"""Tracking client API (/api/tracking/client/...), PIN pairing (/api/pin/...) and /token.

Thin: parse the path, query and body, call the Tracker (service.py) or pin.py, write the answer.
Paths arrive lower-cased (common/routing.py), so routes are declared in lower case; both the path
and the query form of each parameter work (docs/emulation.md s7).
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from mockpace.common.auth import CallerDep
from mockpace.common.context import Context, ContextDep, get_context
from mockpace.common.versions import TRACKING_VERSIONS, check_api_version
from mockpace.tracking import pin as pins
from mockpace.tracking import schemas as w
from mockpace.tracking.service import IDLE_OPTIONS, LATEST_DEFAULT, STOP_REASONS, Tracker

router = APIRouter(tags=["tracking"])
BASE = "/api/tracking/client"


async def tracking_version(request: Request,
                           context: Annotated[Context, Depends(get_context)]) -> str:
    return check_api_version(request.query_params.get("api-version"),
                             accepted=TRACKING_VERSIONS,
                             lenient=context.settings.lenient_api_version)


TrackingVersion = Annotated[str, Depends(tracking_version)]


async def raw_body(request: Request) -> bytes:
    return await request.body()


RawBody = Annotated[bytes, Depends(raw_body)]


async def get_tracker(caller: CallerDep, version: TrackingVersion) -> Tracker:
    return Tracker(caller, version)


TrackerDep = Annotated[Tracker, Depends(get_tracker)]


def respond(tracker: Tracker, model: Any) -> Response:
    body = w.envelope(model, tracker.settings.tracking_envelope)
    return Response(orjson.dumps(body), media_type="application/json; charset=utf-8")


def json_response(model: Any) -> Response:
    return Response(orjson.dumps(model), media_type="application/json; charset=utf-8")


def query(request: Request, name: str, *, lenient_alias: bool) -> str | None:
    """``$name``, or ``name`` without the ``$`` when ``lenient_alias``."""
    value = request.query_params.get(f"${name}")
    if value is None and lenient_alias:
        value = request.query_params.get(name)
    return value


# -- state ----------------------------------------------------------------------------------------
@router.get(f"{BASE}/current")
def current(request: Request, tracker: TrackerDep) -> Response:
    """The trackingStateModel; ``?$expand=true`` (or ``expand``) adds the full parent chain."""
    value = query(request, "expand", lenient_alias=True)
    return respond(tracker, tracker.current(expand=w.parse_flag(value, "expand", False)))


@router.get(f"{BASE}/current/{{expand}}")
def current_expand(expand: str, tracker: TrackerDep) -> Response:
    return respond(tracker, tracker.current(expand=w.parse_flag(expand, "expand", False)))


@router.post(f"{BASE}/selected", openapi_extra=w.body_doc(w.SELECT_EXAMPLE))
def selected(body: RawBody, tracker: TrackerDep) -> Response:
    return respond(tracker, tracker.select(w.select_request(body)))


@router.get(f"{BASE}/latest")
def latest(request: Request, tracker: TrackerDep) -> Response:
    value = query(request, "count", lenient_alias=tracker.settings.lenient_params)
    return respond(tracker, tracker.latest(w.parse_count(value, "count", LATEST_DEFAULT)))


@router.get(f"{BASE}/latest/{{count}}")
def latest_count(count: str, tracker: TrackerDep) -> Response:
    return respond(tracker, tracker.latest(w.parse_count(count, "count", LATEST_DEFAULT)))


# -- transitions ----------------------------------------------------------------------------------
@router.post(f"{BASE}/starttracking", openapi_extra=w.body_doc(w.START_EXAMPLE))
def start_tracking(body: RawBody, tracker: TrackerDep) -> Response:
    return respond(tracker, tracker.start(w.start_request(body)))


@router.post(f"{BASE}/stoptracking")
def stop_tracking(request: Request, tracker: TrackerDep) -> Response:
    value = query(request, "reason", lenient_alias=tracker.settings.lenient_params)
    return respond(tracker, tracker.stop(w.parse_choice(value, "reason", STOP_REASONS, 0)))


@router.post(f"{BASE}/stoptracking/{{reason}}")
def stop_tracking_reason(reason: str, tracker: TrackerDep) -> Response:
    return respond(tracker, tracker.stop(w.parse_choice(reason, "reason", STOP_REASONS, 0)))


@router.post(f"{BASE}/idlecheck/{{option}}")
def idle_check(option: str, tracker: TrackerDep) -> Response:
    return respond(tracker, tracker.idle_check(
        w.parse_choice(option, "selectedOption", IDLE_OPTIONS, 0)))


@router.post(f"{BASE}/activitycheck")
def activity_check(tracker: TrackerDep) -> Response:
    return respond(tracker, tracker.activity_check())


@router.post(f"{BASE}/adjust", openapi_extra=w.body_doc(w.ADJUST_EXAMPLE))
def adjust(body: RawBody, tracker: TrackerDep) -> Response:
    return respond(tracker, tracker.adjust(w.adjust_request(body)))


# -- search ---------------------------------------------------------------------------------------
@router.post(f"{BASE}/search", openapi_extra=w.body_doc(1349))
def search(body: RawBody, tracker: TrackerDep) -> Response:
    """Body: the work item id, bare (``1349``) or quoted (``"1349"``)."""
    return respond(tracker, tracker.search(w.search_id(body)))


@router.post(f"{BASE}/searchbyquery", openapi_extra=w.body_doc({"query": "Testing workitem"}))
def search_by_query(body: RawBody, tracker: TrackerDep) -> Response:
    """Body ``{"query": "..."}``: title contains (case-insensitive) or the id."""
    return respond(tracker, tracker.search_by_query(w.search_query(body)))


# -- PIN pairing and token ------------------------------------------------------------------------
@router.post("/api/pin/create", tags=["pin"])
def pin_create(context: ContextDep, _version: TrackingVersion) -> Response:
    """A PIN and its secret; validated at once for the admin user with ``pin_auto_validate``."""
    return json_response(pins.create_pin(context))


@router.post("/api/pin/status", tags=["pin"], openapi_extra=w.body_doc("Zjk1...=="))
def pin_status(body: RawBody, context: ContextDep, _version: TrackingVersion) -> Response:
    """Body: the secret as a JSON string. ``{"status": "Validated" | "Validating" |
    "WrongOrExpired"}``."""
    secret = pins.parse_secret(body, lenient=context.settings.lenient_params)
    return json_response(pins.pin_status(context, secret))


@router.post("/token", tags=["pin"], openapi_extra=w.body_doc(
    "client_id=OpenApi&grant_type=authorization_code&code=<secret>",
    "application/x-www-form-urlencoded"))
@router.post("/api/token", tags=["pin"], include_in_schema=False)
def token(body: RawBody, context: ContextDep) -> Response:
    """OAuth2 form post: ``client_id=OpenApi`` and ``grant_type=authorization_code&code=`` or
    ``grant_type=refresh_token&refresh_token=``."""
    return json_response(pins.token(context, pins.parse_form(body)))
