"""``run_scheduled``: the whole body of every check's per-account task.

    @app.task(base=ApiTask, bind=True, name="tasks.mailbox_health.check_account")
    def check_account(self, run_id: int) -> dict:
        return run_scheduled(self, run_id, flow.check_mailboxes)

A run already done/skipped/failed (redelivery, second Beat, manual re-send) returns without
calling ``work``; a lock keeps two executions of one run apart; the period's claim is checked
again. Exceptions propagate so ``ApiTask`` defers, retries or dead-letters; the record follows:
a deferral or a retry leaves it ``running`` (claimable by the same run id, last error noted), a
``PermanentError``, any other exception or the last attempt marks it ``failed``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from celery.exceptions import Retry

from workers.clients.errors import RateLimitDeferred, RateLimited, TransientError
from workers.db import session_scope
from workers.logging import get_logger
from workers.models import Account, utcnow
from workers.redaction import redact, redact_value
from workers.scheduling import claims, metrics
from workers.scheduling.check import RunContext, ScheduledCheck
from workers.scheduling.due import bounds_of_key
from workers.scheduling.records import TERMINAL_STATES, ScheduledRun
from workers.scheduling.registry import get_check
from workers.settings import get_settings

log = get_logger("leadops.scheduling")

BUSY_RECHECK_SECONDS = 5.0
# Attempts that started and did not defer (a deferral gives its attempt back). Bounds a run
# whose process dies every time (hard time limit, OOM) and is redelivered forever.
MAX_ATTEMPTS = 10


class RunBusy(RateLimitDeferred):
    """Another execution of this run holds its lock: come back later (not a failed attempt)."""


def run_scheduled(task: Any, run_id: int, work: Callable[[RunContext], None]) -> dict[str, Any]:
    """Execute run ``run_id`` once: see the module docstring. Returns small JSON."""
    from workers.redis_client import redis_client

    r = redis_client()
    first = _load(run_id)
    if first is None:
        log.warning("scheduled_run_missing", run_id=run_id)
        return {"run_id": run_id, "state": "missing", "noop": True}
    if first["state"] in TERMINAL_STATES:
        return _noop(first)
    # Held longer than the task can live (its hard time limit kills it before the lock lapses).
    hard_limit = getattr(task, "time_limit", None) or get_settings().task_time_limit
    lock = claims.run_lock(r, run_id, float(hard_limit) + 60)
    if not lock.acquire():
        ttl = r.ttl(lock.name)
        wait = min(float(ttl) if ttl and ttl > 0 else BUSY_RECHECK_SECONDS, BUSY_RECHECK_SECONDS)
        raise RunBusy(wait, key_id=f"run:{run_id}")
    try:
        return _execute(task, run_id, work, r)
    finally:
        with contextlib.suppress(Exception):  # expired under us: nothing left to release
            lock.release()


def _execute(task: Any, run_id: int, work: Callable[[RunContext], None], r: Any) -> dict[str, Any]:
    from workers.accounts import automation_config

    with session_scope() as s:
        run = s.get(ScheduledRun, run_id)
        if run is None:
            return {"run_id": run_id, "state": "missing", "noop": True}
        if run.state in TERMINAL_STATES:  # finished while we waited for the lock
            return _noop(_brief(run))
        check = get_check(run.check_name)
        account = s.get(Account, run.account_id)
        if run.seq == 0 and not claims.confirm(
            r, check.name, run.account_id, run.period_key, run.id
        ):
            holder = claims.holder(r, check.name, run.account_id, run.period_key)
            if holder and holder.isdigit() and s.get(ScheduledRun, int(holder)) is not None:
                return _finish_now(s, run, "skipped", reason=f"period claimed by run {holder}")
            # A claim naming a run that no longer exists (records deleted): this run takes it.
            key = claims.claim_key(check.name, run.account_id, run.period_key)
            r.set(key, str(run.id), ex=claims.MIN_HOLD_SECONDS * 24)
        if account is None:
            return _finish_now(s, run, "skipped", reason="account deleted")
        config = automation_config(account, check.name)
        if run.trigger == "schedule" and not (account.active and config.enabled):
            return _finish_now(s, run, "skipped", reason="check disabled or account inactive")
        if run.attempts >= MAX_ATTEMPTS:  # e.g. killed by the hard time limit every time
            return _finish_now(s, run, "failed", reason=f"gave up after {run.attempts} attempts")
        start, end = bounds_of_key(check.period, run.period_key)
        ctx = RunContext(
            run_id=run.id,
            check=check.name,
            account_id=run.account_id,
            period_key=run.period_key,
            period_start=start,
            period_end=end,
            timezone=account.timezone or "UTC",
            dry_run=bool(config.dry_run or run.dry_run),
            forced=run.forced,
        )
        run.state, run.started_at = "running", utcnow()
        run.attempts += 1
        run.task_id = getattr(getattr(task, "request", None), "id", None) or run.task_id
    metrics.count_runs(r, check.name, "running")
    try:
        work(ctx)
    except Exception as exc:
        _record_error(task, check, run_id, exc, r)
        raise
    state = "skipped" if ctx.skipped else "done"
    with session_scope() as s:
        run = s.get(ScheduledRun, run_id)
        if run is None:
            return {"run_id": run_id, "state": "missing", "noop": True}
        return _finish_now(
            s, run, state, reason=ctx.skipped or "", summary=redact_value(ctx.summary), r=r
        )


def _record_error(task: Any, check: ScheduledCheck, run_id: int, exc: Exception, r: Any) -> None:
    """Deferral/retry: stays running with the error noted; anything final: failed."""
    if isinstance(exc, RateLimitDeferred):  # waiting for the shared budget is not an attempt
        with session_scope() as s:
            run = s.get(ScheduledRun, run_id)
            if run is not None and run.attempts > 0:
                run.attempts -= 1
        return
    message = redact(f"{type(exc).__name__}: {exc}")[:2000]
    request = getattr(task, "request", None)
    direct = bool(getattr(request, "called_directly", True))
    retries = int(getattr(request, "retries", 0) or 0)
    max_retries = getattr(task, "max_retries", 0)
    retrying = isinstance(exc, Retry) or (
        isinstance(exc, RateLimited | TransientError)
        and not direct
        and (max_retries is None or retries < max_retries)
    )
    with session_scope() as s:
        run = s.get(ScheduledRun, run_id)
        if run is None:
            return
        run.error = message
        if not retrying:
            run.state, run.finished_at = "failed", utcnow()
    if not retrying:
        metrics.count_runs(r, check.name, "failed")
    log.warning(
        "scheduled_run_error",
        check=check.name,
        run_id=run_id,
        error=type(exc).__name__,
        final=not retrying,
    )


def _finish_now(
    s: Any,
    run: ScheduledRun,
    state: str,
    *,
    reason: str = "",
    summary: dict[str, Any] | None = None,
    r: Any = None,
) -> dict[str, Any]:
    run.state, run.reason, run.finished_at = state, reason, utcnow()
    if summary is not None:
        run.summary = summary
    if state == "done":
        run.error = ""
    from workers.redis_client import redis_client

    metrics.count_runs(r if r is not None else redis_client(), run.check_name, state)
    log.info(
        "scheduled_run_finished",
        check=run.check_name,
        run_id=run.id,
        account_id=run.account_id,
        period=run.period_key,
        state=state,
        reason=reason,
    )
    return {**_brief(run), "noop": False}


def _load(run_id: int) -> dict[str, Any] | None:
    with session_scope() as s:
        run = s.get(ScheduledRun, run_id)
        return _brief(run) if run is not None else None


def _brief(run: ScheduledRun) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "check": run.check_name,
        "account_id": run.account_id,
        "period": run.period_key,
        "seq": run.seq,
        "state": run.state,
    }


def _noop(brief: dict[str, Any]) -> dict[str, Any]:
    log.info("scheduled_run_noop", **brief)
    return {**brief, "noop": True}


__all__ = ["RunBusy", "run_scheduled"]
