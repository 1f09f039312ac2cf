"""Automation 4, collection: the scheduled check and its per-account Celery task (thin).

The scheduling mechanism (issue 11) dispatches ``snapshot_account(run_id)`` once per account and
local day after the account's ``local_time`` (params, default 06:00); ``run_scheduled`` claims
the run, builds the ``RunContext`` and calls ``flow.snapshot_account``, which stores the
previous local day. Queue: ``scheduled`` (``workers/queues.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from tasks.analytics_snapshot import flow
from workers.celery_app import app
from workers.scheduling import RunContext, ScheduledCheck
from workers.task_base import ApiTask
from workers.task_names import SNAPSHOT_ANALYTICS as SNAPSHOT_ACCOUNT


# ---- PLACEHOLDER until issue 11 (scheduling mechanism) is merged: delete these two functions
# and import them instead: `from workers.scheduling import register_check, run_scheduled`.
def register_check(check: ScheduledCheck) -> ScheduledCheck:
    """PLACEHOLDER: the mechanism's registry of checks (issue 11)."""
    return check


def run_scheduled(task: Any, run_id: int, work: Callable[[RunContext], None]) -> dict[str, Any]:
    """PLACEHOLDER: the mechanism claims run ``run_id`` and calls ``work(ctx)`` (issue 11)."""
    raise NotImplementedError(
        "scheduling mechanism (issue 11) not merged on this branch: run_scheduled is missing"
    )


# ---- end of PLACEHOLDER --------------------------------------------------------------------

CHECK = register_check(
    ScheduledCheck(name="analytics_snapshot", task_name=SNAPSHOT_ACCOUNT, local_time=dt.time(6, 0))
)


@app.task(base=ApiTask, bind=True, name=SNAPSHOT_ACCOUNT)
def snapshot_account(self: ApiTask, run_id: int) -> dict[str, Any]:
    """One account's previous local day of campaign figures into the campaign store."""
    return run_scheduled(self, run_id, flow.snapshot_account)
