# ruff: noqa: F811 - pytest fixtures imported from a sibling test module
"""The limiter learns a key's real limit from the server's answers (workers/rate_limit/learn.py),
shares it through Redis, and never goes above the configured plan."""

from __future__ import annotations

import pytest

from tests.unit.workers.rate_limit.test_limiter import Clock, clock, make, take  # noqa: F401
from workers.rate_limit.learn import matching_window, tightest
from workers.rate_limit.limiter import RateLimiter, Window

PLAN = [Window(10, 2.0), Window(60, 60.0)]


def _limiter(fake_redis: object, clock: Clock) -> RateLimiter:
    lim = make(fake_redis, clock)
    lim.learner.now = clock.time
    lim.learner.cache_seconds = 0.0  # every decision reads Redis: two limiters = two processes
    return lim


def test_a_lower_stated_limit_is_learned_at_once_and_shared_by_every_process(
    fake_redis, clock
) -> None:
    a, b = _limiter(fake_redis, clock), _limiter(fake_redis, clock)
    assert a.try_acquire("k", PLAN).admitted
    a.observe("k", 200, {"x-ratelimit-limit": "6", "x-ratelimit-remaining": "5"}, windows=PLAN)
    # b never saw an answer, yet admits 5 more (6 in the 2 s window), not 9
    assert take(b, 7, PLAN) == [True] * 5 + [False, False]
    b.register("k", "smartlead", PLAN)
    st = b.status("k")
    assert [w["learned"] for w in st["windows"]] == [6, 60]
    assert [w["limit"] for w in st["windows"]] == [10, 60]
    clock.advance(2.0)
    assert take(b, 7, PLAN) == [True] * 6 + [False]


def test_a_stated_limit_above_the_plan_is_ignored_never_more_than_configured(
    fake_redis, clock
) -> None:
    lim = _limiter(fake_redis, clock)
    lim.observe("k", 200, {"x-ratelimit-limit": "100", "x-ratelimit-remaining": "99"}, windows=PLAN)
    assert take(lim, 11, PLAN) == [True] * 10 + [False]
    lim.register("k", "smartlead", PLAN)
    assert [w["learned"] for w in lim.status("k")["windows"]] == [10, 60]


def test_429s_without_a_header_cut_once_per_episode_then_grow_back_below_the_failed_level(
    fake_redis, clock
) -> None:
    lim = _limiter(fake_redis, clock)
    no_header: dict[str, str] = {"Retry-After": "1"}
    # three requests in flight come back 429 together: one cut, 10 -> 7
    for _ in range(3):
        lim.observe("k", 429, no_header, windows=PLAN)
    assert lim.in_force("k", PLAN)[0].limit == 7
    # sustained success (2 x limit answers per step) grows it by one at a time, up to 9 only
    for _ in range(200):
        lim.observe("k", 200, {}, windows=PLAN)
    assert lim.in_force("k", PLAN)[0].limit == 9
    # after 10 minutes without a 429 it may probe the plan again, and reaches it
    clock.advance(601)
    for _ in range(40):
        lim.observe("k", 200, {}, windows=PLAN)
    assert lim.in_force("k", PLAN)[0].limit == 10
    # a 429 after the cooldown cuts again
    lim.observe("k", 429, no_header, windows=PLAN)
    assert lim.in_force("k", PLAN)[0].limit == 7


def test_a_429_naming_the_limit_learns_that_limit_instead_of_guessing(fake_redis, clock) -> None:
    lim = _limiter(fake_redis, clock)
    headers = {"Retry-After": "2", "x-ratelimit-limit": "6", "x-ratelimit-remaining": "0"}
    lim.observe("k", 429, headers, windows=PLAN)
    assert [w.limit for w in lim.in_force("k", PLAN)] == [6, 60]
    # and successes do not grow a limit the server stated
    for _ in range(100):
        lim.observe("k", 200, {}, windows=PLAN)
    assert lim.in_force("k", PLAN)[0].limit == 6


@pytest.mark.parametrize(
    ("told", "expected"),
    [(6, 0), (10, 0), (11, 1), (60, 1), (61, None)],
)
def test_a_stated_limit_belongs_to_the_smallest_configured_window_it_fits(
    told: int, expected: int | None
) -> None:
    assert matching_window(told, [(10, 2.0), (60, 60.0)]) == expected


def test_the_burst_window_is_the_one_with_the_highest_rate() -> None:
    assert tightest([(10, 2.0), (60, 60.0)]) == 0
    assert tightest([(60, 60.0), (120, 60.0)]) == 1
