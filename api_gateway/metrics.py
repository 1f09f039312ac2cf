"""Prometheus metrics of the gateway (served at GET /metrics). Labels are bounded: no slugs."""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "leadops_gateway_requests_total", "Webhook requests answered", ["route", "status"]
)
LATENCY = Histogram(
    "leadops_gateway_request_seconds",
    "Time to answer a webhook",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0, 5.0),
)
ENQUEUED = Counter("leadops_gateway_enqueued_total", "Tasks enqueued", ["task"])
DUPLICATES = Counter("leadops_gateway_duplicates_total", "Duplicate events dropped", ["source"])
RECORDED = Counter(
    "leadops_gateway_recorded_events_total",
    "Events accepted and counted without a task",
    ["source", "event_type"],
)
REJECTED = Counter("leadops_gateway_rejections_total", "Requests refused", ["source", "reason"])
REDIS_ERRORS = Counter("leadops_gateway_redis_errors_total", "Redis unreachable or failing")


class MetricsMiddleware:
    """Pure ASGI (cheaper than BaseHTTPMiddleware): status and latency per route template."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def _send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            _counter(path, status[0]).inc()
            _histogram(path).observe(time.perf_counter() - start)


# labels() costs a lock and a dict walk per call: keep the children (bounded by routes x codes).
_counters: dict[tuple[str, int], Any] = {}
_histograms: dict[str, Any] = {}


def _counter(path: str, status: int) -> Any:
    child = _counters.get((path, status))
    if child is None:
        child = _counters[(path, status)] = REQUESTS.labels(path, str(status))
    return child


def _histogram(path: str) -> Any:
    child = _histograms.get(path)
    if child is None:
        child = _histograms[path] = LATENCY.labels(path)
    return child
