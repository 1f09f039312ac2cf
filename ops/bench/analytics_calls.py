"""How many Smartlead API calls the daily analytics snapshot costs one account with N campaigns.

Runs the snapshot's real work (``tasks.analytics_snapshot.flow``) against the Smartlead sandbox
over loopback (private Redis, SQLite in a temp dir): the first day (every campaign new: a 30-day
backfill), the next day (steady state: yesterday + the correction days), and a second account
on the same agency key (the campaign listing is shared). Calls are counted by the sandbox
itself and compared with ``tasks.analytics_snapshot.smartlead.calls_per_day``.

    python -m ops.bench.analytics_calls [--campaigns 1,10,50] [--backfill-days 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from ops.bench.intake_stack import private_redis, setup_env

TODAY = dt.date(2026, 1, 2)
TZ = "Europe/Paris"
_run_ids = itertools.count(1)


def _admin(base: str, path: str, body: dict[str, Any] | None = None) -> Any:
    r = httpx.request("POST" if body is not None else "GET", f"{base}/admin{path}", json=body)
    r.raise_for_status()
    return r.json()


def _requests(base: str, api_key: str) -> int:
    from ops.sandbox.smartlead_state import key_hash

    return int(_admin(base, "/stats")["keys"].get(key_hash(api_key), {}).get("requests", 0))


def _account(base: str, slug: str, api_key: str, client_id: int, params: dict[str, Any]) -> int:
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    with session_scope() as s:
        account = Account(
            slug=slug,
            name=slug,
            timezone=TZ,
            smartlead_api_key=api_key,
            smartlead_base_url=f"{base}/api/v1",
            smartlead_client_id=client_id,
            rate_limit_plan="custom",
            rate_limits=[[10_000, 1]],
        )
        s.add(account)
        s.flush()
        set_automation(s, account, "analytics_snapshot", params=params)
        return account.id


def _run(account_id: int, period_start: dt.date) -> dict[str, Any]:
    from tasks.analytics_snapshot import flow
    from workers.scheduling import RunContext

    ctx = RunContext(
        run_id=next(_run_ids),
        check="analytics_snapshot",
        account_id=account_id,
        period_key=period_start.isoformat(),
        period_start=period_start,
        period_end=period_start,
        timezone=TZ,
    )
    flow.snapshot_account(ctx)
    return ctx.summary


def measure(base: str, n: int, backfill_days: int) -> dict[str, int]:
    """Calls for an account with ``n`` campaigns: first day, next day, second account."""
    key = f"sl-bench-analytics-{n}-{backfill_days}"
    _admin(base, "/keys", {"api_key": key, "limits": [[10_000, 1]]})
    params = {"backfill_days": backfill_days}
    first = _account(base, f"bench-{n}-{backfill_days}-a", key, 1, params)
    second = _account(base, f"bench-{n}-{backfill_days}-b", key, 2, params)
    day = TODAY - dt.timedelta(days=1)
    history = [(day - dt.timedelta(days=i)).isoformat() for i in range(backfill_days + 1)]
    for client_id in (1, 2):
        for i in range(n):
            cid = _admin(
                base,
                "/campaigns",
                {"api_key": key, "name": f"c{i}", "status": "ACTIVE", "client_id": client_id},
            )["id"]
            days = [{"date": d, "sent": 50, "replied": 2, "positive_replied": 1} for d in history]
            _admin(base, "/analytics/days", {"campaign_id": cid, "days": days})
    out = {}
    before = _requests(base, key)
    _run(first, TODAY)
    out["first_day"] = _requests(base, key) - before
    before = _requests(base, key)
    _run(first, TODAY + dt.timedelta(days=1))
    out["next_day"] = _requests(base, key) - before
    before = _requests(base, key)
    _run(second, TODAY + dt.timedelta(days=1))  # the same day's listing: already fetched
    out["second_account_same_key"] = _requests(base, key) - before
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--campaigns", default="1,10,50", help="comma-separated campaign counts")
    ap.add_argument("--backfill-days", type=int, default=30)
    ap.add_argument("--redis-url", default="", help="a Redis db to flush and use (default: own)")
    args = ap.parse_args()
    counts = [int(c) for c in args.campaigns.split(",") if c.strip()]

    from ops.sandbox import smartlead
    from ops.sandbox.serve import serve
    from tasks.analytics_snapshot.smartlead import calls_per_day
    from workers.logging import configure_logging

    with private_redis(args.redis_url) as redis_url:
        setup_env(redis_url)
        configure_logging(level="WARNING")
        with serve(smartlead.create_app()) as base:
            table = Table(
                "campaigns",
                "first day (backfill)",
                "next day",
                "2nd account on the key (its first day)",
                "per campaign per day",
                "predicted (next day)",
                title=f"Smartlead calls per account and day (backfill {args.backfill_days} days)",
            )
            for n in counts:
                got = measure(base, n, args.backfill_days)
                predicted = calls_per_day(n)
                first_predicted = calls_per_day(
                    n, new_campaigns=n, backfill_days=args.backfill_days
                )
                assert got["next_day"] == predicted, (got, predicted)
                assert got["first_day"] == first_predicted, (got, first_predicted)
                table.add_row(
                    str(n),
                    str(got["first_day"]),
                    str(got["next_day"]),
                    str(got["second_account_same_key"]),
                    f"{(got['next_day'] - 1) / n:g} (+1 listing per key)",
                    str(predicted),
                )
            Console(width=130).print(table)


if __name__ == "__main__":
    main()
