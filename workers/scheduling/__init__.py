"""The scheduling mechanism every scheduled check shares (Beat ticks in UTC; accounts run at
their own local time, once per local period)."""

from workers.scheduling.check import Period, RunContext, ScheduledCheck
from workers.scheduling.shared import key_group, rows_for_client, shared_listing

__all__ = [
    "Period",
    "RunContext",
    "ScheduledCheck",
    "key_group",
    "rows_for_client",
    "shared_listing",
]
