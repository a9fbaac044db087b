"""Each odata-query 0.10 defect of architecture.md section 3: the stock library's behaviour is
shown failing, and the same input through the API is right."""

from __future__ import annotations

import logging
import threading

import pytest
from fastapi.testclient import TestClient
from odata_query import exceptions as oq_exc
from odata_query.grammar import ODataLexer, ODataParser
from odata_query.sqlalchemy import apply_odata_query
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import CompileError
from sqlmodel import select

from mockpace.reporting.query import filter as flt
from mockpace.store import WorkLog

V = "/api/odata/v3.2"


def stock_parse(text: str) -> object:
    return ODataParser().parse(ODataLexer().tokenize(text))


def stock_sql(text: str) -> str:
    """The WHERE clause stock odata-query's SQLAlchemy visitor builds on the store's model."""
    query = apply_odata_query(select(WorkLog), text)
    compiled = query.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
    return str(compiled).split("WHERE", 1)[1].strip()


def ids(client: TestClient, path: str, **params: str) -> list[int | str]:
    response = client.get(f"{V}/{path}", params=params)
    assert response.status_code == 200, response.text
    key = "System_Id" if path.lower().startswith("workitems") else "Id"
    return [row[key] for row in response.json()["value"]]


def error(client: TestClient, path: str, status: int = 400, **params: str) -> str:
    response = client.get(f"{V}/{path}", params=params)
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["code"]
    return str(body["message"])


def test_identifiers_starting_with_keywords_lex(client: TestClient) -> None:
    with pytest.raises(oq_exc.ODataException):
        stock_parse("AllWorklogs/any(w: w/PeriodLength gt 0)")
    with pytest.raises(oq_exc.ODataException):
        stock_parse("nullable eq 1")
    got = ids(client, "workItems", **{"$filter": "DirectWorklogs/any(w: w/PeriodLength gt 0)",
                                      "$select": "System_Id", "$top": "3"})
    assert got == [1000, 1001, 1002]
    # AllWorklogs lexes as a name; it is then refused in lambdas with a clear message
    assert "any/all over 'AllWorklogs'" in error(
        client, "workItems", **{"$filter": "AllWorklogs/any(w: w/PeriodLength gt 0)"})


def test_in_with_one_element(client: TestClient) -> None:
    with pytest.raises(oq_exc.ODataException):
        stock_parse("System_State in ('Done')")
    one = ids(client, "workItems", **{"$filter": "System_Id in (1007)", "$select": "System_Id"})
    comma = ids(client, "workItems", **{"$filter": "System_Id in (1007,)",
                                        "$select": "System_Id"})
    assert one == comma == [1007]


def test_enum_literals_has_cast(client: TestClient) -> None:
    with pytest.raises(oq_exc.ODataException):
        stock_parse("BudgetAssignmentType eq "
                    "TimetrackerOnline.Entities.Extensions.BudgetAssignmentType'NoBudget'")
    with pytest.raises(oq_exc.ODataException):
        stock_parse("cast(System_Id, Edm.String) eq '1000'")
    qualified = ids(client, "workItems", **{
        "$filter": "BudgetAssignmentType eq "
                   "TimetrackerOnline.Entities.Extensions.BudgetAssignmentType'DirectlyAssigned'",
        "$select": "System_Id"})
    bare = ids(client, "workItems", **{"$filter": "BudgetAssignmentType has 'DirectlyAssigned'",
                                       "$select": "System_Id"})
    assert qualified == bare == [1000, 1010]
    assert ids(client, "workItems", **{"$filter": "cast(System_Id, Edm.String) eq '1000'",
                                       "$select": "System_Id"}) == [1000]
    message = error(client, "workItems", **{"$filter": "BudgetAssignmentType eq 'Nope'"})
    assert "'Nope' is not a BudgetAssignmentType member" in message


def test_indexof_and_concat(client: TestClient) -> None:
    # stock: functions SQLite does not have (strpos; concat only since SQLite 3.44)
    assert stock_sql("indexof(comment,'x') eq 1").startswith("strpos(")
    assert stock_sql("concat(comment,'x') eq 'ax'").startswith("concat(")
    got = ids(client, "workItems", **{
        "$filter": "indexof(System_Title,'page') eq 6 and concat(System_State,'!') eq 'done!'",
        "$select": "System_Id"})
    assert got == [1007, 1037, 1056]


def test_self_referential_navigation(client: TestClient) -> None:
    response = client.get(f"{V}/workItems", params={
        "$filter": "Parent/System_State eq 'Done' and System_State ne 'Done'",
        "$select": "System_Id,System_State", "$expand": "Parent($select=System_Id,System_State)"})
    assert response.status_code == 200
    rows = response.json()["value"]
    assert rows and all(r["Parent"]["System_State"] == "Done" and r["System_State"] != "Done"
                        for r in rows)
    assert [r["System_Id"] for r in rows] == [1010, 1025, 1032, 1034, 1045, 1048, 1049, 1059]


def test_navigation_inside_lambda_keeps_its_join(client: TestClient) -> None:
    # only items having a direct worklog by Eve: navigation User/Name inside the lambda
    got = ids(client, "workItems", **{
        "$filter": "DirectWorklogs/any(w: w/User/Name eq 'Eve O''Neil' and w/PeriodLength ge "
                   "28800)", "$select": "System_Id"})
    every = ids(client, "workItems", **{"$select": "System_Id"})
    assert 0 < len(got) < len(every)
    for item in got:
        logs = client.get(f"{V}/workItems({item})/DirectWorklogs", params={
            "$filter": "User/Name eq 'Eve O''Neil' and PeriodLength ge 28800"}).json()["value"]
        assert logs


def test_collection_path_without_lambda_is_rejected(client: TestClient) -> None:
    message = error(client, "workItems", **{"$filter": "Children/System_Id eq 1010"})
    assert "'Children' is a collection" in message and "any(" in message


def test_contains_escapes_like_wildcards(client: TestClient) -> None:
    assert stock_sql("contains(comment,'_')") == "(worklogs.comment LIKE '%' || '_' || '%')"
    every = ids(client, "workItems", **{"$select": "System_Id"})
    underscore = ids(client, "workItems", **{"$filter": "contains(System_Title,'_')",
                                             "$select": "System_Id"})
    percent = ids(client, "workItems", **{"$filter": "startswith(System_Title,'Fix 50%')",
                                          "$select": "System_Id"})
    assert 0 < len(underscore) < len(every)
    assert 0 < len(percent) < len(every)
    titles = client.get(f"{V}/workItems", params={"$filter": "contains(System_Title,'_')",
                                                  "$select": "System_Title"}).json()["value"]
    assert all("_" in t["System_Title"] for t in titles)


def test_case_insensitive_strings(client: TestClient) -> None:
    lower = ids(client, "workItems", **{"$filter": "System_State eq 'done'",
                                        "$select": "System_Id"})
    exact = ids(client, "workItems", **{"$filter": "System_State eq 'Done'",
                                        "$select": "System_Id"})
    assert lower == exact and lower


def test_datetime_offset_and_date_literals(client: TestClient) -> None:
    # stock: the +02:00 offset is dropped, date() becomes CAST(... AS DATE) (a number in SQLite)
    assert "'2026-10-01 02:00:00.000000'" in stock_sql("timestamp ge 2026-10-01T02:00:00+02:00")
    assert "CAST(worklogs.timestamp AS DATE)" in stock_sql("date(timestamp) eq 2026-10-01")
    with_offset = ids(client, "workLogsOnly", **{
        "$filter": "Timestamp ge 2026-10-01T02:00:00+02:00 and Timestamp lt 2026-10-02",
        "$select": "Id"})
    utc = ids(client, "workLogsOnly", **{
        "$filter": "Timestamp ge 2026-10-01T00:00:00Z and Timestamp lt 2026-10-02T00:00:00Z",
        "$select": "Id"})
    assert with_offset == utc and utc
    by_date = ids(client, "workLogsOnly", **{"$filter": "date(Timestamp) eq 2026-10-01",
                                             "$select": "Id"})
    assert sorted(by_date) == sorted(utc)


def test_duration_arithmetic(client: TestClient) -> None:
    with pytest.raises(CompileError):
        stock_sql("timestamp add duration'PT2H' ge 2026-10-01T00:00:00Z")
    shifted = ids(client, "workLogsOnly", **{
        "$filter": "Timestamp add duration'PT2H' ge 2026-10-01T02:00:00Z and "
                   "Timestamp sub duration'-PT2H' lt 2026-10-02T02:00:00Z", "$select": "Id"})
    plain = ids(client, "workLogsOnly", **{
        "$filter": "Timestamp ge 2026-10-01 and Timestamp lt 2026-10-02", "$select": "Id"})
    assert sorted(shifted) == sorted(plain) and plain


def test_parser_per_request_is_thread_safe(client: TestClient) -> None:
    failures: list[str] = []

    def work(n: int) -> None:
        for _ in range(20):
            tree = flt.parse(f"System_Id eq {n} and System_State in ('a{n}')", "$filter")
            if f"a{n}" not in repr(tree) or str(n) not in repr(tree):
                failures.append(repr(tree))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_parsed_filters_are_reused_but_errors_are_not(client: TestClient) -> None:
    """Parsed filter texts are memoized: a repeated text answers the same rows, a bad one is a
    400 every time, naming the option and the position of the text the request sent."""
    bad = "PeriodLength eq 1 #"
    for _ in range(2):
        assert "$filter at position 18" in error(client, "workLogsOnly", **{"$filter": bad})
        assert "worklogsFilter at position 18" in error(client, "workItems",
                                                         worklogsFilter=bad)
    assert "$apply at position 25" in error(client, "workLogsOnly", **{"$apply": f"filter({bad})"})
    good = {"$filter": "PeriodLength ge 3600", "$select": "Id"}
    first = ids(client, "workLogsOnly", **good)
    assert first and ids(client, "workLogsOnly", **good) == first
    assert ids(client, "workLogsOnly", **{"$apply": "filter(PeriodLength ge 3600)",
                                          "$select": "Id"}) == first


def test_huge_expression_is_a_400(client: TestClient) -> None:
    terms = " or ".join(f"System_Id eq {n}" for n in range(1500))
    assert "too long" in error(client, "workItems", **{"$filter": terms})
    deep = "not " * 1900 + "IsBillable"  # under the length cap, deeper than Python's stack
    assert "nested too deeply" in error(client, "workLogsOnly", **{"$filter": deep})


def test_odata_query_logger_is_silenced() -> None:
    assert logging.getLogger("odata_query").getEffectiveLevel() >= logging.ERROR


def test_literal_type_mismatch_is_a_400(client: TestClient) -> None:
    message = error(client, "workLogsOnly", **{"$filter": "PeriodLength eq '900'"})
    assert "'900' is Edm.String" in message and "Edm.Int32" in message and "position 17" in message


def test_integer_div_and_null_semantics(client: TestClient) -> None:
    # stock: true division and SQL's `!=`, which drops the null WorkItemIds
    assert stock_sql("length div 3600 eq 1") == "worklogs.length / (3600 + 0.0) = 1"
    assert stock_sql("work_item_id ne 5") == "worklogs.work_item_id != 5"
    whole = ids(client, "workLogsOnly", **{"$filter": "PeriodLength div 3600 eq 1",
                                           "$select": "Id"})
    lengths = client.get(f"{V}/workLogsOnly", params={
        "$filter": "PeriodLength div 3600 eq 1", "$select": "PeriodLength", "$top": "5000"}
    ).json()["value"]
    assert whole and {r["PeriodLength"] for r in lengths} == {3600, 5400}  # 3599 is 0, 7200 is 2
    def count(flt: str | None) -> int:
        params = {"$count": "true", "$top": "0", **({"$filter": flt} if flt else {})}
        return int(client.get(f"{V}/workLogsOnly", params=params).json()["@odata.count"])

    assert count("WorkItemId ne 1010") + count("WorkItemId eq 1010") == count(None) == 1484
    assert count("WorkItemId eq null") > 0


def test_only_model_names_are_reachable(client: TestClient) -> None:
    assert stock_sql("__tablename__ eq 'x'") == "'x' = 'worklogs'"
    message = error(client, "workLogsOnly", **{"$filter": "__tablename__ eq 'x'"})
    assert "unknown property '__tablename__'" in message
