"""The processes the intake benchmark runs (private Redis db, SQLite under a temp dir, the
Smartlead sandbox, gateway, workers, Beat), and a keep-alive HTTP/1.1 poster for webhooks."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

from ops.embedded_redis import free_port

ROOT = Path(__file__).resolve().parents[2]
# The pids of the last ``roles()`` started, by role (ops/bench/stack_meter.py reads them).
ROLE_PIDS: dict[str, list[int]] = {}


def setup_env(redis_url: str) -> Path:
    """Point this process and its children at a flushed Redis db and a fresh database."""
    tmp = Path(tempfile.mkdtemp(prefix="leadops-bench-intake-"))
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
    from workers.db import dispose_engine
    from workers.settings import reset_settings_cache

    reset_settings_cache()
    dispose_engine()
    from ops.migrate import upgrade

    upgrade(os.environ["LEADOPS_DATABASE_URL"])
    return tmp


@contextmanager
def private_redis(url: str = "") -> Iterator[str]:
    """The given Redis URL, else a redis-server of our own (not shared with anything else)."""
    if url:
        yield url
        return
    from ops.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="leadops-bench-redis-")))
    try:
        yield server.start()
    finally:
        server.stop()


def spawn(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as fh:
        return subprocess.Popen(
            argv,
            cwd=ROOT,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
            start_new_session=True,
        )


def leadops(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    return spawn([sys.executable, "-m", "ops.cli", *args], log)


def stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start in {timeout:.0f} s")
        time.sleep(0.2)


def _http_ok(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code < 500
    except httpx.HTTPError:
        return False


@contextmanager
def sandbox_process(log_dir: Path) -> Iterator[str]:
    """The Smartlead sandbox in its own process (it must not share the benchmark's GIL)."""
    port = free_port()
    code = (
        "import uvicorn; from ops.sandbox.smartlead import create_app; "
        f"uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='warning', "
        "access_log=False)"
    )
    proc = spawn([sys.executable, "-c", code], log_dir / "sandbox.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _http_ok(f"{url}/admin/stats"), 20, "sandbox")
        yield url
    finally:
        stop(proc)


@contextmanager
def roles(workers: int, concurrency: int, log_dir: Path) -> Iterator[int]:
    """Gateway (yields its port), ``workers`` x ``concurrency`` worker processes and Beat."""
    port = free_port()
    procs = [
        leadops(["gateway", "--port", str(port)], log_dir / "gateway.log"),
        leadops(["beat", "-l", "WARNING"], log_dir / "beat.log"),
    ]
    names = [f"bench{i}-{os.getpid()}@localhost" for i in range(workers)]
    procs += [
        leadops(
            ["worker", "-c", str(concurrency), "-n", name, "-l", "WARNING"],
            log_dir / f"worker{i}.log",
        )
        for i, name in enumerate(names)
    ]
    ROLE_PIDS.clear()
    ROLE_PIDS.update(
        {"gateway": [procs[0].pid], "beat": [procs[1].pid], "workers": [p.pid for p in procs[2:]]}
    )
    try:
        from workers.celery_app import app

        wait_until(lambda: _http_ok(f"http://127.0.0.1:{port}/healthz"), 30, "gateway")
        wait_until(
            lambda: len(app.control.ping(destination=names, timeout=0.5) or []) == len(names),
            60,
            "workers",
        )
        yield port
    finally:
        for p in reversed(procs):
            stop(p)


def admin(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    r = httpx.post(f"{url}/admin/{path}", json=body or {}, timeout=30)
    r.raise_for_status()
    return r.json()


def stats(url: str) -> dict[str, Any]:
    return dict(httpx.get(f"{url}/admin/stats", timeout=60).json()["keys"])


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> _Conn:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post(self, port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:].strip())
        if length:
            await self.reader.readexactly(length)
        return int(status_line.split(b" ", 2)[1])


async def post_all(
    port: int, requests: Iterator[tuple[str, bytes]], headers: dict[str, str], connections: int
) -> dict[int, int]:
    """Post every (path, body), each connection sending its next as soon as it is answered;
    429/503 (gateway back-pressure) and dropped connections are retried."""
    statuses: dict[int, int] = {}

    async def worker() -> None:
        conn = await _Conn.open(port)
        try:
            for path, body in requests:
                for _ in range(50):
                    try:
                        status = await conn.post(port, path, body, headers)
                    except (ConnectionError, asyncio.IncompleteReadError, OSError):
                        conn = await _Conn.open(port)
                        continue
                    statuses[status] = statuses.get(status, 0) + 1
                    if status not in (429, 503):
                        break
                    await asyncio.sleep(0.2)
        finally:
            conn.writer.close()

    await asyncio.gather(*[worker() for _ in range(connections)])
    return statuses
