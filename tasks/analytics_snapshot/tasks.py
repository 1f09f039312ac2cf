"""Automation 4, collection: the scheduled check and its per-account Celery task (thin).

The scheduling mechanism (issue 11) dispatches ``snapshot_account(run_id)`` once per account and
local day after the account's ``local_time`` (params, default 06:00); ``run_scheduled`` claims
the run, builds the ``RunContext`` and calls ``flow.snapshot_account``, which stores the
previous local day. Queue: ``scheduled`` (``workers/queues.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tasks.analytics_snapshot import flow
from workers.celery_app import app
from workers.scheduling import ScheduledCheck, register_check, run_scheduled
from workers.task_base import ApiTask
from workers.task_names import SNAPSHOT_ANALYTICS as SNAPSHOT_ACCOUNT

CHECK = register_check(
    ScheduledCheck(name="analytics_snapshot", task_name=SNAPSHOT_ACCOUNT, local_time=dt.time(6, 0))
)


@app.task(base=ApiTask, bind=True, name=SNAPSHOT_ACCOUNT)
def snapshot_account(self: ApiTask, run_id: int) -> dict[str, Any]:
    """One account's previous local day of campaign figures into the campaign store."""
    return run_scheduled(self, run_id, flow.snapshot_account)
