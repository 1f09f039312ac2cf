# ruff: noqa: F811 - pytest fixtures imported from a sibling test module
"""The limiter learns a key's real limit from Smartlead's answers, shared by worker processes."""

from __future__ import annotations

import pytest

from tests.conftest import start_worker, stop_process
from tests.integration.test_rate_limit_workers import (  # noqa: F401 - fixture
    _account,
    _collect,
    _sandbox_key,
    _stats,
    sandbox,
)

pytestmark = pytest.mark.integration


def test_a_plan_stricter_on_the_server_is_learned_once_and_shared_by_two_processes(
    redis_url, db_url, sandbox, tmp_path
) -> None:
    """The account says 8 per 2 s, the key allows 4: the first answer's x-ratelimit-limit
    teaches the limit to every process, so at most the calls already in flight meet a 429."""
    api_key = "sl-test-learn-key-0003"
    key_hash = _sandbox_key(sandbox, api_key, [[4, 2.0]])
    acct = _account("learner", api_key, sandbox, [[8, 2.0]])
    workers = [start_worker(tmp_path, concurrency=2, queues="realtime") for _ in range(2)]
    try:
        from workers.celery_app import app

        results = [
            app.send_task("tasks.limiter_probe.call", kwargs={"account_id": acct}, queue="realtime")
            for _ in range(16)
        ]
        values = _collect(results, 60)
    finally:
        for w in workers:
            stop_process(w.proc)
    st = _stats(sandbox, key_hash)
    # every call went through (a 429 is retried after Retry-After),
    assert st["requests_by_status"].get("200", 0) == 16
    # and the 429s are bounded by what was in flight before the first answer (4 pool slots)
    assert st["rate_limited"] <= 4
    # several processes took part (2 workers; with prefork each runs its calls in children)
    assert len({v["pid"] for v in values}) >= 2
    from workers.rate_limit.limiter import get_limiter, key_id

    windows = get_limiter().status(key_id("smartlead", api_key))["windows"]
    assert [(w["limit"], w["learned"]) for w in windows] == [(8, 4)]


def test_a_server_allowing_more_than_the_plan_never_gets_more_than_the_plan(
    redis_url, db_url, sandbox, tmp_path
) -> None:
    """x-ratelimit-limit above the configured plan is ignored: the plan is the ceiling."""
    api_key = "sl-test-learn-key-0004"
    key_hash = _sandbox_key(sandbox, api_key, [[50, 2.0]])
    acct = _account("generous", api_key, sandbox, [[3, 2.0]])
    worker = start_worker(tmp_path, concurrency=3, queues="realtime")
    try:
        from workers.celery_app import app

        results = [
            app.send_task("tasks.limiter_probe.call", kwargs={"account_id": acct}, queue="realtime")
            for _ in range(9)
        ]
        _collect(results, 60)
    finally:
        stop_process(worker.proc)
    st = _stats(sandbox, key_hash)
    assert st["requests_by_status"] == {"200": 9}
    # the server would take 50 per 2 s; the limiter still admits only the plan's 3
    assert st["max_accepted_in_window"]["50/2s"] <= 3
