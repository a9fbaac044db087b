"""Tracking wire shapes (the 7pace Tracking contract) and request-body parsing.

Requests are parsed by hand rather than by pydantic models so that every problem gets the exact
7pace error body with a message naming the field (docs/emulation.md s4): property names match
case-insensitively, numeric strings count as numbers, unknown properties are ignored (as on REST).
Responses are plain dicts built from rows in the documented key order; nothing we build ourselves
is validated again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from mockpace.common import limits
from mockpace.common.errors import SevenPaceError
from mockpace.store.tables import NOT_SET_ACTIVITY_TYPE_ID

# trackingState values; 2.1 serialized them as integers (the 7pace Tracking contract).
TRACKING_STATES = ("tracking", "idle", "idleCheck", "activityCheck", "clientInputRequired")

# stoppedTrackType (the 7pace Tracking contract).
STOP_TRACKING, STOP_ACTIVITY_CHECK, STOP_PING, STOP_CLIENT_CONDITION = 0, 1, 2, 3
STOP_MAX_LENGTH, STOP_IDLE, STOP_CONCURRENCY = 4, 5, 6

MAX_SEARCH_CHARS = 1000  # searchByQuery: a title search, far below SQLite's LIKE limit

# Azure DevOps default colours of the standard work-item types (what the web UI shows).
TYPE_COLORS = {
    "epic": "FF7B00",
    "feature": "773B93",
    "user story": "009CCC",
    "product backlog item": "009CCC",
    "requirement": "009CCC",
    "task": "F2CB1D",
    "bug": "CC293D",
    "issue": "B4009E",
    "impediment": "B4009E",
    "test case": "004B50",
}
DEFAULT_TYPE_COLOR = "B2B2B2"

_GUID = re.compile(
    r"^\{?([0-9a-fA-F]{8})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?"
    r"([0-9a-fA-F]{12})\}?$"
)


def bad_body(message: str, **fields: Any) -> SevenPaceError:
    return SevenPaceError("BadRequest", message, fields=fields)


def bad_parameter(name: str, message: str) -> SevenPaceError:
    """A malformed path or query parameter: ApiVersionError, the real service's quirk
    (docs/emulation.md s3), naming the parameter."""
    return SevenPaceError("ApiVersionError", message, fields={"parameter": name})


# -- request parsing --------------------------------------------------------------------------
def parse_json(raw: bytes, *, required: bool, what: str) -> Any:
    """The JSON value of a body; None for an empty body when it is optional."""
    if not raw.strip():
        if required:
            raise bad_body(f"The {what} request needs a JSON body.", body="missing")
        return None
    try:
        return limits.parse_json(raw)
    except limits.JsonBodyError as exc:
        raise bad_body(f"The {what} request body is not valid JSON: {exc}.",
                       body="invalid JSON") from None


def object_body(value: Any, what: str) -> dict[str, Any]:
    """A JSON object with its keys lower-cased (names match case-insensitively); a body that
    is not an object (``null`` included) is 400 BadRequest (docs/decisions.md)."""
    if not isinstance(value, dict):
        kind = json_type(value)
        raise bad_body(f"The {what} request body must be a JSON object, not {kind}.",
                       body=kind)
    return {str(k).lower(): v for k, v in value.items()}


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type (``null``, ``array``, ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string" if isinstance(value, str) else "number"


def parse_guid(value: str) -> str | None:
    match = _GUID.match(value.strip())
    if not match:
        return None
    return "-".join(match.groups()).lower()


def opt_int(body: dict[str, Any], name: str, *, minimum: int = limits.INT32_MIN,
            maximum: int = limits.INT32_MAX) -> int | None:
    """An integer property (a number or a numeric string) within [minimum, maximum]; work item
    ids and offsets are .NET Int32 on the real service."""
    value = body.get(name.lower())
    if value is None or value == "":
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and limits.is_int_text(value):
        try:
            number = limits.parse_int(value)
        except limits.NumberError:
            number = limits.INT64_MAX + 1  # beyond any maximum: "must be between"
    if number is None:
        raise bad_body(f"'{name}' must be an integer, not {limits.echo_json(value)}.", field=name)
    if not minimum <= number <= maximum:
        raise bad_body(f"'{name}' must be between {minimum} and {maximum}; got "
                       f"{limits.echo_json(value)}.", field=name)
    return number


def opt_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name.lower())
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise bad_body(f"'{name}' must be a string, not {type(value).__name__}.", field=name)
    return str(value)


def opt_bool(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name.lower())
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise bad_body(f"'{name}' must be true, false or null, not {limits.echo_json(value)}.",
                   field=name)


UNSET: Any = object()


def opt_guid(body: dict[str, Any], name: str) -> Any:
    """UNSET when absent, None for null or "" (C9 sends "" for none), else the normalized GUID."""
    if name.lower() not in body:
        return UNSET
    value = body[name.lower()]
    if value is None or value == "":
        return None
    if not isinstance(value, str) or parse_guid(value) is None:
        raise bad_body(f"'{name}' must be a GUID such as "
                       f"'{NOT_SET_ACTIVITY_TYPE_ID}'; got {limits.echo_json(value)}.", field=name)
    return parse_guid(value)


@dataclass(frozen=True)
class StartRequest:
    time_zone: int | None
    tfs_id: int | None
    remark: str | None
    activity_type_id: Any  # UNSET | None | guid
    is_billable: bool | None


def start_request(raw: bytes) -> StartRequest:
    body = object_body(parse_json(raw, required=True, what="startTracking"), "startTracking")
    tfs_id = opt_int(body, "tfsId", minimum=0)
    return StartRequest(
        time_zone=opt_int(body, "timeZone", minimum=-14 * 60, maximum=14 * 60),
        tfs_id=tfs_id or None,  # 0 is the documented placeholder: no work item
        remark=opt_str(body, "remark"),
        activity_type_id=opt_guid(body, "activityTypeId"),
        is_billable=opt_bool(body, "isBillable"),
    )


@dataclass(frozen=True)
class SelectRequest:
    tfs_id: int | None
    remark: str | None
    activity_type_id: Any
    calculate_totals: bool


def select_request(raw: bytes) -> SelectRequest:
    body = object_body(parse_json(raw, required=True, what="selected"), "selected")
    tfs_id = opt_int(body, "tfsId", minimum=0)
    return SelectRequest(tfs_id=tfs_id or None, remark=opt_str(body, "remark"),
                         activity_type_id=opt_guid(body, "activityTypeId"),
                         calculate_totals=opt_bool(body, "calculateTotals") is not False)


@dataclass(frozen=True)
class AdjustRequest:
    remark: str | None  # None: unchanged
    activity_type_id: Any  # UNSET: unchanged
    is_billable: bool | None


def adjust_request(raw: bytes) -> AdjustRequest:
    body = object_body(parse_json(raw, required=True, what="adjust"), "adjust")
    return AdjustRequest(remark=opt_str(body, "remark"),
                         activity_type_id=opt_guid(body, "activityTypeId"),
                         is_billable=opt_bool(body, "isBillable"))


def search_id(raw: bytes) -> int:
    """``1349``, ``"1349"`` or ``{"query": 1349}`` (the 7pace Tracking contract)."""
    value = parse_json(raw, required=True, what="search")
    if isinstance(value, dict):
        value = object_body(value, "search").get("query")
    number: int | None = None
    if isinstance(value, str):
        text = value.strip().lstrip("#")
        if limits.is_int_text(text) and text[:1].isdigit():
            try:
                number = limits.parse_int(text)
            except limits.NumberError:
                number = limits.INT64_MAX + 1
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    if number is not None and 0 <= number <= limits.INT32_MAX:
        return number
    raise bad_body(f"The search body must be a work item id (a number from 0 to "
                   f"{limits.INT32_MAX}, or a quoted number); got {limits.echo_json(value)}.",
                   field="query")


def search_query(raw: bytes) -> str:
    value = parse_json(raw, required=True, what="searchByQuery")
    if isinstance(value, str):  # lenient: a bare JSON string
        value = {"query": value}
    body = object_body(value, "searchByQuery")
    if "query" not in body:
        raise bad_body("The searchByQuery body needs the property 'query'.", field="query")
    query = opt_str(body, "query")
    if query is not None and len(query) > MAX_SEARCH_CHARS:
        raise bad_body(f"The searchByQuery query has {len(query)} characters; at most "
                       f"{MAX_SEARCH_CHARS} are accepted.", field="query")
    return query or ""


def parse_flag(value: str | None, name: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    text = value.strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise bad_parameter(name, f"The parameter '{name}' must be true or false; got '{value}'.")


def parse_count(value: str | None, name: str, default: int) -> int:
    """A count in a path or query: an integer from 0 to Int32's maximum (.NET binding)."""
    if value is None or value == "":
        return default
    if not limits.is_int_text(value):
        raise bad_parameter(name, f"The parameter '{name}' must be an integer; got "
                                  f"'{limits.echo(value)}'.")
    try:
        number = limits.parse_int(value)
    except limits.NumberError:
        number = limits.INT64_MAX + 1
    if number < 0:
        raise bad_parameter(name, f"The parameter '{name}' must not be negative; got "
                                  f"{limits.echo(value.strip())}.")
    if number > limits.INT32_MAX:
        raise bad_parameter(name, f"The parameter '{name}' is out of range (0 to "
                                  f"{limits.INT32_MAX}); got {limits.echo(value.strip())}.")
    return number


def parse_choice(value: str | None, name: str, choices: dict[int, str], default: int) -> int:
    if value is None or value == "":
        return default
    text = value.strip()
    if limits.is_int_text(text) and len(text) < 12 and int(text) in choices:
        return int(text)
    listed = ", ".join(f"{k} ({v})" for k, v in choices.items())
    raise bad_parameter(name, f"Unknown {name} '{value}'. Accepted values: {listed}.")


# -- wire shapes ------------------------------------------------------------------------------
def work_item_link(org_name: str, project: str, item_id: int) -> str:
    return f"https://dev.azure.com/{quote(org_name)}/{quote(project)}/_workitems/edit/{item_id}"


def type_color(work_item_type: str) -> str:
    return TYPE_COLORS.get(work_item_type.lower(), DEFAULT_TYPE_COLOR)


def body_doc(example: Any, media: str = "application/json") -> dict[str, Any]:
    """``openapi_extra`` documenting a body that the route reads raw (to control its errors)."""
    return {"requestBody": {"required": True, "content": {media: {"example": example}}}}


START_EXAMPLE = {"timeZone": 60, "tfsId": 1349, "remark": "string",
                 "activityTypeId": "d0e030e2-b8b4-e711-8418-00155d0a6b50", "isBillable": True}
SELECT_EXAMPLE = {"tfsId": 1349, "remark": "string",
                  "activityTypeId": "d0e030e2-b8b4-e711-8418-00155d0a6b50",
                  "calculateTotals": True}
ADJUST_EXAMPLE = {"remark": "comment", "activityTypeId": "d4e030e2-b8b4-e711-8418-00155d0a6b50"}


def envelope(model: Any, mode: str) -> Any:
    return {"data": model} if mode == "data" else model
