"""Reporting API routes: the service document and one catch-all under /api/odata/{version}.

The path prefix arrives lower-cased (common/routing.py); the rest keeps its case and is resolved
by the service, case-insensitively. Errors here are always OData bodies, 401s included."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from mockpace.common.auth import Caller, get_caller
from mockpace.common.context import ContextDep, get_context
from mockpace.common.errors import ODataError, SevenPaceError
from mockpace.common.versions import check_reporting_version
from mockpace.reporting import service
from mockpace.tracking.service import settle_pending

router = APIRouter(tags=["reporting"])


async def odata_caller(request: Request, context: ContextDep) -> Caller:
    """The caller, with auth failures in the OData error shape."""
    try:
        return await get_caller(request, context)
    except SevenPaceError as exc:
        raise ODataError(exc.description, status=exc.status, code=exc.error_code,
                         headers=exc.headers) from None


ODataCallerDep = Annotated[Caller, Depends(odata_caller)]


def root_url(request: Request, version: str) -> str:
    """Absolute service root as the client addressed it (cloud or on-prem form)."""
    original = request.scope.get("mockpace.original_path", request.url.path)
    index = original.lower().find("/odata/")
    prefix = original[:index] if index >= 0 else "/api"
    base = str(request.base_url).rstrip("/")
    return f"{base}{prefix}/odata/{version}"


def _response(answer: service.Answer) -> Response:
    return Response(answer.body, status_code=answer.status, media_type=answer.media_type,
                    headers=answer.headers)


def _settled_handle(caller: Caller, *args: Any, **kwargs: Any) -> Any:
    settle_pending(caller.context)  # tracks the server stopped on its own are worklogs now
    return service.handle(caller, *args, **kwargs)


@router.get("/api/odata/{version}", include_in_schema=True, summary="OData service document")
def service_document(version: str, request: Request, caller: ODataCallerDep) -> Response:
    canonical = check_reporting_version(version)
    return _response(service.service_root(root_url(request, canonical), canonical))


# One route per method: a shared GET/POST route gives both the same OpenAPI operation id.
@router.get("/api/odata/{version}/{rest:path}", summary="OData entity sets and $metadata")
@router.post("/api/odata/{version}/{rest:path}", summary="OData $query (text/plain body)")
async def odata(version: str, rest: str, request: Request) -> Response:
    # The caller is resolved here as ODataCallerDep would be, before the version check (401
    # before the version's 404): FastAPI's dependency solving cost more than the lookup
    # itself. It declares no OpenAPI parameter, so the schema is the same.
    caller = await odata_caller(request, await get_context(request))
    canonical = check_reporting_version(version)
    query_strings = [request.url.query]
    if request.method == "POST":
        try:
            body = (await request.body()).decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise ODataError(f"The $query body is not UTF-8 text (byte {exc.start} is "
                             "invalid); send the query options as UTF-8, form-encoded.",
                             target="$query") from None
        query_strings.append(body.lstrip("?"))
    answer = await run_in_threadpool(
        _settled_handle, caller, canonical, root_url(request, canonical), rest, query_strings,
        method=request.method, prefer=request.headers.get("prefer"))
    return _response(answer)
