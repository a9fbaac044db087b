"""The SQL rendering of REST timestamps gives exactly what ``format_rest`` gives."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from mockpace.common.timefmt import format_rest, format_rest_sql

STORED = ["2023-12-12 15:35:52.029299", "2018-03-28 14:45:38.107000",
          "2019-08-31 14:45:00.000000", "2019-08-31 14:45:00", "2024-02-29 23:30:00.000001",
          "2023-12-31 23:59:59.999999", "2023-12-31 23:59:59.999500"]


def in_sqlite(stored: str, offset: int, fraction: bool) -> str:
    expression = format_rest_sql(":v", ":o", fraction=fraction)
    with sqlite3.connect(":memory:") as conn:
        return str(conn.execute(f"SELECT {expression}", {"v": stored, "o": offset}).fetchone()[0])


@pytest.mark.parametrize("stored", STORED)
@pytest.mark.parametrize("offset", [0, 60, -300, 330, -720, 840])
@pytest.mark.parametrize("fraction", [False, True])
def test_same_output_as_format_rest(stored: str, offset: int, fraction: bool) -> None:
    expected = format_rest(datetime.fromisoformat(stored), offset, fraction=fraction)
    assert in_sqlite(stored, offset, fraction) == expected


def test_examples() -> None:
    assert in_sqlite("2018-03-28 14:45:38.107000", 0, True) == "2018-03-28T14:45:38.107"
    assert in_sqlite("2023-12-31 23:30:00.000000", 60, False) == "2024-01-01T00:30:00"
    assert in_sqlite("2023-12-31 23:59:59.999999", 0, True) == "2023-12-31T23:59:59.999999"
