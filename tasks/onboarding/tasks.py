"""Celery entry points of automation 8 (thin: the saga is in saga.py, the steps in steps.py).

- ``START`` (the gateway's CRM webhook): create or find the run of this event, then advance it.
- ``ADVANCE`` (the CLI, and resumption): advance one run while holding its lease.
- ``RESUME_STALLED`` (Beat every minute, and each worker at start-up): re-send ``ADVANCE`` for
  every unfinished run whose lease has lapsed (its runner died), and look again when the live
  leases it saw lapse, so a worker killed mid-run and restarted finishes the run within a lease.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from celery import signals

from tasks.onboarding import saga
from tasks.onboarding.config import onboarding_settings
from tasks.onboarding.services import AUTOMATION, LiveServices
from tasks.onboarding.steps import STEP_FUNCTIONS
from tasks.onboarding.store import DbStore, RunConflict, create_run, stalled_runs
from workers import audit
from workers.celery_app import app
from workers.dead_letters import record_dead_letter
from workers.logging import get_logger
from workers.task_base import ApiTask
from workers.task_names import ADVANCE_ONBOARDING as ADVANCE
from workers.task_names import RESUME_ONBOARDINGS as RESUME_STALLED
from workers.task_names import START_ONBOARDING as START

log = get_logger("tasks.onboarding")
_SOFT_LIMIT, _HARD_LIMIT = onboarding_settings().time_limits
# The saga counts its own transient failures per step (saga.MAX_STEP_ATTEMPTS) and fails the
# step itself: the task's retry budget only has to outlast that.
_MAX_RETRIES = 100


def summary(run: saga.RunView) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "run": run.key,
        "state": run.state,
        "step": run.step,
        "campaign_id": run.campaign_id,
        "cleanup": run.cleanup,
    }


def _advance(task: ApiTask, run_id: int) -> dict[str, Any]:
    settings = onboarding_settings()
    services = LiveServices(settings)
    owner = task.request.id or f"local-{uuid.uuid4().hex[:12]}"
    lease = settings.onboarding_lease_seconds
    env = saga.Env(DbStore(), services, owner=owner, lease_seconds=lease)
    try:
        return summary(saga.advance(run_id, env, STEP_FUNCTIONS))
    finally:
        services.close()


@app.task(
    base=ApiTask,
    bind=True,
    name=START,
    automation=AUTOMATION,
    max_retries=_MAX_RETRIES,
    soft_time_limit=_SOFT_LIMIT,
    time_limit=_HARD_LIMIT,
)
def start_onboarding(
    self: ApiTask,
    account_id: int,
    event_id: str,
    template_account_id: int,
    template_campaign_id: int,
    name: str,
    mailbox_ids: list[int] | None = None,
    start: bool = False,
    keep_partial: bool = False,
) -> dict[str, Any]:
    """A won deal (gateway): the run keyed by the event id, created once, then advanced."""
    try:
        run, _ = create_run(
            account_id=account_id,
            template_account_id=template_account_id,
            template_campaign_id=template_campaign_id,
            name=name,
            mailbox_ids=mailbox_ids,
            start=start,
            keep_partial=keep_partial,
            source="gateway",
            key=event_id,
            event_id=event_id,
        )
    except (RunConflict, LookupError) as exc:  # accepted by the gateway, refused here: recorded
        _refuse(self, str(exc), type(exc).__name__, account_id, event_id)
        return {"run": event_id, "state": "refused", "reason": str(exc)}
    return _advance(self, run.id)


def _refuse(task: ApiTask, reason: str, error: str, account_id: int, event_id: str) -> None:
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        known = s.get(Account, account_id) is not None
    payload = dict(task.request.kwargs or {})
    account = account_id if known else None  # a deleted account holds no foreign key
    record_dead_letter(START, payload, reason, error_class=error, account_id=account)
    audit.record(
        AUTOMATION,
        "onboard",
        "failed",
        reason,
        account_id=account,
        event_id=event_id[:64],
        task_id=task.request.id,
    )


@app.task(
    base=ApiTask,
    bind=True,
    name=ADVANCE,
    automation=AUTOMATION,
    max_retries=_MAX_RETRIES,
    soft_time_limit=_SOFT_LIMIT,
    time_limit=_HARD_LIMIT,
)
def advance(self: ApiTask, run_id: int) -> dict[str, Any]:
    """Advance one run from where it stands; a finished run or a live lease: nothing to do."""
    return _advance(self, int(run_id))


@app.task(bind=True, name=RESUME_STALLED, soft_time_limit=30, time_limit=60)
def resume_stalled(self: Any, watch: dict[str, float] | None = None) -> dict[str, Any]:
    """Re-send ADVANCE for unfinished runs whose lease lapsed; watch the live leases once."""
    now = time.time()
    resent: list[int] = []
    later: dict[str, float] = {}
    for run_id, expires in stalled_runs(now):
        if expires is None or expires <= now:
            app.send_task(ADVANCE, kwargs={"run_id": run_id})
            resent.append(run_id)
        elif watch is None or watch.get(str(run_id)) == expires:
            later[str(run_id)] = expires  # a lease renewed since the last look is alive
    if later:
        countdown = max(0.5, min(later.values()) - now + 0.5)
        self.apply_async(kwargs={"watch": later}, countdown=countdown)
    if resent:
        log.info("onboarding_runs_resumed", run_ids=resent)
    return {"resent": resent, "watching": sorted(int(k) for k in later)}


@signals.worker_ready.connect
def _resume_after_restart(**_: Any) -> None:
    """A worker that comes back (after a crash) picks up the runs its predecessor left; with
    no unfinished run nothing is sent."""
    try:
        if stalled_runs():
            app.send_task(RESUME_STALLED)
    except Exception as exc:  # noqa: BLE001 - Beat's sweep is the safety net
        log.warning("onboarding_resume_not_sent", error=type(exc).__name__)
