"""The HubSpot sandbox's state: tokens and their rolling limits, faults, the request log,
portals (the CRM rules of a portal are in ``hubspot_store.py``)."""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from ops.sandbox.hubspot_store import CrmError, Portal

Handler = Callable[["HubSpotSandbox", Portal, Request, Any], tuple[int, Any]]


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


@dataclass
class TokenState:
    limit: int
    window_seconds: float
    portal: str = "default"
    daily_limit: int | None = None
    hits: deque[float] = field(default_factory=deque)
    day_count: int = 0


@dataclass
class Faults:
    error_rate: float = 0.0
    status: int = 500
    count: int = 0
    latency_ms: int = 0
    storm_until: float = 0.0

    def active(self, now: float) -> bool:
        return bool(self.count or self.error_rate or self.latency_ms or self.storm_until > now)


class HubSpotSandbox:
    def __init__(
        self,
        *,
        tokens: Mapping[str, Mapping[str, Any]] | Iterable[str] | None,
        accept_any_token: bool,
        limit: int,
        window_seconds: float,
        seed: int | None,
    ) -> None:
        self.default_limit, self.default_window = limit, window_seconds
        self.accept_any_token = accept_any_token
        self._initial_tokens = tokens
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.portals: dict[str, Portal] = {"default": Portal()}
            self.tokens: dict[str, TokenState] = {}
            self.faults: dict[str, Faults] = {}
            self.requests: list[dict[str, Any]] = []
        initial = self._initial_tokens or {}
        for tok in initial:
            opts = initial[tok] if isinstance(initial, Mapping) else {}
            self.add_token(tok, **opts)

    def add_token(
        self,
        token: str,
        limit: int | None = None,
        window_seconds: float | None = None,
        portal: str = "default",
        daily_limit: int | None = None,
    ) -> str:
        with self.lock:
            self.tokens[token] = TokenState(
                limit or self.default_limit,
                window_seconds or self.default_window,
                portal,
                daily_limit,
            )
            self.portals.setdefault(portal, Portal())
        return token_id(token)

    def portal(self, name: str | None) -> Portal:
        with self.lock:
            return self.portals.setdefault(name or "default", Portal())

    # ---- admission: auth, rate limits, faults -------------------------------------------
    def admit(self, token: str | None) -> tuple[Portal, TokenState, float]:
        """The caller's portal, or CrmError. Returns the latency to add before answering."""
        with self.lock:
            state = self.tokens.get(token) if token else None
            if state is None and token and self.accept_any_token:
                state = self.tokens[token] = TokenState(self.default_limit, self.default_window)
            if state is None:
                raise CrmError(
                    401,
                    "INVALID_AUTHENTICATION",
                    "Authentication credentials not found. This API supports OAuth "
                    "2.0 authentication and you can find more details at "
                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                )
            now = time.monotonic()
            scoped = [self.faults.get(token_id(token or "")), self.faults.get("*")]
            faults = next((f for f in scoped if f is not None and f.active(now)), Faults())
            if faults.storm_until > now:
                raise _rate_limited("TEN_SECONDLY_ROLLING", state)
            while state.hits and state.hits[0] <= now - state.window_seconds:
                state.hits.popleft()
            if len(state.hits) >= state.limit:
                raise _rate_limited("TEN_SECONDLY_ROLLING", state)
            if state.daily_limit is not None and state.day_count >= state.daily_limit:
                raise _rate_limited("DAILY", state)
            state.hits.append(now)
            state.day_count += 1
            fail = faults.count > 0 or (
                faults.error_rate > 0 and self.rng.random() < faults.error_rate
            )
            if faults.count > 0:
                faults.count -= 1
            if fail:
                raise _fault(faults.status)
            return self.portals[state.portal], state, faults.latency_ms / 1000

    def record(self, request: Request, body: Any, token: str | None) -> dict[str, Any]:
        entry = {
            "method": request.method,
            "path": request.url.path,
            "query": {
                k: v for k, v in request.query_params.items() if k.lower() not in _SECRET_PARAMS
            },
            "body": body,
            "status": None,
            "token_id": token_id(token) if token else None,
            "at": time.time(),
        }
        with self.lock:
            self.requests.append(entry)
        return entry


_SECRET_PARAMS = {"hapikey", "access_token", "token"}  # legacy query-string auth: never recorded


def _rate_limited(policy: str, state: TokenState) -> CrmError:
    what = "ten_secondly_rolling" if policy == "TEN_SECONDLY_ROLLING" else "daily"
    return CrmError(
        429,
        "RATE_LIMITS",
        f"You have reached your {what} limit.",
        errorType="RATE_LIMIT",
        policyName=policy,
        groupName=f"publicapi:private-app:{state.portal}",
    )


_FAULT_CATEGORIES = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    409: "CONFLICT",
    429: "RATE_LIMITS",
}


def _fault(status: int) -> CrmError:
    if status == 429:
        return CrmError(
            429,
            "RATE_LIMITS",
            "You have reached your ten_secondly_rolling limit.",
            errorType="RATE_LIMIT",
            policyName="TEN_SECONDLY_ROLLING",
        )
    category = _FAULT_CATEGORIES.get(status, "INTERNAL_ERROR" if status >= 500 else "ERROR")
    return CrmError(status, category, f"Injected fault: {status} {category}")
