"""Fault benchmark: what happens to accepted events when Redis restarts or a worker dies.

    python -m ops.bench.faults                     # all faults, about 2-3 minutes
    python -m ops.bench.faults --faults worker-kill --seconds 8

Each fault runs on a fresh system (own redis-server, append-only, on a free port; Smartlead
sandbox; gateway, 2 workers x 2, 2 Beats) while Clay rows are posted at ``--rate`` per second
by a sender that retries 503s as Clay does. Prints, per fault: events answered 202, processed
once (stored once in the sandbox campaign and recorded ``added``), processed twice, lost (in no
campaign and not dead-lettered), roles that exited, and the time from the end of the fault
(Redis back, worker killed, Beat killed) until every accepted event was processed (for the
Beat fault: until the standby Beat holds the lock).
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

import typer

from ops.bench import fault_stack as fs


@dataclass
class Row:
    fault: str
    accepted: int
    once: int
    twice: int
    lost: int
    exited: str
    recover: float


def _redis_restart(sig: int, down: float) -> Callable[..., float]:
    def fault(server: fs.RestartableRedis, roles: fs.Roles) -> float:
        server.kill(sig)
        time.sleep(down)
        server.restart()
        return time.monotonic()

    return fault


def _worker_kill(server: fs.RestartableRedis, roles: fs.Roles) -> float:
    roles.kill_main("worker0", signal.SIGKILL)
    return time.monotonic()


def _beat_kill(server: fs.RestartableRedis, roles: fs.Roles) -> float:
    holder = next(n for n in ("beat0", "beat1") if _holds(roles, n))
    roles.kill_main(holder, signal.SIGKILL)
    return time.monotonic()


def _holds(roles: fs.Roles, name: str) -> bool:
    text = roles.log(name)
    return "Acquired lock" in text or "beat_lock_acquired" in text


FAULTS: dict[str, tuple[str, Callable[..., float]]] = {
    "redis-term": ("Redis SIGTERM, down 6 s", _redis_restart(signal.SIGTERM, 6.0)),
    "redis-kill": ("Redis SIGKILL, down 6 s", _redis_restart(signal.SIGKILL, 6.0)),
    "worker-kill": ("worker main process SIGKILL", _worker_kill),
    "beat-kill": ("active Beat SIGKILL (standby takes over)", _beat_kill),
}


def run(key: str, seconds: float, rate: float, timeout: float) -> Row:
    label, fault = FAULTS[key]
    print(f"== {label}", flush=True)
    with fs.fault_system(workers=2, beats=2, latency_ms=500) as (server, sandbox, acct, roles):
        sender = fs.Sender(roles.gateway_port, f"{key}-", rate=rate)
        sender.start()
        time.sleep(seconds / 2)
        beats_before = {n: _holds(roles, n) for n in ("beat0", "beat1")}
        ended = fault(server, roles)
        time.sleep(seconds / 2)
        sender.stop()
        if key == "beat-kill":
            standby = next(n for n, held in beats_before.items() if not held)
            fs.stack.wait_until(lambda: _holds(roles, standby), timeout, "standby beat")
            recover = time.monotonic() - ended
            tally = fs.wait_processed(sandbox, acct, sender.accepted, timeout)[0]
        else:
            tally, _ = fs.wait_processed(sandbox, acct, sender.accepted, timeout)
            recover = time.monotonic() - ended if tally.lost == 0 else float("nan")
        expected = {"worker0"} if key == "worker-kill" else set()
        if key == "beat-kill":
            expected = {n for n, held in beats_before.items() if held}
        exited = sorted(set(roles.exited()) - expected)
    return Row(
        label,
        tally.accepted,
        tally.once,
        tally.twice,
        tally.lost,
        ",".join(exited) or "none",
        recover,
    )


def main(
    faults: str = typer.Option(",".join(FAULTS), help=f"Comma-separated: {', '.join(FAULTS)}."),
    seconds: float = typer.Option(10.0, help="Seconds of load around each fault."),
    rate: float = typer.Option(40.0, help="Clay rows posted per second."),
    timeout: float = typer.Option(90.0, help="Longest wait for recovery per fault."),
) -> None:
    rows = [run(k.strip(), seconds, rate, timeout) for k in faults.split(",") if k.strip()]
    head = (
        "fault",
        "accepted (202)",
        "processed once",
        "twice",
        "lost",
        "roles exited",
        "time to recover",
    )
    print()
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for r in rows:
        print(
            f"{r.fault} | {r.accepted} | {r.once} | {r.twice} | {r.lost} | {r.exited} | "
            f"{r.recover:.1f} s"
        )


if __name__ == "__main__":
    typer.run(main)
