"""mockpace's own admin plane (/_mockpace): the contract is docs/admin.md."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

import mockpace
from mockpace.admin import guard, service
from mockpace.admin.service import token_list
from mockpace.common.clock import Clock
from mockpace.common.context import registry_of
from mockpace.common.errors import SevenPaceError
from mockpace.common.guard import BoundedJsonRoute
from mockpace.common.limits import MAX_YEAR, MIN_YEAR, echo
from mockpace.common.timefmt import TimeFormatError, parse_datetime
from mockpace.harness import catalog, harness_of
from mockpace.harness.journal import render
from mockpace.orgs import Org
from mockpace.settings import SettingsError

MAX_CLOCK_ADVANCE = 100 * 366 * 86_400  # seconds: a century either way
PUBLIC_PATHS = ("/_mockpace/docs", "/_mockpace/openapi.json")


def check_admin_key(
    request: Request,
    key: Annotated[str | None, Header(alias="X-Mockpace-Admin-Key")] = None,
) -> None:
    """The guard of every admin route (mockpace/admin/guard.py): Host check when bound to
    loopback, the admin key, and no state change by a simple cross-origin request."""
    settings = request.app.state.server_settings
    expected = settings.admin_key
    if request.url.path in PUBLIC_PATHS:
        return  # the admin docs page: a browser cannot send the key header
    network = guard.over_network(request.scope)
    if network:
        guard.check_host(settings.host, request.headers.get("host"),
                         settings.allowed_host_names())
    if expected and key != expected:
        raise SevenPaceError(
            "UnauthorizedError",
            "The admin plane needs the header X-Mockpace-Admin-Key with the configured key.",
            status=401,
        )
    if network:
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        guard.check_not_simple(request.method, request.headers, own)


router = APIRouter(prefix="/_mockpace", tags=["admin"], dependencies=[Depends(check_admin_key)],
                   route_class=BoundedJsonRoute)


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
def health(request: Request, org: OrgDep) -> dict[str, Any]:
    """Counts are those of the organization addressed (``org=``, default the default one)."""
    return {"status": "ok", "version": mockpace.__version__,
            "orgs": [each.name for each in registry_of(request).all()],
            "counts": org.store.counts()}


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
    if "now" in body:
        value = body["now"]
        try:
            if not isinstance(value, str):
                raise TimeFormatError(f"{echo(value)} is not a string")
            instant = parse_datetime(value)
        except TimeFormatError as exc:
            raise SevenPaceError("BadRequest", f"clock.now: {exc}",
                                 fields={"field": "now"}) from exc
        return org.change_clock(lambda c: checked_clock(c.frozen(instant), "now")).describe()
    if "advance" in body:
        seconds = body["advance"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or \
                not abs(seconds) <= MAX_CLOCK_ADVANCE:
            raise SevenPaceError("BadRequest", "clock.advance must be a number of seconds "
                                 f"between -{MAX_CLOCK_ADVANCE} and {MAX_CLOCK_ADVANCE}.",
                                 fields={"field": "advance"})
        # read, advance and write in one step: two concurrent advances both count
        return org.change_clock(
            lambda c: checked_clock(c.advanced(float(seconds)), "advance")).describe()
    if body["mode"] != "real":
        raise SevenPaceError("BadRequest", "clock.mode can only be set to 'real'; "
                             "use 'now' to freeze it or 'advance' to move it.",
                             fields={"field": "mode"})
    return org.set_clock(Clock()).describe()


def checked_clock(clock: Clock, field: str) -> Clock:
    """``clock`` if its "now" lies in the years every date computation handles; never stored
    otherwise (a clock out of range would break every later request)."""
    try:
        year = clock.now().year
    except (OverflowError, ValueError):
        year = 0
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise SevenPaceError("BadRequest", f"clock.{field}: the clock would leave the years "
                             f"{MIN_YEAR}-{MAX_YEAR}.", fields={"field": field})
    return clock


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


# -- snapshots, export/import, seed, fixtures -------------------------------------------------
@router.get("/snapshots")
def list_snapshots(org: OrgDep) -> list[dict[str, Any]]:
    return service.list_snapshots(org)


@router.post("/snapshots/{name}")
def save_snapshot(org: OrgDep, name: str) -> dict[str, Any]:
    return service.save_snapshot(org, name)


@router.post("/snapshots/{name}/restore")
def restore_snapshot(org: OrgDep, name: str) -> dict[str, Any]:
    return service.restore_snapshot(org, name)


@router.delete("/snapshots/{name}")
def delete_snapshot(org: OrgDep, name: str) -> dict[str, Any]:
    return service.drop_snapshot(org, name)


@router.get("/export")
def export_state(org: OrgDep) -> Response:
    return Response(orjson.dumps(service.export_state(org)), media_type="application/json")


YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
FIXTURE_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object"}},
    "application/yaml": {"schema": {"type": "object"}}}}}


async def fixture_document(request: Request) -> Any:
    """A fixture document sent as JSON, or as YAML with a YAML content type (the format of the
    files in fixtures/); a body that does not parse is 400 naming the format."""
    raw = await request.body()
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in YAML_TYPES:
        import yaml

        try:
            return yaml.safe_load(raw.decode("utf-8", errors="replace"))
        except yaml.YAMLError as exc:
            raise SevenPaceError("BadRequest", "The fixture document is not valid YAML: "
                                 + " ".join(str(exc).split()), fields={"body": "yaml"}) from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        hint = (" It looks like YAML: send it with Content-Type: application/yaml."
                if raw.lstrip()[:1] not in (b"{", b"[") else "")
        raise SevenPaceError("BadRequest", "The fixture document is not valid JSON." + hint,
                             fields={"body": "json"}) from None


FixtureDocument = Annotated[Any, Depends(fixture_document)]


@router.post("/import", openapi_extra=FIXTURE_BODY)
def import_state(org: OrgDep, body: FixtureDocument) -> dict[str, Any]:
    return service.replace_state(org, body, pristine=False)


@router.post("/fixtures", openapi_extra=FIXTURE_BODY)
def load_fixture(org: OrgDep, body: FixtureDocument) -> dict[str, Any]:
    return service.replace_state(org, body, pristine=True)


@router.post("/seed")
def seed(org: OrgDep, body: Annotated[Any, Body()] = None) -> dict[str, Any]:
    return service.reseed(org, body if body is not None else {})


# -- approvals --------------------------------------------------------------------------------
@router.post("/approvals")
def approvals(org: OrgDep, body: Annotated[Any, Body()]) -> dict[str, Any]:
    return service.set_approval(org, body, org.clock().now())


# -- request journal --------------------------------------------------------------------------
def _status_filter(status: str | None) -> str | None:
    if status is None:
        return None
    text = status.strip().lower()
    if not (len(text) == 3 and text[0].isdigit() and (text.isdigit() or text.endswith("xx"))):
        raise SevenPaceError("ApiVersionError",
                             f"status '{status}' must be a status code such as 404, or 4xx.",
                             fields={"parameter": "status"})
    return text


@router.get("/requests")
def list_requests(
    request: Request, org: OrgDep,
    method: str | None = None, path: str | None = None, status: str | None = None,
    limit: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    journal = harness_of(request.app).of(org).journal
    entries = journal.select(method=method, path=path, status=_status_filter(status),
                             limit=limit)
    return Response(render(entries), media_type="application/json")


@router.get("/requests/count")
def count_requests(request: Request, org: OrgDep, method: str | None = None,
                   path: str | None = None, status: str | None = None) -> dict[str, int]:
    journal = harness_of(request.app).of(org).journal
    return {"count": len(journal.select(method=method, path=path,
                                        status=_status_filter(status)))}


@router.delete("/requests")
def clear_requests(request: Request, org: OrgDep) -> dict[str, str]:
    harness_of(request.app).of(org).journal.clear()
    return {"status": "cleared"}


# -- faults -----------------------------------------------------------------------------------
@router.post("/faults", status_code=201)
def add_fault(request: Request, org: OrgDep, body: Annotated[Any, Body()]) -> dict[str, Any]:
    return harness_of(request.app).of(org).faults.add(body).to_json()


@router.get("/faults")
def list_faults(request: Request, org: OrgDep) -> list[dict[str, Any]]:
    return [rule.to_json() for rule in harness_of(request.app).of(org).faults.list()]


@router.delete("/faults")
def clear_faults(request: Request, org: OrgDep) -> dict[str, str]:
    harness_of(request.app).of(org).faults.clear()
    return {"status": "cleared"}


@router.delete("/faults/{rule_id}")
def delete_fault(request: Request, org: OrgDep, rule_id: str) -> dict[str, str]:
    if not harness_of(request.app).of(org).faults.remove(rule_id):
        raise service.not_found(f"No fault rule with id '{rule_id}'.", id=rule_id)
    return {"id": rule_id, "status": "deleted"}


# -- organizations ----------------------------------------------------------------------------
@router.post("/orgs", status_code=201)
def create_org(request: Request, body: Annotated[Any, Body()]) -> dict[str, Any]:
    registry = registry_of(request)
    org = service.create_org(registry, body, request.app.state.server_settings.org_settings())
    return {"name": org.name, "collection": org.collection, "tokens": token_list(org)}


@router.get("/orgs")
def list_orgs(request: Request) -> list[dict[str, Any]]:
    return [service.org_json(org) for org in registry_of(request).all()]


@router.delete("/orgs/{name}")
def delete_org(request: Request, name: str) -> dict[str, str]:
    org = service.delete_org(registry_of(request), name)
    harness_of(request.app).forget(org)
    return {"name": org.name, "status": "deleted"}


# -- coverage ---------------------------------------------------------------------------------
@router.get("/coverage")
def coverage(request: Request) -> dict[str, Any]:
    return {"endpoints": catalog.coverage(request.app.router.routes)}


# -- the admin plane's own docs page ----------------------------------------------------------
@router.get("/openapi.json", include_in_schema=False)
def admin_openapi(request: Request) -> dict[str, Any]:
    """The app's OpenAPI document restricted to the admin plane."""
    document = dict(request.app.openapi())
    document["paths"] = {p: ops for p, ops in document["paths"].items()
                         if p.startswith("/_mockpace")}
    document["info"] = {**document["info"], "title": "mockpace admin plane"}
    return document


@router.get("/docs", include_in_schema=False)
def admin_docs() -> HTMLResponse:
    """Swagger UI from the files the app serves itself (no CDN: works offline)."""
    assets = "/_mockpace/static/docs"  # mockpace.app.DOCS_ASSETS (the app mounts them)
    return get_swagger_ui_html(openapi_url="/_mockpace/openapi.json",
                               title="mockpace admin plane",
                               swagger_js_url=f"{assets}/swagger-ui-bundle.js",
                               swagger_css_url=f"{assets}/swagger-ui.css",
                               swagger_favicon_url=f"{assets}/favicon.png",
                               swagger_ui_parameters={"validatorUrl": None})
