"""`python -m ops.bench.onboarding [--clients 4]`: what an onboarding (automation 8) costs in
Smartlead calls and time at the default rate limit (10 per 2 s and 60 per 60 s per key), alone
and with N new clients onboarded at once from one template (their template reads share the
agency key's budget). Private Redis, fresh SQLite, the sandbox in its own process, one worker
with 4 processes. Prints figures; asserts nothing."""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

import httpx

from ops.bench.intake_stack import admin, private_redis, roles, sandbox_process, setup_env

LIMITS = [[10, 2], [60, 60]]
AGENCY_KEY = "sl-bench-agency"
TEMPLATE = {
    "settings": {"track_settings": ["DONT_TRACK_EMAIL_OPEN"], "follow_up_percentage": 70},
    "schedule": {
        "timezone": "Europe/London",
        "days_of_the_week": [1, 2, 3, 4, 5],
        "start_hour": "9",
        "end_hour": "17:00",
        "min_time_btw_emails": 10,
        "max_new_leads_per_day": 30,
    },
    "sequences": [
        {
            "seq_number": n,
            "seq_delay_details": {"delayInDays": 2 * (n - 1)},
            "subject": f"Step {n}",
            "email_body": f"<p>Body {n}</p>",
        }
        for n in (1, 2, 3, 4)
    ],
}


def _floor(calls: int) -> float:
    """Seconds the strict limit needs for ``calls`` requests on one key (a full burst first)."""
    return max((math.ceil(calls / limit) - 1) * window for limit, window in LIMITS)


def _setup(sl: str, clients: int) -> tuple[int, int, list[tuple[int, str, list[int]]]]:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    keys = [f"sl-bench-client-{i}" for i in range(clients)]
    for key in (AGENCY_KEY, *keys):
        admin(sl, "keys", {"api_key": key, "limits": LIMITS})
    template = int(admin(sl, "campaigns", {"api_key": AGENCY_KEY, "name": "Template"})["id"])
    admin(sl, f"campaigns/{template}/raw", TEMPLATE)
    out = []
    with session_scope() as s:
        agency = Account(slug="agency", name="Agency", smartlead_api_key=AGENCY_KEY,
                         smartlead_base_url=f"{sl}/api/v1")  # fmt: skip
        s.add(agency)
        for i, key in enumerate(keys):
            box = int(admin(sl, "mailboxes", {"api_key": key, "email": f"s@c{i}.test"})["id"])
            client = Account(slug=f"client{i}", name=f"Client {i}", timezone="America/Chicago",
                             smartlead_api_key=key, smartlead_base_url=f"{sl}/api/v1")  # fmt: skip
            s.add(client)
            s.flush()
            set_automation(s, client, "onboarding", params={"mailbox_ids": [box]})
            out.append((client.id, key, [box]))
        s.flush()
        agency_id = agency.id
    return agency_id, template, out


def _onboard(agency_id: int, template: int, clients: list[tuple[int, str, list[int]]]) -> float:
    """Enqueue one onboarding per client at once; seconds until all have finished."""
    from tasks.onboarding.store import create_run, find_run
    from tasks.onboarding.tasks import ADVANCE
    from workers.celery_app import app

    started = time.monotonic()
    ids = []
    for account_id, key, _ in clients:
        run, _ = create_run(
            account_id=account_id,
            template_account_id=agency_id,
            template_campaign_id=template,
            name=f"Onboarded {key} {time.time_ns()}",
        )
        app.send_task(ADVANCE, kwargs={"run_id": run.id})
        ids.append(run.id)
    deadline = started + 600
    while time.monotonic() < deadline:
        runs = [find_run(i) for i in ids]
        if all(r is not None and r.state in ("succeeded", "failed") for r in runs):
            failed = [r.error for r in runs if r is not None and r.state == "failed"]
            if failed:
                raise SystemExit(f"onboarding failed: {failed[0]}")
            return time.monotonic() - started
        time.sleep(0.2)
    raise SystemExit("onboardings did not finish within 600 s")


def _calls(sl: str, key: str) -> dict[str, Any]:
    from ops.sandbox.smartlead_state import key_hash

    stats = httpx.get(f"{sl}/admin/stats", timeout=10).json()["keys"].get(key_hash(key), {})
    by_method = stats.get("requests_by_method", {})
    return {
        "reads": by_method.get("GET", 0),
        "writes": sum(n for m, n in by_method.items() if m != "GET"),
        "429": stats.get("rate_limited", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=4, help="onboarded at once")
    parser.add_argument("--redis-url", default="", help="default: a private redis-server")
    args = parser.parse_args()
    with private_redis(args.redis_url) as url:
        tmp = setup_env(url)
        log_dir = Path(tmp)
        with sandbox_process(log_dir) as sl:
            agency_id, template, clients = _setup(sl, args.clients + 1)
            with roles(workers=1, concurrency=4, log_dir=log_dir):
                one = _onboard(agency_id, template, clients[:1])
                first = _calls(sl, clients[0][1])
                agency_one = _calls(sl, AGENCY_KEY)
                many = _onboard(agency_id, template, clients[1:])
                agency_all = _calls(sl, AGENCY_KEY)
    per_run = first["reads"] + first["writes"]
    print("onboarding (automation 8) at 10/2s + 60/60s per key")
    print(
        f"  one run: {one:.2f} s; client key {first['reads']} reads + {first['writes']} writes"
        f" ({per_run} calls, limit floor {_floor(per_run):.0f} s, {first['429']} x 429);"
        f" agency key {agency_one['reads']} reads, {agency_one['writes']} writes"
    )
    agency_reads = agency_all["reads"] - agency_one["reads"]
    print(
        f"  {args.clients} runs at once: {many:.2f} s; agency key {agency_reads} reads "
        f"(limit floor {_floor(agency_reads):.0f} s), {agency_all['429']} x 429 in all"
    )


if __name__ == "__main__":
    main()
