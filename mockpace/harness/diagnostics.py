"""Contract diagnostics: deviations from the documented 7pace contract that the real service
would silently ignore or read differently. Each becomes an ``X-Mockpace-Warning`` header and a
journal warning, or, with ``strict_contract``, a 400.

The checks (the README lists them with examples):
- ``unknown-parameter``: a query parameter the endpoint does not document;
- ``missing-dollar``: a REST/Tracking parameter sent without its ``$`` (``fromTimestamp``);
- ``not-rest-parameter``: ``$top`` on REST (paging is ``$count``/``$skip``);
- ``unknown-property``: a JSON body property the endpoint does not document (with a
  did-you-mean for misspellings);
- ``deprecated-version``: an api-version the vendor has deprecated;
- ``no-offset``: a timestamp without ``Z`` or an offset where the user's time zone decides;
- ``content-type``: a JSON body sent as ``text/plain``, as a form or without a content type;
- ``odata-option-case``: an OData system query option not written in lower case (``$Filter``);
- ``unknown-option``: a ``$`` option OData does not define (``$filters``), answered 400 as the
  real service does;
- ``odata-property-case``: a property name in ``$filter``/``$select``/``$orderby``/``$expand``
  written in another case than the model's (noticed by the Reporting surface, through
  ``mockpace.common.contract``).

Batch items are checked one by one: every item's deviations are reported (``[3].date``). One
answer carries at most ``MAX_HEADERS`` warning headers; the journal keeps up to
``MAX_WARNINGS`` warnings per request.
"""

from __future__ import annotations

import difflib
from typing import Any
from urllib.parse import parse_qsl

import orjson

from mockpace.common.contract import Diagnostic
from mockpace.common.limits import header_value
from mockpace.common.timefmt import _ISO, _US
from mockpace.common.versions import DEPRECATED_VERSIONS
from mockpace.harness.catalog import (
    ODATA_EXTENSIONS,
    ODATA_OPTIONS,
    TIMESTAMP_BODY,
    TIMESTAMP_PARAMS,
    Endpoint,
)

MAX_WARNINGS = 1000  # per request, in the journal
MAX_HEADERS = 20  # X-Mockpace-Warning headers of one answer


def _no_offset(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip()
    match = _ISO.match(text)
    if match:
        return match.group(8) is None
    return bool(_US.match(text))


def check(endpoint: Endpoint, query: str, body: bytes,
          content_type: str | None, document: Any = None) -> list[Diagnostic]:
    """The contract warnings of a request; ``document``: its JSON body already parsed
    (the harness middleware parses it once), else parsed here."""
    found: list[Diagnostic] = []
    pairs = parse_qsl(query, keep_blank_values=True) if query else []
    if endpoint.surface == "reporting":
        if body and endpoint.method == "POST":  # /$query: the body is a query string too
            pairs += parse_qsl(body.decode("utf-8", "replace").strip(), keep_blank_values=True)
        _check_odata(endpoint, pairs, found)
    else:
        _check_query(endpoint, pairs, found)
        if body and endpoint.body is not None:
            if document is None:
                document = _json(body)
            if document is not _NOT_JSON:
                _check_content_type(content_type, found)
                _check_body(endpoint, document, found)
    if len(found) > MAX_WARNINGS:
        more = len(found) - MAX_WARNINGS
        found[MAX_WARNINGS:] = [Diagnostic(
            "more-warnings", "", found[MAX_WARNINGS].where,
            f"more-warnings: {more} more contract warnings of this request are not listed")]
    return found


_NOT_JSON: Any = object()


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return _NOT_JSON  # the route answers the malformed body itself


def _check_content_type(content_type: str | None, found: list[Diagnostic]) -> None:
    """A JSON body needs a JSON media type: ASP.NET picks its body reader by Content-Type, and
    its JSON reader takes ``application/json``, ``text/json`` and ``*+json``."""
    media = (content_type or "").partition(";")[0].strip().lower()
    if media in ("application/json", "text/json") or media.endswith("+json"):
        return
    sent = f"as '{media}'" if media else "without a Content-Type"
    found.append(Diagnostic(
        "content-type", "Content-Type", "header",
        f"content-type: the JSON body was sent {sent}; the real service reads bodies by "
        "Content-Type and may not read it as JSON, send 'Content-Type: application/json'"))


def _check_query(endpoint: Endpoint, pairs: list[tuple[str, str]],
                 found: list[Diagnostic]) -> None:
    documented = {p.lower(): p for p in endpoint.params}
    seen: set[str] = set()
    for name, value in pairs:
        lower = name.lower()
        if lower in seen:
            continue
        seen.add(lower)
        if lower == "api-version":
            if value.strip().lower() in {v.lower() for v in DEPRECATED_VERSIONS}:
                found.append(Diagnostic(
                    "deprecated-version", "api-version", "query",
                    f"deprecated-version: api-version '{value}' is deprecated by 7pace; the real "
                    "service may retire it, use 3.2"))
            continue
        if lower in documented:
            canonical = documented[lower]
            if canonical in TIMESTAMP_PARAMS and _no_offset(value):
                found.append(Diagnostic(
                    "no-offset", canonical, "query",
                    f"no-offset: '{name}={value}' has no UTC offset; the real service reads it "
                    "in the user's Timetracker time zone (me.timeZone)"))
            continue
        bare = lower.lstrip("_")
        if "$" + bare in documented:
            found.append(Diagnostic(
                "missing-dollar", name, "query",
                f"missing-dollar: query parameter '{name}' lacks its '$'; the real service "
                f"ignores it, send '{documented['$' + bare]}'"))
        elif endpoint.surface == "rest" and lower == "$top":
            found.append(Diagnostic(
                "not-rest-parameter", name, "query",
                "not-rest-parameter: '$top' is not a REST parameter; the real service ignores "
                "it, page with '$count' and '$skip'"))
        else:
            known = ", ".join(endpoint.params) or "none besides api-version"
            found.append(Diagnostic(
                "unknown-parameter", name, "query",
                f"unknown-parameter: query parameter '{name}' is not documented for "
                f"{endpoint.method} {endpoint.path}; the real service ignores it "
                f"(documented: {known})"))


_OPTIONS = {o.lower(): o for o in ODATA_OPTIONS}
_EXTENSIONS = {e.lower() for e in ODATA_EXTENSIONS}


def _check_odata(endpoint: Endpoint, pairs: list[tuple[str, str]],
                 found: list[Diagnostic]) -> None:
    seen: set[str] = set()
    for name, _value in pairs:
        lower = name.lower()
        if lower in seen:
            continue
        seen.add(lower)
        if lower in _OPTIONS or "$" + lower in _OPTIONS:
            canonical = _OPTIONS.get(lower) or _OPTIONS["$" + lower]
            bare_canonical = canonical.lstrip("$")
            if name not in (canonical, bare_canonical):
                found.append(Diagnostic(
                    "odata-option-case", name, "query",
                    f"odata-option-case: OData option '{name}' is not lower case; mockpace "
                    f"accepts it, a standard OData service may reject or ignore it, write "
                    f"'{canonical}'"))
            continue
        if lower in _EXTENSIONS or lower == "api-version":
            continue
        if lower.startswith("$"):
            close = difflib.get_close_matches(lower, list(_OPTIONS), n=1, cutoff=0.75)
            hint = f" (did you mean '{_OPTIONS[close[0]]}'?)" if close else ""
            found.append(Diagnostic(
                "unknown-option", name, "query",
                f"unknown-option: '{name}' is not an OData system query option{hint}; the "
                "real service answers 400, as mockpace does"))
            continue
        found.append(Diagnostic(
            "unknown-parameter", name, "query",
            f"unknown-parameter: query parameter '{name}' is not an OData option or a 7pace "
            "Reporting parameter; the real service ignores it"))


def _check_body(endpoint: Endpoint, document: Any, found: list[Diagnostic]) -> None:
    assert endpoint.body is not None
    items: list[tuple[str, Any]]
    if endpoint.body_is_array and isinstance(document, list):
        items = [(f"[{i}].", item) for i, item in enumerate(document)]
    else:
        items = [("", document)]
    documented = {p.lower(): p for p in endpoint.body}
    for prefix, item in items:  # every item of a batch on its own: "[3].date"
        if not isinstance(item, dict):
            continue
        reported: set[str] = set()  # one warning per property name of an item
        for key, value in item.items():
            lower = str(key).lower()
            if lower in documented:
                canonical = documented[lower]
                if canonical in TIMESTAMP_BODY and _no_offset(value) and \
                        "no-offset:" + lower not in reported:
                    reported.add("no-offset:" + lower)
                    found.append(Diagnostic(
                        "no-offset", prefix + key, "body",
                        f"no-offset: body property '{prefix}{key}' = '{value}' has no UTC "
                        "offset; the real service reads it in the user's Timetracker time "
                        "zone (me.timeZone)"))
                continue
            if lower in reported:
                continue
            reported.add(lower)
            close = difflib.get_close_matches(lower, list(documented), n=1, cutoff=0.75)
            hint = f" (did you mean '{documented[close[0]]}'?)" if close else ""
            found.append(Diagnostic(
                "unknown-property", prefix + str(key), "body",
                f"unknown-property: body property '{prefix}{key}' is not documented for "
                f"{endpoint.method} {endpoint.path}{hint}; the real service ignores it"))


def header_values(diagnostics: list[Diagnostic]) -> list[bytes]:
    """One ``X-Mockpace-Warning`` value per diagnostic (at most MAX_HEADERS); names the client
    sent (control characters, non-ASCII) are escaped, as every header value built from input
    is."""
    shown = [header_value(d.text) for d in diagnostics[:MAX_HEADERS]]
    if len(diagnostics) > MAX_HEADERS:
        shown.append(header_value(f"{len(diagnostics) - MAX_HEADERS} more contract warnings: "
                                  "see GET /_mockpace/requests"))
    return shown
