"""The request journal: the recent requests to the 7pace routes of one organization.

A JSON body is kept as JSON (what the client sent, inspectable), bounded twice: in depth
(``MAX_DEPTH`` levels; deeper values are replaced by a marker) and in size (the setting
``journal_body_limit``, bytes of the body as sent; a larger body keeps its first items,
properties and characters up to that size, each cut marked in place). Other bodies are kept as
text, cut at the same limit. Every mark starts with ``CUT``.
"""

from __future__ import annotations

import fnmatch
import threading
from collections import deque
from typing import Any

import orjson

from mockpace.common.auth import token_from_header
from mockpace.common.limits import MAX_JSON_DEPTH

MAX_DEPTH = MAX_JSON_DEPTH  # nesting levels of a JSON body kept in the journal
CUT = "\u2026(cut: "  # every mark of a cut starts with it: "…(cut: 3 more items)"
CUT_KEY = "\u2026"  # the property that marks the properties cut from an object


NO_JSON: Any = object()  # no parse of the body at hand (or not JSON)


def journal_body(body: bytes, content_type: str, limit: int,
                 parsed: Any = NO_JSON) -> Any:
    """The journal's copy of a request body: JSON bounded in depth and size, or text.

    JSON is kept as its text (an ``orjson.Fragment``, rendered as JSON by ``render``), not as
    Python objects: parsed, a body takes some 30 times its size in memory, and the journal holds
    ``journal_size`` entries (1000 bodies of 256 KB would have been gigabytes)."""
    if not body:
        return None
    if parsed is not NO_JSON and len(body) <= limit:
        # parsed by limits.parse_json: no deeper than MAX_JSON_DEPTH == MAX_DEPTH, kept as sent
        return orjson.Fragment(body)
    if "json" in content_type.lower() or body.lstrip()[:1] in (b"{", b"["):
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError:  # also nesting beyond orjson's own limit
            pass
        else:
            if len(body) <= limit and body.count(b"{") + body.count(b"[") <= MAX_DEPTH:
                return orjson.Fragment(body)  # surely within both bounds: as sent
            budget = _Budget(limit if len(body) > limit else None)
            bounded = _bounded(document, 0, budget)
            if not budget.cut:
                return orjson.Fragment(body)
            # a copy of exact size: orjson's output keeps its growth buffer (twice the size)
            return orjson.Fragment(bytes(memoryview(orjson.dumps(bounded))))
    if len(body) <= limit:
        return body.decode("utf-8", "replace")
    return body[:limit].decode("utf-8", "ignore") + f"{CUT}{len(body) - limit} more bytes)"


class _Budget:
    """Bytes of JSON text left to keep (None: the body is within the limit, keep it whole)."""

    def __init__(self, left: int | None) -> None:
        self.left = left
        self.spent = False  # once something did not fit, nothing more is kept
        self.cut = False  # something was cut (size or depth)

    def spend(self, size: int) -> bool:
        """Take ``size`` bytes; False when they do not fit (and from then on)."""
        if self.left is None:
            return True
        if self.spent or size > self.left:
            self.spent = self.cut = True
            return False
        self.left -= size
        return True


def _bounded(value: Any, depth: int, budget: _Budget) -> Any:
    if isinstance(value, dict | list) and depth >= MAX_DEPTH:
        budget.cut = True
        return f"{CUT}nested deeper than {MAX_DEPTH} levels)"
    if isinstance(value, list):
        kept: list[Any] = []
        for index, item in enumerate(value):
            if not budget.spend(1):
                kept.append(f"{CUT}{len(value) - index} more items)")
                break
            kept.append(_bounded(item, depth + 1, budget))
        return kept
    if isinstance(value, dict):
        members: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if not budget.spend(len(key) + 4):
                members[CUT_KEY] = f"{CUT}{len(value) - index} more properties)"
                break
            members[key] = _bounded(item, depth + 1, budget)
        return members
    if isinstance(value, str):
        keep = 0 if budget.spent else max((budget.left or 0) - 2, 0)
        if budget.spend(len(value) + 2):
            return value
        return value[:keep] + f"{CUT}{len(value) - keep} more characters)"
    budget.spend(len(orjson.dumps(value)) if budget.left is not None else 0)
    return value


def mask_token(token: str) -> str:
    return "****" + token[-4:] if len(token) > 4 else "****"


def mask_authorization(value: str) -> str:
    """``Bearer abcd...1234`` -> ``Bearer ****1234``; Basic credentials are masked on the token
    they carry; other schemes keep only their name."""
    scheme_text = value.strip().partition(" ")[0]
    scheme, token = token_from_header(value)
    if scheme in ("bearer", "basic") and token:
        return f"{scheme_text} {mask_token(token)}"
    return f"{scheme_text} ****" if scheme_text else "****"


def path_matches(pattern: str, *paths: str) -> bool:
    """Case-insensitive glob on any of the given paths (original and normalized)."""
    lowered = pattern.lower()
    return any(fnmatch.fnmatchcase(p.lower(), lowered) for p in paths if p)


def status_matches(wanted: str, status: int | None) -> bool:
    """``404`` exact, or a class such as ``4xx`` (a dropped request has no status)."""
    if status is None:
        return False
    wanted = wanted.strip().lower()
    if len(wanted) == 3 and wanted.endswith("xx") and wanted[0].isdigit():
        return str(status)[0] == wanted[0]
    return wanted == str(status)


class Journal:
    """Bounded, newest last internally; listed newest first."""

    def __init__(self, size: int = 1000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=max(size, 1))
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any], size: int) -> None:
        with self._lock:
            if self._entries.maxlen != size:
                self._entries = deque(self._entries, maxlen=max(size, 1))
            self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def select(self, *, method: str | None = None, path: str | None = None,
               status: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._entries)
        result = []
        for entry in reversed(entries):
            if method and entry["method"].upper() != method.upper():
                continue
            if path and not path_matches(path, entry["path"], entry["_routed"]):
                continue
            if status and not status_matches(status, entry["status"]):
                continue
            result.append(entry)
            if limit is not None and len(result) >= limit:
                break
        return result


def public(entry: dict[str, Any]) -> dict[str, Any]:
    """The wire form of an entry (internal keys start with ``_``)."""
    return {k: v for k, v in entry.items() if not k.startswith("_")}


def render(entries: list[dict[str, Any]]) -> bytes:
    """``{"requests": [...]}`` as JSON. It never fails: an entry that cannot be serialized
    (a case the bounds above should make impossible) is listed with its body replaced."""
    try:
        return orjson.dumps({"requests": [public(e) for e in entries]})
    except (orjson.JSONEncodeError, RecursionError):
        pass
    parts = []
    for entry in entries:
        try:
            parts.append(orjson.dumps(public(entry)))
        except (orjson.JSONEncodeError, RecursionError):
            parts.append(orjson.dumps({**public(entry),
                                       "body": f"{CUT}the body could not be rendered)"}))
    return b'{"requests":[' + b",".join(parts) + b"]}"
