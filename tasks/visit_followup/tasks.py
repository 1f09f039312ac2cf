"""Automation 10: a known lead who has not replied visits a matching page -> warm follow-up.

The entry point; beside it: ``rules.py`` (pure decisions), ``flow.py`` (one visit, audited),
``smartlead.py`` (look-up and the add to the warm campaign). Task name and kwargs are the
gateway's contract (workers/task_names.py). ApiTask retries Smartlead 429/5xx with backoff and
reschedules when the shared limiter (or the per-lead lock) says wait.
"""

from __future__ import annotations

from typing import Any

from tasks.visit_followup.flow import Visit
from tasks.visit_followup.smartlead import run_visit
from workers.celery_app import app
from workers.task_base import ApiTask
from workers.task_names import HANDLE_VISIT


@app.task(
    base=ApiTask,
    bind=True,
    name=HANDLE_VISIT,
    automation="visit_followup",
    soft_time_limit=60,
    time_limit=120,
)
def handle_visit(
    self: ApiTask,
    account_id: int,
    event_id: str,
    source: str,
    email: str | None = None,
    domain: str | None = None,
    page_url: str = "",
    seen_at: str | None = None,
) -> list[dict[str, Any]]:
    """Decide the visit (person-level by email, company-level by domain); audit each decision."""
    visit = Visit(account_id, str(event_id), source, email, domain, page_url or "", seen_at)
    return run_visit(visit, task_id=self.request.id)
