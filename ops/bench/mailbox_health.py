"""Mailbox-health benchmark (automation 7): what a morning costs on a Smartlead key.

    python -m ops.bench.mailbox_health [--mailboxes 1000] [--accounts 4] [--weak-percent 5]
                                       [--redis URL]

``--accounts`` accounts of one agency share one key (one client id each) and split
``--mailboxes`` between them; the key has the default plan (10 per 2 s and 60 per 60 s) in the
Smartlead sandbox (in this process, loopback). Three mornings: all healthy; ``--weak-percent``
of the mailboxes turn weak (half on reputation, half on SMTP); no change. Each account's check
runs as the mechanism runs it, and a limiter deferral is waited out and the run repeated, as
ApiTask would. Prints per morning: requests on the key (vs one listing per account), wall time,
deferrals, Slack messages, and the largest message's blocks and longest text.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from typing import Any

import httpx

from ops.bench.intake_stack import private_redis, setup_env

KEY = "sl-bench-mailboxes"
PAGE = 100


def _run(account_id: int, day: dt.date) -> tuple[dict[str, Any], int]:
    from tasks.mailbox_health.flow import check_mailboxes
    from workers.clients.errors import RateLimitDeferred
    from workers.scheduling import RunContext

    deferrals = 0
    while True:
        ctx = RunContext(0, "mailbox_health", account_id, day.isoformat(), day, day, "UTC")
        try:
            check_mailboxes(ctx)
            return ctx.summary, deferrals
        except RateLimitDeferred as exc:
            deferrals += 1
            time.sleep(exc.retry_after)


def _accounts(sl: str, sk: str, n: int) -> list[int]:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    ids = []
    with session_scope() as s:
        for i in range(n):
            a = Account(
                slug=f"bench{i}",
                name=f"Bench client {i}",
                smartlead_api_key=KEY,
                smartlead_base_url=f"{sl}/api/v1",
                smartlead_client_id=100 + i,
                slack_webhook_url=f"{sk}/services/T9/B9/bench{i}",
            )
            s.add(a)
            s.flush()
            set_automation(s, a, "mailbox_health")
            ids.append(a.id)
    return ids


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--mailboxes", type=int, default=1000)
    p.add_argument("--accounts", type=int, default=4)
    p.add_argument("--weak-percent", type=float, default=5.0)
    p.add_argument("--redis", default="", help="a Redis URL to flush and use (default: private)")
    args = p.parse_args(argv)
    from ops.sandbox import slack, smartlead
    from ops.sandbox.serve import serve
    from ops.sandbox.smartlead_state import key_hash

    with private_redis(args.redis) as url:
        setup_env(url)
        from workers.logging import configure_logging

        configure_logging(level="WARNING")
        with (
            serve(smartlead.create_app()) as sl,
            serve(slack.create_app(rate_per_second=50, burst=50)) as sk,
        ):
            httpx.post(f"{sl}/admin/keys", json={"api_key": KEY}).raise_for_status()
            boxes = [
                {"email": f"sdr{i:05d}@bench.test", "client_id": 100 + i % args.accounts}
                for i in range(args.mailboxes)
            ]
            box_ids = httpx.post(
                f"{sl}/admin/mailboxes/batch", json={"api_key": KEY, "mailboxes": boxes}
            ).json()["ids"]
            accounts = _accounts(sl, sk, args.accounts)
            pages = args.mailboxes // PAGE + 1
            print(
                f"{args.mailboxes} mailboxes, {args.accounts} accounts on one key (default plan); "
                f"one listing = {pages} pages; one listing per account would be "
                f"{pages * args.accounts} requests a morning"
            )
            weak_n = int(args.mailboxes * args.weak_percent / 100)
            before = 0
            for morning in (1, 2, 3):
                if morning == 2:
                    for j, box in enumerate(box_ids[:weak_n]):
                        change = {"reputation": "55%"} if j % 2 else {"is_smtp_success": False}
                        httpx.post(f"{sl}/admin/mailboxes/{box}", json=change).raise_for_status()
                day = dt.date(2026, 12, morning)
                t0 = time.monotonic()
                summaries = [_run(a, day) for a in accounts]
                wall = time.monotonic() - t0
                stats = httpx.get(f"{sl}/admin/stats").json()["keys"][key_hash(KEY)]
                messages = httpx.get(f"{sk}/admin/messages").json()["messages"]
                biggest = max((len(m["blocks"]) for m in messages), default=0)
                longest = max(
                    (len(b.get("text", {}).get("text", "")) for m in messages for b in m["blocks"]),
                    default=0,
                )
                print(
                    f"morning {morning}: {stats['requests'] - before} requests on the key, "
                    f"{wall:.2f} s for {args.accounts} accounts, "
                    f"deferrals {sum(d for _, d in summaries)}, "
                    f"new weak {sum(s['new_weak'] for s, _ in summaries)}, "
                    f"Slack messages so far {len(messages)} (largest {biggest} blocks, "
                    f"longest text {longest} chars), 429s {stats['rate_limited']}"
                )
                before = stats["requests"]
            print(json.dumps({"alerts": [s["alert"] for s, _ in summaries]}))


if __name__ == "__main__":
    main()
