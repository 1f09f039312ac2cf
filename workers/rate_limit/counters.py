"""In-process limiter counters (``leadops_ratelimit_process_*``), for any process that serves
its own Prometheus registry. The limiter increments them; the cluster-wide figures, summed over
every process, are read from Redis by ``workers.rate_limit.metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

ADMITTED = Counter(
    "leadops_ratelimit_process_admitted", "Tokens admitted by this process", ["key", "lane"]
)
WAITED = Counter(
    "leadops_ratelimit_process_waited_seconds",
    "Seconds this process waited for a token",
    ["key", "lane"],
)
RESCHEDULED = Counter(
    "leadops_ratelimit_process_rescheduled",
    "Tasks this process gave back to be rescheduled",
    ["key", "lane"],
)
SERVER_429 = Counter(
    "leadops_ratelimit_process_server_429", "429 answers seen by this process", ["key", "lane"]
)
DECISION_SECONDS = Histogram(
    "leadops_ratelimit_decision_seconds",
    "Round trip of one limiter decision (Lua in Redis)",
    buckets=(0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.1),
)
