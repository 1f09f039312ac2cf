"""CPU seconds and PSS of the benchmark's processes by role (gateway, workers, Beat, Redis).

A role is a process and its descendants (a prefork worker's pool children count with it). PSS
shares each copy-on-write page among the processes mapping it, so the sum is the real memory.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import psutil


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


class Meter:
    def __init__(self, roles: dict[str, list[int]]) -> None:
        self.roles = roles
        self.peak: dict[str, float] = {}
        self.peak_total = 0.0

    def cpu(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for role, pids in self.roles.items():
            total = 0.0
            for pid in pids:
                for p in _tree(pid):
                    with suppress(psutil.Error):
                        t = p.cpu_times()
                        total += t.user + t.system
            out[role] = total
        return out

    def pss_mb(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for role, pids in self.roles.items():
            total = 0.0
            for pid in pids:
                for p in _tree(pid):
                    with suppress(psutil.Error):
                        total += p.memory_full_info().pss
            out[role] = total / 2**20
        return out

    def processes(self) -> int:
        return sum(len(_tree(pid)) for pids in self.roles.values() for pid in pids)

    @contextmanager
    def sampling(self, every: float = 2.0) -> Iterator[None]:
        """Record the peak total PSS (and each role's figure at that moment) while inside."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(every):
                now = self.pss_mb()
                if sum(now.values()) > self.peak_total:
                    self.peak_total, self.peak = sum(now.values()), now

        t = threading.Thread(target=loop, daemon=True)
        t.start()
        try:
            yield
        finally:
            stop.set()
            t.join()


def delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: after[k] - before.get(k, 0.0) for k in after}


def fmt(figures: dict[str, float], unit: str) -> str:
    parts = ", ".join(f"{k} {v:.{2 if unit == 's' else 0}f}" for k, v in figures.items())
    return f"{sum(figures.values()):.{2 if unit == 's' else 0}f} {unit} ({parts})"
