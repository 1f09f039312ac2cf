"""Test and benchmark probes for the shared limiter: one Smartlead call per task.

Not an automation: used by tests/integration/test_rate_limit_*.py and ops/bench/. Send them with
an explicit ``queue=`` ("realtime" or "bulk") to exercise the lanes.
"""

from __future__ import annotations

import os
import time
from typing import Any

from workers.accounts import get_account
from workers.celery_app import app
from workers.clients.errors import ApiError
from workers.clients.factory import smartlead_for
from workers.clients.smartlead import SmartleadClient
from workers.db import session_scope
from workers.task_base import ApiTask
from workers.task_names import LIMITER_PROBE_CALL, LIMITER_PROBE_CELERY_RATE_LIMIT


def _client(account_id: int, lane: str, gated: bool) -> SmartleadClient:
    with session_scope() as s:
        account = get_account(s, account_id)
        if account is None:
            raise LookupError(f"no account {account_id}")
        if gated:
            return smartlead_for(account, lane=lane)
        return SmartleadClient(
            account.smartlead_api_key or "", base_url=account.smartlead_base_url or None
        )


def _call(client: SmartleadClient, campaign_id: int | None, leads: int, tag: str) -> None:
    if leads and campaign_id is not None:
        client.add_leads(campaign_id, [{"email": f"{tag}-{i}@probe.example"} for i in range(leads)])
    else:
        client.list_campaigns()


@app.task(
    base=ApiTask,
    bind=True,
    name=LIMITER_PROBE_CALL,
    max_retries=3,
    automation="limiter_probe",
)
def call(
    self: ApiTask,
    account_id: int,
    lane: str = "realtime",
    campaign_id: int | None = None,
    leads: int = 0,
    sent_at: float | None = None,
) -> dict[str, Any]:
    """One Smartlead call through the shared limiter (list campaigns, or add ``leads`` leads)."""
    _call(_client(account_id, lane, True), campaign_id, leads, f"{self.request.id}")
    return {
        "pid": os.getpid(),
        "retries": self.request.retries,
        "deferrals": self.deferrals(),
        "done_at": time.time(),
        "sent_at": sent_at,
    }


@app.task(bind=True, name=LIMITER_PROBE_CELERY_RATE_LIMIT, rate_limit=None)
def call_celery_rate_limit(
    self: Any, account_id: int, campaign_id: int | None = None, leads: int = 0
) -> dict[str, Any]:
    """The same call limited only by Celery's own per-worker ``rate_limit`` (set at run time with
    ``app.control.rate_limit``), for the benchmark's comparison. Errors are returned, not
    retried, so the benchmark counts exactly what was sent."""

    try:
        _call(_client(account_id, "realtime", False), campaign_id, leads, f"{self.request.id}")
        return {"ok": True, "done_at": time.time()}
    except ApiError as exc:
        return {"ok": False, "status": exc.status_code, "done_at": time.time()}
