"""Per-token quotas like the real service's (as documented): sliding windows of one minute and
one hour, measured on the organization's clock so a test can move past a window with
``PUT /_mockpace/clock {"advance": 60}``.

Windows never outlive the state they were counted in: a reset, seed, import, fixture load or
snapshot restore of the organization (its ``epoch`` changes) starts them afresh, and so does a
clock moved back (hits later than the new "now" are forgotten), so ``Retry-After`` is never
longer than the window.

Only tokens the organization knows get a window of their own (the caller says which, see
``check``): every other request shares ``SHARED``, so a client sending a new random token with
every request cannot grow the limiter's memory."""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable

MINUTE, HOUR = 60.0, 3600.0
SHARED = "-"  # the window of requests without a known token


class RateLimiter:
    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._epoch: int | None = None

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()

    def buckets(self) -> int:
        """How many windows are kept."""
        return len(self._hits)

    def check(self, key: str, now: float, per_minute: int, per_hour: int,
              epoch: int = 0, known: Callable[[str], bool] | None = None) -> int | None:
        """Record a request at ``now`` (epoch seconds) and return None, or refuse it (not
        recorded) and return the seconds to wait. ``epoch``: the organization's, whose change
        clears every window. ``known``: whether a token without a window yet may have its own
        (asked once per token and window epoch); a token it refuses counts in ``SHARED``."""
        if key != SHARED and key not in self._hits and known is not None and not known(key):
            key = SHARED
        with self._lock:
            if epoch != self._epoch:
                self._hits.clear()
                self._epoch = epoch
            hits = self._hits.setdefault(key, deque())
            while hits and hits[-1] > now:  # counted before the clock was moved back
                hits.pop()
            horizon = HOUR if per_hour else MINUTE
            while hits and hits[0] <= now - horizon:
                hits.popleft()
            waits = []
            if per_minute:
                recent = [t for t in hits if t > now - MINUTE] if per_hour else hits
                if len(recent) >= per_minute:
                    waits.append(recent[-per_minute] + MINUTE - now)
            if per_hour and len(hits) >= per_hour:
                waits.append(hits[-per_hour] + HOUR - now)
            if waits:
                return max(1, math.ceil(max(waits)))
            hits.append(now)
            return None
