"""Query-option parsing: names with or without `$`, case-insensitive (docs/emulation.md s8), and
the small grammars of `$select`, `$expand`, `$orderby`, `$top`, `$skip`, `$count`.

Every problem is a 400 naming the option, the position and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from mockpace.common import limits
from mockpace.common.errors import ODataError

SYSTEM = ("filter", "select", "expand", "orderby", "top", "skip", "count", "apply", "search",
          "format", "skiptoken", "levels", "compute", "index", "schemaversion", "batch")
NOT_IMPLEMENTED = ("search", "skiptoken", "levels", "compute", "index", "schemaversion",
                   "batch")
MAX_ORDERBY_KEYS = 32  # SQLite adds each key to the sorter: bounded far below its limits
SEVEN_PACE = ("worklogsfilter", "workitemsfilter", "workitemfilterapplytarget", "customfields",
              "rollupfields", "prefilter")


@dataclass
class Options:
    """Normalized options: system names without `$`, lower case; 7pace names lower case.
    ``raw`` keeps the pairs as sent (for next links)."""

    values: dict[str, str] = field(default_factory=dict)
    raw: list[tuple[str, str]] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def normalize_name(name: str) -> tuple[str, bool]:
    """(canonical name, is_system)."""
    lower = name.strip().lower()
    bare = lower[1:] if lower.startswith("$") else lower
    if bare in SYSTEM:
        return bare, True
    return lower, False


def parse_options(*query_strings: str) -> Options:
    """Merge query strings (URL, then a `$query` body; later ones win for repeated names)."""
    options = Options()
    for qs in query_strings:
        seen: set[str] = set()
        for name, value in parse_qsl(qs, keep_blank_values=True):
            canonical, system = normalize_name(name)
            if system:
                if canonical in seen:
                    raise ODataError(f"The query option '{name}' is given more than once.",
                                     target=name)
                seen.add(canonical)
            elif name.strip().startswith("$"):
                raise ODataError(f"Unknown query option '{name}'. Supported: "
                                 f"{', '.join('$' + s for s in SYSTEM if s not in ('batch',))}.",
                                 target=name)
            elif canonical not in SEVEN_PACE:
                continue  # custom parameters are ignored, as ASP.NET OData does
            options.values[canonical] = value
            options.raw = [(n, v) for n, v in options.raw
                           if normalize_name(n)[0] != canonical] + [(name, value)]
    for name in NOT_IMPLEMENTED:
        if name in options.values:
            raise ODataError(f"The query option '${name}' is not implemented by mockpace.",
                             status=501, code="NotImplemented", target=f"${name}")
    return options


def split_top(text: str, sep: str, option: str) -> list[tuple[str, int]]:
    """Split on ``sep`` outside parentheses and quotes; (item, position) pairs."""
    parts: list[tuple[str, int]] = []
    depth, start, quoted = 0, 0, False
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise ODataError(f"Syntax error in {option} at position {i}: unbalanced ')'.",
                                 target=option)
        elif ch == sep and depth == 0:
            parts.append((text[start:i], start))
            start = i + 1
    if depth != 0 or quoted:
        raise ODataError(f"Syntax error in {option} at position {len(text)}: unbalanced "
                         "parentheses or quotes.", target=option)
    parts.append((text[start:], start))
    return parts


def parse_select(text: str, option: str = "$select") -> list[tuple[list[str], int]]:
    items = []
    for item, pos in split_top(text, ",", option):
        path = item.strip()
        if not path:
            raise ODataError(f"Syntax error in {option} at position {pos}: empty item.",
                             target=option)
        if path == "*":
            items.append((["*"], pos))
            continue
        segments = path.split("/")
        if any(not s.strip() or not _is_name(s.strip()) for s in segments):
            raise ODataError(f"Syntax error in {option} at position {pos}: '{path}' is not a "
                             "property path.", target=option)
        items.append(([s.strip() for s in segments], pos))
    return items


def _is_name(text: str) -> bool:
    return text.replace("_", "a").isalnum() and not text[0].isdigit()


@dataclass
class ExpandItem:
    name: str
    position: int
    options: Options


def parse_expand(text: str, option: str = "$expand") -> list[ExpandItem]:
    items = []
    for item, pos in split_top(text, ",", option):
        item = item.strip()
        if not item:
            raise ODataError(f"Syntax error in {option} at position {pos}: empty item.",
                             target=option)
        name, paren, rest = item.partition("(")
        name = name.strip()
        if "/" in name:
            raise ODataError(f"Invalid {option} at position {pos}: expand paths ('{name}') are "
                             "not supported; nest $expand instead.", target=option)
        if not _is_name(name):
            raise ODataError(f"Syntax error in {option} at position {pos}: '{name}' is not a "
                             "navigation property name.", target=option)
        nested = Options()
        if paren:
            if not rest.endswith(")"):
                raise ODataError(f"Syntax error in {option} at position {pos}: missing ')'.",
                                 target=option)
            inner = rest[:-1]
            for part, _ in split_top(inner, ";", option):
                if not part.strip():
                    continue
                key, eq, value = part.partition("=")
                canonical, system = normalize_name(key)
                if not eq or not system or canonical not in ("select", "filter", "orderby",
                                                              "top", "skip", "expand", "count"):
                    raise ODataError(f"Invalid {option} at position {pos}: '{part.strip()}' is "
                                     "not a supported nested option ($select, $filter, "
                                     "$orderby, $top, $skip, $expand).", target=option)
                nested.values[canonical] = value
        items.append(ExpandItem(name, pos, nested))
    return items


def parse_orderby(text: str, option: str = "$orderby") -> list[tuple[list[str], bool, int]]:
    """(path, descending, position) items; at most MAX_ORDERBY_KEYS of them."""
    items = []
    parts = split_top(text, ",", option)
    if len(parts) > MAX_ORDERBY_KEYS:
        raise ODataError(f"Invalid {option}: {len(parts)} sort keys; at most "
                         f"{MAX_ORDERBY_KEYS} are accepted.", target=option)
    for item, pos in parts:
        words = item.split()
        if not words or len(words) > 2:
            raise ODataError(f"Syntax error in {option} at position {pos}: expected "
                             f"'property [asc|desc]', got '{item.strip()}'.", target=option)
        descending = False
        if len(words) == 2:
            direction = words[1].lower()
            if direction not in ("asc", "desc"):
                raise ODataError(f"Syntax error in {option} at position {pos}: unknown "
                                 f"direction '{words[1]}' (asc or desc).", target=option)
            descending = direction == "desc"
        segments = words[0].split("/")
        if any(not _is_name(s) for s in segments if s) or not all(segments):
            raise ODataError(f"Invalid {option} at position {pos}: '{words[0]}' is not a "
                             "property path (functions are not supported in $orderby).",
                             target=option)
        items.append((segments, descending, pos))
    return items


def parse_int(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if not (limits.is_int_text(text) and text[:1].isdigit()):
        raise ODataError(f"Invalid {option} at position 0: '{limits.echo(value)}' is not a "
                         "non-negative integer.", target=option)
    try:
        return limits.parse_int(text, minimum=0, maximum=limits.INT32_MAX)
    except limits.NumberError:
        raise ODataError(f"Invalid {option}: {limits.echo(text)} is too large (at most "
                         f"{limits.INT32_MAX}).", target=option) from None


def parse_bool(value: str | None, option: str) -> bool:
    if value is None:
        return False
    text = value.strip().lower()
    if text not in ("true", "false"):
        raise ODataError(f"Invalid {option} at position 0: '{value}' is not true or false.",
                         target=option)
    return text == "true"
