"""Automation 1 (Clay rows), and the path forms (5) and visits (10) share: leads to Smartlead
campaigns in chunks, exactly once. The runtime lives in workers/intake.py (accept, dispatch,
sweep) and workers/intake_upload.py (one chunk's upload); these tasks are its entry points."""

from __future__ import annotations

from typing import Any

from workers.celery_app import app
from workers.intake import accept as intake
from workers.task_base import ApiTask


# No result is read by anyone: skipping the result backend saves a Redis write per lead.
@app.task(
    name="tasks.lead_intake.accept_lead",
    acks_late=True,
    soft_time_limit=30,
    time_limit=60,
    ignore_result=True,
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
    from celery import current_task

    task_id = current_task.request.id if current_task else None
    result = intake.submit_lead(
        account_id, campaign_id, lead, source=source, event_id=event_id, task_id=task_id
    )
    return {"status": result.status, "reason": result.reason, "campaign_id": result.campaign_id}


@app.task(
    name="tasks.lead_intake.flush",
    acks_late=True,
    soft_time_limit=30,
    time_limit=60,
    expires=3600,
    ignore_result=True,
)
def flush(account_id: int) -> dict[str, Any]:
    """The account's oldest buffered lead has waited the max delay: claim and dispatch."""
    return {"dispatched": intake.dispatch(account_id)}


@app.task(
    name="tasks.lead_intake.sweep",
    acks_late=True,
    soft_time_limit=30,
    time_limit=60,
    ignore_result=True,
)
def sweep() -> dict[str, int]:
    """Beat: re-queue chunks whose worker died (lease lapsed) and dispatch due buffers."""
    return intake.sweep()


@app.task(
    base=ApiTask,
    bind=True,
    name="tasks.lead_intake.upload_chunk",
    acks_late=True,
    soft_time_limit=240,
    time_limit=300,
)
def upload_chunk(self: ApiTask, account_id: int, chunk_id: str, gen: int) -> dict[str, Any]:
    """Upload one claimed chunk (bulk lane) and record each lead's outcome. 429/5xx are
    retried by ApiTask; after the last retry the chunk's leads are dead-lettered."""
    from workers.intake.upload import upload_chunk as run

    final = self.max_retries is not None and self.request.retries >= self.max_retries
    return run(account_id, chunk_id, gen, task_id=self.request.id, final_attempt=final)
