"""What a scheduled check declares, and what its per-account work receives.

An automation declares one ``ScheduledCheck`` in its ``tasks.py`` and writes its work as a plain
function ``fn(ctx: RunContext) -> None`` that fills ``ctx.summary`` (small JSON) or calls
``ctx.skip(reason)``. The mechanism (dispatch, claims, run records) calls it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Period = Literal["day", "week"]


@dataclass(frozen=True)
class ScheduledCheck:
    """One check, run once per account and local period after the account's local due time.

    ``name`` is the automation's key in ``workers.automations.AUTOMATIONS``: its enabled /
    dry-run switches and params come from ``automation_config(account, name)``. The params model
    may carry ``local_time`` ("HH:MM") to override ``local_time`` here.
    """

    name: str
    task_name: str  # the per-account task: ``task(run_id: int)``
    local_time: dt.time = dt.time(8, 0)
    period: Period = "day"
    weekday: int = 0  # for period="week": 0 = Monday (ISO), the local day it is due
    grace: dt.timedelta = dt.timedelta(hours=12)  # never run for a period that ended longer ago


@dataclass
class RunContext:
    """One claimed run of a check for one account and one local period."""

    run_id: int
    check: str
    account_id: int
    period_key: str  # "2026-12-01" (day) or "2026-W49" (week)
    period_start: dt.date  # first local date of the period
    period_end: dt.date  # last local date of the period (== start for a day)
    timezone: str  # the account's IANA zone
    dry_run: bool = False
    forced: bool = False
    summary: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None

    def skip(self, reason: str) -> None:
        """End the run as skipped, with the reason recorded (e.g. "no campaigns")."""
        self.skipped = reason
