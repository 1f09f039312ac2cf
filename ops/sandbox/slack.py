"""In-memory Slack incoming webhooks for tests and demos.

``POST /services/{path}`` answers like Slack: 200 ``ok`` (plain text); 400 ``invalid_payload`` /
``no_text`` / ``invalid_blocks`` for a payload Slack would refuse (Block Kit limits checked);
about one message per second per webhook with a burst of 3, then 429 ``rate_limited`` with
``Retry-After``. Bodies of errors are plain text, as Slack's.

Admin API (under ``/admin``): ``GET /admin/messages[?path=]`` (webhook_id is a hash of the path:
the path is the secret), ``POST /admin/webhooks {path, state?}`` (register a path; state
``ok``/``archived``/``prohibited``/``not_found``), ``POST /admin/faults {path?, status, count,
body?}``, ``POST /admin/reset``.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_TEXT = 40000

DEFAULT_BODIES = {
    400: "invalid_payload",
    403: "action_prohibited",
    404: "channel_not_found",
    410: "channel_is_archived",
    429: "rate_limited",
    500: "rollup_error",
}
STATES = {
    "archived": (410, "channel_is_archived"),
    "prohibited": (403, "action_prohibited"),
    "not_found": (404, "channel_not_found"),
    "no_service": (404, "no_service"),
}


def webhook_id(path: str) -> str:
    return hashlib.sha256(path.strip("/").encode()).hexdigest()[:12]


@dataclass
class Bucket:
    tokens: float
    updated: float


@dataclass
class Fault:
    status: int
    count: int
    body: str


class SlackSandbox:
    def __init__(
        self, *, webhooks: Iterable[str] | None, rate_per_second: float, burst: int
    ) -> None:
        self.rate, self.burst = rate_per_second, burst
        self._initial = list(webhooks) if webhooks is not None else None
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            # None: every path is a live webhook; else only the registered ones.
            self.webhooks: dict[str, str] | None = (
                {webhook_id(p): "ok" for p in self._initial} if self._initial is not None else None
            )
            self.buckets: dict[str, Bucket] = {}
            self.faults: dict[str, Fault] = {}
            self.messages: list[dict[str, Any]] = []
            self.refused: list[dict[str, Any]] = []

    def take(self, wid: str) -> float:
        """0 when a token was taken, else the seconds until the next one."""
        now = time.monotonic()
        bucket = self.buckets.setdefault(wid, Bucket(float(self.burst), now))
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def receive(self, path: str, raw: bytes) -> tuple[int, str, dict[str, str]]:
        wid = webhook_id(path)
        with self.lock:
            fault = self.faults.get(wid) or self.faults.get("*")
            if fault is not None and fault.count > 0:
                fault.count -= 1
                extra = {"Retry-After": "1"} if fault.status == 429 else None
                return self._refuse(wid, fault.status, fault.body, extra)
            state = "ok" if self.webhooks is None else self.webhooks.get(wid, "no_service")
            if state != "ok":
                return self._refuse(wid, *STATES[state])
            wait = self.take(wid)
            if wait > 0:
                return self._refuse(
                    wid, 429, "rate_limited", {"Retry-After": str(max(1, math.ceil(wait)))}
                )
            try:
                payload = json.loads(raw)
            except ValueError:
                return self._refuse(wid, 400, "invalid_payload")
            problem = validate_payload(payload)
            if problem:
                return self._refuse(wid, 400, problem)
            self.messages.append(
                {
                    "webhook_id": wid,
                    "text": payload.get("text"),
                    "blocks": payload.get("blocks"),
                    "at": time.time(),
                }
            )
            return 200, "ok", {}

    def _refuse(
        self, wid: str, status: int, body: str, headers: dict[str, str] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        self.refused.append({"webhook_id": wid, "status": status, "body": body, "at": time.time()})
        return status, body, headers or {}


def validate_payload(payload: Any) -> str | None:
    """The error Slack would answer for this payload, or None."""
    if not isinstance(payload, dict):
        return "invalid_payload"
    text, blocks = payload.get("text"), payload.get("blocks")
    if text is not None and not isinstance(text, str):
        return "invalid_payload"
    if not text and not blocks:
        return "no_text"
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    return None if all(_block_ok(b) for b in blocks) else "invalid_blocks"


def _text_ok(obj: Any, limit: int, kinds: tuple[str, ...] = ("plain_text", "mrkdwn")) -> bool:
    return (
        isinstance(obj, dict)
        and obj.get("type") in kinds
        and isinstance(obj.get("text"), str)
        and 0 < len(obj["text"]) <= limit
    )


def _block_ok(block: Any) -> bool:
    if not isinstance(block, dict):
        return False
    kind = block.get("type")
    if kind == "header":
        return _text_ok(block.get("text"), MAX_HEADER, ("plain_text",))
    if kind == "divider":
        return True
    if kind == "section":
        text, fields = block.get("text"), block.get("fields")
        if text is None and not fields:
            return False
        if text is not None and not _text_ok(text, MAX_SECTION_TEXT):
            return False
        if fields is not None:
            if not isinstance(fields, list) or not 0 < len(fields) <= MAX_FIELDS:
                return False
            return all(_text_ok(f, MAX_FIELD_TEXT) for f in fields)
        return True
    if kind == "context":
        elements = block.get("elements")
        return (
            isinstance(elements, list)
            and 0 < len(elements) <= MAX_CONTEXT_ELEMENTS
            and all(_text_ok(e, MAX_SECTION_TEXT) for e in elements)
        )
    return False


def create_app(
    *, webhooks: Iterable[str] | None = None, rate_per_second: float = 1.0, burst: int = 3
) -> FastAPI:
    """The sandbox app. ``webhooks`` None: every ``/services/...`` path is a live webhook."""
    app = FastAPI(title="Slack webhook sandbox", docs_url=None, redoc_url=None)
    sb = SlackSandbox(webhooks=webhooks, rate_per_second=rate_per_second, burst=burst)
    app.state.sandbox = sb

    @app.post("/services/{path:path}")
    async def incoming(path: str, request: Request) -> PlainTextResponse:
        status, body, headers = sb.receive(path, await request.body())
        return PlainTextResponse(body, status_code=status, headers=headers)

    @app.get("/admin/messages")
    def messages(path: str | None = None) -> dict[str, Any]:
        with sb.lock:
            found, refused = list(sb.messages), list(sb.refused)
        if path:
            wid = webhook_id(path)
            found = [m for m in found if m["webhook_id"] == wid]
            refused = [m for m in refused if m["webhook_id"] == wid]
        return {"messages": found, "refused": refused}

    @app.post("/admin/webhooks")
    def register(body: dict[str, Any]) -> dict[str, Any]:
        state = body.get("state", "ok")
        if state != "ok" and state not in STATES:
            return {"error": f"unknown state {state!r}"}
        with sb.lock:
            if sb.webhooks is None:
                sb.webhooks = {}
            sb.webhooks[webhook_id(body["path"])] = state
        return {"webhook_id": webhook_id(body["path"]), "state": state}

    @app.post("/admin/faults")
    def faults(body: dict[str, Any]) -> dict[str, Any]:
        key = webhook_id(body["path"]) if body.get("path") else "*"
        status = int(body.get("status") or 500)
        with sb.lock:
            sb.faults[key] = Fault(
                status,
                int(body.get("count") or 1),
                body.get("body") or DEFAULT_BODIES.get(status, "error"),
            )
        return {"ok": True, "scope": key}

    @app.post("/admin/reset")
    def reset() -> dict[str, Any]:
        sb.reset()
        return {"ok": True}

    return app
