"""Contract slips real clients make (issue 12): a JSON body without a JSON content type, OData
property names in the wrong case, an unknown `$` option, and every batch item's deviations."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer, tokens

WL = "/api/rest/workLogs?api-version=3.2"
BODY = orjson.dumps({"length": 60, "comment": "slip"})
WI = "/api/odata/v3.2/workItems"


@pytest.fixture
def auth(small_client: TestClient, small_app: Any) -> dict[str, str]:
    admin = next(e["email"] for e in small_client.get("/_mockpace/tokens").json()
                 if e["role"] == "Administrator")
    return bearer(tokens(small_app)[admin])


def warnings_of(response: Any) -> list[str]:
    return list(response.headers.get_list("x-mockpace-warning"))


def journal_warnings(client: TestClient) -> list[str]:
    entry = client.get("/_mockpace/requests", params={"limit": 1}).json()["requests"][0]
    return list(entry["warnings"])


@pytest.mark.parametrize(("content_type", "shown"), [
    ("text/plain", "sent as 'text/plain'"),
    ("text/plain; charset=utf-8", "sent as 'text/plain'"),
    ("application/x-www-form-urlencoded", "sent as 'application/x-www-form-urlencoded'"),
    (None, "sent without a Content-Type"),
])
def test_json_body_without_a_json_content_type(small_client: TestClient, auth: dict[str, str],
                                               content_type: str | None, shown: str) -> None:
    headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
    response = small_client.post(WL, content=BODY, headers=headers)
    assert response.status_code == 200  # accepted, as before
    assert warnings_of(response) == [
        f"content-type: the JSON body was {shown}; the real service reads bodies by "
        "Content-Type and may not read it as JSON, send 'Content-Type: application/json'"]
    assert journal_warnings(small_client) == warnings_of(response)
    for fine in ("application/json", "application/json; charset=utf-8",
                 "application/vnd.api+json", "text/json", "Text/JSON; charset=utf-8"):
        ok = small_client.post(WL, content=BODY, headers={**auth, "Content-Type": fine})
        assert (ok.status_code, warnings_of(ok)) == (200, [])
    small_client.patch("/_mockpace/settings", json={"strict_contract": True})
    before = small_client.get("/_mockpace/health").json()["counts"]["workLogs"]
    strict = small_client.post(WL, content=BODY, headers=headers)
    error = strict.json()["error"]
    assert (strict.status_code, error["errorCode"], error["fields"]["header"]) == (
        400, "BadRequest", "Content-Type")
    assert small_client.get("/_mockpace/health").json()["counts"]["workLogs"] == before


def test_a_text_body_that_is_not_json_draws_no_content_type_warning(
        small_client: TestClient, auth: dict[str, str]) -> None:
    response = small_client.post(WL, content=b"length=60", headers={
        **auth, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400  # the route's own malformed-body error
    assert warnings_of(response) == []


@pytest.mark.parametrize(("query", "name", "canonical", "option"), [
    ("$filter=system_id eq 1000", "system_id", "System_Id", "$filter"),
    ("$select=system_title", "system_title", "System_Title", "$select"),
    ("$orderby=SYSTEM_ID desc", "SYSTEM_ID", "System_Id", "$orderby"),
    ("$filter=Parent/system_id eq 1000", "system_id", "System_Id", "$filter"),
    ("$expand=parent", "parent", "Parent", "$expand"),
    ("$apply=groupby((system_workitemtype))", "system_workitemtype", "System_WorkItemType",
     "$apply"),
    ("$apply=groupby((Parent/system_title))", "system_title", "System_Title", "$apply"),
])
def test_odata_property_names_in_the_wrong_case(small_client: TestClient, auth: dict[str, str],
                                                query: str, name: str, canonical: str,
                                                option: str) -> None:
    response = small_client.get(f"{WI}?{query}", headers=auth)
    assert response.status_code == 200, response.text  # accepted by decision
    text = (f"odata-property-case: property '{name}' in {option} is '{canonical}' in the "
            "model; mockpace matches it case-insensitively, a standard (case-sensitive) OData "
            "service answers 400")
    assert warnings_of(response) == [text]
    assert journal_warnings(small_client) == [text]
    right = query.replace(name, canonical)
    assert warnings_of(small_client.get(f"{WI}?{right}", headers=auth)) == []
    small_client.patch("/_mockpace/settings", json={"strict_contract": True})
    strict = small_client.get(f"{WI}?{query}", headers=auth)
    assert strict.status_code == 400
    error = strict.json()["error"]
    assert error["code"] == "BadQuery" and error["target"] == option
    assert error["message"].startswith(f"Could not find a property named '{name}' on type "
                                       "'TimetrackerOnline.Reporting.Models.ReportingWorkItem")
    assert error["message"].endswith(
        f"' (strict_contract is on; the model spells it '{canonical}').")
    assert error["details"] == [{"code": "odata-property-case", "message": text,
                                 "target": name}]
    assert warnings_of(strict) == [text]
    assert small_client.get(f"{WI}?{right}", headers=auth).status_code == 200


def test_unknown_dollar_option_and_its_warning_agree(small_client: TestClient,
                                                     auth: dict[str, str]) -> None:
    response = small_client.get(f"{WI}?$filters=System_Id eq 1000", headers=auth)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadQuery"
    assert warnings_of(response) == [
        "unknown-option: '$filters' is not an OData system query option (did you mean "
        "'$filter'?); the real service answers 400, as mockpace does"]
    # an unknown parameter without '$' is ignored by both
    ignored = small_client.get(f"{WI}?filters=x&$top=1", headers=auth)
    assert ignored.status_code == 200
    assert [w.split(":")[0] for w in warnings_of(ignored)] == ["unknown-parameter"]
    assert "ignores it" in warnings_of(ignored)[0]


def test_every_batch_item_reports_its_own_deviations(small_client: TestClient,
                                                     auth: dict[str, str]) -> None:
    items = [{"length": 60, "comment": f"i{n}", "timeStamp": "2026-03-02T09:00:00",
              "date": "x"} for n in range(3)]
    items.append({"length": 60, "comment": "ok", "timeStamp": "2026-03-02T09:00:00Z"})
    response = small_client.post("/api/rest/workLogs/batch?api-version=3.2", json=items,
                                 headers=auth)
    assert response.status_code == 200, response.text
    assert [(w.split(":")[0], w.split("'")[1]) for w in warnings_of(response)] == [
        ("no-offset", f"[{n}].timeStamp") if k == 0 else ("unknown-property", f"[{n}].date")
        for n in range(3) for k in range(2)]
    assert journal_warnings(small_client) == warnings_of(response)


def test_many_warnings_are_capped_in_headers_and_listed_in_the_journal(
        small_client: TestClient, auth: dict[str, str]) -> None:
    items = [{"length": 60, "comment": f"i{n}", "date": "x"} for n in range(30)]
    response = small_client.post("/api/rest/workLogs/batch?api-version=3.2", json=items,
                                 headers=auth)
    shown = warnings_of(response)
    assert len(shown) == 21
    assert shown[-1] == "10 more contract warnings: see GET /_mockpace/requests"
    listed = journal_warnings(small_client)
    assert len(listed) == 30 and listed[:20] == shown[:20]
    assert listed[29].startswith("unknown-property: body property '[29].date'")
