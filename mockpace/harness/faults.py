"""Fault rules (docs/admin.md "Faults"): select requests by method and path glob, then answer an
error status, wait, or drop the connection; limited by a seeded probability and a count."""

from __future__ import annotations

import itertools
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from mockpace.common.errors import SevenPaceError
from mockpace.common.limits import INT32_MAX, INT64_MAX, INT64_MIN
from mockpace.harness.journal import path_matches

MAX_WINDOW_SECONDS = 366 * 86_400
RULE_KEYS = ("method", "path", "status", "errorCode", "delayMs", "delayMaxMs", "retryAfter",
             "drop", "probability", "seed", "times", "forSeconds")

DEFAULT_CODES = {400: "BadRequest", 401: "UnauthorizedError", 403: "AccessDenied",
                 404: "NotFound", 405: "MethodNotAllowed", 409: "ApprovalStateFailed",
                 413: "BatchTooLarge", 422: "DbValidationError", 429: "QuoteExceededError",
                 500: "UnexpectedError", 503: "ServiceUnavailable"}


def default_code(status: int) -> str:
    return DEFAULT_CODES.get(status, "UnknownError")


@dataclass
class FaultRule:
    id: str
    path: str
    method: str = "*"
    status: int | None = None
    error_code: str | None = None
    delay_ms: int | None = None
    delay_max_ms: int | None = None
    retry_after: int | None = None
    drop: bool = False
    probability: float | None = None
    seed: int | None = None
    times: int | None = None
    for_seconds: float | None = None  # time window from creation (real time)
    matched: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    _created: float = field(default_factory=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def expired(self) -> bool:
        return self.for_seconds is not None and \
            time.monotonic() - self._created > self.for_seconds

    def selects(self, method: str, paths: tuple[str, ...]) -> bool:
        return (self.method == "*" or self.method == method.upper()) and \
            path_matches(self.path, *paths)

    def delay_seconds(self) -> float:
        if self.delay_ms is None:
            return 0.0
        if self.delay_max_ms is not None and self.delay_max_ms > self.delay_ms:
            return self._rng.uniform(self.delay_ms, self.delay_max_ms) / 1000
        return self.delay_ms / 1000

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "method": self.method, "path": self.path, "status": self.status,
                "errorCode": self.error_code if self.status is None or self.error_code
                else default_code(self.status),
                "delayMs": self.delay_ms, "delayMaxMs": self.delay_max_ms,
                "retryAfter": self.retry_after, "drop": self.drop,
                "probability": self.probability, "seed": self.seed, "times": self.times,
                "forSeconds": self.for_seconds, "matched": self.matched}


def _bad(message: str, name: str) -> SevenPaceError:
    return SevenPaceError("BadRequest", f"Fault rule not added: {message}",
                          fields={"property": name})


def _int(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"'{name}' must be an integer.", name)
    if not low <= value <= high:
        raise _bad(f"'{name}' must be between {low} and {high}, not {value}.", name)
    return value


def parse_rule(body: Any, rule_id: str) -> FaultRule:
    """Validate a rule body; every problem is a 400 naming the property."""
    if not isinstance(body, dict):
        raise SevenPaceError("BadRequest", "A fault rule is a JSON object.")
    unknown = sorted(set(body) - set(RULE_KEYS))
    if unknown:
        raise _bad(f"unknown properties {', '.join(unknown)}; known: {', '.join(RULE_KEYS)}.",
                   unknown[0])
    path = body.get("path")
    if not isinstance(path, str) or not path.strip() or len(path) > 2000:
        raise _bad("'path' (a glob such as /api/rest/workLogs*) is required.", "path")
    method = body.get("method", "*")
    if not isinstance(method, str) or not method.strip() or len(method) > 20:
        raise _bad("'method' must be an HTTP method or '*'.", "method")
    status = _int(body, "status", 400, 599)
    delay = _int(body, "delayMs", 0, 600_000)
    delay_max = _int(body, "delayMaxMs", 0, 600_000)
    if delay_max is not None and delay is None:
        raise _bad("'delayMaxMs' needs 'delayMs' (the lower bound).", "delayMaxMs")
    if delay_max is not None and delay is not None and delay_max < delay:
        raise _bad("'delayMaxMs' must not be below 'delayMs'.", "delayMaxMs")
    retry_after = _int(body, "retryAfter", 0, 86_400)
    drop = body.get("drop", False)
    if not isinstance(drop, bool):
        raise _bad("'drop' must be true or false.", "drop")
    error_code = body.get("errorCode")
    if error_code is not None and (not isinstance(error_code, str) or not error_code
                                   or len(error_code) > 100):
        raise _bad("'errorCode' must be a non-empty string of at most 100 characters.",
                   "errorCode")
    if error_code is not None and status is None:
        raise _bad("'errorCode' needs a 'status'.", "errorCode")
    if status is None and delay is None and not drop:
        raise _bad("a rule needs an action: 'status', 'delayMs' or 'drop': true.", "status")
    probability = body.get("probability")
    if probability is not None:
        if isinstance(probability, bool) or not isinstance(probability, int | float) \
                or not 0 <= probability <= 1:
            raise _bad("'probability' must be a number between 0 and 1.", "probability")
        probability = float(probability)
    seed = _int(body, "seed", INT64_MIN, INT64_MAX)
    times = _int(body, "times", 1, INT32_MAX)
    window = body.get("forSeconds")
    if window is not None and (isinstance(window, bool) or not isinstance(window, int | float)
                               or not 0 < window <= MAX_WINDOW_SECONDS):
        raise _bad(f"'forSeconds' must be a positive number of seconds, at most "
                   f"{MAX_WINDOW_SECONDS}.", "forSeconds")
    return FaultRule(id=rule_id, path=path.strip(), method=method.strip().upper(), status=status,
                     error_code=error_code, delay_ms=delay, delay_max_ms=delay_max,
                     retry_after=retry_after, drop=drop, probability=probability, seed=seed,
                     times=times, for_seconds=float(window) if window is not None else None)


class FaultRules:
    """The rules of one organization, in the order added."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    def __bool__(self) -> bool:
        return bool(self._rules)

    def add(self, body: Any) -> FaultRule:
        with self._lock:
            rule = parse_rule(body, str(next(self._ids)))
            self._rules.append(rule)
            return rule

    def list(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def pick(self, method: str, paths: tuple[str, ...]) -> FaultRule | None:
        """The first rule that selects the request and applies to it this time. A rule whose
        ``times`` are used up, or that loses its probability draw, lets later rules try."""
        with self._lock:
            for rule in self._rules:
                if not rule.selects(method, paths):
                    continue
                if rule.times is not None and rule.matched >= rule.times:
                    continue
                if rule.expired():
                    continue
                if rule.probability is not None and rule._rng.random() >= rule.probability:
                    continue
                rule.matched += 1
                return rule
        return None
