"""The request journal: the recent requests to the 7pace routes of one organization."""

from __future__ import annotations

import fnmatch
import threading
from collections import deque
from typing import Any

from mockpace.common.auth import token_from_header

BODY_LIMIT = 65_536  # bytes of a request body kept in the journal


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
