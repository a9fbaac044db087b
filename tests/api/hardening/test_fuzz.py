"""Property-based fuzzing of every route family (hypothesis): random and mangled parameters,
path segments, bodies, header values and OData expressions. The one property: the answer is
below 500, an error is a JSON body in the shape of its surface (7pace or OData), every header
value is one HTTP allows (a real server would drop the connection otherwise), and the server is
still healthy afterwards.

``make test`` runs a bounded, deterministic number of examples per family (tens of seconds in
all). For a longer, randomized run locally::

    MOCKPACE_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/api/hardening/test_fuzz.py
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockpace.admin.service import token_list
from mockpace.harness import catalog, harness_of
from mockpace.orgs import DataSource
from mockpace.settings import ORG_SETTING_NAMES
from tests.api.hardening.shapes import check_answer
from tests.conftest import SMALL_FIXTURE, bearer, build_app, default_org

LONG = "MOCKPACE_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("MOCKPACE_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not LONG,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def fuzz_app() -> FastAPI:
    return build_app(DataSource(fixture=str(SMALL_FIXTURE)))


@pytest.fixture(scope="module")
def admin_token(fuzz_app: FastAPI) -> str:
    admin = next(t for t in token_list(default_org(fuzz_app)) if t["role"] == "Administrator")
    return str(admin["token"])


@pytest.fixture(scope="module")
def client(fuzz_app: FastAPI, admin_token: str) -> Iterator[TestClient]:
    with TestClient(fuzz_app) as http:  # exceptions inside the app fail the test
        yield http
    # Whatever the fuzz did, the server still answers (no poisoned state).
    with TestClient(fuzz_app) as http:
        assert http.get("/_mockpace/health").status_code == 200
        assert http.get("/api/rest/me?api-version=3.2",
                        headers=bearer(admin_token)).status_code in (200, 429)


# -- strategies ---------------------------------------------------------------------------------
EDGE_TEXT = ["", " ", "0", "-1", "1", "2147483647", "2147483648", "-2147483649",
             "9223372036854775807", "9223372036854775808", "99999999999999999999",
             "9" * 5000, "1e400", "-0", "1.5", "NaN", "Infinity", "null", "true", "false",
             "\u00b2", "\u0663", "\uff11", "'", "''", "(", ")", "%", "_", "\\", "\x00", "\x1f",
             "\ud7ff", "\U0001f600", "00000000-0000-0000-0000-000000000000", "2026-11-02",
             "2026-11-02T10:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01", "11/2/2026 9:00 AM",
             "#12", "true,false", "1,2,3", "a" * 3000]
text_values = st.one_of(st.sampled_from(EDGE_TEXT), st.text(max_size=20),
                        st.integers().map(str),
                        st.integers(min_value=19, max_value=6000).map(lambda n: "9" * n))
param_names = st.one_of(st.sampled_from(sorted({p for e in catalog.ENDPOINTS for p in e.params}
                                                | {"api-version", "$top", "count", "_skip",
                                                   "a\nb", "x\x1fy", "\u00e9"})),
                        st.text(max_size=10))
big_ints = st.one_of(st.integers(min_value=-(2**64), max_value=2**64),
                     st.integers(min_value=2**63 - 2, max_value=10**30),
                     st.sampled_from([10**100, -(10**100), 2**31, 2**63]))
scalars = st.one_of(st.none(), st.booleans(), big_ints,
                    st.floats(allow_nan=False, allow_infinity=False), text_values)
json_keys = st.one_of(st.sampled_from(sorted({p for e in catalog.ENDPOINTS for p in e.body or ()}
                                             | {"query", "secret", "id", "role", "users"})),
                      st.text(max_size=8))
json_values = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(json_keys, children, max_size=4)),
    max_leaves=12)


@st.composite
def bodies(draw: st.DrawFn, documented: tuple[str, ...] | None) -> bytes:
    """JSON documents (often with the documented properties), mangled JSON, deep nesting,
    bytes that are not UTF-8, numbers beyond every range."""
    kind = draw(st.sampled_from(["documented", "json", "mangled", "deep", "binary", "number",
                                 "empty"]))
    if kind == "documented" and documented:
        value: Any = draw(st.fixed_dictionaries(
            {}, optional={name: json_values for name in documented}))
        if draw(st.booleans()):
            value = [value] * draw(st.integers(min_value=0, max_value=3))
    elif kind in ("json", "documented"):
        value = draw(json_values)
    elif kind == "deep":
        depth = draw(st.integers(min_value=20, max_value=800))
        leaf = draw(st.sampled_from(['1', '"x"', "{}", "null"]))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        inner = opener * depth + leaf + closer * depth
        wrapper = draw(st.sampled_from(["{}", '{"length": 60, "comment": %s}', '{"tfsId": %s}',
                                        '{"query": %s}', "%s"]))
        return (wrapper % inner if "%s" in wrapper else inner).encode()
    elif kind == "binary":
        return draw(st.binary(max_size=64))
    elif kind == "number":
        digits = draw(st.integers(min_value=1, max_value=6000))
        return draw(st.sampled_from(['{"length": %s}', '{"tfsId": %s}', "%s", "[%s]"])) \
            .replace("%s", "9" * digits).encode()
    elif kind == "empty":
        return draw(st.sampled_from([b"", b" ", b"null", b"[]", b"{}", b'""', b"0"]))
    else:
        text = json.dumps(draw(json_values), ensure_ascii=draw(st.booleans()))
        cut = draw(st.integers(min_value=0, max_value=len(text)))
        noise = draw(st.text(max_size=4))
        return (text[:cut] + noise + text[cut + draw(st.integers(0, 3)):]).encode(
            "utf-8", "surrogatepass")
    return json.dumps(value, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                             exclude_characters="\x7f"), max_size=40)


@st.composite
def headers(draw: st.DrawFn, token: str) -> dict[str, bytes]:
    """Authorization (valid, mangled, other schemes), Content-Type, Prefer, noise."""
    result: dict[str, str] = {}
    auth = draw(st.sampled_from(["valid"] * 12 + ["mangled", "basic", "none", "noise",
                                                  "windows"]))
    if auth == "valid":
        result["Authorization"] = f"Bearer {token}"
    elif auth == "mangled":
        result["Authorization"] = "Bearer " + token[:draw(st.integers(0, len(token)))] + \
            draw(header_text)
    elif auth == "basic":
        result["Authorization"] = "Basic " + draw(header_text)
    elif auth == "noise":
        result["Authorization"] = draw(header_text)
    elif auth == "windows":  # NTLM / SPNEGO tokens: well-formed heads, random rest
        head = draw(st.sampled_from([b"", b"NTLMSSP\x00\x01\x00\x00\x00",
                                     b"NTLMSSP\x00\x03\x00\x00\x00", b"\x60\x82"]))
        token_bytes = head + draw(st.binary(max_size=120))
        result["Authorization"] = draw(st.sampled_from(["NTLM ", "Negotiate "])) + \
            base64.b64encode(token_bytes).decode()
    result["Content-Type"] = draw(st.one_of(st.sampled_from([
        "application/json", "application/json; charset=utf-8", "text/plain",
        "application/x-www-form-urlencoded", "application/merge-patch+json"]), header_text))
    if draw(st.booleans()):
        result["Prefer"] = draw(st.one_of(
            st.sampled_from(["odata.maxpagesize=2", "return=minimal"]),
            text_values.filter(_latin1).map(lambda v: "odata.maxpagesize=" + v)))
    if draw(st.booleans()):
        result["X-Noise"] = draw(header_text)
    return {k: v.encode("latin-1") for k, v in result.items()}


def _latin1(text: str) -> bool:
    return all(0x20 <= ord(c) <= 0xFF and c != "\x7f" for c in text)


def query_string(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='$')}={quote(v, safe='')}"
                    for k, v in pairs if _encodable(k) and _encodable(v))


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def segment(draw: st.DrawFn) -> str:
    value = draw(st.one_of(st.sampled_from(["1", "0", "103", "x", "2", "3", "7"]), text_values))
    return quote(value, safe="") if _encodable(value) else "x"


def fill(draw: st.DrawFn, path: str) -> str:
    parts = []
    for piece in path.replace("{version}", draw(st.sampled_from(
            ["v3.2", "v3.0", "v3.3-beta", "v9", "V3.2"]))).split("/"):
        if "{" in piece:
            head = piece.split("{")[0]
            piece = head + segment(draw) + ("" if piece.endswith("}") else piece.split("}")[-1])
            if "(" in head:
                piece += ")"
        parts.append(piece)
    return "/".join(parts)


OPS = ["eq", "ne", "gt", "ge", "lt", "le"]
PROPS = ["PeriodLength", "WorkItemId", "Comment", "Timestamp", "User/Name", "IsBillable",
         "WorkItem/System_Title", "WorkItem/System_State", "Parent/System_Id", "System_Id",
         "Id", "Unknown", "$it", "AllWorklogs", "Children", "ActivityType/Name", "Length"]
LITERALS = st.one_of(st.sampled_from(["1", "0", "-1", "1.5", "null", "true", "'x'", "'O''Neil'",
                                      "''", "'%_'", "2026-11-02", "2026-11-02T10:00:00Z",
                                      "2026-11-02T10:00:00+02:00", "duration'PT1H'",
                                      "duration'P1Y'", "duration'-P3DT4H'",
                                      "7c9e6679-7425-40de-944b-e07fc1f90ae7", "1e999",
                                      "9223372036854775808", "99999999999999999999",
                                      "Ns.BudgetAssignmentType'NoBudget'"]),
                     st.integers(min_value=19, max_value=6000).map(lambda n: "9" * n),
                     st.integers(min_value=1, max_value=6000).map(
                         lambda n: f"duration'PT{'9' * n}S'"),
                     big_ints.map(str))
comparisons = st.builds(lambda p, o, v: f"{p} {o} {v}", st.sampled_from(PROPS),
                        st.sampled_from(OPS), LITERALS)


def _extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        inner.map(lambda e: f"not ({e})"),
        st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
        st.builds(lambda a, b: f"{a} or {b}", inner, inner),
        inner.map(lambda e: f"Children/any(c: {e.replace('PeriodLength', 'c/System_Id')})"),
        inner.map(lambda e: "DirectWorklogs/all(w: "
                  f"{e.replace('PeriodLength', 'w/PeriodLength')})"),
        st.builds(lambda v: f"contains(Comment, {v})", LITERALS),
        st.builds(lambda a, b: f"WorkItemId in ({a},{b})", LITERALS, LITERALS),
        st.builds(lambda v: f"year(Timestamp) eq {v}", LITERALS),
        st.builds(lambda a, b: f"substring(Comment,{a}) eq {b}", LITERALS, LITERALS),
        st.builds(lambda a: f"PeriodLength add {a} gt 0", LITERALS),
        st.integers(min_value=1, max_value=450).map(lambda n: "not (" * n + "true" + ")" * n),
    )


expressions = st.recursive(comparisons, _extend, max_leaves=8)


@st.composite
def mangled(draw: st.DrawFn, base: st.SearchStrategy[str]) -> str:
    text = draw(base)
    if draw(st.booleans()):
        return text
    at = draw(st.integers(min_value=0, max_value=len(text)))
    return text[:at] + draw(st.text(max_size=3)) + text[at + draw(st.integers(0, 4)):]


odata_options = st.fixed_dictionaries({}, optional={
    "$filter": mangled(expressions),
    "$orderby": st.one_of(st.lists(st.sampled_from(["PeriodLength", "Timestamp desc",
                                                    "User/Name asc", "x"]),
                                   min_size=1, max_size=40).map(",".join), text_values),
    "$select": st.one_of(st.sampled_from(["Id,PeriodLength", "User/Name", "*", "WorkItem",
                                          "Nope"]), text_values),
    "$expand": st.one_of(st.sampled_from(["Parent", "Parent($select=System_Id)", "Root",
                                          "Parent($filter=x)"]), text_values),
    "$top": text_values, "$skip": text_values,
    "$count": st.sampled_from(["true", "false", "x"]),
    "$apply": mangled(st.one_of(
        st.sampled_from(["groupby((User/Name))", "x",
                         "groupby((User/Name),aggregate(PeriodLength with sum as Total))",
                         "aggregate($count as N)", "compute(PeriodLength mul 2 as D)"]),
        expressions.map(lambda e: f"filter({e})"),
        LITERALS.map(lambda v: f"compute(PeriodLength add {v} as X)/groupby((X))"))),
    "worklogsFilter": mangled(expressions), "workItemsFilter": mangled(expressions),
    "customFields": text_values,
})


# Percent-escapes that are not UTF-8, or not escapes at all, added to a query as they are.
RAW_NOISE = st.sampled_from(["", "", "", "&%ff=%fe", "&%00=%c0%af", "&a=%", "&%zz=1",
                             "&$filter=%ff", "&$count=%ff", "&$top=%ef%bc%91"])


def send(client: TestClient, method: str, path: str, query: str, body: bytes | None,
         header_values: dict[str, bytes], noise: str = "", onprem: bool = False) -> None:
    """One request; ``onprem`` sends it on the on-prem path (/api/{collection}/...)."""
    query += noise
    if onprem and path.startswith(("/api/rest", "/api/tracking", "/api/odata")):
        path = "/api/DefaultCollection/" + path[len("/api/"):]
    url = path + ("?" + query if query else "")
    response = client.request(method, url, content=body, headers=header_values)
    check_answer(path, response)


# -- the families ----------------------------------------------------------------------------
def _endpoints(*surfaces: str) -> list[catalog.Endpoint]:
    return [e for e in catalog.ENDPOINTS if e.surface in surfaces and e.status != "none"]


@FUZZ
@given(data=st.data())
def test_fuzz_rest(client: TestClient, admin_token: str, data: st.DataObject) -> None:
    endpoint = data.draw(st.sampled_from(_endpoints("rest")))
    pairs = [("api-version", data.draw(st.sampled_from(["3.2"] * 6 + ["3.0", "3.1", "x",
                                                                    "\u00b3.2"])))]
    pairs += data.draw(st.lists(st.tuples(param_names, text_values), max_size=5))
    body = data.draw(bodies(endpoint.body)) if endpoint.method in ("POST", "PATCH") else None
    send(client, endpoint.method, fill(data.draw, endpoint.path), query_string(pairs), body,
         data.draw(headers(admin_token)), data.draw(RAW_NOISE), data.draw(st.booleans()))


@FUZZ
@given(data=st.data())
def test_fuzz_tracking_and_pin(client: TestClient, admin_token: str,
                               data: st.DataObject) -> None:
    endpoint = data.draw(st.sampled_from(_endpoints("tracking")))
    pairs = [("api-version", data.draw(st.sampled_from(["3.2"] * 6 + ["3.1", "3.0", "2.1",
                                                                    "x"])))]
    pairs += data.draw(st.lists(st.tuples(param_names, text_values), max_size=4))
    body = data.draw(bodies(endpoint.body)) if endpoint.method == "POST" else None
    send(client, endpoint.method, fill(data.draw, endpoint.path), query_string(pairs), body,
         data.draw(headers(admin_token)), data.draw(RAW_NOISE), data.draw(st.booleans()))


@FUZZ
@given(data=st.data())
def test_fuzz_reporting(client: TestClient, admin_token: str, data: st.DataObject) -> None:
    endpoint = data.draw(st.sampled_from(_endpoints("reporting")))
    path = fill(data.draw, endpoint.path)
    if "{" not in endpoint.path and path.count("/") > 3:
        pass
    elif "{set}" in endpoint.path:  # mostly real entity sets
        name = data.draw(st.sampled_from(catalog.ODATA_SETS))
        path = path.replace(path.split("/")[4].split("(")[0], name, 1)
    options = data.draw(odata_options)
    extra = data.draw(st.lists(st.tuples(param_names, text_values), max_size=2))
    query = query_string([*options.items(), *extra])
    body = None
    if endpoint.method == "POST":
        body = data.draw(st.one_of(st.just(query.encode()), bodies(None)))
        query = ""
    send(client, endpoint.method, path, query, body, data.draw(headers(admin_token)),
         data.draw(RAW_NOISE), data.draw(st.booleans()))


@FUZZ
@given(data=st.data())
def test_fuzz_admin(client: TestClient, fuzz_app: FastAPI, data: st.DataObject) -> None:
    """Runs last: GET /_mockpace/requests lists what the other families' fuzz sent."""
    org = default_org(fuzz_app)
    call = data.draw(st.sampled_from(["clock", "settings", "faults", "approvals", "requests",
                                      "snapshot", "health", "pin"]))
    header_values: dict[str, str] = {"Content-Type": data.draw(st.sampled_from(
        ["application/json", "text/plain", "application/json; charset=utf-8"]))}
    if call == "settings":
        changes = data.draw(st.dictionaries(st.one_of(st.sampled_from(ORG_SETTING_NAMES),
                                                      json_keys), scalars, max_size=3))
        body = data.draw(st.one_of(st.just(json.dumps(changes).encode()), bodies(None)))
        response = client.patch("/_mockpace/settings", content=body, headers=header_values)
    elif call == "clock":
        value = data.draw(st.one_of(
            st.fixed_dictionaries({"advance": st.one_of(big_ints, st.floats())}),
            st.fixed_dictionaries({"now": text_values}),
            st.fixed_dictionaries({"mode": text_values}), json_values))
        body = json.dumps(value).encode() if data.draw(st.booleans()) else \
            data.draw(bodies(("now", "advance", "mode")))
        response = client.put("/_mockpace/clock", content=body, headers=header_values)
    elif call in ("faults", "approvals"):
        documented = ("method", "path", "status", "errorCode", "delayMs", "retryAfter", "drop",
                      "probability", "seed", "times", "forSeconds") if call == "faults" else (
            "userId", "weekStart", "state", "managerId", "comment")
        response = client.post(f"/_mockpace/{call}", content=data.draw(bodies(documented)),
                               headers=header_values)
    elif call == "requests":
        pairs = data.draw(st.lists(st.tuples(st.sampled_from(["method", "path", "status",
                                                              "limit", "org"]), text_values),
                                   max_size=3))
        response = client.get("/_mockpace/requests?" + query_string(pairs))
    elif call == "snapshot":
        name = segment(data.draw)
        response = client.post(f"/_mockpace/snapshots/{name}/restore")
    elif call == "pin":
        response = client.post(f"/_mockpace/pins/{segment(data.draw)}/validate",
                               content=data.draw(bodies(("userId",))), headers=header_values)
    else:
        response = client.get("/_mockpace/health?org=" + quote(data.draw(text_values).encode(
            "utf-8", "surrogatepass"), safe=""))
    check_answer("/_mockpace/" + call, response)
    harness_of(fuzz_app).of(org).faults.clear()
    if response.status_code < 300 and call in ("settings", "clock"):
        org.reset()  # keep the next examples' state usable
