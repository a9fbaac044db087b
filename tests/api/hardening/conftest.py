"""The small fixture's app with its Administrator's token, for the hardening tests."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from mockpace.admin.service import token_list
from tests.conftest import bearer, default_org


@pytest.fixture
def admin_headers(small_app: FastAPI) -> dict[str, str]:
    admin = next(t for t in token_list(default_org(small_app)) if t["role"] == "Administrator")
    return bearer(admin["token"])
