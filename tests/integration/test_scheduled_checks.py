"""Scheduled checks end to end: real Redis, a real worker process, REAL `leadops beat` processes
(RedBeat) ticking every second, the probe check against the Smartlead sandbox over loopback.

Accounts are due a few seconds from now in their own zones (the probe accepts HH:MM:SS), so a
"period" is today's local date and each test takes seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import WorkerProcess, child_env, start_worker, stop_process

pytestmark = pytest.mark.integration

API_KEY = "sl-sched-agency-key"
OWN_KEY = "sl-sched-own-key"
ZONES = [
    "Europe/Paris",
    "America/New_York",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Asia/Kolkata",
]
BEAT_ENV = {"LEADOPS_SCHEDULE_TICK_SECONDS": "1", "LEADOPS_LOG_LEVEL": "INFO"}


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    from ops.sandbox.serve import serve
    from ops.sandbox.smartlead import create_app

    with serve(create_app()) as url:
        for key in (API_KEY, OWN_KEY):
            httpx.post(f"{url}/admin/keys", json={"api_key": key, "limits": [[100, 1]]})
        for client_id in (1, 2, None):
            httpx.post(
                f"{url}/admin/campaigns",
                json={"api_key": API_KEY, "name": f"c{client_id}", "client_id": client_id},
            )
        httpx.post(f"{url}/admin/campaigns", json={"api_key": OWN_KEY, "name": "mine"})
        yield url


@pytest.fixture
def worker(redis_url: str, db_url: str, tmp_path: Path) -> Iterator[WorkerProcess]:
    w = start_worker(tmp_path, concurrency=2, queues="scheduled")
    yield w
    stop_process(w.proc)


class Beat:
    """One real `leadops beat` process (its own RedBeat prefix = an independent scheduler)."""

    def __init__(self, tmp_path: Path, name: str, prefix: str = "leadops:redbeat") -> None:
        self.log = tmp_path / f"beat-{name}.log"
        self.prefix = prefix
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Beat:
        env = child_env(**BEAT_ENV, LEADOPS_REDBEAT_KEY_PREFIX=self.prefix)
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ops.cli", "beat", "-l", "INFO"],
                stdout=fh,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        return self

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def ticks(self, redis: Any) -> int:
        """How often this Beat sent the probe's dispatcher (RedBeat's entry meta)."""
        raw = redis.hget(f"{self.prefix}schedule-probe", "meta")
        return int(json.loads(raw)["total_run_count"]) if raw else 0


@pytest.fixture
def beats(tmp_path: Path) -> Iterator[Callable[..., Beat]]:
    started: list[Beat] = []

    def make(name: str, prefix: str = "leadops:redbeat") -> Beat:
        beat = Beat(tmp_path, name, prefix)
        started.append(beat)
        return beat

    yield make
    for beat in started:
        beat.stop()


def _accounts(sandbox_url: str, due_in: float, n: int = 6) -> list[int]:
    """n accounts in as many zones, due ``due_in`` seconds from now in local time (shared agency
    key with client ids 1/2, one with its own key)."""
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=due_in)
    ids = []
    with session_scope() as s:
        for i in range(n):
            tz = ZONES[i % len(ZONES)]
            local = due.astimezone(ZoneInfo(tz))
            own = i == n - 1
            account = Account(
                slug=f"acct{i}",
                name=f"Account {i}",
                timezone=tz,
                smartlead_api_key=OWN_KEY if own else API_KEY,
                smartlead_base_url=f"{sandbox_url}/api/v1",
                smartlead_client_id=None if own else 1 + i % 2,
                rate_limit_plan="custom",
                rate_limits=[[100, 1]],
            )
            s.add(account)
            s.flush()
            set_automation(
                s, account, "schedule_probe", params={"local_time": local.strftime("%H:%M:%S")}
            )
            ids.append(account.id)
    return ids


def _runs() -> list[Any]:
    from sqlalchemy import select

    from workers.db import session_scope
    from workers.scheduling.records import ScheduledRun

    with session_scope() as s:
        return list(s.scalars(select(ScheduledRun).order_by(ScheduledRun.id)))


def _work_counts(redis: Any) -> dict[str, int]:
    from tasks.schedule_probe.flow import WORK_KEY

    return {k.decode(): int(v) for k, v in redis.hgetall(WORK_KEY).items()}


def _wait_done(n: int, timeout: float, what: Callable[[], str]) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = _runs()
        if len(runs) >= n and all(r.state in ("done", "skipped", "failed") for r in runs):
            return runs
        time.sleep(0.2)
    raise AssertionError(f"runs not finished in {timeout}s: {_runs()}\n{what()}")


def _assert_once_each(redis: Any, account_ids: list[int], runs: list[Any]) -> None:
    assert sorted(r.account_id for r in runs) == sorted(account_ids)
    assert all(r.state == "done" for r in runs), [(r.id, r.state, r.error) for r in runs]
    counts = _work_counts(redis)
    assert sorted(counts.values()) == [1] * len(account_ids), counts
    for run in runs:  # each account's period is its own local date
        assert counts[f"{run.account_id}:{run.period_key}#0"] == 1


def test_two_beats_at_once_enqueue_each_account_and_period_once(
    sandbox_url: str, worker: WorkerProcess, beats: Callable[..., Beat], redis_client: Any
) -> None:
    """Given two Beats that do not share a lock (RedBeat's lock lost, as in its double-scheduler
    bugs), both ticking every second, when six accounts in six zones come due, then each
    (check, account, local period) is enqueued and worked exactly once."""
    from workers.scheduling.metrics import dispatch_stats

    ids = _accounts(sandbox_url, due_in=4)
    a = beats("a", "leadops:redbeat-a:").start()
    b = beats("b", "leadops:redbeat-b:").start()
    runs = _wait_done(len(ids), 40, lambda: a.log.read_text() + b.log.read_text())
    time.sleep(3)  # more ticks from both: nothing new may happen

    _assert_once_each(redis_client, ids, _runs())
    assert len(runs) == len(ids)
    assert a.ticks(redis_client) >= 3 and b.ticks(redis_client) >= 3  # both really fired
    assert dispatch_stats(redis_client, "schedule_probe")["enqueued_total"] == len(ids)
    # One listing per key and local period (its accounts' zones may be on two local dates).
    fetches: dict[tuple[str, str], int] = {}
    for r in runs:
        group = (r.summary["key_group"], r.period_key)
        fetches[group] = fetches.get(group, 0) + int(r.summary["listing_fetched"])
    assert set(fetches.values()) == {1}, fetches
    assert len({g for g, _ in fetches}) == 2  # the agency key and the own key
    mine = {r.account_id: r.summary["campaigns_mine"] for r in runs}
    assert mine[ids[0]] == 1 and mine[ids[-1]] == 1  # client 1's campaign; own key's one


def test_a_beat_down_over_the_due_time_catches_up_once_and_a_restart_does_not_rerun(
    sandbox_url: str, worker: WorkerProcess, beats: Callable[..., Beat], redis_client: Any
) -> None:
    """Given Beat running before the due time and stopped over it, when it comes back after
    the due time, then each account runs once (catch-up, same local day); when Beat restarts
    again, nothing runs a second time."""
    ids = _accounts(sandbox_url, due_in=5)
    beat = beats("one").start()
    time.sleep(2)
    beat.stop()  # down from before the due time ...
    time.sleep(5)  # ... until after it
    assert _runs() == []  # nothing ran while Beat was down

    beat.start()
    _wait_done(len(ids), 40, lambda: beat.log.read_text())
    time.sleep(2)
    _assert_once_each(redis_client, ids, _runs())

    before = beat.ticks(redis_client)
    beat.stop()
    beat.start()  # restart: RedBeat fires its entry at once; the claims hold
    deadline = time.monotonic() + 30
    while beat.ticks(redis_client) < before + 3 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert beat.ticks(redis_client) >= before + 3, beat.log.read_text()[-3000:]
    time.sleep(1.5)
    _assert_once_each(redis_client, ids, _runs())


def test_a_redelivered_task_finds_its_period_claimed_and_does_nothing(
    sandbox_url: str, worker: WorkerProcess, redis_client: Any
) -> None:
    """A second message for a run (a redelivery, a second Beat's, a manual re-send): while the
    first still works, the lock defers it; after, it finds the run done and does nothing."""
    from workers.accounts import set_automation
    from workers.celery_app import app
    from workers.db import session_scope
    from workers.models import Account
    from workers.scheduling.manual import request_run

    (account_id,) = _accounts(sandbox_url, due_in=3600, n=1)
    with session_scope() as s:
        account = s.get(Account, account_id)
        assert account is not None
        set_automation(s, account, "schedule_probe", params={"sleep_seconds": 2.0})
    __import__("tasks.schedule_probe.tasks")  # registers the check in this process
    req = request_run("schedule_probe", account_id)  # enqueues the run's message
    duplicate = app.send_task(
        "tasks.schedule_probe.check_account", kwargs={"run_id": req.run_id}, queue="scheduled"
    )
    (run,) = _wait_done(1, 30, worker.log_text)
    assert run.state == "done"
    # Whichever message a worker took first did the work; the other was deferred by the
    # run's lock, came back and found the run done.
    first = app.AsyncResult(req.task_id).get(timeout=30)
    second = duplicate.get(timeout=30)
    assert sorted([first["noop"], second["noop"]]) == [False, True]
    assert first["state"] == second["state"] == "done"
    # Redelivered after it finished: the same message again (its old result forgotten, so
    # .get() waits for this delivery's).
    app.AsyncResult(req.task_id).forget()
    again = app.send_task(
        "tasks.schedule_probe.check_account",
        kwargs={"run_id": req.run_id},
        task_id=req.task_id,
        queue="scheduled",
    )
    assert again.get(timeout=30)["noop"] is True
    assert _work_counts(redis_client) == {f"{account_id}:{run.period_key}#0": 1}
    (final,) = _runs()
    assert final.attempts == 1 and final.task_id in (req.task_id, duplicate.id)


def test_the_gateway_metrics_endpoint_serves_the_scheduling_figures(
    redis_url: str, redis_client: Any
) -> None:
    """Dispatch and run figures written by workers (in Redis) appear on the gateway's /metrics."""
    from api_gateway.app import create_app
    from tests.unit.api_gateway.conftest import SyncASGIClient
    from workers.scheduling.metrics import count_runs, record_dispatch

    record_dispatch(redis_client, "mailbox_health", 0.42, due=120, enqueued=118, requeued=0)
    count_runs(redis_client, "mailbox_health", "done", 117)
    count_runs(redis_client, "mailbox_health", "failed", 1)
    client = SyncASGIClient(create_app())
    try:
        text = client.get("/metrics").text
    finally:
        client.close()
    assert 'leadops_scheduled_runs_total{check="mailbox_health",state="done"} 117.0' in text
    assert 'leadops_schedule_accounts_due{check="mailbox_health"} 120.0' in text
    assert 'leadops_schedule_dispatch_seconds_bucket{check="mailbox_health",le="0.5"} 1.0' in text
