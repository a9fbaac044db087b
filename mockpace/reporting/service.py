"""The Reporting API's rules: path resolution, 7pace parameters, paging, the response envelope.

The router hands over the path after the version segment and the raw query strings; this module
answers with (status, body bytes, headers). Everything is computed in SQL by query/engine.py.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.exc import StatementError

from mockpace.common import limits
from mockpace.common.auth import Caller
from mockpace.common.errors import ODataError, sqlite_limit
from mockpace.reporting import edm, metadata
from mockpace.reporting.edm import Complex, Nav, Params, Ref, Scope, StructuredType
from mockpace.reporting.query import apply, engine
from mockpace.reporting.query import filter as flt
from mockpace.reporting.query.options import (
    Options,
    parse_bool,
    parse_int,
    parse_options,
    parse_select,
)

JSON_TYPE = "application/json; odata.metadata=minimal; odata.streaming=true"
BASE_HEADERS = {"OData-Version": "4.0"}
MAX_CUSTOM_FIELDS = 5
_FIELD_NAME = re.compile(r"[A-Za-z_][\w.]*")
_PATH = re.compile(
    r"^(?P<set>[A-Za-z_]\w*)(?:\((?P<key>[^()]*)\))?(?:/(?P<nav>[A-Za-z_]\w*))?"
    r"(?:/(?P<tail>\$\w+))?$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


@dataclass
class Answer:
    status: int
    body: bytes
    media_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=lambda: dict(BASE_HEADERS))


def json_answer(payload: dict[str, Any], headers: dict[str, str] | None = None) -> Answer:
    return Answer(200, orjson.dumps(payload), JSON_TYPE, {**BASE_HEADERS, **(headers or {})})


def service_root(root: str, version: str) -> Answer:
    return json_answer(metadata.service_document(root, version))


def metadata_document(version: str) -> Answer:
    return Answer(200, metadata.edmx(version).encode(), "application/xml; charset=utf-8")


def handle(caller: Caller, version: str, root: str, rest: str, query_strings: list[str],
           *, method: str, prefer: str | None) -> Answer:
    try:
        return _handle(caller, version, root, rest, query_strings, method=method, prefer=prefer)
    except (StatementError, sqlite3.Error) as exc:
        # nearly every query runs on the raw sqlite3 connection (engine._raw_rows), the rest
        # through SQLAlchemy: both map the same way
        raise _db_error(exc) from None


# SQLite's errors that say the server cannot work, whatever the query: a 500, not the client's
SERVER_FAULTS = ("disk i/o error", "unable to open", "disk is full", "readonly database",
                 "no such table", "malformed", "not a database", "interrupted",
                 "closed database")


def _db_error(exc: Exception) -> Exception:
    """A database error of a query: a statement SQLite refused (or a value SQLAlchemy could not
    bind, no database error) is the query's 400 with SQLite's message, which names no SQL text
    nor bound value. The app's handler answers the rest, as on every API: a busy database is
    503, a SQLite limit reached by the input's size a 400 naming it, a fault of the server a
    500 without SQL text."""
    orig = exc.orig if isinstance(exc, StatementError) else exc
    if isinstance(orig, sqlite3.Error):
        text_ = str(orig).lower()
        if not isinstance(orig, sqlite3.OperationalError) or "locked" in text_ or \
                sqlite_limit(orig) is not None or \
                any(fault in text_ for fault in SERVER_FAULTS):
            return exc
    detail = str(orig).splitlines()[0] if str(orig) else type(orig).__name__
    return ODataError(f"The query could not be executed: {detail}.", status=400)


def _handle(caller: Caller, version: str, root: str, rest: str, query_strings: list[str],
            *, method: str, prefer: str | None) -> Answer:
    if rest.lower() == "$metadata":
        return metadata_document(version)
    if rest.lower() == "$batch":
        raise ODataError("$batch is not implemented by mockpace; send the requests one by one.",
                         status=501, code="NotImplemented", target="$batch")
    match = _PATH.match(rest)
    if not match:
        raise ODataError(f"No resource matches the path '{rest}' under the Reporting API "
                         f"{version}.", status=404, code="NotFound")
    set_name, key_text, nav_name, tail = match.group("set", "key", "nav", "tail")
    entity_set = edm.find_set(set_name, version)
    if entity_set is None:
        planned = [p for p in edm.PLANNED_SETS if p.lower() == set_name.lower()]
        if planned:
            raise ODataError(f"The entity set '{planned[0]}' is not implemented by mockpace yet.",
                             status=501, code="NotImplemented")
        names = ", ".join(s.name for s in edm.entity_sets(version))
        raise ODataError(f"Unknown entity set '{set_name}' in API {version}. Available: "
                         f"{names}.", status=404, code="NotFound")
    tail = (tail or "").lower()
    if method == "POST" and tail != "$query":
        raise ODataError(f"The path '{rest}' does not support POST; POST {{set}}/$query with a "
                         "text/plain body.", status=405, code="MethodNotAllowed")
    if tail and tail not in ("$query", "$count"):
        raise ODataError(f"Unknown path segment '{tail}'.", status=404, code="NotFound")
    options = parse_options(*query_strings)
    fmt = options.get("format")
    if fmt is not None and not fmt.lower().startswith(("json", "application/json")):
        raise ODataError(f"Unsupported $format '{fmt}': only json.", target="$format")
    set_type = edm.TYPES[entity_set.type]
    with caller.context.org.store.engine.connect() as conn, conn.begin():  # one snapshot
        params = Params(version=version)
        qc = engine.QueryContext(version, params, caller.context.now())
        qc.seven_pace = seven_pace_conditions(qc, options, caller, conn)
        link_path = rest[: -len("/$query")] if tail == "$query" else rest
        if key_text is None:
            if nav_name is not None:
                raise ODataError(f"'{nav_name}' needs a key: {entity_set.name}(key)/{nav_name}.",
                                 status=404, code="NotFound")
            qc.params.rollup_fields = rollup_fields(conn, set_type, options.get("rollupfields"))
            return collection(conn, qc, set_type, options, root=root, link_path=link_path,
                              context=f"{entity_set.name}", page_size=entity_set.page_size,
                              prefer=prefer, extra=entity_set.where,
                              count_only=tail == "$count",
                              extra_key=None if entity_set.where is None else entity_set.name)
        key = parse_key(set_type, key_text)
        if nav_name is None:
            qc.seven_pace = None
            qc.params.rollup_fields = rollup_fields(conn, set_type, options.get("rollupfields"))
            row = engine.run_single(conn, qc, set_type, options, key)
            if row is None:
                raise ODataError(f"No entity in '{entity_set.name}' has the key {key_text}.",
                                 status=404, code="NotFound")
            return json_answer({"@odata.context": f"{root}/$metadata#{entity_set.name}/$entity",
                                **row})
        nav = set_type.member(nav_name, version)
        if not isinstance(nav, Nav):
            raise ODataError(f"'{nav_name}' is not a navigation property of {set_type.name} in "
                             f"API {version}.", status=404, code="NotFound")
        if not _exists(conn, qc, set_type, key):
            raise ODataError(f"No entity in '{entity_set.name}' has the key {key_text}.",
                             status=404, code="NotFound")
        target = edm.TYPES[nav.target]
        qc.params.rollup_fields = rollup_fields(conn, target, options.get("rollupfields"))
        if nav.collection:
            bound = edm.find_set(nav.bound_set or "", version)
            page_size = nav.page_size or (bound.page_size if bound else 1000)
            # a contained collection (hierarchy Children) is described by its path
            context = nav.bound_set or f"{entity_set.name}({key_text})/{nav.name}"

            def owned(ref: Ref) -> list[Any]:
                if nav.owner is not None:
                    return [nav.owner(ref) == key]
                assert nav.owner_for_keys is not None
                nav.owner_for_keys(ref, [key])
                return []

            return collection(conn, qc, target, options, root=root, link_path=link_path,
                              context=context, page_size=page_size,
                              prefer=prefer, extra=owned, count_only=tail == "$count",
                              extra_key=(set_type.name, nav.name, key))
        target_key = _single_nav_key(conn, qc, set_type, nav, key)
        if target_key is None:
            return Answer(204, b"", JSON_TYPE)
        qc.seven_pace = None
        row = engine.run_single(conn, qc, target, options, target_key)
        if row is None:
            return Answer(204, b"", JSON_TYPE)
        context = f"{entity_set.name}({key_text})/{nav.name}/$entity"
        return json_answer({"@odata.context": f"{root}/$metadata#{context}", **row})


def parse_key(t: StructuredType, text_key: str) -> Any:
    raw = text_key.strip()
    if "=" in raw:
        name, _, raw = raw.partition("=")
        if name.strip().lower() != (t.key or "").lower():
            raise ODataError(f"Invalid key '{text_key}': the key property is {t.key}.",
                             target=t.key)
        raw = raw.strip()
    if t.key_prop().edm == "Edm.Int32":
        try:
            return limits.parse_int(raw, minimum=limits.INT32_MIN, maximum=limits.INT32_MAX)
        except limits.NumberError:
            raise ODataError(f"Invalid key '{limits.echo(text_key)}': {t.key} is an Edm.Int32.",
                             target=t.key) from None
    if raw.startswith("'") and raw.endswith("'") and len(raw) > 1:
        raw = raw[1:-1]
    if not _GUID.match(raw):
        raise ODataError(f"Invalid key '{text_key}': {t.key} is an Edm.Guid "
                         "(e.g. 7c9e6679-7425-40de-944b-e07fc1f90ae7).", target=t.key)
    return raw.lower()


def _exists(conn: Any, qc: engine.QueryContext, t: StructuredType, key: Any) -> bool:
    scope = Scope(t.table.alias("s"), qc.params)
    ref = scope.root()
    where = [engine.key_expr(t, ref) == key] + (t.base_where(ref) if t.base_where else [])
    return conn.execute(select(func.count()).select_from(scope.from_clause()).where(*where)) \
        .scalar_one() > 0


def _single_nav_key(conn: Any, qc: engine.QueryContext, t: StructuredType, nav: Nav,
                    key: Any) -> Any:
    scope = Scope(t.table.alias("s"), qc.params)
    ref = scope.root()
    assert nav.ref is not None
    child = nav.ref(ref)
    stmt = select(child.c.id).select_from(scope.from_clause()) \
        .where(engine.key_expr(t, ref) == key)
    return conn.execute(stmt).scalar()


def _page_size(default: int, prefer: str | None) -> tuple[int, bool]:
    if prefer:
        match = re.search(r"odata\.maxpagesize\s*=\s*([0-9]{1,18})(?![0-9])", prefer, re.I)
        if match:  # a longer number is larger than any page: the default applies
            wanted = int(match.group(1))
            if 0 < wanted < default:
                return wanted, True
    return default, False


def collection(conn: Any, qc: engine.QueryContext, t: StructuredType, options: Options, *,
               root: str, link_path: str, context: str, page_size: int, prefer: str | None,
               extra: Callable[[Ref], list[Any]] | None, count_only: bool,
               extra_key: Any = None) -> Answer:
    top = parse_int(options.get("top"), "$top")
    skip = parse_int(options.get("skip"), "$skip") or 0
    with_count = parse_bool(options.get("count"), "$count")
    apply_text = options.get("apply")
    if apply_text is not None:
        plan = _apply_plan(qc, t, apply_text, extra)
        if plan.final is not None:
            return _grouped(conn, qc, plan, options, root=root, link_path=link_path,
                            context=context, page_size=page_size, prefer=prefer,
                            count_only=count_only, top=top, skip=skip, with_count=with_count)
        assert plan.entity is not None
        t = plan.entity  # filter/compute only: entities with the computed properties
    if count_only:
        only_filter = Options(values={k: v for k, v in options.values.items() if k == "filter"})
        page = engine.run_collection(conn, qc, t, only_filter, extra=extra, limit=0,
                                     with_count=True)
        return Answer(200, str(page.count).encode(), "text/plain", dict(BASE_HEADERS))
    size, applied = _page_size(page_size, prefer)
    limit = size if top is None else min(size, top)
    default_order = "Timestamp" if t.table is edm.WL else None
    cache_key = None
    if extra is None or extra_key is not None:
        shaping = tuple(sorted((k, v) for k, v in options.values.items()
                               if k not in ("top", "skip", "count")))
        cache_key = (qc.version, t.name, shaping, default_order, extra_key, qc.cache_token)
    page = engine.run_collection(conn, qc, t, options, extra=extra, limit=limit, skip=skip,
                                 with_count=with_count, default_order=default_order,
                                 cache_key=cache_key, as_json=True)
    select_text = options.get("select")
    ctx = f"{root}/$metadata#{context}"
    if select_text:
        ctx += f"({_select_context(t, qc.version, select_text)})"
    body: dict[str, Any] = {"@odata.context": ctx}
    if page.count is not None:
        body["@odata.count"] = page.count
    body["value"] = page.rows
    link = next_link(options, root, link_path, skip=skip, top=top, returned=page.returned,
                     more=page.more)
    if link is not None:
        body["@odata.nextLink"] = link
    headers = {"Preference-Applied": f"odata.maxpagesize={size}"} if applied else {}
    if page.json is None:
        return json_answer(body, headers)
    # Rows rendered by SQLite: splice them into the envelope (same key order as the dict).
    head = orjson.dumps({k: v for k, v in body.items() if k != "@odata.nextLink"})
    value = b'"value":[' + ",".join(page.json).encode() + b"]"
    tail = b"}"
    if "@odata.nextLink" in body:
        tail = b',"@odata.nextLink":' + orjson.dumps(body["@odata.nextLink"]) + b"}"
    return Answer(200, head[: -len(b'"value":[]}')] + value + tail, JSON_TYPE,
                  {**BASE_HEADERS, **headers})


def _select_context(t: StructuredType, version: str, select_text: str) -> str:
    """The `$select` paths of `@odata.context` as the model spells them (the request may
    write them in another case; run_collection has validated them already)."""
    paths = []
    for path, _pos in parse_select(select_text):
        owner: StructuredType | None = t
        names = []
        for segment in path:
            member = owner.member(segment, version) if owner is not None else None
            names.append(segment if member is None else member.name)
            owner = member.type if isinstance(member, Complex) else None
        paths.append("/".join(names))
    return ",".join(paths)


def next_link(options: Options, root: str, link_path: str, *, skip: int, top: int | None,
              returned: int, more: bool) -> str | None:
    """The absolute URL of the next page: the options as sent, the remaining `$top` and the
    next `$skip` (docs/emulation.md s8), or None on the last page."""
    remaining = None if top is None else top - returned
    if not more or (remaining is not None and remaining <= 0):
        return None
    pairs = [(n, v) for n, v in options.raw
             if n.strip().lower().lstrip("$") not in ("skip", "top")]
    if remaining is not None:
        pairs.append(("$top", str(remaining)))
    pairs.append(("$skip", str(skip + returned)))
    query = urlencode(pairs, quote_via=quote, safe="$/,()':")
    return f"{root}/{link_path}?{query}"


# ---------------------------------------------------------------------------------------------
# $apply
# ---------------------------------------------------------------------------------------------
def _apply_plan(qc: engine.QueryContext, t: StructuredType, text: str,
                extra: Callable[[Ref], list[Any]] | None) -> apply.Plan:
    original = qc.seven_pace
    if original is not None:
        def seven_pace(_t: StructuredType, ref: Ref) -> list[ColumnElement[bool]]:
            return original(t, ref)  # the set's own type: $apply's copies carry aliases

        qc.seven_pace = seven_pace

    def conditions(at: StructuredType, ref: Ref) -> list[Any]:
        return engine.conditions(qc, at, ref, Options(), extra)

    return apply.plan(qc, t, text, conditions)


def _grouped(conn: Any, qc: engine.QueryContext, plan: apply.Plan, options: Options, *,
             root: str, link_path: str, context: str, page_size: int, prefer: str | None,
             count_only: bool, top: int | None, skip: int, with_count: bool) -> Answer:
    """A grouped or aggregated `$apply` result, paged like any collection."""
    if count_only:
        only_filter = Options(values={k: v for k, v in options.values.items() if k == "filter"})
        counted = apply.run(conn, qc, plan, only_filter, limit=0, skip=0, with_count=True)
        return Answer(200, str(counted.count).encode(), "text/plain", dict(BASE_HEADERS))
    size, applied = _page_size(page_size, prefer)
    limit = size if top is None else min(size, top)
    result = apply.run(conn, qc, plan, options, limit=limit, skip=skip, with_count=with_count)
    body: dict[str, Any] = {"@odata.context": f"{root}/$metadata#{context}({result.context})"}
    if result.count is not None:
        body["@odata.count"] = result.count
    body["value"] = result.rows
    link = next_link(options, root, link_path, skip=skip, top=top, returned=len(result.rows),
                     more=result.more)
    if link is not None:
        body["@odata.nextLink"] = link
    headers = {"Preference-Applied": f"odata.maxpagesize={size}"} if applied else {}
    return json_answer(body, headers)


# ---------------------------------------------------------------------------------------------
# 7pace parameters
# ---------------------------------------------------------------------------------------------
def seven_pace_conditions(qc: engine.QueryContext, options: Options, caller: Caller, conn: Any
                          ) -> Callable[[StructuredType, Ref], list[ColumnElement[bool]]]:
    version = qc.version
    wl_text = options.get("worklogsfilter")
    wi_text = options.get("workitemsfilter")
    target = (options.get("workitemfilterapplytarget") or "AllWorkItems").strip().lower()
    if target not in ("allworkitems", "rootworkitems"):
        raise ODataError(f"Invalid workItemFilterApplyTarget '{target}': AllWorkItems or "
                         "RootWorkItems.", target="workItemFilterApplyTarget")
    prefilter = (options.get("prefilter") or "NoFilter").strip().lower()
    if prefilter not in ("me", "nofilter"):
        raise ODataError(f"Invalid prefilter '{options.get('prefilter')}': Me or NoFilter.",
                         target="prefilter")
    me = caller.user.id if prefilter == "me" else None
    wl_tree = flt.parse(wl_text, "worklogsFilter") if wl_text else None
    wi_tree = flt.parse(wi_text, "workItemsFilter") if wi_text else None
    qc.params.custom_fields = custom_fields(conn, options.get("customfields"))
    qc.params.has_worklogs_filter = wl_tree is not None

    def worklog_conditions(_scope: Scope, ref: Ref) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if wl_tree is not None:
            compiler = flt.Compiler(edm.WORKLOG_ITEM, ref, version, "worklogsFilter",
                                    wl_text or "", calculated_ok=False, custom_ok=False,
                                    now=qc.now)
            out.append(compiler.condition(wl_tree))
        if me is not None:
            out.append(ref.c.user_id == me)
        return out

    def item_condition(ref: Ref) -> ColumnElement[bool]:
        at = edm.wi_root(ref) if target == "rootworkitems" else ref
        compiler = flt.Compiler(edm.WORK_ITEM_FLAT, at, version, "workItemsFilter",
                                wi_text or "", calculated_ok=False, custom_ok=False, now=qc.now)
        return compiler.condition(wi_tree)

    qc.params.worklog_conditions = worklog_conditions
    uses_now = any("now(" in v.lower() for v in options.values.values())
    qc.cache_token = (wl_text, wi_text, target, me, tuple(qc.params.custom_fields),
                      qc.now if uses_now else None)

    def apply(t: StructuredType, ref: Ref) -> list[ColumnElement[bool]]:
        if t.table is edm.WL:
            out = worklog_conditions(ref.scope, ref)
            if wi_tree is not None:
                sub = Scope(edm.WI.alias("f"), qc.params)
                item = sub.root()
                condition = item_condition(item)
                out.append(ref.c.work_item_id.in_(
                    select(item.c.id).select_from(sub.from_clause()).where(condition)))
            return out
        if t in (edm.WORK_ITEM_FLAT, edm.WORK_ITEM_HIERARCHY) and wi_tree is not None:
            return [item_condition(ref)]
        return []

    return apply


def custom_fields(conn: Any, value: str | None) -> list[tuple[str, str | None]]:
    """customFields: positional slots; the kind of each field is detected from the data."""
    if not value or not value.strip():
        return []
    names = [n.strip() for n in value.split(",") if n.strip()]
    if len(names) > MAX_CUSTOM_FIELDS:
        raise ODataError(f"customFields lists {len(names)} fields; at most {MAX_CUSTOM_FIELDS} "
                         "are allowed (slots 1 to 5).", target="customFields")
    result: list[tuple[str, str | None]] = []
    for name in names:
        if not _FIELD_NAME.fullmatch(name):
            raise ODataError(f"customFields: '{name}' is not a field reference name such as "
                             "Custom.Finance or System.Tags.", target="customFields")
        kind = edm.field_kind(name)
        if kind is None:
            kind = _json_field_kind(conn, name)
        result.append((name, kind))
    return result


def _json_field_kind(conn: Any, name: str) -> str | None:
    """Kind of a field kept in the work items' JSON: that of its first non-null value; None
    when no work item has it."""
    path = f'$."{name}"'
    found = conn.execute(text(
        "SELECT json_type(fields, :p) FROM work_items WHERE json_type(fields, :p) "
        "IS NOT NULL AND json_type(fields, :p) != 'null' LIMIT 1"), {"p": path}).scalar()
    return {"text": "String", "integer": "Numeric", "real": "Numeric", "true": "Boolean",
            "false": "Boolean"}.get(found or "", "String" if found else None)


def rollup_fields(conn: Any, t: StructuredType, value: str | None) -> list[str]:
    """rollupFields on the hierarchy type (ignored elsewhere): up to 5 numeric Azure DevOps
    fields, dotted reference names, spaces after commas allowed; every problem is a 400
    naming the field."""
    if t is not edm.WORK_ITEM_HIERARCHY or not value or not value.strip():
        return []
    names = [n.strip() for n in value.split(",") if n.strip()]
    if len(names) > edm.ROLLUP_SLOTS:
        raise ODataError(f"rollupFields lists {len(names)} fields; at most {edm.ROLLUP_SLOTS} "
                         f"are allowed (RollupValue1 to RollupValue{edm.ROLLUP_SLOTS}): "
                         f"'{names[edm.ROLLUP_SLOTS]}' is one too many.", target="rollupFields")
    for name in names:
        if len(name) > 256 or not _FIELD_NAME.fullmatch(name):
            raise ODataError(f"rollupFields: '{name[:100]}' is not a field reference name such "
                             "as Microsoft.VSTS.Scheduling.Effort.", target="rollupFields")
        kind = edm.field_kind(name)
        if kind is None:
            kind = _json_field_kind(conn, name)
            if kind is None:
                raise ODataError(f"rollupFields: the field '{name}' is unknown (no work item "
                                 "has it).", target="rollupFields")
        if kind != "Numeric":
            raise ODataError(f"rollupFields: the field '{name}' is not numeric ({kind}); only "
                             "numeric fields can be rolled up.", target="rollupFields")
    return names
