"""Benchmark of the scheduling mechanism (prints figures; not a timed test).

    python -m ops.bench.schedule [--fanout 1000,10000,100000] [--no-e2e] [--redis-url URL]

Fan-out: N accounts in 50 time zones, all due in one tick (each zone's local due time set ten
minutes back), one dispatcher tick in this process against a generated SQLite database and a
private Redis: dispatch time, database statements per tick, Redis memory added (claims vs the
queued messages), enqueue spread; then the steady-state tick that finds everything claimed.

End to end (``ops/bench/schedule_e2e.py``): 1,100 accounts (10 Smartlead keys shared by 100
accounts each through client_id, 100 with their own key) running the probe check against the
Smartlead sandbox with real Beat and worker processes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from typing import Any

from ops.bench import intake_stack as stack

ZONES = [
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
    "America/Phoenix", "America/Chicago", "America/Mexico_City", "America/New_York",
    "America/Toronto", "America/Bogota", "America/Caracas", "America/Halifax",
    "America/Santiago", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
    "America/St_Johns", "Atlantic/Azores", "Atlantic/Reykjavik", "Europe/London",
    "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid", "Africa/Lagos",
    "Africa/Johannesburg", "Europe/Athens", "Europe/Helsinki", "Africa/Cairo",
    "Europe/Istanbul", "Europe/Moscow", "Asia/Dubai", "Asia/Tehran", "Asia/Karachi",
    "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Yangon", "Asia/Bangkok",
    "Asia/Jakarta", "Asia/Singapore", "Asia/Shanghai", "Asia/Manila", "Australia/Perth",
    "Asia/Tokyo", "Asia/Seoul", "Australia/Adelaide", "Australia/Sydney",
    "Pacific/Noumea", "Pacific/Auckland", "Pacific/Chatham",
]  # fmt: skip
CHECK = "schedule_probe"


def generate_accounts(n: int, now: dt.datetime, params: dict[str, Any] | None = None) -> None:
    """N accounts round-robin over 50 zones, the probe enabled and due ten minutes ago."""
    from sqlalchemy import insert

    from workers.db import session_scope
    from workers.models import Account, AutomationSetting
    from workers.scheduling.due import zone

    due = now - dt.timedelta(minutes=10)
    local = {tz: due.astimezone(zone(tz)).strftime("%H:%M") for tz in ZONES}
    enabled_at = now - dt.timedelta(days=2)
    with session_scope() as s:
        for start in range(0, n, 20_000):
            ids = range(start, min(n, start + 20_000))
            s.execute(
                insert(Account),
                [
                    {
                        "id": i + 1,
                        "slug": f"bench-{i}",
                        "name": f"Bench {i}",
                        "timezone": ZONES[i % len(ZONES)],
                        "active": True,
                        "rate_limit_plan": "default",
                        "webhook_secrets": {},
                        "created_at": enabled_at,
                    }
                    for i in ids
                ],
            )
            s.execute(
                insert(AutomationSetting),
                [
                    {
                        "account_id": i + 1,
                        "automation": CHECK,
                        "enabled": True,
                        "dry_run": False,
                        "params": {"local_time": local[ZONES[i % len(ZONES)]], **(params or {})},
                        "updated_at": enabled_at,
                    }
                    for i in ids
                ],
            )


class StatementCounter:
    """Database round trips (cursor executions) while active."""

    def __init__(self) -> None:
        from sqlalchemy import event

        from workers.db import get_engine

        self.count, self.engine = 0, get_engine()
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1

    def take(self) -> int:
        n, self.count = self.count, 0
        return n


def _used_memory(r: Any) -> int:
    return int(r.info("memory")["used_memory"])


def fanout(n: int, redis_url: str) -> dict[str, Any]:
    stack.setup_env(redis_url)
    import redis

    from tasks.schedule_probe.tasks import CHECK as probe
    from workers.scheduling.dispatch import dispatch_check
    from workers.scheduling.metrics import dispatch_stats

    r = redis.Redis.from_url(redis_url)
    now = dt.datetime.now(dt.UTC)
    t0 = time.perf_counter()
    generate_accounts(n, now)
    generated = time.perf_counter() - t0
    counter = StatementCounter()
    before = _used_memory(r)
    first = dispatch_check(probe, now)
    statements = counter.take()
    after = _used_memory(r)
    queued = int(r.llen("scheduled"))
    r.delete("scheduled")
    claims_only = _used_memory(r)
    second = dispatch_check(probe, now + dt.timedelta(minutes=15))
    steady_statements = counter.take()
    cds = sorted(first.countdowns)
    return {
        "accounts": n,
        "generate_s": generated,
        "dispatch_s": first.seconds,
        "us_per_account": first.seconds / n * 1e6,
        "statements": statements,
        "enqueued": first.enqueued,
        "messages": first.messages,
        "queued_messages": queued,
        "redis_added_mb": (after - before) / 2**20,
        "redis_claims_mb": max(0, claims_only - before) / 2**20,
        "bytes_per_run": (after - before) / max(1, first.enqueued),
        "window_s": first.window_seconds,
        "countdown_p50": statistics.median(cds) if cds else 0.0,
        "countdown_max": cds[-1] if cds else 0.0,
        "steady_s": second.seconds,
        "steady_statements": steady_statements,
        "steady_enqueued": second.enqueued,
        "ticks_recorded": dispatch_stats(r, CHECK).get("ticks", 0),
    }


def print_fanout(rows: list[dict[str, Any]]) -> None:
    print("\n== fan-out: one tick, every account due, 50 time zones ==")
    head = (
        f"{'accounts':>9} {'dispatch':>9} {'us/acct':>8} {'stmts':>6} {'enqueued':>9} {'msgs':>5} "
        f"{'redis+':>8} {'claims':>8} {'B/run':>6} {'window':>7} {'cd p50':>7} {'cd max':>7} "
        f"{'2nd tick':>9} {'stmts':>6}"
    )
    print(head)
    for x in rows:
        print(
            f"{x['accounts']:>9,} {x['dispatch_s']:>8.2f}s {x['us_per_account']:>8.0f} "
            f"{x['statements']:>6} {x['enqueued']:>9,} {x['messages']:>5} "
            f"{x['redis_added_mb']:>7.1f}M "
            f"{x['redis_claims_mb']:>7.1f}M {x['bytes_per_run']:>6.0f} {x['window_s']:>6.0f}s "
            f"{x['countdown_p50']:>6.0f}s {x['countdown_max']:>6.0f}s {x['steady_s']:>8.2f}s "
            f"{x['steady_statements']:>6}"
        )
    print(
        "stmts = database round trips in the tick (constant); msgs = messages the tick published "
        "(runs, or enqueue tasks of 200 runs each, sent with their slice's countdown, that "
        "publish the runs); redis+ = memory added (claims and queued messages), claims = what "
        "stays once the messages are consumed; window = "
        "spread of the countdowns (LEADOPS_SCHEDULE_SPREAD_SECONDS / _ENQUEUE_RATE), far under "
        "the visibility timeout; 2nd tick = the next tick, everything already claimed."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fanout", default="1000,10000,100000", help="account counts ('' = none)")
    ap.add_argument("--no-e2e", action="store_true", help="skip the end-to-end run")
    ap.add_argument("--redis-url", default="", help="default: a private redis-server")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--shared-keys", type=int, default=10)
    ap.add_argument("--per-key", type=int, default=100)
    ap.add_argument("--own", type=int, default=100)
    ap.add_argument("--reads", type=int, default=2, help="per-account campaign reads")
    ap.add_argument("--shared-limits", default="10/1", help="shared keys' limits")
    ap.add_argument("--own-limits", default="10/2,60/60", help="own keys' limits")
    ap.add_argument("--enqueue-rate", type=float, default=100.0, help="runs/s of the spread")
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args()
    with stack.private_redis(args.redis_url) as url:
        rows = []
        for n in [int(x) for x in args.fanout.split(",") if x.strip()]:
            rows.append(fanout(n, url))
            print(f"  fan-out {n:,}: {rows[-1]['dispatch_s']:.2f}s", flush=True)
        if rows:
            print_fanout(rows)
        if not args.no_e2e:
            from ops.bench import schedule_e2e

            schedule_e2e.run(url, args)


if __name__ == "__main__":
    main()
