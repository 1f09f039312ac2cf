"""The probe's work: one shared campaign listing per key and period (bulk lane), the account's
own rows, optionally ``campaign_reads`` per-account reads; counts in the run summary.

Every execution also counts itself in Redis (``WORK_KEY``, field ``account:period#seq``) and
every listing call made (``LISTINGS_KEY``, field ``key_group:period``), so a test or the
benchmark can tell that each run's work happened exactly once, and each listing once per key.
"""

from __future__ import annotations

import time
from typing import Any

from workers.accounts import automation_config, get_account
from workers.clients.factory import smartlead_for
from workers.db import session_scope
from workers.redis_client import redis_client
from workers.scheduling import RunContext, shared_listing
from workers.scheduling.shared import key_group, rows_for_client

WORK_KEY = "leadops:schedule_probe:work"
LISTINGS_KEY = "leadops:schedule_probe:listings"  # field "key_group:period": listing calls


def probe(ctx: RunContext) -> None:
    with session_scope() as s:
        account = get_account(s, ctx.account_id)
        if account is None:
            ctx.skip("account deleted")
            return
        params = automation_config(account, "schedule_probe").params
    client = smartlead_for(account, lane="bulk")
    fetched: list[bool] = []

    def fetch() -> list[dict[str, Any]]:
        rows = [c.model_dump(mode="json") for c in client.list_campaigns()]
        fetched.append(True)
        redis_client().hincrby(LISTINGS_KEY, f"{key_group(account)}:{ctx.period_key}", 1)
        return rows

    rows = shared_listing(account, "campaigns", ctx.period_key, fetch)
    mine = rows_for_client(rows, account.smartlead_client_id)
    reads = 0
    for row in mine[: params.campaign_reads]:
        client.get_campaign(int(row["id"]))
        reads += 1
    if params.sleep_seconds:
        time.sleep(params.sleep_seconds)
    redis_client().hincrby(WORK_KEY, f"{ctx.account_id}:{ctx.period_key}#{ctx_seq(ctx)}", 1)
    ctx.summary.update(
        {
            "key_group": key_group(account),
            "listing_fetched": bool(fetched),
            "campaigns_on_key": len(rows),
            "campaigns_mine": len(mine),
            "active": sum(1 for row in mine if row.get("status") == "ACTIVE"),
            "campaign_reads": reads,
            "dry_run": ctx.dry_run,
        }
    )


def ctx_seq(ctx: RunContext) -> str:
    """Forced runs are counted apart from the period's own run."""
    return f"forced-{ctx.run_id}" if ctx.forced else "0"
