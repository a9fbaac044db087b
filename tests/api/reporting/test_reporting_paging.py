"""Server-driven paging: following @odata.nextLink returns every row exactly once, in order,
with and without $filter, $orderby and $top; Prefer: odata.maxpagesize; $skip; $count."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.reporting.odata_pages import follow

V = "/api/odata/v3.2"


def all_rows(client: TestClient, path: str, select: str, flt: str | None = None
             ) -> list[dict[str, Any]]:
    params = {"$select": select, "$top": "100000"}
    if flt:
        params["$filter"] = flt
    rows, _ = follow(client, f"{V}/{path}", params)
    return rows


SMALL_PAGES = {"Prefer": "odata.maxpagesize=97"}


@pytest.mark.parametrize("params", [
    {},
    {"$filter": "PeriodLength ge 1800"},
    {"$orderby": "User/Name desc,Timestamp"},
    {"$filter": "Comment ne null", "$orderby": "PeriodLength,Comment desc"},
])
def test_worklog_pages_cover_every_row_once(client: TestClient, params: dict[str, str]) -> None:
    query = {"$select": "Id,PeriodLength,Timestamp", **params}
    rows, pages = follow(client, f"{V}/workLogsOnly", query, SMALL_PAGES)
    assert pages > 3
    ids = [r["Id"] for r in rows]
    assert len(ids) == len(set(ids))
    expected = all_rows(client, "workLogsOnly", "Id", params.get("$filter"))
    assert sorted(ids) == sorted(r["Id"] for r in expected)
    if "$orderby" not in params:  # default order: Timestamp, then Id
        keys = [(r["Timestamp"], r["Id"]) for r in rows]
        assert keys == sorted(keys)


def test_default_page_size_is_1000_for_worklogs(client: TestClient) -> None:
    first = client.get(f"{V}/workLogsOnly", params={"$select": "Id"}).json()
    assert len(first["value"]) == 1000
    assert first["@odata.nextLink"] == \
        "http://testserver/api/odata/v3.2/workLogsOnly?$select=Id&$skip=1000"
    rest = client.get(first["@odata.nextLink"]).json()
    assert len(rest["value"]) == 1484 - 1000 and "@odata.nextLink" not in rest


def test_work_item_pages_are_100(client: TestClient) -> None:
    body = client.get(f"{V}/workItems", params={"$select": "System_Id"}).json()
    assert len(body["value"]) == 60 and "@odata.nextLink" not in body
    rows, pages = follow(client, f"{V}/workItems", {"$select": "System_Id"},
                         {"Prefer": "odata.maxpagesize=7"})
    assert pages == 9
    assert [r["System_Id"] for r in rows] == list(range(1000, 1060))


def test_top_larger_than_a_page_carries_the_remainder(client: TestClient) -> None:
    response = client.get(f"{V}/workLogsOnly", params={"$select": "Id", "$top": "250",
                                                       "$orderby": "PeriodLength desc"},
                          headers={"Prefer": "odata.maxpagesize=60"})
    assert response.headers["Preference-Applied"] == "odata.maxpagesize=60"
    body = response.json()
    assert len(body["value"]) == 60
    assert body["@odata.nextLink"].endswith("$top=190&$skip=60")
    rows, pages = follow(client, f"{V}/workLogsOnly",
                         {"$select": "Id", "$top": "250", "$orderby": "PeriodLength desc"},
                         {"Prefer": "odata.maxpagesize=60"})
    assert len(rows) == 250 and pages == 5 and len({r["Id"] for r in rows}) == 250
    single = client.get(f"{V}/workLogsOnly", params={"$select": "Id", "$top": "250",
                                                     "$orderby": "PeriodLength desc"}).json()
    assert [r["Id"] for r in single["value"]] == [r["Id"] for r in rows]


def test_skip_and_count(client: TestClient) -> None:
    body = client.get(f"{V}/workItems", params={"$select": "System_Id", "$skip": "55",
                                                "$count": "true"}).json()
    assert body["@odata.count"] == 60
    assert [r["System_Id"] for r in body["value"]] == [1055, 1056, 1057, 1058, 1059]
    assert list(body) == ["@odata.context", "@odata.count", "value"]


def test_count_segment(client: TestClient) -> None:
    response = client.get(f"{V}/workItems/$count", params={"$filter": "System_Id lt 1010"})
    assert response.status_code == 200 and response.text == "10"


def test_post_query_pages_with_get_links(client: TestClient) -> None:
    response = client.post(f"{V}/workLogsOnly/$query", content="$select=Id&$filter=PeriodLength "
                           "eq 3600", headers={"Content-Type": "text/plain", **SMALL_PAGES})
    assert response.status_code == 200
    body = response.json()
    assert len(body["value"]) == 97
    assert body["@odata.nextLink"].startswith(
        "http://testserver/api/odata/v3.2/workLogsOnly?$select=Id&$filter=PeriodLength%20eq%203600")
    rows, _ = follow(client, body["@odata.nextLink"], headers=SMALL_PAGES)
    expected = all_rows(client, "workLogsOnly", "Id", "PeriodLength eq 3600")
    assert len(body["value"]) + len(rows) == len(expected) == 200


def test_concurrent_requests_share_the_statement_cache_safely(client: TestClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    queries = [
        ("workLogsOnly", {"$select": "Id", "$filter": f"PeriodLength ge {n}", "$skip": str(s)})
        for n in (900, 1800, 3600) for s in (0, 100, 500)
    ] + [("workItems", {"$select": "System_Id,TrackedItself",
                        "worklogsFilter": f"PeriodLength ge {n}"}) for n in (900, 3600)]
    expected = [client.get(f"{V}/{p}", params=q).json() for p, q in queries]

    def run(i: int) -> Any:
        path, params = queries[i % len(queries)]
        return i % len(queries), client.get(f"{V}/{path}", params=params).json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        for index, body in pool.map(run, range(4 * len(queries))):
            assert body == expected[index]
