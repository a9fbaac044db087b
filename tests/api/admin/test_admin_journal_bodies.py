"""The journal keeps what the client sent: JSON bodies as JSON up to `journal_body_limit`, cuts
marked in place, nesting bounded so the journal always renders (issues 11.5 and 12.4)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient

from tests.conftest import bearer, tokens

BATCH = "/api/rest/workLogs/batch?api-version=3.2&validateOnly=true"
WL = "/api/rest/workLogs?api-version=3.2"


def _auth(client: TestClient, app: Any) -> dict[str, str]:
    admin = next(e["email"] for e in client.get("/_mockpace/tokens").json()
                 if e["role"] == "Administrator")
    return bearer(tokens(app)[admin])


def _last_body(client: TestClient) -> Any:
    response = client.get("/_mockpace/requests", params={"limit": 1})
    assert response.status_code == 200, response.text
    return response.json()["requests"][0]["body"]


def test_a_500_item_batch_is_kept_as_json(small_client: TestClient, small_app: Any) -> None:
    items = [{"length": 60 + n, "comment": f"item {n} " + "x" * 100} for n in range(500)]
    assert len(orjson.dumps(items)) > 65_536  # cut to a string before
    response = small_client.post(BATCH, json=items, headers=_auth(small_client, small_app))
    assert response.status_code == 200, response.text
    assert _last_body(small_client) == items


def test_a_json_body_is_parsed_once(small_client: TestClient, small_app: Any,
                                    monkeypatch: Any) -> None:
    """The diagnostics, the journal and the route share one parse of the body (it was parsed
    three times, ~1.4 ms more per 500-item batch)."""
    items = [{"length": 60 + n, "comment": f"item {n}", "comments": "typo"} for n in range(500)]
    raw = orjson.dumps(items)
    parses: list[int] = []
    loads = orjson.loads

    def counting(data: Any) -> Any:
        if data == raw:
            parses.append(1)
        return loads(data)

    headers = {**_auth(small_client, small_app), "content-type": "application/json"}
    monkeypatch.setattr(orjson, "loads", counting)
    response = small_client.post(BATCH, content=raw, headers=headers)
    monkeypatch.undo()
    assert response.status_code == 200, response.text
    assert len(parses) == 1
    # each consumer still did its part: the items validated, warned about, and journaled
    assert len(response.json()) == 500
    assert "unknown-property: body property '[0].comments'" in \
        response.headers["x-mockpace-warning"]
    assert _last_body(small_client) == items


def test_a_body_over_the_limit_keeps_its_head_and_marks_the_cut(small_client: TestClient,
                                                                small_app: Any) -> None:
    assert small_client.get("/_mockpace/settings").json()["journal_body_limit"] == 262_144
    small_client.patch("/_mockpace/settings", json={"journal_body_limit": 200})
    items = [{"length": 60, "comment": "c" * 10} for _ in range(20)]
    small_client.post(BATCH, json=items, headers=_auth(small_client, small_app))
    assert _last_body(small_client) == [
        *[{"length": 60, "comment": "cccccccccc"}] * 5,
        {"length": 60, "\u2026": "\u2026(cut: 1 more properties)"},
        "\u2026(cut: 14 more items)"]
    small_client.post(WL, json={"length": 60, "comment": "y" * 500},
                      headers=_auth(small_client, small_app))
    assert _last_body(small_client) == {
        "length": 60, "comment": "y" * 175 + "\u2026(cut: 325 more characters)"}
    small_client.post(WL, content=b"z" * 300, headers={
        **_auth(small_client, small_app), "Content-Type": "text/plain"})
    assert _last_body(small_client) == "z" * 200 + "\u2026(cut: 100 more bytes)"


def test_deep_nesting_is_cut_and_the_journal_still_renders(small_client: TestClient,
                                                           small_app: Any) -> None:
    deep = b'{"a":' * 300 + b"1" + b"}" * 300
    body = b'{"length": 60, "comment": "deep", "ignored": ' + deep + b"}"
    response = small_client.post(WL, content=body, headers={
        **_auth(small_client, small_app), "Content-Type": "application/json"})
    # The route refuses a body nested deeper than 32 levels (README "Limits"); the journal
    # keeps what was sent all the same.
    assert response.status_code == 400, response.text
    assert "deeper than 32 levels" in response.json()["error"]["errorDescription"]
    kept = _last_body(small_client)
    assert (kept["length"], kept["comment"]) == (60, "deep")
    level = kept["ignored"]
    for _ in range(30):  # 32 levels in all: the body object, "ignored", then 30 more
        level = level["a"]
    assert level == {"a": "\u2026(cut: nested deeper than 32 levels)"}
    assert small_client.get("/_mockpace/requests").status_code == 200


def test_journal_body_limit_is_bounded(small_client: TestClient) -> None:
    for bad in (-1, 2**63, 67_108_865, "1000"):
        response = small_client.patch("/_mockpace/settings", json={"journal_body_limit": bad})
        assert response.status_code == 400, bad
    assert small_client.get("/_mockpace/settings").json()["journal_body_limit"] == 262_144


def test_the_journal_holds_about_the_bytes_it_keeps() -> None:
    """journal_body_limit bounds memory, not just text: a 150 KB batch was kept as parsed Python
    objects, some 5 MB per entry (1000 entries: 5 GB)."""
    import tracemalloc

    from mockpace.harness.journal import journal_body, render

    items = [{"timeStamp": "2026-11-01T10:00:00", "length": 60, "workItemId": 120,
              "comment": "c"} for _ in range(2000)]
    for body in (orjson.dumps(items), orjson.dumps(items + items)):  # within / over the limit
        tracemalloc.start()
        kept = journal_body(body, "application/json", 262_144)
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert held < 2 * min(len(body), 262_144) + 4096, held
        shown = orjson.loads(render([{"body": kept}]))["requests"][0]["body"]
        assert shown[:2000] == items
