"""The outermost middleware: request limits and the response-header guard, for every route.

- A URL (path and query) longer than ``MAX_URL_BYTES`` is 414, in the JSON error shape of its
  surface (the server's own, larger limits answer in plain text before the app sees anything).
- Request headers over ``MAX_HEADER_BYTES`` in all or more than ``MAX_HEADERS`` of them are
  431 (uvicorn's httptools parser itself bounds only the request line, near 64 KiB).
- A body larger than the limit (``max_body_bytes`` for the 7pace routes, ``max_admin_body_bytes``
  for ``/_mockpace``) is 413: at once when ``Content-Length`` says so, otherwise as soon as the
  bytes received cross it while streaming (chunked bodies), never after reading it whole.
- ``BoundedJsonRoute``: routes whose JSON bodies FastAPI parses (``Body()``, the admin plane)
  read them with ``limits.parse_json`` (depth, exact numbers, no NaN) instead of ``json.loads``.
- Every response header value is checked before it leaves: a value HTTP forbids (control
  characters, non-ASCII) is escaped (``limits.header_value``), so a response never fails on
  its headers, in particular not after its transaction committed.
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockpace.common.errors import error_response
from mockpace.common.limits import (
    DEFAULT_MAX_ADMIN_BODY_BYTES,
    DEFAULT_MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    MAX_HEADERS,
    MAX_URL_BYTES,
    JsonBodyError,
    header_value,
    is_safe_header_value,
    parse_json,
)


class BodyTooLarge(HTTPException):
    """Raised by the counting ``receive`` once a streamed body crosses the limit; an
    HTTPException so that FastAPI's body reading passes it on unchanged."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the limit of {limit} bytes "
                              "(setting max_body_bytes; max_admin_body_bytes on /_mockpace).")
        self.fields = {"limit": limit}  # the error body's fields (common/errors.py)


def body_limit(scope: Scope) -> int:
    settings: Any = getattr(scope["app"].state, "server_settings", None)
    admin = scope["path"].startswith("/_mockpace")
    if settings is None:
        return DEFAULT_MAX_ADMIN_BODY_BYTES if admin else DEFAULT_MAX_BODY_BYTES
    return int(settings.max_admin_body_bytes if admin else settings.max_body_bytes)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            text = value.strip()
            return int(text) if text.isdigit() and len(text) < 20 else None
    return None


def _safe_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(name, value if is_safe_header_value(value) else
             header_value(value.decode("latin-1"))) for name, value in headers]


class GuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        url_bytes = len(scope.get("raw_path") or scope["path"].encode()) + \
            len(scope.get("query_string", b""))
        if url_bytes > MAX_URL_BYTES:
            await error_response(
                Request(scope), 414, "UriTooLong",
                f"The URL has {url_bytes} bytes; the limit is {MAX_URL_BYTES}.",
                fields={"limit": MAX_URL_BYTES})(scope, receive, send)
            return
        headers = scope["headers"]
        header_bytes = sum(len(name) + len(value) + 4 for name, value in headers)
        if header_bytes > MAX_HEADER_BYTES or len(headers) > MAX_HEADERS:
            await error_response(
                Request(scope), 431, "HeadersTooLarge",
                f"The request has {len(headers)} headers of {header_bytes} bytes; the limits "
                f"are {MAX_HEADERS} headers and {MAX_HEADER_BYTES} bytes.",
                fields={"limit": MAX_HEADER_BYTES})(scope, receive, send)
            return
        limit = body_limit(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._too_large(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = _safe_headers(list(message.get("headers", [])))
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(scope, receive, send, limit)

    @staticmethod
    async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        error = BodyTooLarge(limit)
        await error_response(Request(scope), 413, "PayloadTooLarge", error.detail,
                             fields=error.fields)(scope, receive, send)


class BoundedJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = parse_json(await self.body())
            except JsonBodyError as exc:
                # An HTTPException: FastAPI's body reading passes it on to the 400 handler.
                raise HTTPException(400, f"The request body is invalid: {exc}.") from None
        return self._json


class BoundedJsonRoute(APIRoute):
    """An APIRoute whose ``request.json()`` is ``limits.parse_json``."""

    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            return await handler(BoundedJsonRequest(request.scope, request.receive))

        return bounded
