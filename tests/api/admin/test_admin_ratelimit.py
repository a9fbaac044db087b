"""Rate limiting per token (rate_limit_per_minute / rate_limit_per_hour)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import bearer, tokens

ME = "/api/rest/me?api-version=3.2"


def test_per_minute_quota_per_token(small_client: TestClient, small_app: Any) -> None:
    client = small_client
    client.put("/_mockpace/clock", json={"now": "2026-11-02T10:00:00Z"})
    assert client.patch("/_mockpace/settings", json={"rate_limit_per_minute": 3}).status_code \
        == 200
    first, second = list(tokens(small_app).values())[:2]
    assert [client.get(ME, headers=bearer(first)).status_code for _ in range(3)] == [200] * 3
    refused = client.get(ME, headers=bearer(first))
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    error = refused.json()["error"]
    assert error == {"statusCode": 429, "errorCode": "QuoteExceededError",
                     "errorDescription": "The request has been canceled because your API usage "
                                         "was exceeded.",
                     "fields": {"retryAfter": "60"}}
    # another token has its own quota
    assert client.get(ME, headers=bearer(second)).status_code == 200
    # the window follows the organization clock
    client.put("/_mockpace/clock", json={"advance": 61})
    assert client.get(ME, headers=bearer(first)).status_code == 200


def test_per_hour_quota_and_retry_after(small_client: TestClient, small_app: Any) -> None:
    client = small_client
    client.put("/_mockpace/clock", json={"now": "2026-11-02T10:00:00Z"})
    client.patch("/_mockpace/settings", json={"rate_limit_per_hour": 2})
    token = next(iter(tokens(small_app).values()))
    assert client.get(ME, headers=bearer(token)).status_code == 200
    client.put("/_mockpace/clock", json={"advance": 600})
    assert client.get(ME, headers=bearer(token)).status_code == 200
    client.put("/_mockpace/clock", json={"advance": 600})
    refused = client.get(ME, headers=bearer(token))
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == str(3600 - 1200)
    assert refused.json()["error"]["fields"]["retryAfter"] == "2400"


def test_off_by_default(small_client: TestClient, small_app: Any) -> None:
    token = next(iter(tokens(small_app).values()))
    assert {small_client.get(ME, headers=bearer(token)).status_code for _ in range(30)} == {200}


def test_a_clock_moved_back_and_a_reset_start_fresh_windows(small_client: TestClient,
                                                            small_app: Any) -> None:
    """Issue 11 item 18: windows counted before a clock move back, or before a reset, no
    longer refuse requests (a Retry-After longer than the window was the symptom)."""
    client = small_client
    client.put("/_mockpace/clock", json={"now": "2026-11-02T10:00:00Z"})
    client.patch("/_mockpace/settings", json={"rate_limit_per_minute": 2})
    token = next(iter(tokens(small_app).values()))
    assert [client.get(ME, headers=bearer(token)).status_code for _ in range(3)] \
        == [200, 200, 429]
    client.put("/_mockpace/clock", json={"now": "2026-11-02T09:59:44Z"})  # 16 s back
    assert [client.get(ME, headers=bearer(token)).status_code for _ in range(2)] == [200, 200]
    refused = client.get(ME, headers=bearer(token))
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    # a reset restores the start state; the windows start again with it
    assert client.post("/_mockpace/reset").status_code == 200
    client.put("/_mockpace/clock", json={"now": "2026-11-02T09:59:44Z"})
    client.patch("/_mockpace/settings", json={"rate_limit_per_minute": 2})
    assert [client.get(ME, headers=bearer(token)).status_code for _ in range(3)] \
        == [200, 200, 429]


def test_unknown_tokens_share_one_bucket(small_client: TestClient, small_app: Any) -> None:
    """A client sending a new random token with every request gets no bucket per token (the
    limiter's memory grew without bound): every token the organization does not know shares
    the bucket of requests without a token, and known tokens keep their own quota."""
    from mockpace.harness.state import harness_of
    from tests.conftest import default_org

    client = small_client
    client.put("/_mockpace/clock", json={"now": "2026-11-02T10:00:00Z"})
    client.patch("/_mockpace/settings", json={"rate_limit_per_minute": 3})
    statuses = [client.get(ME, headers=bearer(f"random-{n}")).status_code for n in range(400)]
    assert statuses[:3] == [401] * 3 and set(statuses[3:]) == {429}
    basic = client.get(ME, auth=("x", "random-basic"))
    assert basic.status_code == 429
    limiter = harness_of(small_app).of(default_org(small_app)).limiter
    assert limiter.buckets() == 1
    token = next(iter(tokens(small_app).values()))
    assert [client.get(ME, headers=bearer(token)).status_code for _ in range(4)] == \
        [200, 200, 200, 429]
    assert limiter.buckets() == 2
