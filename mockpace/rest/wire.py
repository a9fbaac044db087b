"""REST wire shapes, built straight from rows in the exact key order of the real service
(the 7pace REST contract). Output we build ourselves is not re-validated (hot paths).

Worklogs are rendered to JSON by the database (``WORKLOG_JSON``): one SELECT per page.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from starlette.responses import Response

from mockpace.common.timefmt import format_rest, format_rest_sql
from mockpace.store import ActivityType, Organization, User
from mockpace.store.tables import NOT_SET_ACTIVITY_TYPE_ID

NOT_SET = {"color": "ffffff", "name": "[Not Set]", "id": NOT_SET_ACTIVITY_TYPE_ID}
JSON_MEDIA = "application/json; charset=utf-8"


def ok(data: Any) -> Response:
    """The REST success envelope ``{"data": ...}``, serialized with orjson."""
    return Response(orjson.dumps({"data": data}), media_type=JSON_MEDIA)


def user_json(user: User, *, expand_display_name: bool = False) -> dict[str, Any]:
    """User in the 3.2 key order: uniqueName, displayName, vstsId, vstsCollectionId,
    vstsCollectionId2, email, name, id."""
    return {
        "uniqueName": user.unique_name,
        "displayName": user.name if expand_display_name else None,
        "vstsId": user.vsts_id,
        "vstsCollectionId": user.vsts_collection_id,
        "vstsCollectionId2": user.vsts_collection_id2,
        "email": user.email,
        "name": user.name,
        "id": user.id,
    }


def activity_type_json(activity_type: ActivityType | None) -> dict[str, Any]:
    if activity_type is None:
        return dict(NOT_SET)
    return {"color": activity_type.color, "name": activity_type.name, "id": activity_type.id}


def account_json(org: Organization) -> dict[str, Any]:
    return {
        "vstsId": org.vsts_id,
        "vstsCollectionId": org.vsts_collection_id,
        "name": org.collection,
        "id": org.id,
    }


def role_json(role_id: str, name: str) -> dict[str, Any]:
    return {"id": role_id, "name": name}


def user_with_role_json(user: User, role_id: str, *, expand_display_name: bool) -> dict[str, Any]:
    """`userWithRole` (shape not published; mockpace's decision): the user, then the role."""
    return {"user": user_json(user, expand_display_name=expand_display_name),
            "role": role_json(role_id, user.role)}


# -- worklogs ---------------------------------------------------------------------------------
#
# Worklog objects are rendered by SQLite itself (json_object keeps the key order given), one JSON
# text per row, in one statement per page: no per-row Python, no per-row query (measured no
# slower than building dicts in Python, and simpler to keep in one place). Bound parameters:
# :expand (fill displayName), :editable (compute isCanEdit/isCanDelete), :caller and :admin.

def _user_sql(alias: str) -> str:
    """User in the 3.2 key order (see ``user_json``)."""
    return (
        f"json_object('uniqueName', {alias}.unique_name, "
        f"'displayName', CASE WHEN :expand THEN {alias}.name END, "
        f"'vstsId', {alias}.vsts_id, 'vstsCollectionId', {alias}.vsts_collection_id, "
        f"'vstsCollectionId2', {alias}.vsts_collection_id2, 'email', {alias}.email, "
        f"'name', {alias}.name, 'id', {alias}.id)"
    )


def _bool_text(expression: str) -> str:
    return f"CASE WHEN {expression} THEN 'true' ELSE 'false' END"


def _q(expression: str) -> str:
    """JSON text of a scalar, as json_object renders it (json_quote(NULL) is null)."""
    return f"json_quote({expression})"


def _object_text(pairs: list[tuple[str, str]]) -> str:
    """A JSON object built by one printf(): keys in the given order, no spaces, as json_object
    renders it; the values are SQL expressions giving JSON text (never NULL). One printf copies
    each piece once, where a chain of || copies the growing text at every step."""
    template = "{" + ",".join(f'"{name}":%s' for name, _ in pairs) + "}"
    assert "'" not in template and template.count("%") == len(pairs)
    return f"printf('{template}', {', '.join(value for _, value in pairs)})"


_OFFSET = "uu.timezone_offset"
# Monday (user-local) of the owner's week holding the worklog, as stored in time_approvals.
LOCAL_WEEK_START = (
    f"date(datetime(w.timestamp, {_OFFSET} || ' minutes'), '-6 days', 'weekday 1')"
)
_LOCKED = (
    "EXISTS (SELECT 1 FROM time_approvals ta WHERE ta.user_id = w.user_id "
    f"AND ta.week_start = {LOCAL_WEEK_START} AND ta.approval_state IN (3, 99))"
)
_CAN_EDIT = f"(:admin OR w.user_id = :caller) AND NOT {_LOCKED}"
_CAN = f"CASE WHEN :editable THEN {_bool_text(_CAN_EDIT)} ELSE 'null' END"
_FLAGS = _object_text([(name, _bool_text("w." + column)) for name, column in (
    ("isTracked", "is_tracked"), ("isManuallyEntered", "is_manually_entered"),
    ("isChanged", "is_changed"), ("isTrackedExtended", "is_tracked_extended"),
    ("isImported", "is_imported"), ("isFromApi", "is_from_api"),
    ("isBillable", "is_billable"))])
_NOT_SET_TEXT = (
    '{"color":"ffffff","name":"[Not Set]","id":"' + NOT_SET_ACTIVITY_TYPE_ID + '"}'
)
_ACTIVITY_TYPE = (
    f"CASE WHEN w.activity_type_id IS NULL THEN '{_NOT_SET_TEXT}' ELSE "
    + _object_text([("color", _q("t.color")), ("name", _q("t.name")),
                    ("id", _q("w.activity_type_id"))]) + " END"
)
# The worklog object as one printf(), byte for byte what json_object() gave (keys in the order
# of the real service, no spaces; checked on every row of the bench data and odd strings), a
# third cheaper: the user objects (JSON text already) and the booleans are not parsed again by
# json() on every row.
_WORKLOG_FIELDS = [
    ("timestamp", _q(format_rest_sql("w.timestamp", _OFFSET))),
    ("length", _q("w.length")),
    ("billableLength", _q("w.billable_length")),
    ("workItemId", _q("w.work_item_id")),
    ("comment", _q("COALESCE(w.comment, '')")),
    ("user", "uu.j"),
    ("addedByUser", "ua.j"),
    ("editedByUser", "ue.j"),
    ("createdTimestamp", _q(format_rest_sql("w.created_timestamp", _OFFSET, fraction=True))),
    ("editedTimestamp", _q(format_rest_sql("w.edited_timestamp", _OFFSET, fraction=True))),
    ("activityType", f"({_ACTIVITY_TYPE})"),
    ("flags", _FLAGS),
    ("isCanEdit", f"({_CAN})"),
    ("isCanDelete", f"({_CAN})"),
    ("id", _q("w.id")),
]
WORKLOG_JSON = _object_text(_WORKLOG_FIELDS)
WORKLOG_KEYS = tuple(name for name, _ in _WORKLOG_FIELDS)  # the OpenAPI schema's properties


_TIMESTAMP_KEY = '{"timestamp":"'


def with_utc_timestamp(rendered: str, instant: datetime) -> str:
    """The worklog JSON with its ``timestamp`` as that instant in UTC with ``Z``: how the
    response to ``POST workLogs`` echoes a ``timeStamp`` sent with ``Z`` or an offset (a real
    3.2 capture, docs/emulation.md section 5). ``timestamp`` is the first key of WORKLOG_JSON."""
    assert rendered.startswith(_TIMESTAMP_KEY)
    end = rendered.index('"', len(_TIMESTAMP_KEY))
    return f"{_TIMESTAMP_KEY}{format_rest(instant, 0)}Z{rendered[end:]}"


def worklog_select(where: str, page: str = "") -> str:
    """(worklog id, owner id, worklog JSON) of the worklogs matching ``where`` (alias ``w``),
    newest first then by id, in one statement. The page's row ids come from the
    (is_deleted, timestamp, id) index, so a deep ``$skip`` stays cheap; only the page's rows are
    read and rendered, and each user object is rendered once per page, not once per row."""
    return (
        "WITH p AS MATERIALIZED (SELECT w.rowid AS rid, w.timestamp AS ts, w.id AS wid "
        f"FROM worklogs w WHERE {where} ORDER BY w.timestamp DESC, w.id{page}), "
        "pw AS MATERIALIZED (SELECT p.ts, p.wid, w.rowid AS rid, w.user_id AS uid, "
        "w.added_by_user_id AS aid, COALESCE(w.edited_by_user_id, w.added_by_user_id) AS eid "
        "FROM p JOIN worklogs w ON w.rowid = p.rid), "
        f"uj AS MATERIALIZED (SELECT x.id, x.timezone_offset, {_user_sql('x')} AS j "
        "FROM users x WHERE x.id IN (SELECT uid FROM pw UNION SELECT aid FROM pw "
        "UNION SELECT eid FROM pw)) "
        f"SELECT w.id, w.user_id, {WORKLOG_JSON} FROM pw JOIN worklogs w ON w.rowid = pw.rid "
        "JOIN uj uu ON uu.id = pw.uid JOIN uj ua ON ua.id = pw.aid JOIN uj ue ON ue.id = pw.eid "
        "LEFT JOIN activity_types t ON t.id = w.activity_type_id ORDER BY pw.ts DESC, pw.wid"
    )


def worklog_select_one(where: str) -> str:
    """``worklog_select`` for a ``where`` that matches one worklog at most (by id): the same
    columns and JSON, without the page machinery (a created worklog is rendered this way)."""
    users = f"(SELECT x.id, x.timezone_offset, {_user_sql('x')} AS j FROM users x)"
    return (
        f"SELECT w.id, w.user_id, {WORKLOG_JSON} FROM worklogs w "
        f"JOIN {users} uu ON uu.id = w.user_id JOIN {users} ua ON ua.id = w.added_by_user_id "
        f"JOIN {users} ue ON ue.id = COALESCE(w.edited_by_user_id, w.added_by_user_id) "
        f"LEFT JOIN activity_types t ON t.id = w.activity_type_id WHERE {where}"
    )


def ok_json(data_json: str) -> Response:
    """``{"data": ...}`` around JSON text the database already rendered."""
    return Response(f'{{"data":{data_json}}}'.encode(), media_type=JSON_MEDIA)


def json_array(items: list[str]) -> str:
    return "[" + ",".join(items) + "]"


# -- time approvals ---------------------------------------------------------------------------

def _local_date(value: date) -> str:
    return f"{value.isoformat()}T00:00:00"


def approval_json(row: Any, users: dict[str, User], *, expand_display_name: bool
                  ) -> dict[str, Any]:
    """TimeApproval in the documented key order; times in the week owner's local time."""
    owner = users[row.user_id]
    offset = owner.timezone_offset

    def when(value: datetime | None) -> str | None:
        return format_rest(value, offset, fraction=True) if value is not None else None

    def who(user_id: str | None) -> dict[str, Any] | None:
        user = users.get(user_id) if user_id else None
        return user_json(user, expand_display_name=expand_display_name) if user else None

    return {
        "id": row.id,
        "weekStartDate": _local_date(row.week_start),
        "weekEndDate": _local_date(row.week_end),
        "user": user_json(owner, expand_display_name=expand_display_name),
        "approvalState": row.approval_state,
        "modificationTimestamp": when(row.modification_timestamp),
        "submittedTimestamp": when(row.submitted_timestamp),
        "approvalTimestamp": when(row.approval_timestamp),
        "assignedManager": who(row.assigned_manager_id),
        "approvedByManager": who(row.approved_by_manager_id),
    }
