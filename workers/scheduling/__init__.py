"""The scheduling mechanism every scheduled check shares (Beat ticks in UTC; accounts run at
their own local time, once per local period)."""

from workers.scheduling.check import Period, RunContext, ScheduledCheck

__all__ = ["Period", "RunContext", "ScheduledCheck"]
