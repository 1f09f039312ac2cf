"""The sandbox's strict per-key rate limits: sliding-log arithmetic over several windows, 429 with
an integer Retry-After, refused requests not applied, statistics computed exactly."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from ops.sandbox.serve import serve
from ops.sandbox.smartlead import create_app, state_of
from ops.sandbox.smartlead_limits import SlidingLog, max_in_any_window
from tests.integration.sandbox.conftest import KEY, Sandbox
from workers.clients.errors import RateLimited

pytestmark = pytest.mark.integration


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ten_per_two_seconds_boundary_is_half_open_and_retry_after_is_ceiled() -> None:
    log = SlidingLog([(10, 2.0), (60, 60.0)])
    for i in range(10):
        assert log.check_and_record(i * 0.1).allowed
    refused = log.check_and_record(0.95)
    assert not refused.allowed and refused.retry_after == 2  # 0.0 leaves at 2.0: 1.05 -> 2
    assert refused.headers()["Retry-After"] == "2" and refused.remaining == 0
    for _ in range(5):  # refused requests are not recorded
        assert not log.check_and_record(1.99).allowed
    assert log.check_and_record(2.0).allowed  # 0.0 is outside (0.0, 2.0]
    assert not log.check_and_record(2.05).allowed  # 0.1 still inside
    assert log.check_and_record(2.1).allowed
    assert len(log.accepted) == 12


def test_the_longer_window_refuses_when_the_burst_window_would_allow() -> None:
    log = SlidingLog([(10, 2.0), (60, 60.0)])
    t = 0.0
    for _ in range(60):
        assert log.check_and_record(t).allowed
        t += 0.25  # 4/s: never more than 8 per 2 s
    refused = log.check_and_record(t)  # t = 15.0, 60 accepted in (−45, 15]
    assert not refused.allowed
    assert refused.retry_after == 45  # the first (t=0) leaves the 60 s window at 60.0
    assert refused.limit == 60 and refused.remaining == 0
    assert not log.check_and_record(59.99).allowed
    assert log.check_and_record(60.0).allowed


def test_ten_per_second_window() -> None:
    log = SlidingLog([(10, 1.0)])
    assert all(log.check_and_record(0.5).allowed for _ in range(10))
    refused = log.check_and_record(0.5)
    assert not refused.allowed and refused.retry_after == 1
    assert log.check_and_record(1.5).allowed


def test_headers_describe_the_most_constrained_window() -> None:
    log = SlidingLog([(10, 2.0), (60, 60.0)])
    first = log.check_and_record(0.0)
    assert (first.limit, first.remaining, first.reset) == (10, 9, 2)
    assert "Retry-After" not in first.headers()


def test_max_in_any_window_matches_brute_force() -> None:
    rng = random.Random(7)
    ts = sorted(rng.uniform(0, 30) for _ in range(300))
    for seconds in (0.5, 2.0, 7.0):
        brute = max(sum(1 for u in ts if t - seconds < u <= t) for t in ts)
        assert max_in_any_window(ts, seconds) == brute
    assert max_in_any_window([], 2.0) == 0
    assert max_in_any_window([0.0, 2.0, 2.0, 3.99], 2.0) == 3


def test_over_http_a_429_is_not_applied_and_stats_count_it() -> None:
    clock = FakeClock()
    app = create_app(clock=clock)
    state = state_of(app)
    with serve(app) as base, httpx.Client(base_url=base, timeout=5) as http:
        http.post("/admin/keys", json={"api_key": KEY, "limits": [[3, 2], [5, 10]]})
        q = {"api_key": KEY}
        for _ in range(3):
            ok = http.post("/api/v1/campaigns/create", params=q, json={"name": "n"})
            assert ok.status_code == 200
        assert ok.headers["x-ratelimit-limit"] == "3" and ok.headers["x-ratelimit-remaining"] == "0"
        over = http.post("/api/v1/campaigns/create", params=q, json={"name": "n"})
        assert over.status_code == 429 and over.headers["Retry-After"] == "2"
        assert len(state.campaigns) == 3  # refused request not applied
        from workers.clients.smartlead import SmartleadClient

        client = SmartleadClient(KEY, base_url=base + "/api/v1", timeout=5)
        with pytest.raises(RateLimited) as info:
            client.list_campaigns()
        assert info.value.retry_after == 2.0 and KEY not in str(info.value)

        clock.now += 2.0
        assert len(client.list_campaigns()) == 3
        clock.now += 0.5
        client.list_campaigns()
        refused_10s = http.get("/api/v1/campaigns/", params=q)  # 5 accepted in the 10 s window
        assert refused_10s.status_code == 429 and refused_10s.headers["Retry-After"] == "8"

        stats = http.get("/admin/stats").json()["keys"][state.keys[KEY].hash]
        assert stats["requests_by_status"] == {"200": 5, "429": 3}
        assert stats["rate_limited"] == 3 and stats["accepted"] == 5
        assert stats["max_accepted_in_window"] == {"3/2s": 3, "5/10s": 5}
        assert KEY not in str(stats)


def test_concurrent_burst_never_exceeds_any_window(sandbox: Sandbox) -> None:
    sandbox.post("/admin/keys", {"api_key": KEY, "limits": [[10, 1], [15, 60]]})

    def one(_: int) -> int:
        return httpx.get(f"{sandbox.api}/campaigns/", params={"api_key": KEY}).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(one, range(40)))
    assert 10 <= statuses.count(200) <= 15
    assert statuses.count(200) + statuses.count(429) == 40
    stats = sandbox.get("/admin/stats")["keys"][sandbox.state.keys[KEY].hash]
    assert stats["max_accepted_in_window"]["10/1s"] <= 10
    assert stats["max_accepted_in_window"]["15/60s"] == statuses.count(200) <= 15
    assert stats["rate_limited"] == statuses.count(429)


def test_the_gate_is_passed_before_and_observes_every_answer(sandbox: Sandbox) -> None:
    """acquire() before each request; observe() sees the status and the x-ratelimit headers,
    including the 429's Retry-After."""
    events: list[tuple[str, int, dict[str, str]]] = []

    class Gate:
        def acquire(self) -> None:
            events.append(("acquire", 0, {}))

        def observe(self, status_code, headers) -> None:
            events.append(("observe", status_code, dict(headers)))

    sandbox.post("/admin/keys", {"api_key": KEY, "limits": [[1, 60]]})
    client = sandbox.client(gate=Gate())
    client.list_campaigns()
    with pytest.raises(RateLimited):
        client.list_campaigns()
    assert [e[:2] for e in events] == [
        ("acquire", 0),
        ("observe", 200),
        ("acquire", 0),
        ("observe", 429),
    ]
    assert events[1][2]["x-ratelimit-limit"] == "1" and events[1][2]["x-ratelimit-remaining"] == "0"
    assert events[3][2]["retry-after"] == "60"
