"""Exactly once per (check, account, local period): Redis claims, the database's unique
constraint behind them, the task's own re-check and lock, and what the run record says after
success, skip, retry, deferral and failure (fakeredis, SQLite)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
import time_machine

from tests.unit.workers.scheduling.conftest import FakeTask, Sched
from workers.clients.errors import PermanentError, RateLimitDeferred, TransientError
from workers.scheduling import RunContext, run_scheduled
from workers.scheduling.dispatch import countdowns_for, dispatch_check, spread_window

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)  # 10:00 Paris, 04:00 New York


def _setup(sched: Sched, n: int = 3) -> tuple[Any, list[int]]:
    check = sched.check()
    with time_machine.travel(NOW - dt.timedelta(days=2), tick=False):
        ids = [sched.account(f"a{i}", "Europe/Paris") for i in range(n)]
    return check, ids


def test_two_dispatchers_on_the_same_tick_enqueue_each_account_once(sched: Sched) -> None:
    check, ids = _setup(sched)
    first = dispatch_check(check, NOW, send=sched.collect)
    second = dispatch_check(check, NOW, send=sched.collect)
    assert first.enqueued == 3 and second.enqueued == 0 and second.already == 3
    assert sorted(run_id for _, run_id, *_ in sched.sent) == [r.id for r in sched.runs()]
    assert {r.period_key for r in sched.runs()} == {"2026-12-01"}


def test_a_claim_held_by_another_dispatcher_is_not_enqueued_again(sched: Sched) -> None:
    """Dispatcher B ran its claims before A recorded anything (lost race): B enqueues nothing."""
    from workers.scheduling import claims

    check, ids = _setup(sched, 2)
    claims.claim_many(sched.redis, check.name, [(ids[0], "2026-12-01")], "pending:other")
    result = dispatch_check(check, NOW, send=sched.collect)
    assert result.lost_claims == 1 and result.enqueued == 1
    assert [r.account_id for r in sched.runs()] == [ids[1]]


def test_lost_redis_claims_are_backed_by_the_unique_constraint(sched: Sched) -> None:
    """Redis flushed between two ticks and the first tick's rows not yet visible to the
    second's filter: the insert itself refuses a second run of the period."""
    from workers.db import session_scope
    from workers.scheduling.records import NewRun, insert_runs

    check, ids = _setup(sched, 1)
    dispatch_check(check, NOW, send=sched.collect)
    sched.redis.flushdb()
    with session_scope() as s:
        again = insert_runs(s, check.name, [NewRun(ids[0], "2026-12-01", NOW, "t2")], NOW)
    assert again == [] and len(sched.runs()) == 1


def test_a_dispatcher_that_died_after_claiming_leaves_a_claim_that_expires(sched: Sched) -> None:
    from workers.scheduling import claims

    check, ids = _setup(sched, 1)
    claims.claim_many(sched.redis, check.name, [(ids[0], "2026-12-01")], "pending:dead")
    assert dispatch_check(check, NOW, send=sched.collect).enqueued == 0
    sched.redis.delete(claims.claim_key(check.name, ids[0], "2026-12-01"))  # its expiry
    assert dispatch_check(check, NOW, send=sched.collect).enqueued == 1


def test_a_redelivered_or_resent_task_of_a_finished_run_does_nothing(sched: Sched) -> None:
    check, ids = _setup(sched, 1)
    dispatch_check(check, NOW, send=sched.worker())
    run_id = sched.runs()[0].id
    out = run_scheduled(FakeTask(), run_id, lambda ctx: pytest.fail("work ran twice"))
    assert out["noop"] is True and out["state"] == "done"
    assert len(sched.executed) == 1


def test_a_second_execution_while_the_first_holds_the_lock_is_deferred(sched: Sched) -> None:
    from workers.scheduling import claims

    check, ids = _setup(sched, 1)
    dispatch_check(check, NOW, send=sched.collect)
    run_id = sched.runs()[0].id
    lock = claims.run_lock(sched.redis, run_id, 60)
    assert lock.acquire()
    with pytest.raises(RateLimitDeferred):
        run_scheduled(FakeTask(), run_id, lambda ctx: pytest.fail("ran under another's lock"))
    lock.release()
    assert run_scheduled(FakeTask(), run_id, lambda ctx: None)["state"] == "done"


def test_the_task_finds_its_period_claimed_by_another_run_and_skips(sched: Sched) -> None:
    """Two records of one period cannot exist (constraint), but a claim naming another live
    run (e.g. restored data) still stops the work."""
    from workers.scheduling import claims

    check, ids = _setup(sched, 2)
    dispatch_check(check, NOW, send=sched.collect)
    a, b = sched.runs()
    sched.redis.set(claims.claim_key(check.name, a.account_id, a.period_key), str(b.id))
    out = run_scheduled(FakeTask(), a.id, lambda ctx: pytest.fail("worked a claimed period"))
    assert out["state"] == "skipped"
    assert sched.runs()[0].reason == f"period claimed by run {b.id}"


def test_the_run_context_carries_period_zone_and_dry_run(sched: Sched) -> None:
    check = sched.check()
    with time_machine.travel(NOW - dt.timedelta(days=2), tick=False):
        sched.account("ny", "America/New_York", params={"local_time": "03:00"}, dry_run=True)
    seen: list[RunContext] = []
    dispatch_check(check, NOW, send=sched.worker(seen.append))
    (ctx,) = seen
    assert (ctx.period_key, ctx.timezone, ctx.dry_run, ctx.forced) == (
        "2026-12-01",
        "America/New_York",
        True,
        False,
    )
    assert ctx.period_start == ctx.period_end == dt.date(2026, 12, 1)


def test_skip_and_summary_are_recorded_with_times(sched: Sched) -> None:
    check, ids = _setup(sched, 2)

    def work(ctx: RunContext) -> None:
        if ctx.account_id == ids[0]:
            ctx.skip("no campaigns")
        else:
            ctx.summary.update(looked_at=3, changed=1)

    dispatch_check(check, NOW, send=sched.worker(work))
    skipped, done = sched.runs()
    assert (skipped.state, skipped.reason) == ("skipped", "no campaigns")
    assert (done.state, done.summary) == ("done", {"looked_at": 3, "changed": 1})
    assert done.started_at is not None and done.finished_at is not None
    assert done.attempts == 1


def _failing(exc: Exception) -> Any:
    def work(ctx: RunContext) -> None:
        raise exc

    return work


def test_a_retryable_error_keeps_the_run_claimable_with_the_error_noted(sched: Sched) -> None:
    check, ids = _setup(sched, 1)
    dispatch_check(check, NOW, send=sched.collect)
    run_id = sched.runs()[0].id
    with pytest.raises(TransientError):
        run_scheduled(FakeTask(retries=0), run_id, _failing(TransientError("502 from server")))
    run = sched.runs()[0]
    assert run.state == "running" and "502 from server" in run.error
    # The retry (same run id) runs and finishes it.
    assert run_scheduled(FakeTask(retries=1), run_id, lambda ctx: None)["state"] == "done"
    assert sched.runs()[0].attempts == 2


def test_the_last_attempt_or_a_permanent_error_marks_the_run_failed(sched: Sched) -> None:
    check, ids = _setup(sched, 2)
    dispatch_check(check, NOW, send=sched.collect)
    first, second = sched.runs()
    with pytest.raises(TransientError):
        run_scheduled(FakeTask(retries=5), first.id, _failing(TransientError("timeout")))
    with pytest.raises(PermanentError):
        run_scheduled(FakeTask(), second.id, _failing(PermanentError("400 bad campaign id")))
    first, second = sched.runs()
    assert (first.state, second.state) == ("failed", "failed")
    assert "400 bad campaign id" in second.error and second.finished_at is not None


def test_an_error_text_with_a_secret_is_recorded_redacted(sched: Sched) -> None:
    from workers.redaction import register_secret

    register_secret("sl-super-secret-key-123")
    check, ids = _setup(sched, 1)
    dispatch_check(check, NOW, send=sched.collect)
    with pytest.raises(PermanentError):
        run_scheduled(
            FakeTask(),
            sched.runs()[0].id,
            _failing(PermanentError("GET /x?api_key=sl-super-secret-key-123 failed")),
        )
    assert "sl-super-secret-key-123" not in sched.runs()[0].error


def test_a_deferral_for_the_shared_budget_is_not_an_attempt(sched: Sched) -> None:
    check, ids = _setup(sched, 1)
    dispatch_check(check, NOW, send=sched.collect)
    run_id = sched.runs()[0].id
    for _ in range(3):
        with pytest.raises(RateLimitDeferred):
            run_scheduled(FakeTask(), run_id, _failing(RateLimitDeferred(1.0)))
    run = sched.runs()[0]
    assert (run.state, run.attempts, run.error) == ("running", 0, "")


def test_a_check_disabled_after_dispatch_is_skipped_not_run(sched: Sched) -> None:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    check, ids = _setup(sched, 1)
    dispatch_check(check, NOW, send=sched.collect)
    with session_scope() as s:
        set_automation(s, s.get(Account, ids[0]), check.name, enabled=False)  # type: ignore[arg-type]
    out = run_scheduled(FakeTask(), sched.runs()[0].id, lambda ctx: pytest.fail("disabled"))
    assert out["state"] == "skipped"


def test_a_lost_message_is_sent_again_and_a_stale_period_expires(
    sched: Sched, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's message expired unprocessed: after the requeue delay the tick sends it again
    (same run id); once its period's grace has ended, it is recorded failed, not run."""
    check, ids = _setup(sched, 1)
    dispatch_check(check, NOW, send=sched.collect)
    later = NOW + dt.timedelta(hours=2)
    again = dispatch_check(check, later, send=sched.collect)
    assert again.requeued == 1 and sched.sent[-1][1] == sched.sent[0][1]
    # Paris' 2026-12-01 ends at 23:00 UTC; 12 h grace -> 11:00 UTC on 12-02.
    gone = dispatch_check(check, dt.datetime(2026, 12, 2, 13, 0, tzinfo=dt.UTC), send=sched.collect)
    assert gone.expired == 1
    assert sched.runs()[0].state == "failed" and "expired" in sched.runs()[0].error


def test_manual_runs_take_the_period_or_with_force_a_recorded_extra_seq(sched: Sched) -> None:
    from workers.scheduling.manual import AlreadyRan, request_run

    check, ids = _setup(sched, 1)
    with time_machine.travel(NOW, tick=False):
        first = request_run(check.name, ids[0], send=False, dry_run=True)
        with pytest.raises(AlreadyRan, match="--force"):
            request_run(check.name, ids[0], send=False)
        forced = request_run(check.name, ids[0], force=True, send=False)
        # The tick finds the period taken by the manual run.
        assert dispatch_check(check, NOW, send=sched.collect).enqueued == 0
    assert (first.seq, forced.seq) == (0, 1)
    manual, extra = sched.runs()
    assert (manual.trigger, manual.dry_run, manual.forced) == ("manual", True, False)
    assert (extra.forced, extra.period_key) == (True, manual.period_key)


def test_disabled_inactive_and_misconfigured_accounts_are_not_dispatched(sched: Sched) -> None:
    from workers.db import session_scope
    from workers.models import Account

    check = sched.check()
    with time_machine.travel(NOW - dt.timedelta(days=2), tick=False):
        on = sched.account("on", "Europe/Paris")
        sched.account("off", "Europe/Paris", enabled=False)
        inactive = sched.account("gone", "Europe/Paris")
        bad = sched.account("mars", "Mars/Olympus_Mons")
    with session_scope() as s:
        s.get(Account, inactive).active = False  # type: ignore[union-attr]
    result = dispatch_check(check, NOW, send=sched.collect)
    assert (result.accounts, result.misconfigured, result.enqueued) == (2, 1, 1)
    assert [r.account_id for r in sched.runs()] == [on]
    assert bad not in [r.account_id for r in sched.runs()]


def test_enqueues_are_spread_under_the_visibility_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    from workers.settings import reset_settings_cache

    monkeypatch.setenv("LEADOPS_SCHEDULE_ENQUEUE_RATE", "20")
    monkeypatch.setenv("LEADOPS_SCHEDULE_SPREAD_SECONDS", "600")
    reset_settings_cache()
    assert spread_window(100) == 5.0 and spread_window(10_000) == 500.0
    assert spread_window(100_000) == 600.0  # capped
    monkeypatch.setenv("LEADOPS_MAX_COUNTDOWN_SECONDS", "600")  # settings refuse a timeout
    monkeypatch.setenv("LEADOPS_VISIBILITY_TIMEOUT", "1200")  # under countdown + time limit
    reset_settings_cache()
    assert spread_window(100_000) == 300.0  # a quarter of the visibility timeout at most
    spread = countdowns_for(1000, random.Random(1))
    assert max(spread) < 300 and min(spread) == 0 and len(set(spread)) == 1000
    assert spread != sorted(spread)  # shuffled: neighbours in id order do not start together


def test_metrics_render_runs_by_state_and_dispatch_figures(sched: Sched) -> None:
    from workers.scheduling.metrics import render_schedule_metrics

    check, ids = _setup(sched, 2)
    dispatch_check(check, NOW, send=sched.worker())
    text = render_schedule_metrics(sched.redis).decode()
    assert 'leadops_scheduled_runs_total{check="schedule_probe",state="done"} 2.0' in text
    assert 'leadops_schedule_accounts_due{check="schedule_probe"} 2.0' in text
    assert 'leadops_schedule_dispatch_seconds_count{check="schedule_probe"} 1.0' in text


def test_a_large_tick_is_published_in_slices_covering_every_run_once() -> None:
    """Beyond one batch, runs are grouped in slices of consecutive countdowns: every run once,
    its countdown kept (slice start + offset), slices under the batch size."""
    from workers.scheduling.dispatch import BATCH, plan_batches, send_runs

    runs = [(i, f"task-{i}") for i in range(BATCH * 3 + 7)]
    batches = plan_batches(runs, random.Random(3))
    assert len(batches) == 4 and all(len(items) <= BATCH for _, items in batches)
    starts = [start for start, _ in batches]
    assert starts == sorted(starts) and starts[0] == 0.0
    published: list[tuple[int, float]] = []
    for start, items in batches:
        send_runs("t", items, lambda task, run_id, tid, cd, exp: published.append((run_id, cd)))
        assert all(cd >= 0 for _, _, cd in items)
    assert sorted(r for r, _ in published) == [r for r, _ in runs]
    assert max(start + cd for start, items in batches for _, _, cd in items) < spread_window(
        len(runs)
    )
