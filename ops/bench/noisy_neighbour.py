"""Benchmark: one account's bulk upload must not delay another account's webhook-driven call.

    python -m ops.bench.noisy_neighbour [--leads 50000] [--a-limits 20/1]

Account A uploads ``--leads`` leads in chunks of 100 through 4 worker processes (2 workers x 2),
all chunk tasks enqueued at once on the bulk queue (the worst case: no progressive feeding).
Meanwhile, every ``--interval`` seconds, one single webhook-driven call (realtime queue and lane)
is made for account B (its own key) and for account C (sharing A's key). Printed: A's upload
time, leads stored and 429s, and the latency distribution (enqueue -> call done) of B and C.
"""

from __future__ import annotations

import argparse
import time
import uuid

from ops.bench import limiter_harness as h

PROBE = "tasks.limiter_probe.call"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--leads", type=int, default=50_000)
    ap.add_argument("--a-limits", default="20/1,1000/60", help="A's key (shared with C)")
    ap.add_argument("--b-limits", default="10/2,60/60", help="B's own key")
    ap.add_argument(
        "--interval",
        type=float,
        default=1.5,
        help="seconds between B calls (and C calls); keep B within its own limit",
    )
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    args = ap.parse_args()

    tmp = h.setup_env(args.redis_url)
    log_dir = tmp / "logs"
    log_dir.mkdir(parents=True)
    a_limits, b_limits = h.parse_limits(args.a_limits), h.parse_limits(args.b_limits)
    chunks = (args.leads + 99) // 100
    with h.sandbox_process(log_dir) as url:
        from workers.celery_app import app

        tag = uuid.uuid4().hex[:6]
        key_a, key_b = f"nn-a-{tag}", f"nn-b-{tag}"
        h.admin(url, "keys", {"api_key": key_a, "limits": a_limits, "max_leads_per_request": 100})
        h.admin(url, "keys", {"api_key": key_b, "limits": b_limits})
        campaign = h.admin(url, "campaigns", {"api_key": key_a, "name": "bulk"})["id"]
        a, b, c = h.create_accounts(
            [
                (f"a-{tag}", key_a, url, a_limits),
                (f"b-{tag}", key_b, url, b_limits),
                (f"c-{tag}", key_a, url, a_limits),
            ]
        )
        print(
            f"A: {args.leads} leads = {chunks} add-leads calls, key limits {args.a_limits}; "
            f"B: own key {args.b_limits}; C: A's key; 4 worker processes"
        )
        with h.workers(2, 2, log_dir):
            start = time.time()
            bulk = [
                app.send_task(
                    PROBE,
                    kwargs={"account_id": a, "lane": "bulk", "campaign_id": campaign, "leads": 100},
                    queue="bulk",
                )
                for _ in range(chunks)
            ]
            print(f"enqueued {chunks} chunk tasks in {time.time() - start:.1f} s", flush=True)
            probes: dict[str, list] = {"B (own key)": [], "C (A's key)": []}
            while not all(r.ready() for r in bulk):
                for label, acct in (("B (own key)", b), ("C (A's key)", c)):
                    probes[label].append(
                        app.send_task(
                            PROBE,
                            kwargs={"account_id": acct, "lane": "realtime", "sent_at": time.time()},
                            queue="realtime",
                        )
                    )
                time.sleep(args.interval)
                if time.time() - start > 900:
                    print("giving up after 900 s")
                    break
            a_done = time.time() - start
            latencies = {label: [] for label in probes}
            for label, results in probes.items():
                for r in results:
                    v = r.get(timeout=120)
                    latencies[label].append(v["done_at"] - v["sent_at"])
            failed = sum(1 for r in bulk if r.status != "SUCCESS")
        st = h.stats(url)
    import hashlib

    sa = st[hashlib.sha256(key_a.encode()).hexdigest()[:12]]
    # the n-th request of an exact sliding log comes at floor((n - 1) / L) * W at the earliest
    floor = max((chunks - 1) // lim * win for lim, win in a_limits)
    print(
        f"A: {chunks} calls done in {a_done:.1f} s (the limit's floor {floor:.1f} s; the "
        "bulk lane leaves 10% to realtime), "
        f"failed tasks {failed}, sandbox statuses {sa['requests_by_status']}, "
        f"max in window {sa['max_accepted_in_window']}"
    )
    for label, values in latencies.items():
        p = h.percentiles(values)
        print(
            f"{label} webhook-driven call latency: n={p['n']} p50 {p['p50'] * 1000:.0f} ms, "
            f"p90 {p['p90'] * 1000:.0f} ms, p99 {p['p99'] * 1000:.0f} ms, "
            f"max {p['max'] * 1000:.0f} ms; within 2 s: "
            f"{sum(1 for x in values if x <= 2.0) / len(values):.1%}"
        )


if __name__ == "__main__":
    main()
