"""Fault tests on the real system: a redis-server of the test's own (append-only; never the
shared 6379) is killed and started again under load, and a worker's main process is SIGKILLed
under load. Every role is a real process (gateway, Beat x2, workers), the Smartlead sandbox is
real HTTP. Each test is bounded (about 40 s)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
import pytest
import redis

from ops.bench import fault_stack as fs

# Every event answered 202 is processed within this bound after the fault (issue 17: <= 60 s).
RECOVERY_BOUND = 60.0
ALIVE_BOUND = 30.0
PREFIX = "leadops:redbeat"  # CeleryConfig.redbeat_key_prefix (RedBeat appends names as is)


def _sweep_last_run(url: str) -> float:
    """When Beat last sent the intake sweep (RedBeat's entry meta), as a UNIX time."""
    from redbeat.decoder import RedBeatJSONDecoder

    raw = redis.Redis.from_url(url).hget(f"{PREFIX}lead-intake-sweep", "meta")
    last = json.loads(raw, cls=RedBeatJSONDecoder).get("last_run_at") if raw else None
    return float(last.timestamp()) if last else 0.0


def _acquired(roles: fs.Roles, name: str) -> bool:
    """RedBeat's own acquire at start-up, or ours in a tick (workers/scheduling/beat.py)."""
    text = roles.log(name)
    return "Acquired lock" in text or "beat_lock_acquired" in text


def _lock_holder(roles: fs.Roles) -> str | None:
    held = [n for n in roles.procs if n.startswith("beat") and _acquired(roles, n)]
    return held[-1] if len(held) == 1 else None


@pytest.mark.parametrize("sig", [signal.SIGKILL], ids=["redis-sigkill"])
def test_every_role_rides_out_a_redis_restart_and_no_accepted_event_is_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sig: int
) -> None:
    with fs.fault_system(tmp_path, monkeypatch.setenv, workers=2, beats=2) as (
        server,
        sandbox,
        account_id,
        roles,
    ):
        sender = fs.Sender(roles.gateway_port, "r", rate=40)
        sender.start()
        time.sleep(3)
        server.kill(sig)
        time.sleep(1)
        # While Redis is away the gateway says so, with Retry-After (the sender retries).
        r = httpx.post(
            f"http://127.0.0.1:{roles.gateway_port}/v1/faulty/clay",
            json={"email": "during@faults.example.com"},
            headers={"Authorization": f"Bearer {fs.CLAY_SECRET}"},
            timeout=5,
        )
        assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0
        time.sleep(4)
        server.restart()
        back = time.time()
        before = len(sender.accepted)
        # Alive and working within 30 s: gateway accepts, workers upload what is accepted now,
        # Beat runs its schedule again.
        fs.stack.wait_until(lambda: len(sender.accepted) > before + 20, ALIVE_BOUND, "intake")
        sender.stop()
        fresh = sender.accepted[before:]
        tally, _ = fs.wait_processed(sandbox, account_id, fresh, ALIVE_BOUND)
        assert tally.lost == 0, tally
        fs.stack.wait_until(lambda: _sweep_last_run(server.url) > back, ALIVE_BOUND, "beat")
        assert roles.exited() == {}, {n: roles.log(n)[-3000:] for n in roles.exited()}
        for name in roles.procs:
            assert "Unrecoverable error" not in roles.log(name), name

        tally, _ = fs.wait_processed(sandbox, account_id, sender.accepted, RECOVERY_BOUND)
        assert tally.lost == 0 and tally.twice == 0, tally
        assert tally.once == tally.accepted > 50

        # The Beat lock: one Beat holds it, the other stands by; the holder killed, the standby
        # takes over within seconds (lock timeout 15 s); a clean stop releases it at once.
        holder = _lock_holder(roles)
        assert holder is not None
        standby = next(n for n in roles.procs if n.startswith("beat") and n != holder)
        roles.kill_main(holder, signal.SIGKILL)
        fs.stack.wait_until(lambda: _acquired(roles, standby), 25, "standby beat")
        roles.kill_main(standby, signal.SIGTERM)
        client = redis.Redis.from_url(server.url)
        fs.stack.wait_until(lambda: not client.exists(f"{PREFIX}:lock"), 5, "lock release")


@pytest.mark.skipif(
    os.environ.get("LEADOPS_TEST_KNOWN_GAPS") != "1",
    reason=(
        "known gap, issue 17 open: kombu pops a message (BRPOP) before it books it unacked; a "
        "worker main process SIGKILLed in between loses that one message (about 1 in 300 "
        "events per kill, docs/operations.md). Run with LEADOPS_TEST_KNOWN_GAPS=1."
    ),
)
def test_a_worker_killed_under_load_loses_no_accepted_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL of a worker's main process: the messages it reserved go back on their queues
    (reaper) and its chunk is uploaded by the other worker, once, within the bound."""
    with fs.fault_system(tmp_path, monkeypatch.setenv, workers=2, latency_ms=800) as (
        _server,
        sandbox,
        account_id,
        roles,
    ):
        sender = fs.Sender(roles.gateway_port, "k", rate=50)
        sender.start()
        time.sleep(4)
        roles.kill_main("worker0", signal.SIGKILL)
        killed = time.monotonic()
        time.sleep(3)
        sender.stop()
        tally, _ = fs.wait_processed(sandbox, account_id, sender.accepted, RECOVERY_BOUND)
        elapsed = time.monotonic() - killed
        assert tally.lost == 0 and tally.twice == 0, tally
        assert tally.once == tally.accepted > 50
        assert elapsed <= RECOVERY_BOUND + 5
        assert roles.exited() == {"worker0": -signal.SIGKILL}
