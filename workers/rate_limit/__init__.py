"""The shared rate limiter: one budget per API key for every process on every host.

``limiter`` (the Lua-backed sliding windows, lanes and the 429 penalty box), ``lua`` (its
scripts), ``counters`` (in-process Prometheus counters), ``metrics`` (cluster-wide figures read
from Redis for the gateway's /metrics).
"""
