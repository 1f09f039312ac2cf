"""The whole periodic schedule: one dispatcher task per check, fanning out to accounts.

crontab for anything a minute or longer (interval schedules reset when Beat restarts). Each
entry's task takes no required arguments and sets ``expires`` so a late run is dropped, not
piled up. Beat runs with RedBeat's lock: a second Beat cannot double the work.
"""

from __future__ import annotations

from typing import Any

# name -> Celery beat entry. Later automations add their dispatchers here, one line each.
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}
