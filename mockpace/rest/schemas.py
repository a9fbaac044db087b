"""REST request bodies, read the tolerant way real clients need (docs/emulation.md s6):
property names without regard to case, unknown properties ignored, numeric strings accepted for
numbers, `activityType: {"id": ...}` as `activityTypeId`. A body of the wrong shape or a value of
the wrong type is 400 `BadRequest` naming the property.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from mockpace.common import limits
from mockpace.common.errors import SevenPaceError

INT32_MAX = 2**31 - 1  # the real service binds these numbers to .NET Int32
INT32_MIN = -INT32_MAX  # the smallest body number accepted (as_int)
WORK_ITEM_ID_MIN = 0  # 0 (or null) is "no work item"; a negative id is refused
_MISSING: Any = object()


def bad_body(problem: str, **fields: Any) -> SevenPaceError:
    return SevenPaceError("BadRequest", f"The request body is invalid: {problem}.", fields=fields)


def parse_json(raw: bytes, state: dict[str, Any] | None = None) -> Any:
    """The JSON body (the harness's parse of it when ``state`` holds one)."""
    if not raw.strip():
        raise bad_body("it is empty; a JSON body is required")
    try:
        return limits.shared_json(state, raw)
    except limits.JsonBodyError as exc:
        raise bad_body(str(exc)) from None


def lower_keys(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_body(f"{where} must be a JSON object", property=where)
    result: dict[str, Any] = {}
    for key, item in value.items():
        result.setdefault(str(key).lower(), item)
    return result


def as_int(value: Any, name: str) -> int | None:
    """int, integral float or numeric string; null and "" are None; within Int32."""
    number = _as_int(value, name)
    if number is not None and not INT32_MIN <= number <= INT32_MAX:
        raise bad_body(f"'{name}' is out of range: {limits.echo_json(value)}", property=name)
    return number


def _as_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise bad_body(f"'{name}' must be a number, not a boolean", property=name)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return None
        if limits.is_int_text(text):
            try:
                return limits.parse_int(text)
            except limits.NumberError:
                raise bad_body(f"'{name}' is out of range: {limits.echo_json(value)}",
                               property=name) from None
        number = float("nan")
        if len(text) <= limits.MAX_NUMBER_CHARS and text.isascii():
            with contextlib.suppress(ValueError, OverflowError):
                number = float(text)
        if number.is_integer():
            return int(number)
    raise bad_body(f"'{name}' must be a whole number, got {limits.echo_json(value)}",
                   property=name)


def as_str(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise bad_body(f"'{name}' must be a string, got {limits.echo_json(value)}", property=name)


def as_guid(value: Any, name: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise bad_body(f"'{name}' must be a GUID string", property=name)
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise bad_body(f"'{name}' is not a GUID: '{value}'", property=name) from None


def as_bool(value: Any, name: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise bad_body(f"'{name}' must be true or false", property=name)


@dataclass
class WorkLogInput:
    """`workLogCreationModel` (POST and PATCH). ``present`` holds the properties the body sent,
    so PATCH can merge: a property sent as null clears it, a missing one keeps its value."""

    present: set[str] = field(default_factory=set)
    timestamp: str | None = None
    length: int | None = None
    billable_length: int | None = None
    work_item_id: int | None = None
    comment: str | None = None
    user_id: str | None = None
    activity_type_id: str | None = None


def worklog_input(body: Any, where: str = "body") -> WorkLogInput:
    data = lower_keys(body, where)
    result = WorkLogInput()

    def take(key: str) -> Any:
        value = data.get(key, _MISSING)
        if value is not _MISSING:
            result.present.add(key)
        return None if value is _MISSING else value

    stamp = take("timestamp")
    if isinstance(stamp, str):
        result.timestamp = stamp.strip() or None
    elif stamp is not None:
        raise bad_body("'timeStamp' must be a date-time string", property="timeStamp")
    result.length = as_int(take("length"), "length")
    result.billable_length = as_int(take("billablelength"), "billableLength")
    work_item = as_int(take("workitemid"), "workItemId")
    # The docs' sample body sends 0 as a placeholder: no work item.
    result.work_item_id = work_item if work_item else None
    if work_item is not None and work_item < WORK_ITEM_ID_MIN:
        raise bad_body(f"'workItemId' must not be negative, got {work_item}",
                       property="workItemId")
    result.comment = as_str(take("comment"), "comment")
    result.user_id = as_guid(take("userid"), "userId")
    if "activitytypeid" in data:
        result.activity_type_id = as_guid(take("activitytypeid"), "activityTypeId")
    elif "activitytype" in data:
        nested = data["activitytype"]
        result.present.add("activitytypeid")
        if nested is None:
            result.activity_type_id = None
        else:
            inner = lower_keys(nested, "activityType")
            result.activity_type_id = as_guid(inner.get("id"), "activityType.id")
    return result


@dataclass
class RoleAssignment:
    """One `userWithRolePost`: a user by id, vstsId or e-mail and a role by id or name."""

    raw: Any
    user_id: str | None = None
    vsts_id: str | None = None
    email: str | None = None
    role_id: str | None = None
    role_name: str | None = None


def role_assignments(body: Any) -> tuple[bool, list[RoleAssignment]]:
    data = lower_keys(body, "body")
    skip_errors = as_bool(data.get("skiperrors"), "skipErrors")
    users = data.get("users")
    if not isinstance(users, list):
        raise bad_body("'users' must be an array of {id|vstsId|email, role}", property="users")
    entries = []
    for index, item in enumerate(users):
        where = f"users[{index}]"
        entry = lower_keys(item, where)
        role = entry.get("role")
        role_data = lower_keys(role, f"{where}.role") if role is not None else {}
        role_id = role_data.get("id")
        entries.append(RoleAssignment(
            raw=item,
            user_id=as_str(entry.get("id"), f"{where}.id"),
            vsts_id=as_str(entry.get("vstsid"), f"{where}.vstsId"),
            email=as_str(entry.get("email"), f"{where}.email"),
            role_id=None if role_id is None else str(role_id),
            role_name=as_str(role_data.get("name"), f"{where}.role.name"),
        ))
    return skip_errors, entries


@dataclass
class WeekSubmission:
    week_start: str
    assigned_manager_id: str | None


def week_submission(body: Any) -> WeekSubmission:
    data = lower_keys(body, "body")
    week = as_str(data.get("weekstart"), "weekStart")
    if not week or not week.strip():
        raise bad_body("'weekStart' (the week's first day, yyyy-MM-dd) is required",
                       property="weekStart")
    return WeekSubmission(week.strip(), as_guid(data.get("assignedmanagerid"),
                                                "assignedManagerId"))
