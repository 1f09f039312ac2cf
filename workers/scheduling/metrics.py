"""Scheduling figures for Prometheus, kept in Redis (dispatchers and runs execute in many
short-lived worker processes): the gateway's /metrics renders them cluster-wide at scrape.

- ``leadops_scheduled_runs_total{check, state}``: runs entering each state (queued, running,
  done, skipped, failed, requeued).
- ``leadops_schedule_dispatch_seconds{check}``: histogram of one tick's dispatch time.
- ``leadops_schedule_accounts_due{check}`` / ``..._enqueued{check}``: the last tick's figures;
  ``leadops_schedule_due_accounts_total{check}``: all ticks.
Labels are check names only (bounded), never accounts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector

RUNS_KEY = "leadops:sched:stats:runs"  # hash "check|state" -> count
DISPATCH_KEY = "leadops:sched:stats:dispatch:"  # + check: hash of figures
CHECKS_KEY = "leadops:sched:stats:checks"  # set of check names seen
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def count_runs(redis: Any, check: str, state: str, n: int = 1) -> None:
    """Best effort: a metric must never fail a run."""
    if n <= 0:
        return
    try:
        pipe = redis.pipeline(transaction=False)
        pipe.hincrby(RUNS_KEY, f"{check}|{state}", n)
        pipe.sadd(CHECKS_KEY, check)
        pipe.execute()
    except Exception:  # noqa: BLE001, S110 - metrics are advisory
        pass


def record_dispatch(
    redis: Any, check: str, seconds: float, due: int, enqueued: int, requeued: int
) -> None:
    key = DISPATCH_KEY + check
    bucket = next((f"le_{b}" for b in BUCKETS if seconds <= b), "le_inf")
    try:
        pipe = redis.pipeline(transaction=False)
        pipe.hset(
            key,
            mapping={
                "last_seconds": round(seconds, 6),
                "last_due": due,
                "last_enqueued": enqueued,
            },
        )
        pipe.hincrbyfloat(key, "sum_seconds", seconds)
        pipe.hincrby(key, "ticks", 1)
        pipe.hincrby(key, bucket, 1)
        pipe.hincrby(key, "due_total", due)
        pipe.hincrby(key, "enqueued_total", enqueued)
        pipe.hincrby(key, "requeued_total", requeued)
        pipe.sadd(CHECKS_KEY, check)
        pipe.execute()
    except Exception:  # noqa: BLE001, S110 - metrics are advisory
        pass


def dispatch_stats(redis: Any, check: str) -> dict[str, float]:
    raw = redis.hgetall(DISPATCH_KEY + check) or {}
    return {_s(k): float(v) for k, v in raw.items()}


def run_counts(redis: Any) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for field, value in (redis.hgetall(RUNS_KEY) or {}).items():
        check, _, state = _s(field).partition("|")
        out[(check, state)] = int(value)
    return out


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class ScheduleCollector(Collector):
    """Reads the figures from Redis at scrape time."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    def collect(self) -> Iterator[Any]:
        from workers.redis_client import redis_client

        r = self._client if self._client is not None else redis_client()
        runs = CounterMetricFamily(
            "leadops_scheduled_runs", "Scheduled runs entering a state", labels=["check", "state"]
        )
        for (check, state), n in sorted(run_counts(r).items()):
            runs.add_metric([check, state], n)
        yield runs
        hist = HistogramMetricFamily(
            "leadops_schedule_dispatch_seconds", "One tick's dispatch time", labels=["check"]
        )
        due = GaugeMetricFamily(
            "leadops_schedule_accounts_due", "Accounts due at the last tick", labels=["check"]
        )
        enq = GaugeMetricFamily(
            "leadops_schedule_enqueued", "Runs enqueued at the last tick", labels=["check"]
        )
        due_total = CounterMetricFamily(
            "leadops_schedule_due_accounts", "Accounts found due, all ticks", labels=["check"]
        )
        for check in sorted(_s(c) for c in (r.smembers(CHECKS_KEY) or ())):
            st = dispatch_stats(r, check)
            if not st.get("ticks"):
                continue
            cumulative, buckets = 0.0, []
            for b in BUCKETS:
                cumulative += st.get(f"le_{b}", 0.0)
                buckets.append((str(b), cumulative))
            buckets.append(("+Inf", cumulative + st.get("le_inf", 0.0)))
            hist.add_metric([check], buckets, st.get("sum_seconds", 0.0))
            due.add_metric([check], st.get("last_due", 0.0))
            enq.add_metric([check], st.get("last_enqueued", 0.0))
            due_total.add_metric([check], st.get("due_total", 0.0))
        yield from (hist, due, enq, due_total)


def render_schedule_metrics(client: Any = None) -> bytes:
    """Prometheus text of the scheduling figures (append to any /metrics body)."""
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry()
    registry.register(ScheduleCollector(client))
    return generate_latest(registry)


__all__ = [
    "ScheduleCollector",
    "count_runs",
    "dispatch_stats",
    "record_dispatch",
    "render_schedule_metrics",
    "run_counts",
]
