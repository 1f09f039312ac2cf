"""The shared limiter's window arithmetic at its boundaries (fakeredis with Lua, a fake clock
behind Redis's TIME)."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from workers.clients.errors import RateLimitDeferred
from workers.rate_limit.limiter import (
    Policy,
    RateLimiter,
    Window,
    key_id,
    parse_reset,
    parse_retry_after,
)

W = [Window(3, 1.0), Window(5, 10.0)]


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Redis's TIME (as fakeredis answers it) follows this clock."""
    from fakeredis.commands_mixins import server_mixin

    c = Clock()
    monkeypatch.setattr(server_mixin, "time", SimpleNamespace(time=c.time))
    return c


def make(
    fake_redis: object,
    clock: Clock,
    *,
    padding_ms: float = 0.0,
    margin: int = 0,
    reserve: float = 0.0,
    max_wait: float = 0.0,
) -> RateLimiter:
    return RateLimiter(
        fake_redis,
        policy=Policy(padding_ms=padding_ms, limit_margin=margin, realtime_reserve=reserve),
        max_wait=max_wait,
        default_penalty=7.0,
        sleep=clock.advance,
    )


def take(lim: RateLimiter, n: int, windows: list[Window] = W, lane: str = "realtime") -> list[bool]:
    return [lim.try_acquire("k", windows, lane).admitted for _ in range(n)]


def test_window_admits_exactly_its_limit_and_refuses_the_next(fake_redis, clock) -> None:
    lim = make(fake_redis, clock)
    assert take(lim, 3) == [True, True, True]
    d = lim.try_acquire("k", W)
    assert not d.admitted
    assert d.wait == pytest.approx(1.0, abs=1e-6)


def test_entry_leaves_the_window_exactly_one_window_later(fake_redis, clock) -> None:
    lim = make(fake_redis, clock)
    take(lim, 3)
    clock.advance(1.0 - 1e-6)
    assert not lim.try_acquire("k", W).admitted
    clock.advance(1e-6)
    assert lim.try_acquire("k", W).admitted


def test_sliding_not_fixed_window_no_double_burst_at_a_boundary(fake_redis, clock) -> None:
    """3 at t=0.9 and none may follow at t=1.1: a fixed window would admit 6 within 0.2 s."""
    lim = make(fake_redis, clock)
    clock.advance(0.9)
    assert take(lim, 3) == [True] * 3
    clock.advance(0.2)
    d = lim.try_acquire("k", W)
    assert not d.admitted
    assert d.wait == pytest.approx(0.8, abs=1e-6)


def test_every_window_is_enforced_at_once(fake_redis, clock) -> None:
    lim = make(fake_redis, clock)
    assert take(lim, 3) == [True] * 3
    clock.advance(1.0)
    assert take(lim, 3) == [True, True, False]  # 5 per 10 s reached
    d = lim.try_acquire("k", W)
    assert d.wait == pytest.approx(9.0, abs=1e-6)  # the first entry leaves the 10 s window
    clock.advance(9.0)
    assert lim.try_acquire("k", W).admitted


def test_no_window_ever_admits_more_than_its_limit_under_random_arrivals(fake_redis, clock) -> None:
    rng = random.Random(4)
    lim = make(fake_redis, clock)
    admitted: list[float] = []
    for _ in range(2000):
        clock.advance(rng.expovariate(8.0))
        if lim.try_acquire("k", W).admitted:
            admitted.append(clock.now)
    for w in W:
        left = 0
        for right, t in enumerate(admitted):
            while t - admitted[left] >= w.seconds:
                left += 1
            assert right - left + 1 <= w.limit
    # and it is not over-strict: the 5-per-10 s window is the binding one
    span = admitted[-1] - admitted[0]
    assert len(admitted) >= 5 * int(span / 10.0)


def test_padding_and_margin_are_the_safety_margin(fake_redis, clock) -> None:
    lim = make(fake_redis, clock, padding_ms=100, margin=1)
    assert take(lim, 3) == [True, True, False]  # limit 3 - margin 1
    clock.advance(1.0)
    assert not lim.try_acquire("k", W).admitted  # window is 1.1 s long
    clock.advance(0.1)
    assert lim.try_acquire("k", W).admitted


def test_429_closes_the_key_for_every_process_until_retry_after(fake_redis, clock) -> None:
    a, b = make(fake_redis, clock), make(fake_redis, clock)
    assert a.try_acquire("k", W).admitted
    a.observe("k", 429, {"Retry-After": "5"}, windows=W)
    for lim in (a, b):
        d = lim.try_acquire("k", W, "realtime")
        assert not d.admitted
        assert d.wait == pytest.approx(5.0, abs=1e-6)
    # bulk waits too, and also behind the realtime requests deferred meanwhile
    assert b.try_acquire("k", W, "bulk").wait >= 5.0
    b.observe("k", 429, {"Retry-After": "1"}, windows=W)  # a shorter one never shortens the box
    clock.advance(4.999)
    assert not b.try_acquire("k", W).admitted
    clock.advance(0.001)
    assert b.try_acquire("k", W).admitted
    assert a.status("k")["counters"]["429:realtime"] == 2


def test_429_without_retry_after_uses_the_default_penalty(fake_redis, clock) -> None:
    lim = make(fake_redis, clock)
    lim.observe("k", 429, {}, windows=W)
    assert lim.try_acquire("k", W).wait == pytest.approx(7.0, abs=1e-6)


def test_headers_tighten_when_the_server_sees_less_room(fake_redis, clock) -> None:
    lim = make(fake_redis, clock)
    assert lim.try_acquire("k", W).admitted  # ours: 2 left in the 1 s window
    lim.observe("k", 200, {"x-ratelimit-remaining": "1", "x-ratelimit-reset": "4"}, windows=W)
    assert lim.try_acquire("k", W).admitted  # spends the server's last one
    d = lim.try_acquire("k", W)
    assert not d.admitted
    assert d.wait == pytest.approx(4.0, abs=1e-6)
    clock.advance(4.0)
    assert lim.try_acquire("k", W).admitted


def test_headers_never_loosen_and_are_ignored_when_ours_are_stricter(fake_redis, clock) -> None:
    lim = make(fake_redis, clock)
    take(lim, 2)
    # the server still sees 2 left (our own log says 1): nothing changes
    lim.observe("k", 200, {"x-ratelimit-remaining": "2", "x-ratelimit-reset": "9"}, windows=W)
    assert take(lim, 2) == [True, False]
    clock.advance(1.0)
    lim.observe("k", 200, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "3"}, windows=W)
    lim.observe("k", 200, {"x-ratelimit-remaining": "5", "x-ratelimit-reset": "1"}, windows=W)
    d = lim.try_acquire("k", W)
    assert not d.admitted and d.wait == pytest.approx(3.0, abs=1e-6)


def test_bulk_leaves_the_realtime_reserve_untouched(fake_redis, clock) -> None:
    windows = [Window(10, 2.0)]
    lim = make(fake_redis, clock, reserve=0.2)
    assert take(lim, 1, windows, "realtime") == [True]  # realtime work is about
    assert take(lim, 10, windows, "bulk") == [True] * 7 + [False, False, False]
    assert take(lim, 3, windows, "realtime") == [True, True, False]
    assert lim.policy.caps([Window(1, 1.0)], "bulk")[0][0] == 1  # never a zero cap


def test_a_lone_bulk_upload_borrows_the_reserve_until_realtime_work_shows_up(
    fake_redis, clock
) -> None:
    """Work-conserving lanes: no realtime admission within the window, bulk gets all 10; once a
    realtime request has been admitted, bulk again leaves the reserve for the next window."""
    windows = [Window(10, 2.0)]
    lim = make(fake_redis, clock, reserve=0.2)
    assert take(lim, 11, windows, "bulk") == [True] * 10 + [False]
    clock.advance(2.0)
    assert take(lim, 1, windows, "realtime") == [True]
    assert take(lim, 9, windows, "bulk") == [True] * 7 + [False, False]
    clock.advance(2.1)  # a whole window without realtime work: bulk borrows the reserve again
    assert take(lim, 11, windows, "bulk") == [True] * 10 + [False]
    assert lim.policy.caps([Window(1, 1.0)], "bulk")[0][0] == 1  # never a zero cap


def test_a_waiting_realtime_request_goes_before_bulk_in_a_window_without_reserve(
    fake_redis, clock
) -> None:
    windows = [Window(2, 1.0)]  # 10% of 2 rounds down: no reserve in this window
    lim = make(fake_redis, clock, reserve=0.1)
    assert take(lim, 2, windows, "bulk") == [True, True]
    d = lim.try_acquire("k", windows, "realtime")
    assert not d.admitted and d.retry_after == pytest.approx(1.0, abs=1e-6)
    clock.advance(1.0)
    assert not lim.try_acquire("k", windows, "bulk").admitted  # held for the realtime one
    assert lim.try_acquire("k", windows, "realtime").admitted
    clock.advance(0.2)  # the hold has lapsed: bulk takes the remaining token
    assert lim.try_acquire("k", windows, "bulk").admitted


def test_deferrals_are_spread_at_the_sustained_rate(fake_redis, clock) -> None:
    windows = [Window(2, 1.0)]
    lim = make(fake_redis, clock)
    take(lim, 2, windows)
    slots = [lim.try_acquire("k", windows, max_wait=0.1).retry_after for _ in range(4)]
    assert slots == pytest.approx([1.0, 1.5, 2.0, 2.5], abs=1e-6)


def test_acquire_waits_briefly_then_admits(fake_redis, clock) -> None:
    lim = make(fake_redis, clock, max_wait=0.25)
    windows = [Window(1, 0.2)]
    lim.acquire("k", windows)
    start = clock.now
    lim.acquire("k", windows)  # sleeps ~0.2 s (fake clock), then admitted
    assert 0.2 <= clock.now - start <= 0.25
    assert int(fake_redis.hget("leadops:rl:{k}:stats", "admitted:realtime")) == 2


def test_acquire_raises_deferred_with_the_time_until_capacity(fake_redis, clock) -> None:
    lim = make(fake_redis, clock, max_wait=0.25)
    take(lim, 3)
    with pytest.raises(RateLimitDeferred) as info:
        lim.acquire("k", W)
    assert info.value.retry_after == pytest.approx(1.0, abs=1e-6)
    assert info.value.key_id == "k"
    assert int(fake_redis.hget("leadops:rl:{k}:stats", "deferred:realtime")) == 1


def test_accounts_sharing_a_key_share_one_budget_and_redis_never_sees_the_key(
    fake_redis, clock
) -> None:
    lim = make(fake_redis, clock)
    g1 = lim.gate("smartlead", "sk-shared-secret", [(3, 1.0), (5, 10.0)], "realtime")
    g2 = lim.gate("smartlead", "sk-shared-secret", [(3, 1.0), (5, 10.0)], "bulk")
    assert g1.key_id == g2.key_id == key_id("smartlead", "sk-shared-secret")
    assert key_id("hubspot", "sk-shared-secret") != g1.key_id
    g1.acquire()
    g2.acquire()
    g1.acquire()
    with pytest.raises(RateLimitDeferred):
        g2.acquire()
    for k in fake_redis.keys("*"):
        assert b"sk-shared-secret" not in k
        if fake_redis.type(k) == b"hash":
            assert b"sk-shared-secret" not in b"".join(
                a + b for a, b in fake_redis.hgetall(k).items()
            )
    st = lim.status(g1.key_id)
    assert st["service"] == "smartlead"
    assert [w["used"] for w in st["windows"]] == [3, 3]


def test_parse_retry_after_and_reset() -> None:
    assert parse_retry_after("60") == 60.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT", now=lambda: 1445412480.0) == 5.0
    assert parse_retry_after("soon") is None
    assert parse_reset("2") == 2.0
    assert parse_reset("1700000010", now=lambda: 1700000000.0) == 10.0
    assert parse_reset("1700000010000", now=lambda: 1700000000.0) == 10.0


def test_cluster_wide_counters_render_for_prometheus(fake_redis, clock) -> None:
    from workers.rate_limit.metrics import render_limiter_metrics

    lim = make(fake_redis, clock)
    gate = lim.gate("smartlead", "sk-metrics", [(1, 1.0)], "bulk")
    gate.acquire()
    with pytest.raises(RateLimitDeferred):
        gate.acquire()
    gate.observe(429, {"Retry-After": "3"})
    text = render_limiter_metrics(fake_redis).decode()
    kid = gate.key_id
    assert f'leadops_ratelimit_admitted_total{{key="{kid}",lane="bulk"}} 1.0' in text
    assert f'leadops_ratelimit_rescheduled_total{{key="{kid}",lane="bulk"}} 1.0' in text
    assert f'leadops_ratelimit_server_429_total{{key="{kid}",lane="bulk"}} 1.0' in text
    assert f'leadops_ratelimit_penalty_seconds{{key="{kid}"}} 3.0' in text
