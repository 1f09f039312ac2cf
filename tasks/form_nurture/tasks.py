"""Automation 5: a form submission (Typeform, Tally, generic JSON) -> the form's nurture campaign.

The entry point; beside it: ``payloads.py`` reads each provider's payload, ``mapping.py`` maps the
answers to a lead (pure), ``flow.py`` decides and hands the lead to the shared intake path. Task
name and kwargs are the gateway's contract (workers/task_names.py).
"""

from __future__ import annotations

from typing import Any

from tasks.form_nurture import flow as form_nurture
from workers.celery_app import app
from workers.task_base import ApiTask
from workers.task_names import HANDLE_FORM_SUBMISSION


@app.task(
    base=ApiTask,
    bind=True,
    name=HANDLE_FORM_SUBMISSION,
    automation="form_nurture",
    soft_time_limit=30,
    time_limit=60,
)
def handle_submission(
    self: ApiTask,
    account_id: int,
    event_id: str,
    provider: str,
    form_id: str | None = None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Map the submission by the form's field mapping and buffer the lead (source "form")."""
    return form_nurture.run_submission(
        account_id, event_id, provider, form_id, payload or {}, task_id=self.request.id
    )
