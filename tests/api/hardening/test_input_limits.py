"""Issue 11, the input half: each request that answered 500 (or dropped the connection, or was
wrongly accepted) before the bounds of common/limits.py, with the answer it gets now."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from mockpace.common.limits import MAX_JSON_DEPTH, echo, header_value, parse_int, parse_json
from mockpace.tracking.service import Tracker
from tests.api.hardening.shapes import odata_error, seven_pace_error
from tests.conftest import default_org

V = "api-version=3.2"
WORKLOGS = f"/api/rest/workLogs?{V}"
T = "/api/tracking/client"
OD = "/api/odata/v3.2"
BIG = "9" * 5000  # beyond Python's 4,300-digit int() limit


def deep(levels: int, leaf: str = "1") -> str:
    return "[" * levels + leaf + "]" * levels


def post_json(client: TestClient, url: str, raw: str | bytes,
              headers: dict[str, str]) -> Any:
    data = raw.encode() if isinstance(raw, str) else raw
    return client.post(url, content=data,
                       headers={**headers, "Content-Type": "application/json"})


def worklog_count(app: FastAPI) -> int:
    return int(default_org(app).store.counts()["workLogs"])


# -- 2. header values built from input ------------------------------------------------------
def test_warning_header_escapes_control_characters(small_client: TestClient,
                                                   admin_headers: dict[str, str]) -> None:
    response = small_client.get(f"/api/rest/me?{V}&a%0Ab=1", headers=admin_headers)
    assert response.status_code == 200
    assert response.headers["x-mockpace-warning"].startswith(
        "unknown-parameter: query parameter 'a\\x0ab' is not documented")


def test_header_value_escapes_everything_http_forbids() -> None:
    assert header_value("x\x1fy\u00e9\U0001f600 ok") == b"x\\x1fy\\xe9\\U0001f600 ok"
    assert header_value("a" * 5000) == b"a" * 1997 + b"..."


# -- 5. admin and setting values ----------------------------------------------------------------
def test_clock_moves_out_of_range_are_400_and_not_stored(small_client: TestClient,
                                                         admin_headers: dict[str, str]) -> None:
    before = small_client.get("/_mockpace/clock").json()["mode"]
    for body, field in [({"advance": 1e15}, "advance"), ({"advance": 2**70}, "advance"),
                        ({"now": "9999-12-31T23:00:00Z"}, "now"),
                        ({"now": "0001-01-01T00:00:00Z"}, "now")]:
        error = seven_pace_error(small_client.put("/_mockpace/clock", json=body), 400,
                                 "BadRequest", f"clock.{field}")
        assert error["fields"] == {"field": field}
    assert small_client.get("/_mockpace/clock").json()["mode"] == before
    assert small_client.get(f"/api/rest/me?{V}", headers=admin_headers).status_code == 200


@pytest.mark.parametrize(("name", "value"), [
    ("max_track_length_hours", 2147483647), ("journal_size", 2**63),
    ("activity_check_interval_minutes", 10**12), ("rate_limit_per_minute", 2**64),
])
def test_settings_beyond_their_range_are_400_naming_the_field(
        small_client: TestClient, admin_headers: dict[str, str], name: str, value: int) -> None:
    before = small_client.get("/_mockpace/settings").json()
    error = seven_pace_error(small_client.patch("/_mockpace/settings", json={name: value}), 400,
                             "BadRequest", name, "less than or equal")
    assert list(error["fields"]["errors"]) == [name]
    assert small_client.get("/_mockpace/settings").json() == before
    # The server is not poisoned: tracking and Reporting still answer.
    started = small_client.post(f"{T}/startTracking?{V}", json={}, headers=admin_headers)
    assert started.status_code == 200, started.text
    assert small_client.get(f"{T}/current?{V}", headers=admin_headers).status_code == 200
    assert small_client.get(f"{OD}/workLogsOnly?$top=1",
                            headers=admin_headers).status_code == 200


def test_fault_rule_numbers_are_bounded(small_client: TestClient) -> None:
    for body, name in [({"path": "/x", "status": 503, "seed": 2**70}, "seed"),
                       ({"path": "/x", "status": 429, "retryAfter": 10**9}, "retryAfter"),
                       ({"path": "/x", "status": 503, "times": 2**40}, "times")]:
        error = seven_pace_error(small_client.post("/_mockpace/faults", json=body), 400,
                                 "BadRequest", name)
        assert error["fields"] == {"property": name}
    assert small_client.get("/_mockpace/faults").json() == []


# -- 6. integers beyond Int64, over 4,300 digits, Unicode digits --------------------------------
@pytest.mark.parametrize("expression", [
    "PeriodLength gt 9223372036854775808",
    "WorkItemId in (99999999999999999999,1)",
    "year(Timestamp) eq 99999999999999999999",
    "substring(Comment,99999999999999999999) eq 'a'",
    f"PeriodLength gt {BIG}",
    f"PeriodLength gt duration'PT{BIG}S'",
    "PeriodLength gt 1e999",
])
def test_odata_literals_out_of_range_are_400(small_client: TestClient,
                                             admin_headers: dict[str, str],
                                             expression: str) -> None:
    response = small_client.get(f"{OD}/workLogsWorkItems", params={"$filter": expression},
                                headers=admin_headers)
    odata_error(response, 400, "out of range", target="$filter")


def test_int64_literals_still_compare(small_client: TestClient,
                                      admin_headers: dict[str, str]) -> None:
    response = small_client.get(f"{OD}/workLogsOnly", headers=admin_headers,
                                params={"$filter": "PeriodLength lt 9223372036854775807",
                                        "$count": "true", "$top": "0"})
    assert response.status_code == 200
    assert response.json()["@odata.count"] == worklog_count_live(small_client, admin_headers)


def worklog_count_live(client: TestClient, headers: dict[str, str]) -> int:
    return int(client.get(f"{OD}/workLogsOnly", params={"$count": "true", "$top": "0"},
                          headers=headers).json()["@odata.count"])


@pytest.mark.parametrize(("option", "value", "words"), [
    ("$top", BIG, "too large"), ("$skip", BIG, "too large"), ("$top", "\u00b2", "not a"),
    ("$skip", "\u0663", "not a"), ("$top", "2147483648", "too large"),
])
def test_top_and_skip_take_ascii_int32_only(small_client: TestClient,
                                            admin_headers: dict[str, str], option: str,
                                            value: str, words: str) -> None:
    response = small_client.get(f"{OD}/workLogsOnly", params={option: value},
                                headers=admin_headers)
    odata_error(response, 400, words, target=option)


def test_prefer_maxpagesize_with_a_huge_number_keeps_the_default_page(
        small_client: TestClient, admin_headers: dict[str, str]) -> None:
    response = small_client.get(f"{OD}/workLogsOnly?$top=3", headers={
        **admin_headers, "Prefer": f"odata.maxpagesize={BIG}"})
    assert response.status_code == 200
    assert len(response.json()["value"]) == 3


def test_odata_keys_take_ascii_digits_only(small_client: TestClient,
                                           admin_headers: dict[str, str]) -> None:
    for key in ("\u00b2", BIG, "2147483648"):
        odata_error(small_client.get(f"{OD}/workItems({key})", headers=admin_headers), 400,
                    "Edm.Int32")


@pytest.mark.parametrize(("body", "name"), [
    ({"length": BIG}, "length"), ({"length": 60, "workItemId": BIG}, "workItemId"),
    ({"length": "\u00b2"}, "length"), ({"length": "1e400"}, "length"),
])
def test_rest_numbers_beyond_range_are_400(small_app: FastAPI, small_client: TestClient,
                                           admin_headers: dict[str, str], body: dict[str, Any],
                                           name: str) -> None:
    before = worklog_count(small_app)
    error = seven_pace_error(small_client.post(WORKLOGS, json=body, headers=admin_headers), 400,
                             "BadRequest", f"'{name}'")
    assert error["fields"] == {"property": name}
    assert worklog_count(small_app) == before


def test_rest_query_numbers_beyond_range_are_400(small_client: TestClient,
                                                 admin_headers: dict[str, str]) -> None:
    for query, name in [(f"$count={BIG}", "$count"), ("$skip=\u00b2", "$skip"),
                        (f"$workItemIds=1,{BIG}", "$workItemIds")]:
        error = seven_pace_error(small_client.get(f"{WORKLOGS}&{query}", headers=admin_headers),
                                 400, "ApiVersionError", name)
        assert error["fields"] == {"parameter": name}


@pytest.mark.parametrize(("path", "body", "words"), [
    ("startTracking", b'{"tfsId": 99999999999999999999}', "99999999999999999999"),
    ("selected", b'{"tfsId": "99999999999999999999"}', "between 0 and 2147483647"),
    ("startTracking", b'{"timeZone": 1e300}', "timeZone"),
    ("search", b"99999999999999999999", "99999999999999999999"),
    ("search", b'"\\u00b2"', "work item id"),
])
def test_tracking_body_numbers_beyond_range_are_400(small_client: TestClient,
                                                    admin_headers: dict[str, str], path: str,
                                                    body: bytes, words: str) -> None:
    seven_pace_error(post_json(small_client, f"{T}/{path}?{V}", body, admin_headers), 400,
                     "BadRequest", words)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "latest/9223372036854775808"), ("GET", f"latest/{BIG}"),
    ("GET", "latest/2147483648"), ("GET", "latest/\u00b2"), ("GET", f"latest?$count={BIG}"),
    ("POST", f"stopTracking/{BIG}"), ("POST", f"idleCheck/{BIG}"),
    ("GET", f"current/{BIG}"),
])
def test_tracking_path_numbers_beyond_range_are_400(small_client: TestClient,
                                                    admin_headers: dict[str, str], method: str,
                                                    path: str) -> None:
    joiner = "&" if "?" in path else "?"
    response = small_client.request(method, f"{T}/{path}{joiner}{V}", headers=admin_headers)
    seven_pace_error(response, 400, "ApiVersionError")


# -- 7. deep nesting ----------------------------------------------------------------------------
@pytest.mark.parametrize("levels", [21, 30, 100, 400])
def test_deeply_nested_filters_are_400(small_client: TestClient,
                                       admin_headers: dict[str, str], levels: int) -> None:
    expression = "not (" * levels + "PeriodLength gt 1" + ")" * levels
    odata_error(small_client.get(f"{OD}/workLogsWorkItems", params={"$filter": expression},
                                 headers=admin_headers), 400, "nested too deeply",
                target="$filter")


def test_nested_any_is_400_before_sqlite_overflows(small_client: TestClient,
                                                   admin_headers: dict[str, str]) -> None:
    def nested(n: int) -> str:
        return "".join(f"Children/any(c{i}: c{i}/" for i in range(n)) + "System_Id gt 0" + \
            ")" * n

    ok = small_client.get(f"{OD}/workItems", params={"$filter": nested(4)},
                          headers=admin_headers)
    assert ok.status_code == 200, ok.text
    for n in (5, 20):
        odata_error(small_client.get(f"{OD}/workItems", params={"$filter": nested(n)},
                                     headers=admin_headers), 400, "nested too deeply")


def test_a_filter_nested_20_levels_still_works(small_client: TestClient,
                                               admin_headers: dict[str, str]) -> None:
    expression = "not (" * 18 + "PeriodLength lt 0" + ")" * 18  # 19 levels: even, a no-op
    response = small_client.get(f"{OD}/workLogsOnly", headers=admin_headers,
                                params={"$filter": expression, "$count": "true", "$top": "0"})
    assert response.status_code == 200, response.text
    assert response.json()["@odata.count"] == 0


@pytest.mark.parametrize(("url", "raw"), [
    (WORKLOGS, '{"length": ' + deep(500) + "}"),
    (WORKLOGS, '{"length": 60, "comment": ' + deep(500) + "}"),
    (WORKLOGS, '{"length": 60, "ignored": ' + deep(300) + "}"),
    (f"{T}/startTracking?{V}", '{"tfsId": ' + deep(500) + "}"),
    (f"/api/pin/status?{V}", deep(500, '"secret"')),
])
def test_deeply_nested_bodies_are_400(small_app: FastAPI, small_client: TestClient,
                                      admin_headers: dict[str, str], url: str,
                                      raw: str) -> None:
    before = worklog_count(small_app)
    seven_pace_error(post_json(small_client, url, raw, admin_headers), 400, "BadRequest",
                     f"deeper than {MAX_JSON_DEPTH} levels")
    assert worklog_count(small_app) == before


def test_deeply_nested_admin_bodies_are_400(small_client: TestClient) -> None:
    response = small_client.patch("/_mockpace/settings", content=deep(500).encode(),
                                  headers={"Content-Type": "application/json"})
    seven_pace_error(response, 400, "BadRequest", "deeper than")


# -- 8. SQLite limits reached by input ------------------------------------------------------------
def test_orderby_with_thousands_of_keys_is_400(small_client: TestClient,
                                               admin_headers: dict[str, str]) -> None:
    response = small_client.get(f"{OD}/workLogsOnly", headers=admin_headers,
                                params={"$orderby": ",".join(["PeriodLength"] * 2001)})
    odata_error(response, 400, "2001 sort keys", "at most 32", target="$orderby")


def test_search_by_query_with_a_huge_query_is_400(small_client: TestClient,
                                                  admin_headers: dict[str, str]) -> None:
    for body in ({"query": "a%_" * 17000}, "x" * 50000):
        error = seven_pace_error(small_client.post(f"{T}/searchByQuery?{V}", json=body,
                                                   headers=admin_headers), 400, "BadRequest",
                                 "at most 1000")
        assert error["fields"] == {"field": "query"}


def test_sqlite_limits_reached_anyway_are_400(small_client: TestClient,
                                              admin_headers: dict[str, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    def too_complex(self: Tracker, query: str) -> Any:
        raise sqlite3.OperationalError("LIKE or GLOB pattern too complex")

    monkeypatch.setattr(Tracker, "search_by_query", too_complex)
    error = seven_pace_error(small_client.post(f"{T}/searchByQuery?{V}", json={"query": "x"},
                                               headers=admin_headers), 400, "BadRequest",
                             "too complex for the database")
    assert error["fields"] == {"limit": "like or glob pattern too complex"}


# -- 9. exact numbers, echoed as sent ------------------------------------------------------------
def test_a_huge_length_is_echoed_exactly(small_client: TestClient,
                                         admin_headers: dict[str, str]) -> None:
    response = post_json(small_client, WORKLOGS, '{"length": 99999999999999999999999999}',
                         admin_headers)
    error = seven_pace_error(response, 400, "BadRequest",
                             "'length' is out of range: 99999999999999999999999999.")
    assert "100000000000000004764729344" not in error["errorDescription"]


def test_parse_json_is_exact_and_bounded() -> None:
    assert parse_json(b'{"a": 99999999999999999999999999, "b": 1.5}') == {
        "a": 99999999999999999999999999, "b": 1.5}
    assert parse_json(b"[18446744073709551615, -9223372036854775809]") == [
        18446744073709551615, -9223372036854775809]
    assert parse_json(deep(MAX_JSON_DEPTH).encode()) == json.loads(deep(MAX_JSON_DEPTH))
    for raw, words in [(deep(MAX_JSON_DEPTH + 1), "deeper than"),
                       ("[" + BIG + "]", "out of range"), ("[" + "9" * 200 + "]", "200 characters"),
                       ("[1e400]", "out of range"), ("[NaN]", "malformed"),
                       ('["\\ud800"]', "malformed")]:
        with pytest.raises(ValueError, match=words):
            parse_json(raw.encode())


def test_parse_int_takes_ascii_digits_within_range() -> None:
    assert parse_int(" -9223372036854775808 ") == -(2**63)
    assert parse_int("000000000000000000000042") == 42
    for text, words in [("\u00b2", "not an integer"), ("\u0663", "not an integer"),
                        ("9223372036854775808", "out of range"), (BIG, "out of range"),
                        ("1.0", "not an integer"), ("", "not an integer")]:
        with pytest.raises(ValueError, match=words):
            parse_int(text)
    assert echo(BIG) == "9" * 80 + "...(5000 characters)"


# -- 10. bodies of the wrong kind ---------------------------------------------------------------
def test_query_body_that_is_not_utf8_is_400(small_client: TestClient,
                                            admin_headers: dict[str, str]) -> None:
    response = small_client.post(f"{OD}/workLogsOnly/$query", content=b"$top=\xff\xfe",
                                 headers={**admin_headers, "Content-Type": "text/plain"})
    odata_error(response, 400, "not UTF-8", target="$query")


def test_start_tracking_with_a_null_body_is_400(small_client: TestClient,
                                                admin_headers: dict[str, str]) -> None:
    for path in ("startTracking", "selected", "adjust"):
        error = seven_pace_error(post_json(small_client, f"{T}/{path}?{V}", b"null",
                                           admin_headers), 400, "BadRequest",
                                 "must be a JSON object, not null")
        assert error["fields"] == {"body": "null"}
    state = small_client.get(f"{T}/current?{V}", headers=admin_headers).json()
    assert state["track"] is None or state["track"]["trackingState"] != "tracking"


# -- 11. no SQL in 500 bodies ---------------------------------------------------------------------
def test_500_bodies_carry_no_sql(small_client: TestClient, admin_headers: dict[str, str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Tracker, query: str) -> Any:
        raise OperationalError("SELECT secret FROM work_items WHERE title LIKE ?",
                               ("%hunter2%",), sqlite3.OperationalError("disk I/OD error"))

    monkeypatch.setattr(Tracker, "search_by_query", broken)
    client = TestClient(small_client.app, raise_server_exceptions=False)
    response = client.post(f"{T}/searchByQuery?{V}", json={"query": "x"},
                           headers=admin_headers)
    error = seven_pace_error(response, 500, "UnexpectedError", "database error")
    assert error["errorDescription"] == ("Unexpected database error (OperationalError); the "
                                         "server log has the details.")
    for secret in ("SELECT", "hunter2", "work_items", "disk I/O"):
        assert secret not in response.text


# -- 12. request-body limit ------------------------------------------------------------
@pytest.fixture
def small_limit_client(make_app: Callable[..., FastAPI]) -> TestClient:
    return TestClient(make_app(max_body_bytes=4096, max_admin_body_bytes=8192))


def test_body_over_the_limit_is_413_in_each_shape(small_limit_client: TestClient) -> None:
    client = small_limit_client
    admin = next(t for t in client.get("/_mockpace/tokens").json()
                 if t["role"] == "Administrator")
    headers = {"Authorization": f"Bearer {admin['token']}"}
    app = client.app
    assert isinstance(app, FastAPI)
    before = worklog_count(app)
    big = json.dumps({"length": 60, "comment": "x" * 5000})
    error = seven_pace_error(post_json(client, WORKLOGS, big, headers), 413, "PayloadTooLarge",
                             "limit of 4096 bytes", "max_body_bytes")
    assert error["fields"] == {"limit": 4096}
    assert worklog_count(app) == before
    odata_error(client.post(f"{OD}/workLogsOnly/$query", content=b"$top=1&" + b"x" * 5000,
                            headers=headers), 413, "limit of 4096 bytes")
    # The admin plane has its own, larger limit.
    fits = client.patch("/_mockpace/settings",
                        content=b'{"journal_size": 10}' + b" " * 6000,
                        headers={"Content-Type": "application/json"})
    assert fits.status_code == 200, fits.text
    error = seven_pace_error(client.put("/_mockpace/clock", content=b" " * 9000,
                                        headers={"Content-Type": "application/json"}), 413,
                             "PayloadTooLarge", "limit of 8192 bytes")
    assert error["fields"] == {"limit": 8192}
    # Within the limit, the same route works.
    assert post_json(client, WORKLOGS, json.dumps({"length": 60, "comment": "c"}),
                     headers).status_code == 200


def test_streamed_body_over_the_limit_is_413(small_limit_client: TestClient) -> None:
    """No Content-Length (chunked): counted while streaming, refused at the limit (that the
    rest is never read is checked against a live server in test_live_limits.py)."""

    def chunks() -> Any:
        for _ in range(100):
            yield b"x" * 1000

    error = seven_pace_error(small_limit_client.post(
        WORKLOGS, content=chunks(), headers={"Content-Type": "application/json"}),
        413, "PayloadTooLarge")
    assert error["fields"] == {"limit": 4096}
    # Read by FastAPI inside an admin route (not by the harness): the same answer.
    error = seven_pace_error(small_limit_client.patch(
        "/_mockpace/settings", content=chunks(), headers={"Content-Type": "application/json"}),
        413, "PayloadTooLarge", "limit of 8192 bytes")
    assert error["fields"] == {"limit": 8192}


def test_a_full_batch_fits_the_default_limit(small_client: TestClient,
                                             admin_headers: dict[str, str]) -> None:
    batch = [{"timeStamp": "2026-11-02T09:00:00Z", "length": 60, "comment": "c" * 1000}
             for _ in range(500)]
    response = small_client.post(f"/api/rest/workLogs/batch?{V}&validateOnly=true",
                                 json=batch, headers=admin_headers)
    assert response.status_code == 200, response.text[:300]
    assert len(response.json()) == 500


# -- 13. URL and header limits in the JSON shape ----------------------------------------
def test_long_url_is_414_in_each_shape(small_client: TestClient,
                                       admin_headers: dict[str, str]) -> None:
    pad = "x=" + "a" * 40_000
    error = seven_pace_error(small_client.get(f"/api/rest/me?{V}&{pad}",
                                              headers=admin_headers), 414, "UriTooLong",
                             "limit is 32768")
    assert error["fields"] == {"limit": 32768}
    odata_error(small_client.get(f"{OD}/workLogsOnly?{pad}", headers=admin_headers), 414,
                "limit is 32768")


def test_too_many_headers_is_431(small_client: TestClient,
                                 admin_headers: dict[str, str]) -> None:
    many = {f"X-H{i}": "v" for i in range(150)}
    seven_pace_error(small_client.get(f"/api/rest/me?{V}", headers={**admin_headers, **many}),
                     431, "HeadersTooLarge", "100 headers")
    seven_pace_error(small_client.get(f"/api/rest/me?{V}",
                                      headers={**admin_headers, "X-Big": "a" * 70_000}),
                     431, "HeadersTooLarge", "65536 bytes")


def test_body_limits_are_settings_with_env_vars_and_flags(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from mockpace.cli import cli
    from mockpace.settings import ServerSettings

    monkeypatch.setenv("MOCKPACE_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("MOCKPACE_MAX_ADMIN_BODY_BYTES", "65536")
    settings = ServerSettings()
    assert (settings.max_body_bytes, settings.max_admin_body_bytes) == (2048, 65536)
    monkeypatch.setenv("MOCKPACE_MAX_BODY_BYTES", "10")
    with pytest.raises(ValueError, match="max_body_bytes"):
        ServerSettings()
    usage = CliRunner().invoke(cli, ["serve", "--help"]).output
    assert "--max-body-bytes" in usage and "--max-admin-body-bytes" in usage


@pytest.mark.parametrize(("name", "value"), [
    ("users", 10**9), ("work_items", 10**12), ("days", 10**6), ("worklogs", 10**12),
    ("workers", 10**4), ("seed", 2**70),
])
def test_data_settings_beyond_their_range_are_refused(name: str, value: int) -> None:
    from mockpace.settings import ServerSettings

    with pytest.raises(ValueError, match=name):
        ServerSettings(**{name: value})


# -- found by the fuzz suite --------------------------------------------------------------------
def test_basic_credentials_that_are_not_ascii_are_401(small_client: TestClient) -> None:
    response = small_client.get(f"/api/rest/me?{V}", headers={"Authorization": b"Basic \x80\xff"})
    seven_pace_error(response, 401, "UnauthorizedError")


@pytest.mark.parametrize(("body", "name"), [
    ({"state": [], "weekStart": "2026-11-02", "userId": "x"}, "state"),
    ({"state": {"a": 1}, "weekStart": "2026-11-02", "userId": "x"}, "state"),
    ({"state": "approved", "weekStart": "0001-01-01", "userId": "x"}, "weekStart"),
])
def test_admin_approval_values_of_the_wrong_kind_are_400(small_client: TestClient,
                                                         body: dict[str, Any],
                                                         name: str) -> None:
    error = seven_pace_error(small_client.post("/_mockpace/approvals", json=body), 400,
                             "BadRequest", name)
    assert error["fields"] == {"property": name}


def test_a_rest_path_holding_the_word_odata_answers_in_the_7pace_shape(
        small_client: TestClient, admin_headers: dict[str, str]) -> None:
    response = small_client.get(f"/api/rest/workLogs/odata/x?{V}", headers=admin_headers)
    seven_pace_error(response, 404, "NotFound", "/api/rest/workLogs/odata/x")
    odata_error(small_client.get("/api/DefaultCollection/odata/v3.2/nope",
                                 headers=admin_headers), 404, "nope")
