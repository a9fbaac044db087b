"""`$apply` errors: each documented problem is a 400 naming the position and the problem; a part
of the extension mockpace does not build is a 501 naming it; random valid and mangled `$apply`
strings never produce a 5xx (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

V = "/api/odata/v3.2"
NOT_BUILT = "is not implemented by mockpace"


def error(client: TestClient, path: str, status: int, **params: str) -> str:
    response = client.get(f"{V}/{path}", params=params)
    assert response.status_code == status, response.text
    body = response.json()["error"]
    return body["message"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("apply", "message"), [
    ("groupby((User/Name),aggregate(PeriodLength with summ as P))",
     "Invalid $apply at position 48: unknown aggregation method 'summ' (sum, min, max, "
     "average, countdistinct)."),
    ("groupby((User/Nam),aggregate(PeriodLength with sum as P))",
     "Invalid $apply at position 14: unknown property 'Nam' on ReportingUser (API v3.2)."),
    ("filter(PeriodLength gt)/aggregate($count as n)",
     "Syntax error in $apply at position 19: unexpected a space or the end of the expression "
     "in 'PeriodLength gt'."),
    ("filter(Comment eq 'a') and x", "Invalid $apply at position 22: unexpected 'and x' after "
                                     "filter(...)."),
    ("filter(PeriodLength gt 1", "Invalid $apply at position 24: a '(' is not closed."),
    ("filter(Comment eq 'a)", "Invalid $apply at position 21: a string literal is not closed."),
    ("groupby(User/Name)", "Invalid $apply at position 8: groupby needs a parenthesized list of "
                           "properties first"),
    ("aggregate(PeriodLength with sum)", "Invalid $apply at position 10: each aggregate item "
                                         "needs '... as Alias'"),
    ("aggregate(PeriodLength as P)", "Invalid $apply at position 10: each aggregate item needs "
                                     "'Expression with method as Alias' or '$count as Alias'."),
    ("aggregate(Comment with sum as P)", "Invalid $apply at position 23: sum needs a number; "
                                         "'Comment' is Edm.String."),
    ("aggregate(User with max as P)", "Invalid $apply at position 10: 'User' cannot be "
                                      "aggregated: it is not a primitive value."),
    ("aggregate(PeriodLength with sum as P,PeriodLength with max as P)",
     "Invalid $apply at position 62: the alias 'P' is used twice in the result."),
    ("groupby((User/Name),aggregate(PeriodLength with sum as User))",
     "Invalid $apply at position 55: the alias 'User' is used twice in the result."),
    ("aggregate(PeriodLength with sum as 1x)",
     "Invalid $apply at position 35: '1x' is not a valid alias"),
    ("compute(PeriodLength as Comment)", "Invalid $apply at position 24: compute alias "
                                         "'Comment' is already a property of ReportingWorkLog."),
    ("compute(PeriodLength div 60)", "Invalid $apply at position 8: each compute item needs "
                                     "'... as Alias'"),
    ("compute(PeriodLength add 'a' as X)", "Invalid $apply: arithmetic needs numbers, not "
                                           "Edm.String."),
    ("frobnicate(1)", "Invalid $apply at position 0: unknown transformation 'frobnicate'"),
    ("", "Invalid $apply at position 0: the expression is empty."),
    ("groupby((User/Name))/filter(PeriodLength gt 1)",
     "Invalid $apply at position 28: unknown property 'PeriodLength' on the $apply result"),
    ("groupby((PeriodLength/Foo))", "Invalid $apply at position 9: 'PeriodLength' is a "
                                    "primitive property; it has no member 'Foo'."),
    ("filter(Timestamp ge 2026-02-30)/aggregate($count as n)", "Invalid $apply at position 20"),
])
def test_bad_apply_is_a_400_naming_the_position(client: TestClient, apply: str, message: str
                                                ) -> None:
    got = error(client, "workLogsOnly", 400, **{"$apply": apply})
    assert got.startswith(message), got


def test_work_item_set_errors(client: TestClient) -> None:
    assert error(client, "workItems", 400, **{"$apply": "groupby((Children))"}) == (
        "Invalid $apply at position 9: 'Children' is a collection; group by a single-valued "
        "property.")
    assert error(client, "workItems", 400, **{"$apply": "filter(TrackedItself gt 0)"}) \
        .startswith("Invalid $apply at position 7: filtering on the calculated field "
                    "'TrackedItself' needs worklogsFilter")
    assert error(client, "workLogsWorkItems", 400, **{"$apply": "groupby((WorkItem))"}) \
        .startswith("Invalid $apply at position 9: grouping by the whole 'WorkItem' object is "
                    "not allowed")


def test_options_on_the_grouped_result_name_it(client: TestClient) -> None:
    grouped = {"$apply": "groupby((User/Name))"}
    assert error(client, "workLogsOnly", 400, **grouped, **{"$orderby": "PeriodLength"}) == (
        "Invalid $orderby at position 0: unknown property 'PeriodLength' on the $apply result "
        "(API v3.2).")
    assert error(client, "workLogsOnly", 400, **grouped, **{"$filter": "Comment eq null"}) \
        .startswith("Invalid $filter at position 0: unknown property 'Comment' on the $apply")
    assert error(client, "workLogsWorkItems", 400, **grouped, **{"$expand": "Parent"}) == (
        "Invalid $expand at position 0: 'Parent' is not a navigation property of the $apply "
        "result; group by it first.")
    assert error(client, "workLogsOnly(7c9e6679-7425-40de-944b-e07fc1f90ae7)", 400,
                 **{"$apply": "filter(true)"}) == \
        "The query option $apply cannot be applied to a single entity."


@pytest.mark.parametrize(("apply", "message"), [
    ("topcount(5,PeriodLength)", "$apply at position 0: the transformation 'topcount'"),
    ("filter(true)/identity", "$apply at position 13: the transformation 'identity'"),
    ("filter(true)/filter", "Invalid $apply at position 13: expected a transformation"),
    ("filter(true)/concat(identity,identity)",
     "$apply at position 13: the transformation 'concat'"),
    ("groupby((User/Name),filter(PeriodLength gt 1))",
     "$apply at position 20: groupby with a nested 'filter' transformation"),
    ("groupby((rollup(User/Name,User/Email)))", "$apply at position 9: groupby with rollup"),
    ("aggregate(PeriodLength with sum as P from User)",
     "$apply at position 10: aggregate ... from ..."),
    ("aggregate(PeriodLength with Custom.Median as P)",
     "$apply at position 28: the custom aggregation method 'Custom.Median'"),
])
def test_parts_not_built_name_themselves(client: TestClient, apply: str, message: str) -> None:
    response = client.get(f"{V}/workLogsOnly", params={"$apply": apply})
    body = response.json()["error"]
    assert body["message"].startswith(message), body
    if response.status_code == 501:
        assert body["code"] == "NotImplemented" and NOT_BUILT in body["message"]
    else:
        assert response.status_code == 400


# -- property: never a 5xx ----------------------------------------------------------------------
PATHS = ["User/Name", "WorkItem/System_TeamProject", "WorklogDate/ShortDate", "PeriodLength",
         "Timestamp", "Comment", "IsBillable", "ActivityType", "Parent", "WorkItem", "Budget/Id",
         "X", "WorkItemId", "User"]
EXPRS = ["PeriodLength", "PeriodLength div 3600", "0", "1.5", "'a'", "Timestamp", "null",
         "year(Timestamp)", "concat(User/Name,'-')", "cast(PeriodLength,Edm.String)", "X",
         "PeriodLength divby 0", "PeriodLength mod 0", "WorkItem", "true", "-PeriodLength"]
CONDS = ["PeriodLength gt 3600", "Comment eq null", "WorkItem ne null", "X gt 1",
         "contains(Comment,'_')", "Timestamp ge 2026-10-01", "not IsBillable", "true", "A0 gt 1"]
METHODS = ["sum", "min", "max", "average", "countdistinct", "median", "Ns.m"]

expr = st.sampled_from(EXPRS)
alias = st.sampled_from(["A0", "A1", "X", "PeriodLength", "User", "1a"])
aggregate_item = st.one_of(
    st.builds(lambda e, m, a: f"{e} with {m} as {a}", expr, st.sampled_from(METHODS), alias),
    st.builds(lambda a: f"$count as {a}", alias))
aggregate = st.builds(lambda items: f"aggregate({','.join(items)})",
                      st.lists(aggregate_item, min_size=1, max_size=3))
groupby = st.builds(
    lambda keys, agg: f"groupby(({','.join(keys)}){',' + agg if agg else ''})",
    st.lists(st.sampled_from(PATHS), min_size=1, max_size=3), st.one_of(st.none(), aggregate))
transformation = st.one_of(
    st.builds(lambda c: f"filter({c})", st.sampled_from(CONDS)),
    st.builds(lambda e, a: f"compute({e} as {a})", expr, alias),
    groupby, aggregate)
pipeline = st.builds("/".join, st.lists(transformation, min_size=1, max_size=4))


@st.composite
def mangled(draw: Any) -> str:
    text: str = draw(pipeline)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["delete", "insert", "swap"]))
        if edit == "delete":
            text = text[:at] + text[at + 1:]
        elif edit == "insert":
            text = text[:at] + draw(st.sampled_from(list("()/,'$ x9."))) + text[at:]
        elif at < len(text) - 1:
            text = text[:at] + text[at + 1] + text[at] + text[at + 2:]
    return text


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(apply=st.one_of(pipeline, mangled(), st.text(max_size=40)),
       entity=st.sampled_from(["workLogsOnly", "workLogsWorkItems", "workItems", "budgets"]),
       extra=st.sampled_from([{}, {"$orderby": "A0 desc"}, {"$filter": "A0 gt 1"},
                              {"$count": "true", "$top": "2"}]))
def test_random_apply_never_fails_with_5xx(client: TestClient, apply: str, entity: str,
                                           extra: dict[str, str]) -> None:
    response = client.get(f"{V}/{entity}", params={"$apply": apply, **extra})
    assert response.status_code < 500 or response.status_code == 501, (apply, response.text)
    if response.status_code >= 400:
        body = response.json()["error"]
        assert body["message"] and body["code"]
    else:
        assert isinstance(response.json()["value"], list)


def test_what_sqlite_cannot_compute_is_a_400(client: TestClient) -> None:
    """These were 500s: an alias missing after ``as`` (an IndexError) and a sum past Int64 (a
    SQLite "integer overflow", now one of the SQLite limits a request reaches)."""
    assert error(client, "workLogsOnly", 400, **{"$apply": "compute(1 as )"}) == (
        "Invalid $apply at position 8: each compute item needs '... as Alias'; got '1 as'.")
    for apply in ("aggregate(9223372036854775807 with sum as S)",
                  "compute(9223372036854775807 as B)/aggregate(B with sum as S)"):
        assert error(client, "workLogsOnly", 400, **{"$apply": apply}) == (
            "The request is too large or too complex for the database (integer overflow); "
            "simplify it.")
    assert error(client, "workLogsOnly", 400, **{
        "$apply": "/".join(["groupby((User/Name))"] * 20)}) == (
        "The request is too large or too complex for the database (parser stack overflow); "
        "simplify it.")


def test_an_integer_aggregate_past_int64_is_a_400_not_a_double(client: TestClient) -> None:
    """SQLite turns an integer `mul`/`add` past Int64 into a REAL: the sum (or min/max) of such
    an expression was answered 200 with a float like 3.4e26 for an Edm.Int64 property."""
    big = "9223372036854775807"
    for apply in (f"aggregate(PeriodLength mul {big} with sum as S)",
                  f"aggregate(PeriodLength add {big} with sum as S)",
                  f"compute(PeriodLength mul {big} as B)/aggregate(B with sum as S)",
                  f"groupby((User/Name),aggregate(PeriodLength mul {big} with max as S))",
                  f"aggregate(PeriodLength mul {big} with min as S)"):
        assert error(client, "workLogsOnly", 400, **{"$apply": apply}) == (
            "The request is too large or too complex for the database (integer overflow); "
            "simplify it."), apply
    fine = client.get(f"{V}/workLogsOnly", params={
        "$apply": "aggregate(PeriodLength mul 1000 with sum as S,PeriodLength with max as M)"})
    row = fine.json()["value"][0]
    assert isinstance(row["S"], int) and row["S"] > 0 and row["S"] % 1000 == 0, fine.text
    assert isinstance(row["M"], int), fine.text


def test_expand_of_a_grouped_navigation_never_drops_what_it_asks(client: TestClient) -> None:
    """The group holds the key of a grouped navigation property: `$expand` selecting it is
    served; selecting more, or nested options, was answered 200 without them (silently)."""
    grouped = {"$apply": "groupby((Parent),aggregate($count as N))", "$top": "2"}
    body = client.get(f"{V}/workLogsWorkItems",
                      params={**grouped, "$expand": "Parent($select=System_Id)"}).json()
    assert [set(r) for r in body["value"]] == [{"Parent", "N"}] * 2, body
    assert all(r["Parent"] is None or set(r["Parent"]) == {"System_Id"} for r in body["value"])
    for expand, what in [("Parent($select=System_Title)", "$select of System_Title"),
                         ("Parent($select=System_Id,System_Title)", "$select of System_Title"),
                         ("Parent($expand=Children)", "$expand"),
                         ("Parent($filter=System_Id gt 1;$select=System_Id)", "$filter")]:
        assert error(client, "workLogsWorkItems", 501, **grouped, **{"$expand": expand}) == (
            f"$expand at position 0: expanding 'Parent' of a grouped result with {what} is not "
            "implemented by mockpace; the group holds only System_Id.")
    # grouped in an earlier step only: not a property of the final result
    assert error(client, "workLogsWorkItems", 400, **{
        "$apply": "groupby((Parent),aggregate($count as N))/aggregate(N with sum as T)",
        "$expand": "Parent"}) == ("Invalid $expand at position 0: 'Parent' is not a navigation "
                                  "property of the $apply result; group by it first.")
