"""Automation 7's Celery entry point: one task per account and local morning, dispatched by the
scheduling mechanism (issue 11) at the account's local time (08:00 unless ``local_hour`` says
otherwise). The work is ``flow.check_mailboxes``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tasks.mailbox_health import flow
from workers.celery_app import app
from workers.scheduling import ScheduledCheck
from workers.task_base import ApiTask

CHECK_ACCOUNT = "tasks.mailbox_health.check_account"

try:
    from workers.scheduling import register_check, run_scheduled  # type: ignore[attr-defined]
except ImportError:  # PLACEHOLDER until issue 11 is merged: remove this branch at merge.

    def register_check(check: ScheduledCheck) -> ScheduledCheck:
        return check

    def run_scheduled(task: Any, run_id: int, work: Any) -> dict[str, Any]:
        raise RuntimeError("the scheduling mechanism (issue 11) is not merged yet")


CHECK = register_check(
    ScheduledCheck(name="mailbox_health", task_name=CHECK_ACCOUNT, local_time=dt.time(8, 0))
)


@app.task(base=ApiTask, bind=True, name=CHECK_ACCOUNT)
def check_account(self: ApiTask, run_id: int) -> dict[str, Any]:
    return run_scheduled(self, run_id, flow.check_mailboxes)  # type: ignore[no-any-return]
