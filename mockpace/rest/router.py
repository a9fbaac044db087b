"""REST CRUD API routes (/api/rest/...): thin, rules live in service.py."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlmodel import select

from mockpace.common.auth import CallerDep
from mockpace.rest.deps import RestVersion
from mockpace.rest.wire import account_json, activity_type_json, user_json
from mockpace.store import ActivityType, Organization

router = APIRouter(prefix="/api/rest", tags=["rest"])


def expands_display_name(expand: str | None) -> bool:
    return bool(expand) and "user.displayname" in (expand or "").lower()


@router.get("/me")
def get_me(
    caller: CallerDep,
    _version: RestVersion,
    expand: str | None = Query(default=None, alias="$expand"),
) -> dict[str, Any]:
    """The caller: user, account, default activity type and time-zone offset (minutes)."""
    store = caller.context.org.store
    with store.read() as session:
        org = session.exec(select(Organization)).one()
        default_type = (
            session.get(ActivityType, caller.user.default_activity_type_id)
            if caller.user.default_activity_type_id else None
        )
    return {"data": {
        "user": user_json(caller.user, expand_display_name=expands_display_name(expand)),
        "account": account_json(org),
        "defaultActivityType": activity_type_json(default_type) if default_type else None,
        "timeZone": caller.user.timezone_offset,
    }}
