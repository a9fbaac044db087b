"""The documented 7pace contract in one table: every endpoint with its query parameters and body
properties (the 7pace REST, Tracking and Reporting contracts). Contract diagnostics check requests
against it and the coverage table (``docs/coverage.md``, ``GET /_mockpace/coverage``) lists it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

WORKLOG_BODY = ("timeStamp", "length", "billableLength", "workItemId", "comment", "userId",
                "activityTypeId")
LIST_PARAMS = ("$count", "$skip", "$expand")
WORKLOG_FILTERS = ("$fromTimestamp", "$toTimestamp", "$fromCreatedTimestamp",
                   "$toCreatedTimestamp", "$workItemIds", "$includeEditable")
# REST query parameters whose value is a user-local time when it has no offset.
TIMESTAMP_PARAMS = ("$fromTimestamp", "$toTimestamp", "$fromCreatedTimestamp",
                    "$toCreatedTimestamp")
TIMESTAMP_BODY = ("timeStamp",)

ODATA_OPTIONS = ("$filter", "$select", "$expand", "$orderby", "$top", "$skip", "$apply",
                 "$count", "$format", "$search", "$levels", "$skiptoken")
ODATA_EXTENSIONS = ("worklogsFilter", "workItemsFilter", "workItemFilterApplyTarget",
                    "customFields", "rollupFields", "prefilter")
ODATA_SETS = ("workLogsOnly", "workLogsWorkItems", "workItems", "workItemsHierarchy",
              "workItemsHierarchyAllLevels", "budgets", "workLogsOnlyWithDeleted",
              "workLogsWorkItemsWithDeleted")
# Status and notes of sets that need more than the default ("full", no note).
SET_STATUS: dict[str, tuple[str, str]] = {
    "workItemsHierarchy": ("full", "roots only; subtree roll-ups in SQL"),
    "workItemsHierarchyAllLevels": ("full", "every level; subtree roll-ups in SQL"),
}


@dataclass(frozen=True)
class Endpoint:
    surface: str  # rest | tracking (with PIN and token) | reporting
    method: str
    path: str  # display form, as documented, e.g. /api/rest/workLogs/{id}
    params: tuple[str, ...] = ()
    body: tuple[str, ...] | None = None  # documented properties of a JSON object body
    body_is_array: bool = False
    status: str = "full"  # intended status; "none" when no route serves it
    notes: str = ""

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compile(self.path)


_PATTERNS: dict[str, re.Pattern[str]] = {}


def _compile(path: str) -> re.Pattern[str]:
    found = _PATTERNS.get(path)
    if found is None:
        parts = []
        for piece in re.split(r"(\{[^}]+\})", path):
            if piece.startswith("{"):
                parts.append("[^/]+")
            else:
                parts.append(re.escape(piece))
        found = re.compile("^" + "".join(parts) + "$", re.IGNORECASE)
        _PATTERNS[path] = found
    return found


R, T, OD = "/api/rest", "/api/tracking/client", "/api/odata/{version}"

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("rest", "GET", f"{R}/me", ("$expand",)),
    Endpoint("rest", "GET", f"{R}/users", LIST_PARAMS),
    Endpoint("rest", "GET", f"{R}/users/roles", ("includeNoneRoles", *LIST_PARAMS),
             notes="userWithRole shape is not documented; mockpace returns user + role"),
    Endpoint("rest", "POST", f"{R}/users/roles", body=("skipErrors", "users")),
    Endpoint("rest", "GET", f"{R}/users/{{id}}", ("$expand",)),
    Endpoint("rest", "GET", f"{R}/activityTypes"),
    Endpoint("rest", "GET", f"{R}/activityTypes/{{id}}"),
    Endpoint("rest", "GET", f"{R}/workLogs", (*LIST_PARAMS, *WORKLOG_FILTERS)),
    Endpoint("rest", "GET", f"{R}/workLogs/all", (*LIST_PARAMS, *WORKLOG_FILTERS)),
    Endpoint("rest", "POST", f"{R}/workLogs/batch", ("$validateOnly", "validateOnly", "$expand"),
             body=WORKLOG_BODY, body_is_array=True,
             notes="bare array response; all-or-nothing; validateOnly with or without $"),
    Endpoint("rest", "GET", f"{R}/workLogs/{{id}}", ("$expand", "$includeEditable")),
    Endpoint("rest", "POST", f"{R}/workLogs", ("$expand",), body=WORKLOG_BODY),
    Endpoint("rest", "PATCH", f"{R}/workLogs/{{id}}", ("$expand",), body=WORKLOG_BODY),
    Endpoint("rest", "DELETE", f"{R}/workLogs/{{id}}", notes="soft delete"),
    Endpoint("rest", "GET", f"{R}/timeApproval/all", (*LIST_PARAMS, "$fromTimestamp",
                                                      "$toTimestamp"),
             notes="no real capture exists; shape from the generated client"),
    Endpoint("rest", "POST", f"{R}/timeApproval/week", body=("weekStart", "assignedManagerId")),
    Endpoint("rest", "DELETE", f"{R}/timeApproval/week", ("weekStart",)),
    Endpoint("tracking", "GET", f"{T}/current", ("$expand",)),
    Endpoint("tracking", "GET", f"{T}/current/{{expand}}"),
    Endpoint("tracking", "POST", f"{T}/selected",
             body=("tfsId", "remark", "activityTypeId", "calculateTotals")),
    Endpoint("tracking", "GET", f"{T}/latest", ("$count",)),
    Endpoint("tracking", "GET", f"{T}/latest/{{count}}"),
    Endpoint("tracking", "POST", f"{T}/startTracking",
             body=("timeZone", "tfsId", "remark", "activityTypeId", "isBillable")),
    Endpoint("tracking", "POST", f"{T}/stopTracking", ("$reason",)),
    Endpoint("tracking", "POST", f"{T}/stopTracking/{{reason}}"),
    Endpoint("tracking", "POST", f"{T}/idleCheck/{{selectedOption}}"),
    Endpoint("tracking", "POST", f"{T}/activityCheck"),
    Endpoint("tracking", "POST", f"{T}/adjust", body=("remark", "activityTypeId")),
    Endpoint("tracking", "POST", f"{T}/search", notes="body: a bare work item id"),
    Endpoint("tracking", "POST", f"{T}/searchByQuery", body=("query",)),
    Endpoint("tracking", "POST", "/api/pin/create"),
    Endpoint("tracking", "POST", "/api/pin/status", notes="body: the secret as a JSON string"),
    Endpoint("tracking", "POST", "/token", notes="OAuth2 form body (grant_type, ...)"),
    Endpoint("reporting", "GET", f"{OD}", notes="service document"),
    Endpoint("reporting", "GET", f"{OD}/$metadata", notes="EDMX generated from the model"),
    *(Endpoint("reporting", "GET", f"{OD}/{name}", (*ODATA_OPTIONS, *ODATA_EXTENSIONS),
               status=SET_STATUS.get(name, ("full", ""))[0],
               notes=SET_STATUS.get(name, ("", "3.3-beta only" if name.endswith(
                   "WithDeleted") else ""))[1])
      for name in ODATA_SETS),
    Endpoint("reporting", "GET", f"{OD}/{{set}}({{key}})", (*ODATA_OPTIONS, *ODATA_EXTENSIONS),
             notes="single entity by key"),
    Endpoint("reporting", "GET", f"{OD}/{{set}}({{key}})/{{navigation}}",
             (*ODATA_OPTIONS, *ODATA_EXTENSIONS),
             notes="Children, Parent, Root, DirectWorklogs, AllWorklogs, Worklogs, WorkItems"),
    Endpoint("reporting", "POST", f"{OD}/{{set}}/$query", (*ODATA_OPTIONS, *ODATA_EXTENSIONS),
             notes="text/plain body with the query string; next link is a GET link"),
)

# OData features (no path of their own) for the coverage table.
ODATA_FEATURES: tuple[tuple[str, str, str], ...] = (
    ("$filter", "full", "SQL; OData null semantics; one-element in"),
    ("$select", "full", "paths into complex properties; whole WorkItem/Budget refused"),
    ("$expand", "full", "Parent/Root with nested $select"),
    ("$orderby", "full", "several keys, paths"),
    ("$top / $skip", "full", "nextLink paging, Prefer: odata.maxpagesize"),
    ("$count", "full", "@odata.count"),
    ("$apply: filter, compute, groupby, aggregate", "full",
     "one SQL statement; sum, min, max, average, countdistinct, $count; paged like a set"),
    ("$apply: topcount/topsum/toppercent/bottom*, identity, concat, expand, search, nest, "
     "orderby/top/skip, ancestors/descendants/traverse, join, rollup, aggregate...from, "
     "custom aggregation methods", "none", "501 naming the part"),
    ("worklogsFilter / workItemsFilter / workItemFilterApplyTarget", "full", ""),
    ("customFields / prefilter", "full", "customFields: 5 slots per type"),
    ("rollupFields", "full", "hierarchy sets: up to 5 numeric fields summed over subtrees"),
    ("$search / $batch", "none", "501 naming the option"),
)


@lru_cache(maxsize=4096)
def match(method: str, path: str) -> Endpoint | None:
    """The endpoint a routed path (normalized, collection removed) addresses, if documented.
    A known path with an undocumented method is not matched (the route answers 405)."""
    candidates = [e for e in _by_method().get(method.upper(), ()) if e.pattern.match(path)]
    if not candidates:
        return None
    # Literal segments beat placeholders: workLogs/all over workLogs/{id}.
    return min(candidates, key=lambda e: e.path.count("{"))


_METHOD_INDEX: dict[str, list[Endpoint]] = {}


def _by_method() -> dict[str, list[Endpoint]]:
    if not _METHOD_INDEX:
        for endpoint in ENDPOINTS:
            _METHOD_INDEX.setdefault(endpoint.method, []).append(endpoint)
    return _METHOD_INDEX


def coverage(routes: Any = None) -> list[dict[str, Any]]:
    """The coverage rows. With the app's routes, an endpoint no route serves is ``none``."""
    rows = []
    for endpoint in ENDPOINTS:
        status = endpoint.status
        if routes is not None and not served(routes, endpoint):
            status = "none"
        rows.append({"surface": endpoint.surface, "method": endpoint.method,
                     "path": endpoint.path, "status": status, "notes": endpoint.notes})
    for feature, status, notes in ODATA_FEATURES:
        rows.append({"surface": "reporting", "method": "GET", "path": f"{OD}/{{set}}?{feature}",
                     "status": status, "notes": notes})
    return rows


def _example(path: str) -> str:
    samples = {"{version}": "v3.2", "{set}": "workItems", "{key}": "1", "{navigation}": "Children",
               "{id}": "00000000-0000-0000-0000-000000000001", "{expand}": "true",
               "{count}": "5", "{reason}": "0", "{selectedOption}": "0"}
    for key, value in samples.items():
        path = path.replace(key, value)
    if "/odata/" in path:
        head, _, tail = path.partition("/odata/v3.2")
        return head + "/odata/v3.2" + tail
    return path.lower()


def _leaf_routes(routes: Any) -> Any:
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI's included-router wrapper
        if inner is not None:
            yield from _leaf_routes(inner.routes)
        else:
            yield route


def served(routes: Any, endpoint: Endpoint) -> bool:
    """Whether a route of the app answers this endpoint (tried with an example path)."""
    from starlette.routing import Match

    path = _example(endpoint.path)
    scope = {"type": "http", "path": path, "method": endpoint.method, "root_path": ""}
    return any(route.matches(scope)[0] == Match.FULL for route in _leaf_routes(routes))


def coverage_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "# mockpace coverage",
        "",
        "Every 7pace endpoint and Reporting (OData) feature of the contract, with its status in",
        "mockpace. Generated by `mockpace coverage > docs/coverage.md`; the same",
        "table is served at `GET /_mockpace/coverage`.",
        "",
        "| surface | method | path | status | notes |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        path = row["path"].replace("|", "\\|")
        lines.append(f"| {row['surface']} | {row['method']} | `{path}` | {row['status']} | "
                     f"{row['notes']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    from mockpace.app import create_app

    print(coverage_markdown(coverage(create_app().router.routes)), end="")


if __name__ == "__main__":
    main()
