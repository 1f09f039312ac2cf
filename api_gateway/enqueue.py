"""Deduplicate and enqueue in one Redis round trip, in Celery's own message format.

``app.send_task`` costs a few hundred microseconds of kombu machinery per message; the gateway
instead builds the same Celery protocol-2 message (JSON, base64 body) and runs one Lua script
that, per event, sets the dedup key (NX + TTL) and LPUSHes the message onto the queue the
routing table names. Both happen or neither does, so an event is never marked seen without its
task being queued; a lost reply followed by a retry recognises its own attempt (the key's value
carries a per-attempt nonce) and still answers "accepted". A worker consumes these messages
exactly like ones from ``send_task`` (tests/integration/gateway checks with a real worker).
Not sent: Celery's ``task-sent`` monitoring event (Flower still sees received/started/...).
The ``ignore_result`` header is left to the task (the gateway never hands a task id out, so
no caller can read what its tasks return: ``workers.celery_app`` makes them ignore it).
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import socket
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import redis
import redis.asyncio as aredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from api_gateway.dedup import dedup_key
from api_gateway.resp import PipelinedRedis
from workers.queues import queue_for
from workers.redaction import redact

ORIGIN = f"gateway{os.getpid()}@{socket.gethostname()}"
REPR_MAX = 1024
SUMMARY_KEYS = (
    "account_id",
    "event_id",
    "event_type",
    "provider",
    "form_id",
    "source",
    "campaign_id",
)
_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}

# KEYS: n dedup keys then n queue keys. ARGV: ttl, then per event: marker, message.
# Returns per event: 1 accepted (or our own earlier attempt), 0 duplicate.
DEDUP_ENQUEUE_LUA = """
local n = #KEYS / 2
local out = {}
for i = 1, n do
  local marker = ARGV[2 * i]
  if redis.call('SET', KEYS[i], marker, 'NX', 'EX', ARGV[1]) then
    redis.call('LPUSH', KEYS[n + i], ARGV[2 * i + 1])
    out[i] = 1
  elseif redis.call('GET', KEYS[i]) == marker then
    out[i] = 1
  else
    out[i] = 0
  end
end
return out
"""


SCRIPT_SHA = hashlib.sha1(DEDUP_ENQUEUE_LUA.encode()).hexdigest()  # noqa: S324 - Redis's id


@dataclass(frozen=True, slots=True)
class Job:
    account_id: int
    event_id: str
    task_name: str
    kwargs: dict[str, Any]


def new_id() -> str:
    """A random UUID4 string for task ids and delivery tags (ids, not secrets: no urandom)."""
    return str(uuid.UUID(int=random.getrandbits(128), version=4))


def celery_message(task_name: str, kwargs: dict[str, Any], task_id: str, queue: str) -> bytes:
    """A Celery protocol-2 message as the kombu Redis transport stores it."""
    body = orjson.dumps([[], kwargs, _EMBED])
    # What Flower and logs show: the ids and the kind of event, not the lead's data (smaller
    # to redact, and no personal data in the monitoring UI).
    # Only ids and enum-like values go in: nothing to redact (redact() would cost more than
    # the whole message).
    summary = {k: kwargs[k] for k in SUMMARY_KEYS if k in kwargs}
    kwargsrepr = repr(summary)[:REPR_MAX]
    return orjson.dumps(
        {
            "body": base64.b64encode(body).decode(),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {
                "lang": "py",
                "task": task_name,
                "id": task_id,
                "shadow": None,
                "eta": None,
                "expires": None,
                "group": None,
                "group_index": None,
                "retries": 0,
                "timelimit": [None, None],
                "root_id": task_id,
                "parent_id": None,
                "argsrepr": "()",
                "kwargsrepr": kwargsrepr,
                "origin": ORIGIN,
                # None: the task's own ignore_result decides. False here overrode it, and
                # every lead paid a result-backend write (and a key kept a day) nobody read.
                "ignore_result": None,
                "replaced_task_nesting": 0,
                "stamped_headers": None,
                "stamps": {},
            },
            "properties": {
                "correlation_id": task_id,
                "reply_to": None,
                "delivery_mode": 2,
                "delivery_info": {"exchange": "", "routing_key": queue},
                "priority": 0,
                "body_encoding": "base64",
                "delivery_tag": new_id(),
            },
        }
    )


class Enqueuer:
    """One async Redis client per process (created lazily, inside the running loop)."""

    def __init__(
        self,
        redis_url: str,
        *,
        timeout: float,
        retention_seconds: int,
        client: aredis.Redis | None = None,
    ) -> None:
        self.redis_url, self.timeout, self.retention = redis_url, timeout, retention_seconds
        self._client: aredis.Redis | None = client  # tests pass a fakeredis client
        self._script: Any = client.register_script(DEDUP_ENQUEUE_LUA) if client else None
        # The hot path: one pipelined connection (resp.py), unless a client was injected.
        self._fast = None if client is not None else PipelinedRedis(redis_url, timeout=timeout)

    @property
    def client(self) -> aredis.Redis:
        if self._client is None:
            self._client = aredis.Redis.from_url(
                self.redis_url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                # One immediate retry: a pooled connection dies when Redis restarts.
                retry=Retry(NoBackoff(), 1),
                health_check_interval=0,
                max_connections=256,
            )
            self._script = self._client.register_script(DEDUP_ENQUEUE_LUA)
        return self._client

    async def close(self) -> None:
        if self._fast is not None:
            await self._fast.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def ping(self) -> bool:
        return bool(await self.client.ping())

    async def submit(self, jobs: Sequence[Job]) -> list[bool]:
        """Dedup + enqueue each job atomically; True = accepted, False = duplicate.

        Raises redis.RedisError when Redis cannot be reached (nothing was marked seen then).
        """
        keys: list[str] = []
        queues: list[str] = []
        args: list[Any] = [self.retention]
        for job in jobs:
            task_id = new_id()
            queue = queue_for(job.task_name).value
            keys.append(dedup_key(job.account_id, job.event_id))
            queues.append(queue)
            args.append(task_id)  # the marker: unique per attempt
            args.append(celery_message(job.task_name, job.kwargs, task_id, queue))
        if self._fast is None:
            result = await self._script(keys=keys + queues, args=args, client=self.client)
        else:
            result = await self._eval_fast(keys + queues, args)
        return [bool(r) for r in result]

    async def _eval_fast(self, keys: list[str], args: list[Any]) -> Any:
        assert self._fast is not None
        try:
            return await self._fast.execute("EVALSHA", SCRIPT_SHA, len(keys), *keys, *args)
        except redis.ResponseError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
            # First use on this Redis (or after a restart): EVAL also caches the script.
            return await self._fast.execute("EVAL", DEDUP_ENQUEUE_LUA, len(keys), *keys, *args)

    async def record_event(self, account_id: int, source: str, event_type: str) -> None:
        """Count an event that has no task (e.g. EMAIL_OPEN) per account, type and day."""
        day = time.strftime("%Y%m%d", time.gmtime())
        key = f"leadops:gateway:events:{account_id}:{source}:{day}"
        pipe = self.client.pipeline(transaction=False)
        pipe.hincrby(key, event_type, 1)
        pipe.expire(key, 35 * 24 * 3600)
        await pipe.execute()

    async def record_rejection(
        self, account_id: int | None, source: str, status: int, reason: str
    ) -> None:
        """Keep the last 1,000 rejections per source for operators (no payload, no secret)."""
        key = f"leadops:gateway:rejections:{source}"
        entry = orjson.dumps(
            {
                "at": time.time(),
                "account_id": account_id,
                "status": status,
                "reason": redact(reason)[:300],
            }
        )
        pipe = self.client.pipeline(transaction=False)
        pipe.lpush(key, entry)
        pipe.ltrim(key, 0, 999)
        await pipe.execute()
