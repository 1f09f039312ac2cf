"""The scheduling mechanism every scheduled check shares (Beat ticks in UTC; accounts run at
their own local time, once per local period).

A check declares a ``ScheduledCheck`` with ``register_check`` in its ``tasks.py``, one params
model in ``workers.automations`` and one per-account task whose body is ``run_scheduled``; Beat
gets one line, ``check_entry(name)``. See docs/CONTRACTS.md, "Scheduled checks".
"""

from workers.scheduling.check import Period, RunContext, ScheduledCheck
from workers.scheduling.registry import get_check, register_check, registered_checks
from workers.scheduling.runner import run_scheduled
from workers.scheduling.shared import key_group, rows_for_client, shared_listing

__all__ = [
    "Period",
    "RunContext",
    "ScheduledCheck",
    "get_check",
    "key_group",
    "register_check",
    "registered_checks",
    "rows_for_client",
    "run_scheduled",
    "shared_listing",
]
