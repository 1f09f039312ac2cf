"""Automation 3: Smartlead replies and reply categories -> the account's HubSpot contact.

The entry points; beside them: ``events.py`` reads the webhook into one value, ``sync.py`` orders
and applies events per contact, ``hubspot.py`` writes one event to one contact. Task names and
kwargs are the gateway's contract (workers/task_names.py); ApiTask retries 429/5xx with
backoff, reschedules when the shared limiter (or the per-contact lock) says wait, and
dead-letters a 4xx with HubSpot's message.
"""

from __future__ import annotations

from typing import Any

from tasks.crm_sync import sync as crm_sync
from workers.celery_app import app
from workers.clients.factory import hubspot_for, slack_for
from workers.task_base import ApiTask
from workers.task_names import HANDLE_SMARTLEAD_EVENT, NOTIFY_CRM_SLACK


@app.task(base=ApiTask, bind=True, name=HANDLE_SMARTLEAD_EVENT, automation="crm_sync")
def handle_smartlead_event(
    self: ApiTask, account_id: int, event_id: str, event_type: str, event: dict[str, Any]
) -> dict[str, Any]:
    """EMAIL_REPLY / LEAD_CATEGORY_UPDATED -> HubSpot; a blocking category -> block list."""
    return crm_sync.handle_event(
        account_id, event_id, event_type, event, hubspot_for=hubspot_for, task_id=self.request.id
    )


@app.task(base=ApiTask, bind=True, name=NOTIFY_CRM_SLACK, automation="crm_sync")
def notify_slack(
    self: ApiTask,
    account_id: int,
    event_id: str,
    email: str,
    category: str | None = None,
    campaign: str | None = None,
    preview: str = "",
) -> dict[str, Any]:
    """An Interested / Meeting Request reply -> the account's Slack channel (once per event)."""
    return crm_sync.notify_slack(
        account_id,
        event_id,
        email,
        category,
        campaign,
        preview,
        slack_for=slack_for,
        task_id=self.request.id,
    )
