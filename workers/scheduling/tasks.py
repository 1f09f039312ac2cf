"""The dispatcher task Beat sends for every check, once per tick (``check_entry`` in
``workers/scheduling/beat.py`` builds its schedule entry). Listed in TASK_MODULES."""

from __future__ import annotations

from typing import Any

from workers.celery_app import app
from workers.scheduling.dispatch import ENQUEUE_TASK, dispatch_check, send_runs
from workers.scheduling.registry import get_check
from workers.task_names import DISPATCH_CHECK as DISPATCH

ENQUEUE = ENQUEUE_TASK


# Idempotent by its claims: a redelivered or doubled tick enqueues nothing twice.
@app.task(
    name=DISPATCH,
    acks_late=True,
    ignore_result=True,
    soft_time_limit=240,
    time_limit=300,
)
def dispatch(check: str) -> dict[str, Any]:
    """One tick of one check: enqueue the per-account runs that are due."""
    return dispatch_check(get_check(check)).as_dict()


@app.task(name=ENQUEUE, acks_late=True, ignore_result=True, soft_time_limit=120, time_limit=180)
def enqueue(task: str, runs: list[list[Any]]) -> int:
    """Publish one slice of a tick's runs ([run id, task id, countdown]): recorded and claimed
    already, so a redelivered slice only sends messages the runs ignore."""
    return send_runs(task, runs)


__all__ = ["DISPATCH", "ENQUEUE", "dispatch", "enqueue"]
