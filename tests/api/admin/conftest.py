"""Admin-plane tests share the session apps of tests/conftest.py: the harness state (journal,
fault rules, rate-limit counters) lives beside the organization, not in its database, so a reset
does not clear it; do it after every test so nothing leaks into other tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockpace.harness import harness_of
from mockpace.harness.state import OrgHarness


@pytest.fixture(autouse=True)
def _clean_harness(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    for name in ("small_app", "seeded_app"):
        if name in request.fixturenames:
            # the session app (the function fixture is torn down before this one)
            app = request.getfixturevalue("_" + name)
            harness = harness_of(app)
            for org in app.state.registry.all():
                state: OrgHarness = harness.of(org)
                state.faults.clear()
                state.journal.clear()
                state.limiter.clear()
            registry = app.state.registry
            for org in list(registry.all()):
                if org is not registry.default:
                    registry.remove(org.name)
                    harness.forget(org)
