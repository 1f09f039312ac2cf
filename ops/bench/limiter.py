"""Benchmark: the shared limiter vs Celery's per-worker ``rate_limit``, against the Smartlead
sandbox's own counts.

    python -m ops.bench.limiter [--seconds 60] [--limits 5/1,40/10] [--margins 0,50,250]

Scenario 1, one key: 4 workers x 2 processes (8 processes) work through a backlog of one-call
tasks for one key for ``--seconds``; printed per configuration: requests the sandbox received,
429s, the most it accepted in any window (per window, vs the limit) and utilisation (accepted /
what the sustained limit allows in that time). Configurations: the shared limiter at each padding
in ``--margins`` (realtime lane), at the default padding in the bulk lane (which leaves the
realtime reserve unused), and Celery's ``rate_limit`` set to the sustained rate on every worker.
Scenario 2, 1,000 keys (one account each, ``--key-limits``): the same figures summed over keys,
with the worst window of any key; and the limiter's decision latency (median/p99) at 1,000 keys,
idle and while the workers run.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from ops.bench import limiter_harness as h

PROBE = "tasks.limiter_probe.call"
CELERY_PROBE = "tasks.limiter_probe.call_celery_rate_limit"


def _enqueue(
    app: Any, account_ids: list[int], n: int, *, lane: str = "realtime", celery_rl: bool = False
) -> None:
    with app.producer_or_acquire() as producer:
        for i in range(n):
            acct = account_ids[i % len(account_ids)]
            if celery_rl:
                app.send_task(
                    CELERY_PROBE, kwargs={"account_id": acct}, queue="realtime", producer=producer
                )
            else:
                app.send_task(
                    PROBE,
                    kwargs={"account_id": acct, "lane": lane},
                    queue="realtime" if lane == "realtime" else "bulk",
                    producer=producer,
                )


def _figures(
    st: dict[str, Any], limits: list[list[float]], seconds: float, n_keys: int = 1
) -> dict[str, Any]:
    by_status: dict[str, int] = {}
    worst: dict[str, int] = {}
    for k in st.values():
        for code, n in k["requests_by_status"].items():
            by_status[code] = by_status.get(code, 0) + n
        for w, n in k["max_accepted_in_window"].items():
            worst[w] = max(worst.get(w, 0), n)
    accepted = by_status.get("200", 0)
    allowed = h.allowed_in(limits, seconds) * n_keys
    return {
        "sent": sum(by_status.values()),
        "accepted": accepted,
        "429s": by_status.get("429", 0),
        "worst_window": worst,
        "utilisation": accepted / allowed if allowed else 0.0,
    }


def _row(label: str, f: dict[str, Any], limits: list[list[float]]) -> str:
    windows = "  ".join(
        f"{f['worst_window'].get(f'{int(lim)}/{win:g}s', 0)}/{int(lim)} per {win:g}s"
        for lim, win in limits
    )
    return (
        f"{label:<34} sent {f['sent']:>6}  accepted {f['accepted']:>6}  429s {f['429s']:>5}"
        f"  max in window {windows}  utilisation {f['utilisation']:.1%}"
    )


def run_config(
    url: str,
    log_dir: Path,
    limits: list[list[float]],
    seconds: float,
    *,
    n_keys: int = 1,
    padding_ms: float | None = None,
    lane: str = "realtime",
    celery_rate: str | None = None,
    backlog_factor: float = 3.0,
    sampler: Any = None,
) -> dict[str, Any]:
    from workers.celery_app import app

    tag = uuid.uuid4().hex[:8]
    keys = [f"bench-{tag}-{i:04d}" for i in range(n_keys)]
    for k in keys:
        h.admin(url, "keys", {"api_key": k, "limits": limits})
    ids = h.create_accounts([(f"b-{tag}-{i}", k, url, limits) for i, k in enumerate(keys)])
    env = {} if padding_ms is None else {"LEADOPS_LIMITER_WINDOW_PADDING_MS": str(padding_ms)}
    backlog = int(h.allowed_in(limits, seconds) * n_keys * backlog_factor) + 20
    with h.workers(4, 2, log_dir, env=env):
        if celery_rate:
            app.control.rate_limit(CELERY_PROBE, celery_rate, reply=True, timeout=2)
        start = time.monotonic()
        filler = threading.Thread(
            target=_enqueue,
            args=(app, ids, backlog),
            kwargs={"lane": lane, "celery_rl": bool(celery_rate)},
        )
        filler.start()
        if sampler:
            sampler(start + seconds)
        time.sleep(max(0.0, start + seconds - time.monotonic()))
        all_stats = h.stats(url)
        filler.join()
    hashes = {_hash(k) for k in keys}
    if os.environ.get("BENCH_DEBUG"):
        print({kh: v["requests_by_status"] for kh, v in all_stats.items() if kh in hashes})
    return _figures({kh: v for kh, v in all_stats.items() if kh in hashes}, limits, seconds, n_keys)


def _hash(api_key: str) -> str:
    import hashlib

    return hashlib.sha256(api_key.encode()).hexdigest()[:12]


def decision_latency(n_keys: int, n: int, until: float | None = None) -> dict[str, float]:
    """Round-trip latency (ms) of one limiter decision spread over ``n_keys`` keys."""
    from workers.rate_limit.limiter import RateLimiter, Window

    lim = RateLimiter()
    windows = [Window(10, 2.0), Window(60, 60.0)]
    kids = [f"lat-{uuid.uuid4().hex[:6]}-{i}" for i in range(n_keys)]
    samples = []
    i = 0
    while i < n and (until is None or time.monotonic() < until):
        t0 = time.perf_counter()
        lim.try_acquire(kids[i % n_keys], windows, "realtime")
        samples.append((time.perf_counter() - t0) * 1000)
        i += 1
        if until is not None:
            time.sleep(0.002)
    return h.percentiles(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--limits", default="5/1,40/10", help="one key's windows, limit/seconds")
    ap.add_argument("--margins", default="0,50,250", help="paddings (ms) for the shared limiter")
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--key-limits", default="1/10", help="each key's windows in scenario 2")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    ap.add_argument("--skip", default="", help="comma list: one,many,celery")
    args = ap.parse_args()

    tmp = h.setup_env(args.redis_url)
    log_dir = tmp / "logs"
    log_dir.mkdir(parents=True)
    limits, key_limits = h.parse_limits(args.limits), h.parse_limits(args.key_limits)
    skip = set(filter(None, args.skip.split(",")))
    from workers.settings import get_settings

    s = get_settings()
    print(
        f"limiter defaults: padding {s.limiter_window_padding_ms:g} ms, limit margin "
        f"{s.limiter_limit_margin}, realtime reserve {s.limiter_realtime_reserve:.0%}, "
        f"max wait {s.limiter_max_wait_ms} ms; workers 4 x 2 processes; logs {log_dir}"
    )
    with h.sandbox_process(log_dir) as url:
        if "one" not in skip:
            print(
                f"\n== one key, limits {args.limits}, {args.seconds:g} s, "
                f"allows {h.allowed_in(limits, args.seconds):.0f} =="
            )
            for m in [float(x) for x in args.margins.split(",")]:
                f = run_config(url, log_dir, limits, args.seconds, padding_ms=m)
                print(_row(f"shared limiter, padding {m:g} ms", f, limits), flush=True)
            f = run_config(url, log_dir, limits, args.seconds, lane="bulk")
            print(_row("shared limiter, bulk lane, default", f, limits), flush=True)
            if "celery" not in skip:
                rate = f"{min(lim / win for lim, win in limits):g}/s"
                f = run_config(url, log_dir, limits, args.seconds, celery_rate=rate)
                print(_row(f"celery rate_limit={rate} per worker", f, limits), flush=True)
        if "many" not in skip:
            print(
                f"\n== {args.keys} keys, limits {args.key_limits} each, {args.seconds:g} s, "
                f"allows {h.allowed_in(key_limits, args.seconds) * args.keys:.0f} =="
            )
            idle = decision_latency(args.keys, 20000)
            loaded: dict[str, float] = {}

            def sample(until: float) -> None:
                loaded.update(decision_latency(args.keys, 10**9, until=until))

            f = run_config(
                url,
                log_dir,
                key_limits,
                args.seconds,
                n_keys=args.keys,
                backlog_factor=2.0,
                sampler=sample,
            )
            print(_row("shared limiter, default", f, key_limits), flush=True)
            if "celery" not in skip:
                agg = min(lim / win for lim, win in key_limits) * args.keys / 4
                f = run_config(
                    url,
                    log_dir,
                    key_limits,
                    args.seconds,
                    n_keys=args.keys,
                    backlog_factor=2.0,
                    celery_rate=f"{agg:g}/s",
                )
                print(_row(f"celery rate_limit={agg:g}/s per worker", f, key_limits), flush=True)
            for label, p in (("idle", idle), ("under load", loaded)):
                print(
                    f"limiter decision at {args.keys} keys ({label}): median "
                    f"{p['p50']:.3f} ms, p99 {p['p99']:.3f} ms, max {p['max']:.3f} ms "
                    f"(n={p['n']})"
                )
    os.environ.pop("LEADOPS_REDIS_URL", None)


if __name__ == "__main__":
    main()
