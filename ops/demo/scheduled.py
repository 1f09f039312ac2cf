"""Demo scenario for the scheduling mechanism (issue 11): a check's dispatcher tick, sent twice as
two Beats would, runs the check once per account and local day through a real worker; two
accounts sharing one agency key list its campaigns once; a forced manual run is recorded as a
second run of the period. Uses the probe check (``tasks/schedule_probe``). Run by
ops/demo/run.py.
"""

from __future__ import annotations

import httpx
from rich.table import Table
from sqlalchemy import select

from ops.demo.context import DemoContext, console, wait_until
from tasks.schedule_probe.flow import LISTINGS_KEY
from tasks.schedule_probe.tasks import CHECK as PROBE  # registers the check in this process
from workers.accounts import set_automation
from workers.celery_app import app
from workers.db import session_scope
from workers.models import Account
from workers.redis_client import redis_client
from workers.scheduling.manual import request_run
from workers.scheduling.records import ScheduledRun
from workers.task_names import DISPATCH_CHECK

CHECK = PROBE.name
AGENCY_KEY = "sl-demo-agency-shared"
OWN_KEY = "sl-demo-sched-own"
# (slug, time zone, key, client id): the first two share the agency key.
ACCOUNTS = (
    ("sched-paris", "Europe/Paris", AGENCY_KEY, 1),
    ("sched-berlin", "Europe/Berlin", AGENCY_KEY, 2),
    ("sched-ny", "America/New_York", OWN_KEY, None),
)


def _setup(ctx: DemoContext) -> list[int]:
    sl = ctx.sandboxes["smartlead"]
    for key in (AGENCY_KEY, OWN_KEY):
        httpx.post(f"{sl}/admin/keys", json={"api_key": key}, timeout=10).raise_for_status()
    for client_id in (1, 2):
        httpx.post(
            f"{sl}/admin/campaigns",
            json={"api_key": AGENCY_KEY, "name": f"Client {client_id}", "client_id": client_id},
            timeout=10,
        ).raise_for_status()
    ids = []
    with session_scope() as s:
        for slug, tz, key, client_id in ACCOUNTS:
            a = Account(
                slug=slug,
                name=slug.replace("-", " ").title(),
                timezone=tz,
                smartlead_api_key=key,
                smartlead_base_url=f"{sl}/api/v1",
                smartlead_client_id=client_id,
            )
            s.add(a)
            s.flush()
            # Due at local midnight: whatever the hour now, today's local run is due.
            set_automation(s, a, CHECK, params={"local_time": "00:00"})
            ids.append(a.id)
    return ids


def _runs(account_ids: list[int]) -> list[ScheduledRun]:
    with session_scope() as s:
        return list(
            s.scalars(
                select(ScheduledRun)
                .where(ScheduledRun.check_name == CHECK, ScheduledRun.account_id.in_(account_ids))
                .order_by(ScheduledRun.account_id, ScheduledRun.seq)
            )
        )


def scenario_scheduled_checks(ctx: DemoContext) -> None:
    console.rule("scheduled checks: two ticks, each account once per local day, via a worker")
    ids = _setup(ctx)
    for _ in range(2):  # two Beats (or a Beat restart) sending the same tick
        app.send_task(DISPATCH_CHECK, kwargs={"check": CHECK})

    def all_done() -> list[ScheduledRun] | None:
        runs = _runs(ids)
        return runs if len(runs) == len(ids) and all(r.state == "done" for r in runs) else None

    runs = wait_until(all_done, 60, 0.5) or _runs(ids)
    ctx.check(
        "one run per account and local day",
        len(runs) == len(ids) and all(r.state == "done" for r in runs),
        ", ".join(f"{r.period_key} {r.state}" for r in runs),
    )
    listings = {k.decode(): int(v) for k, v in redis_client().hgetall(LISTINGS_KEY).items()}
    ctx.check(
        "shared key listed once",
        sorted(listings.values()) == [1, 1],
        f"{sum(listings.values())} listing call(s) for {len(ids)} accounts on 2 keys "
        "(once per key and local day)",
    )
    forced = request_run(CHECK, ids[0], force=True)
    rerun = wait_until(
        lambda: [r for r in _runs(ids[:1]) if r.seq == forced.seq and r.state == "done"], 60, 0.5
    )
    ctx.check(
        "forced run recorded as such",
        bool(rerun) and rerun[0].forced,
        f"run {forced.run_id}: period {forced.period_key} seq {forced.seq}",
    )
    table = Table("run", "account", "local period", "seq", "state", "trigger", "summary")
    for r in _runs(ids):
        summary = r.summary or {}
        table.add_row(
            str(r.id),
            str(r.account_id),
            r.period_key,
            str(r.seq),
            r.state,
            r.trigger or "",
            f"{summary.get('campaigns_mine', '?')} of {summary.get('campaigns_on_key', '?')} "
            "campaigns on the key",
        )
    console.print(table)
