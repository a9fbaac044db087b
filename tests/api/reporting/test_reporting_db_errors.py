"""Database errors of a Reporting query map the same way whether the statement ran through
SQLAlchemy or on the raw sqlite3 connection (engine._raw_rows, where nearly every query runs):
a busy database is 503, a SQLite limit or a statement SQLite refuses is 400, a fault of the
server is 500; no body carries SQL text or bound values."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError as SAOperationalError

from mockpace.reporting.query import engine
from tests.api.reporting.conftest import ALICE

SECRET = "SELECT secret_column FROM worklogs WHERE x = 'bound-value-42'"
CASES = [
    ("database is locked", 503, "ServiceUnavailable", "The database is busy; retry the request."),
    ("too many SQL variables", 400, "BadRequest",
     "The request is too large or too complex for the database (too many sql variables); "
     "simplify it."),
    ("integer overflow", 400, "BadRequest",
     "The request is too large or too complex for the database (integer overflow); "
     "simplify it."),
    ("misuse of aggregate function sum()", 400, "BadQuery",
     "The query could not be executed: misuse of aggregate function sum()."),
    ("disk I/O error", 500, "UnexpectedError",
     "Unexpected database error (OperationalError); the server log has the details."),
]


def raw_failure(message: str) -> Callable[..., Any]:
    def fail(*_args: Any) -> Any:
        raise sqlite3.OperationalError(message)
    return fail


def sqlalchemy_failure(message: str) -> Callable[..., Any]:
    def fail(*_args: Any) -> Any:
        raise SAOperationalError(SECRET, {"p": "bound-value-42"},
                                 sqlite3.OperationalError(message))
    return fail


@pytest.mark.parametrize("make_failure", [raw_failure, sqlalchemy_failure],
                         ids=["raw sqlite3", "sqlalchemy"])
@pytest.mark.parametrize(("message", "status", "code", "description"), CASES,
                         ids=[c[0] for c in CASES])
@pytest.mark.parametrize("query", [{"$top": "2"}, {"$apply": "aggregate($count as n)"}],
                         ids=["collection", "apply"])
def test_a_database_error_maps_the_same_on_both_paths(
        reporting_app: FastAPI, monkeypatch: pytest.MonkeyPatch,
        make_failure: Callable[[str], Callable[..., Any]], message: str, status: int,
        code: str, description: str, query: dict[str, str]) -> None:
    monkeypatch.setattr(engine, "_raw_rows", make_failure(message))
    with TestClient(reporting_app, headers=ALICE, raise_server_exceptions=False) as client:
        response = client.get("/api/odata/v3.2/workLogsOnly", params=query)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"]) == (code, description)
    assert "secret_column" not in response.text and "bound-value-42" not in response.text
    if status == 503:
        assert response.headers["Retry-After"] == "1"
