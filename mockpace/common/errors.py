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
    return "/odata/" in path.lower() or path.lower().endswith("/odata")


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
        return error_response(request, exc.status_code, "BadRequest", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = f"Invalid request: {where}: {first.get('msg', 'invalid value')}."
        if first.get("loc", ("",))[0] in ("query", "path"):
            return error_response(request, 400, "ApiVersionError", message,
                                  fields={"parameter": where})
        return error_response(request, 400, "BadRequest", message, fields={"location": where})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        from sqlalchemy.exc import OperationalError

        # sqlite3's own error too: the hot writes run on raw connections (Store.raw_write).
        if (isinstance(exc, OperationalError | sqlite3.OperationalError)
                and "locked" in str(exc).lower()):
            return error_response(request, 503, "ServiceUnavailable",
                                  "The database is busy; retry the request.",
                                  headers={"Retry-After": "1"})
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "UnexpectedError",
                              f"Unexpected error: {type(exc).__name__}: {exc}")
