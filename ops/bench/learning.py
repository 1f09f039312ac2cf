"""Mis-configured plans: does the limiter learn a key's real limit, and never exceed the plan?

    python -m ops.bench.learning                 # both cases, 40 s each
    python -m ops.bench.learning --seconds 60 --threads 6

Case "stricter": the account's plan says 10 per 2 s, the sandbox key allows 6 per 2 s. Prints
429s in each 10 s slice (a bounded few while learning, then 0), the learned limit, and the
utilisation of the real limit over the second half (target >= 85%). Case "looser": the plan
says 6 per 2 s, the sandbox allows 10: prints the most the sandbox accepted in any 2 s (never
more than 6). Callers are threads of this process, each a Smartlead client on the bulk lane
through the shared limiter (Redis: a private redis-server; sandbox: its own process).
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from typing import Any

from ops.bench import intake_stack as stack
from ops.bench.limiter_harness import create_accounts, parse_limits


def _case(
    name: str, plan: str, real: str, seconds: float, threads: int, redis_url: str
) -> dict[str, Any]:
    from workers.clients.errors import RateLimitDeferred, RateLimited
    from workers.clients.factory import smartlead_for
    from workers.db import session_scope
    from workers.models import Account
    from workers.rate_limit.limiter import get_limiter, key_id

    tmp = stack.setup_env(redis_url)
    (tmp / "logs").mkdir(parents=True, exist_ok=True)
    api_key = f"bench-learn-{name}"
    with stack.sandbox_process(tmp / "logs") as sandbox:
        stack.admin(sandbox, "keys", {"api_key": api_key, "limits": parse_limits(real)})
        (acct_id,) = create_accounts([(name, api_key, sandbox, parse_limits(plan))])
        with session_scope() as s:
            account = s.get(Account, acct_id)
            assert account is not None
            client = smartlead_for(account, lane="bulk")
        ok: list[float] = []
        throttled: list[float] = []
        t0 = time.monotonic()
        stop = t0 + seconds

        def loop() -> None:
            while time.monotonic() < stop:
                try:
                    client.list_campaigns()
                    ok.append(time.monotonic() - t0)
                except RateLimited as exc:
                    throttled.append(time.monotonic() - t0)
                    time.sleep(min(exc.retry_after, max(0.0, stop - time.monotonic())))
                except RateLimitDeferred as exc:
                    time.sleep(min(exc.retry_after, max(0.0, stop - time.monotonic())))

        pool = [threading.Thread(target=loop) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        st = stack.stats(sandbox)
        from ops.sandbox.smartlead_state import key_hash

        sandbox_key = st[key_hash(api_key)]
        learned = get_limiter().status(key_id("smartlead", api_key))["windows"]
    real_limits = parse_limits(real)
    plan_limits = parse_limits(plan)
    rate = min(
        min(lim / sec for lim, sec in real_limits), min(lim / sec for lim, sec in plan_limits)
    )
    half = seconds / 2
    second_half = sum(1 for t in ok if t >= half)
    return {
        "name": name,
        "plan": plan,
        "real": real,
        "ok": len(ok),
        "throttled_by_slice": [
            sum(1 for t in throttled if i * 10 <= t < (i + 1) * 10)
            for i in range(int(seconds // 10))
        ],
        "learned": [(w["window"], w["learned"]) for w in learned],
        "utilisation": second_half / (rate * (seconds - half)),
        "max_in_window": sandbox_key["max_accepted_in_window"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=40.0)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--cases", default="stricter,looser")
    ap.add_argument("--redis-url", default="", help="a db the benchmark may flush")
    args = ap.parse_args()
    cases = {"stricter": ("10/2", "6/2"), "looser": ("6/2", "10/2")}
    results = []
    with stack.private_redis(args.redis_url) as url:
        for name in args.cases.split(","):
            plan, real = cases[name]
            results.append(_case(name, plan, real, args.seconds, args.threads, url))
    print(f"\n== limiter learning ({args.threads} threads, {args.seconds:.0f} s per case)")
    for r in results:
        print(
            f"-- {r['name']}: plan {r['plan']} s, sandbox allows {r['real']} s: {r['ok']} calls "
            f"answered 200; 429s per 10 s slice {r['throttled_by_slice']}; limit in force "
            f"{r['learned']}; utilisation of min(real, plan) over the second half "
            f"{r['utilisation']:.0%} (target >= 85%); most accepted by the sandbox in a "
            f"window {r['max_in_window']}"
        )
    print(f"   load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
