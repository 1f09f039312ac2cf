"""Cluster-wide limiter metrics for Prometheus.

Worker processes are many and short-lived, so the limiter's figures are kept in Redis (one stats
hash per key, written by the Lua scripts and the limiter): ``LimiterCollector`` reads them,
summed over every process on every host. The gateway's /metrics (or any exporter) adds them with
``render_limiter_metrics()`` or ``registry.register(LimiterCollector(redis))``. The in-process
counters are in ``workers.rate_limit.counters``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from workers.rate_limit.limiter import RateLimiter, get_limiter

# Redis stats-hash field prefix -> (metric name, help).
_FIELDS = {
    "admitted": ("leadops_ratelimit_admitted", "Tokens admitted, all processes"),
    "waited_s": ("leadops_ratelimit_waited_seconds", "Seconds waited for a token, all processes"),
    "deferred": ("leadops_ratelimit_rescheduled", "Tasks rescheduled for lack of a token"),
    "429": ("leadops_ratelimit_server_429", "429 answers received from the server"),
    "denied": ("leadops_ratelimit_denied", "Decisions that found no token (before any wait)"),
}


class LimiterCollector(Collector):
    """Cluster-wide limiter counters and current penalty boxes, read from Redis at scrape."""

    def __init__(self, client: Any = None) -> None:
        self._client = client

    def _limiter(self) -> RateLimiter:
        return RateLimiter(self._client) if self._client is not None else get_limiter()

    def collect(self) -> Iterator[Any]:
        limiter = self._limiter()
        families = {
            p: CounterMetricFamily(name, doc, labels=["key", "lane"])
            for p, (name, doc) in _FIELDS.items()
        }
        penalty = GaugeMetricFamily(
            "leadops_ratelimit_penalty_seconds",
            "Seconds left in the key's 429 penalty box",
            labels=["key"],
        )
        used = GaugeMetricFamily(
            "leadops_ratelimit_window_used",
            "Tokens used in the current sliding window",
            labels=["key", "window"],
        )
        learned = GaugeMetricFamily(
            "leadops_ratelimit_window_limit",
            "The window's limit in force: the configured one, or lower when learned from the "
            "server's answers",
            labels=["key", "window"],
        )
        for key_id in limiter.known_keys():
            st = limiter.status(key_id)
            for field, value in st["counters"].items():
                prefix, _, lane = field.partition(":")
                if prefix in families:
                    families[prefix].add_metric([key_id, lane], value)
            penalty.add_metric([key_id], st["penalty_seconds"])
            for w in st["windows"]:
                used.add_metric([key_id, w["window"]], w["used"])
                learned.add_metric([key_id, w["window"]], w["learned"])
        yield from families.values()
        yield penalty
        yield used
        yield learned


def render_limiter_metrics(client: Any = None) -> bytes:
    """Prometheus text for the cluster-wide limiter figures (for the gateway's /metrics)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LimiterCollector(client))
    return generate_latest(registry)
