"""Celery entry point of the report: render the standard periods of one account and store them.

The snapshot calls it after each collection; it asks no API (it reads the stores), so a plain
task: a redelivery renders again and replaces the same rows.
"""

from __future__ import annotations

from typing import Any

from tasks.analytics_snapshot.report.publish import render_and_store
from workers.celery_app import app
from workers.task_names import RENDER_REPORTS


@app.task(bind=True, name=RENDER_REPORTS, soft_time_limit=120, time_limit=180)
def render_reports(self: Any, account_id: int) -> dict[str, Any]:
    """Render last-30-days, this month and last month for the account; store each."""
    return render_and_store(int(account_id), task_id=self.request.id)
