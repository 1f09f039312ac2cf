"""Automation 7's Celery entry point: one task per account and local morning, dispatched by the
scheduling mechanism (issue 11) at the account's local time (08:00 unless ``local_hour`` says
otherwise). The work is ``flow.check_mailboxes``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tasks.mailbox_health import flow
from workers.celery_app import app
from workers.scheduling import ScheduledCheck, register_check, run_scheduled
from workers.task_base import ApiTask
from workers.task_names import CHECK_MAILBOX_HEALTH as CHECK_ACCOUNT

CHECK = register_check(
    ScheduledCheck(name="mailbox_health", task_name=CHECK_ACCOUNT, local_time=dt.time(8, 0))
)


@app.task(base=ApiTask, bind=True, name=CHECK_ACCOUNT)
def check_account(self: ApiTask, run_id: int) -> dict[str, Any]:
    return run_scheduled(self, run_id, flow.check_mailboxes)
