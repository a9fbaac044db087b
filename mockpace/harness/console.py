"""The per-request console line of ``mockpace serve``: method, path as the client sent it,
status, duration and the request's contract warnings, one line per request.

Lines go to the logger ``mockpace.requests`` at INFO. Only ``mockpace serve`` (and its worker
processes) attach a handler, when the setting ``request_log`` is on; an app built in-process
(tests, the pytest plugin) prints nothing.
"""

from __future__ import annotations

import logging
import sys
import time

from mockpace.common.limits import header_value

logger = logging.getLogger("mockpace.requests")


def enable() -> None:
    """Print the request lines on stdout (idempotent)."""
    if not any(getattr(h, "mockpace_console", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.mockpace_console = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def printable(text: str) -> str:
    """``text`` safe for a terminal line: control (and other non-ASCII) characters escaped as
    ``\\xNN``, cut at 2000 characters (the response-header rule of common/limits.py). A
    percent-encoded newline or ANSI escape in a path (``/api/rest/me%0a...``) would otherwise
    forge console lines or drive the terminal."""
    return header_value(text).decode("ascii")


def line(method: str, path: str, query: str, status: int | None, duration_ms: float,
         warnings: list[str]) -> str:
    shown = printable(f"{path}?{query}" if query else path)
    text = (f"{time.strftime('%H:%M:%S')} {method} {shown} {status if status else 'dropped'} "
            f"{duration_ms:.1f}ms")
    if warnings:
        text += "  warnings: " + printable(" | ".join(warnings))
    return text


def log(method: str, path: str, query: str, status: int | None, duration_ms: float,
        warnings: list[str]) -> None:
    if logger.isEnabledFor(logging.INFO):
        logger.info(line(method, path, query, status, duration_ms, warnings))
