"""Beat entries for scheduled checks: one line per check in ``beat_schedule.py``.

    "mailbox-health": check_entry("mailbox_health"),

Beat runs in UTC and only ticks; which accounts are due is decided by the dispatcher with
``zoneinfo`` (never Celery's local-time crontab, which skips or doubles runs around DST).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery.schedules import crontab, schedule

from workers.task_names import DISPATCH_CHECK as DISPATCH_TASK


def tick_schedule(seconds: float) -> Any:
    """crontab for whole minutes that divide the hour (survives Beat restarts on the wall
    clock); an interval below a minute (tests, benchmarks)."""
    if seconds >= 60:
        minutes = int(seconds // 60)
        if minutes * 60 != seconds or 60 % minutes:
            raise ValueError(
                f"tick of {seconds:g} s: use whole minutes that divide an hour (or < 60 s)"
            )
        return crontab(minute="*" if minutes == 1 else f"*/{minutes}")
    if seconds <= 0:
        raise ValueError("tick must be positive")
    return schedule(timedelta(seconds=seconds))


def check_entry(check: str, *, tick_seconds: float | None = None) -> dict[str, Any]:
    """The Beat entry that ticks ``check``'s dispatcher (every LEADOPS_SCHEDULE_TICK_SECONDS,
    default 15 min); a tick not started within 90% of the interval is dropped, not piled up."""
    from workers.settings import get_settings

    seconds = tick_seconds or get_settings().schedule_tick_seconds
    return {
        "task": DISPATCH_TASK,
        "schedule": tick_schedule(seconds),
        "args": (check,),
        "options": {"expires": round(0.9 * seconds, 3), "queue": "scheduled"},
    }


__all__ = ["DISPATCH_TASK", "check_entry", "tick_schedule"]
