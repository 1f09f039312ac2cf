"""Queue names, declared once: used by routing, the worker command and a test."""

from __future__ import annotations

from enum import StrEnum


class Queue(StrEnum):
    # Webhook-driven work (replies, categories, single form/visit events): a lane that bulk work
    # for the same key cannot starve.
    REALTIME = "realtime"
    # Bulk lead uploads (chunks) and CSV imports.
    BULK = "bulk"
    # Beat dispatchers and the per-account checks they fan out.
    SCHEDULED = "scheduled"
    # Housekeeping: ping, dead-letter replay, maintenance.
    DEFAULT = "default"


ALL_QUEUES: tuple[str, ...] = tuple(q.value for q in Queue)

# Task-name prefix -> queue. The most specific prefix wins.
ROUTES: dict[str, Queue] = {
    "tasks.ping": Queue.DEFAULT,
    "tasks.maintenance": Queue.DEFAULT,
    "tasks.lead_intake.upload_chunk": Queue.BULK,
    "tasks.lead_intake.import": Queue.BULK,
    "tasks.lead_intake": Queue.REALTIME,
    "tasks.form_nurture": Queue.REALTIME,
    "tasks.visit_followup": Queue.REALTIME,
    "tasks.crm_sync": Queue.REALTIME,
    "tasks.blocklist": Queue.REALTIME,
    # Onboarding: operator- or CRM-triggered, a few dozen calls on the bulk limiter lane.
    "tasks.onboarding": Queue.REALTIME,
    "tasks.onboarding.resume_stalled": Queue.SCHEDULED,
    "tasks.dispatch": Queue.SCHEDULED,
    "tasks.analytics_snapshot": Queue.SCHEDULED,
    "tasks.reply_guard": Queue.SCHEDULED,
    "tasks.send_days": Queue.SCHEDULED,
    "tasks.scheduling": Queue.SCHEDULED,
    "tasks.schedule_probe": Queue.SCHEDULED,
    "tasks.mailbox_health": Queue.SCHEDULED,
}


def queue_for(task_name: str) -> Queue:
    best: tuple[int, Queue] | None = None
    for prefix, queue in ROUTES.items():
        matches = task_name == prefix or task_name.startswith(prefix + ".")
        if matches and (best is None or len(prefix) > best[0]):
            best = (len(prefix), queue)
    return best[1] if best else Queue.DEFAULT


def route_task(
    name: str, args: object, kwargs: object, options: object, task: object = None, **kw: object
) -> dict[str, str]:
    """Celery router: every task lands on a declared queue."""
    return {"queue": queue_for(name).value}
