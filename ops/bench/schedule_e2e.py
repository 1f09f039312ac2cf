"""End-to-end part of ``python -m ops.bench.schedule``: the probe check for every account, real
Beat (ticking every 2 s) and worker processes, the Smartlead sandbox in its own process.

Accounts: ``--shared-keys`` keys shared by ``--per-key`` accounts each (client ids 1..N, two
campaigns per client), plus ``--own`` accounts with their own key (one campaign), in 50 time
zones, all due in the first tick. Each run lists its key's campaigns through the shared listing
(bulk lane) and reads ``--reads`` of its own campaigns one by one (per-account calls). Printed:
runs done once, 429s, calls per key, listings per key, time to finish beside the floor the keys'
limits allow on the bulk lane.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import time
from collections import Counter, defaultdict
from typing import Any

from ops.bench import intake_stack as stack
from ops.bench import limiter_harness as harness
from ops.bench.schedule import CHECK, ZONES


def _bulk_rate(limits: list[list[float]], reserve: float) -> float:
    """Sustained requests/s the limiter's bulk lane gets on a key (realtime's share left)."""
    return min((lim - math.floor(reserve * lim)) / win for lim, win in limits)


def _create(url: str, args: argparse.Namespace, now: dt.datetime) -> dict[str, list[int]]:
    """Sandbox keys and campaigns, then accounts; key -> account ids."""
    import httpx

    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account
    from workers.scheduling.due import zone

    shared = harness.parse_limits(args.shared_limits)
    own = harness.parse_limits(args.own_limits)
    due = now - dt.timedelta(minutes=10)
    local = {tz: due.astimezone(zone(tz)).strftime("%H:%M") for tz in ZONES}
    specs: list[tuple[str, list[list[float]], int | None]] = []
    with httpx.Client(base_url=f"{url}/admin", timeout=30) as admin:
        for k in range(args.shared_keys):
            key = f"sched-shared-{k}"
            admin.post("/keys", json={"api_key": key, "limits": shared}).raise_for_status()
            for client in range(1, args.per_key + 1):
                for c in range(2):
                    body = {"api_key": key, "name": f"{client}-{c}", "client_id": client}
                    admin.post("/campaigns", json=body).raise_for_status()
                specs.append((key, shared, client))
        for j in range(args.own):
            key = f"sched-own-{j}"
            admin.post("/keys", json={"api_key": key, "limits": own}).raise_for_status()
            admin.post("/campaigns", json={"api_key": key, "name": "own"}).raise_for_status()
            specs.append((key, own, None))
    by_key: dict[str, list[int]] = defaultdict(list)
    with session_scope() as s:
        for i, (key, limits, client_id) in enumerate(specs):
            tz = ZONES[i % len(ZONES)]
            account = Account(
                slug=f"e2e-{i}",
                name=f"E2E {i}",
                timezone=tz,
                smartlead_api_key=key,
                smartlead_base_url=f"{url}/api/v1",
                smartlead_client_id=client_id,
                rate_limit_plan="custom",
                rate_limits=limits,
            )
            s.add(account)
            s.flush()
            row = set_automation(
                s, account, CHECK, params={"local_time": local[tz], "campaign_reads": args.reads}
            )
            row.updated_at = now - dt.timedelta(days=2)
            by_key[key].append(account.id)
    return by_key


def _runs() -> list[Any]:
    from sqlalchemy import select

    from workers.db import session_scope
    from workers.scheduling.records import ScheduledRun

    with session_scope() as s:
        return list(s.scalars(select(ScheduledRun)))


def run(redis_url: str, args: argparse.Namespace) -> None:
    tmp = stack.setup_env(redis_url)
    rate = float(args.enqueue_rate)
    os.environ.update(
        {"LEADOPS_SCHEDULE_TICK_SECONDS": "2", "LEADOPS_SCHEDULE_ENQUEUE_RATE": str(rate)}
    )
    from workers.settings import get_settings, reset_settings_cache

    reset_settings_cache()
    reserve = get_settings().limiter_realtime_reserve
    log_dir = tmp / "logs"
    log_dir.mkdir(parents=True)
    n = args.shared_keys * args.per_key + args.own
    print(
        f"\n== end to end: {n:,} accounts ({args.shared_keys} keys x {args.per_key} accounts by "
        f"client_id, {args.own} own keys), probe with {args.reads} campaign reads per account, "
        f"{args.workers} workers x {args.concurrency}, Beat ticking every 2 s ==",
        flush=True,
    )
    import redis

    from ops.sandbox.smartlead_state import key_hash
    from tasks.schedule_probe.flow import LISTINGS_KEY, WORK_KEY

    r = redis.Redis.from_url(redis_url)
    with stack.sandbox_process(log_dir) as url:
        t_setup = time.perf_counter()
        by_key = _create(url, args, dt.datetime.now(dt.UTC))
        print(f"  set-up {time.perf_counter() - t_setup:.1f}s", flush=True)
        with harness.workers(args.workers, args.concurrency, log_dir, queues="scheduled"):
            beat = stack.leadops(["beat", "-l", "WARNING"], log_dir / "beat.log")
            started = time.time()
            try:
                deadline = time.monotonic() + args.timeout
                while time.monotonic() < deadline:
                    states = Counter(run.state for run in _runs())
                    if sum(states.values()) >= n and states["queued"] + states["running"] == 0:
                        break
                    time.sleep(1.0)
            finally:
                stack.stop(beat)
        elapsed = time.time() - started
        key_stats = stack.stats(url)
    runs = _runs()
    states = Counter(run.state for run in runs)
    work = [int(v) for v in r.hgetall(WORK_KEY).values()]
    listing_calls: Counter[str] = Counter()  # key group -> listing calls made
    periods: dict[str, set[str]] = defaultdict(set)
    for field, value in r.hgetall(LISTINGS_KEY).items():
        group, _, _period = field.decode().partition(":")
        listing_calls[group] += int(value)
    for run in runs:
        periods[str((run.summary or {}).get("key_group", "?"))].add(run.period_key)
    first = min(_aware(run.created_at) for run in runs) if runs else None
    last = max(_aware(run.finished_at) for run in runs if run.finished_at) if runs else None
    finish = (last - first).total_seconds() if first and last else float("nan")
    shared_limits = harness.parse_limits(args.shared_limits)
    shared_rate = _bulk_rate(shared_limits, reserve)
    calls: dict[str, int] = {}
    limited = 0
    for key in by_key:
        st = key_stats.get(key_hash(key), {})
        calls[key] = int(st.get("requests", 0))
        limited += int(st.get("rate_limited", 0))
    shared_calls = [v for k, v in calls.items() if k.startswith("sched-shared")]
    own_calls = [v for k, v in calls.items() if k.startswith("sched-own")]
    needed = args.per_key * args.reads + max((len(periods[g]) for g in listing_calls), default=1)
    window = min(get_settings().schedule_spread_seconds, n / rate)
    deferred = _limiter_deferrals(r)
    print(f"  runs: {dict(states)} of {n:,}; work executions per run: {dict(Counter(work))}")
    print(f"  429s from the sandbox: {limited}; limiter deferrals (bulk lane): {deferred}")
    print(
        f"  calls per shared key: min {min(shared_calls, default=0)} max "
        f"{max(shared_calls, default=0)} (needed: {args.per_key * args.reads} reads + 1 listing "
        f"per local period; above that: reads a deferred run made again); own keys: "
        f"{dict(Counter(own_calls))}"
    )
    per_group = Counter((listing_calls[g], len(periods[g])) for g in periods)
    print(
        "  listing calls per key (calls, local periods of its accounts) -> keys: "
        f"{dict(per_group)}; total {sum(listing_calls.values())} for {len(by_key)} keys"
    )
    print(
        f"  time to finish: {finish:.1f}s from the first record ({elapsed:.1f}s from Beat's "
        f"start); floor: {max(shared_calls, default=0) / shared_rate:.1f}s for the calls made, "
        f"{needed / shared_rate:.1f}s for the calls needed (busiest key, bulk lane "
        f"{shared_rate:g}/s); spread window {window:.1f}s"
    )


def _limiter_deferrals(r: Any) -> int:
    from workers.rate_limit import RateLimiter

    limiter = RateLimiter(r)
    return int(
        sum(
            v
            for kid in limiter.known_keys()
            for k, v in limiter.status(kid)["counters"].items()
            if k.startswith("deferred")
        )
    )


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


__all__ = ["run"]
