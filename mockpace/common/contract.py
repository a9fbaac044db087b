"""Contract deviations noticed while a request is being served.

Most contract diagnostics are visible in the request itself and computed by the harness before
the route runs (``mockpace/harness/diagnostics.py``). A few only show where a surface resolves
what the client wrote (an OData property name in the wrong case, resolved case-insensitively by
the model). The harness opens a ledger per request (a context variable, so concurrent requests
never mix); such code notes the deviation here and the harness reports it like its own: an
``X-Mockpace-Warning`` header and a journal warning, or, under ``strict_contract``, the caller
answers the error the real service would give.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Diagnostic:
    kind: str
    name: str  # the parameter, property or header concerned
    where: str  # "query" | "body" | "header"
    text: str


@dataclass
class Ledger:
    strict: bool
    found: list[Diagnostic] = field(default_factory=list)
    notes: int = 0  # calls of note(), repeats included


_LEDGER: ContextVar[Ledger | None] = ContextVar("mockpace_contract_ledger", default=None)


def open_ledger(strict: bool) -> tuple[Ledger, Token[Ledger | None]]:
    ledger = Ledger(strict)
    return ledger, _LEDGER.set(ledger)


def close_ledger(token: Token[Ledger | None]) -> None:
    _LEDGER.reset(token)


def note(diagnostic: Diagnostic) -> bool:
    """Record a deviation of the current request (once per kind and name); True when
    ``strict_contract`` is on, so the caller answers an error instead of going on."""
    ledger = _LEDGER.get()
    if ledger is None:
        return False
    ledger.notes += 1
    if not any(d.kind == diagnostic.kind and d.name == diagnostic.name for d in ledger.found):
        ledger.found.append(diagnostic)
    return ledger.strict


def notes() -> int:
    """How many deviations the current request noted so far (repeats included): work that
    noted one must not be cached, or a later request would reuse it without its warning."""
    ledger = _LEDGER.get()
    return ledger.notes if ledger is not None else 0
