"""The pieces a fault run needs (used by ``python -m ops.bench.faults`` and by the fault tests):
a redis-server of our own that can be killed and started again on the same port and data
(append-only), every role as its own process, a webhook sender that retries like Clay does,
and the check that every event answered 202 was processed once.

Built on :mod:`ops.bench.intake_stack` (sandbox process, ``leadops`` role processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ops.bench import intake_stack as stack
from ops.embedded_redis import EmbeddedRedis

CLAY_SECRET = "fault-clay-secret"
API_KEY = "sl-fault-key"


class RestartableRedis(EmbeddedRedis):
    """redis-server (append-only, fsync every second) that a fault run stops and starts again
    on the same port and data directory."""

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def restart(self) -> None:
        self.start(timeout=15)


def setup_env(redis_url: str, tmp: Path, setenv: Callable[[str, str], Any]) -> None:
    """Point this process (and the roles it starts) at ``redis_url`` and a fresh database."""
    for k, v in {
        "LEADOPS_REDIS_URL": redis_url,
        "LEADOPS_ENV": "test",
        "LEADOPS_SECRET_KEY": "leadops-fault-secret-key",
        "LEADOPS_VAR_DIR": str(tmp / "var"),
        "LEADOPS_DATABASE_URL": f"sqlite:///{tmp / 'var' / 'leadops.db'}",
        "LEADOPS_LOG_LEVEL": "INFO",
        # A fault run must show recovery in seconds: the reaper ticks fast.
        "LEADOPS_REAPER_INTERVAL_SECONDS": "2",
        "LEADOPS_REAPER_GRACE_SECONDS": "6",
    }.items():
        setenv(k, v)
    (tmp / "var").mkdir(parents=True, exist_ok=True)
    from workers.db import dispose_engine
    from workers.intake.dispatch import reset_caches
    from workers.settings import reset_settings_cache

    reset_settings_cache()
    reset_caches()
    dispose_engine()
    from ops.migrate import upgrade

    upgrade(f"sqlite:///{tmp / 'var' / 'leadops.db'}")


def make_account(sandbox: str, *, chunk_size: int = 10, latency_ms: float = 0.0) -> int:
    """One account on the sandbox (loose limit: faults, not the limiter, are under test)."""
    from workers.accounts import set_automation
    from workers.db import session_scope
    from workers.models import Account

    stack.admin(sandbox, "keys", {"api_key": API_KEY, "limits": [[1000, 1]]})
    camp = str(stack.admin(sandbox, "campaigns", {"api_key": API_KEY, "name": "faults"})["id"])
    if latency_ms:
        stack.admin(sandbox, "faults", {"api_key": API_KEY, "latency_ms": latency_ms})
    with session_scope() as s:
        acct = Account(
            slug="faulty",
            name="Faulty",
            smartlead_api_key=API_KEY,
            smartlead_base_url=f"{sandbox}/api/v1",
            rate_limit_plan="custom",
            rate_limits=[[1000, 1]],
            webhook_secrets={"clay": CLAY_SECRET},
        )
        s.add(acct)
        s.flush()
        set_automation(
            s,
            acct,
            "clay_intake",
            params={"chunk_size": chunk_size, "max_delay_seconds": 1, "default_campaign_id": camp},
        )
        return int(acct.id)


@dataclass
class Roles:
    """Gateway, Beat and workers, each its own process group (a fault kills one of them)."""

    log_dir: Path
    gateway_port: int = 0
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, workers: int = 2, concurrency: int = 2, beats: int = 1) -> None:
        self.gateway_port = stack.free_port()
        self._spawn("gateway", ["gateway", "--port", str(self.gateway_port)])
        for i in range(beats):
            self._spawn(f"beat{i}", ["beat", "-l", "INFO"])
        for i in range(workers):
            self.start_worker(f"worker{i}", concurrency)
        stack.wait_until(self.gateway_answers, 30, "gateway")

    def start_worker(self, name: str, concurrency: int = 2) -> None:
        host = f"{name}-{os.getpid()}@localhost"
        self._spawn(name, ["worker", "-c", str(concurrency), "-n", host, "-l", "INFO"])

    def _spawn(self, name: str, args: list[str]) -> None:
        self.procs[name] = stack.leadops(args, self.log_dir / f"{name}.log")

    def gateway_answers(self) -> bool:
        with suppress(httpx.HTTPError):
            r = httpx.get(f"http://127.0.0.1:{self.gateway_port}/healthz", timeout=1)
            return r.status_code == 200
        return False

    def exited(self) -> dict[str, int]:
        """Roles whose main process is gone, with the exit code."""
        return {n: p.returncode for n, p in self.procs.items() if p.poll() is not None}

    def kill_main(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Signal the role's main process only (a worker's pool children are left orphaned,
        as when the OOM killer picks the main process)."""
        self.procs[name].send_signal(sig)
        with suppress(subprocess.TimeoutExpired):
            self.procs[name].wait(timeout=10)

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        for p in reversed(list(self.procs.values())):
            stack.stop(p)


class Sender(threading.Thread):
    """Posts Clay rows one after another, as Clay does: a 503/429 or a dropped connection is
    sent again after a short wait; records which rows were answered 202."""

    def __init__(self, port: int, prefix: str, rate: float = 50.0) -> None:
        super().__init__(daemon=True)
        self.port, self.prefix, self.pause = port, prefix, 1.0 / rate
        self.accepted: list[str] = []
        self.answers: Counter[int] = Counter()
        self.halt = threading.Event()
        self.sent = 0

    def run(self) -> None:
        url = f"http://127.0.0.1:{self.port}/v1/faulty/clay"
        headers = {"Authorization": f"Bearer {CLAY_SECRET}"}
        with httpx.Client(timeout=5) as client:
            while not self.halt.is_set():
                email = f"{self.prefix}{self.sent}@faults.example.com"
                body = {"email": email, "first_name": "F", "row_id": f"{self.prefix}{self.sent}"}
                while not self.halt.is_set():
                    try:
                        r = client.post(url, json=body, headers=headers)
                    except httpx.HTTPError:
                        self.answers[0] += 1
                        time.sleep(0.2)
                        continue
                    self.answers[r.status_code] += 1
                    if r.status_code == 202:
                        self.accepted.append(email)
                    if r.status_code not in (429, 503):
                        break
                    time.sleep(0.2)
                self.sent += 1
                time.sleep(self.pause)

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=10)


def processed(sandbox: str, account_id: int) -> tuple[Counter[str], dict[str, str]]:
    """(times each email is stored in the account's campaign, outcome status per email)."""
    from sqlalchemy import select

    from workers.db import session_scope
    from workers.models import LeadOutcome

    with session_scope() as s:
        rows = s.execute(
            select(LeadOutcome.email, LeadOutcome.status, LeadOutcome.campaign_id).where(
                LeadOutcome.account_id == account_id
            )
        ).all()
    out = {str(e).lower(): str(st) for e, st, _ in rows}
    stored: Counter[str] = Counter()
    for camp in {c for _, _, c in rows}:
        leads = httpx.get(f"{sandbox}/admin/campaigns/{camp}/leads", timeout=30).json()
        stored.update(str(x["email"]).lower() for x in leads["leads"])
    return stored, out


@dataclass
class Tally:
    accepted: int
    once: int
    twice: int
    lost: int
    lost_emails: list[str]


def tally(sandbox: str, account_id: int, accepted: list[str]) -> Tally:
    stored, outcome = processed(sandbox, account_id)
    once = sum(
        1 for e in accepted if stored[e] == 1 and outcome.get(e) in ("added", "already_in_campaign")
    )
    twice = sum(1 for e in accepted if stored[e] > 1)
    # "dead" = dead-lettered with its reason: accounted for, not lost.
    lost = [e for e in accepted if stored[e] == 0 and outcome.get(e) != "dead"]
    return Tally(len(accepted), once, twice, len(lost), lost[:10])


def wait_processed(
    sandbox: str, account_id: int, accepted: list[str], timeout: float
) -> tuple[Tally, float]:
    """Poll until every accepted email is processed (or the timeout); (tally, seconds)."""
    t0 = time.monotonic()
    while True:
        t = tally(sandbox, account_id, accepted)
        if t.lost == 0 and t.once + t.twice == t.accepted:
            return t, time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            return t, float("nan")
        time.sleep(0.5)


@contextmanager
def fault_system(
    tmp: Path | None = None,
    setenv: Callable[[str, str], Any] | None = None,
    *,
    workers: int = 2,
    beats: int = 1,
    latency_ms: float = 300.0,
) -> Iterator[tuple[RestartableRedis, str, int, Roles]]:
    """Private Redis, sandbox, one account, every role: (redis, sandbox url, account id, roles)."""
    tmp = tmp or Path(tempfile.mkdtemp(prefix="leadops-faults-"))
    log_dir = tmp / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    server = RestartableRedis(tmp / "redis")
    url = server.start()
    roles = Roles(log_dir)
    try:
        setup_env(url, tmp, setenv or os.environ.__setitem__)
        with stack.sandbox_process(log_dir) as sandbox:
            account_id = make_account(sandbox, latency_ms=latency_ms)
            roles.start(workers=workers, beats=beats)
            try:
                yield server, sandbox, account_id, roles
            finally:
                roles.stop()
    finally:
        server.stop()
