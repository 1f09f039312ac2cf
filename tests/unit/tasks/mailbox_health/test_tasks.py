"""The Celery entry point of automation 7: stable name, routed to the scheduled queue, declared
as a scheduled check at 08:00 local; the params give the mechanism its "HH:MM"."""

from __future__ import annotations

import datetime as dt


def test_check_account_is_registered_routed_and_declared() -> None:
    from tasks.mailbox_health import tasks
    from workers.automations import MailboxHealthParams
    from workers.celery_app import app
    from workers.queues import Queue, queue_for

    assert tasks.CHECK_ACCOUNT == "tasks.mailbox_health.check_account"
    assert tasks.CHECK_ACCOUNT in app.tasks
    assert queue_for(tasks.CHECK_ACCOUNT) is Queue.SCHEDULED
    assert (tasks.CHECK.name, tasks.CHECK.task_name) == ("mailbox_health", tasks.CHECK_ACCOUNT)
    assert tasks.CHECK.local_time == dt.time(8, 0)
    assert MailboxHealthParams(local_hour=7).local_time == "07:00"
    assert "local_time" not in MailboxHealthParams().model_dump()  # stored params stay valid
