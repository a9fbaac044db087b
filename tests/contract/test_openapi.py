"""The OpenAPI document describes the 7pace APIs, and the live server keeps to it.

- the document is valid OpenAPI (openapi-spec-validator) and describes what users generate
  clients from: vendor-cased paths, security schemes, api-version, `$` parameters, bodies,
  envelopes and the error body per status;
- schemathesis fuzzes every 7pace operation of a live server for a bounded number of examples
  (``MOCKPACE_FUZZ_EXAMPLES``, default 8 per operation): every answer must match the document
  (status, content type, headers, body schema) and none may be a 500;
- openapi-python-client generates a client from the document, and the client makes a real call.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockpace.harness import catalog
from mockpace.testing.plugin import LiveServer
from tests.conftest import small_live_server

ADMIN_TOKEN = "small-admin-token-0000000000000000000000000000000001"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
EXAMPLES = int(os.environ.get("MOCKPACE_FUZZ_EXAMPLES", "8"))


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with small_live_server() as live:
        yield live


@pytest.fixture(scope="module")
def document(server: LiveServer) -> dict[str, Any]:
    response = httpx.get(server.url + "/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(document)  # raises on any violation
    assert "HTTPValidationError" not in str(document)  # a 422 shape the server never sends


def test_every_7pace_endpoint_is_described_with_vendor_casing(document: dict[str, Any]) -> None:
    paths = document["paths"]
    for endpoint in catalog.ENDPOINTS:
        assert endpoint.method.lower() in paths[endpoint.path], endpoint.path
    assert "/api/rest/workLogs" in paths and "/api/rest/worklogs" not in paths
    assert "/api/tracking/client/startTracking" in paths
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer",
                                 "description": "a user's personal token (mockpace tokens)"}
    assert schemes["basic"]["scheme"] == "basic"
    assert document["paths"]["/api/pin/create"]["post"]["security"] == []


def test_rest_operation_details(document: dict[str, Any]) -> None:
    listing = document["paths"]["/api/rest/workLogs/all"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert params["api-version"]["required"] is True
    assert params["api-version"]["schema"]["enum"] == [
        "3.0", "3.0-preview", "3.1", "3.1-beta", "3.2", "3.2-beta", "3.3-beta"]
    assert params["$count"]["schema"]["minimum"] == 0
    assert params["$skip"]["schema"]["maximum"] == 2**31 - 1
    assert set(params) == {"api-version", "$count", "$skip", "$expand", "$fromTimestamp",
                           "$toTimestamp", "$fromCreatedTimestamp", "$toCreatedTimestamp",
                           "$workItemIds", "$includeEditable"}
    ok = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok["properties"]["data"] == {"type": "array",
                                        "items": {"$ref": "#/components/schemas/WorkLog"}}
    assert set(listing["responses"]) == {"200", "400", "401", "403", "404", "429", "503"}
    create = document["paths"]["/api/rest/workLogs"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WorkLogInput"}
    assert {"409", "413", "422"} <= set(create["responses"])
    batch = document["paths"]["/api/rest/workLogs/batch"]["post"]
    assert batch["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
    schemas = document["components"]["schemas"]
    assert list(schemas["WorkLog"]["properties"]) == [
        "timestamp", "length", "billableLength", "workItemId", "comment", "user", "addedByUser",
        "editedByUser", "createdTimestamp", "editedTimestamp", "activityType", "flags",
        "isCanEdit", "isCanDelete", "id"]
    assert {"activityType", "timeStamp", "workItemId"} <= set(
        schemas["WorkLogInput"]["properties"])
    assert schemas["Error"]["properties"]["error"]["required"] == [
        "statusCode", "errorCode", "errorDescription", "fields"]


def test_reporting_operations_carry_odata_options(document: dict[str, Any]) -> None:
    op = document["paths"]["/api/odata/{version}/workLogsOnly"]["get"]
    names = [p["name"] for p in op["parameters"]]
    assert names[0] == "version" and {"$filter", "$select", "$orderby", "$top", "$skip",
                                      "$count", "worklogsFilter", "customFields"} <= set(names)
    row = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert row["properties"]["value"]["items"] == {
        "$ref": "#/components/schemas/OData.ReportingWorkLog"}
    entity = document["components"]["schemas"]["OData.ReportingWorkLog"]["properties"]
    assert entity["PeriodLength"] == {"type": "integer"}
    assert entity["Timestamp"] == {"type": "string", "format": "date-time"}
    assert op["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ODataError"}


def test_control_characters_in_a_property_name_do_not_break_the_answer(
        server: LiveServer) -> None:
    """A contract warning naming an unknown property with a NUL in it was put into a header
    verbatim; the server then dropped the connection instead of answering."""
    response = httpx.post(server.url + "/api/rest/workLogs/batch?api-version=3.2&validateOnly=true",
                          headers=AUTH, json=[{"a\u0000b\nc": 1, "length": 60, "comment": "x"}])
    assert response.status_code == 200
    assert response.headers["x-mockpace-warning"].startswith(  # escaped (common/limits.py)
        "unknown-property: body property '[0].a\\x00b\\x0ac'")


def test_live_server_matches_the_document_under_fuzzing(server: LiveServer) -> None:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import checks

    conformance = [checks.status_code_conformance, checks.content_type_conformance,
                   checks.response_schema_conformance, checks.response_headers_conformance]
    schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
    failures: dict[str, str] = {}
    tried = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith("/_mockpace"):
            continue  # the admin plane reseeds, drops connections... not fuzzed here
        tried += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        def check(case: Any) -> None:
            response = case.call(base_url=server.url, headers=AUTH, timeout=30)
            assert response.status_code != 500, response.text
            case.validate_response(response, headers=AUTH, checks=conformance)

        try:
            check()
        except BaseException as exc:  # hypothesis raises exception groups
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures[operation.label] = str(exc)[:2000]
    assert tried == len({(e.method, e.path) for e in catalog.ENDPOINTS})
    assert failures == {}


def test_generated_client_makes_a_real_call(server: LiveServer, document: dict[str, Any],
                                            tmp_path: Path) -> None:
    import json

    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document))
    config = tmp_path / "config.yaml"
    config.write_text("project_name_override: mockpace-client\n"
                      "package_name_override: mockpace_client\npost_hooks: []\n")
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run([str(generator), "generate", "--path", str(spec), "--config",
                             str(config), "--output-path", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path / "out"))
    try:
        client_module = importlib.import_module("mockpace_client")
        me_module = importlib.import_module("mockpace_client.api.rest.get_rest_me")
        client = client_module.AuthenticatedClient(base_url=server.url, token=ADMIN_TOKEN)
        with client:
            response = me_module.sync_detailed(client=client)  # api-version: default 3.2
        assert response.status_code == 200
        me = json.loads(response.content)["data"]
        assert me["user"]["email"] == "ada.admin@contoso.com"
        parsed = response.parsed
        assert parsed is not None and parsed.data.user.email == "ada.admin@contoso.com"
        assert parsed.data.time_zone == 60
    finally:
        sys.path.remove(str(tmp_path / "out"))
        for name in [n for n in sys.modules if n.startswith("mockpace_client")]:
            del sys.modules[name]


def test_worklog_input_bounds_are_the_servers(server: LiveServer,
                                              document: dict[str, Any]) -> None:
    """The document's number bounds are the ones the server validates: workItemId, length and
    billableLength allowed negative numbers (down to -2147483648) the server refuses."""
    properties = document["components"]["schemas"]["WorkLogInput"]["properties"]
    for name, minimum in [("workItemId", 0), ("length", 1), ("billableLength", 0)]:
        assert properties[name]["anyOf"][:2] == [
            {"type": "integer", "minimum": minimum, "maximum": 2**31 - 1},
            {"type": "string", "pattern": r"^(\+?\d+|-0+)$"}], name
    url = f"{server.url}/api/rest/workLogs?api-version=3.2"
    for body, status in [({"length": 60, "workItemId": -1}, 400),
                         ({"length": 60, "workItemId": "-1"}, 400),
                         ({"length": 0}, 422), ({"length": 60, "billableLength": -1}, 422),
                         ({"length": 60, "billableLength": -(2**31)}, 400),
                         ({"length": 60, "workItemId": "-0", "comment": "none"}, 200)]:
        response = httpx.post(url, json=body, headers=AUTH)
        assert response.status_code == status, (body, response.text)
