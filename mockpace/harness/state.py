"""Per-organization harness state (journal, fault rules, rate limits), kept in the process.

It lives beside the organization rather than in its database: a snapshot restore or reset must
not bring back old journal entries or fault rules, and the hot path must not touch the database.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from mockpace.harness.faults import FaultRules
from mockpace.harness.journal import Journal
from mockpace.harness.ratelimit import RateLimiter
from mockpace.orgs import Org


@dataclass
class OrgHarness:
    journal: Journal = field(default_factory=Journal)
    faults: FaultRules = field(default_factory=FaultRules)
    limiter: RateLimiter = field(default_factory=RateLimiter)


class Harness:
    def __init__(self) -> None:
        self._by_org: weakref.WeakKeyDictionary[Org, OrgHarness] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        # Switches for the benchmark (same run, with and without the middleware's work).
        self.enabled = True

    def of(self, org: Org) -> OrgHarness:
        found = self._by_org.get(org)
        if found is None:
            with self._lock:
                found = self._by_org.setdefault(org, OrgHarness())
        return found

    def forget(self, org: Org) -> None:
        with self._lock:
            self._by_org.pop(org, None)


_CREATE_LOCK = threading.Lock()


def harness_of(app: Any) -> Harness:
    """The app's harness, created on first use (by the middleware on the event loop or by an
    admin route in the thread pool, hence the lock)."""
    harness = getattr(app.state, "harness", None)
    if harness is None:
        with _CREATE_LOCK:
            harness = getattr(app.state, "harness", None)
            if harness is None:
                harness = Harness()
                app.state.harness = harness
    return harness
