"""What every client shares: the rate-limit gate protocol."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class RequestGate(Protocol):
    def acquire(self) -> None:
        """Wait briefly for a token; raise RateLimitDeferred when none comes in time."""

    def observe(self, status_code: int, headers: Mapping[str, str]) -> None:
        """Learn from the server's answer (429 Retry-After, x-ratelimit-* headers)."""


class NoGate:
    """No limiting (tests, or before the limiter is wired)."""

    def acquire(self) -> None:
        return None

    def observe(self, status_code: int, headers: Mapping[str, str]) -> None:
        return None
