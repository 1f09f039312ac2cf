"""The probe's check and its per-account task (the shape every scheduled check has)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tasks.schedule_probe import flow
from workers.celery_app import app
from workers.scheduling import ScheduledCheck, register_check, run_scheduled
from workers.task_base import ApiTask
from workers.task_names import CHECK_SCHEDULE_PROBE as CHECK_ACCOUNT

CHECK = register_check(
    ScheduledCheck(name="schedule_probe", task_name=CHECK_ACCOUNT, local_time=dt.time(8, 0))
)


@app.task(
    base=ApiTask,
    bind=True,
    name=CHECK_ACCOUNT,
    automation="schedule_probe",
    soft_time_limit=120,
    time_limit=150,
)
def check_account(self: ApiTask, run_id: int) -> dict[str, Any]:
    """One account's probe run (claimed, recorded, exactly once per local period)."""
    return run_scheduled(self, run_id, flow.probe)
