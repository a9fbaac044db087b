"""Per-request context: the organization addressed, its settings and clock, read once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from mockpace.common.clock import Clock
from mockpace.orgs import Org, Registry
from mockpace.settings import OrgSettings


@dataclass
class Context:
    org: Org
    settings: OrgSettings
    clock: Clock
    collection: str | None  # the on-prem collection segment, if the path had one

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def on_prem(self) -> bool:
        return self.collection is not None


def registry_of(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


async def get_context(request: Request) -> Context:
    # async: no thread-pool hop (the harness middleware usually built it already)
    cached = getattr(request.state, "mockpace_context", None)
    if cached is not None:
        return cached
    collection = request.scope.get("mockpace.collection")
    org = registry_of(request).resolve(collection, request.headers.get("host"))
    settings, clock = org.state()
    context = Context(org=org, settings=settings, clock=clock, collection=collection)
    request.state.mockpace_context = context
    return context


ContextDep = Annotated[Context, Depends(get_context)]
