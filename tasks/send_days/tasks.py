"""Automation 9's Celery entry point: the weekly send-days check, one task per account.

Thin: the scheduling mechanism (issue 11) claims the run for (account, local ISO week) and
calls ``flow.narrow_account(ctx)``; the rules live in ``rules.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tasks.send_days import flow
from workers.celery_app import app
from workers.scheduling import ScheduledCheck, register_check, run_scheduled
from workers.task_base import ApiTask
from workers.task_names import CHECK_SEND_DAYS as CHECK_ACCOUNT

# Weekly, Monday 09:00 local: a four-week lookback gains little from a daily look, and one
# change per campaign per interval is the rule anyway.
CHECK = register_check(
    ScheduledCheck(
        name="send_days",
        task_name=CHECK_ACCOUNT,
        local_time=dt.time(9, 0),
        period="week",
        weekday=0,
    )
)


@app.task(
    base=ApiTask,
    bind=True,
    name=CHECK_ACCOUNT,
    automation="send_days",
    soft_time_limit=240,
    time_limit=300,
)
def check_account(self: ApiTask, run_id: int) -> dict[str, Any]:
    """Narrow the send days of the account's campaigns where the weekday evidence says so."""
    return run_scheduled(self, run_id, flow.narrow_account)
