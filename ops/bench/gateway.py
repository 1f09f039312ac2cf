"""Gateway benchmark: `python -m ops.bench.gateway` prints the figures.

- One uvicorn process (uvloop + httptools) pinned to one core serves the real gateway app:
  raw-body verification, pydantic validation, dedup + enqueue into a real Redis (a private
  redis-server, or --redis-url). Accounts come from the in-process cache (warmed by the first
  request, as in production where a database look-up happens once per 30 s per account).
- Payloads: realistic Clay rows (bearer token) and Smartlead EMAIL_REPLY events (secret_key in
  the body), half each, every one unique so each is really enqueued.
- Throughput: closed loop with `wrk` when installed (else the asyncio load generator in
  ops/bench/loadgen.py), load generator and Redis on the other core(s).
- Latency: open loop at a fixed 500 requests/s, measured from each scheduled send time.
- The same measurements against a bare FastAPI endpoint that parses the same payload into the
  same pydantic model and does nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from api_gateway.schemas_clay import ClayRow
from api_gateway.schemas_smartlead import SmartleadEvent
from ops.bench import gateway_payloads as P
from ops.bench.loadgen import Result, closed_loop, fixed_rate

CLAY_SECRET = "bench-clay-secret-0123456789"
SMARTLEAD_SECRET = "bench-smartlead-secret-0123456789"
HOST = "127.0.0.1"


# ---- servers (run in a child process) --------------------------------------------------------


def _bare_app() -> Any:
    from fastapi import FastAPI

    bare = FastAPI()

    @bare.post("/v1/{account}/clay", status_code=202)
    async def clay(account: str, row: ClayRow) -> dict[str, bool]:
        return {"ok": True}

    @bare.post("/v1/{account}/smartlead", status_code=202)
    async def smartlead(account: str, event: SmartleadEvent) -> dict[str, bool]:
        return {"ok": True}

    return bare


def _bench_app(kind: str, redis_url: str) -> Any:
    if kind == "bare":
        return _bare_app()
    os.environ["LEADOPS_REDIS_URL"] = redis_url
    from api_gateway.accounts_cache import GatewayAccount
    from api_gateway.app import create_app
    from workers.settings import reset_settings_cache

    reset_settings_cache()
    account = GatewayAccount(
        id=1,
        slug="bench",
        secrets={"clay": (CLAY_SECRET,), "smartlead": (SMARTLEAD_SECRET,)},
        clay_default_campaign_id="4242",
    )
    return create_app(account_loader=lambda slug: account if slug == "bench" else None)


def serve(kind: str, port: int, redis_url: str, cpu: int | None) -> None:
    import uvicorn

    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    uvicorn.run(
        _bench_app(kind, redis_url),
        host=HOST,
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


# ---- the run ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def make_request(n: int) -> tuple[str, bytes, dict[str, str]]:
    if n % 2:
        return (
            "/v1/bench/clay",
            orjson.dumps(P.clay_row(n)),
            {"Authorization": f"Bearer {CLAY_SECRET}"},
        )
    reply = P.smartlead_reply(n, secret_key=SMARTLEAD_SECRET)
    return "/v1/bench/smartlead", orjson.dumps(reply), {}


WRK_LUA = """
local n = 0
local clay = [[%s]]
local sl = [[%s]]
function setup(thread) thread:set("tid", math.random(1, 1000000000)) end
function request()
  n = n + 1
  local id = tid .. "-" .. n
  if n %% 2 == 1 then
    return wrk.format("POST", "/v1/bench/clay", {["Content-Type"] = "application/json",
      ["Authorization"] = "Bearer %s"}, (clay:gsub("__N__", id)))
  end
  return wrk.format("POST", "/v1/bench/smartlead", {["Content-Type"] = "application/json"},
    (sl:gsub("__N__", id)))
end
"""


def _wrk_script(tmp: Path, start: int) -> Path:
    clay = orjson.dumps(P.clay_row(1, row_id="row___N__", email="p__N__@northwind.io")).decode()
    reply = P.smartlead_reply(1, secret_key=SMARTLEAD_SECRET, email="l__N__@acme.com")
    reply["reply_message"]["message_id"] = "<reply-__N__@acme.com>"
    sl = orjson.dumps(reply).decode()
    path = tmp / f"bench-{start}.lua"
    path.write_text(WRK_LUA % (clay, sl, CLAY_SECRET))
    return path


def _run_wrk(
    port: int, tmp: Path, duration: int, connections: int, cpu: str | None, start: int
) -> tuple[float, int, str]:
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(_wrk_script(tmp, start)),
        f"http://{HOST}:{port}",
    ]
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", cpu, *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(
        next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec"))
    )
    non2xx = next((int(line.split()[-1]) for line in out.splitlines() if "Non-2xx" in line), 0)
    return rps, non2xx, out


def _summary(name: str, r: Result) -> str:
    ok = r.statuses.get(202, 0)
    return (
        f"{name}: {r.sent / r.elapsed:,.0f} req/s offered, {ok / r.elapsed:,.0f} accepted/s,"
        f" p50 {r.percentile(50) * 1000:.2f} ms, p99 {r.percentile(99) * 1000:.2f} ms,"
        f" statuses {dict(r.statuses)}, errors {r.errors}"
    )


def _cpu_seconds(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def measure(
    kind: str, port: int, args: argparse.Namespace, tmp: Path, redis_client: Any, pid: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # Warm-up (account cache, Lua script load, JIT-less caches).
    asyncio.run(closed_loop(HOST, port, make_request, connections=8, duration=1.0, start_n=10**9))
    if redis_client is not None:
        redis_client.delete("realtime")
    cpu0 = _cpu_seconds(pid)
    if args.loadgen == "wrk":
        rps, non2xx, raw = _run_wrk(
            port, tmp, args.duration, args.connections, args.client_cpu, start=1
        )
        out["throughput"] = rps
        out["throughput_non2xx"] = non2xx
        out["wrk"] = raw
    else:
        r = asyncio.run(
            closed_loop(
                HOST,
                port,
                make_request,
                connections=args.connections,
                duration=args.duration,
                start_n=2 * 10**9,
            )
        )
        out["throughput"] = r.statuses.get(202, 0) / r.elapsed
        out["throughput_non2xx"] = r.sent - r.statuses.get(202, 0)
    out["cpu_seconds"] = _cpu_seconds(pid) - cpu0
    out["served"] = out["throughput"] * args.duration
    if redis_client is not None:
        out["queued"] = redis_client.llen("realtime")
        redis_client.delete("realtime")
    lat = asyncio.run(
        fixed_rate(
            HOST,
            port,
            make_request,
            rate=args.rate,
            duration=args.latency_duration,
            start_n=3 * 10**9,
        )
    )
    out["latency"] = lat
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", choices=["gateway", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--redis-url",
        default=None,
        help="Use this Redis (default: a private redis-server on a free port).",
    )
    parser.add_argument("--duration", type=int, default=10, help="Throughput run, seconds.")
    parser.add_argument("--latency-duration", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", default=None, help="e.g. '1' (default: all but server)")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "asyncio"], default="auto")
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port, args.redis_url or "", args.server_cpu)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    import redis

    from ops.embedded_redis import EmbeddedRedis

    if args.loadgen == "auto":
        args.loadgen = "wrk" if shutil.which("wrk") else "asyncio"
    ncpu = os.cpu_count() or 1
    if args.client_cpu is None and ncpu > 1:
        args.client_cpu = ",".join(str(c) for c in range(ncpu) if c != args.server_cpu)
    if args.client_cpu and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(c) for c in args.client_cpu.split(",")})
    with tempfile.TemporaryDirectory(prefix="leadops-bench-") as tmpdir:
        tmp = Path(tmpdir)
        embedded = None
        redis_url = args.redis_url
        if redis_url is None:
            embedded = EmbeddedRedis(tmp / "redis")
            redis_url = embedded.start()
            if args.client_cpu and hasattr(os, "sched_setaffinity") and embedded.proc:
                os.sched_setaffinity(
                    embedded.proc.pid, {int(c) for c in args.client_cpu.split(",")}
                )
        client = redis.Redis.from_url(redis_url)
        results: dict[str, dict[str, Any]] = {}
        try:
            for kind in ("gateway", "bare"):
                port = _free_port()
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "ops.bench.gateway",
                        "--serve",
                        kind,
                        "--port",
                        str(port),
                        "--redis-url",
                        redis_url,
                        "--server-cpu",
                        str(args.server_cpu),
                    ],
                    start_new_session=True,
                )
                try:
                    _wait_port(port)
                    results[kind] = measure(
                        kind, port, args, tmp, client if kind == "gateway" else None, proc.pid
                    )
                finally:
                    proc.terminate()
                    proc.wait(timeout=10)
        finally:
            client.close()
            if embedded is not None:
                embedded.stop()
    _print(results, args)


def _print(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    print(
        f"\nLeadOps gateway benchmark: 1 uvicorn process (uvloop+httptools) on CPU "
        f"{args.server_cpu}; load generator: {args.loadgen} ({args.connections} connections, "
        f"{args.duration}s) on CPU(s) {args.client_cpu}; payloads: Clay rows + Smartlead "
        f"EMAIL_REPLY, 50/50, all unique\n"
    )
    for kind, label in (
        ("gateway", "gateway (verify + validate + dedup + enqueue)"),
        ("bare", "bare FastAPI (parse the same payload, nothing else)"),
    ):
        r = results[kind]
        lat: Result = r["latency"]
        extra = ""
        if "queued" in r:
            extra = f"; messages in Redis after the run: {r['queued']:,}"
        per_cpu = r["served"] / r["cpu_seconds"] if r["cpu_seconds"] else float("nan")
        r["per_cpu_second"] = per_cpu
        print(
            f"{label}\n  throughput: {r['throughput']:,.0f} accepted/s wall clock; "
            f"{per_cpu:,.0f} per CPU-second of the server process "
            f"({r['cpu_seconds']:.1f} CPU-s used in {args.duration}s)\n  "
            f"(non-2xx: {r['throughput_non2xx']}){extra}\n  latency at "
            f"{args.rate:.0f} req/s: p50 {lat.percentile(50) * 1000:.2f} ms, "
            f"p99 {lat.percentile(99) * 1000:.2f} ms, max {max(lat.latencies) * 1000:.2f} ms "
            f"({lat.sent} requests, statuses {dict(lat.statuses)}, errors {lat.errors})\n"
        )
    gw = results["gateway"]
    p99 = gw["latency"].percentile(99) * 1000
    per_cpu = gw["per_cpu_second"]
    print(
        f"targets: >= 3,000 accepted/s per core -> {gw['throughput']:,.0f} wall clock "
        f"({'met' if gw['throughput'] >= 3000 else 'NOT met'}), {per_cpu:,.0f} per CPU-second "
        f"({'met' if per_cpu >= 3000 else 'NOT met'}); p99 <= 20 ms at 500/s -> {p99:.2f} ms "
        f"({'met' if p99 <= 20 else 'NOT met'})"
    )
    load = os.getloadavg() if hasattr(os, "getloadavg") else ()
    print(
        f"machine: {os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in load)}"
        " (other processes on the server's core lower the wall-clock figures; the "
        "per-CPU-second figure is the server's own cost)"
    )


if __name__ == "__main__":
    main()
