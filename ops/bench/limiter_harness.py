"""What the limiter benchmarks share: a private environment (fresh Redis db, SQLite under a temp
dir), the Smartlead sandbox in its own process, real `leadops worker` processes, accounts."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def setup_env(redis_url: str) -> Path:
    """Point this process (and the children it starts) at a private Redis db and database.
    Call before importing anything from workers.celery_app."""
    tmp = Path(tempfile.mkdtemp(prefix="leadops-bench-"))
    os.environ.update(
        {
            "LEADOPS_REDIS_URL": redis_url,
            "LEADOPS_ENV": "test",
            "LEADOPS_SECRET_KEY": "leadops-bench-secret-key",
            "LEADOPS_VAR_DIR": str(tmp / "var"),
            "LEADOPS_DATABASE_URL": f"sqlite:///{tmp / 'var' / 'leadops.db'}",
            "LEADOPS_LOG_LEVEL": "WARNING",
        }
    )
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    from ops.migrate import upgrade

    upgrade(os.environ["LEADOPS_DATABASE_URL"])
    return tmp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def sandbox_process(log_dir: Path) -> Iterator[str]:
    """The Smartlead sandbox in its own process (so it does not share this one's GIL)."""
    port = free_port()
    code = (
        "import uvicorn; from ops.sandbox.smartlead import create_app; "
        f"uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='warning', "
        "access_log=False)"
    )
    with open(log_dir / "sandbox.log", "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/admin/stats", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("sandbox did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        stop(proc)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Warm shutdown of the main process (it stops its pool); the group only if it hangs."""
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@contextmanager
def workers(
    n: int,
    concurrency: int,
    log_dir: Path,
    *,
    queues: str = "realtime,bulk,default",
    env: dict[str, str] | None = None,
) -> Iterator[list[str]]:
    """``n`` real `leadops worker` processes with ``concurrency`` pool processes each."""
    from workers.celery_app import app

    procs, names = [], []
    for i in range(n):
        name = f"bench{i}-{os.getpid()}-{time.monotonic_ns() % 10**6}@localhost"
        with open(log_dir / f"worker{i}.log", "ab") as fh:
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "ops.cli",
                        "worker",
                        "-c",
                        str(concurrency),
                        "-n",
                        name,
                        "-Q",
                        queues,
                        "-l",
                        "WARNING",
                    ],
                    cwd=ROOT,
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **(env or {})},
                    start_new_session=True,
                )
            )
        names.append(name)
    try:
        deadline = time.monotonic() + 60
        pending = set(names)
        while pending:
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers did not start: see {log_dir}")
            for reply in app.control.ping(destination=list(pending), timeout=0.5) or []:
                pending -= set(reply)
        yield names
    finally:
        for p in procs:
            stop(p)
        app.control.purge()


def admin(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    r = httpx.post(f"{url}/admin/{path}", json=body or {}, timeout=30)
    r.raise_for_status()
    return r.json()


def stats(url: str) -> dict[str, Any]:
    return dict(httpx.get(f"{url}/admin/stats", timeout=60).json()["keys"])


def create_accounts(specs: Sequence[tuple[str, str, str, list[list[float]]]]) -> list[int]:
    """(slug, api_key, sandbox url, limits) -> account ids (custom rate-limit plan)."""
    from workers.db import session_scope
    from workers.models import Account

    ids = []
    with session_scope() as s:
        rows = [
            Account(
                slug=slug,
                name=slug,
                smartlead_api_key=key,
                smartlead_base_url=f"{url}/api/v1",
                rate_limit_plan="custom",
                rate_limits=limits,
            )
            for slug, key, url, limits in specs
        ]
        s.add_all(rows)
        s.flush()
        ids = [r.id for r in rows]
    return ids


def parse_limits(text: str) -> list[list[float]]:
    """ "10/2,60/60" -> [[10, 2.0], [60, 60.0]]."""
    return [[int(a), float(b)] for a, b in (part.split("/") for part in text.split(","))]


def allowed_in(limits: Sequence[Sequence[float]], seconds: float) -> float:
    """Requests the limit allows in ``seconds`` at its sustained rate (the slowest window)."""
    return min(lim / win for lim, win in limits) * seconds


def percentiles(values: Sequence[float]) -> dict[str, float]:
    v = sorted(values)
    if not v:
        return {}
    q = statistics.quantiles(v, n=100, method="inclusive") if len(v) > 1 else [v[0]] * 99
    return {"n": len(v), "min": v[0], "p50": q[49], "p90": q[89], "p99": q[98], "max": v[-1]}
