"""A tiny 7pace REST client, the kind of code the example tests exercise."""

from __future__ import annotations

import time
from typing import Any

import httpx


class TimesheetClient:
    def __init__(self, base_url: str, token: str, *, retries: int = 3) -> None:
        self.http = httpx.Client(base_url=f"{base_url}/api/rest",
                                 headers={"Authorization": f"Bearer {token}"},
                                 params={"api-version": "3.2"}, timeout=10)
        self.retries = retries

    def _get(self, path: str, **params: Any) -> Any:
        for attempt in range(self.retries + 1):
            response = self.http.get(path, params=params)
            if response.status_code in (429, 503) and attempt < self.retries:
                time.sleep(min(float(response.headers.get("Retry-After", "0")), 1.0))
                continue
            response.raise_for_status()
            return response.json()["data"]
        raise AssertionError("unreachable")

    def me(self) -> dict[str, Any]:
        return dict(self._get("/me"))

    def my_worklogs(self, page_size: int = 100) -> list[dict[str, Any]]:
        """Every worklog of the caller, page by page ($count/$skip)."""
        result: list[dict[str, Any]] = []
        while True:
            page = self._get("/workLogs", **{"$count": page_size, "$skip": len(result)})
            result.extend(page)
            if len(page) < page_size:
                return result

    def log_time(self, work_item_id: int, seconds: int, comment: str) -> dict[str, Any]:
        response = self.http.post("/workLogs", json={"workItemId": work_item_id,
                                                     "length": seconds, "comment": comment})
        response.raise_for_status()
        return dict(response.json()["data"])
