"""pytest plugin (entry point ``pytest11``): test 7pace clients against a live mockpace.

Fixtures (all prefixed ``mockpace``):

- ``mockpace_server`` (session): one uvicorn server on a free port in a background thread,
  serving the data chosen by the ini options below (real HTTP, so any client library works).
- ``mockpace`` (per test): resets the server to its start state (a snapshot restore, a few
  milliseconds), clears the journal, fault rules and rate-limit counters, and returns a
  :class:`Mockpace` helper: clients per role, base URLs, faults, clock, settings, journal.
- ``mockpace_client`` (per test): an ``httpx.Client`` for the REST/Tracking/Reporting routes,
  authenticated as the organization's administrator, ``api-version=3.2`` added to every request.
- ``mockpace_url`` (session): the server's base URL.

Override ``mockpace_server_settings`` (a session fixture returning ``ServerSettings`` keyword
arguments) or set the ini options ``mockpace_fixture`` (a fixture file), ``mockpace_seed``,
``mockpace_anchor_date``, ``mockpace_users``, ``mockpace_work_items``, ``mockpace_days`` to
choose the data.

Contract checks: with the ini option ``mockpace_strict_contract = true``, or the marker
``@pytest.mark.mockpace_strict_contract`` on a test, a test using ``mockpace`` fails when its
requests drew contract warnings (the server's ``X-Mockpace-Warning`` diagnostics), and the
failure lists them; ``@pytest.mark.mockpace_strict_contract(False)`` exempts one test. Without
it, the warnings still appear in the report of a test that fails for another reason.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime
from typing import Any

import httpx
import pytest

PRISTINE = "__pristine__"  # mockpace.orgs.PRISTINE (not imported: keep plugin loading light)

INI_OPTIONS = {
    "mockpace_fixture": "fixture file (JSON/YAML) the live server serves",
    "mockpace_seed": "generator seed (default 1)",
    "mockpace_anchor_date": "anchor date of the generated data (yyyy-MM-dd)",
    "mockpace_users": "number of generated users",
    "mockpace_work_items": "number of generated work items",
    "mockpace_days": "days of generated worklogs",
}
START_SNAPSHOT = "__pytest_start__"
STRICT = "mockpace_strict_contract"


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, help_text in INI_OPTIONS.items():
        parser.addini(name, help_text, default=None)
    parser.addini(STRICT, "fail tests whose requests draw mockpace contract warnings",
                  type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{STRICT}(on=True): fail this test when its requests draw mockpace "
        "contract warnings (on=False exempts it from the ini option)")


def strict_contract(item: pytest.Item) -> bool:
    """The marker of the test, else the ini option."""
    marker = item.get_closest_marker(STRICT)
    if marker is not None:
        return bool(marker.args[0]) if marker.args else bool(marker.kwargs.get("on", True))
    return bool(item.config.getini(STRICT))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """After a test that used ``mockpace``: its contract warnings go into the report, and
    fail the test under ``mockpace_strict_contract``."""
    try:
        result = yield
    except BaseException:
        _contract_report(item)  # a failing test: the warnings may explain it
        raise
    if not strict_contract(item):
        return result  # a passing test: no journal download (the warnings are not shown)
    listed = _contract_report(item)
    if listed:
        pytest.fail(f"mockpace contract warnings (mockpace_strict_contract is on):\n{listed}",
                    pytrace=False)
    return result


def _contract_report(item: pytest.Item) -> str:
    """The test's contract warnings as report text (also added as a report section)."""
    helper = getattr(item, "funcargs", {}).get("mockpace")
    if not isinstance(helper, Mockpace):
        return ""
    try:
        warnings = helper.contract_warnings()
    except (httpx.HTTPError, AssertionError):  # the server is gone: nothing to add
        return ""
    listed = "\n".join(f"  {w}" for w in warnings)
    if listed:
        item.add_report_section("call", "mockpace contract warnings", listed)
    return listed


def free_port(host: str = "127.0.0.1") -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """uvicorn in a daemon thread; ``url`` is ``http://127.0.0.1:<port>``."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int | None = None) -> None:
        import uvicorn

        self.app = app
        self.host = host
        self.port = port or free_port(host)
        self.url = f"http://{host}:{self.port}"
        self.pristine_at: Any = None  # when the reset state was saved (to notice a change)
        config = uvicorn.Config(app, host=host, port=self.port, log_level="warning",
                                lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="mockpace-server",
                                        daemon=True)

    def start(self, timeout: float = 20.0) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"mockpace server did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


class Mockpace:
    """What a test needs from the live server; every method talks HTTP to the admin plane."""

    def __init__(self, server: LiveServer, api_version: str = "3.2") -> None:
        self.server = server
        self.url = server.url
        self.api_version = api_version
        # the header makes every admin POST one a web page cannot send (mockpace refuses
        # bodiless POSTs without it)
        self.admin = httpx.Client(base_url=f"{self.url}/_mockpace", timeout=30,
                                  headers={"X-Mockpace-Request": "pytest"})
        self._clients: list[httpx.Client] = []
        self._tokens: list[dict[str, Any]] | None = None

    # -- URLs ---------------------------------------------------------------------------------
    @property
    def rest_url(self) -> str:
        return f"{self.url}/api/rest"

    @property
    def tracking_url(self) -> str:
        return f"{self.url}/api/tracking/client"

    def odata_url(self, version: str = "v3.2") -> str:
        return f"{self.url}/api/odata/{version}"

    @property
    def collection(self) -> str:
        org = self.server.app.state.registry.default
        return str(org.collection)

    def onprem_url(self, surface: str = "rest") -> str:
        """``/api/{collection}/{surface}``, the on-prem (Azure DevOps Server) form."""
        return f"{self.url}/api/{self.collection}/{surface}"

    # -- tokens and clients -------------------------------------------------------------------
    def tokens(self) -> list[dict[str, Any]]:
        if self._tokens is None:
            self._tokens = self._ok(self.admin.get("/tokens")).json()
        return self._tokens

    def user(self, role: str = "Administrator", *, email: str | None = None) -> dict[str, Any]:
        """The first user (by e-mail) with ``role``, or the user with ``email``."""
        for entry in self.tokens():
            if (email is not None and entry["email"].lower() == email.lower()) or \
                    (email is None and entry["role"] == role):
                return entry
        raise LookupError(f"no user with {'e-mail ' + email if email else 'role ' + role}")

    def token(self, role: str = "Administrator", *, email: str | None = None) -> str:
        return str(self.user(role, email=email)["token"])

    def client(self, role: str = "Administrator", *, email: str | None = None,
               api_version: str | None = None, **kwargs: Any) -> httpx.Client:
        """An httpx client on the server root with that user's Bearer token; every request
        carries ``api-version`` unless ``api_version=""``."""
        version = self.api_version if api_version is None else api_version
        params = {"api-version": version} if version else None
        headers = {"Authorization": f"Bearer {self.token(role, email=email)}",
                   **kwargs.pop("headers", {})}
        client = httpx.Client(base_url=self.url, headers=headers, params=params,
                              timeout=kwargs.pop("timeout", 30), **kwargs)
        self._clients.append(client)
        return client

    # -- state ----------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the state the session started with; journal, faults and limits cleared."""
        registry = self.server.app.state.registry
        org = registry.default
        # In-process: the start snapshot is private (not listed by GET /snapshots). When a test
        # loaded a fixture or re-seeded, the state that reset returns to changed: put it back.
        pristine = org.store._memory_snapshots.get(PRISTINE)
        if pristine is not None and pristine[1] == self.server.pristine_at:
            org.reset()
        else:
            org.restore(START_SNAPSHOT)
            org.replace_pristine()
            self.server.pristine_at = org.store._memory_snapshots[PRISTINE][1]
        self.clear_faults()
        self.clear_requests()
        from mockpace.harness import harness_of

        for org in registry.all():
            harness_of(self.server.app).of(org).limiter.clear()
            if org is not registry.default:
                self._ok(self.admin.delete(f"/orgs/{org.name}"))
        self._tokens = None

    def snapshot(self, name: str) -> dict[str, Any]:
        return dict(self._ok(self.admin.post(f"/snapshots/{name}")).json())

    def restore(self, name: str) -> dict[str, Any]:
        return dict(self._ok(self.admin.post(f"/snapshots/{name}/restore")).json())

    def export(self) -> dict[str, Any]:
        return dict(self._ok(self.admin.get("/export")).json())

    def settings(self, **changes: Any) -> dict[str, Any]:
        """Change organization settings (``prevent_future_time=True``); returns all of them."""
        if changes:
            return dict(self._ok(self.admin.patch("/settings", json=changes)).json())
        return dict(self._ok(self.admin.get("/settings")).json())

    # -- clock ----------------------------------------------------------------------------------
    def set_clock(self, now: str | datetime) -> dict[str, Any]:
        value = now.isoformat() if isinstance(now, datetime) else now
        return dict(self._ok(self.admin.put("/clock", json={"now": value})).json())

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return dict(self._ok(self.admin.put("/clock", json={"advance": seconds})).json())

    def real_clock(self) -> dict[str, Any]:
        return dict(self._ok(self.admin.put("/clock", json={"mode": "real"})).json())

    # -- faults ---------------------------------------------------------------------------------
    def fault(self, path: str, **rule: Any) -> dict[str, Any]:
        """Add a fault rule: ``fault("/api/rest/workLogs*", status=503, times=1)``; keyword
        names as in the admin plane (``delayMs``, ``retryAfter``, ...) or snake case."""
        body = {"path": path, **{_camel(k): v for k, v in rule.items()}}
        return dict(self._ok(self.admin.post("/faults", json=body)).json())

    def faults(self) -> list[dict[str, Any]]:
        return list(self._ok(self.admin.get("/faults")).json())

    def clear_faults(self) -> None:
        self._ok(self.admin.delete("/faults"))

    # -- journal --------------------------------------------------------------------------------
    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """Journal entries, newest first (filters: method, path, status, limit)."""
        params = {k: v for k, v in filters.items() if v is not None}
        return list(self._ok(self.admin.get("/requests", params=params)).json()["requests"])

    def request_count(self, **filters: Any) -> int:
        params = {k: v for k, v in filters.items() if v is not None}
        return int(self._ok(self.admin.get("/requests/count", params=params)).json()["count"])

    def clear_requests(self) -> None:
        self._ok(self.admin.delete("/requests"))

    def contract_warnings(self) -> list[str]:
        """The contract warnings drawn since the last reset, oldest first, each as
        ``METHOD /path: warning`` (every organization's journal)."""
        found = []
        for name in self._org_names():
            entries = self._ok(self.admin.get("/requests", params={"org": name})).json()
            for entry in reversed(entries["requests"]):
                found += [f"{entry['method']} {entry['path']}: {w}" for w in entry["warnings"]]
        return found

    def _org_names(self) -> list[str]:
        return [str(org.name) for org in self.server.app.state.registry.all()]

    # -- approvals ------------------------------------------------------------------------------
    def set_week(self, user_id: str, week_start: str, state: str = "approved",
                 manager_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"userId": user_id, "weekStart": week_start, "state": state}
        if manager_id:
            body["managerId"] = manager_id
        return dict(self._ok(self.admin.post("/approvals", json=body)).json())

    # -- plumbing -------------------------------------------------------------------------------
    @staticmethod
    def _ok(response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            raise AssertionError(f"mockpace admin call {response.request.method} "
                                 f"{response.request.url} failed: {response.status_code} "
                                 f"{response.text}")
        return response

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        self.admin.close()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    fixed = {"ms": "Ms", "max": "Max"}
    return head + "".join(fixed.get(part, part.capitalize()) for part in rest)


@pytest.fixture(scope="session")
def mockpace_server_settings(pytestconfig: pytest.Config) -> dict[str, Any]:
    """ServerSettings keyword arguments of the live server; override to choose other data."""
    settings: dict[str, Any] = {}
    for name in INI_OPTIONS:
        value = pytestconfig.getini(name)
        if value:
            settings[name.removeprefix("mockpace_")] = value
    return settings


@pytest.fixture(scope="session")
def mockpace_server(mockpace_server_settings: dict[str, Any]) -> Iterator[LiveServer]:
    from mockpace.app import create_app
    from mockpace.settings import ServerSettings

    settings = ServerSettings(**{"db": ":memory:", **mockpace_server_settings})
    app = create_app(settings)
    store = app.state.registry.default.store
    store.save_snapshot(START_SNAPSHOT)
    server = LiveServer(app)
    server.pristine_at = store._memory_snapshots[PRISTINE][1]
    server.start()
    try:
        yield server
    finally:
        server.stop()
        for org in app.state.registry.all():
            org.store.dispose()


@pytest.fixture(scope="session")
def mockpace_url(mockpace_server: LiveServer) -> str:
    return mockpace_server.url


@pytest.fixture
def mockpace(mockpace_server: LiveServer) -> Iterator[Mockpace]:
    helper = Mockpace(mockpace_server)
    helper.reset()
    try:
        yield helper
    finally:
        helper.close()


@pytest.fixture
def mockpace_client(mockpace: Mockpace) -> httpx.Client:
    return mockpace.client("Administrator")
