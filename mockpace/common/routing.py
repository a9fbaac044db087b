"""Path normalization, as the real ASP.NET service matches paths (docs/emulation.md s1).

A pure ASGI middleware, applied before routing:
- a trailing slash before the query is dropped;
- the on-prem form ``/api/{collection}/rest/...`` becomes ``/api/rest/...`` and the collection is
  kept in ``scope["mockpace.collection"]`` to pick the organization;
- REST, Tracking, PIN and token paths are matched without regard to case (routes are declared in
  lower case); for OData only the ``/api/odata/{version}`` prefix is lowered, the Reporting router
  resolves the rest of the path itself, case-insensitively.
The original path stays in ``scope["mockpace.original_path"]`` for the journal and messages.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

SURFACES = {"rest", "tracking", "odata", "pin", "token"}


def normalize(path: str) -> tuple[str, str | None]:
    """(routed path, collection or None)."""
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    lower = path.lower()
    if lower == "/token":
        return lower, None
    if not lower.startswith("/api/"):
        return path, None
    parts = path.split("/")  # ['', 'api', x, ...]
    collection = None
    if len(parts) > 2 and parts[2].lower() not in SURFACES and (
        len(parts) > 3 and parts[3].lower() in SURFACES
    ):
        collection = parts[2]
        parts = parts[:2] + parts[3:]
    if len(parts) > 2 and parts[2].lower() == "odata":
        head = [p.lower() for p in parts[:4]]
        return "/".join(head + parts[4:]), collection
    return "/".join(parts).lower(), collection


class NormalizePathMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            original = scope["path"]
            path, collection = normalize(original)
            scope["mockpace.original_path"] = original
            scope["mockpace.collection"] = collection
            if path != original:
                scope["path"] = path
                scope["raw_path"] = path.encode()
        await self.app(scope, receive, send)
