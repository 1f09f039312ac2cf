"""The shared HTTP helper: gate around every request, our User-Agent, answers mapped to errors."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pytest

from workers.clients.errors import (
    NotFound,
    PermanentError,
    RateLimitDeferred,
    RateLimited,
    TransientError,
    Unauthorized,
)
from workers.clients.http import USER_AGENT, HttpRequester, parse_retry_after

SECRET = "sk-test-http-secret-123456"


class RecordingGate:
    def __init__(self, defer: bool = False) -> None:
        self.events: list[tuple[str, int | None]] = []
        self.defer = defer

    def acquire(self) -> None:
        self.events.append(("acquire", None))
        if self.defer:
            raise RateLimitDeferred(1.5, "k")

    def observe(self, status_code: int, headers: Mapping[str, str]) -> None:
        self.events.append(("observe", status_code))


def requester(handler, gate=None) -> HttpRequester:
    return HttpRequester(
        "svc",
        "http://svc.test/api",
        gate=gate,
        timeout=2,
        transport=httpx.MockTransport(handler),
        params={"api_key": SECRET},
        secrets=[SECRET],
    )


def test_request_sends_user_agent_auth_param_and_passes_the_gate_both_ways() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    gate = RecordingGate()
    resp = requester(handler, gate).request("GET", "/things", params={"a": 1, "b": None})
    assert resp.json() == {"ok": True}
    assert seen[0].headers["User-Agent"] == USER_AGENT
    assert seen[0].url.params["api_key"] == SECRET
    assert seen[0].url.params["a"] == "1" and "b" not in seen[0].url.params
    assert str(seen[0].url).startswith("http://svc.test/api/things")
    assert gate.events == [("acquire", None), ("observe", 200)]


def test_deferred_gate_sends_nothing() -> None:
    calls = []
    gate = RecordingGate(defer=True)
    with pytest.raises(RateLimitDeferred):
        requester(lambda r: calls.append(r) or httpx.Response(200), gate).request("GET", "/x")
    assert calls == []


@pytest.mark.parametrize(
    ("status", "body", "headers", "exc_type"),
    [
        (429, {"message": "slow down"}, {"Retry-After": "7"}, RateLimited),
        (500, {"error": "boom"}, {}, TransientError),
        (503, "", {}, TransientError),
        (400, {"error": '"settings.foo" is not allowed'}, {}, PermanentError),
        (422, {"message": "bad"}, {}, PermanentError),
        (404, "Cannot POST /api/x", {}, NotFound),
        (401, {"message": "Invalid API Key"}, {}, Unauthorized),
    ],
)
def test_status_codes_map_to_the_error_hierarchy_and_are_observed(
    status, body, headers, exc_type
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, dict):
            return httpx.Response(status, json=body, headers=headers)
        return httpx.Response(status, text=body, headers=headers)

    gate = RecordingGate()
    with pytest.raises(exc_type) as info:
        requester(handler, gate).request("POST", "/x")
    assert type(info.value) is exc_type
    assert info.value.status_code == status
    assert gate.events[-1] == ("observe", status)
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    if isinstance(body, dict):
        assert next(iter(body.values())) in info.value.message
    if exc_type is RateLimited:
        assert info.value.retry_after == 7.0


def test_timeouts_and_connection_errors_are_transient_and_carry_no_url() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout(f"timed out reading {request.url}", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused {request.url}", request=request)

    for handler in (timeout, refused):
        with pytest.raises(TransientError) as info:
            requester(handler).request("GET", "/x")
        assert SECRET not in str(info.value)
        assert info.value.__cause__ is None and info.value.__suppress_context__


def test_parse_retry_after_accepts_seconds_dates_and_garbage() -> None:
    assert parse_retry_after("60") == 60.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after(None, default=3.0) == 3.0
    assert parse_retry_after("soon", default=2.0) == 2.0
    assert 0.0 <= parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") <= 0.0


def test_a_400_keeps_smartleads_own_message_beside_the_status_phrase() -> None:
    """{"error": "Bad Request", "message": ...}: the reason must not be lost (issue 17)."""
    import httpx

    from workers.clients.http import error_for

    response = httpx.Response(
        400,
        json={"error": "Bad Request", "message": "custom_fields: at most 20 fields per lead"},
        request=httpx.Request("POST", "https://server.smartlead.ai/api/v1/campaigns/1/leads"),
    )
    err = error_for(response, service="smartlead", method="POST", path="/campaigns/1/leads")
    assert err is not None and err.status_code == 400
    assert "Bad Request: custom_fields: at most 20 fields per lead" in err.message
