"""The shared limiter across real worker processes, against the Smartlead sandbox's own counts."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_worker, stop_process

pytestmark = pytest.mark.integration

SHARED_KEY = "sl-test-shared-key-0001"


@pytest.fixture
def sandbox() -> Iterator[str]:
    from ops.sandbox.serve import serve
    from ops.sandbox.smartlead import create_app

    with serve(create_app()) as url:
        yield url


def _sandbox_key(url: str, api_key: str, limits: list[list[float]]) -> str:
    r = httpx.post(f"{url}/admin/keys", json={"api_key": api_key, "limits": limits})
    r.raise_for_status()
    return r.json()["key_hash"]


def _stats(url: str, key_hash: str) -> dict:
    return httpx.get(f"{url}/admin/stats").json()["keys"][key_hash]


def _account(slug: str, api_key: str, base_url: str, limits: list[list[float]]) -> int:
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        a = Account(
            slug=slug,
            name=slug,
            smartlead_api_key=api_key,
            smartlead_base_url=f"{base_url}/api/v1",
            rate_limit_plan="custom",
            rate_limits=limits,
        )
        s.add(a)
        s.flush()
        return a.id


def _workers(tmp_path: Path, n: int, concurrency: int) -> list:
    return [
        start_worker(tmp_path, concurrency=concurrency, queues="realtime,bulk") for _ in range(n)
    ]


def _collect(results: list, timeout: float) -> list[dict]:
    deadline = time.monotonic() + timeout
    return [r.get(timeout=max(1.0, deadline - time.monotonic())) for r in results]


def test_workers_never_exceed_any_window_and_two_accounts_share_one_key(
    redis_url, db_url, sandbox, tmp_path
) -> None:
    """6 processes, 2 accounts on one key, 36 calls: the sandbox never sees more than a window
    allows, never answers 429, and the tasks that waited were rescheduled without a retry."""
    # Given two accounts on one key limited to 5 per 1 s and 12 per 4 s
    limits = [[5, 1.0], [12, 4.0]]
    key_hash = _sandbox_key(sandbox, SHARED_KEY, limits)
    a = _account("acme", SHARED_KEY, sandbox, limits)
    b = _account("beta", SHARED_KEY, sandbox, limits)
    workers = _workers(tmp_path, 2, 3)
    try:
        from workers.celery_app import app

        # When 36 calls are enqueued at once, alternating accounts and lanes
        results = [
            app.send_task(
                "tasks.limiter_probe.call",
                kwargs={"account_id": (a, b)[i % 2], "lane": ("realtime", "bulk")[i % 3 == 0]},
                queue=("realtime", "bulk")[i % 3 == 0],
            )
            for i in range(36)
        ]
        values = _collect(results, 40)
    finally:
        for w in workers:
            stop_process(w.proc)

    # Then the sandbox counted every call, none over any window, no 429
    st = _stats(sandbox, key_hash)
    assert st["requests_by_status"] == {"200": 36}
    assert st["rate_limited"] == 0
    assert st["max_accepted_in_window"]["5/1s"] <= 5
    assert st["max_accepted_in_window"]["12/4s"] <= 12
    # and the budget was really used (12 per 4 s is binding: 36 calls need > 8 s)
    assert st["max_accepted_in_window"]["12/4s"] >= 10
    # and the rescheduled tasks succeeded with zero failed retries
    assert all(r.status == "SUCCESS" for r in results)
    assert all(v["retries"] == 0 for v in values)
    assert sum(1 for v in values if v["deferrals"] > 0) >= 10
    # and more than one process made the calls (deferred tasks come back as ETA messages that
    # whichever worker reserves them runs, so how many of the 6 processes take part varies)
    assert len({v["pid"] for v in values}) >= 2
    # and both accounts' calls went through one budget in the limiter
    from workers.rate_limit.limiter import get_limiter, key_id

    st_ours = get_limiter().status(key_id("smartlead", SHARED_KEY))
    counters = st_ours["counters"]
    assert counters["admitted:realtime"] + counters["admitted:bulk"] == 36
    assert counters["deferred:realtime"] + counters["deferred:bulk"] >= 10


def test_a_429_stops_every_process_until_retry_after(redis_url, db_url, sandbox, tmp_path) -> None:
    """A 429 storm of 3 s: every process waits it out; only the calls already in flight when
    the first 429 came back can meet it."""
    api_key = "sl-test-storm-key-0002"
    key_hash = _sandbox_key(sandbox, api_key, [[100, 1.0]])
    acct = _account("storm", api_key, sandbox, [[100, 1.0]])
    workers = _workers(tmp_path, 2, 2)
    try:
        from workers.celery_app import app

        # Given a 3 s storm on the key
        httpx.post(f"{sandbox}/admin/faults", json={"api_key": api_key, "storm_seconds": 3})
        storm_start = time.time()
        # When 24 calls arrive from 4 processes
        results = [
            app.send_task("tasks.limiter_probe.call", kwargs={"account_id": acct}, queue="realtime")
            for _ in range(24)
        ]
        values = _collect(results, 40)
    finally:
        for w in workers:
            stop_process(w.proc)

    # Then at most one 429 per process (those already in flight), and nothing ran early
    st = _stats(sandbox, key_hash)
    assert 1 <= st["requests_by_status"].get("429", 0) <= 4
    assert st["requests_by_status"].get("200", 0) == 24
    assert min(v["done_at"] for v in values) >= storm_start + 2.9
    assert all(r.status == "SUCCESS" for r in results)


def test_a_permanent_error_is_dead_lettered_once_and_can_be_replayed(
    redis_url, db_url, sandbox, tmp_path
) -> None:
    """401 from Smartlead: no retry, one dead letter with the server's message and the task's
    arguments; `replay` sends it again by name."""
    from workers.celery_app import app
    from workers.db import session_scope
    from workers.dead_letters import replay
    from workers.models import AuditLog, DeadLetter

    api_key = "sl-test-revoked-key-0003"
    key_hash = _sandbox_key(sandbox, api_key, [[100, 1.0]])
    acct = _account("revoked", api_key, sandbox, [[100, 1.0]])
    httpx.post(f"{sandbox}/admin/faults", json={"api_key": api_key, "unauthorized": True})
    w = start_worker(tmp_path, concurrency=1, queues="realtime,default")  # replay: routed
    try:
        r = app.send_task("tasks.limiter_probe.call", kwargs={"account_id": acct}, queue="realtime")
        with pytest.raises(Exception) as info:
            r.get(timeout=20)
        assert type(info.value).__name__ == "Unauthorized"
        assert _stats(sandbox, key_hash)["requests_by_status"] == {"401": 1}  # no retry
        with session_scope() as s:
            letters = s.query(DeadLetter).all()
            audits = s.query(AuditLog).filter_by(automation="limiter_probe").all()
        assert len(letters) == 1 and len(audits) == 1
        dl = letters[0]
        assert dl.task_name == "tasks.limiter_probe.call"
        assert dl.payload == {"account_id": acct}
        assert dl.account_id == acct and dl.error_class == "Unauthorized"
        assert api_key not in dl.reason
        # When the key works again and the letter is replayed, the task runs and succeeds
        httpx.post(f"{sandbox}/admin/faults", json={"api_key": api_key, "unauthorized": False})
        task_id = replay(dl.id)
        assert app.AsyncResult(task_id).get(timeout=20)["retries"] == 0
        with session_scope() as s:
            assert s.get(DeadLetter, dl.id).status == "replayed"
    finally:
        stop_process(w.proc)
