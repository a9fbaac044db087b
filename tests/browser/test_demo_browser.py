"""The demo page in a real browser (Playwright driving the system's Chromium).

Skipped, with the reason, where Playwright or Chromium is missing. To run them:
``apt-get install chromium`` (Debian; or point ``MOCKPACE_CHROMIUM`` at a Chromium binary) and
``.venv/bin/python -m pytest tests/browser`` (Playwright comes with the test extra).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockpace.testing.plugin import LiveServer
from tests.conftest import small_live_server

CHROMIUM = os.environ.get("MOCKPACE_CHROMIUM", "/usr/bin/chromium")

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

pytestmark = [
    pytest.mark.skipif(sync_playwright is None,
                       reason="Playwright is not installed (pip install playwright)"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"no Chromium at {CHROMIUM}: apt-get install chromium, or set "
                              "MOCKPACE_CHROMIUM to a Chromium binary"),
]


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with small_live_server() as live:
        yield live


@pytest.fixture
def page(server: LiveServer) -> Iterator[Any]:
    assert sync_playwright is not None
    json = {"Content-Type": "application/json"}
    httpx.post(server.url + "/_mockpace/reset", headers=json)
    httpx.put(server.url + "/_mockpace/clock", headers=json, json={"now": "2026-03-03T08:00:00Z"})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
        tab = context.new_page()
        requests: list[str] = []
        tab.on("request", lambda request: requests.append(request.url))
        tab.requests = requests
        tab.goto(server.url + "/")
        tab.wait_for_selector("body[data-ready=true]", timeout=20000)
        try:
            yield tab
        finally:
            browser.close()
    assert all(url.startswith(server.url + "/") for url in requests), requests


def rows(page: Any, table: str) -> list[list[str]]:
    return [[cell.strip() for cell in row] for row in page.eval_on_selector_all(
        f"#{table} tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText))")]


def test_organization_users_tokens_and_links(page: Any) -> None:
    assert page.inner_text("#org").startswith("organization contoso (collection "
                                               "DefaultCollection): 3 users")
    assert page.inner_text("#clock") == "2026-03-03 08:00 UTC (fixed)"
    users = rows(page, "users")
    assert [r[1:5] for r in users] == [
        ["Ada Admin", "ada.admin@contoso.com", "Administrator",
         "small-admin-token-0000000000000000000000000000000001"],
        ["Mia Manager", "mia.manager@contoso.com", "Approval Manager",
         "small-manager-token-000000000000000000000000000000003"],
        ["Tom Team", "tom.team@contoso.com", "Team",
         "small-team-token-00000000000000000000000000000000002"]]
    page.click("#users tbody tr:nth-child(3) button.copy")
    assert page.evaluate("navigator.clipboard.readText()") == \
        "small-team-token-00000000000000000000000000000000002"
    hrefs = page.eval_on_selector_all("header a", "links => links.map(a => a.getAttribute('href'))")
    assert {"/docs", "/api/rest/me?api-version=3.2", "/api/odata/v3.2",
            "/api/tracking/client/current?api-version=3.2"} <= set(hrefs)


def test_week_browsing_and_the_timer(page: Any) -> None:
    # the admin (selected first) sees their own week: the one holding the clock's day
    assert page.inner_text("#week-label") == "2026-03-02 to 2026-03-08"
    assert rows(page, "worklogs") == [["2026-03-02 09:30", "Ada Admin", "104", "", "2:00"]]
    page.check("#week-everyone")
    page.wait_for_function("document.querySelectorAll('#worklogs tbody tr').length === 3")
    page.click("#week-prev")
    page.wait_for_function("document.querySelector('#week-total').innerText.startsWith('9 ')")
    assert page.inner_text("#week-total") == "9 worklogs, 13:30 h"
    page.click("#week-next")
    page.uncheck("#week-everyone")
    # pick Tom, start the timer, move the clock an hour, stop: the worklog appears
    page.check("input[name=user][value='22222222-2222-4222-8222-222222222222']")
    page.wait_for_function("document.querySelector('#week-total').innerText.startsWith('1 ')")
    page.fill("#timer-item", "102")
    page.fill("#timer-remark", "demo run")
    page.click("#timer-start")
    page.wait_for_function("document.querySelector('#timer-state').innerText"
                           ".startsWith('state: tracking')")
    page.click("button[data-advance='3600']")
    page.wait_for_function("document.querySelector('#clock').innerText.includes('09:00')")
    page.wait_for_function("document.querySelector('#timer-state').innerText.includes('1:00')")
    assert page.inner_text("#timer-state") == "state: tracking, work item 102, 1:00 so far"
    page.click("#timer-stop")
    page.wait_for_function("document.querySelector('#week-total').innerText.startsWith('2 ')")
    assert ["2026-03-03 03:00", "Tom Team", "102", "demo run", "1:00"] in rows(page, "worklogs")
    assert page.inner_text("#timer-state") == "state: idle, work item 102"  # still selected


def test_odata_query_chart_and_reset(page: Any) -> None:
    page.click("#odata-run")
    page.wait_for_function("document.querySelector('#odata-count').innerText === '12 rows'")
    header = page.eval_on_selector_all("#odata-rows thead th", "ths => ths.map(t => t.innerText)")
    assert header == ["Timestamp", "PeriodLength", "User/Name", "WorkItem/System_Title"]
    assert rows(page, "odata-rows")[0] == ["2026-03-04T10:00:00Z", "1800", "Mia Manager", ""]
    page.fill("#chart-from", "2026-02-01")
    page.fill("#chart-to", "2026-03-31")
    page.select_option("#chart-by", "user")
    page.click("#chart-run")
    page.wait_for_selector("#chart tbody tr")
    assert [[r[0], r[2]] for r in rows(page, "chart")] == [
        ["Tom Team", "11:45 h"], ["Ada Admin", "5:00 h"], ["Mia Manager", "0:30 h"]]
    page.select_option("#chart-by", "project")
    page.click("#chart-run")
    page.wait_for_function("document.querySelector('#chart tbody tr').dataset.key === "
                           "'Fabrikam'")
    assert [[r[0], r[2]] for r in rows(page, "chart")] == [
        ["Fabrikam", "16:15 h"], ["(no work item)", "1:00 h"]]
    # a worklog created elsewhere disappears with Reset data
    httpx.post(page.url + "api/rest/workLogs?api-version=3.2", json={"length": 60,
               "comment": "x"}, headers={"Authorization": "Bearer "
                                         "small-admin-token-0000000000000000000000000000000001"})
    page.click("#reset")
    page.wait_for_function("document.querySelector('#org').innerText.includes('12 worklogs')")
    assert page.inner_text("#admin-error") == ""
