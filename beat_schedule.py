"""The whole periodic schedule: one dispatcher task per check, fanning out to accounts.

crontab for anything a minute or longer (interval schedules reset when Beat restarts). Each
entry's task takes no required arguments and sets ``expires`` so a late run is dropped, not
piled up. Beat runs with RedBeat's lock: a second Beat cannot double the work.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from workers.scheduling.beat import check_entry

# name -> Celery beat entry. Later automations add their dispatchers here, one line each.
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Lead intake safety net: re-queue chunks of dead workers, flush due buffers. An interval (not
    # crontab) because max-delay flushes are seconds; a reset on Beat restart costs one beat.
    "lead-intake-sweep": {
        "task": "tasks.lead_intake.sweep",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    },
    # Scheduled checks: one dispatcher tick per check (UTC, every LEADOPS_SCHEDULE_TICK_SECONDS,
    # default 15 min); each account runs at its own local time, once per local period.
    # Probe of the mechanism (tests, benchmark): only accounts with schedule_probe enabled run.
    "schedule-probe": check_entry("schedule_probe"),
    # 4. Daily campaign figures (default 06:00 local), then the client report is re-rendered.
    "analytics-snapshot": check_entry("analytics_snapshot"),
    # 2. Pause campaigns whose reply rate stays low (default 09:00 local, daily).
    "reply-guard": check_entry("reply_guard"),
    # 9. Narrow send days to the weekdays that get replies (weekly, Monday 09:00 local).
    "send-days": check_entry("send_days"),
    # 7. Mailbox health each local morning (default 08:00); Slack only on a change.
    "mailbox-health": check_entry("mailbox_health"),
    # Onboarding safety net: re-send the runs whose runner died (its lease lapsed).
    "onboarding-resume": {
        "task": "tasks.onboarding.resume_stalled",
        "schedule": crontab(),
        "options": {"expires": 55.0},
    },
}
