"""Shared fixtures. Integration tests use the real Redis named by LEADOPS_TEST_REDIS_URL
(default redis://127.0.0.1:6379/9) and real worker processes; unit tests use fakeredis."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

TEST_REDIS_URL = os.environ.get("LEADOPS_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
TEST_SECRET_KEY = "leadops-test-secret-key-not-for-production"

# Set before any workers.* import so the module-level Celery app points at the test Redis.
os.environ["LEADOPS_REDIS_URL"] = TEST_REDIS_URL
os.environ["LEADOPS_ENV"] = "test"
os.environ["LEADOPS_SECRET_KEY"] = TEST_SECRET_KEY
os.environ.pop("LEADOPS_DATABASE_URL", None)
# Test workers start and stop by the dozen: no start-up sync with neighbours (about 1 s each).
os.environ["LEADOPS_WORKER_MINGLE"] = "false"

# The module-level Celery app reads the broker URL once, at import: import it now, on the test
# Redis, so that no test which points this process at a Redis of its own (the fault tests) can
# leave the app bound to that one for the tests after it.
import workers.celery_app  # noqa: E402, F401


def _reset_caches() -> None:
    from workers.crypto import reset_fernet_cache
    from workers.db import dispose_engine
    from workers.settings import reset_settings_cache

    reset_settings_cache()
    reset_fernet_cache()
    dispose_engine()


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test gets its own var/ directory and SQLite file."""
    monkeypatch.setenv("LEADOPS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("LEADOPS_DATABASE_URL", f"sqlite:///{tmp_path / 'var' / 'leadops.db'}")
    _reset_caches()
    yield
    _reset_caches()


@pytest.fixture
def redis_url() -> str:
    """The real test Redis, flushed. Skips nothing: a missing Redis is an error."""
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    client.close()
    return TEST_REDIS_URL


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=False)
    yield client
    client.close()


@pytest.fixture
def fake_redis() -> object:
    import fakeredis

    return fakeredis.FakeRedis(lua_modules=set())


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A migrated SQLite database (the embedded default)."""
    from ops.migrate import upgrade

    url = os.environ["LEADOPS_DATABASE_URL"]
    upgrade(url)
    return url


def _postgres_url() -> str | None:
    return os.environ.get("LEADOPS_TEST_POSTGRES_URL") or None


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The same test on SQLite and, when LEADOPS_TEST_POSTGRES_URL is given, on PostgreSQL."""
    from ops.migrate import upgrade

    if request.param == "sqlite":
        url = os.environ["LEADOPS_DATABASE_URL"]
        upgrade(url)
        yield url
        return
    base = _postgres_url()
    if not base:
        pytest.skip("LEADOPS_TEST_POSTGRES_URL not set")
    import sqlalchemy as sa

    name = f"leadops_t_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(
        base.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    monkeypatch.setenv("LEADOPS_DATABASE_URL", url)
    _reset_caches()
    upgrade(url)
    yield url
    _reset_caches()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def child_env(**extra: str) -> dict[str, str]:
    """Environment for a LeadOps child process: same Redis, database, var/ and secret key."""
    env = dict(os.environ)
    env.update(extra)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class WorkerProcess:
    def __init__(self, proc: subprocess.Popen[bytes], hostname: str, log: Path) -> None:
        self.proc, self.hostname, self.log = proc, hostname, log

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_worker(
    tmp_path: Path,
    *,
    concurrency: int = 2,
    queues: str | None = None,
    extra_env: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> WorkerProcess:
    """Start a real `leadops worker` process and wait until it answers a control ping."""
    from workers.celery_app import app

    hostname = f"test-{uuid.uuid4().hex[:8]}@localhost"
    log = tmp_path / f"{hostname.split('@')[0]}.log"
    args = [sys.executable, "-m", "ops.cli", "worker", "-c", str(concurrency), "-n", hostname]
    if queues:
        args += ["-Q", queues]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            args,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=child_env(**(extra_env or {})),
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited: {log.read_text(errors='replace')[-3000:]}")
            replies = app.control.ping(destination=[hostname], timeout=0.5)
            if replies:
                return WorkerProcess(proc, hostname, log)
    except BaseException:
        stop_process(proc)  # never leave a worker behind to take the next tests' messages
        raise
    stop_process(proc)
    raise RuntimeError(f"worker did not come up: {log.read_text(errors='replace')[-3000:]}")


def stop_process(proc: subprocess.Popen[bytes], sig: int = 15, timeout: float = 15.0) -> None:
    import signal as _signal

    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, _signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


@pytest.fixture
def worker_process(redis_url: str, db_url: str, tmp_path: Path) -> Iterator[WorkerProcess]:
    """One real Celery worker process on the test Redis and the test database."""
    w = start_worker(tmp_path)
    yield w
    stop_process(w.proc)
