"""Beat's scheduled-check entries: UTC ticks only, each naming a registered check whose task
routes to the scheduled queue, with expires under the tick."""

from __future__ import annotations

import pytest
from celery.schedules import crontab, schedule

from workers.queues import Queue, queue_for
from workers.scheduling.beat import DISPATCH_TASK, check_entry, tick_schedule


def test_every_check_entry_names_a_registered_check_routed_to_scheduled() -> None:
    from beat_schedule import BEAT_SCHEDULE
    from workers.celery_app import TASK_MODULES
    from workers.scheduling import registered_checks

    for module in TASK_MODULES:
        __import__(module)
    checks = registered_checks()
    entries = [e for e in BEAT_SCHEDULE.values() if e["task"] == DISPATCH_TASK]
    assert entries, "no scheduled check in BEAT_SCHEDULE"
    for entry in entries:
        (name,) = entry["args"]
        assert name in checks, f"{name} is not registered by any TASK_MODULES module"
        assert queue_for(checks[name].task_name) is Queue.SCHEDULED
        assert queue_for(DISPATCH_TASK) is Queue.SCHEDULED
        assert entry["options"]["expires"] < 900


def test_ticks_are_crontab_in_minutes_or_an_interval_below_a_minute() -> None:
    assert isinstance(tick_schedule(900), crontab)
    assert isinstance(tick_schedule(60), crontab)
    assert isinstance(tick_schedule(1.5), schedule)
    with pytest.raises(ValueError, match="divide an hour"):
        tick_schedule(7 * 60)
    entry = check_entry("mailbox_health", tick_seconds=2)
    assert entry["args"] == ("mailbox_health",) and entry["options"]["expires"] == 1.8
