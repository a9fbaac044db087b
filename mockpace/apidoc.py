"""The OpenAPI document of the 7pace APIs (``/openapi.json``, ``/docs``, ``/redoc``).

FastAPI describes the admin plane from its route signatures. The 7pace routes read their
parameters and bodies themselves (case-insensitive names, `$` rules, tolerant bodies), so their
operations are built here from the code that validates and renders them:

- paths, methods, query parameters and documented body properties: the contract catalog
  (``harness.catalog``), which the contract diagnostics check every request against;
- api-version values (``common.versions``), paging and id bounds (``rest.params``), tracking
  choices (``tracking.service``);
- Reporting entity shapes: the EDM model (``reporting.edm``) that also renders ``$metadata``
  and the rows;
- REST/Tracking object shapes: the key lists the renderers use (``WORKLOG_KEYS``); the suite
  checks every response of a schemathesis run against this document.

Built once per app and cached: no request pays for it.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mockpace.common.versions import REPORTING_VERSIONS, REST_VERSIONS, TRACKING_VERSIONS
from mockpace.harness import catalog
from mockpace.harness.catalog import Endpoint
from mockpace.reporting import edm
from mockpace.rest import schemas as body_rules
from mockpace.rest import service as rest_service
from mockpace.rest.params import INT32_MAX, MAX_PAGE, MAX_WORK_ITEM_IDS
from mockpace.tracking.service import IDLE_OPTIONS, LATEST_MAX, STOP_REASONS

REF = "#/components/schemas/"
NULL = {"type": "null"}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": REF + name}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, NULL]}


def obj(properties: dict[str, Any], *, required: bool | list[str] = True,
        extra: bool = False, description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    names = list(properties) if required is True else (required or [])
    if names:
        schema["required"] = names
    if not extra:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
GUID = {"type": "string", "format": "uuid"}
LOCAL_TIME = {"type": "string", "description": "the owner's local time, no offset "
              "(2026-03-02T09:15:00)", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?$"}

# -- REST shapes (key order as the renderers in rest/wire.py emit them) ------------------------
USER = obj({"uniqueName": STRING, "displayName": nullable(STRING), "vstsId": GUID,
            "vstsCollectionId": GUID, "vstsCollectionId2": GUID, "email": STRING,
            "name": STRING, "id": GUID})
ACTIVITY_TYPE = obj({"color": {"type": "string", "pattern": "^[0-9a-f]{6}$"}, "name": STRING,
                     "id": GUID})
FLAGS = obj({name: BOOLEAN for name in ("isTracked", "isManuallyEntered", "isChanged",
                                        "isTrackedExtended", "isImported", "isFromApi",
                                        "isBillable")})


def worklog_schema() -> dict[str, Any]:
    from mockpace.rest.wire import WORKLOG_KEYS

    types: dict[str, Any] = {
        "timestamp": LOCAL_TIME, "length": INTEGER, "billableLength": nullable(INTEGER),
        "workItemId": nullable(INTEGER), "comment": STRING, "user": ref("User"),
        "addedByUser": ref("User"), "editedByUser": ref("User"),
        "createdTimestamp": LOCAL_TIME, "editedTimestamp": nullable(LOCAL_TIME),
        "activityType": ref("ActivityType"), "flags": ref("WorkLogFlags"),
        "isCanEdit": nullable(BOOLEAN), "isCanDelete": nullable(BOOLEAN), "id": GUID}
    return obj({key: types[key] for key in WORKLOG_KEYS})


def rest_schemas() -> dict[str, Any]:
    when = nullable(LOCAL_TIME)
    return {
        "User": USER,
        "ActivityType": ACTIVITY_TYPE,
        "ActivityTypeList": obj({"enabled": BOOLEAN, "defaultActivityTypeId": nullable(GUID),
                                 "activityTypes": {"type": "array",
                                                   "items": ref("ActivityType")}},
                                extra=True, required=["activityTypes"]),
        "Account": obj({"vstsId": GUID, "vstsCollectionId": GUID, "name": STRING, "id": GUID}),
        "Me": obj({"user": ref("User"), "account": ref("Account"),
                   "defaultActivityType": nullable(ref("ActivityType")), "timeZone": INTEGER}),
        "Role": obj({"id": GUID, "name": STRING}),
        "UserWithRole": obj({"user": ref("User"), "role": ref("Role")}),
        "WorkLogFlags": FLAGS,
        "WorkLog": worklog_schema(),
        "TimeApproval": obj({
            "id": GUID, "weekStartDate": LOCAL_TIME, "weekEndDate": LOCAL_TIME,
            "user": ref("User"), "approvalState": INTEGER, "modificationTimestamp": when,
            "submittedTimestamp": when, "approvalTimestamp": when,
            "assignedManager": nullable(ref("User")),
            "approvedByManager": nullable(ref("User"))}),
        "WorkLogInput": worklog_input_schema(),
        "Error": obj({"error": obj({
            "statusCode": INTEGER, "errorCode": STRING, "errorDescription": STRING,
            "fields": {"type": "object"}})},
            description="The 7pace error body (REST, Tracking, PIN, token, admin plane)."),
        "ODataError": obj({"error": obj({
            "code": STRING, "message": STRING, "target": nullable(STRING),
            "details": {"type": "array", "items": {"type": "object"}}}, extra=True,
            required=["code", "message"])}, description="The OData error body (Reporting)."),
    }


def worklog_input_schema() -> dict[str, Any]:
    # the bounds the server checks: rest.schemas.as_int and its workItemId check,
    # rest.service.check_length (numbers may come as strings; a pattern cannot hold a bound)
    def number(minimum: int) -> dict[str, Any]:
        assert minimum >= 0  # the pattern: no minus sign but on zeros ("-0" is 0)
        return {"anyOf": [{"type": "integer", "minimum": minimum, "maximum": INT32_MAX},
                          {"type": "string", "pattern": r"^(\+?\d+|-0+)$"}, NULL]}

    properties = {
        "timeStamp": nullable({"type": "string", "description": "ISO date or date-time (with or "
                               "without offset: without one it is the owner's local time), or "
                               "US style 12/11/2023, 1:30:00 PM; default now"}),
        "length": {**number(rest_service.LENGTH_MIN),
                   "description": "seconds (required on create, > 0)"},
        "billableLength": number(rest_service.BILLABLE_MIN),
        "workItemId": {**number(body_rules.WORK_ITEM_ID_MIN),
                       "description": "0 or null: no work item"},
        "comment": nullable(STRING),
        "userId": {**nullable(GUID), "description": "owner; another user needs Administrator"},
        "activityTypeId": nullable(GUID),
        "activityType": {**nullable(obj({"id": nullable(GUID)}, extra=True)),
                         "description": "accepted instead of activityTypeId"},
    }
    assert set(catalog.WORKLOG_BODY) <= set(properties)
    return obj(properties, required=False, extra=True, description=(
        "workLogCreationModel. Property names match without regard to case; numbers may be "
        "numeric strings; unknown properties are ignored (and reported in X-Mockpace-Warning)."))


# -- Tracking shapes -------------------------------------------------------------------------
def tracking_schemas() -> dict[str, Any]:
    work_item = obj({"id": INTEGER, "title": STRING, "color": STRING, "teamProject": STRING,
                     "type": STRING, "workItemLink": STRING, "effort": nullable({"type":
                                                                                  "number"}),
                     "parent": nullable(ref("TrackingWorkItem"))}, extra=True,
                    required=["id", "title"])
    return {
        "TrackingWorkItem": work_item,
        "TrackingState": obj({"track": {"type": "object"}, "trackSettings": obj(
            {"isTrackingStartAllowed": BOOLEAN, "responseState": STRING,
             "responseMessage": nullable(STRING)}, extra=True),
            "settings": {"type": "object"}}, extra=True, required=["track", "trackSettings"],
            description="trackingStateModel (bare by default; wrapped in {\"data\": ...} with "
                        "tracking_envelope=data)"),
        "LatestWorkLogs": obj({"count": INTEGER, "workLogs": {"type": "array", "items": obj({
            "id": GUID, "remark": nullable(STRING), "startTime": LOCAL_TIME,
            "endTime": LOCAL_TIME, "periodLength": INTEGER, "activityTypeId": nullable(GUID),
            "workItem": nullable(ref("TrackingWorkItem"))}, extra=True,
            required=["id", "periodLength"])}}, extra=True),
        "SearchResult": obj({"query": STRING, "workItems": {"type": "array", "items": obj(
            {"groupName": STRING, "workItem": ref("TrackingWorkItem")})}, "count": INTEGER},
            extra=True),
        "PinCreated": obj({"pin": {"type": "string", "pattern": r"^\d{6}$"}, "secret": STRING}),
        "PinStatus": obj({"status": {"type": "string",
                                     "enum": ["Validated", "Validating", "WrongOrExpired"]}}),
        "TokenGrant": obj({"access_token": STRING, "token_type": STRING, "expires_in": INTEGER,
                           "refresh_token": STRING, "client_id": STRING, ".issued": STRING,
                           ".expires": STRING}),
        "StartTrackingInput": obj({
            "timeZone": nullable({"type": "integer", "minimum": -840, "maximum": 840}),
            "tfsId": nullable({"type": "integer", "minimum": 0, "maximum": INT32_MAX}),
            "remark": nullable(STRING), "activityTypeId": nullable(GUID),
            "isBillable": nullable(BOOLEAN)}, required=False, extra=True),
        "SelectInput": obj({
            "tfsId": nullable({"type": "integer", "minimum": 0, "maximum": INT32_MAX}),
            "remark": nullable(STRING), "activityTypeId": nullable(GUID),
            "calculateTotals": nullable(BOOLEAN)}, required=False, extra=True),
        "AdjustInput": obj({"remark": nullable(STRING), "activityTypeId": nullable(GUID)},
                           required=False, extra=True),
    }


# -- Reporting shapes, from the EDM model ----------------------------------------------------
EDM_JSON = {"Edm.String": STRING, "Edm.Int32": INTEGER, "Edm.Int64": INTEGER,
            "Edm.Boolean": BOOLEAN, "Edm.Double": {"type": "number"},
            "Edm.Decimal": {"type": "number"}, "Edm.Guid": GUID,
            "Edm.DateTimeOffset": {"type": "string", "format": "date-time"}}


def edm_schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for type_ in edm.TYPES.values():
        properties: dict[str, Any] = {}
        for member in type_.members:
            if isinstance(member, edm.Prop):
                value = EDM_JSON.get(member.edm, STRING)
                properties[member.name] = nullable(value) if member.nullable else value
            elif isinstance(member, edm.Complex):
                properties[member.name] = nullable(ref("OData." + member.type.name))
            else:  # navigation: only present when expanded
                target = ref("OData." + member.target)
                properties[member.name] = ({"type": "array", "items": target}
                                           if member.collection else nullable(target))
        schemas["OData." + type_.name] = obj(properties, required=False, extra=True,
                                             description=f"{type_.full_name}; $select may "
                                             "leave properties out")
    return schemas


# -- parameters ------------------------------------------------------------------------------
def _int(minimum: int, maximum: int = INT32_MAX, description: str = "") -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": maximum,
            **({"description": description} if description else {})}


STAMP = {"type": "string", "description": "ISO date or date-time, exclusive bound; without an "
         "offset it is the caller's local time", "example": "2026-10-01"}
REST_PARAMS: dict[str, dict[str, Any]] = {
    "$count": _int(0, description=f"page size, default {MAX_PAGE}; larger values are served "
                   f"as {MAX_PAGE}"),
    "$skip": _int(0, description="rows to skip"),
    "$expand": {"type": "string", "description": "user.displayName fills displayName",
                "example": "user.displayName"},
    "$fromTimestamp": STAMP, "$toTimestamp": STAMP, "$fromCreatedTimestamp": STAMP,
    "$toCreatedTimestamp": STAMP,
    "$workItemIds": {"type": "string", "pattern": r"^\s*\d+(\s*,\s*\d+)*\s*$",
                     "description": f"comma-separated work item ids, at most "
                                    f"{MAX_WORK_ITEM_IDS}", "example": "101,102"},
    "$includeEditable": BOOLEAN,
    "includeNoneRoles": BOOLEAN,
    "$validateOnly": BOOLEAN, "validateOnly": BOOLEAN,
    "weekStart": {"type": "string", "format": "date"},
    "$reason": {"type": "integer", "enum": sorted(STOP_REASONS)},
}
ODATA_PARAMS: dict[str, dict[str, Any]] = {
    "$filter": {"type": "string", "example": "Timestamp ge 2026-10-01"},
    "$select": {"type": "string", "example": "Timestamp,PeriodLength"},
    "$expand": {"type": "string"}, "$orderby": {"type": "string", "example": "Timestamp desc"},
    "$top": _int(0), "$skip": _int(0), "$count": BOOLEAN,
    "$format": {"type": "string", "enum": ["json"]},
    "$apply": {"type": "string"}, "$search": {"type": "string"}, "$levels": {"type": "string"},
    "$skiptoken": {"type": "string"},
    "worklogsFilter": {"type": "string"}, "workItemsFilter": {"type": "string"},
    "workItemFilterApplyTarget": {"type": "string"},
    "customFields": {"type": "string", "example": "Custom.Customer"},
    "rollupFields": {"type": "string"}, "prefilter": {"type": "string"},
}
PATH_PARAMS: dict[str, dict[str, Any]] = {
    "id": GUID, "expand": BOOLEAN, "count": _int(0, LATEST_MAX),
    "reason": {"type": "integer", "enum": sorted(STOP_REASONS)},
    "selectedOption": {"type": "integer", "enum": sorted(IDLE_OPTIONS)},
    "version": {"type": "string", "enum": list(REPORTING_VERSIONS)},
    "set": {"type": "string", "enum": [s.name for s in edm.ENTITY_SETS]},
    "key": {"type": "string"}, "navigation": {"type": "string", "enum": [
        "Children", "Parent", "ParentItem", "Root", "DirectWorklogs", "AllWorklogs",
        "Worklogs", "WorkItems"]},
}


def query_parameter(name: str, schema: dict[str, Any], required: bool = False
                    ) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    found = [{"name": name, "in": "path", "required": True, "schema": PATH_PARAMS[name]}
             for name in re.findall(r"\{([^}]+)\}", endpoint.path)]
    if endpoint.surface != "reporting" and endpoint.path != "/token":
        versions = TRACKING_VERSIONS if "/tracking/" in endpoint.path or "/pin/" in \
            endpoint.path else REST_VERSIONS
        found.append(query_parameter("api-version", {"type": "string", "enum": list(versions),
                                                     "default": "3.2"}, required=True))
    table = ODATA_PARAMS if endpoint.surface == "reporting" else REST_PARAMS
    found += [query_parameter(name, table[name]) for name in endpoint.params]
    return found


# -- bodies and responses ----------------------------------------------------------------------
def json_body(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
    return {"required": True, "content": {media: {"schema": schema}}}


def request_body(endpoint: Endpoint) -> dict[str, Any] | None:
    path, method = endpoint.path.lower(), endpoint.method
    if path.endswith("/worklogs/batch"):
        return json_body({"type": "array", "items": ref("WorkLogInput"), "maxItems": 500})
    if (path.endswith("/worklogs") and method == "POST") or (
            "/worklogs/{" in path and method == "PATCH"):
        return json_body(ref("WorkLogInput"))
    bodies: dict[str, dict[str, Any]] = {
        "/users/roles": obj({"skipErrors": BOOLEAN, "users": {"type": "array", "items": obj(
            {"id": GUID, "vstsId": GUID, "email": STRING, "role": obj(
                {"id": GUID, "name": STRING}, required=False, extra=True)},
            required=["role"], extra=True)}}, required=["users"], extra=True),
        "/timeapproval/week": obj({"weekStart": {"type": "string", "format": "date"},
                                   "assignedManagerId": GUID}, required=["weekStart"],
                                  extra=True),
        "/starttracking": ref("StartTrackingInput"), "/selected": ref("SelectInput"),
        "/adjust": ref("AdjustInput"),
        "/search": {"anyOf": [_int(0), {"type": "string", "pattern": r"^\d+$"},
                              obj({"query": {"anyOf": [_int(0), STRING]}})]},
        "/searchbyquery": obj({"query": STRING}, extra=True),
        "/pin/status": {"type": "string", "description": "the PIN secret"},
    }
    for suffix, schema in bodies.items():
        if path.endswith(suffix) and method in ("POST", "PATCH"):
            return json_body(schema)
    if path == "/token":
        return json_body(obj({"client_id": {"type": "string", "enum": ["OpenApi"]},
                              "grant_type": {"type": "string", "enum": [
                                  "authorization_code", "refresh_token"]},
                              "code": STRING, "refresh_token": STRING},
                             required=["client_id", "grant_type"]),
                         "application/x-www-form-urlencoded")
    if path.endswith("/$query"):
        return json_body({"type": "string", "example": "$filter=WorkItemId in (101,102)"},
                         "text/plain")
    return None


def envelope(schema: dict[str, Any]) -> dict[str, Any]:
    return obj({"data": schema})


def success(endpoint: Endpoint) -> dict[str, Any]:
    """The 200 answer: the REST envelope, the bare tracking model, the OData payload."""
    path = endpoint.path
    lower = path.lower()
    if endpoint.surface == "reporting":
        if lower.endswith("/$metadata"):
            return {"description": "EDMX 4.0", "content": {"application/xml": {
                "schema": STRING}}}
        return {"description": "OData JSON", "content": {
            "application/json": {"schema": odata_payload(endpoint)}}}
    rest: dict[str, Any] = {
        "/me": ref("Me"), "/users": {"type": "array", "items": ref("User")},
        "/users/{id}": ref("User"),
        "/users/roles": {"type": "array", "items": ref("UserWithRole")},
        "/activitytypes": ref("ActivityTypeList"), "/activitytypes/{id}": ref("ActivityType"),
        "/worklogs": {"type": "array", "items": ref("WorkLog")},
        "/worklogs/all": {"type": "array", "items": ref("WorkLog")},
        "/worklogs/{id}": ref("WorkLog"),
        "/timeapproval/all": {"type": "array", "items": ref("TimeApproval")},
        "/timeapproval/week": BOOLEAN,
    }
    schema: dict[str, Any]
    if lower.endswith("/worklogs/batch"):
        schema = {"type": "array", "items": ref("WorkLog")}  # bare, as the vendor's spec says
    elif endpoint.surface == "rest":
        tail = lower.removeprefix("/api/rest")
        if endpoint.method == "POST" and tail == "/worklogs":
            tail = "/worklogs/{id}"
        if endpoint.method == "POST" and tail == "/users/roles":
            schema = envelope(obj({"succeeded": INTEGER, "failed": INTEGER, "failedEntries": {
                "type": "array", "items": obj({"entity": {}, "error": obj(
                    {"message": STRING}, extra=True)}, extra=True)}}))
        elif endpoint.method == "DELETE" and tail.startswith("/worklogs/"):
            schema = envelope(NULL)
        else:
            schema = envelope(rest[tail])
    elif lower.endswith("/pin/create"):
        schema = ref("PinCreated")
    elif lower.endswith("/pin/status"):
        schema = ref("PinStatus")
    elif lower == "/token":
        schema = ref("TokenGrant")
    elif "/latest" in lower:
        schema = ref("LatestWorkLogs")
    elif "/search" in lower:
        schema = ref("SearchResult")
    else:
        schema = ref("TrackingState")
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def odata_payload(endpoint: Endpoint) -> dict[str, Any]:
    name = endpoint.path.rsplit("/", 1)[-1]
    by_set = {s.name: s.type for s in edm.ENTITY_SETS}
    context = {"@odata.context": STRING}
    if endpoint.path.endswith("/{version}"):
        return obj({**context, "value": {"type": "array", "items": obj(
            {"name": STRING, "kind": STRING, "url": STRING})}}, extra=True)
    row: dict[str, Any] = (ref("OData." + by_set[name]) if name in by_set
                           else {"type": "object"})
    collection = obj({**context, "value": {"type": "array", "items": row},
                      "@odata.count": INTEGER, "@odata.nextLink": STRING},
                     required=["value"], extra=True)
    if "{key}" in endpoint.path and "{navigation}" not in endpoint.path:
        return {"type": "object", "description": "the entity, or a collection"}
    return collection


ERRORS = {400: "bad parameter or body", 401: "missing or unknown token",
          403: "the caller's role lacks the right", 404: "unknown entity or route",
          409: "the week is approved (locked)", 413: "more than 500 batch items",
          422: "the worklog breaks a rule", 429: "rate limit (Retry-After)",
          501: "an OData feature mockpace does not implement",
          503: "the database is busy (Retry-After)"}


def error_statuses(endpoint: Endpoint) -> list[int]:
    if endpoint.surface == "reporting":
        return [400, 401, 404, 429, 501, 503]
    statuses = [400, 401, 404, 429, 503]
    if endpoint.path in ("/api/pin/create", "/api/pin/status", "/token"):
        return statuses
    statuses.append(403)
    if endpoint.surface == "rest" and endpoint.method in ("POST", "PATCH", "DELETE"):
        statuses += [409, 413, 422]
    return sorted(statuses)


def operation(endpoint: Endpoint) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": success(endpoint)}
    body_name = "ODataError" if endpoint.surface == "reporting" else "Error"
    for status in error_statuses(endpoint):
        responses[str(status)] = {"description": ERRORS[status], "content": {
            "application/json": {"schema": ref(body_name)}}}
    op: dict[str, Any] = {
        "tags": [{"rest": "REST", "tracking": "Tracking", "reporting": "Reporting"}[
            endpoint.surface] if not endpoint.path.startswith(("/api/pin", "/token"))
            else "PIN pairing"],
        "summary": f"{endpoint.method} {endpoint.path}",
        "operationId": operation_id(endpoint),
        "parameters": parameters(endpoint),
        "responses": responses,
    }
    if endpoint.notes:
        op["description"] = endpoint.notes
    body = request_body(endpoint)
    if body is not None:
        op["requestBody"] = body
    if endpoint.path.startswith(("/api/pin", "/token")):
        op["security"] = []
    return op


def operation_id(endpoint: Endpoint) -> str:
    words = re.split(r"[^A-Za-z0-9]+", endpoint.path.removeprefix("/api/"))
    return endpoint.method.lower() + "_" + "_".join(w for w in words if w)


def build(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(title=app.title, version=app.version, description=app.description,
                           routes=app.routes, tags=app.openapi_tags)
    paths = {p: ops for p, ops in document["paths"].items() if p.startswith("/_mockpace")}
    for ops in paths.values():
        for op in ops.values():
            # Admin errors are the 7pace body (a bad value is 400, never FastAPI's 422 shape).
            op["responses"].pop("422", None)
            op["responses"].setdefault("400", {"description": "bad value", "content": {
                "application/json": {"schema": ref("Error")}}})
            op["security"] = []
    for endpoint in catalog.ENDPOINTS:
        if endpoint.status == "none" and not endpoint.path.startswith("/api/odata"):
            continue
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation(endpoint)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas.update(rest_schemas())
    schemas.update(tracking_schemas())
    schemas.update(edm_schemas())
    document["components"]["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer",
                   "description": "a user's personal token (mockpace tokens)"},
        "basic": {"type": "http", "scheme": "basic",
                  "description": "any user name, the token as password (Excel, Power BI)"},
    }
    document["security"] = [{"bearer": []}, {"basic": []}]
    document["paths"] = paths
    document["tags"] = [*(document.get("tags") or []), *(
        {"name": name, "description": text} for name, text in (
            ("REST", "7pace REST CRUD API: /api/rest (on-prem: /api/{collection}/rest)"),
            ("Tracking", "7pace Tracking client API: /api/tracking/client"),
            ("PIN pairing", "how desktop clients obtain a token"),
            ("Reporting", "7pace Reporting API (OData v4): /api/odata/v3.x")))]
    return document


def install(app: FastAPI) -> None:
    """Serve the document built here as the app's OpenAPI document (built on first use)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
