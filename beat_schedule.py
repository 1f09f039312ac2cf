"""The whole periodic schedule: one dispatcher task per check, fanning out to accounts.

crontab for anything a minute or longer (interval schedules reset when Beat restarts). Each
entry's task takes no required arguments and sets ``expires`` so a late run is dropped, not
piled up. Beat runs with RedBeat's lock: a second Beat cannot double the work.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

# name -> Celery beat entry. Later automations add their dispatchers here, one line each.
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    # Lead intake safety net: re-queue chunks of dead workers, flush due buffers. An interval (not
    # crontab) because max-delay flushes are seconds; a reset on Beat restart costs one beat.
    "lead-intake-sweep": {
        "task": "tasks.lead_intake.sweep",
        "schedule": 5.0,
        "options": {"expires": 5.0},
    },
    # Onboarding safety net: re-send the runs whose runner died (its lease lapsed).
    "onboarding-resume": {
        "task": "tasks.onboarding.resume_stalled",
        "schedule": crontab(),
        "options": {"expires": 55.0},
    },
}
