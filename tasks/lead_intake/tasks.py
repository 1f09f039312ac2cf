"""Automation 1 (Clay rows) and the Celery entry points of the shared intake path that forms
(5), visits (10) and CSV imports use too: accept a lead into its campaign's buffer, flush a
due buffer, sweep for chunks of dead workers, upload one chunk exactly once.

The path itself is runtime (``workers/intake/``: accept, dispatch, upload, buffer), because
several automations stand on it; these tasks are where Celery enters it.
"""

from __future__ import annotations

from typing import Any

from celery import current_task

from workers.celery_app import app
from workers.intake.accept import submit_lead
from workers.intake.dispatch import dispatch, sweep
from workers.intake.upload import upload_chunk as upload
from workers.task_base import ApiTask
from workers.task_names import ACCEPT_LEAD, FLUSH_INTAKE, SWEEP_INTAKE, UPLOAD_CHUNK


# No result is read by anyone: skipping the result backend saves a Redis write per lead. No
# monitoring events either (three per lead were a third of a worker's loop): Flower shows the
# chunks (upload_chunk), flushes and sweeps; the audit log and LeadOutcome keep each lead.
@app.task(
    name=ACCEPT_LEAD,
    acks_late=True,
    soft_time_limit=30,
    time_limit=60,
    ignore_result=True,
    send_events=False,
)
def accept_lead(
    account_id: int,
    lead: dict[str, Any],
    campaign_id: str | None = None,
    source: str = "clay",
    event_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One lead from the gateway (Clay), a form, a visit or a CSV row: validate, buffer,
    schedule the upload. Idempotent on ``event_id``."""
    task_id = current_task.request.id if current_task else None
    result = submit_lead(
        account_id, campaign_id, lead, source=source, event_id=event_id, task_id=task_id
    )
    return {"status": result.status, "reason": result.reason, "campaign_id": result.campaign_id}


@app.task(
    name=FLUSH_INTAKE,
    acks_late=True,
    soft_time_limit=30,
    time_limit=60,
    expires=3600,
    ignore_result=True,
)
def flush(account_id: int) -> dict[str, Any]:
    """The account's oldest buffered lead has waited the max delay: claim and dispatch."""
    return {"dispatched": dispatch(account_id)}


@app.task(name=SWEEP_INTAKE, acks_late=True, soft_time_limit=30, time_limit=60, ignore_result=True)
def sweep_intake() -> dict[str, int]:
    """Beat: re-queue chunks whose worker died (lease lapsed) and dispatch due buffers."""
    return sweep()


@app.task(
    base=ApiTask,
    bind=True,
    name=UPLOAD_CHUNK,
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
)
def upload_chunk(self: ApiTask, account_id: int, chunk_id: str, gen: int) -> dict[str, Any]:
    """Upload one claimed chunk (bulk lane) and record each lead's outcome. ``gen`` is the
    claim's fencing token. 429/5xx are retried by ApiTask; after the last retry the chunk's
    leads are dead-lettered."""
    final = self.max_retries is not None and self.request.retries >= self.max_retries
    return upload(account_id, chunk_id, gen, task_id=self.request.id, final_attempt=final)
