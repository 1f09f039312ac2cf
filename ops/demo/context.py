"""What every demo scenario shares: the running stack's addresses, the console, the checks."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from ops.supervisor import Stack
from workers.settings import Settings

console = Console()


@dataclass
class DemoContext:
    settings: Settings
    stack: Stack
    gateway_url: str
    flower_url: str
    flower_auth: tuple[str, str]
    sandboxes: dict[str, str] = field(default_factory=dict)  # name -> base URL
    workers: int = 2
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.results.append((name, ok, detail))
        mark = "[green]ok[/green]" if ok else "[red]FAILED[/red]"
        console.print(f"  {mark} {name}: {detail}")


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return value
