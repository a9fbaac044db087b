"""mockpace's own admin plane (/_mockpace): the contract is ../shared/spec/40-admin.md."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request

import mockpace
from mockpace.admin.service import token_list
from mockpace.common.clock import Clock
from mockpace.common.context import registry_of
from mockpace.common.errors import SevenPaceError
from mockpace.common.timefmt import TimeFormatError, parse_datetime
from mockpace.orgs import Org
from mockpace.settings import SettingsError


def check_admin_key(
    request: Request,
    key: Annotated[str | None, Header(alias="X-Mockpace-Admin-Key")] = None,
) -> None:
    expected = request.app.state.server_settings.admin_key
    if expected and key != expected:
        raise SevenPaceError(
            "UnauthorizedError",
            "The admin plane needs the header X-Mockpace-Admin-Key with the configured key.",
            status=401,
        )


router = APIRouter(prefix="/_mockpace", tags=["admin"], dependencies=[Depends(check_admin_key)])


def get_org(request: Request, org: Annotated[str | None, Query()] = None) -> Org:
    registry = registry_of(request)
    if org is None:
        assert registry.default is not None
        return registry.default
    found = registry.get(org)
    if found is None:
        raise SevenPaceError("EntityNotFound", f"Unknown organization '{org}'.", status=404,
                             fields={"org": org})
    return found


OrgDep = Annotated[Org, Depends(get_org)]


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    registry = registry_of(request)
    assert registry.default is not None
    return {"status": "ok", "version": mockpace.__version__,
            "orgs": [org.name for org in registry.all()],
            "counts": registry.default.store.counts()}


@router.get("/tokens")
def tokens(org: OrgDep) -> list[dict[str, Any]]:
    return token_list(org)


@router.post("/reset")
def reset(org: OrgDep) -> dict[str, Any]:
    ms = org.reset()
    return {"status": "reset", "ms": round(ms, 1)}


@router.get("/clock")
def get_clock(org: OrgDep) -> dict[str, str]:
    return org.clock().describe()


@router.put("/clock")
def put_clock(org: OrgDep, body: Annotated[dict[str, Any], Body()]) -> dict[str, str]:
    keys = set(body) & {"now", "advance", "mode"}
    if len(keys) != 1 or len(body) != 1:
        raise SevenPaceError(
            "BadRequest",
            "The clock body needs exactly one of 'now' (ISO instant), 'advance' (seconds) "
            "or 'mode' ('real').",
            fields={"received": sorted(body)},
        )
    clock = org.clock()
    if "now" in body:
        value = body["now"]
        try:
            if not isinstance(value, str):
                raise TimeFormatError(f"{value!r} is not a string")
            instant = parse_datetime(value)
        except TimeFormatError as exc:
            raise SevenPaceError("BadRequest", f"clock.now: {exc}",
                                 fields={"field": "now"}) from exc
        clock = clock.frozen(instant)
    elif "advance" in body:
        seconds = body["advance"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise SevenPaceError("BadRequest", "clock.advance must be a number of seconds.",
                                 fields={"field": "advance"})
        clock = clock.advanced(float(seconds))
    else:
        if body["mode"] != "real":
            raise SevenPaceError("BadRequest", "clock.mode can only be set to 'real'; "
                                 "use 'now' to freeze it or 'advance' to move it.",
                                 fields={"field": "mode"})
        clock = Clock()
    return org.set_clock(clock).describe()


@router.get("/settings")
def get_settings(org: OrgDep) -> dict[str, Any]:
    return org.settings().model_dump()


@router.patch("/settings")
def patch_settings(org: OrgDep, body: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    try:
        return org.update_settings(body).model_dump()
    except SettingsError as exc:
        raise SevenPaceError("BadRequest", f"Settings not changed: {exc}",
                             fields={"errors": exc.problems}) from exc
