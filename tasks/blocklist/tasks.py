"""Automation 6: an unsubscribe (or a blocking category, via tasks.crm_sync) blocks the address
in every Smartlead account the agency's scope reaches: one push task per account, each through
that account's own key limiter, each outcome in BlockPush. The block itself is kept
in the shared store (workers/blocklist.py); propagation is in flow.py beside this file.
"""

from __future__ import annotations

from typing import Any

from tasks.blocklist import flow
from workers.celery_app import app
from workers.clients.factory import smartlead_for
from workers.task_base import ApiTask
from workers.task_names import HANDLE_UNSUBSCRIBE, PUSH_BLOCK


@app.task(base=ApiTask, bind=True, name=HANDLE_UNSUBSCRIBE, automation="blocklist")
def handle_unsubscribe(
    self: ApiTask,
    account_id: int,
    event_id: str,
    email: str,
    reason: str = "unsubscribed",
    campaign_id: str | None = None,
) -> dict[str, Any]:
    """LEAD_UNSUBSCRIBED -> BlockedAddress + one push_to_account task per target account."""
    why = f"{reason} (campaign {campaign_id})" if campaign_id else reason
    return flow.block_from_event(
        account_id, event_id, email, why, trigger="unsubscribe", task_id=self.request.id
    )


@app.task(base=ApiTask, bind=True, name=PUSH_BLOCK, automation="blocklist")
def push_to_account(self: ApiTask, blocked_id: int, account_id: int) -> dict[str, Any]:
    """Add one blocked address to one account's Smartlead global block list, at most once."""
    return flow.push_one(
        blocked_id,
        account_id,
        client_for=lambda account: smartlead_for(account, lane="realtime"),
        task_id=self.request.id,
    )
