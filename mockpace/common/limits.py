"""The bounds every input meets before it reaches SQL, a header, a log or a number type.

One place per kind of input, used by every route family (README "Limits"):
- ``parse_int``: integers in query strings, paths and numeric strings: ASCII digits only (no
  ``²`` or Arabic-Indic digits), at most ``MAX_INT_DIGITS`` digits, within Int64 by default;
- ``parse_json``: request bodies: exact integers (a 26-digit number stays that number), at most
  ``MAX_NUMBER_CHARS`` characters per number, at most ``MAX_JSON_DEPTH`` levels of nesting;
- ``echo``: a client's value quoted in an error message, bounded in length;
- ``header_value``: a response header value built from input: only visible ASCII and spaces
  (HTTP forbids control characters; servers drop the connection on them);
- the body size limits are enforced by ``BodyLimitMiddleware`` (common/bodylimit.py).

Errors here are plain ``ValueError`` subclasses carrying a message; each surface turns them into
its own error shape (7pace or OData), naming the parameter or property.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_INT_DIGITS = 19  # Int64 has 19 digits; longer (leading zeros aside) is out of range
MAX_JSON_DEPTH = 32  # 7pace bodies nest 3 levels, an admin export 6
MAX_NUMBER_CHARS = 100  # one JSON number literal
MAX_ECHO_CHARS = 80  # a client value quoted in a message
MAX_HEADER_CHARS = 2000  # one response header value built from input
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024  # 7pace routes: a 500-item batch fits many times
DEFAULT_MAX_ADMIN_BODY_BYTES = 256 * 1024 * 1024  # admin plane: imports of whole exports
MAX_URL_BYTES = 32 * 1024  # path + query, answered 414 in the JSON shape above it
MAX_HEADER_BYTES = 64 * 1024  # all request headers together (431 above)
MAX_HEADERS = 100  # request header lines (431 above)
UVICORN_LIMITS: dict[str, Any] = {"h11_max_incomplete_event_size": MAX_HEADER_BYTES}  # h11 only

# Dates: the real service stores SQL Server datetimes; outside these years dates cannot be
# stored or shifted to a user's zone (and Python's date arithmetic overflows near year 9999).
MIN_YEAR, MAX_YEAR = 1753, 9998

_ASCII_INT = re.compile(r"[+-]?[0-9]+")


class NumberError(ValueError):
    """A number that is not an integer, or out of range; the message says which."""


class JsonBodyError(ValueError):
    """A body that is not JSON, or beyond the depth or number bounds."""


def echo(value: Any, limit: int = MAX_ECHO_CHARS) -> str:
    """``value`` as the client sent it (a string as is, else JSON), cut to ``limit``
    characters."""
    return _cut(value if isinstance(value, str) else echo_json(value, limit), limit)


def echo_json(value: Any, limit: int = MAX_ECHO_CHARS) -> str:
    """A body value as JSON (strings quoted, integers exact), cut to ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = type(value).__name__
    return _cut(text, limit)


def _cut(text: str, limit: int) -> str:
    if len(text) > limit:
        return f"{text[:limit]}...({len(text)} characters)"
    return text


def parse_int(text: str, *, minimum: int = INT64_MIN, maximum: int = INT64_MAX) -> int:
    """The integer written in ``text`` (blanks around it ignored), within [minimum, maximum].

    NumberError says "'x' is not an integer" or "'x' is out of range (min to max)"."""
    stripped = text.strip()
    if not _ASCII_INT.fullmatch(stripped):
        raise NumberError(f"'{echo(text)}' is not an integer")
    digits = stripped.lstrip("+-").lstrip("0")
    if len(digits) > MAX_INT_DIGITS or not minimum <= (number := int(stripped)) <= maximum:
        raise NumberError(f"'{echo(stripped)}' is out of range ({minimum} to {maximum})")
    return number


def is_int_text(text: str) -> bool:
    """ASCII digits with an optional sign (``str.isdigit`` also accepts ``²``)."""
    return _ASCII_INT.fullmatch(text.strip()) is not None


# -- JSON bodies ----------------------------------------------------------------------------------
def _exact_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonBodyError(f"a number has {len(text)} characters; at most {MAX_NUMBER_CHARS} "
                            "are accepted")
    return int(text)


def _finite_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonBodyError(f"a number has {len(text)} characters; at most {MAX_NUMBER_CHARS} "
                            "are accepted")
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise JsonBodyError(f"the number {echo(text)} is out of range")
    return number


def _no_constant(text: str) -> Any:
    raise JsonBodyError(f"'{text}' is not a JSON value")


def _check_depth(value: Any) -> bool:
    """Raise if ``value`` nests deeper than MAX_JSON_DEPTH; True when it holds a float too
    large to be exact (orjson turns integers beyond 64 bits into floats)."""
    inexact = False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            if isinstance(item, float) and abs(item) >= 2**53:
                inexact = True
            continue
        if depth > MAX_JSON_DEPTH:
            raise JsonBodyError(f"it nests deeper than {MAX_JSON_DEPTH} levels")
        stack.extend((child, depth + 1) for child in children)
    return inexact


def parse_json(raw: bytes) -> Any:
    """The JSON value of ``raw``, exact and bounded; JsonBodyError with the problem.

    orjson parses (fast, strict UTF-8, no lone surrogates, no NaN); when it gave a float that
    may stand for an integer beyond 64 bits, the standard library parses again exactly."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        message = str(exc)
        if "recursion" in message.lower():
            raise JsonBodyError(f"it nests deeper than {MAX_JSON_DEPTH} levels") from None
        if "infinity" in message.lower():
            raise JsonBodyError("a number is out of range") from None
        raise JsonBodyError(f"malformed JSON ({message})") from None
    if _check_depth(value):
        try:
            value = json.loads(raw, parse_int=_exact_int, parse_float=_finite_float,
                               parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:  # JsonBodyError is a ValueError
            if isinstance(exc, JsonBodyError):
                raise
            raise JsonBodyError(f"malformed JSON ({exc})") from None
    return value


# The harness middleware parses a 7pace request's JSON body once (for its diagnostics and its
# journal) and leaves it here in the ASGI scope's state: (raw body, value or JsonBodyError).
JSON_STATE = "mockpace_json"


def shared_json(state: dict[str, Any] | None, raw: bytes) -> Any:
    """``parse_json(raw)``, taken from the harness's parse of this request when there is one.
    Taken once (popped): the taker may change the value, nobody reads it after."""
    hit = state.pop(JSON_STATE, None) if state is not None else None
    if hit is not None and (hit[0] is raw or hit[0] == raw):
        if isinstance(hit[1], JsonBodyError):
            raise JsonBodyError(str(hit[1]))
        return hit[1]
    return parse_json(raw)


# -- response headers -------------------------------------------------------------------------
_UNSAFE = re.compile(r"[^\x20-\x7e]")


def header_value(text: str) -> bytes:
    """``text`` as a header value HTTP accepts: characters outside visible ASCII and space are
    written as ``\\xNN``/``\\uNNNN`` escapes, and the value is cut to MAX_HEADER_CHARS."""
    safe = _UNSAFE.sub(lambda m: _escape(m.group()), text)
    if len(safe) > MAX_HEADER_CHARS:
        safe = safe[:MAX_HEADER_CHARS - 3] + "..."
    return safe.encode("ascii")


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def is_safe_header_value(value: bytes) -> bool:
    return all(0x20 <= b <= 0x7E or b == 0x09 for b in value)
