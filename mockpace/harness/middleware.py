"""One pure ASGI middleware for the 7pace routes (not ``/_mockpace``): it resolves the
organization once (and hands it to the routes through the request state), computes the contract
diagnostics, applies fault rules and rate limits, and writes the journal entry.

Order: diagnostics are computed first (so every answer, even a fault, carries its warnings),
then the first matching fault rule, then the rate limit, then ``strict_contract``, then the app.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mockpace.common import contract, limits
from mockpace.common.auth import lookup_token, token_from_header
from mockpace.common.context import Context
from mockpace.common.errors import error_response, odata_body, seven_pace_body
from mockpace.common.timefmt import format_admin
from mockpace.harness import catalog, console, diagnostics
from mockpace.harness.diagnostics import Diagnostic
from mockpace.harness.faults import FaultRule, default_code
from mockpace.harness.journal import NO_JSON, journal_body, mask_authorization
from mockpace.harness.ratelimit import SHARED
from mockpace.harness.state import harness_of

READS_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
QUOTA_MESSAGE = "The request has been canceled because your API usage was exceeded."


def is_7pace(path: str) -> bool:
    return path.startswith("/api/") or path == "/api" or path == "/token"


class HarnessMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_7pace(scope["path"]):
            await self.app(scope, receive, send)
            return
        app = scope["app"]
        harness = harness_of(app)
        if not harness.enabled:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        collection = scope.get("mockpace.collection")
        org = app.state.registry.resolve(collection, headers.get("host"))
        settings, clock = org.state()
        scope.setdefault("state", {})["mockpace_context"] = Context(
            org=org, settings=settings, clock=clock, collection=collection)
        state = harness.of(org)
        method = scope["method"]
        routed = scope["path"]
        original = scope.get("mockpace.original_path", routed)
        query = scope.get("query_string", b"").decode("latin-1")

        body = b""
        document: Any = NO_JSON
        if method in READS_BODY:
            body = await _read_body(receive)
            receive = _replay(body, receive)
            document = _parse_once(scope, body, headers.get("content-type", ""))

        endpoint = catalog.match(method, routed)
        found: list[Diagnostic] = []
        if endpoint is not None:
            found = diagnostics.check(endpoint, query, body, headers.get("content-type"),
                                      None if document is NO_JSON else document)
        # the journal's copy of the body is taken before the route (which may change the
        # parsed document it is handed)
        journal_copy = journal_body(body, headers.get("content-type", ""),
                                    settings.journal_body_limit, document) \
            if settings.journal_size > 0 else None
        # deviations the routes notice while serving (mockpace.common.contract) join them
        ledger, ledger_token = contract.open_ledger(settings.strict_contract)

        status_box: list[int | None] = [None]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                warning_headers = diagnostics.header_values([*found, *ledger.found])
                if warning_headers:
                    message["headers"] = [*message.get("headers", []),
                                          *((b"x-mockpace-warning", v) for v in warning_headers)]
            await send(message)

        try:
            rule = state.faults.pick(method, (original, routed)) if state.faults else None
            if rule is not None and await _apply_fault(rule, scope, receive, send,
                                                       send_wrapper):
                return
            per_minute, per_hour = settings.rate_limit_per_minute, settings.rate_limit_per_hour
            if per_minute or per_hour:
                scheme, token = token_from_header(headers.get("authorization"))
                # NTLM/Negotiate messages change with every request, and a token the
                # organization does not know may be new with every request: they share the
                # bucket of requests without a token (one key, not one per message or token)
                key = token if token and scheme in ("bearer", "basic") else SHARED
                context = scope["state"]["mockpace_context"]
                wait = state.limiter.check(
                    key, clock.now().timestamp(), per_minute, per_hour, org.epoch,
                    known=lambda t: lookup_token(context, t) is not None)
                if wait is not None:
                    response = error_response(
                        Request(scope), 429, "QuoteExceededError", QUOTA_MESSAGE,
                        fields={"retryAfter": str(wait)}, headers={"Retry-After": str(wait)})
                    await response(scope, receive, send_wrapper)
                    return
            if found and settings.strict_contract:
                await _strict_response(found, endpoint, routed)(scope, receive, send_wrapper)
                return
            await self.app(scope, receive, send_wrapper)
        finally:
            contract.close_ledger(ledger_token)
            if console.logger.isEnabledFor(logging.INFO):
                console.log(method, original, query, status_box[0],
                            (time.perf_counter() - started) * 1000,
                            [d.text for d in [*found, *ledger.found]])
            if settings.journal_size > 0:
                state.journal.append(_entry(method, original, routed, query, headers,
                                            journal_copy,
                                            status_box[0], started, [*found, *ledger.found],
                                            settings.journal_body_limit),
                                     settings.journal_size)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _apply_fault(rule: FaultRule, scope: Scope, receive: Receive, send: Send,
                       send_wrapper: Send) -> bool:
    """Apply the rule; True when it answered (or dropped) the request itself."""
    delay = rule.delay_seconds()
    if delay:
        await asyncio.sleep(delay)
    if rule.drop:
        await _drop(send)
        return True
    if rule.status is None:
        return False
    code = rule.error_code or default_code(rule.status)
    fields: dict[str, Any] = {"faultRule": rule.id}
    extra: dict[str, str] = {}
    if rule.status == 429:
        retry = str(rule.retry_after if rule.retry_after is not None else 60)
        fields["retryAfter"] = retry
        extra["Retry-After"] = retry
        message = QUOTA_MESSAGE
    else:
        message = f"Injected fault (mockpace fault rule {rule.id}): {code}."
    response = error_response(Request(scope), rule.status, code, message, fields=fields,
                              headers=extra)
    await response(scope, receive, send_wrapper)
    return True


def _find_transport(send: Any) -> Any:
    """The server's transport behind ``send`` (uvicorn's request cycle), through the closures of
    the middlewares that wrap it."""
    stack: list[tuple[Any, int]] = [(send, 0)]
    seen: set[int] = set()
    while stack:
        obj, depth = stack.pop()
        if id(obj) in seen or depth > 8:
            continue
        seen.add(id(obj))
        owner = getattr(obj, "__self__", None)
        transport = getattr(owner, "transport", None)
        if transport is not None and hasattr(transport, "abort"):
            return transport
        for cell in getattr(obj, "__closure__", None) or ():
            try:
                stack.append((cell.cell_contents, depth + 1))
            except ValueError:
                continue
        inner = getattr(obj, "__wrapped__", None) or getattr(obj, "func", None)
        if inner is not None:
            stack.append((inner, depth + 1))
    return None


async def _drop(send: Send) -> None:
    transport = _find_transport(send)
    if transport is None:
        # In-process clients (TestClient) have no connection to cut: fail the call instead.
        raise ConnectionResetError("mockpace fault rule: connection dropped")
    transport.abort()
    # Let the server see the lost connection before the app returns (no 500 is written then).
    for _ in range(3):
        await asyncio.sleep(0)


def _strict_response(found: list[Diagnostic], endpoint: Any, routed: str) -> Response:
    first = found[0]
    texts = [d.text for d in found]
    description = f"Contract deviation (strict_contract is on): {first.text}"
    if endpoint is not None and endpoint.surface == "reporting":
        body = odata_body("BadQuery", description, first.name,
                          [{"code": d.kind, "message": d.text, "target": d.name}
                           for d in found])
        return Response(orjson.dumps({"error": body["error"]}), status_code=400,
                        media_type="application/json; odata.metadata=minimal",
                        headers={"OData-Version": "4.0"})
    code = "ApiVersionError" if first.where == "query" else "BadRequest"
    key = {"query": "parameter", "body": "property"}.get(first.where, first.where)
    payload = seven_pace_body(400, code, description, {key: first.name, "warnings": texts})
    return Response(orjson.dumps(payload), status_code=400,
                    media_type="application/json; charset=utf-8")


def _parse_once(scope: Scope, body: bytes, content_type: str) -> Any:
    """A JSON body parsed once, bounded (``limits.parse_json``), for the diagnostics, the
    journal and the route (``limits.shared_json``); NO_JSON when it is not JSON."""
    if not body or ("json" not in content_type.lower() and body.lstrip()[:1] not in (b"{", b"[")):
        return NO_JSON
    try:
        document = limits.parse_json(body)
    except limits.JsonBodyError as exc:
        scope["state"][limits.JSON_STATE] = (body, exc)
        return NO_JSON
    scope["state"][limits.JSON_STATE] = (body, document)
    return document


def _entry(method: str, original: str, routed: str, query: str, headers: dict[str, str],
           journal_copy: Any, status: int | None, started: float,
           found: list[Diagnostic], body_limit: int) -> dict[str, Any]:
    shown = dict(headers)
    if "authorization" in shown:
        shown["authorization"] = mask_authorization(shown["authorization"])
    return {
        "time": format_admin(datetime.now(UTC)),
        "method": method,
        "path": original,
        "query": unquote(query),
        "headers": shown,
        "body": journal_copy,
        "status": status,
        "durationMs": round((time.perf_counter() - started) * 1000, 2),
        "warnings": [d.text for d in found],
        "_routed": routed,
    }
