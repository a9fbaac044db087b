"""Typed errors and the handlers that turn them into the exact 7pace or OData bodies.

Raise these where the rule lives; routers never build error bodies themselves.
7pace body (REST, Tracking, PIN, admin plane)::

    {"error": {"statusCode": 422, "errorCode": "...", "errorDescription": "...", "fields": {}}}

OData body (Reporting)::

    {"error": {"code": "BadQuery", "message": "...", "target": "$filter", "details": []}}
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from mockpace.common.limits import echo
from mockpace.common.routing import SURFACES

log = logging.getLogger("mockpace")

# Extra response headers of an error; a list value is one header line per item.
Headers = Mapping[str, str | list[str]]

STATUS_BY_CODE: dict[str, int] = {
    "ApiVersionError": 400,
    "BadRequest": 400,
    "ActivityTypeDisabled": 400,
    "UnauthorizedError": 401,
    "AccessDenied": 403,
    "NoRightsToWorkLogModification": 403,
    "EntityNotFound": 404,
    "NotFound": 404,
    "MethodNotAllowed": 405,
    "ApprovalStateFailed": 409,
    "BatchTooLarge": 413,
    "PayloadTooLarge": 413,
    "UriTooLong": 414,
    "HeadersTooLarge": 431,
    "LengthIsRequired": 422,
    "LengthMustBePositive": 422,
    "WorkItemIdOrCommentRequired": 422,
    "FutureCheckFailed": 422,
    "FilterWorkItemIdsCountExceeded": 422,
    "DbValidationError": 422,
    "QuoteExceededError": 429,
    "UnexpectedError": 500,
    "UnknownError": 500,
    "ServiceUnavailable": 503,
}


class SevenPaceError(Exception):
    """An error answered with the 7pace body."""

    def __init__(
        self,
        error_code: str,
        description: str,
        *,
        status: int | None = None,
        fields: dict[str, Any] | None = None,
        headers: Headers | None = None,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.status = status or STATUS_BY_CODE.get(error_code, 400)
        self.fields = fields or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return seven_pace_body(self.status, self.error_code, self.description, self.fields)


class ODataError(Exception):
    """An error answered with the OData JSON error body."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        code: str = "BadQuery",
        target: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: Headers | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.target = target
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return odata_body(self.code, self.message, self.target, self.details)


def seven_pace_body(
    status: int, error_code: str, description: str, fields: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "error": {
            "statusCode": status,
            "errorCode": error_code,
            "errorDescription": description,
            "fields": fields or {},
        }
    }


def odata_body(
    code: str, message: str, target: str | None = None, details: list[Any] | None = None
) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "target": target, "details": details or []}}


def is_odata_path(path: str) -> bool:
    """The Reporting API: ``/api/odata/...`` or on-prem ``/api/{collection}/odata/...`` (a
    REST path holding the word, ``/api/rest/workLogs/odata``, is not)."""
    parts = [*path.lower().strip("/").split("/"), "", ""]
    return parts[0] == "api" and (parts[1] == "odata" or (
        parts[2] == "odata" and parts[1] not in SURFACES))


def error_response(request: Request | None, status: int, code: str, message: str,
                   *, fields: dict[str, Any] | None = None,
                   headers: Headers | None = None) -> Response:
    """The error body fitting the surface of ``request`` (OData under /odata/, else 7pace)."""
    path = request.url.path if request is not None else ""
    if is_odata_path(path):
        odata_code = {404: "NotFound", 405: "MethodNotAllowed", 401: "Unauthorized",
                      403: "Forbidden", 429: "QuoteExceededError"}.get(status, code)
        body = odata_body(odata_code, message, None)
        media = "application/json; odata.metadata=minimal"
        extra = {"OData-Version": "4.0"}
    else:
        body = seven_pace_body(status, code, message, fields)
        media = "application/json; charset=utf-8"
        extra = {}
    return with_headers(Response(orjson.dumps(body), status_code=status, media_type=media),
                        {**extra, **(headers or {})})


def with_headers(response: Response, headers: Headers) -> Response:
    """``response`` with ``headers``; a list value is sent as one header line per item (the
    on-prem 401 offers ``WWW-Authenticate: NTLM`` and ``WWW-Authenticate: Negotiate``)."""
    for name, value in headers.items():
        if isinstance(value, list):
            for item in value:
                response.headers.append(name, item)
        else:
            response.headers[name] = value
    return response


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(SevenPaceError)
    async def _seven_pace(_request: Request, exc: SevenPaceError) -> Response:
        return with_headers(Response(orjson.dumps(exc.body()), status_code=exc.status,
                                     media_type="application/json; charset=utf-8"),
                            exc.headers)

    @app.exception_handler(ODataError)
    async def _odata(_request: Request, exc: ODataError) -> Response:
        return with_headers(Response(orjson.dumps(exc.body()), status_code=exc.status,
                                     media_type="application/json; odata.metadata=minimal"),
                            {"OData-Version": "4.0", **exc.headers})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        path = request.scope.get("mockpace.original_path", request.url.path)  # as sent
        if exc.status_code == 404:
            return error_response(request, 404, "NotFound",
                                  f"No resource matches the path '{path}'.")
        if exc.status_code == 405:
            return error_response(
                request, 405, "MethodNotAllowed",
                f"The path '{path}' does not support the {request.method} method.",
            )
        code = {413: "PayloadTooLarge", 414: "UriTooLong"}.get(exc.status_code, "BadRequest")
        return error_response(request, exc.status_code, code, str(exc.detail),
                              fields=getattr(exc, "fields", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"Invalid request: {where}: {first.get('msg', 'invalid value')}."
        if first.get("loc", ("",))[0] in ("query", "path"):
            return error_response(request, 400, "ApiVersionError", message,
                                  fields={"parameter": where})
        return error_response(request, 400, "BadRequest", message, fields={"location": where})

    async def _unexpected(request: Request, exc: Exception) -> Response:
        return unexpected_response(request, exc)

    from sqlalchemy.exc import DBAPIError

    # Database errors get their answer inside the app (no re-raise by Starlette's
    # ServerErrorMiddleware): a busy database is 503, a SQLite limit reached by the size of the
    # input is 400; anything else is a 500 without the SQL text.
    app.add_exception_handler(sqlite3.Error, _unexpected)
    app.add_exception_handler(DBAPIError, _unexpected)
    app.add_exception_handler(Exception, _unexpected)


def unexpected_response(request: Request, exc: Exception) -> Response:
    from sqlalchemy.exc import OperationalError

    # sqlite3's own error too: the hot writes run on raw connections (Store.raw_write).
    if (isinstance(exc, OperationalError | sqlite3.OperationalError)
            and "locked" in str(exc).lower()):
        return error_response(request, 503, "ServiceUnavailable",
                              "The database is busy; retry the request.",
                              headers={"Retry-After": "1"})
    limit = sqlite_limit(exc)
    if limit is not None:
        return error_response(request, 400, "BadRequest",
                              f"The request is too large or too complex for the database "
                              f"({limit}); simplify it.", fields={"limit": limit})
    log.exception("unexpected error on %s %s", request.method, request.url.path,
                  exc_info=exc)
    return error_response(request, 500, "UnexpectedError", unexpected_message(exc))


# SQLite's own limits (sqlite.org/limits.html): reached only by the size of a request's input,
# so they are the client's 400, not a 500. Inputs are bounded before (README "Limits"); this is
# the net behind those bounds.
SQLITE_LIMITS = ("parser stack overflow", "too many sql variables", "too many columns",
                 "expression tree is too large", "like or glob pattern too complex",
                 "like pattern too complex", "string or blob too big", "too many terms",
                 "at most 64 tables in a join",
                 "integer overflow")  # a sum past Int64: only hostile literals reach it


def sqlite_limit(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", exc)
    if not isinstance(orig, sqlite3.Error):
        return None
    text = str(orig).lower()
    return next((limit for limit in SQLITE_LIMITS if limit in text), None)


def unexpected_message(exc: BaseException) -> str:
    """The 500 description: the exception's type, and its text unless it comes from the
    database layer (whose text carries the SQL statement and the bound parameters)."""
    name = type(exc).__name__
    if isinstance(exc, sqlite3.Error) or type(exc).__module__.startswith("sqlalchemy"):
        return f"Unexpected database error ({name}); the server log has the details."
    return f"Unexpected error: {name}: {echo(str(exc), 200)}"
