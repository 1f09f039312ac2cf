"""One Beat tick of one check: find the accounts whose local due time has passed for a period
that has not run, claim each (Redis, then the database), enqueue one task per account with
spread countdowns, and send again the runs whose message was lost.

Database round trips per tick are constant: enabled accounts (one join), the periods' existing
runs, one insert of every new run, the stale-run sweep (and its update when there is one).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select

from workers.automations import validate_params
from workers.db import session_scope
from workers.logging import get_logger
from workers.models import Account, AutomationSetting
from workers.scheduling import claims, metrics
from workers.scheduling.check import ScheduledCheck
from workers.scheduling.due import (
    Slot,
    bounds_of_key,
    effective_local_time,
    latest_due,
    never_scheduled,
    wall_to_utc,
    zone,
)
from workers.scheduling.records import (
    NewRun,
    claimed_in_periods,
    insert_runs,
    stale_open_runs,
)
from workers.settings import get_settings
from workers.task_names import ENQUEUE_RUNS as ENQUEUE_TASK

log = get_logger("leadops.scheduling")

# (task name, run id, task id, countdown seconds, expires seconds) -> None
Sender = Callable[[str, int, str, float, float], None]


@dataclass
class DispatchResult:
    check: str
    accounts: int = 0  # enabled accounts looked at
    due: int = 0  # with a due, unrun period (before claims)
    already: int = 0  # due, but the period's run exists
    lost_claims: int = 0  # another dispatcher holds the claim
    enqueued: int = 0
    requeued: int = 0
    expired: int = 0
    misconfigured: int = 0  # unknown time zone or invalid params: not run, logged
    messages: int = 0  # published by the dispatcher itself (runs, or batches of runs)
    window_seconds: float = 0.0
    seconds: float = 0.0
    countdowns: list[float] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("countdowns")
        return out


def spread_window(n: int) -> float:
    """Seconds over which ``n`` enqueues are spread: at most the configured window, never near
    the broker's visibility timeout (a countdown beyond it is redelivered again and again)."""
    s = get_settings()
    if n <= 1:
        return 0.0
    cap = min(s.schedule_spread_seconds, s.visibility_timeout / 4)
    return max(0.0, min(cap, n / max(s.schedule_enqueue_rate, 1e-9)))


def countdowns_for(n: int, rng: random.Random) -> list[float]:
    """Evenly spaced countdowns over the window, in random order (accounts of one key, or one
    zone, do not all land together)."""
    window = spread_window(n)
    slots = [window * i / n for i in range(n)] if n else []
    rng.shuffle(slots)
    return slots


def celery_sender() -> tuple[Sender, Callable[[], None]]:
    """Sends through one pooled producer connection (one acquire for the whole tick)."""
    from workers.celery_app import app
    from workers.queues import Queue

    ctx = app.producer_or_acquire()
    producer = ctx.__enter__()

    def send(task: str, run_id: int, task_id: str, countdown: float, expires: float) -> None:
        app.send_task(
            task,
            kwargs={"run_id": run_id},
            task_id=task_id,
            queue=Queue.SCHEDULED.value,
            countdown=round(countdown, 3) if countdown > 0 else None,
            expires=expires,
            producer=producer,
        )

    return send, lambda: ctx.__exit__(None, None, None)


def _due_accounts(
    check: ScheduledCheck, rows: Sequence[Any], now: dt.datetime, result: DispatchResult
) -> tuple[list[tuple[int, Slot]], dict[int, str]]:
    """(account id, slot) of every account with a due slot; each account's zone."""
    local_times: dict[str, dt.time | None] = {}
    slots: dict[tuple[str, dt.time], Slot | None] = {}
    due: list[tuple[int, Slot]] = []
    zones: dict[int, str] = {}
    for account_id, tz_name, params, updated_at in rows:
        raw = json.dumps(params or {}, sort_keys=True)
        if raw not in local_times:
            try:
                local_times[raw] = effective_local_time(
                    check, validate_params(check.name, params or {})
                )
            except ValueError as exc:
                log.warning("schedule_bad_params", check=check.name, error=str(exc)[:200])
                local_times[raw] = None
        local_time = local_times[raw]
        try:
            tz = zone(tz_name or "UTC")
        except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            local_time = None
            log.warning("schedule_bad_timezone", check=check.name, account_id=account_id)
        if local_time is None:
            result.misconfigured += 1
            continue
        zones[account_id] = tz_name or "UTC"
        group = (tz_name or "UTC", local_time)
        if group not in slots:
            slot = latest_due(check, local_time, tz, now)
            slots[group] = slot if slot.eligible(now, check.grace) else None
        found = slots[group]
        if found is None:
            continue
        if never_scheduled(found, now, updated_at):
            continue
        due.append((account_id, found))
    return due, zones


def dispatch_check(
    check: ScheduledCheck,
    now: dt.datetime | None = None,
    *,
    redis: Any = None,
    send: Sender | None = None,
    rng: random.Random | None = None,
) -> DispatchResult:
    """Run one tick of ``check``; returns what it did (logged and counted for /metrics)."""
    from workers.redis_client import redis_client

    started = time.perf_counter()
    now = now or dt.datetime.now(dt.UTC)
    r = redis if redis is not None else redis_client()
    settings = get_settings()
    result = DispatchResult(check.name)
    token = claims.new_token()
    to_send: list[tuple[int, str]] = []  # (run id, task id)
    with session_scope() as s:
        rows = s.execute(
            select(
                Account.id, Account.timezone, AutomationSetting.params, AutomationSetting.updated_at
            )
            .join(AutomationSetting, AutomationSetting.account_id == Account.id)
            .where(
                AutomationSetting.automation == check.name,
                AutomationSetting.enabled.is_(True),
                Account.active.is_(True),
            )
        ).all()
        result.accounts = len(rows)
        due, zones = _due_accounts(check, rows, now, result)
        result.due = len(due)
        done = claimed_in_periods(s, check.name, sorted({slot.period_key for _, slot in due}))
        todo = [(a, slot) for a, slot in due if (a, slot.period_key) not in done]
        result.already = len(due) - len(todo)
        won = claims.claim_many(r, check.name, [(a, slot.period_key) for a, slot in todo], token)
        mine = [item for item, ok in zip(todo, won, strict=True) if ok]
        result.lost_claims = len(todo) - len(mine)
        new = [NewRun(a, slot.period_key, slot.due_at, str(uuid.uuid4())) for a, slot in mine]
        inserted = insert_runs(s, check.name, new, now)
        by_account = {(a, slot.period_key): slot for a, slot in mine}
        recorded = {(a, p) for _, a, p, _ in inserted}
        s.commit()  # the records exist before any task can look for them
        claims.release_many(
            r, check.name, [(a, p) for a, p in by_account if (a, p) not in recorded], token
        )
        claims.bind_many(
            r,
            check.name,
            [(a, p, run_id, _hold(by_account[(a, p)], check, now)) for run_id, a, p, _ in inserted],
        )
        to_send += [(run_id, task_id) for run_id, _, _, task_id in inserted]
        result.enqueued = len(inserted)
        requeue = _sweep_stale(s, check, r, zones, now, settings.schedule_requeue_after_seconds)
        result.expired = requeue.expired
        result.requeued = len(requeue.ids)
        to_send += requeue.ids
    _send_all(check, to_send, send, rng or random.Random(), result)
    result.seconds = time.perf_counter() - started
    metrics.count_runs(r, check.name, "queued", result.enqueued)
    metrics.count_runs(r, check.name, "requeued", result.requeued)
    metrics.count_runs(r, check.name, "failed", result.expired)
    metrics.record_dispatch(
        r, check.name, result.seconds, result.due, result.enqueued, result.requeued
    )
    # A tick with nothing to do is the common case: keep it out of the info log.
    (log.info if result.due or result.requeued else log.debug)(
        "schedule_dispatched", **result.as_dict()
    )
    return result


def _hold(slot: Slot, check: ScheduledCheck, now: dt.datetime) -> int:
    """Seconds a claim must live: while its period can still be dispatched, and a margin."""
    return int((slot.ends_at + check.grace - now).total_seconds()) + claims.MIN_HOLD_SECONDS


@dataclass
class _Requeue:
    ids: list[tuple[int, str]] = field(default_factory=list)
    expired: int = 0


def _sweep_stale(
    s: Any,
    check: ScheduledCheck,
    r: Any,
    zones: dict[int, str],
    now: dt.datetime,
    requeue_after: float,
) -> _Requeue:
    out = _Requeue()
    stale = stale_open_runs(s, check.name, now - dt.timedelta(seconds=requeue_after))
    if not stale:
        return out
    busy = claims.locked(r, [run.id for run in stale])
    for run in stale:
        if run.id in busy:
            continue
        tz_name = zones.get(run.account_id)
        if tz_name is None and run.trigger == "schedule":
            run.state, run.reason, run.finished_at = "skipped", "check disabled before it ran", now
            continue
        _, last = bounds_of_key(check.period, run.period_key)
        ends_at = wall_to_utc(last + dt.timedelta(days=1), dt.time(0), zone(tz_name or "UTC"))
        if now >= ends_at + check.grace:
            run.state, run.finished_at = "failed", now
            run.error = run.error or "expired: not run before the period's grace ended"
            out.expired += 1
            continue
        run.updated_at = now
        run.task_id = run.task_id or str(uuid.uuid4())
        out.ids.append((run.id, run.task_id))
    return out


# Publishing one Celery message costs a few Redis round trips (the message, the task-sent event):
# ~1-5 ms. A tick with more runs than this hands them to enqueue tasks of this many runs each,
# sent with the countdown of their slice of the window, so the dispatcher's own time stays
# small, workers share the publishing and few countdown messages wait in the broker at once.
BATCH = 200


def plan_batches(
    runs: Sequence[tuple[int, str]], rng: random.Random
) -> list[tuple[float, list[tuple[int, str, float]]]]:
    """(batch countdown, [(run id, task id, countdown within the batch)]) over the window:
    every run gets an evenly spaced slot in random order; batches hold consecutive slots."""
    slots = sorted(zip(countdowns_for(len(runs), rng), runs, strict=True))
    batches = []
    for i in range(0, len(slots), BATCH):
        chunk = slots[i : i + BATCH]
        start = chunk[0][0]
        batches.append(
            (start, [(run_id, task_id, round(cd - start, 3)) for cd, (run_id, task_id) in chunk])
        )
    return batches


def send_runs(task: str, items: Sequence[Sequence[Any]], send: Sender | None = None) -> int:
    """Publish each run's message: (run id, task id, countdown). Expires before the sweep would
    send it again, so at most one live message per run."""
    close: Callable[[], None] = lambda: None  # noqa: E731
    if send is None:
        send, close = celery_sender()
    margin = 0.9 * get_settings().schedule_requeue_after_seconds
    try:
        for run_id, task_id, countdown in items:
            send(task, int(run_id), str(task_id), float(countdown), float(countdown) + margin)
    finally:
        close()
    return len(items)


def _send_all(
    check: ScheduledCheck,
    runs: list[tuple[int, str]],
    send: Sender | None,
    rng: random.Random,
    result: DispatchResult,
) -> None:
    if not runs:
        return
    batches = plan_batches(runs, rng)
    result.window_seconds = spread_window(len(runs))
    result.countdowns = [start + cd for start, items in batches for _, _, cd in items]
    if len(batches) == 1 or send is not None:  # few runs, or a test's sender: publish here
        for start, items in batches:
            send_runs(check.task_name, [(r, t, start + cd) for r, t, cd in items], send)
        result.messages = len(runs)
        return
    from workers.celery_app import app
    from workers.queues import Queue

    margin = 0.9 * get_settings().schedule_requeue_after_seconds
    with app.producer_or_acquire() as producer:
        for start, items in batches:
            app.send_task(
                ENQUEUE_TASK,
                kwargs={"task": check.task_name, "runs": [list(item) for item in items]},
                queue=Queue.SCHEDULED.value,
                countdown=round(start, 3) if start > 0 else None,
                expires=start + margin,
                producer=producer,
            )
    result.messages = len(batches)


__all__ = [
    "BATCH",
    "DispatchResult",
    "ENQUEUE_TASK",
    "plan_batches",
    "send_runs",
    "Sender",
    "celery_sender",
    "countdowns_for",
    "dispatch_check",
    "spread_window",
]
