"""Automation 2's Celery entry point: the daily reply-guard check, one task per account.

Thin: the scheduling mechanism (issue 11) claims the run for (account, local day) and calls
``flow.guard_account(ctx)``; the rules live in ``rules.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tasks.reply_guard import flow
from workers.celery_app import app
from workers.scheduling import ScheduledCheck, register_check, run_scheduled
from workers.task_base import ApiTask
from workers.task_names import CHECK_REPLY_GUARD as CHECK_ACCOUNT

CHECK = register_check(
    ScheduledCheck(name="reply_guard", task_name=CHECK_ACCOUNT, local_time=dt.time(9, 0))
)


@app.task(
    base=ApiTask,
    bind=True,
    name=CHECK_ACCOUNT,
    automation="reply_guard",
    soft_time_limit=240,
    time_limit=300,
)
def check_account(self: ApiTask, run_id: int) -> dict[str, Any]:
    """Pause the account's active campaigns whose reply rate stays under the threshold."""
    return run_scheduled(self, run_id, flow.guard_account)
