"""The dispatcher task Beat sends for every check, once per tick (``check_entry`` in
``workers/scheduling/beat.py`` builds its schedule entry). Listed in TASK_MODULES."""

from __future__ import annotations

from typing import Any

from workers.celery_app import app
from workers.scheduling.dispatch import dispatch_check
from workers.scheduling.registry import get_check

DISPATCH = "tasks.scheduling.dispatch"


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


__all__ = ["DISPATCH", "dispatch"]
