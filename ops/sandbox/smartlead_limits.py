"""Strict per-key rate limiting for the Smartlead sandbox: a sliding log with several windows.

A request at time ``t`` is accepted when, for every window ``(limit, seconds)``, fewer than
``limit`` accepted requests lie in ``(t - seconds, t]``. A refused request is not recorded (it
does not count against later requests). ``Retry-After`` is the time until every violated window
frees a slot, rounded up to whole seconds (at least 1).
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

Window = tuple[int, float]  # (limit, seconds)
DEFAULT_WINDOWS: list[Window] = [(10, 2.0), (60, 60.0)]
MAX_LOG = 200_000  # accepted timestamps kept for the statistics


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # whole seconds; 0 when allowed
    limit: int  # the most constraining window's limit (x-ratelimit-limit)
    remaining: int  # x-ratelimit-remaining (after this request when allowed)
    reset: int  # x-ratelimit-reset: seconds until that window frees a slot

    def headers(self) -> dict[str, str]:
        out = {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(self.reset),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
        return out


@dataclass
class SlidingLog:
    windows: list[Window] = field(default_factory=lambda: list(DEFAULT_WINDOWS))
    # Recent accepted timestamps (enough to judge the longest window).
    _recent: deque[float] = field(default_factory=deque)
    # Every accepted timestamp (bounded), for the max-in-any-window statistics.
    accepted: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.windows:
            raise ValueError("at least one window")
        for limit, seconds in self.windows:
            if limit < 1 or seconds <= 0:
                raise ValueError(f"bad window ({limit}, {seconds})")

    def _count_in(self, now: float, seconds: float) -> int:
        # number of recent timestamps > now - seconds
        lo = now - seconds
        recent = self._recent
        idx = bisect.bisect_right(recent, lo)  # deque supports bisect via __getitem__
        return len(recent) - idx

    def check_and_record(self, now: float) -> Decision:
        """Accept (and record) or refuse one request arriving at ``now``."""
        longest = max(s for _, s in self.windows)
        while self._recent and self._recent[0] <= now - longest:
            self._recent.popleft()
        retry_after = 0.0
        counts = []
        for limit, seconds in self.windows:
            count = self._count_in(now, seconds)
            counts.append(count)
            if count >= limit:
                # The (count - limit + 1)-th oldest timestamp in the window must leave it.
                first = len(self._recent) - count
                leaving = self._recent[first + count - limit]
                retry_after = max(retry_after, leaving + seconds - now)
        allowed = all(c < lim for c, (lim, _) in zip(counts, self.windows, strict=True))
        if allowed:
            self._recent.append(now)
            if len(self.accepted) < MAX_LOG:
                self.accepted.append(now)
            counts = [c + 1 for c in counts]
        # Headers describe the window with the least room left.
        best = min(
            range(len(self.windows)),
            key=lambda i: (self.windows[i][0] - counts[i], self.windows[i][1]),
        )
        limit, seconds = self.windows[best]
        remaining = max(0, limit - counts[best])
        oldest_in = self._oldest_in(now, seconds)
        reset = math.ceil(oldest_in + seconds - now) if oldest_in is not None else 0
        return Decision(
            allowed=allowed,
            retry_after=0 if allowed else max(1, math.ceil(retry_after)),
            limit=limit,
            remaining=remaining,
            reset=max(0, reset),
        )

    def _oldest_in(self, now: float, seconds: float) -> float | None:
        idx = bisect.bisect_right(self._recent, now - seconds)
        return self._recent[idx] if idx < len(self._recent) else None


def max_in_any_window(timestamps: Sequence[float], seconds: float) -> int:
    """The most timestamps inside any half-open interval ``[a, a + seconds)`` (equivalently
    ``(t - seconds, t]``): exact two-pointer sweep over the sorted log."""
    ts = sorted(timestamps)
    best = 0
    left = 0
    for right, t in enumerate(ts):
        while t - ts[left] >= seconds:
            left += 1
        best = max(best, right - left + 1)
    return best


def parse_windows(raw: Sequence[Sequence[float]] | None) -> list[Window]:
    if not raw:
        return list(DEFAULT_WINDOWS)
    return [(int(limit), float(seconds)) for limit, seconds in raw]
