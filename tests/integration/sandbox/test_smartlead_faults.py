"""Fault injection per key: 5xx fraction, latency, a 429 storm, a key turning 401. A fault answer
is never applied, and each maps to the client error class tasks act on."""

from __future__ import annotations

import time

import pytest

from tests.integration.sandbox.conftest import KEY, OTHER_KEY, Sandbox
from workers.clients.errors import RateLimited, TransientError, Unauthorized

pytestmark = pytest.mark.integration


def test_error_rate_one_gives_5xx_transient_errors_and_applies_nothing(sandbox: Sandbox) -> None:
    sandbox.post("/admin/faults", {"api_key": KEY, "error_rate": 1.0, "seed": 1})
    client = sandbox.client()
    for _ in range(6):
        with pytest.raises(TransientError) as info:
            client.create_campaign("never")
        assert info.value.status_code in (500, 503)
    assert sandbox.state.campaigns == {}
    sandbox.post("/admin/faults", {"api_key": KEY, "error_rate": 0})
    assert client.create_campaign("now").ok


def test_partial_error_rate_is_a_fraction_of_answers(sandbox: Sandbox) -> None:
    sandbox.post("/admin/faults", {"api_key": KEY, "error_rate": 0.5, "seed": 42})
    client = sandbox.client()
    failures = 0
    for _ in range(40):
        try:
            client.list_campaigns()
        except TransientError:
            failures += 1
    assert 8 <= failures <= 32
    stats = sandbox.get("/admin/stats")["keys"][sandbox.state.keys[KEY].hash]
    by_status = stats["requests_by_status"]
    assert by_status.get("500", 0) + by_status.get("503", 0) == failures
    assert by_status["200"] == 40 - failures


def test_storm_answers_429_for_its_period_only_for_that_key(sandbox: Sandbox) -> None:
    sandbox.post("/admin/keys", {"api_key": OTHER_KEY})
    sandbox.post("/admin/faults", {"api_key": KEY, "storm_seconds": 30})
    with pytest.raises(RateLimited) as info:
        sandbox.client().create_campaign("storm")
    assert 29 <= info.value.retry_after <= 30
    assert sandbox.client(OTHER_KEY).list_campaigns() == []
    assert sandbox.state.campaigns == {}
    sandbox.post("/admin/faults", {"api_key": KEY, "storm_seconds": 0})
    assert sandbox.client().list_campaigns() == []


def test_a_key_that_starts_answering_401(sandbox: Sandbox) -> None:
    client = sandbox.client()
    assert client.list_campaigns() == []
    sandbox.post("/admin/faults", {"api_key": KEY, "unauthorized": True})
    with pytest.raises(Unauthorized, match="Invalid API Key"):
        client.create_campaign("x")
    assert sandbox.state.campaigns == {}


def test_latency_is_added_and_a_short_client_timeout_becomes_transient(sandbox: Sandbox) -> None:
    sandbox.post("/admin/faults", {"api_key": KEY, "latency_ms": 300})
    started = time.monotonic()
    assert sandbox.client().list_campaigns() == []
    assert time.monotonic() - started >= 0.3
    with pytest.raises(TransientError, match="timeout"):
        sandbox.client(timeout=0.1).list_campaigns()


def test_connection_refused_is_transient() -> None:
    from workers.clients.smartlead import SmartleadClient

    client = SmartleadClient(KEY, base_url="http://127.0.0.1:9/api/v1", timeout=1)
    with pytest.raises(TransientError, match="connection failed") as info:
        client.list_campaigns()
    assert KEY not in str(info.value)
